"""Building a validated :class:`~flowsim.model.distributions.Distribution` from a config mapping.

Every duration in a config is ``{kind: ..., <parameters>}``; a wrong kind, a missing or extra
parameter, or a value out of range is a :class:`~flowsim.model.errors.ConfigError` naming the field.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from flowsim.model.bounds import (
    MAX_CV,
    MAX_DURATION_DAYS,
    MAX_EMPIRICAL_VALUES,
    MAX_LOGNORMAL_SIGMA,
    MAX_WEIBULL_SHAPE,
    MIN_CV,
    MIN_DURATION_DAYS,
    MIN_LOGNORMAL_SIGMA,
    MIN_WEIBULL_SHAPE,
)
from flowsim.model.distributions import (
    KINDS,
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Uniform,
    Weibull,
)
from flowsim.model.errors import ConfigError
from flowsim.model.strict import use_one_of
from flowsim.model.validate import fmt

__all__ = ["distribution_from_config", "given_distribution"]


def _number(spec: Mapping[str, Any], key: str, field: str, low: float = MIN_DURATION_DAYS,
            high: float = MAX_DURATION_DAYS, *, open_low: bool = False) -> float:
    """Parameter ``key`` as a finite number within [low, high] (or (low, high] with ``open_low``)."""
    value = spec.get(key)
    if value is None:
        raise ConfigError(f"{field}.{key}", "is missing", f"give {field}.{key} a number")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{field}.{key}", f"must be a number, got {value!r}",
                          f"set {field}.{key} to a number")
    number = float(value)
    above = low < number if open_low else low <= number
    if not (math.isfinite(number) and above and number <= high):
        bound = f"{'>' if open_low else '>='} {fmt(low)}"
        bound += "" if high == math.inf else f" and <= {fmt(high)}"
        raise ConfigError(f"{field}.{key}", f"must be a finite number {bound}, got {value!r}",
                          f"set {field}.{key} to a number {bound}")
    return number


def _spread(mean: float, sd: float, field: str) -> None:
    """Refuse an sd outside [MIN_CV, MAX_CV] times the mean (quantiles lose precision beyond)."""
    if not MIN_CV * mean <= sd <= MAX_CV * mean:
        raise ConfigError(f"{field}.sd", f"({sd:g}) must be between {MIN_CV:g} and {MAX_CV:g} times the "
                          f"mean ({mean:g})",
                          f"give an sd of at least {fmt(MIN_CV * mean)}, or use kind=fixed for a constant "
                          "duration" if sd < MIN_CV * mean else f"give an sd of at most {fmt(MAX_CV * mean)}")


def _mean_in_range(mean: float, field: str) -> None:
    if not MIN_DURATION_DAYS <= mean <= MAX_DURATION_DAYS:
        raise ConfigError(field, f"has a mean of {mean:.3g} days, outside {fmt(MIN_DURATION_DAYS)} to "
                          f"{fmt(MAX_DURATION_DAYS)}", "choose parameters with a plausible mean duration")


def given_distribution(spec: Any) -> bool:
    """Whether ``spec`` sets anything (a kind or a parameter), rather than leaving a duration unset.

    Optional durations (outbreak lengths while there are no outbreaks, the acute stay while the acute
    pool is off) are checked only when given.
    """
    if spec is None:
        return False
    return not isinstance(spec, Mapping) or any(v not in (None, "???") for v in spec.values())


def distribution_from_config(spec: Mapping[str, Any] | None, field: str) -> Distribution:
    """Build and validate a distribution from a config mapping.

    Parameters
    ----------
    spec : Mapping
        ``{"kind": ..., <parameters>}``. Parameters by kind: exponential ``mean``; gamma ``mean`` and
        ``sd``; lognormal ``mean`` and ``sd``, or ``mu`` and ``sigma``; weibull ``shape`` and
        ``scale``; fixed ``value``; empirical ``values`` (a list); uniform ``low`` and ``high``.
        Unused parameters must be absent or null. Durations lie within
        [``bounds.MIN_DURATION_DAYS``, ``bounds.MAX_DURATION_DAYS``] (0 allowed for fixed, uniform
        and empirical), gamma and lognormal sd within [0.001, 10] times the mean, lognormal sigma
        within [0.001, 5], Weibull shape within [0.1, 100].
    field : str
        Dotted config path, used in error messages.

    Returns
    -------
    Distribution

    Raises
    ------
    ConfigError
        Unknown kind, missing, extra or out-of-range parameter.
    """
    if spec is None:
        raise ConfigError(field, "is missing", f"give {field} a kind and its parameters")
    if not isinstance(spec, Mapping):
        raise ConfigError(field, f"must be a mapping such as {{kind: exponential, mean: 10}}, got {spec!r}",
                          f"give {field} a kind and its parameters")
    kind = spec.get("kind")
    if kind is None or kind == "???":  # omegaconf's MISSING
        raise ConfigError(f"{field}.kind", "is missing", f"give {field} a kind: {', '.join(KINDS)}")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ConfigError(f"{field}.kind", f"unknown distribution {kind!r}", use_one_of(kind, KINDS))
    given = {k for k, v in spec.items() if v is not None and k != "kind"}
    needs = {
        "exponential": [{"mean"}],
        "gamma": [{"mean", "sd"}],
        "lognormal": [{"mean", "sd"}, {"mu", "sigma"}],
        "weibull": [{"shape", "scale"}],
        "fixed": [{"value"}],
        "empirical": [{"values"}],
        "uniform": [{"low", "high"}],
    }[kind]
    matched = next((keys for keys in needs if keys <= given), None)
    if matched is None:
        options = " or ".join("+".join(sorted(keys)) for keys in needs)
        raise ConfigError(field, f"a {kind} distribution needs {options}",
                          f"set {options} under {field}")
    extra = given - matched
    if extra:
        article = "an" if kind[0] in "aeiou" else "a"
        raise ConfigError(f"{field}.{sorted(extra, key=str)[0]}",
                          f"is not a parameter of {article} {kind} here",
                          f"remove it or set it to null (used: {', '.join(sorted(matched))})")

    if kind == "exponential":
        return Exponential(_number(spec, "mean", field))
    if kind == "gamma":
        mean, sd = _number(spec, "mean", field), _number(spec, "sd", field, -math.inf, math.inf)
        _spread(mean, sd, field)  # the sd's bounds are the mean's multiples: 0 and below are refused there
        return Gamma(shape=(mean / sd) ** 2, scale=sd**2 / mean)
    if kind == "lognormal":
        if matched == {"mu", "sigma"}:
            mu = spec["mu"]
            if isinstance(mu, bool) or not isinstance(mu, numbers.Real) or not math.isfinite(mu):
                raise ConfigError(f"{field}.mu", f"must be a finite number, got {mu!r}",
                                  f"set {field}.mu to a number")
            sigma = _number(spec, "sigma", field, 0.0, MAX_LOGNORMAL_SIGMA, open_low=True)
            if sigma < MIN_LOGNORMAL_SIGMA:  # the bound on sd/mean that the mean and sd form has
                raise ConfigError(f"{field}.sigma", f"({sigma:g}) must be at least {MIN_LOGNORMAL_SIGMA:.4g} "
                                  f"(an sd of {MIN_CV:g} times the mean)",
                                  "use kind=fixed for a constant duration")
            log_mean = float(mu) + 0.5 * sigma**2
            if not math.log(MIN_DURATION_DAYS) <= log_mean <= math.log(MAX_DURATION_DAYS):
                raise ConfigError(field, f"has a mean of exp({log_mean:.4g}) days, outside "
                                  f"{fmt(MIN_DURATION_DAYS)} to {fmt(MAX_DURATION_DAYS)}",
                                  "choose mu and sigma with a plausible mean (mu is the log of the median)")
            return Lognormal(mu=float(mu), sigma=sigma)
        mean, sd = _number(spec, "mean", field), _number(spec, "sd", field, -math.inf, math.inf)
        _spread(mean, sd, field)  # the sd's bounds are the mean's multiples: 0 and below are refused there
        sigma2 = math.log1p((sd / mean) ** 2)
        return Lognormal(mu=math.log(mean) - 0.5 * sigma2, sigma=math.sqrt(sigma2))
    if kind == "weibull":
        shape = _number(spec, "shape", field, MIN_WEIBULL_SHAPE, MAX_WEIBULL_SHAPE)
        weibull = Weibull(shape=shape, scale=_number(spec, "scale", field))
        _mean_in_range(weibull.mean, field)
        return weibull
    if kind == "fixed":
        return Fixed(_number(spec, "value", field, 0.0))
    if kind == "uniform":
        low = _number(spec, "low", field, 0.0)
        high = _number(spec, "high", field, 0.0)
        if high < low:
            raise ConfigError(f"{field}.high", f"must be >= low ({low})", "swap low and high")
        return Uniform(low, high)
    values = spec["values"]
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Sequence) or len(values) == 0:
        raise ConfigError(f"{field}.values", "must be a non-empty list of durations",
                          f"list observed durations under {field}.values")
    if len(values) > MAX_EMPIRICAL_VALUES:
        raise ConfigError(f"{field}.values", f"lists {len(values):,} durations, more than "
                          f"{MAX_EMPIRICAL_VALUES:,}", "give a sample, or fit a distribution")
    if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in values):
        raise ConfigError(f"{field}.values", "must hold numbers only", "remove non-numeric entries")
    numbers_ = tuple(float(v) for v in values)
    if any(not math.isfinite(v) or not 0 <= v <= MAX_DURATION_DAYS for v in numbers_):
        raise ConfigError(f"{field}.values",
                          f"must hold finite durations >= 0 and <= {fmt(MAX_DURATION_DAYS)}",
                          "remove negative, infinite or implausible entries")
    return Empirical(numbers_)
