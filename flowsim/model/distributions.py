"""Lengths of stay and delays.

Every duration in flowsim (an admin delay, a P2 bed stay, a package length) is a distribution with a
known mean, sampled by inverse transform: ``ppf(u)`` maps a uniform number to a duration. Sampling by
quantile is what makes common random numbers strong: a patient keeps the same uniform number whichever
unit serves them, so in two scenarios the same patient gets a comparable length of stay.

A warm start fills units with patients who are already part-way through their stay. ``residual`` samples
the remaining stay of a patient who has been in for a known time; ``equilibrium_residual`` samples the
remaining stay of a patient seen at a random moment of a steady state, when the elapsed time is unknown.
Both are inverse transforms too, so they keep common random numbers.
"""

from __future__ import annotations

import functools
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from flowsim.model import libm
from flowsim.model.gamma_quantile import gammaincinv, gammaincinv_array
from flowsim.model.normal_quantile import ndtri, ndtri_array

__all__ = [
    "KINDS",
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "Lognormal",
    "Uniform",
    "Weibull",
]

KINDS = ("exponential", "gamma", "lognormal", "weibull", "fixed", "empirical", "uniform")

# Largest conditional quantile ``residual`` asks ppf for: ppf(1) is inf for unbounded kinds.
_U_MAX = 1.0 - 1e-12
_LOG_MAX = 709.0  # math.exp overflows just above 709.78: beyond this, libm.exp answers inf
# Numeric equilibrium table: a geometric grid from the _EQ_HEAD quantile (or _EQ_FLOOR times the top,
# if larger) to the 1 - _EQ_TAIL quantile. Below the start the survival function is within 1e-6 of 1,
# or the stretch holds negligible mass; a tail of 1e-9 would lose 1e-5 of the mean of a lognormal with
# sigma = 2, 1e-12 loses about 2e-7.
_EQ_HEAD = 1e-6
_EQ_FLOOR = 1e-12
_EQ_TAIL = 1e-12
_EQ_POINTS = 20_000


@functools.cache
def _special() -> Any:
    """``scipy.special``, imported when a gamma is first sampled or a CDF evaluated (a warm start), not
    with the model: a quarter of a second of start-up that a default run does without."""
    from scipy import special

    return special


def _shaped(values: Any) -> Any:
    """A float for scalar input and an array otherwise, as ``ppf`` does."""
    values = np.asarray(values, dtype=float)
    return float(values) if values.ndim == 0 else values


def _elapsed_and_u(elapsed: Any, u: Any) -> tuple[np.ndarray, np.ndarray]:
    """Broadcast ``elapsed`` and ``u`` together, rejecting negative or NaN elapsed times."""
    a, u = np.broadcast_arrays(np.asarray(elapsed, dtype=float), np.asarray(u, dtype=float))
    if not np.all(a >= 0):
        raise ValueError("elapsed time must be a number of days >= 0")
    return a, u


class Distribution(ABC):
    """A non-negative duration distribution (days) sampled by inverse transform."""

    kind: str = ""

    @property
    @abstractmethod
    def mean(self) -> float:
        """Expected value in days."""

    @abstractmethod
    def ppf(self, u: Any) -> Any:
        """Quantile function: duration(s) for uniform number(s) ``u`` in [0, 1)."""

    @abstractmethod
    def cdf(self, x: Any) -> Any:
        """Distribution function P(S <= x) for duration(s) ``x`` in days; 0 for ``x < 0``."""

    def sample(self, generator: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` independent values from ``generator``."""
        return np.asarray(self.ppf(generator.random(size)), dtype=float)

    def residual(self, elapsed: Any, u: Any) -> Any:
        """Remaining duration of someone who has already stayed ``elapsed`` days.

        Inverse transform of the conditional law P(S - a <= r | S > a): with ``F`` the cdf,
        ``U' = F(a) + u (1 - F(a))`` and the remaining stay is ``ppf(U') - a``.

        Parameters
        ----------
        elapsed : float or array_like
            Time already spent, days (``a >= 0``).
        u : float or array_like
            Uniform number(s) in [0, 1), broadcast against ``elapsed``.

        Returns
        -------
        float or numpy.ndarray
            Remaining days, ``>= 0``; a float when both inputs are scalars.

        Raises
        ------
        ValueError
            ``elapsed`` is negative or NaN.

        Notes
        -----
        ``U'`` is capped at ``1 - 1e-12`` so that unbounded kinds never return inf: no stay runs past
        that quantile of ``S``, so beyond it (and wherever ``F(a) == 1``: everyone should have left
        already) the remaining stay is 0. Exponential (memoryless: ``ppf(u)`` whatever ``a``) and
        fixed (``max(value - a, 0)``) use exact forms.
        """
        a, u = _elapsed_and_u(elapsed, u)
        f = np.asarray(self.cdf(a), dtype=float)
        target = np.minimum(f + u * (1.0 - f), _U_MAX)
        # Rounding in ppf can land a hair below a; the conditional law has no mass there.
        remaining = np.maximum(np.asarray(self.ppf(target), dtype=float) - a, 0.0)
        return _shaped(np.where(f >= 1.0, 0.0, remaining))

    def equilibrium_residual(self, u: Any) -> Any:
        """Remaining duration of someone seen at a random moment of a steady state.

        Samples the stationary-excess (equilibrium residual) law of renewal theory, density
        ``(1 - F(x)) / E[S]``, by inverse transform. It is also the law of the remaining stay of a
        patient present in a unit at steady state (M/G/infinity), and its mean is
        ``E[S^2] / (2 E[S])``.

        Parameters
        ----------
        u : float or array_like
            Uniform number(s) in [0, 1).

        Returns
        -------
        float or numpy.ndarray
            Remaining days, ``>= 0``.

        Notes
        -----
        Generic kinds invert a table of ``integral_0^x (1 - F)`` built once per instance (cumulative
        trapezoid on a geometric grid of 20,000 points up to the ``1 - 1e-12`` quantile, normalised
        by its total) with linear interpolation: its cdf is within about 1e-7 of exact for ordinary
        lengths of stay, and no sample exceeds the top of the grid. Exponential, fixed and uniform use
        closed forms; empirical an exact table on its observed values.
        """
        levels, grid, _ = self._equilibrium_table()
        return _shaped(np.interp(np.asarray(u, dtype=float), levels, grid))

    def _survival_integral(self) -> tuple[np.ndarray, np.ndarray]:
        """A grid ``x`` from 0 and ``integral_0^x (1 - F)`` on it."""
        high = float(self.ppf(1.0 - _EQ_TAIL))
        # The floor keeps the grid from spanning hundreds of decades when ppf(1e-6) is tiny (gamma shape
        # << 1); a narrow distribution starts at its own 1e-6 quantile and gets all the points.
        low = max(float(self.ppf(_EQ_HEAD)), high * _EQ_FLOOR)
        if not low < high:
            low = high * _EQ_FLOOR
        # Geometric spacing keeps the relative step small both in the bulk and far into the tail.
        grid = np.concatenate(([0.0], np.geomspace(low, high, _EQ_POINTS)))
        from scipy import integrate  # only a warm start needs it; it pulls in scipy.optimize (slow to import)

        survival = 1.0 - np.asarray(self.cdf(grid), dtype=float)
        return grid, integrate.cumulative_trapezoid(survival, grid, initial=0.0)

    def _equilibrium_table(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Cached ``(levels, grid, total)``: the normalised survival integral and its grid.

        ``total`` is the unnormalised integral, which should be close to ``mean``.
        """
        table = self.__dict__.get("_eq_table")
        if table is None:
            grid, integral = self._survival_integral()
            total = float(integral[-1])
            if total > 0:
                # np.interp needs increasing levels; flat stretches (no survivors) carry no mass.
                keep = np.concatenate(([True], np.diff(integral) > 0))
                table = (integral[keep] / total, grid[keep], total)
            else:  # every duration is 0
                table = (np.array([0.0, 1.0]), np.zeros(2), 0.0)
            # Frozen dataclass: bypass its __setattr__, as Empirical does for its sorted values.
            object.__setattr__(self, "_eq_table", table)
        return table


@dataclass(frozen=True)
class Exponential(Distribution):
    """Exponential with the given mean (days)."""

    mean_days: float
    kind = "exponential"

    @property
    def mean(self) -> float:
        return self.mean_days

    def ppf(self, u: Any) -> Any:
        if isinstance(u, float) and u < 1.0:  # the per-patient scalar path: the same number, sooner
            return -self.mean_days * math.log1p(-u)
        # the C library's log1p on each element, as math's above (flowsim.model.libm)
        return -self.mean_days * libm.log1p(-np.asarray(u, dtype=float))

    def cdf(self, x: Any) -> Any:
        return _shaped(-libm.expm1(-np.maximum(np.asarray(x, dtype=float), 0.0) / self.mean_days))

    def residual(self, elapsed: Any, u: Any) -> Any:
        # Memoryless: exact for any elapsed time, where the generic form loses 1 - F(a) to rounding.
        _, u = _elapsed_and_u(elapsed, u)
        return _shaped(self.ppf(u))

    def equilibrium_residual(self, u: Any) -> Any:
        # Memoryless: the stationary excess is the same exponential.
        return _shaped(self.ppf(np.asarray(u, dtype=float)))


@dataclass(frozen=True)
class Gamma(Distribution):
    """Gamma with shape ``k`` and scale ``theta`` (mean ``k * theta``)."""

    shape: float
    scale: float
    kind = "gamma"

    @property
    def mean(self) -> float:
        return self.shape * self.scale

    def ppf(self, u: Any) -> Any:
        # flowsim's own quantile (no scipy.special to import); one patient's is a float, to the bit the
        # same as the element of an array of them
        x = gammaincinv(self.shape, u) if isinstance(u, float) else gammaincinv_array(self.shape, u)
        return x * self.scale

    def cdf(self, x: Any) -> Any:
        x = np.maximum(np.asarray(x, dtype=float), 0.0)
        return _shaped(_special().gammainc(self.shape, x / self.scale))


@dataclass(frozen=True)
class Lognormal(Distribution):
    """Lognormal: ``log(X) ~ Normal(mu, sigma)``."""

    mu: float
    sigma: float
    kind = "lognormal"

    @property
    def mean(self) -> float:
        return math.exp(self.mu + 0.5 * self.sigma**2)

    def ppf(self, u: Any) -> Any:
        # flowsim's own normal quantile and the C library's exp, for one patient (a float) or each element
        # of an array, the same to the bit either way (and no scipy.special to import)
        if isinstance(u, float):  # a patient's stay: most of a run's draws, so straight to math.exp
            log_x = self.mu + self.sigma * ndtri(u)
            return math.exp(log_x) if log_x < _LOG_MAX else libm.exp(log_x)
        return libm.exp(self.mu + self.sigma * ndtri_array(u))

    def cdf(self, x: Any) -> Any:
        with np.errstate(divide="ignore"):  # log(0) = -inf, and ndtr(-inf) = 0
            z = (libm.log(np.maximum(np.asarray(x, dtype=float), 0.0)) - self.mu) / self.sigma
        return _shaped(_special().ndtr(z))


@dataclass(frozen=True)
class Weibull(Distribution):
    """Weibull with ``shape`` k and ``scale`` lambda (days)."""

    shape: float
    scale: float
    kind = "weibull"

    @property
    def mean(self) -> float:
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)

    def ppf(self, u: Any) -> Any:
        negated = -u if isinstance(u, float) else -np.asarray(u, dtype=float)
        return self.scale * libm.power(-libm.log1p(negated), 1.0 / self.shape)

    def cdf(self, x: Any) -> Any:
        scaled = np.maximum(np.asarray(x, dtype=float), 0.0) / self.scale
        return _shaped(-libm.expm1(-libm.power(scaled, self.shape)))


@dataclass(frozen=True)
class Fixed(Distribution):
    """Always the same duration."""

    value: float
    kind = "fixed"

    @property
    def mean(self) -> float:
        return self.value

    def ppf(self, u: Any) -> Any:
        if isinstance(u, float):  # the per-patient scalar path: skip numpy
            return self.value
        return np.full(np.shape(u), self.value) if np.ndim(u) else self.value

    def cdf(self, x: Any) -> Any:
        return _shaped(np.asarray(x, dtype=float) >= self.value)

    def residual(self, elapsed: Any, u: Any) -> Any:
        a, _ = _elapsed_and_u(elapsed, u)
        return _shaped(np.maximum(self.value - a, 0.0))

    def equilibrium_residual(self, u: Any) -> Any:
        # Survival is 1 up to the value, so the stationary excess is uniform on [0, value].
        return _shaped(self.value * np.asarray(u, dtype=float))


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform between ``low`` and ``high`` days."""

    low: float
    high: float
    kind = "uniform"

    @property
    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    def ppf(self, u: Any) -> Any:
        if isinstance(u, float):  # the per-patient scalar path: the same number without numpy's overhead
            return self.low + (self.high - self.low) * u
        return self.low + (self.high - self.low) * np.asarray(u)

    def cdf(self, x: Any) -> Any:
        x = np.asarray(x, dtype=float)
        if self.high == self.low:  # a point mass, allowed by the config
            return _shaped(x >= self.low)
        return _shaped(np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0))

    def equilibrium_residual(self, u: Any) -> Any:
        # integral_0^x (1 - F) is x up to low, then low + t - t^2 / (2 width) with t = x - low;
        # set it to u * mean and solve the quadratic for t.
        reached = self.mean * np.asarray(u, dtype=float)
        width = self.high - self.low
        if width == 0:
            return _shaped(reached)
        y = 2.0 * np.maximum(reached - self.low, 0.0) / width
        # width * (1 - sqrt(1 - y)), written to avoid cancellation when y is small.
        t = width * y / (1.0 + np.sqrt(np.maximum(1.0 - y, 0.0)))
        return _shaped(np.where(reached <= self.low, reached, self.low + t))


@dataclass(frozen=True)
class Empirical(Distribution):
    """Resamples observed durations, each with equal probability."""

    values: tuple[float, ...]
    kind = "empirical"

    def __post_init__(self) -> None:
        # Sorted once here; ppf is called per patient.
        object.__setattr__(self, "_ordered", np.sort(np.asarray(self.values, dtype=float)))

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    def ppf(self, u: Any) -> Any:
        ordered = self._ordered
        index = np.minimum((np.asarray(u) * len(ordered)).astype(int), len(ordered) - 1)
        return ordered[index]

    def cdf(self, x: Any) -> Any:
        ordered = self._ordered
        return _shaped(np.searchsorted(ordered, np.asarray(x, dtype=float), side="right") / len(ordered))

    def _survival_integral(self) -> tuple[np.ndarray, np.ndarray]:
        # The survival function is a step function, constant between observed values, so on the knots
        # a left Riemann sum is exact and linear interpolation inverts the integral exactly.
        knots = np.concatenate(([0.0], np.unique(self._ordered)))
        survival = 1.0 - np.asarray(self.cdf(knots[:-1]), dtype=float)
        return knots, np.concatenate(([0.0], np.cumsum(survival * np.diff(knots))))
