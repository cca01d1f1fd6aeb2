"""The service units of a scenario: beds, flats, packages and placements, built from ``services``.

Each unit serves one or more of the pathways that need a place (:data:`SERVICE_PATHWAYS`); a
:class:`UnitSpec` holds its capacity, length of stay, costs and calendar, every value checked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flowsim.model.availability import Availability, availability_from_config
from flowsim.model.bounds import MAX_COST, MAX_DURATION_DAYS, MAX_PLACES, MAX_PREFERENCE, MIN_DURATION_DAYS
from flowsim.model.distribution_config import distribution_from_config
from flowsim.model.distributions import Distribution
from flowsim.model.errors import ConfigError
from flowsim.model.strict import use_one_of
from flowsim.model.tariff import TieredTariff, tariff_from_config
from flowsim.model.validate import real_number, required, whole_number

__all__ = ["SERVICE_PATHWAYS", "UnitSpec", "check_served", "units_from_config"]

SERVICE_PATHWAYS = ("P1", "P2", "P3")  # P0 needs no service capacity


@dataclass(frozen=True)
class UnitSpec:
    """One service unit: beds, flats, packages or placements."""

    name: str
    pathways: tuple[str, ...]
    capacity: int
    los: Distribution
    preference: int
    cost_per_occupied_day: float
    cost_per_bed_week: float | TieredTariff  # GBP per place-week, or a tiered tariff
    description: str = ""
    # block-cost premium per place per week for admitting on both weekend days (half for one)
    weekend_admission_premium_per_bed_week: float = 0.0
    availability: Availability = field(default_factory=Availability)
    max_stay_days: float | None = None
    cost_per_over_length_day: float = 0.0



def units_from_config(services: Mapping[str, Any], start_date: dt.date, horizon: float
                      ) -> tuple[UnitSpec, ...]:
    """The units of ``services`` (in config order), each value checked; a ConfigError names the first
    bad one."""
    units = []
    for name, spec in services.items():
        field = f"services.{name}"
        if not isinstance(spec, Mapping):
            raise ConfigError(field, "must be a mapping of unit settings", "see configs/system/default.yaml")
        pathways = spec.get("pathways")
        if not pathways or pathways == "???" or not isinstance(pathways, list | tuple):
            raise ConfigError(f"{field}.pathways", "must be a non-empty list such as [P2]",
                              f"list the pathways {name} serves")
        for index, pathway in enumerate(pathways):
            if pathway not in SERVICE_PATHWAYS:
                raise ConfigError(f"{field}.pathways", f"unknown pathway {pathway!r}",
                                  use_one_of(pathway, SERVICE_PATHWAYS))
            if pathway in pathways[:index]:
                raise ConfigError(f"{field}.pathways", f"lists {pathway} twice", "list each pathway once")
        units.append(UnitSpec(
            name=str(name),
            pathways=tuple(pathways),
            capacity=whole_number(required(spec, "capacity", field), f"{field}.capacity", 0, MAX_PLACES),
            los=distribution_from_config(spec.get("los_days"), f"{field}.los_days"),
            preference=whole_number(spec.get("preference", 1), f"{field}.preference", 0, MAX_PREFERENCE),
            cost_per_occupied_day=real_number(spec.get("cost_per_occupied_day", 0.0),
                                              f"{field}.cost_per_occupied_day", maximum=MAX_COST),
            cost_per_bed_week=tariff_from_config(spec.get("cost_per_bed_week", 0.0),
                                                 f"{field}.cost_per_bed_week"),
            weekend_admission_premium_per_bed_week=real_number(
                spec.get("weekend_admission_premium_per_bed_week", 0.0),
                f"{field}.weekend_admission_premium_per_bed_week", maximum=MAX_COST),
            description=str(spec.get("description") or ""),
            availability=availability_from_config(spec, field, start_date, horizon),
            max_stay_days=(None if spec.get("max_stay_days") is None
                           else real_number(spec["max_stay_days"], f"{field}.max_stay_days",
                                            minimum=MIN_DURATION_DAYS, maximum=MAX_DURATION_DAYS)),
            cost_per_over_length_day=real_number(spec.get("cost_per_over_length_day", 0.0),
                                                 f"{field}.cost_per_over_length_day", maximum=MAX_COST),
        ))
    return tuple(units)


def check_served(units: tuple[UnitSpec, ...], pathway: str, field: str, share: float) -> None:
    """Refuse a positive ``share`` of patients sent to ``pathway`` when no unit serves it."""
    if share > 0 and not any(pathway in u.pathways for u in units):
        raise ConfigError(field, f"sends patients to {pathway} but no unit in services serves {pathway}",
                          f"add a unit with pathways: [{pathway}] or set this share to 0")
