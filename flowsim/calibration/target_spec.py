"""What a calibration must reproduce, and what it may change: a ``flowsim-calibrate targets`` file.

A targets file is YAML::

    overrides: [housing=default]        # optional: Hydra overrides of the system being calibrated
    seed: 2023                          # common random numbers: every evaluation uses these streams
    replications: 6                     # per evaluation while fitting
    targets:
      - kpi: nctr_census_midnight_mean  # any KPI of metrics.json, or nctr_census_month_profile
        value: 321
        tolerance: {relative: 0.10}     # or {absolute: 0.02}, or {low: 0.10, high: 0.25}
        source: "SitRep 2023: ..."
    parameters:
      - name: capacity_headroom
        scale: [services.*.capacity]    # base value x parameter (whole numbers stay whole)
        bounds: [0.8, 1.5]
      - name: p1_arrangement_mean_days
        set: {pathways.arrangement_days.P1.mean: 1.0, pathways.arrangement_days.P1.sd: 1.0}
        bounds: [0.1, 30]               # each path = coefficient x parameter
      - name: p0_admin_median_days
        set_log: [pathways.p0_admin_delay_days.mu]   # path = ln(parameter)
        bounds: [0.01, 1]

A ``*`` in a path stands for every key of that mapping in the base config (``services.*``); a number
stands for a list position (``month_capacity_factors.0`` is January). A parameter without ``start``
starts from the base config's value. ``nctr_census_month_profile`` takes ``values`` (12, January
first): the mean midnight census of each calendar month over the mean of all months. An unknown key
at any level (a target takes kpi, value or values, tolerance, source and weight; a parameter name,
set, set_log or scale, bounds and start) and a number that is not finite (``.inf``) are refused.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowsim.model.bounds import MAX_REPLICATIONS, MAX_SEED
from flowsim.model.datafile import read_yaml_file
from flowsim.model.errors import ConfigError
from flowsim.model.strict import unknown_key
from flowsim.model.validate import whole_number

__all__ = ["MONTH_PROFILE", "Parameter", "Target", "TargetSpec", "load_target_spec"]

MONTH_PROFILE = "nctr_census_month_profile"
_TOP = {"overrides", "seed", "replications", "targets", "parameters"}
_ACTIONS = ("set", "set_log", "scale")
_TARGET = {"kpi", "value", "tolerance", "source", "weight"}  # the month profile: values, not value
_PARAMETER = {"name", *_ACTIONS, "bounds", "start"}


@dataclass(frozen=True)
class Target:
    """One observed aggregate: the KPI, its value(s), the band the model must fall in, its source."""

    kpi: str
    values: tuple[float, ...]  # one value, or 12 for the monthly profile
    low: tuple[float, ...]
    high: tuple[float, ...]
    source: str = ""
    weight: float = 1.0

    @property
    def labels(self) -> tuple[str, ...]:
        """A label per value (the month for a profile)."""
        if len(self.values) == 1:
            return (self.kpi,)
        return tuple(f"{self.kpi}[{m}]" for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                                  "Sep", "Oct", "Nov", "Dec"))


@dataclass(frozen=True)
class Parameter:
    """A value the search may change, and the config paths it writes."""

    name: str
    action: str  # set, set_log or scale
    paths: tuple[tuple[str, float], ...]  # (path, coefficient); the coefficient is 1 for set_log/scale
    low: float
    high: float
    start: float | None = None
    field: str = "parameters"  # where the targets file gives it, e.g. parameters[0], for messages


@dataclass(frozen=True)
class TargetSpec:
    """A whole targets file, validated."""

    overrides: tuple[str, ...]
    seed: int
    replications: int
    targets: tuple[Target, ...]
    parameters: tuple[Parameter, ...]


def _check_keys(entry: Mapping[str, Any], allowed: set[str], field: str, what: str) -> None:
    """Refuse the first unknown key of ``entry`` (``field``'s; the top level's when blank): a typo such as
    ``wieght`` would be ignored, its default used without a word."""
    found = unknown_key(entry, allowed)
    if found is not None:
        key, fix = found
        raise ConfigError(f"{field}.{key}" if field else key, f"is not a key of {what}", fix)


def _number(value: Any, field: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ConfigError(field, f"must be a number, got {value!r}", "give a number")
    if isinstance(value, float) and math.isinf(value):  # .inf: a bound or band nothing can be beyond
        raise ConfigError(field, f"must be a finite number, got {value!r}", "give a number")
    if positive and value <= 0:
        raise ConfigError(field, f"must be above 0, got {value!r}", "give a positive number")
    return float(value)


def _band(value: float, tolerance: Any, field: str) -> tuple[float, float]:
    if not isinstance(tolerance, Mapping) or not tolerance:
        raise ConfigError(field, f"must be {{relative: R}}, {{absolute: A}} or {{low: L, high: H}}, got "
                          f"{tolerance!r}", "say how close the model must come to the value")
    keys = set(tolerance)
    if keys == {"relative"}:
        r = _number(tolerance["relative"], f"{field}.relative", positive=True)
        return value - abs(value) * r, value + abs(value) * r
    if keys == {"absolute"}:
        a = _number(tolerance["absolute"], f"{field}.absolute", positive=True)
        return value - a, value + a
    if keys == {"low", "high"}:
        low, high = _number(tolerance["low"], f"{field}.low"), _number(tolerance["high"], f"{field}.high")
        if not low <= value <= high:
            raise ConfigError(field, f"the band [{low:g}, {high:g}] does not hold the value {value:g}",
                              "give low <= value <= high")
        return low, high
    raise ConfigError(field, f"unknown keys {sorted(keys)}", "use relative, absolute, or low and high")


def _target(entry: Any, field: str) -> Target:
    if not isinstance(entry, Mapping):
        raise ConfigError(field, f"must be a mapping with kpi, value and tolerance, got {entry!r}",
                          "write e.g. {kpi: same_day_share, value: 0.86, tolerance: {absolute: 0.02}}")
    kpi = entry.get("kpi")
    profile = kpi == MONTH_PROFILE
    _check_keys(entry, (_TARGET - {"value"}) | {"values"} if profile else _TARGET, field, "a target")
    if not isinstance(kpi, str) or not kpi:
        raise ConfigError(f"{field}.kpi", "is missing", "name a KPI of metrics.json")
    if profile:
        values = entry.get("values")
        if not isinstance(values, list) or len(values) != 12:
            raise ConfigError(f"{field}.values", f"{MONTH_PROFILE} needs 12 values, January first",
                              "give the mean census of each month over the mean of all months")
        values = [_number(v, f"{field}.values[{i}]", positive=True) for i, v in enumerate(values)]
    else:
        values = [_number(entry.get("value"), f"{field}.value")]
    bands = [_band(v, entry.get("tolerance"), f"{field}.tolerance") for v in values]
    weight = _number(entry.get("weight", 1.0), f"{field}.weight", positive=True)
    return Target(kpi, tuple(values), tuple(b[0] for b in bands), tuple(b[1] for b in bands),
                  str(entry.get("source", "")), weight)


def _parameter(entry: Any, field: str) -> Parameter:
    if not isinstance(entry, Mapping):
        raise ConfigError(field, f"must be a mapping with name, bounds and set, set_log or scale, got "
                          f"{entry!r}", "write e.g. {name: capacity_headroom, scale: [services.*.capacity], "
                          "bounds: [0.8, 1.5]}")
    _check_keys(entry, _PARAMETER, field, "a parameter")
    if entry.get("name") is None:
        raise ConfigError(f"{field}.name", "is missing", "give each parameter a name")
    if not isinstance(entry["name"], str) or not entry["name"]:
        raise ConfigError(f"{field}.name", f"must be a name (text), got {entry['name']!r}",
                          "write e.g. name: capacity_headroom")
    actions = [a for a in _ACTIONS if a in entry]
    if len(actions) != 1:
        raise ConfigError(field, f"needs exactly one of {', '.join(_ACTIONS)}, got {actions or 'none'}",
                          "say which config paths the parameter writes")
    action, given = actions[0], entry[actions[0]]
    if isinstance(given, str):
        given = [given]
    if isinstance(given, Mapping) and action == "set":
        paths = tuple((str(p), _number(c, f"{field}.set.{p}")) for p, c in given.items())
    elif isinstance(given, list) and given and all(isinstance(p, str) for p in given):
        paths = tuple((p, 1.0) for p in given)
    else:
        raise ConfigError(f"{field}.{action}", f"must be a list of config paths, got {given!r}",
                          "write e.g. [services.ic_beds.capacity]")
    bounds = entry.get("bounds")
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise ConfigError(f"{field}.bounds", f"must be [low, high], got {bounds!r}",
                          "give the range the search may explore")
    low = _number(bounds[0], f"{field}.bounds[0]", positive=True)
    high = _number(bounds[1], f"{field}.bounds[1]", positive=True)
    if high <= low:
        raise ConfigError(f"{field}.bounds", f"[{low:g}, {high:g}] is empty", "give low < high")
    start = entry.get("start")
    if start is not None:
        start = _number(start, f"{field}.start")
        if not low <= start <= high:
            raise ConfigError(f"{field}.start", f"{start:g} is outside the bounds [{low:g}, {high:g}]",
                              "start inside the bounds")
    return Parameter(entry["name"], action, paths, low, high, start, field)


def load_target_spec(path: str | Path) -> TargetSpec:
    """Read and check a targets file.

    Parameters
    ----------
    path : str or Path
        The YAML file (see the module docstring for its form).

    Returns
    -------
    TargetSpec

    Raises
    ------
    ConfigError
        With the field and the fix, for anything wrong in the file.
    """
    path = Path(path)
    raw = read_yaml_file(path, "a targets YAML file")
    if not isinstance(raw, Mapping):
        raise ConfigError(str(path), "must be a mapping with targets and parameters",
                          "see flowsim-calibrate targets --help")
    _check_keys(raw, _TOP, "", "a targets file")
    targets = raw.get("targets") or []
    if not isinstance(targets, list) or not targets:
        raise ConfigError("targets", "is missing or empty", "list the aggregates the model must reproduce")
    observed = tuple(_target(t, f"targets[{i}]") for i, t in enumerate(targets))
    parameters = raw.get("parameters") or []
    if not isinstance(parameters, list):
        raise ConfigError("parameters", f"must be a list, got {parameters!r}", "list the parameters to fit")
    fitted = tuple(_parameter(p, f"parameters[{i}]") for i, p in enumerate(parameters))
    names = [p.name for p in fitted]
    if len(set(names)) != len(names):
        raise ConfigError("parameters", "names repeat", "give each parameter its own name")
    overrides = raw.get("overrides") or []
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise ConfigError("overrides", f"must be a list of Hydra overrides, got {overrides!r}",
                          "write e.g. [housing=default, services.ic_beds.capacity=300]")
    seed = raw.get("seed", 2023)
    replications = raw.get("replications", 6)
    seed = whole_number(seed, "seed", minimum=0, maximum=MAX_SEED)
    replications = whole_number(replications, "replications", minimum=1, maximum=MAX_REPLICATIONS)
    return TargetSpec(tuple(overrides), seed, replications, observed, fitted)
