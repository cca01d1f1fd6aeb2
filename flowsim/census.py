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
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from flowsim.errors import ConfigError

__all__ = ["InitialCensus", "census_from_file"]

FIELD = "run.initial_census"


@dataclass(frozen=True)
class InitialCensus:
    """Validated census: per unit and per pathway, days already stayed/waited (None = unknown)."""

    in_units: tuple[tuple[str, tuple[float | None, ...]], ...] = ()
    waiting: tuple[tuple[str, tuple[float | None, ...]], ...] = ()

    @property
    def patients(self) -> int:
        """How many patients the census holds."""
        return sum(len(d) for _, d in self.in_units) + sum(len(d) for _, d in self.waiting)


def _days(values: Any, where: str) -> tuple[float | None, ...]:
    out = []
    for value in values:
        if value is None or value == "":
            out.append(None)
            continue
        try:
            days = float(value)
        except (TypeError, ValueError):
            raise ConfigError(FIELD, f"{where}: {value!r} is not a number of days",
                              "give days as numbers >= 0") from None
        if not math.isfinite(days) or days < 0:
            raise ConfigError(FIELD, f"{where}: days must be >= 0, got {value!r}", "give days >= 0")
        out.append(days)
    return tuple(out)


def _entry(spec: Any, where: str, key: str) -> tuple[float | None, ...]:
    if not isinstance(spec, Mapping) or not ({"count", key} & set(spec)):
        raise ConfigError(FIELD, f"{where} needs 'count' or '{key}'",
                          f"write e.g. {{count: 10}} or {{{key}: [1, 2]}}")
    if key in spec:
        return _days(spec[key], where)
    count = spec["count"]
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ConfigError(FIELD, f"{where}: count must be a whole number >= 0, got {count!r}",
                          "give a whole number")
    return (None,) * count


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
        Missing file, unknown unit or pathway, bad numbers.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(FIELD, f"file {str(file)!r} does not exist",
                          "give the path of a census YAML or CSV (see flowsim/census.py)")
    in_units: dict[str, list[float | None]] = {}
    waiting: dict[str, list[float | None]] = {}
    if file.suffix in (".yaml", ".yml"):
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        if not isinstance(data, Mapping):
            raise ConfigError(FIELD, f"{file.name} is not a mapping", "see flowsim/census.py")
        for name, spec in (data.get("units") or {}).items():
            in_units[str(name)] = list(_entry(spec, f"units.{name}", "days_stayed"))
        for name, spec in (data.get("waiting") or {}).items():
            waiting[str(name)] = list(_entry(spec, f"waiting.{name}", "days_waited"))
    elif file.suffix == ".csv":
        with file.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"kind", "name", "days"} <= set(reader.fieldnames):
                raise ConfigError(FIELD, f"{file.name} lacks the columns kind,name,days",
                                  "add a header line 'kind,name,days'")
            for line, row in enumerate(reader, start=2):
                target = {"unit": in_units, "waiting": waiting}.get(row["kind"].strip())
                if target is None:
                    raise ConfigError(FIELD, f"{file.name} line {line}: kind must be unit or waiting",
                                      "correct that line")
                target.setdefault(row["name"].strip(), []).extend(
                    _days([row["days"].strip()], f"{file.name} line {line}"))
    else:
        raise ConfigError(FIELD, f"{file.name}: unknown file type", "use .yaml, .yml or .csv")
    for name in in_units:
        if name not in units:
            raise ConfigError(FIELD, f"unknown unit {name!r}", f"use one of {', '.join(units)}")
    for name in waiting:
        if name not in pathways:
            raise ConfigError(FIELD, f"unknown pathway {name!r} in waiting",
                              f"use one of {', '.join(pathways)}")
    return InitialCensus(tuple((k, tuple(v)) for k, v in in_units.items()),
                         tuple((k, tuple(v)) for k, v in waiting.items()))
