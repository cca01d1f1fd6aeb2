"""The standard normal quantile (inverse CDF), for one number or an array, the same to the bit.

A lognormal stay is ``exp(mu + sigma * z)`` with ``z`` the normal quantile of the patient's uniform
number. This is Wichura's algorithm AS241 (PPND16, *Applied Statistics* 37, 1988): rational functions
in three ranges, relative error about 1e-16, the algorithm Python's :class:`statistics.NormalDist` uses.
flowsim computes it itself rather than with ``scipy.special.ndtri`` (which agrees to a few parts in
1e16) because importing ``scipy.special`` costs a quarter of a second of every run's start-up, and a
default run needs nothing else from it.

One patient's quantile is Python float arithmetic; an array's applies the same operations in the same
order with numpy (IEEE arithmetic, rounded the same way) and takes its logarithm from the C library
element by element (:mod:`flowsim.model.libm`), so a patient drawn alone and the same patient drawn in
bulk get the same number.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from flowsim.model import libm

__all__ = ["ndtri", "ndtri_array"]

_CENTRAL = 0.425  # |p - 0.5| up to this: the central rational function in (p - 0.5)**2
_NEAR_TAIL = 5.0  # sqrt(-log(tail probability)) up to this (p down to about 1.4e-11): the near-tail one


def _horner(coefficients: Sequence[float]) -> Callable[[Any], Any]:
    """The degree-7 polynomial with ``coefficients`` (constant term first) in Horner form.

    Written out, not looped, so that one float costs a single call; the same expression serves floats
    and arrays, which is what keeps their results identical.
    """
    c0, c1, c2, c3, c4, c5, c6, c7 = coefficients
    return lambda r: ((((((c7 * r + c6) * r + c5) * r + c4) * r + c3) * r + c2) * r + c1) * r + c0


# AS241's coefficients (constant term first): numerator and denominator of each range
_CENTRAL_NUM = _horner((3.387132872796366608, 133.14166789178437745, 1971.5909503065514427,
                        13731.693765509461125, 45921.953931549871457, 67265.770927008700853,
                        33430.575583588128105, 2509.0809287301226727))
_CENTRAL_DEN = _horner((1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
                        21213.794301586595867, 39307.89580009271061, 28729.085735721942674,
                        5226.495278852854561))
_NEAR_NUM = _horner((1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055,
                     3.64784832476320460504, 1.27045825245236838258, 0.24178072517745061177,
                     0.0227238449892691845833, 7.7454501427834140764e-4))
_NEAR_DEN = _horner((1.0, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455,
                     0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4,
                     1.05075007164441684324e-9))
_FAR_NUM = _horner((6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358,
                    0.29656057182850489123, 0.026532189526576123093, 0.0012426609473880784386,
                    2.71155556874348757815e-5, 2.01033439929228813265e-7))
_FAR_DEN = _horner((1.0, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
                    7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7,
                    2.04426310338993978564e-15))


def ndtri(p: float) -> float:
    """The standard normal quantile of one probability ``p``.

    Parameters
    ----------
    p : float
        A probability.

    Returns
    -------
    float
        ``z`` with ``P(Z <= z) = p``: -inf at 0, inf at 1, NaN outside [0, 1] (as ``scipy.special.ndtri``).
    """
    if not 0.0 < p < 1.0:
        return -math.inf if p == 0.0 else math.inf if p == 1.0 else math.nan
    q = p - 0.5
    if abs(q) <= _CENTRAL:
        r = 0.180625 - q * q
        return _CENTRAL_NUM(r) * q / _CENTRAL_DEN(r)
    r = math.sqrt(-math.log(p if q <= 0.0 else 1.0 - p))
    if r <= _NEAR_TAIL:
        r = r - 1.6
        x = _NEAR_NUM(r) / _NEAR_DEN(r)
    else:
        r = r - 5.0
        x = _FAR_NUM(r) / _FAR_DEN(r)
    return -x if q < 0.0 else x


def ndtri_array(p: Any) -> np.ndarray:
    """The standard normal quantile of each element of ``p``: each element's :func:`ndtri`, to the bit.

    Parameters
    ----------
    p : array_like
        Probabilities, any shape.

    Returns
    -------
    numpy.ndarray
        Floats of ``p``'s shape.
    """
    p = np.asarray(p, dtype=float)
    out = np.empty(p.shape)
    q = p - 0.5
    inside = (p > 0.0) & (p < 1.0)
    central = inside & (np.abs(q) <= _CENTRAL)
    qc = q[central]
    r = 0.180625 - qc * qc
    out[central] = _CENTRAL_NUM(r) * qc / _CENTRAL_DEN(r)

    tails = inside & ~central
    qt = q[tails]
    r = np.sqrt(-libm.log(np.where(qt <= 0.0, p[tails], 1.0 - p[tails])))
    near = r <= _NEAR_TAIL
    x = np.empty(r.shape)
    rn = r[near] - 1.6
    x[near] = _NEAR_NUM(rn) / _NEAR_DEN(rn)
    rf = r[~near] - 5.0
    x[~near] = _FAR_NUM(rf) / _FAR_DEN(rf)
    out[tails] = np.where(qt < 0.0, -x, x)

    out[~inside] = np.where(p[~inside] == 0.0, -np.inf, np.where(p[~inside] == 1.0, np.inf, np.nan))
    return out
