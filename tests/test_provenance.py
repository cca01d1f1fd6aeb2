"""The board pack's key assumptions say what changes a unit's places, not only its capacity."""

from __future__ import annotations

from flowsim.model.compose import load_config
from flowsim.reporting.provenance import assumptions_table, capacity_changes


def test_a_plain_unit_has_no_changes() -> None:
    assert capacity_changes({"capacity": 10}) == []
    assert capacity_changes({"month_capacity_factors": [1.0] * 12,
                             "admission": {"days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                                           "open_hour": 0, "close_hour": 24}}) == []


def test_seasonal_factors_are_named_by_month_and_direction() -> None:
    winter = [0.88, 0.88] + [1.0] * 9 + [0.88]
    assert capacity_changes({"month_capacity_factors": winter}) == ["12 % fewer places in Jan, Feb, Dec"]
    summer = [1.0] * 6 + [1.25, 1.25] + [1.0] * 4
    assert capacity_changes({"month_capacity_factors": summer}) == ["25 % more places in Jul, Aug"]


def test_schedules_closures_absence_and_calendar_are_each_stated() -> None:
    unit = {
        "capacity_schedule": [{"start": "2025-04-01", "capacity": 30}],
        "closures": {"outbreaks_per_year": 2, "duration_days": {"kind": "fixed", "value": 4}},
        "staff_absence": {"fraction_of_days": 0.1, "capacity_factor": 0.8},
        "admission": {"days": ["Mon", "Tue", "Wed", "Thu", "Fri"], "open_hour": 9.5, "close_hour": 17},
    }
    assert capacity_changes(unit) == [
        "30 places from 2025-04-01",
        "closed to admissions by outbreaks, 2 a year on average (mean 4 days)",
        "20 % fewer places on 10 % of days (staff absence)",
        "admits Mon, Tue, Wed, Thu, Fri, 09:30 to 17:00",
    ]
    assert capacity_changes({"admission": {"open_hour": 8, "close_hour": 20}}) == [
        "admits every day, 08:00 to 20:00"]
    # absence that takes no places away changes nothing
    assert capacity_changes({"staff_absence": {"fraction_of_days": 0.3, "capacity_factor": 1.0}}) == []


def test_the_default_systems_winter_cut_is_in_its_key_assumptions() -> None:
    """Every default unit loses 12 % of its places in winter: the pack must say so (found by a QA pass)."""
    config = load_config()
    table = assumptions_table(config)
    units = table[table["assumption"].str.startswith(tuple(config["services"]))]
    assert len(units) == len(config["services"])
    for name, value in zip(units["assumption"], units["value"], strict=True):
        capacity = config["services"][name.split(":")[0]]["capacity"]
        assert f"{capacity} places; 12 % fewer places in Jan, Feb, Dec;" in value, value
