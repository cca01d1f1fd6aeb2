"""flowsim.model.normal_quantile and gamma_quantile: SciPy's numbers without importing scipy.special."""

from __future__ import annotations

import math
import statistics
import subprocess
import sys

import numpy as np
import pytest
from scipy import special

from flowsim.model.gamma_quantile import LARGE_SHAPE, gammaincinv, gammaincinv_array, halley
from flowsim.model.normal_quantile import ndtri, ndtri_array


def _probabilities(seed: int, n: int) -> np.ndarray:
    """Uniform numbers as the model draws them, and both tails down to 1e-300 and 1e-16."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.random(n), 10 ** rng.uniform(-300, -1, n // 4),
                           1 - 10 ** rng.uniform(-16, -1, n // 4),
                           [0.075, 0.925, 0.5, 0.5 - 0.425, 0.5 + 0.425, math.exp(-25.0), 5e-324]])


def test_normal_quantile_agrees_with_scipy_and_python():
    p = _probabilities(1, 100_000)
    z = ndtri_array(p)
    np.testing.assert_allclose(z, special.ndtri(p), rtol=2e-15, atol=0.0)
    # the same algorithm as the standard library's NormalDist (AS241), operation for operation: its
    # numbers to the bit (a mistyped coefficient shows here first)
    python = statistics.NormalDist()
    sample = p[(p > 0) & (p < 1)][::7].tolist()
    assert [ndtri(v) for v in sample] == [python.inv_cdf(v) for v in sample]


def test_normal_quantile_of_one_number_is_the_arrays_to_the_bit():
    p = _probabilities(2, 60_000)
    np.testing.assert_array_equal(np.array([ndtri(v) for v in p.tolist()]), ndtri_array(p))
    shaped = p[:12].reshape(3, 4)
    assert ndtri_array(shaped).shape == (3, 4) and ndtri_array(0.3).shape == ()


def test_normal_quantile_edges_are_scipys():
    edges = [0.0, 1.0, -0.5, 1.5, math.nan, math.inf]
    np.testing.assert_array_equal(ndtri_array(edges), special.ndtri(edges))
    assert [ndtri(v) for v in edges] == pytest.approx(list(special.ndtri(edges)), nan_ok=True)


SHAPES = [0.01, 0.05, 0.4, 0.5, 0.999, 1.0, 1.001, 1.5, 3.0625, 6.25, 30.0, 300.0, 1000.0]


@pytest.mark.parametrize("shape", SHAPES)
def test_gamma_quantile_agrees_with_scipy(shape):
    rng = np.random.default_rng(3)
    u = np.concatenate([rng.random(1500), 10 ** rng.uniform(-14, -1, 400),
                        1 - 10 ** rng.uniform(-12, -1, 400), [1e-9, 1e-4, 0.5, 1 - 1e-9, 1 - 1e-12]])
    got = gammaincinv_array(shape, u)
    reference = special.gammaincinv(shape, u)
    # small shapes: the lower tail is steep (x ~ u ** (1 / shape)), so u's own rounding is magnified,
    # and quantiles under 1e-300 are subnormal numbers, with fewer digits
    np.testing.assert_allclose(got, reference, rtol=1e-12 if shape < 0.1 else 1e-13, atol=1e-300)
    assert got[:40].tolist() == [gammaincinv(shape, v) for v in u[:40].tolist()]


def test_gamma_quantile_edges_are_scipys():
    for shape, u in [(2.0, 0.0), (2.0, 1.0), (2.0, -0.1), (2.0, 1.1), (2.0, math.nan), (0.0, 0.5),
                     (-1.0, 0.5), (math.inf, 0.5)]:
        ours, theirs = gammaincinv(shape, u), float(special.gammaincinv(shape, u))
        assert ours == theirs or (math.isnan(ours) and math.isnan(theirs)), (shape, u)


def test_a_default_run_does_not_import_scipy_special():
    # the reason these modules exist: scipy.special is a quarter of a second of every run's start-up
    code = ("import sys\nfrom flowsim import load_scenario, simulate, compute_metrics\n"
            "compute_metrics(simulate(load_scenario([]), 0))\n"
            "print('scipy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("shape", [1000.0, 1250.0, 1406.25, 2000.0, 17782.8, 1e5])
def test_gamma_quantile_converges_for_large_shapes(shape):
    # a step below the rounding of x rounded back onto the bracket and was bisected away from a
    # converged answer; for shapes over 1000 it ran out of steps, up to 58 % off (found by a review).
    # A gamma of mean 30 days and sd 0.8 has shape 1406.25.
    # (flowsim's own method, which gammaincinv leaves to SciPy above LARGE_SHAPE)
    u = np.random.default_rng(5).random(800)
    # from shape 1e4 the log of P's scale loses digits to cancellation (about eps a log a): 1e-12 there
    np.testing.assert_allclose([halley(shape, v) for v in u.tolist()], special.gammaincinv(shape, u),
                               rtol=1e-13 if shape <= 2000 else 1e-11, atol=0.0)


def test_gamma_quantile_far_in_the_lower_tail():
    # Wilson-Hilferty starts decades below it, and Halley's steps crept up for 200 steps, 79 % short;
    # the true value (50 digits, mpmath) is 0.24026984545248669
    assert gammaincinv(56.23413251903491, 6.446851542198162e-111) == pytest.approx(0.24026984545248669,
                                                                                    rel=1e-12)


def test_gamma_quantile_of_a_very_large_shape_sums_enough_terms():
    # 10,000 terms stopped the series short for shapes over about 1.4e6; the answer snapped to a + 1.
    # scipy's own is wrong in the far tail there, so the median is checked against its known expansion
    # (a - 1/3 + 8 / (405 a) + ...); P's scale loses about eps a log a to cancellation: 1e-12 here
    shape = 1e7
    assert halley(shape, 0.5) == pytest.approx(shape - 1 / 3 + 8 / (405 * shape), rel=1e-11)


def test_shapes_over_the_large_shape_take_scipys_numbers():
    # there flowsim's series needs hundreds to thousands of terms a step (4 ms a draw at shape 1e6, an sd
    # a thousandth of the mean): SciPy's compiled quantile, the same for one number or an array
    u = np.random.default_rng(6).random(50)
    for shape in (LARGE_SHAPE * (1 + 1e-12), 1406.25, 1e6):
        assert gammaincinv_array(shape, u).tolist() == special.gammaincinv(shape, u).tolist()
        assert [gammaincinv(shape, v) for v in u[:5].tolist()] == special.gammaincinv(shape, u[:5]).tolist()
    assert gammaincinv(LARGE_SHAPE, 0.3) == halley(LARGE_SHAPE, 0.3)
