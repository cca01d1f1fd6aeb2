"""The gamma quantile (inverse of the regularised lower incomplete gamma function), in plain Python.

A gamma duration with shape ``a`` and scale ``s`` is ``s * x`` where ``P(a, x) = u``, the patient's
uniform number. flowsim solves that equation itself rather than with ``scipy.special.gammaincinv``
because importing ``scipy.special`` costs a large share of a run's start-up (see
:mod:`flowsim.model.normal_quantile`), and gamma durations are few (a housing fix, a reablement stay),
so a few microseconds each in Python cost nothing that matters.

Method: ``P`` by its power series below ``a + 1`` and ``Q = 1 - P`` by its continued fraction above
(evaluated by the modified Lentz method), each where it converges fast and keeps its precision; then
Halley's iteration from the Wilson-Hilferty approximation or the small-``x`` series' leading term
(whichever is larger: the second is never above the quantile), kept inside a bracket that shrinks with
every step, so it converges whatever the start; it stops once a step is below the rounding of ``x``.
Below the median it solves ``P(a, x) = u``, above it ``Q(a, x) = 1 - u`` (exact there), so upper
quantiles keep their relative precision. Agreement with SciPy: a few parts in 1e14 or better for shapes
0.05 to 2000; about 1e-12 for shapes of 1e4 to 1e7, where the scale of ``P`` loses digits to
cancellation. A draw costs 15-45 microseconds for shapes 1 to 100 (SciPy's: under 2): nothing next to
the quarter of a second SciPy's import costs when gammas are drawn for housing fixes or a unit's stays,
but a gamma drawn for every patient (a P0 delay, a clinical stay) adds about a second a year of the
default system. Shapes over :data:`LARGE_SHAPE` use SciPy's.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from flowsim.model.normal_quantile import ndtri

__all__ = ["LARGE_SHAPE", "gammaincinv", "gammaincinv_array", "halley"]

# Above this shape (an sd under a tenth of the mean) the series needs about sqrt(72 a) terms a step and a
# draw takes 0.05 ms to 4 ms (shape 1e6), so SciPy's compiled one is used there, imported then; a shape
# decides it, so a given shape and uniform number always give the same duration.
LARGE_SHAPE = 100.0
_EPS = sys.float_info.epsilon
_TINY = 1e-300  # keeps Lentz's recurrences off zero
_MIN_TERMS = 10_000  # series or continued-fraction terms; near x = a the series needs about sqrt(72 a)
_MAX_STEPS = 200  # Halley steps; a bisection every few at worst, so far more than ever needed


def _log_prefactor(a: float, x: float) -> float:
    """``log(x**a * exp(-x) / Gamma(a))``: the scale of both ``P`` and ``Q``."""
    return a * math.log(x) - x - math.lgamma(a)


def _terms(a: float) -> int:
    """How many terms a series or continued fraction may take: enough for any shape (1e7 needs 24,000)."""
    return max(_MIN_TERMS, int(10.0 * math.sqrt(a)))


def _lower_series(a: float, x: float) -> float:
    """``P(a, x)`` by its power series (fast for ``x < a + 1``)."""
    term = total = 1.0 / a
    n = a
    for _ in range(_terms(a)):
        n += 1.0
        term *= x / n
        total += term
        if term < total * _EPS:
            break
    return total * math.exp(_log_prefactor(a, x))


def _upper_fraction(a: float, x: float) -> float:
    """``Q(a, x)`` by its continued fraction (fast for ``x >= a + 1``), modified Lentz."""
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _terms(a)):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h * math.exp(_log_prefactor(a, x))


def _start(a: float, u: float) -> float:
    """A first guess at the quantile: Wilson-Hilferty, or the small-``x`` series' leading term."""
    # P(a, x) <= x**a / Gamma(a + 1), so this is never above the quantile (and close to it for small x)
    small_x = math.exp((math.log(u) + math.lgamma(a + 1.0)) / a)
    if a >= 1.0:
        root = 1.0 - 1.0 / (9.0 * a) + ndtri(u) / (3.0 * math.sqrt(a))
        # Wilson-Hilferty can start decades below a deep lower quantile, where Halley's steps creep up
        return max(a * root**3, small_x) if root > 0.0 else small_x
    if small_x < 1.0:
        return small_x
    return max(-math.log1p(-u), _EPS)  # the exponential's quantile: a shape near 1, upper quantiles


def gammaincinv(a: float, u: float) -> float:
    """``x`` with ``P(a, x) = u``: the quantile ``u`` of a gamma with shape ``a`` and scale 1.

    Parameters
    ----------
    a : float
        Shape, above 0.
    u : float
        A probability.

    Returns
    -------
    float
        0 at ``u = 0``, inf at 1, NaN outside [0, 1] or for a shape that is not above 0.
    """
    if not (a > 0.0 and math.isfinite(a)) or not 0.0 <= u <= 1.0:
        return math.nan
    if u == 0.0 or u == 1.0:
        return 0.0 if u == 0.0 else math.inf
    return _scipy_gammaincinv(a, u) if a > LARGE_SHAPE else halley(a, u)


def halley(a: float, u: float) -> float:
    """flowsim's own solution of ``P(a, x) = u`` (what :func:`gammaincinv` uses up to :data:`LARGE_SHAPE`).

    Parameters
    ----------
    a : float
        Shape, above 0 and finite (any size: past :data:`LARGE_SHAPE` it is slow, not wrong).
    u : float
        A probability strictly between 0 and 1 (:func:`gammaincinv` answers the edges).

    Returns
    -------
    float
        The quantile, 0 where it underflows.
    """
    below_median = u <= 0.5
    complement = 1.0 - u  # exact above 0.5
    low, high = 0.0, math.inf
    x = _start(a, u)
    if x <= 0.0:  # the quantile underflows
        return 0.0
    for _ in range(_MAX_STEPS):
        if x < a + 1.0:
            lower = _lower_series(a, x)
            excess = lower - u if below_median else complement - (1.0 - lower)
        else:
            upper = _upper_fraction(a, x)
            excess = (1.0 - upper) - u if below_median else complement - upper
        if excess == 0.0:
            return x
        if excess > 0.0:
            high = x
        else:
            low = x
        density = math.exp(_log_prefactor(a, x)) / x
        if density == 0.0 or not math.isfinite(density):
            step = math.nan
        else:
            newton = excess / density
            bend = 0.5 * newton * ((a - 1.0) / x - 1.0)  # Halley's correction, from the density's slope
            step = newton / (1.0 - bend) if bend < 0.5 else newton
        following = x - step
        if abs(step) <= 2.0 * _EPS * x:
            # converged: x - step may round back to x itself, which is on the bracket: not to be bisected
            return following
        if not low < following < high:  # off the bracket: halve it (geometrically while unbounded above)
            following = 2.0 * x if high == math.inf else (
                math.sqrt(low * high) if low > 0.0 and high / low > 4.0 else 0.5 * (low + high))
        if abs(following - x) <= 2.0 * _EPS * following:
            return following
        x = following
    return x


def _scipy_gammaincinv(a: float, u: float) -> float:
    from scipy import special  # only for shapes over LARGE_SHAPE: most runs never import it

    return float(special.gammaincinv(a, u))


def gammaincinv_array(a: float, u: Any) -> np.ndarray:
    """:func:`gammaincinv` of each element of ``u`` (any shape), each element's own number to the bit."""
    values = np.asarray(u, dtype=float)
    flat = [gammaincinv(a, value) for value in values.ravel().tolist()]
    return np.array(flat, dtype=float).reshape(values.shape)
