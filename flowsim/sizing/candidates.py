"""Candidate capacity mixes: written into a config, named for people, and their grid neighbours.

A candidate is a tuple with one value per searched dimension of the spec, in the spec's order.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from omegaconf import DictConfig, OmegaConf

from flowsim.model.availability import WEEKDAYS
from flowsim.model.errors import ConfigError
from flowsim.model.validate import iso_date
from flowsim.sizing.spec import Dimension, SizingSpec, Surge

__all__ = ["Candidate", "apply_candidate", "as_dict", "canonical", "describe", "hydra_overrides",
           "hydra_value", "label", "neighbours", "render", "surge_schedule"]

Candidate = tuple[Any, ...]


def as_dict(spec: SizingSpec, candidate: Candidate) -> dict[str, Any]:
    """The candidate's value of each searched dimension, by name."""
    return {d.name: v for d, v in zip(spec.dimensions, candidate, strict=True)}


def render(value: Any) -> str:
    """A value as people read it: a run of weekdays as ``Mon-Fri``, other lists joined by ``+``."""
    if isinstance(value, tuple):
        days = [WEEKDAYS.index(v) if v in WEEKDAYS else -1 for v in value]
        if len(days) > 2 and min(days) >= 0 and days == list(range(days[0], days[0] + len(days))):
            return f"{value[0]}-{value[-1]}"
        return "+".join(render(v) for v in value)
    return str(value)


def label(spec: SizingSpec, candidate: Candidate) -> str:
    """``ic_beds=388, care_home_7day=Mon+Tue+...``: the candidate in one line."""
    return ", ".join(f"{name}={render(value)}" for name, value in as_dict(spec, candidate).items())


def _surge_value(surge: Surge, dimension: Dimension, values: dict[str, Any]) -> Any:
    return values.get(dimension.name, dimension.values[0])


def surge_schedule(surge: Surge, values: dict[str, Any], capacity: int) -> list[dict[str, Any]]:
    """The capacity schedule of a surge block: ``capacity + places`` from the start, back after the weeks.

    Parameters
    ----------
    surge : Surge
    values : dict
        The candidate's values by dimension name (fixed parts of the block are taken from ``surge``).
    capacity : int
        The unit's capacity outside the block.
    """
    places = int(_surge_value(surge, surge.places, values))
    if places == 0:
        return []
    start = iso_date(str(_surge_value(surge, surge.start, values)))
    end = start + dt.timedelta(weeks=int(_surge_value(surge, surge.weeks, values)))
    return [{"start": start.isoformat(), "capacity": capacity + places},
            {"start": end.isoformat(), "capacity": capacity}]


def describe(spec: SizingSpec, candidate: Candidate) -> dict[str, Any]:
    """Columns for tables: each searched dimension's value, as text for choices and dates."""
    return {name: (value if isinstance(value, int) and not isinstance(value, bool) else render(value))
            for name, value in as_dict(spec, candidate).items()}


def apply_candidate(base: DictConfig, spec: SizingSpec, candidate: Candidate) -> DictConfig:
    """A copy of ``base`` with the candidate's values written in (surge blocks as capacity schedules).

    Raises
    ------
    ConfigError
        If a surge names a unit the config does not have.
    """
    config = copy.deepcopy(base)
    values = as_dict(spec, candidate)
    for dimension in spec.dimensions:
        if dimension.path is not None:
            value = values[dimension.name]
            OmegaConf.update(config, dimension.path, list(value) if isinstance(value, tuple) else value,
                             force_add=True, merge=False)
    for surge in spec.surges:
        capacity = OmegaConf.select(config, f"services.{surge.unit}.capacity")
        if capacity is None:
            raise ConfigError(f"variables.{surge.name}.surge", f"unit {surge.unit!r} is not in services",
                              f"use one of {', '.join(config.services)}")
        OmegaConf.update(config, f"services.{surge.unit}.capacity_schedule",
                         surge_schedule(surge, values, int(capacity)), merge=True)  # lists: replaced
    return config


def canonical(spec: SizingSpec, candidate: Candidate) -> Candidate:
    """One name for mixes that are the same system: a surge block of 0 places has no dates.

    Its start and weeks are set to their first values, so the search does not try (or shortlist) the
    same system under several names.
    """
    values = as_dict(spec, candidate)
    for surge in spec.surges:
        if int(_surge_value(surge, surge.places, values)) == 0:
            for part in (surge.start, surge.weeks):
                if part.name in values:
                    values[part.name] = part.values[0]
    return tuple(values[d.name] for d in spec.dimensions)


def neighbours(spec: SizingSpec, candidate: Candidate) -> Iterator[Candidate]:
    """Distinct mixes one step away in one dimension (a whole number +- step; any other choice)."""
    seen = {candidate}
    for i, dimension in enumerate(spec.dimensions):
        value = candidate[i]
        if dimension.choices:
            others = [c for c in dimension.choices if c != value]
        else:
            others = [v for v in (value - dimension.step, value + dimension.step)
                      if dimension.low <= v <= dimension.high]
        for other in others:
            near = canonical(spec, (*candidate[:i], other, *candidate[i + 1:]))
            if near not in seen:
                seen.add(near)
                yield near


def hydra_value(value: Any) -> str:
    """A value as Hydra's override grammar reads it back (lists, mappings, quoted dates and text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(hydra_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{hydra_value(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "null"
    # In a quoted value Hydra reads a backslash as an escape only in a run of them before a quote or
    # the end: double those runs, escape the quotes, and leave other backslashes as they are.
    text = re.sub(r"(\\+)(?='|\Z)", r"\1\1", str(value))
    return "'" + text.replace("'", "\\'") + "'"


def hydra_overrides(spec: SizingSpec, candidate: Candidate, config: DictConfig) -> tuple[str, ...]:
    """The command-line overrides that turn the base system into ``config`` (the candidate applied).

    ``flowsim <system overrides> <these>`` runs the candidate; a Hydra launcher composes its jobs so.
    """
    paths = [d.path for d in spec.dimensions if d.path is not None]
    paths += [f"services.{s.unit}.capacity_schedule" for s in spec.surges]
    overrides = []
    for path in paths:
        value = OmegaConf.select(config, path)
        value = OmegaConf.to_container(value) if OmegaConf.is_config(value) else value
        overrides.append(f"{path}={hydra_value(value)}")
    return tuple(overrides)
