"""Building a validated :class:`~flowsim.distributions.Distribution` from a config mapping.

Every duration in a config is ``{kind: ..., <parameters>}``; a wrong kind, a missing or extra
parameter, or a value out of range is a :class:`~flowsim.errors.ConfigError` naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from flowsim.distributions import (
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
from flowsim.errors import ConfigError

__all__ = ["distribution_from_config"]


def _number(spec: Mapping[str, Any], key: str, field: str, *, positive: bool = True) -> float:
    value = spec.get(key)
    if value is None:
        raise ConfigError(f"{field}.{key}", "is missing", f"give {field}.{key} a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{field}.{key}", f"must be a number, got {value!r}",
                          f"set {field}.{key} to a number") from None
    if not math.isfinite(number) or (number <= 0 if positive else number < 0):
        bound = "> 0" if positive else ">= 0"
        raise ConfigError(f"{field}.{key}", f"must be a finite number {bound}, got {value!r}",
                          f"set {field}.{key} to a number {bound}")
    return number


def distribution_from_config(spec: Mapping[str, Any] | None, field: str) -> Distribution:
    """Build and validate a distribution from a config mapping.

    Parameters
    ----------
    spec : Mapping
        ``{"kind": ..., <parameters>}``. Parameters by kind: exponential ``mean``; gamma ``mean`` and
        ``sd``; lognormal ``mean`` and ``sd``, or ``mu`` and ``sigma``; weibull ``shape`` and
        ``scale``; fixed ``value``; empirical ``values`` (a list); uniform ``low`` and ``high``.
        Unused parameters must be absent or null.
    field : str
        Dotted config path, used in error messages.

    Returns
    -------
    Distribution

    Raises
    ------
    ConfigError
        Unknown kind, missing or out-of-range parameter.
    """
    if spec is None:
        raise ConfigError(field, "is missing", f"give {field} a kind and its parameters")
    kind = spec.get("kind")
    if kind is None or kind == "???":  # omegaconf's MISSING
        raise ConfigError(f"{field}.kind", "is missing", f"give {field} a kind: {', '.join(KINDS)}")
    if kind not in KINDS:
        raise ConfigError(f"{field}.kind", f"unknown distribution {kind!r}",
                          f"use one of {', '.join(KINDS)}")
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
        raise ConfigError(f"{field}.{sorted(extra)[0]}", f"is not a parameter of a {kind} here",
                          f"remove it or set it to null (used: {', '.join(sorted(matched))})")

    if kind == "exponential":
        return Exponential(_number(spec, "mean", field))
    if kind == "gamma":
        mean, sd = _number(spec, "mean", field), _number(spec, "sd", field)
        return Gamma(shape=(mean / sd) ** 2, scale=sd**2 / mean)
    if kind == "lognormal":
        if matched == {"mu", "sigma"}:
            mu = float(spec["mu"])
            if not math.isfinite(mu):
                raise ConfigError(f"{field}.mu", "must be finite", f"set {field}.mu to a number")
            return Lognormal(mu=mu, sigma=_number(spec, "sigma", field))
        mean, sd = _number(spec, "mean", field), _number(spec, "sd", field)
        sigma2 = math.log1p((sd / mean) ** 2)
        return Lognormal(mu=math.log(mean) - 0.5 * sigma2, sigma=math.sqrt(sigma2))
    if kind == "weibull":
        return Weibull(shape=_number(spec, "shape", field), scale=_number(spec, "scale", field))
    if kind == "fixed":
        return Fixed(_number(spec, "value", field, positive=False))
    if kind == "uniform":
        low = _number(spec, "low", field, positive=False)
        high = _number(spec, "high", field, positive=False)
        if high < low:
            raise ConfigError(f"{field}.high", f"must be >= low ({low})", "swap low and high")
        return Uniform(low, high)
    values = spec["values"]
    if isinstance(values, str | bytes) or not hasattr(values, "__len__") or len(values) == 0:
        raise ConfigError(f"{field}.values", "must be a non-empty list of durations",
                          f"list observed durations under {field}.values")
    try:
        numbers = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise ConfigError(f"{field}.values", "must hold numbers only",
                          "remove non-numeric entries") from None
    if any(not math.isfinite(v) or v < 0 for v in numbers):
        raise ConfigError(f"{field}.values", "must hold finite durations >= 0",
                          "remove negative or infinite entries")
    return Empirical(numbers)
