"""What a scenario turns on, in a planner's words (flowsim.reporting.features): every phrase of the summary's
"Features:" line and the tests that decide which summary sections are printed.

Scenarios are the default system (``housing=step_down_flats``: barriers in 0.0494 % of episodes, 1
coordinator, 12 step-down flats) without its calibrated delays and seasonal capacity, edited in place
with :func:`dataclasses.replace`, so each test states exactly what it turns on.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from omegaconf import OmegaConf

from flowsim.model.acute import AcuteSpec
from flowsim.model.availability import Availability
from flowsim.model.census import InitialCensus
from flowsim.model.compose import load_config, load_scenario
from flowsim.model.distributions import Fixed
from flowsim.model.scenario import Scenario, build_scenario
from flowsim.reporting.features import has_admission_calendar, has_coordinators, has_flats, scenario_features


@pytest.fixture(scope="module")
def calibrated() -> Scenario:
    return build_scenario(OmegaConf.to_container(load_config(["housing=step_down_flats"]), resolve=True))


@pytest.fixture(scope="module")
def base(calibrated: Scenario) -> Scenario:
    """The default system with housing, less its arrangement delays, other reasons and seasonal capacity."""
    units = tuple(replace(u, availability=replace(u.availability, month_factors=(1.0,) * 12))
                  for u in calibrated.units)
    return replace(calibrated, arrangement=(None,) * 4, arrangement_factor_by_day=None,
                   p0_other_probability=0.0, p0_other_delay=None, units=units)


@pytest.fixture(scope="module")
def core(base: Scenario) -> Scenario:
    """The core model alone: housing off, nothing else turned on."""
    return replace(base, housing=replace(base.housing, enabled=False))


def _housing(scenario: Scenario, **changes) -> Scenario:
    return replace(scenario, housing=replace(scenario.housing, **changes))


def _unit(scenario: Scenario, name: str, **availability) -> Scenario:
    """``scenario`` with unit ``name``'s availability changed (``max_stay_days`` changes the unit)."""
    units = []
    for u in scenario.units:
        if u.name == name:
            stay = availability.pop("max_stay_days", u.max_stay_days)
            u = replace(u, availability=replace(u.availability, **availability), max_stay_days=stay)
        units.append(u)
    return replace(scenario, units=tuple(units))


def test_the_core_model_turns_nothing_on(core):
    assert scenario_features(core) == []
    assert not has_coordinators(core) and not has_flats(core)
    assert not any(has_admission_calendar(u.availability) for u in core.units)


# --- housing ----------------------------------------------------------------------------------------

def test_housing_barriers_coordinators_and_flats(base):
    assert scenario_features(base) == ["housing barriers (0.0494 % of episodes)", "1 housing coordinator",
                                       "step-down flats (12)"]
    assert has_coordinators(base) and has_flats(base)


@pytest.mark.parametrize(("probability", "text"), [(0.25, "25"), (0.125, "12.5"), (1.0, "100"), (0.0, "0")])
def test_barrier_share_as_a_percentage(core, probability, text):
    scenario = _housing(core, enabled=True, barrier_probability=probability, coordinator_fte=0, flats=())
    assert scenario_features(scenario) == [f"housing barriers ({text} % of episodes)"]


def test_coordinators_singular_and_plural(base):
    assert scenario_features(_housing(base, coordinator_fte=2, flats=()))[1:] == ["2 housing coordinators"]
    assert scenario_features(_housing(base, coordinator_fte=1, flats=()))[1:] == ["1 housing coordinator"]
    no_one = _housing(base, coordinator_fte=0, flats=())
    assert scenario_features(no_one) == ["housing barriers (0.0494 % of episodes)"]
    assert not has_coordinators(no_one)


def test_flat_schemes_with_places(base):
    step_down = base.housing.flats[0]
    extra = replace(step_down, name="extra", capacity=1)
    empty = replace(step_down, name="empty", capacity=0)
    two = _housing(base, coordinator_fte=0, flats=(step_down, empty, extra))
    assert scenario_features(two)[1:] == ["step-down flats (step_down 12, extra 1)"]
    one_with_places = _housing(base, coordinator_fte=0, flats=(empty, extra))
    assert scenario_features(one_with_places)[1:] == ["step-down flats (1)"]
    assert has_flats(one_with_places)
    none = _housing(base, coordinator_fte=0, flats=(empty,))
    assert scenario_features(none) == ["housing barriers (0.0494 % of episodes)"]
    assert not has_flats(none)


def test_housing_switched_off_hides_its_coordinators_and_flats(core):
    assert core.housing.coordinator_fte == 1 and core.housing.flats[0].capacity == 12  # still configured
    assert not has_coordinators(core) and not has_flats(core)
    assert scenario_features(core) == []


# --- acute pool, warm start -------------------------------------------------------------------------

def test_acute_bed_pool(core):
    scenario = replace(core, acute=AcuteSpec(True, 1450, Fixed(4.0)))
    assert scenario_features(scenario) == ["acute bed pool (1,450 beds)"]
    small = replace(core, acute=AcuteSpec(True, 12, Fixed(4.0)))
    assert scenario_features(small) == ["acute bed pool (12 beds)"]


def test_warm_start_counts_the_census_patients(core):
    census = InitialCensus(in_units=(("ic_beds", (None,) * 1000), ("care_home_unit", (2.0, 3.0))),
                           waiting=(("P2", (1.5,) * 234),))
    assert scenario_features(replace(core, initial_census=census)) == [
        "warm start from a census (1,236 patients)"]  # 1000 + 2 in units, 234 waiting


# --- per-unit features ------------------------------------------------------------------------------

def test_capacity_schedules_name_their_units_in_unit_order(core):
    scenario = _unit(_unit(core, "ic_beds", schedule=((0.0, 404),)), "p1_reablement",
                     schedule=((10.0, 500), (100.0, 480)))
    assert scenario_features(scenario) == ["capacity schedule (p1_reablement, ic_beds)"]


@pytest.mark.parametrize(("days", "text"), [
    ({0, 1, 2, 3, 4}, "Mon-Fri"),
    ({0, 1, 2}, "Mon-Wed"),
    ({1, 2, 3, 4, 5, 6}, "Tue-Sun"),
    ({0, 1}, "Mon,Tue"),  # two days are listed, not a range
    ({5, 6}, "Sat,Sun"),
    ({0, 2, 4}, "Mon,Wed,Fri"),
    ({0, 1, 3}, "Mon,Tue,Thu"),
    ({3}, "Thu"),
])
def test_admission_days(core, days, text):
    scenario = _unit(core, "care_home_unit", admission_days=frozenset(days))
    assert scenario_features(scenario) == [f"admission calendar (care_home_unit {text})"]


@pytest.mark.parametrize(("days", "open_hour", "close_hour", "text"), [
    (range(7), 8.0, 20.0, "every day 08:00-20:00"),
    (range(5), 9.0, 17.0, "Mon-Fri 09:00-17:00"),
    (range(7), 9.5, 17.75, "every day 09:30-17:45"),
    (range(7), 8.25, 24.0, "every day 08:15-24:00"),  # opens late only
    (range(7), 0.0, 16.0, "every day 00:00-16:00"),  # closes early only
    (range(7), 10.0, 10.5, "every day 10:00-10:30"),
    (range(7), 0.5, 24.0, "every day 00:30-24:00"),
    (range(7), 0.0, 23.5, "every day 00:00-23:30"),
    (range(7), 7.9999, 16.995, "every day 08:00-17:00"),  # to the nearest minute: never "07:60"
])
def test_admission_hours(core, days, open_hour, close_hour, text):
    scenario = _unit(core, "care_home_unit", admission_days=frozenset(days), open_hour=open_hour,
                     close_hour=close_hour)
    assert scenario_features(scenario) == [f"admission calendar (care_home_unit {text})"]


def test_admission_calendar_boundaries():
    assert not has_admission_calendar(Availability())
    assert not has_admission_calendar(Availability(admission_days=frozenset(range(7)), open_hour=0.0,
                                                   close_hour=24.0))
    assert has_admission_calendar(Availability(admission_days=frozenset(range(6))))
    assert has_admission_calendar(Availability(open_hour=0.5))
    assert has_admission_calendar(Availability(close_hour=23.5))


def test_closures_absence_and_contracted_stays(core):
    scenario = _unit(core, "care_home_unit", outbreaks_per_year=2.0, outbreak_days=Fixed(10.0),
                     absence_fraction=0.1, absence_factor=0.8, max_stay_days=28.0)
    scenario = _unit(scenario, "ic_beds", outbreaks_per_year=0.5, outbreak_days=Fixed(10.0),
                     absence_fraction=0.025, absence_factor=0.5, max_stay_days=42.5)
    assert scenario_features(scenario) == [
        "outbreak closures (ic_beds 0.5 a year, care_home_unit 2 a year)",
        "staff absence (ic_beds 2.5 % of days at 50 % capacity, care_home_unit 10 % of days at 80 % "
        "capacity)",
        "contracted maximum stay (ic_beds 42.5 d, care_home_unit 28 d)",
    ]


def test_every_feature_in_its_fixed_order(base):
    scenario = replace(_unit(base, "care_home_unit", schedule=((0.0, 25),),
                             admission_days=frozenset(range(5)), outbreaks_per_year=1.0,
                             outbreak_days=Fixed(7.0), absence_fraction=0.2, absence_factor=0.75,
                             max_stay_days=56.0),
                       acute=AcuteSpec(True, 900, Fixed(4.0)),
                       initial_census=InitialCensus(waiting=(("P3", (None, None)),)))
    assert scenario_features(scenario) == [
        "housing barriers (0.0494 % of episodes)", "1 housing coordinator", "step-down flats (12)",
        "acute bed pool (900 beds)", "capacity schedule (care_home_unit)",
        "admission calendar (care_home_unit Mon-Fri)", "outbreak closures (care_home_unit 1 a year)",
        "staff absence (care_home_unit 20 % of days at 75 % capacity)",
        "contracted maximum stay (care_home_unit 56 d)", "warm start from a census (2 patients)"]


# --- the calibrated default system ---------------------------------------------------------------

def test_the_calibrated_default_names_its_delays_and_seasonal_capacity(calibrated, base):
    p1, p2, p3 = (d.mean for d in calibrated.arrangement[1:])
    other = calibrated.p0_other_delay.mean
    assert scenario_features(calibrated) == [
        f"arrangement before a place (mean P1 {p1:.1f} d, P2 {p2:.1f} d, P3 {p3:.1f} d, longer in some "
        "months)",
        f"P0 held for other reasons (0.55 % of P0, mean {other:.1f} d)",
        *scenario_features(base)[:3],
        "seasonal capacity (p1_reablement, ic_beds, care_home_unit, p3_interim_beds, down to 88 % in some "
        "months)",
    ]


def test_arrangement_without_seasons_and_on_one_pathway(base):
    scenario = replace(base, arrangement=(None, None, Fixed(2.0), None))
    assert scenario_features(scenario)[0] == "arrangement before a place (mean P2 2.0 d)"


def test_seasonal_capacity_of_one_unit(base):
    scenario = _unit(base, "ic_beds", month_factors=(0.75,) + (1.0,) * 11)
    assert "seasonal capacity (ic_beds, down to 75 % in some months)" in scenario_features(scenario)


def test_scheme_rules_follow_up_and_community_referrals():
    roseberry = scenario_features(load_scenario(["scheme=roseberry"]))
    assert "flats offered with no housing barrier (roseberry P1 10 %)" in roseberry
    assert "flat stays ended at their maximum (roseberry 42 d)" in roseberry
    assert "community referrals (0.14 a day)" in roseberry
    oldham = scenario_features(load_scenario(["scheme=oldham_h2h"]))
    assert "coordinator follow-up after the fix (mean 60 d)" in oldham
    # two schemes, one offering to two pathways: each listed, in order, with its own separators
    scheme = load_scenario(["scheme=roseberry"])
    flats = scheme.housing.flats
    two = (replace(flats[0], without_barrier=(("P1", 0.1), ("P3", 0.05))),
           replace(flats[0], name="annex", without_barrier=(("P3", 0.2),), max_stay_days=28.0))
    listed = scenario_features(replace(scheme, housing=replace(scheme.housing, flats=two)))
    assert "flats offered with no housing barrier (roseberry P1 10 %, P3 5 %; annex P3 20 %)" in listed
    assert "flat stays ended at their maximum (roseberry 42 d, annex 28 d)" in listed
    plain = scenario_features(load_scenario(["housing=step_down_flats"]))
    assert not any(f.startswith(("flats offered", "flat stays ended", "coordinator follow-up", "community"))
                   for f in plain)


def test_p0_held_for_other_reasons_needs_a_chance_and_a_length(base):
    held = [f for f in scenario_features(replace(base, p0_other_probability=0.01, p0_other_delay=Fixed(3.0)))
            if f.startswith("P0 held")]
    assert held == ["P0 held for other reasons (1 % of P0, mean 3.0 d)"]
    # a length with no chance of it (the default system's own, switched off) is no feature
    assert not any(f.startswith("P0 held") for f in scenario_features(
        replace(base, p0_other_probability=0.0, p0_other_delay=Fixed(3.0))))


def test_a_follow_up_shorter_than_a_day_is_still_a_feature():
    oldham = load_scenario(["scheme=oldham_h2h"])
    short = replace(oldham, housing=replace(oldham.housing, follow_up=Fixed(0.5)))
    assert "coordinator follow-up after the fix (mean 0.5 d)" in scenario_features(short)
    none = replace(oldham, housing=replace(oldham.housing, follow_up=Fixed(0.0)))
    assert not any(f.startswith("coordinator follow-up") for f in scenario_features(none))


def test_a_census_of_one_patient_is_singular(base):
    scenario = replace(base, initial_census=InitialCensus(waiting=(("P3", (None,)),)))
    assert scenario_features(scenario)[-1] == "warm start from a census (1 patient)"
