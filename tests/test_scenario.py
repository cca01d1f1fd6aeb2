"""Validation: every bad input stops before running, naming the field and the fix."""

from __future__ import annotations

import copy
import dataclasses

import pytest
from conftest import single_unit_config

from flowsim.model.compose import load_config
from flowsim.model.errors import ConfigError
from flowsim.model.scenario import build_scenario


def _with(change) -> dict:
    cfg = single_unit_config()
    cfg = copy.deepcopy(cfg)
    change(cfg)
    return cfg


BAD = {
    "shares do not sum to 1": (
        lambda c: c["pathways"]["shares"].update(P0=0.5), "pathways.shares", "sum to"),
    "after-P2 shares do not sum to 1": (
        lambda c: c["after_p2"]["shares"].update(home=0.5), "after_p2.shares", "sum to"),
    "negative share": (
        lambda c: c["pathways"]["shares"].update(P0=-0.5, P2=1.5), "pathways.shares.P0", ">= 0"),
    "negative capacity": (
        lambda c: c["services"]["unit"].update(capacity=-3), "services.unit.capacity", ">= 0"),
    "non-integer capacity": (
        lambda c: c["services"]["unit"].update(capacity=2.5), "services.unit.capacity", "whole"),
    "text capacity": (
        lambda c: c["services"]["unit"].update(capacity="ten"), "services.unit.capacity", "whole"),
    "unknown distribution": (
        lambda c: c["services"]["unit"]["los_days"].update(kind="triangular"),
        "services.unit.los_days.kind", "unknown distribution"),
    "LoS parameter out of range": (
        lambda c: c["services"]["unit"].update(los_days={"kind": "lognormal", "mean": 30, "sd": 0}),
        "services.unit.los_days.sd", "(0) must be between 0.001 and 10 times the mean (30)"),
    "missing LoS parameter": (
        lambda c: c["services"]["unit"].update(los_days={"kind": "gamma", "mean": 30}),
        "services.unit.los_days", "needs"),
    "unknown pathway served by a unit": (
        lambda c: c["services"]["unit"].update(pathways=["P5"]), "services.unit.pathways",
        "unknown pathway"),
    "unknown pathway in shares": (
        lambda c: c["pathways"]["shares"].update(P9=0.0), "pathways.shares.P9", "unknown name"),
    "unknown pathway in readmission": (
        lambda c: c["readmission"]["probability"].update(P7=0.1), "readmission.probability.P7",
        "unknown pathway"),
    "unknown after-P2 outcome": (
        lambda c: c["after_p2"]["shares"].update(hospice=0.0), "after_p2.shares.hospice",
        "unknown name"),
    "pathway with demand but no unit": (
        lambda c: c["services"]["unit"].update(pathways=["P1"]), "pathways.shares.P2",
        "no unit"),
    "horizon not beyond warm-up": (
        lambda c: c["run"].update(horizon_days=100, warm_up_days=100), "run.horizon_days",
        "must exceed"),
    "bad start date": (
        lambda c: c["run"].update(start_date="2025-02-30"), "run.start_date",
        "not a day of the calendar (2025-02 has 28 days)"),
    "start date not written YYYY-MM-DD": (
        lambda c: c["run"].update(start_date="20250401"), "run.start_date", "is not a date"),
    "negative arrival rate": (
        lambda c: c["arrivals"].update(rate_per_day=-1), "arrivals.rate_per_day", ">= 0"),
    "wrong weekday profile length": (
        lambda c: c["arrivals"].update(day_of_week_multipliers=[1, 1]),
        "arrivals.day_of_week_multipliers", "needs 7"),
    "readmission probability above 1": (
        lambda c: c["readmission"]["probability"].update(P2=1.2), "readmission.probability.P2",
        "<= 1.0"),
    "zero replications": (lambda c: c.update(replications=0), "replications", ">= 1"),
    "negative cost": (lambda c: c["costs"].update(acute_bed_day=-5), "costs.acute_bed_day", ">= 0"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_names_field_and_fix(case):
    change, field, problem = BAD[case]
    with pytest.raises(ConfigError) as caught:
        build_scenario(_with(change))
    assert caught.value.field == field
    assert problem in caught.value.problem
    message = str(caught.value)
    if case == "bad start date":  # already YYYY-MM-DD: the fix is another day, not another form
        assert message.endswith("fix: give a day that exists, e.g. 2025-02-28")
    assert "\n" not in message and "fix:" in message


def test_valid_config_builds_a_frozen_scenario():
    scenario = build_scenario(single_unit_config(capacity=4))
    assert scenario.unit("unit").capacity == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        scenario.horizon_days = 5  # type: ignore[misc]
    assert not scenario.arrival_rates_per_day.flags.writeable


def test_units_for_pathway_follow_preference():
    scenario = build_scenario(load_config([]))
    assert [u.name for u in scenario.units_for("P2")] == ["ic_beds", "care_home_unit"]
    swapped = build_scenario(load_config(["services.care_home_unit.preference=0"]))
    assert [u.name for u in swapped.units_for("P2")] == ["care_home_unit", "ic_beds"]


def test_default_config_matches_model_md():
    scenario = build_scenario(load_config([]))
    # 220.9 new NCTR patients a day: with readmissions, 250 NCTR episodes a day (calibrated)
    assert scenario.arrival_rates_per_day.mean() == pytest.approx(220.9, rel=0.01)
    assert scenario.pathway_shares == (0.85, 0.09, 0.035, 0.025)
    assert scenario.unit("ic_beds").los.mean == pytest.approx(36)
    assert scenario.unit("p1_reablement").los.mean == pytest.approx(15, rel=0.01)
    assert scenario.unit("p3_interim_beds").los.mean == pytest.approx(43)
    assert scenario.acute_bed_day_cost == 395
    assert scenario.observed_days == 365
