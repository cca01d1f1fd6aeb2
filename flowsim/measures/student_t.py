"""The Student-t quantile (inverse CDF), for confidence intervals over replications.

A run's confidence intervals, a comparison's Welch intervals (with a fractional number of degrees of
freedom) and a decision's prediction intervals all need ``t`` with ``P(T <= t) = p``. flowsim computes
it itself rather than with ``scipy.special.stdtrit`` because importing ``scipy.special`` costs about a
quarter of a second of CPU, paid before a parallel run's workers fork: the part of the run that two
workers cannot share. Against 50-digit values (degrees of freedom 1 to 1e6, fractional ones among
them, and probabilities 0.55 to 0.9999) it is within 11 units in the last place, median 0.64; SciPy
1.17's ``stdtrit`` is within 62, median 0.71.

The method is Hill's (*Communications of the ACM* 13, 1970, algorithm 396, as R's ``qt`` uses it) for a
first value, then safeguarded Taylor steps on the exact upper tail ``P(T > t) = I_x(df/2, 1/2) / 2``
with ``x = df / (df + t**2)``. The regularised incomplete beta function is its continued fraction where
that converges without cancelling; for ``df >= 30`` and ``x`` near 1, where the fraction loses about
``log10(df)`` digits, DiDonato and Morris's asymptotic series; near the centre, ``P(0 < T < t)`` itself,
so that no side is a difference from 1/2. ``Gamma(a + 1/2) / Gamma(a)`` is its asymptotic series
(recurrence below ``a = 10``), so that no difference of large log-gamma values loses digits. One and
two degrees of freedom have closed forms; so has a tail beyond ``x = 1e-100``, and from ``df = 1e10`` the
expansion of ``t`` about the normal quantile is exact.
"""

from __future__ import annotations

import math
from fractions import Fraction

__all__ = ["t_quantile"]

_SERIES_FROM = 10.0  # Gamma(a + 1/2) / Gamma(a) by its asymptotic series from here (terms to 1e-17)
_MAX_TERMS = 100_000  # of the continued fraction: a guard (where it is used, it converges in tens)
_TINY = 1e-300  # the continued fraction's guard against a zero denominator (modified Lentz)
_LARGE_A = 15.0  # df / 2 from which the tail is an asymptotic series, not the continued fraction
_MAX_SERIES_U = 700.0  # the series' exp(-u) underflows beyond about 745 (tails below 1e-304)
_FAR_LOG_X = -230.0  # log(1e-100): from here on x**a / (2 a B(a, 1/2)) is the tail to the last bit
_NORMAL_EXPANSION_DF = 1e10  # from here, four terms of the expansion in 1/df are exact (z up to 38)
_LOG_MAX = math.log(1.7976931348623157e308)  # the largest float's log


def _series_coefficients() -> tuple[float, ...]:
    """Coefficients of ``log(Gamma(a + 1/2) / Gamma(a)) - log(a) / 2`` in odd powers ``1 / a**n``.

    ``B[n+1] * (2**-n - 2) / (n * (n + 1))`` with Bernoulli numbers ``B``: -1/8, 1/192, -1/640, ...
    """
    bernoulli = {2: Fraction(1, 6), 4: Fraction(-1, 30), 6: Fraction(1, 42), 8: Fraction(-1, 30),
                 10: Fraction(5, 66), 12: Fraction(-691, 2730), 14: Fraction(7, 6),
                 16: Fraction(-3617, 510)}
    return tuple(float(b * (Fraction(1, 2 ** (k - 1)) - 2) / ((k - 1) * k)) for k, b in bernoulli.items())


_COEFFICIENTS = _series_coefficients()


def _series_terms() -> tuple[float, ...]:
    """DiDonato and Morris's ``p_n`` for ``b = 1/2`` (their equation 9.3): constants, made once."""
    odd_factorials = [float(math.factorial(2 * k + 1)) for k in range(30)]  # (2k+1)!
    p = [1.0]
    for n in range(1, len(odd_factorials)):
        p.append(sum((0.5 * m - n) * p[n - m] / odd_factorials[m] for m in range(1, n)) / n
                 - 0.5 / odd_factorials[n])
    return tuple(p)


_SERIES_TERMS = _series_terms()


def _gamma_half_ratio(a: float) -> float:
    """``Gamma(a + 1/2) / Gamma(a)`` for ``a > 0``, to a few parts in 1e16."""
    factor = 1.0
    while a < _SERIES_FROM:  # Gamma(a+1/2)/Gamma(a) = that of a+1, times a / (a + 1/2)
        factor *= a / (a + 0.5)
        a += 1.0
    inverse = 1.0 / a
    inverse_squared = inverse * inverse
    total, power = 0.0, inverse
    for c in _COEFFICIENTS:
        total += c * power
        power *= inverse_squared
    return factor * math.sqrt(a) * math.exp(total)


def _continued_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of ``I_x(a, b)``, by the modified Lentz method; converges for
    ``x < (a + 1) / (a + b + 2)``."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    fraction = d
    for m in range(1, _MAX_TERMS):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1.0) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1.0))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            step = c * d
            fraction *= step
        if abs(step - 1.0) <= 2.0**-53:
            return fraction
    raise ArithmeticError(f"the Student-t tail did not converge (x={x}, a={a})")


def _large_a_series(a: float, ratio: float, log_x: float) -> float:
    """``I_x(a, 1/2)`` for ``a >= _LARGE_A``: DiDonato and Morris's asymptotic series (*ACM TOMS* 18,
    1992, algorithm 708, BGRAT, with ``b = 1/2``), where the continued fraction in ``x`` near 1 loses
    about ``log10(a)`` digits to cancellation."""
    shifted = a - 0.25  # a + (b - 1) / 2
    u = -shifted * log_x
    h = math.sqrt(u / math.pi) * math.exp(-u)  # u**b * exp(-u) / Gamma(b)
    prefix = h * ratio / math.sqrt(shifted)
    j = math.erfc(math.sqrt(u)) / h  # Q(1/2, u) / h
    total = prefix * j
    log_x_half_squared = 0.25 * log_x * log_x
    log_x_power, b2n, four_t2 = 1.0, 0.5, 4.0 * shifted * shifted
    for p_n in _SERIES_TERMS[1:]:
        j = (b2n * (b2n + 1.0) * j + (u + b2n + 1.0) * log_x_power) / four_t2
        log_x_power *= log_x_half_squared
        b2n += 2.0
        term = prefix * p_n * j
        total += term
        if abs(term) <= 2.0**-53 * abs(total):
            return total
    raise ArithmeticError(f"the Student-t tail's series did not converge (a={a}, log x={log_x})")


def _relative_excess(t: float, df: float, ratio: float, tail: float, centre: float) -> float:
    """``P(T > t) / tail - 1`` for ``t >= 0``; ``centre`` is ``1/2 - tail``, ``ratio``
    ``Gamma(df/2 + 1/2) / Gamma(df/2)``.

    ``P(T > t) = I_x(df/2, 1/2) / 2`` with ``x = df / (df + t**2)``. Near the centre it is taken as
    ``1/2 - P(0 < T < t)``, with ``P(0 < T < t) = I_y(1/2, df/2) / 2`` and ``y = 1 - x``, compared with
    ``centre`` (so that neither side is a difference from 1/2). Relative to ``tail``, so that a tail
    near the smallest floats keeps its digits.
    """
    t2 = t * t
    s = df + t2
    x, y = df / s, t2 / s  # x + y = 1, each without the other's rounding
    a = 0.5 * df
    log_x = -math.log1p(t2 / df)  # exact for large df, where x is near 1
    # The series where the fraction in x cancels (x near 1, large a); while exp(-u) is a number
    if a >= _LARGE_A and centre >= 0.25 and x > 0.5 and -a * log_x < _MAX_SERIES_U:
        return 0.5 * _large_a_series(a, ratio, log_x) / tail - 1.0
    # x**a * y**(1/2) / B(a, 1/2), over tail if the fraction in x converges quickly there, else as is
    scaled = x < (a + 1.0) / (a + 2.5)
    power = math.exp(min(a * log_x - (math.log(tail) if scaled else 0.0), _LOG_MAX))
    front = power * (t / math.sqrt(s)) * ratio / math.sqrt(math.pi)
    if scaled:
        return 0.5 * front * _continued_fraction(x, a, 0.5) / a - 1.0
    return (centre - front * _continued_fraction(y, 0.5, a)) / tail  # P(T > t) = 1/2 - I_y(1/2, a) / 2


def _log_density(t: float, df: float, ratio: float) -> float:
    """The log of the Student-t density at ``t``."""
    return -0.5 * (df + 1.0) * math.log1p(t * t / df) + math.log(ratio / math.sqrt(math.pi * df))


def _first_guess(df: float, tail: float) -> float:
    """Hill's approximation to the upper quantile, ``t`` with ``P(T > t) = tail`` (``df > 2``)."""
    two_sided = 2.0 * tail
    a = 1.0 / (df - 0.5)
    b = 48.0 / (a * a)
    c = ((20700.0 * a / b - 98.0) * a / b - 16.0) * a / b + 96.36
    d = ((94.5 / (b + c) - 3.0) / b + 1.0) * math.sqrt(a * math.pi / 2.0) * df
    y = (d * two_sided) ** (2.0 / df)
    if y > 0.05 + a:  # expansion about the normal quantile
        x = -_normal_upper(tail)
        y = x * x
        if df < 5.0:
            c += 0.3 * (df - 4.5) * (x + 0.6)
        c = (((0.05 * d * x - 5.0) * x - 7.0) * x - 2.0) * x + b + c
        y = (((((0.4 * y + 6.3) * y + 36.0) * y + 94.5) / c - y - 3.0) / b + 1.0) * x
        y = math.expm1(a * y * y)
    else:
        y = ((1.0 / (((df + 6.0) / (df * y) - 0.089 * d - 0.822) * (df + 2.0) * 3.0)
              + 0.5 / (df + 4.0)) * y - 1.0) * (df + 1.0) / (df + 2.0) + 1.0 / y
    return math.sqrt(df * y)


def _normal_upper(tail: float) -> float:
    """``z`` with ``P(Z > z) = tail``: Hill's first value, and the quantile itself for infinite ``df``."""
    from flowsim.model.normal_quantile import ndtri

    return -ndtri(tail)


def _cornish_fisher(z: float, df: float) -> float:
    """``t - z`` for ``df`` degrees of freedom, four terms in ``1 / df`` (Abramowitz and Stegun 26.7.5)."""
    z2 = z * z
    g1 = (z2 + 1.0) * z / 4.0
    g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0
    g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0
    g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0
    return (((g4 / df + g3) / df + g2) / df + g1) / df


def _upper_quantile(df: float, tail: float, centre: float) -> float:
    """``t > 0`` with ``P(T > t) = tail``, for ``0 < tail < 1/2``; ``centre`` is ``1/2 - tail``."""
    if df == 1.0:  # Cauchy: tan(pi * centre), taken from whichever of the two is the more exact
        return math.tan(math.pi * centre) if centre < 0.25 else 1.0 / math.tan(math.pi * tail)
    if df == 2.0:
        return 2.0 * centre / math.sqrt(2.0 * tail * (1.0 - tail))
    if df >= _NORMAL_EXPANSION_DF:  # x rounds to 1 near here: t as the normal quantile's expansion
        z = _normal_upper(tail)
        return z + _cornish_fisher(z, df) if math.isfinite(df) else z
    a = 0.5 * df
    ratio = _gamma_half_ratio(a)
    # Far out, P(T > t) = x**a / (2 a B(a, 1/2)) to the last bit (x below 1e-100): solved for x directly
    log_x = (math.log(2.0 * a * math.sqrt(math.pi) / ratio) + math.log(tail)) / a
    if log_x < _FAR_LOG_X:
        log_t = 0.5 * (math.log(df) - log_x)  # t**2 = df * (1 - x) / x
        return math.exp(log_t) if log_t < _LOG_MAX else math.inf
    t = _first_guess(df, tail) if df > 2.0 else 1.0
    low, high = 0.0, math.inf  # the root lies between; the steps stay inside (Newton safeguarded)
    previous = math.inf
    for _ in range(200):
        excess = _relative_excess(t, df, ratio, tail, centre)
        if excess == 0.0:
            return t
        low, high = (t, high) if excess > 0.0 else (low, t)
        # Taylor to second order in the tail (Hill 1981); Newton's step alone is its first term
        step = excess * math.exp(min(math.log(tail) - _log_density(t, df, ratio), _LOG_MAX))
        step *= 1.0 + step * t * (df + 1.0) / (2.0 * (t * t + df))
        if abs(step) <= 1e-15 * t or (abs(step) >= previous and abs(step) <= 1e-13 * t):
            return t + step  # converged, or down to the tail's rounding (steps no longer shrink)
        if not low < t + step < high:  # too far for the tail's curvature: halve the interval instead
            step = (0.5 * (low + high) if high < math.inf else 4.0 * t) - t
            if abs(step) <= 1e-15 * t:
                return t + step
        t += step
        previous = abs(step)
    raise ArithmeticError(f"the Student-t quantile did not converge (df={df}, tail={tail})")


def t_quantile(df: float, p: float) -> float:
    """The Student-t quantile: ``t`` with ``P(T <= t) = p`` for ``df`` degrees of freedom.

    As ``scipy.special.stdtrit(df, p)`` (and ``scipy.stats.t.ppf(p, df)``), to a few units in the last
    place (the module's docstring gives the measured accuracy).

    Parameters
    ----------
    df : float
        Degrees of freedom, any positive number (a Welch interval's are fractional).
    p : float
        A probability.

    Returns
    -------
    float
        -inf at ``p = 0``, inf at ``p = 1``; NaN for ``p`` outside [0, 1] or ``df`` not positive.
    """
    df, p = float(df), float(p)
    if not df > 0.0 or math.isnan(p) or not 0.0 <= p <= 1.0:
        return math.nan
    if p in (0.0, 1.0):
        return -math.inf if p == 0.0 else math.inf
    if p == 0.5:
        return 0.0
    # both exact for p >= 1/2 (the confidence intervals' case)
    tail, centre = (1.0 - p, p - 0.5) if p > 0.5 else (p, 0.5 - p)
    t = _upper_quantile(df, tail, centre)
    return t if p > 0.5 else -t
