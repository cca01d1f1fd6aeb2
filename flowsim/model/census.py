"""Starting from today's census instead of an empty system (warm start).

A planner's run should begin with the patients already in each unit and already waiting. A census
file lists them (YAML or CSV). Patients in a unit finish their stay after a *remaining* length of
stay: drawn from the length-of-stay distribution conditional on the days already stayed when those
are known, or from the stationary-excess (equilibrium residual) distribution when only a count is
known — drawing a full length of stay would make everyone stay too long in the first weeks.

YAML::

    units:
      ic_beds: {count: 350}                  # ages unknown: equilibrium residuals
      care_home_unit: {days_stayed: [3, 12, 40]}
    waiting:
      P2: {days_waited: [0.5, 2, 6]}          # in acute beds, first come first served
      P1: {count: 12}                         # became NCTR at the start

CSV: columns ``kind,name,days`` with ``kind`` = ``unit`` or ``waiting``; an empty ``days`` means unknown.

Every mistake in the file (binary or non-UTF-8 bytes, a YAML or CSV syntax error, a list where a
mapping belongs, a key given twice, an unknown key, a bad number) is a ConfigError naming
``run.initial_census``, the file and the line or key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowsim.model.bounds import MAX_CENSUS_WAITING, MAX_DURATION_DAYS, MAX_PLACES
from flowsim.model.datafile import csv_rows, read_text, yaml_data
from flowsim.model.errors import ConfigError
from flowsim.model.strict import closest
from flowsim.model.validate import fmt

__all__ = ["InitialCensus", "census_from_file", "check_census_fits"]

FIELD = "run.initial_census"
_WHAT = "a census YAML or CSV (the format: docs/how-to/warm-start.md)"
_SECTIONS = {"units": "days_stayed", "waiting": "days_waited"}


@dataclass(frozen=True)
class InitialCensus:
    """Validated census: per unit and per pathway, days already stayed/waited (None = unknown)."""

    in_units: tuple[tuple[str, tuple[float | None, ...]], ...] = ()
    waiting: tuple[tuple[str, tuple[float | None, ...]], ...] = ()

    @property
    def patients(self) -> int:
        """How many patients the census holds."""
        return sum(len(d) for _, d in self.in_units) + sum(len(d) for _, d in self.waiting)


def _day(value: Any, where: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ConfigError(FIELD, f"{where}: {value!r} is not a number of days", "give days as numbers >= 0")
    try:
        days = float(value)
    except (TypeError, ValueError):
        raise ConfigError(FIELD, f"{where}: {value!r} is not a number of days",
                          "give days as numbers >= 0") from None
    if not math.isfinite(days) or not 0 <= days <= MAX_DURATION_DAYS:
        raise ConfigError(FIELD, f"{where}: days must be >= 0 and <= {fmt(MAX_DURATION_DAYS)}, got {value!r}",
                          "give days >= 0")
    return days


def _entry(spec: Any, where: str, key: str, limit: int) -> list[float | None]:
    example = f"write e.g. {{count: 10}} or {{{key}: [1, 2]}}"
    if not isinstance(spec, Mapping) or not ({"count", key} & set(spec)):
        unknown = [k for k in spec if k not in ("count", key)] if isinstance(spec, Mapping) else []
        hint = f" (unknown key {unknown[0]!r})" if unknown else f", got {spec!r}"
        raise ConfigError(FIELD, f"{where} needs 'count' or '{key}'{hint}", example)
    for name in spec:
        if name not in ("count", key):
            guess = closest(str(name), ("count", key))
            raise ConfigError(FIELD, f"{where}.{name}: unknown key",
                              f"did you mean {where}.{guess}?" if guess else example)
    if "count" in spec and key in spec:
        raise ConfigError(FIELD, f"{where} gives both 'count' and '{key}'",
                          f"give '{key}' when the days are known, else 'count'")
    if key in spec:
        days = spec[key]
        if isinstance(days, str | bytes | Mapping) or not isinstance(days, list):
            raise ConfigError(FIELD, f"{where}.{key} must be a list of days, got {days!r}",
                              f"write e.g. {key}: [1, 2.5, 10]")
        if len(days) > limit:
            raise ConfigError(FIELD, f"{where}.{key} lists {len(days):,} patients, more than {limit:,}",
                              "check the file")
        return [_day(value, f"{where}.{key}[{i}]") for i, value in enumerate(days)]
    count = spec["count"]
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= limit:
        raise ConfigError(FIELD, f"{where}.count must be a whole number from 0 to {limit:,}, got {count!r}",
                          "give the number of patients")
    return [None] * count


def _from_yaml(file: Path, text: str) -> dict[str, dict[str, list[float | None]]]:
    data = yaml_data(text, file, FIELD)
    if not isinstance(data, Mapping):
        raise ConfigError(FIELD, f"{file.name} must be a mapping with 'units' and/or 'waiting', got "
                          f"{type(data).__name__}", "see the example in docs/how-to/warm-start.md")
    out: dict[str, dict[str, list[float | None]]] = {"units": {}, "waiting": {}}
    for section, value in data.items():
        if section not in _SECTIONS:
            guess = closest(str(section), _SECTIONS)
            raise ConfigError(FIELD, f"{file.name}: unknown key {section!r}",
                              f"did you mean {guess}?" if guess else "use 'units' and/or 'waiting'")
        if value is None:
            continue
        if not isinstance(value, Mapping):
            raise ConfigError(FIELD, f"{file.name}: {section} must be a mapping of names to entries, got "
                              f"{value!r}", f"write e.g. {section}: {{NAME: {{count: 10}}}}")
        limit = MAX_PLACES if section == "units" else MAX_CENSUS_WAITING
        for name, spec in value.items():
            out[section][str(name)] = _entry(spec, f"{file.name}: {section}.{name}", _SECTIONS[section],
                                             limit)
    return out


def _from_csv(file: Path, text: str) -> dict[str, dict[str, list[float | None]]]:
    out: dict[str, dict[str, list[float | None]]] = {"units": {}, "waiting": {}}
    for line, row in csv_rows(text, file, FIELD, ("kind", "name", "days")):
        section = {"unit": "units", "waiting": "waiting"}.get(row["kind"])
        if section is None:
            raise ConfigError(FIELD, f"{file.name} line {line}: kind must be unit or waiting, got "
                              f"{row['kind']!r}", "correct that line")
        if not row["name"]:
            raise ConfigError(FIELD, f"{file.name} line {line}: name is empty",
                              "give the unit name or the pathway (P1, P2, P3)")
        out[section].setdefault(row["name"], []).append(_day(row["days"], f"{file.name} line {line}"))
    return out


def census_from_file(path: str | Path, units: tuple[str, ...], pathways: tuple[str, ...]
                     ) -> InitialCensus:
    """Read and validate a census file (``.yaml``/``.yml`` or ``.csv``).

    Parameters
    ----------
    path : path
        The census file.
    units : tuple of str
        Unit names the scenario defines.
    pathways : tuple of str
        Pathways patients may be waiting for (P1, P2, P3).

    Raises
    ------
    ConfigError
        Missing or unreadable file, malformed YAML or CSV, unknown unit or pathway, bad numbers.
    """
    suffix = Path(str(path)).suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise ConfigError(FIELD, f"{Path(str(path)).name}: unknown file type", "use .yaml, .yml or .csv")
    file, text = read_text(path, FIELD, _WHAT)
    parsed = _from_csv(file, text) if suffix == ".csv" else _from_yaml(file, text)
    for name in parsed["units"]:
        if name not in units:
            guess = closest(name, units)
            raise ConfigError(FIELD, f"{file.name}: unknown unit {name!r}",
                              f"did you mean {guess}?" if guess else f"use one of {', '.join(units)}")
    for name, days in parsed["waiting"].items():
        if name not in pathways:
            raise ConfigError(FIELD, f"{file.name}: unknown pathway {name!r} in waiting",
                              f"use one of {', '.join(pathways)}")
        if len(days) > MAX_CENSUS_WAITING:
            raise ConfigError(FIELD, f"{file.name}: {len(days):,} patients waiting for {name}, more than "
                              f"{MAX_CENSUS_WAITING:,}", "check the file")
    return InitialCensus(tuple((k, tuple(v)) for k, v in parsed["units"].items()),
                         tuple((k, tuple(v)) for k, v in parsed["waiting"].items()))


def check_census_fits(census: InitialCensus, capacity_at_start: Mapping[str, int], source: str = "") -> None:
    """Refuse a census that puts more patients in a unit than it has places at the start.

    ``source``: the census file's name, said first as in the file's other errors.

    Raises
    ------
    ConfigError
        Naming the file, the unit, the census count and the capacity at the start.
    """
    for name, days in census.in_units:
        capacity = capacity_at_start[name]
        if len(days) > capacity:
            where = f"{source}: " if source else ""
            raise ConfigError(FIELD, f"{where}{len(days):,} patients in {name} but it has {capacity:,} "
                              "places at the start",
                              f"lower the census of {name} or raise services.{name}.capacity")
