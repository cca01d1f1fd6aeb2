"""What a scenario turns on beyond the core model, in a planner's words.

The core model is NCTR arrivals, pathways, units with their dispatcher, P2 outcomes and readmission.
Everything else is optional: housing barriers, coordinators and step-down flats, the acute bed pool,
per-unit calendars, capacity schedules, closures, staff absence and contracted stays, and a warm start.
The printed summary opens with this list, and prints only the sections these features make meaningful.
"""

from __future__ import annotations

import datetime as dt

from flowsim.model.availability import MONTHS, WEEKDAYS, Availability
from flowsim.model.housing import FlatScheme
from flowsim.model.scenario import PATHWAYS, Scenario

__all__ = ["capacity_changes", "has_admission_calendar", "has_coordinators", "has_flats", "scenario_features"]


def _days_text(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if len(ordered) == 7:
        return "every day"
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{WEEKDAYS[ordered[0]]}-{WEEKDAYS[ordered[-1]]}"
    return ",".join(WEEKDAYS[d] for d in ordered)


def _clock(hour: float) -> str:
    hours, minutes = divmod(round(60 * hour), 60)  # to the nearest minute: 7.9999 h is 08:00, not 07:60
    return f"{hours:02d}:{minutes:02d}"


def has_admission_calendar(a: Availability) -> bool:
    """Whether a unit admits only on some days or hours."""
    return len(a.admission_days) < 7 or a.open_hour > 0.0 or a.close_hour < 24.0


def _calendar_text(a: Availability) -> str:
    text = _days_text(a.admission_days)
    if a.open_hour > 0.0 or a.close_hour < 24.0:
        text += f" {_clock(a.open_hour)}-{_clock(a.close_hour)}"
    return text


def _fewer(factor: float) -> str:
    return f"{100 * (1 - factor):.3g} % fewer places"


def capacity_changes(a: Availability, start_date: dt.date) -> list[str]:
    """What changes a unit's places over the run, in words, from its validated availability.

    Seasonal factors, dated capacity steps, outbreak closures, staff absence and an admission calendar
    (e.g. ``["12 % fewer places in Jan, Feb, Dec", "admits Mon-Fri 08:00-18:00"]``); empty when the
    unit always has its capacity.
    """
    changes = []
    for factor in sorted(set(a.month_factors) - {1.0}):
        months = [m for m, f in zip(MONTHS, a.month_factors, strict=True) if f == factor]
        changes.append(f"{_fewer(factor)} in {', '.join(months)}")
    changes += [f"{capacity} places from {start_date + dt.timedelta(days=day):%Y-%m-%d}"
                for day, capacity in a.schedule]
    if a.outbreaks_per_year > 0:  # validated: a rate of outbreaks always comes with their lengths
        changes.append(f"closed to admissions by outbreaks, {a.outbreaks_per_year:.3g} a year on "
                       f"average (mean {a.outbreak_days.mean:.3g} days)")
    if a.absence_fraction > 0 and a.absence_factor < 1:
        changes.append(f"{_fewer(a.absence_factor)} on {100 * a.absence_fraction:.3g} % of days "
                       "(staff absence)")
    if has_admission_calendar(a):
        changes.append(f"admits {_calendar_text(a)}")
    return changes


def has_flats(scenario: Scenario) -> bool:
    """Whether the scenario has step-down flats (a scheme with at least one flat)."""
    return scenario.housing.enabled and any(f.capacity > 0 for f in scenario.housing.flats)


def _flat_rules(flats: list[FlatScheme]) -> list[str]:
    """The flats' own rules in use: offers to patients with no barrier, an enforced maximum stay."""
    offered = [f"{f.name} " + ", ".join(f"{p} {100 * share:g} %" for p, share in f.without_barrier)
               for f in flats if f.without_barrier]
    limited = [f"{f.name} {f.max_stay_days:g} d" for f in flats if f.enforce_max_stay]
    return ([f"flats offered with no housing barrier ({'; '.join(offered)})"] if offered else []) + (
        [f"flat stays ended at their maximum ({', '.join(limited)})"] if limited else [])


def has_coordinators(scenario: Scenario) -> bool:
    """Whether the scenario has hospital-to-home housing coordinators."""
    return scenario.housing.enabled and scenario.housing.coordinator_fte > 0


def scenario_features(scenario: Scenario) -> list[str]:
    """What ``scenario`` turns on beyond the core model, one short phrase per feature.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    list of str
        In a fixed order: arrangement delays, P0 patients held for other reasons, housing barriers,
        coordinators, step-down flats, the acute bed pool, capacity schedules, seasonal capacity,
        admission calendars, outbreak closures, staff absence, contracted maximum stays, a warm
        start. Empty for the core model alone.
    """
    housing = scenario.housing
    features = []
    arranged = [(name, d.mean) for name, d in zip(PATHWAYS, scenario.arrangement, strict=True) if d]
    if arranged:
        seasonal = ", longer in some months" if scenario.arrangement_factor_by_day is not None else ""
        features.append("arrangement before a place (mean " + ", ".join(
            f"{name} {mean:.1f} d" for name, mean in arranged) + seasonal + ")")
    if scenario.p0_other_probability > 0 and scenario.p0_other_delay is not None:
        features.append(f"P0 held for other reasons ({100 * scenario.p0_other_probability:g} % of P0, "
                        f"mean {scenario.p0_other_delay.mean:.1f} d)")
    if housing.enabled:
        features.append(f"housing barriers ({100 * housing.barrier_probability:g} % of episodes)")
    if has_coordinators(scenario):
        fte = housing.coordinator_fte
        features.append(f"{fte} housing coordinator{'s' if fte != 1 else ''}")
    if has_flats(scenario):
        flats = [f for f in housing.flats if f.capacity > 0]
        features.append(f"step-down flats ({flats[0].capacity})" if len(flats) == 1 else
                        "step-down flats (" + ", ".join(f"{f.name} {f.capacity}" for f in flats) + ")")
        features += _flat_rules(flats)
    if has_coordinators(scenario) and housing.follow_up.mean > 0:
        features.append(f"coordinator follow-up after the fix (mean {housing.follow_up.mean:.3g} d)")
    if housing.enabled and housing.community.rate_per_day > 0:
        features.append(f"community referrals ({housing.community.rate_per_day:g} a day)")
    if scenario.acute.enabled:
        features.append(f"acute bed pool ({scenario.acute.beds:,} beds)")
    per_unit = [
        ("capacity schedule", lambda u: u.availability.schedule, lambda u: u.name),
        ("seasonal capacity", lambda u: min(u.availability.month_factors) < 1.0, lambda u: u.name),
        ("admission calendar", lambda u: has_admission_calendar(u.availability),
         lambda u: f"{u.name} {_calendar_text(u.availability)}"),
        ("outbreak closures", lambda u: u.availability.outbreaks_per_year > 0,
         lambda u: f"{u.name} {u.availability.outbreaks_per_year:g} a year"),
        ("staff absence", lambda u: u.availability.absence_fraction > 0,
         lambda u: f"{u.name} {100 * u.availability.absence_fraction:g} % of days at "
                   f"{100 * u.availability.absence_factor:g} % capacity"),
        ("contracted maximum stay", lambda u: u.max_stay_days is not None,
         lambda u: f"{u.name} {u.max_stay_days:g} d"),
    ]
    for label, applies, describe in per_unit:
        described = [describe(u) for u in scenario.units if applies(u)]
        if described and label == "seasonal capacity":
            lowest = min(min(u.availability.month_factors) for u in scenario.units)
            described.append(f"down to {100 * lowest:g} % in some months")
        if described:
            features.append(f"{label} ({', '.join(described)})")
    if census := scenario.initial_census.patients:
        features.append(f"warm start from a census ({census:,} patient{'' if census == 1 else 's'})")
    return features
