"""The board pack's key assumptions say what changes a unit's places, not only its capacity."""

from __future__ import annotations

import datetime as dt

from flowsim.model.availability import availability_from_config
from flowsim.model.compose import load_config
from flowsim.reporting.features import capacity_changes
from flowsim.reporting.provenance import assumptions_table

START = dt.date(2025, 1, 6)


def _changes(unit: dict) -> list[str]:
    return capacity_changes(availability_from_config(unit, "services.u", START), START)


def test_a_plain_unit_has_no_changes():
    assert _changes({}) == []
    assert _changes({"month_capacity_factors": [1.0] * 12, "staff_absence": {"fraction_of_days": 0.3,
                                                                             "capacity_factor": 1.0}}) == []


def test_seasonal_factors_are_named_by_month_lowest_first():
    assert _changes({"month_capacity_factors": [0.88, 0.88] + [1.0] * 9 + [0.88]}) == [
        "12 % fewer places in Jan, Feb, Dec"]
    assert _changes({"month_capacity_factors": [0.9] + [1.0] * 6 + [0.75, 0.75] + [1.0] * 3}) == [
        "25 % fewer places in Aug, Sep", "10 % fewer places in Jan"]


def test_schedules_closures_absence_and_calendar_are_each_stated():
    unit = {
        "capacity_schedule": [{"start": "2025-04-01", "capacity": 30}],
        "closures": {"outbreaks_per_year": 2, "duration_days": {"kind": "fixed", "value": 4}},
        "staff_absence": {"fraction_of_days": 0.1, "capacity_factor": 0.8},
        "admission": {"days": ["Mon", "Tue", "Wed", "Thu", "Fri"], "open_hour": 9.5, "close_hour": 17},
    }
    assert _changes(unit) == [
        "30 places from 2025-04-01",
        "closed to admissions by outbreaks, 2 a year on average (mean 4 days)",
        "20 % fewer places on 10 % of days (staff absence)",
        "admits Mon-Fri 09:30-17:00",
    ]
    # as the model reads the calendar: a repeated day does not hide the day it never admits
    assert _changes({"admission": {"days": ["Mon", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]}}) == [
        "admits Mon-Sat"]
    assert _changes({"admission": {"open_hour": 8, "close_hour": 20}}) == ["admits every day 08:00-20:00"]


def test_rare_outbreaks_and_absence_that_never_happens():
    # half an outbreak a year is still stated; a capacity factor on no day of absence changes nothing
    assert _changes({"closures": {"outbreaks_per_year": 0.5, "duration_days": {"kind": "fixed", "value": 10}},
                     "staff_absence": {"fraction_of_days": 0.0, "capacity_factor": 0.8}}) == [
        "closed to admissions by outbreaks, 0.5 a year on average (mean 10 days)"]


def test_the_default_systems_winter_cut_is_in_its_key_assumptions():
    """Every default unit loses 12 % of its places in winter: the pack must say so (found by a QA pass)."""
    config = load_config()
    table = assumptions_table(config)
    units = table[table["assumption"].str.startswith(tuple(config["services"]))]
    assert len(units) == len(config["services"])
    for name, value in zip(units["assumption"], units["value"], strict=True):
        capacity = config["services"][name.split(":")[0]]["capacity"]
        assert f"{capacity} places; 12 % fewer places in Jan, Feb, Dec;" in value, value
