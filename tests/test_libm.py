"""flowsim.model.libm: the C library's numbers for an array, element by element, as for one float."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flowsim.model import libm

FUNCTIONS = [(libm.exp, math.exp), (libm.expm1, math.expm1), (libm.log, math.log), (libm.log1p, math.log1p),
             (lambda x: libm.power(x, 0.37), lambda x: math.pow(x, 0.37))]


@pytest.mark.parametrize(("ours", "reference"), FUNCTIONS)
def test_an_array_gets_each_elements_own_number_to_the_bit(ours, reference):
    # numpy's vector exp and log differ from the C library's in the last bit for some values on CPUs
    # with AVX-512: a patient drawn in bulk would not match the same patient drawn alone
    x = np.random.default_rng(11).random((300, 700)) * 20.0
    got = ours(x)
    assert got.shape == x.shape and got.dtype == float
    np.testing.assert_array_equal(got, np.array([[reference(v) for v in row] for row in x.tolist()]))
    assert isinstance(ours(float(x[4, 5])), float) and ours(float(x[4, 5])) == got[4, 5]
    assert ours(np.float64(x[4, 5])) == got[4, 5] and ours(np.asarray(x[4, 5])) == got[4, 5]


def test_edges_follow_numpy_where_math_raises():
    with np.errstate(all="ignore"):
        for ours, theirs, x in [(libm.exp, np.exp, [1000.0, -np.inf, np.inf, np.nan, 0.0]),
                                (libm.expm1, np.expm1, [1000.0, -np.inf, 0.0]),
                                (libm.log, np.log, [0.0, -1.0, np.inf, np.nan, 1.0]),
                                (libm.log1p, np.log1p, [-1.0, -2.0, np.inf, 0.0]),
                                (lambda v: libm.power(v, 2.5), lambda v: np.power(v, 2.5),
                                 [-1.0, 0.0, 1e300, np.inf, 4.0])]:
            values = np.array(x)
            np.testing.assert_array_equal(ours(values), theirs(values))
            assert [ours(v) for v in x] == pytest.approx(list(theirs(values)), nan_ok=True)


def test_empty_and_shaped_inputs_keep_their_shape():
    assert libm.exp(np.empty((0, 3))).shape == (0, 3)
    assert libm.log1p([[0.0], [1.0]]).tolist() == [[0.0], [math.log1p(1.0)]]
