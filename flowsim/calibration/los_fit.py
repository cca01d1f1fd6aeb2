"""Length-of-stay distributions fitted by maximum likelihood with right-censoring, ranked by AIC.

A stay still open at the extract date is *right-censored*: all we know is that it lasts longer than
the time seen so far. Dropping open stays, or treating them as ended at the extract date, keeps the
short stays and loses the long ones, so both bias the mean down. The censored log-likelihood counts
a completed stay by its density and an open stay by its survival probability,
``sum(log f(t_done)) + sum(log S(t_open))``, which is unbiased when the extract date is unrelated to
how long a stay will last (stays start at random times before it).

Four families are fitted, the ones a flowsim unit can use: exponential (closed form), gamma,
lognormal and Weibull (numerical optimisation over log-parameters, Nelder–Mead). They are ranked by
AIC, ``2k - 2 log L`` (``k`` parameters), smallest first. A censoring-aware goodness-of-fit statistic
is given for each: the largest vertical distance between the Kaplan–Meier estimate of the stay
distribution and the fitted CDF, up to the longest stay observed (the KS distance with Kaplan–Meier in
place of the empirical CDF). It has no simple p-value once parameters are fitted and stays censored;
read it as a distance (0.02 is close, 0.1 is visibly off).

Confidence intervals come from the observed information: the inverse Hessian of the negative
log-likelihood in the fitting parameters (log-scale for positive ones), carried to the reported
parameters by the delta method on their log (mu of a lognormal: on its own scale).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import optimize, stats

from flowsim.calibration.estimate import Z95
from flowsim.model import libm
from flowsim.model.distribution_config import distribution_from_config
from flowsim.model.distributions import Distribution
from flowsim.model.errors import ConfigError

__all__ = ["FAMILIES", "LosFit", "fit_family", "fit_los", "kaplan_meier", "km_distance"]

FAMILIES = ("exponential", "gamma", "lognormal", "weibull")
# Config parameters of each family, as flowsim's distribution config takes them.
CONFIG_KEYS = {"exponential": ("mean",), "gamma": ("mean", "sd"), "lognormal": ("mu", "sigma"),
               "weibull": ("shape", "scale")}


@dataclass(frozen=True)
class LosFit:
    """One family fitted to one unit's stays.

    Attributes
    ----------
    family : str
        ``exponential``, ``gamma``, ``lognormal`` or ``weibull``.
    params : dict of str to float
        Reported parameters in days: ``mean`` and, except for the exponential, ``sd``; also the
        family's own (``shape``/``scale``, ``mu``/``sigma``).
    ci : dict of str to (float, float)
        95 % confidence interval of each reported parameter (NaN when the information is singular).
    log_likelihood, aic : float
        Maximised censored log-likelihood and ``2k - 2 log L``.
    delta_aic : float
        AIC minus the best AIC among the families fitted together (0 for the best).
    km_ks : float
        Largest distance between the Kaplan–Meier CDF and the fitted CDF.
    n, n_censored : int
        Stays fitted, of which still open at the extract date.
    """

    family: str
    params: dict[str, float]
    ci: dict[str, tuple[float, float]]
    log_likelihood: float
    aic: float
    n: int
    n_censored: int
    km_ks: float = float("nan")
    delta_aic: float = 0.0
    converged: bool = True
    notes: tuple[str, ...] = field(default=())

    @property
    def config(self) -> dict[str, float | str]:
        """The flowsim ``los_days`` mapping, e.g. ``{"kind": "gamma", "mean": 30.1, "sd": 15.2}``."""
        return {"kind": self.family, **{k: self.params[k] for k in CONFIG_KEYS[self.family]}}

    def distribution(self) -> Distribution:
        """The fitted law as the model samples it (checked against flowsim's limits).

        Raises
        ------
        ConfigError
            If the fitted parameters are outside what a flowsim config accepts.
        """
        return distribution_from_config(self.config, f"{self.family} fit")

    def frozen(self) -> stats.rv_continuous:
        """The fitted law as a frozen :mod:`scipy.stats` distribution (pdf, cdf, sf, ppf)."""
        return _frozen(self.family, self.params)


def _law(family: str, p: dict[str, float]) -> tuple[stats.rv_continuous, tuple[float, ...], float]:
    """The family's :mod:`scipy.stats` distribution, its shape arguments and its scale."""
    if family == "exponential":
        return stats.expon, (), p["mean"]
    if family == "gamma":
        return stats.gamma, (p["shape"],), p["scale"]
    if family == "lognormal":
        return stats.lognorm, (p["sigma"],), math.exp(p["mu"])
    return stats.weibull_min, (p["shape"],), p["scale"]


def _frozen(family: str, p: dict[str, float]):
    """The family's law with ``p``, frozen (for the few calls that want one object)."""
    law, shapes, scale = _law(family, p)
    return law(*shapes, scale=scale)


# Each family: (fitting parameters theta -> reported parameters), theta holds logs of positive values.
def _reported(family: str, theta: np.ndarray) -> dict[str, float]:
    a, b = (float(theta[0]), float(theta[1])) if theta.size == 2 else (float(theta[0]), 0.0)
    if family == "exponential":
        return {"mean": math.exp(a)}
    if family == "gamma":
        shape, scale = math.exp(a), math.exp(b)
        return {"shape": shape, "scale": scale, "mean": shape * scale, "sd": math.sqrt(shape) * scale}
    if family == "lognormal":
        sigma = math.exp(b)
        mean = math.exp(a + sigma**2 / 2)
        return {"mu": a, "sigma": sigma, "mean": mean, "sd": mean * math.sqrt(math.expm1(sigma**2))}
    shape, scale = math.exp(a), math.exp(b)
    mean = scale * math.gamma(1 + 1 / shape)
    return {"shape": shape, "scale": scale, "mean": mean,
            "sd": scale * math.sqrt(max(math.gamma(1 + 2 / shape) - math.gamma(1 + 1 / shape) ** 2, 0.0))}


def _negative_log_likelihood(family: str, done: np.ndarray, open_: np.ndarray
                             ) -> Callable[[np.ndarray], float]:
    def nll(theta: np.ndarray) -> float:
        # the distribution's own methods, not a frozen one: freezing builds its docstring, which took
        # 70 % of a fit's time (the same numbers: a frozen law calls these with its arguments)
        law, shapes, scale = _law(family, _reported(family, np.asarray(theta, dtype=float)))
        value = -(np.sum(law.logpdf(done, *shapes, scale=scale))
                  + np.sum(law.logsf(open_, *shapes, scale=scale)))
        return float(value) if np.isfinite(value) else 1e300  # outside the support: reject the step

    return nll


def _start(family: str, done: np.ndarray, open_: np.ndarray) -> np.ndarray:
    """Starting values from all stays as if complete (moments, or moments of the logs)."""
    t = np.concatenate([done, open_])
    t = t[t > 0]
    logs = np.log(t)
    if family == "gamma":
        mean, var = t.mean(), max(t.var(), 1e-6 * t.mean() ** 2)
        return np.log([mean**2 / var, var / mean])
    if family == "lognormal":
        return np.array([logs.mean(), math.log(max(logs.std(), 1e-3))])
    # Weibull: log T is Gumbel with sd pi / (sqrt(6) k) and mean log(scale) - 0.5772 / k.
    shape = math.pi / (math.sqrt(6) * max(logs.std(), 1e-3))
    return np.array([math.log(shape), logs.mean() + 0.5772 / shape])


def _hessian(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Central finite-difference Hessian (two or one parameters: a handful of evaluations)."""
    n = x.size
    h = 1e-4 * np.maximum(1.0, np.abs(x))
    out = np.empty((n, n))
    f0 = f(x)
    for i in range(n):
        e_i = np.zeros(n)
        e_i[i] = h[i]
        out[i, i] = (f(x + e_i) - 2 * f0 + f(x - e_i)) / h[i] ** 2
        for j in range(i):
            e_j = np.zeros(n)
            e_j[j] = h[j]
            out[i, j] = out[j, i] = (f(x + e_i + e_j) - f(x + e_i - e_j) - f(x - e_i + e_j)
                                     + f(x - e_i - e_j)) / (4 * h[i] * h[j])
    return out


def _intervals(family: str, theta: np.ndarray, covariance: np.ndarray | None
               ) -> dict[str, tuple[float, float]]:
    """Delta-method 95 % CIs of the reported parameters (on the log scale of positive ones)."""
    centre = _reported(family, theta)
    if covariance is None:
        return {k: (math.nan, math.nan) for k in centre}
    out = {}
    for key, value in centre.items():
        on_log = key != "mu"  # every reported value but mu is positive

        def g(t: np.ndarray, key: str = key, on_log: bool = on_log) -> float:
            v = _reported(family, t)[key]
            if on_log and not v > 0:  # a spread of 0 (stays all alike): no interval on the log scale
                return math.nan
            return math.log(v) if on_log else v

        grad = np.empty(theta.size)
        for i in range(theta.size):
            step = np.zeros(theta.size)
            step[i] = 1e-6 * max(1.0, abs(theta[i]))
            grad[i] = (g(theta + step) - g(theta - step)) / (2 * step[i])
        variance = float(grad @ covariance @ grad)
        if not math.isfinite(variance) or (on_log and not value > 0):
            out[key] = (math.nan, math.nan)
            continue
        half = Z95 * math.sqrt(max(variance, 0.0))
        centre_t = math.log(value) if on_log else value
        low, high = centre_t - half, centre_t + half
        # libm.exp: inf past the largest float (an interval without an end), where math.exp raises
        out[key] = (libm.exp(low), libm.exp(high)) if on_log else (low, high)
    return out


def fit_family(family: str, durations_days: np.ndarray, censored: np.ndarray) -> LosFit:
    """Fit one family by censored maximum likelihood.

    Parameters
    ----------
    family : str
        One of :data:`FAMILIES`.
    durations_days : numpy.ndarray
        Length of each stay in days: to its end, or (open stays) to the extract date. Completed stays
        must be > 0; open stays of 0 days carry no information and are ignored.
    censored : numpy.ndarray of bool
        True where the stay was still open at the extract date.

    Returns
    -------
    LosFit
        With ``km_ks`` filled in and ``delta_aic`` 0 (see :func:`fit_los` for the ranking).

    Raises
    ------
    ValueError
        Unknown family, a completed stay of 0 days or less, or no completed stay.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; use one of {FAMILIES}")
    t = np.asarray(durations_days, dtype=float)
    c = np.asarray(censored, dtype=bool)
    done, open_ = t[~c], t[c & (t > 0)]
    if done.size == 0:
        raise ValueError("no completed stay: nothing to fit")
    if not np.all(done > 0):
        raise ValueError("completed stays must last more than 0 days")
    n, n_open = int(done.size + open_.size), int(open_.size)
    if family == "exponential":
        # Closed form: total time at risk over the number of completed stays; var(log mean) = 1/d.
        theta = np.array([math.log((done.sum() + open_.sum()) / done.size)])
        covariance: np.ndarray | None = np.array([[1.0 / done.size]])
        nll = _negative_log_likelihood(family, done, open_)
        converged = True
    else:
        nll = _negative_log_likelihood(family, done, open_)
        result = optimize.minimize(nll, _start(family, done, open_), method="Nelder-Mead",
                                   options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000})
        theta, converged = result.x, bool(result.success)
        try:
            covariance = np.linalg.inv(_hessian(nll, theta))
            if not np.all(np.isfinite(covariance)) or np.any(np.diag(covariance) < 0):
                covariance = None
        except np.linalg.LinAlgError:
            covariance = None
    log_l = -nll(theta)
    k = theta.size
    fit = LosFit(family=family, params=_reported(family, theta), ci=_intervals(family, theta, covariance),
                 log_likelihood=log_l, aic=2 * k - 2 * log_l, n=n, n_censored=n_open, converged=converged)
    times, survival = kaplan_meier(np.concatenate([done, open_]),
                                   np.concatenate([np.zeros(done.size, bool), np.ones(open_.size, bool)]))
    return replace(fit, km_ks=km_distance(fit, times, survival))


def fit_los(durations_days: np.ndarray, censored: np.ndarray,
            families: tuple[str, ...] = FAMILIES) -> list[LosFit]:
    """Fit every family and rank by AIC (best first), with ``delta_aic`` from the best.

    A family whose fit is outside flowsim's limits (e.g. a lognormal sigma above 5) is still listed,
    with a note, but ranked after those the model can use.

    Parameters
    ----------
    durations_days, censored : numpy.ndarray
        As for :func:`fit_family`.
    families : tuple of str
        Which families to fit (default all four).

    Returns
    -------
    list of LosFit
    """
    fits = []
    for family in families:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # stays all alike overflow the
            fit = fit_family(family, durations_days, censored)  # shapes: outside the limits, noted below
        try:
            fit.distribution()
        except ConfigError as error:
            fit = replace(fit, notes=(*fit.notes, f"outside flowsim's limits: {error.problem}"))
        fits.append(fit)
    best = min(f.aic for f in fits)
    fits = [replace(f, delta_aic=f.aic - best) for f in fits]
    return sorted(fits, key=lambda f: (bool(f.notes), f.aic))


def kaplan_meier(durations_days: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier estimate of P(stay > t).

    At a time where stays end and others are censored, the censored ones count as still at risk
    (the usual convention: censoring just after the events).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The distinct times of completed stays, increasing, and the survival just after each.
    """
    t = np.asarray(durations_days, dtype=float)
    c = np.asarray(censored, dtype=bool)
    times = np.unique(t[~c])
    ordered = np.sort(t)
    at_risk = ordered.size - np.searchsorted(ordered, times, side="left")
    ended = np.searchsorted(np.sort(t[~c]), times, side="right") - np.searchsorted(
        np.sort(t[~c]), times, side="left")
    return times, np.cumprod(1.0 - ended / at_risk)


def km_distance(fit: LosFit, times: np.ndarray, survival: np.ndarray) -> float:
    """Largest |Kaplan–Meier CDF - fitted CDF| over the observed range (both sides of each step)."""
    if times.size == 0:
        return math.nan
    cdf = fit.frozen().cdf(times)
    after = 1.0 - survival
    before = np.concatenate([[0.0], after[:-1]])
    return float(max(np.max(np.abs(after - cdf)), np.max(np.abs(before - cdf))))
