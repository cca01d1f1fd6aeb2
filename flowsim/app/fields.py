"""The settings a planner edits in the app: which, in what groups, with units and help; and the checks.

The forms show a config's arrivals, pathway shares, each unit's capacity, length of stay, costs and
admission calendar, the housing options and the acute bed-day cost. Labels, units and help come from
the parameter documentation (:func:`flowsim.model.parameter_table.field_doc`), so the app and the
parameter reference say the same. An edited config is checked with the CLI's own checks
(:func:`flowsim.experiment.preflight.check_run`); the one-line message goes next to the field it names.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flowsim.experiment.preflight import check_run
from flowsim.model.cost_basis import bed_day_bases
from flowsim.model.errors import ConfigError
from flowsim.model.parameter_table import field_doc
from flowsim.model.paths import lookup
from flowsim.model.strict import schema_at

__all__ = ["Field", "Group", "apply_edits", "as_overrides", "error_place", "form_groups", "get_value",
           "validate"]

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DURATION_PARAMETERS = ("mean", "sd", "mu", "sigma", "shape", "scale", "value", "low", "high")


@dataclass(frozen=True)
class Field:
    """One editable setting.

    ``kind`` is the widget: ``int``, ``float``, ``bool``, ``text``, ``days`` (weekday names) or
    ``numbers`` (a list of numbers, e.g. seven weekday multipliers).
    """

    path: str
    label: str
    kind: str
    unit: str = ""
    help: str = ""


@dataclass(frozen=True)
class Group:
    """A titled set of fields (one form section), with an optional note under the title."""

    key: str
    title: str
    fields: tuple[Field, ...]
    note: str = ""


def get_value(config: Mapping[str, Any], path: str) -> Any:
    """The value at the dotted ``path`` of ``config`` (None where it is absent)."""
    return lookup(config, path)


def _kind(path: str, value: Any) -> str | None:
    parts = path.split(".")
    owner = schema_at(parts[:-1])
    hinted: Any = None
    if dataclasses.is_dataclass(owner):
        hinted = typing.get_type_hints(owner).get(parts[-1])
    doc = field_doc(path)
    if isinstance(value, bool) or hinted is bool:
        return "bool"
    if hinted is int or (doc is not None and doc.value_type == "whole number"):
        return "int"
    if isinstance(value, list):
        if parts[-1] == "days" or (all(isinstance(v, str) for v in value) and set(value) <= set(DAYS)):
            return "days"
        return "numbers" if all(isinstance(v, int | float) for v in value) else None
    if isinstance(value, int | float) or hinted is float:
        return "float"
    if isinstance(value, str):
        return "text"
    return None


def _field(config: Mapping[str, Any], path: str, label: str) -> Field | None:
    value = get_value(config, path)
    kind = None if value is None else _kind(path, value)
    if kind is None:
        return None
    doc = field_doc(path)
    return Field(path, label, kind, doc.unit if doc else "", doc.description if doc else "")


def _fields(config: Mapping[str, Any], items: Sequence[tuple[str, str]]) -> tuple[Field, ...]:
    return tuple(f for f in (_field(config, path, label) for path, label in items) if f is not None)


def _duration(config: Mapping[str, Any], path: str, what: str) -> list[tuple[str, str]]:
    spec = get_value(config, path) or {}
    return [(f"{path}.{p}", f"{what}: {p} ({spec.get('kind')})") for p in _DURATION_PARAMETERS
            if spec.get(p) is not None]


def _unit_group(config: Mapping[str, Any], name: str) -> Group:
    base = f"services.{name}"
    unit = get_value(config, base) or {}
    starts = sorted(str(step.get("start")) for step in unit.get("capacity_schedule") or ()
                    if isinstance(step, Mapping) and step.get("start") is not None)
    # with a dated schedule, the capacity holds only until its first step: a comparison of it is
    # not a comparison of the unit's size (found by a QA pass)
    capacity = f"Capacity before {starts[0]} (then its dated schedule)" if starts else "Capacity"
    items = [(f"{base}.capacity", capacity),
             *_duration(config, f"{base}.los_days", "Length of stay"),
             (f"{base}.cost_per_occupied_day", "Cost per occupied day"),
             (f"{base}.cost_per_bed_week", "Block cost per place-week"),
             (f"{base}.weekend_admission_premium_per_bed_week", "Weekend admission premium per place-week"),
             (f"{base}.admission.days", "Admits on"),
             (f"{base}.admission.open_hour", "Admits from hour"),
             (f"{base}.admission.close_hour", "Admits until hour")]
    note = " · ".join(x for x in (str(unit.get("description") or ""),
                                  "pathways " + ", ".join(unit.get("pathways") or [])) if x)
    if unit.get("capacity_schedule"):
        note += " · has a dated capacity schedule (edit it in a saved file)"
    return Group(f"unit:{name}", f"Unit: {name}", _fields(config, items), note)


def form_groups(config: Mapping[str, Any]) -> list[Group]:
    """The form sections for ``config``: run, arrivals, pathways, each unit, housing, costs."""
    groups = [
        Group("run", "Run", _fields(config, [
            ("replications", "Replications"), ("seed", "Seed"), ("run.start_date", "Start date"),
            ("run.warm_up_days", "Warm-up"), ("run.horizon_days", "Horizon (end of the observed window)")]),
              "Replications share random numbers by seed: options compared on the same seed are paired."),
        Group("arrivals", "Arrivals", _fields(config, [
            ("arrivals.rate_per_day", "NCTR arrivals"),
            ("arrivals.day_of_week_multipliers", "Weekday profile (Mon-Sun)"),
            ("arrivals.month_multipliers", "Month profile (Jan-Dec)")]),
              "A daily series file, if the config names one, replaces the rate and both profiles."
              if get_value(config, "arrivals.series_csv") else ""),
        Group("pathways", "Pathways", _fields(config, [
            (f"pathways.shares.{p}", f"Share {p}") for p in (get_value(config, "pathways.shares") or {})]),
              "The shares must sum to 1."),
    ]
    groups += [_unit_group(config, name) for name in (get_value(config, "services") or {})]
    housing = [("housing.enabled", "Housing barriers modelled"),
               ("housing.barrier_probability", "Barrier probability"),
               ("housing.coordinators.fte", "Housing coordinators"),
               ("housing.coordinators.cost_per_fte_year", "Coordinator cost per FTE-year")]
    for scheme in get_value(config, "housing.flats") or {}:
        housing += [(f"housing.flats.{scheme}.capacity", f"Step-down flats: {scheme}"),
                    (f"housing.flats.{scheme}.cost_per_flat_week", f"Cost per flat-week: {scheme}")]
    housing += [(f"housing.types.{t}.share", f"Share of barriers: {t}")
                for t in get_value(config, "housing.types") or {}]
    groups += [Group("housing", "Housing", _fields(config, housing)),
               Group("costs", "Costs", _fields(config, [("costs.acute_bed_day", "Acute bed-day cost")]),
                     _bases_note(config))]
    return [g for g in groups if g.fields]


def _bases_note(config: Mapping[str, Any]) -> str:
    """What the acute bed-day cost can be: a number, or one of the listed bases with its value."""
    try:
        bases = bed_day_bases(get_value(config, "costs") or {})
    except ConfigError:  # said by the checks, beside the field
        return ""
    listed = " · ".join(f"{b.name}: £{b.per_day_gbp:,.0f} a bed-day" for b in bases)
    return ("A number of pounds a bed-day, or the name of a basis" + (f": {listed}" if listed else "")
            + ".")


def apply_edits(config: Mapping[str, Any], edits: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``config`` with each ``path -> value`` of ``edits`` set (parents created)."""
    out = copy.deepcopy(dict(config))
    for path, value in edits.items():
        node = out
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = copy.deepcopy(value)
    return out


def _override_value(value: Any) -> str:
    if isinstance(value, str):
        return value if re.fullmatch(r"[\w\-.:/]+", value) else json.dumps(value)
    if isinstance(value, list):
        return "[" + ",".join(_override_value(v) for v in value) + "]"
    return json.dumps(value)


def as_overrides(edits: Mapping[str, Any]) -> list[str]:
    """The edits as command-line overrides (``services.ic_beds.capacity=40``), in path order."""
    return [f"{path}={_override_value(edits[path])}" for path in sorted(edits)]


def validate(config: Mapping[str, Any]) -> ConfigError | None:
    """The CLI's check of a whole run; the first problem, or None if ``config`` would run."""
    try:
        check_run(config)
    except ConfigError as error:
        return error
    return None


def _shared(a: str, b: str) -> int:
    """How many leading dotted steps ``a`` and ``b`` share."""
    count = 0
    for x, y in zip(a.replace("[", ".[").split("."), b.replace("[", ".[").split("."), strict=False):
        if x != y:
            break
        count += 1
    return count


def error_place(field: str, groups: Sequence[Group]) -> tuple[str, str | None]:
    """Where a message about ``field`` is shown: ``(group key, field path)``; the path is None for the group.

    The field named, else the field whose path is the longest start of it (``services.ic_beds.capacity``
    for ``services.ic_beds.capacity[0]``), else the group whose fields share most of its path, at least
    two steps (``pathways.shares`` -> the pathways group; ``services.ic_beds.capacity_schedule[0].start``
    -> the ic_beds unit), else the first group.
    """
    best: tuple[int, str, str | None] = (-1, groups[0].key if groups else "run", None)
    for group in groups:
        for f in group.fields:
            if field == f.path or field.startswith((f.path + ".", f.path + "[")):
                if len(f.path) > best[0]:
                    best = (len(f.path), group.key, f.path)
    if best[2] is not None:
        return best[1], best[2]
    shared = [(max(_shared(field, f.path) for f in g.fields), -index, g.key)
              for index, g in enumerate(groups) if g.fields]
    steps, _, key = max(shared, default=(0, 0, best[1]))
    return (key if steps >= 2 or (steps == 1 and "." not in field) else best[1]), None
