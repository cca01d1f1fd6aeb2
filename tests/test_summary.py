"""The printed summary says what a scenario turns on and prints only the sections that apply."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from omegaconf import OmegaConf

from flowsim.compose import load_config
from flowsim.features import scenario_features
from flowsim.scenario import Scenario, build_scenario
from flowsim.summary import format_summary

UNIT_NAMES = ("p1_reablement", "ic_beds", "care_home_unit", "p3_interim_beds")


def _scenario(*overrides: str, edit=None) -> Scenario:
    """A default-system scenario from Hydra overrides, optionally edited as a plain dict first."""
    cfg = OmegaConf.to_container(load_config(list(overrides)), resolve=True)
    if edit:
        edit(cfg)
    return build_scenario(cfg)


def _summary(kpis: dict[str, float], n: int = 1, half_width: float = 0.0) -> pd.DataFrame:
    """A summary table as :func:`flowsim.aggregate.summarise` writes it."""
    rows = []
    for kpi, mean in kpis.items():
        half = half_width * abs(mean) if n > 1 else math.nan
        rows.append({"kpi": kpi, "n": n, "mean": mean, "sd": math.nan, "ci_low": mean - half,
                     "ci_high": mean + half, "half_width_pct": 100 * half_width if n > 1 else math.nan})
    return pd.DataFrame(rows)


def _units(mean_capacity: dict[str, float] | None = None) -> pd.DataFrame:
    capacity = {"p1_reablement": 480, "ic_beds": 370, "care_home_unit": 20, "p3_interim_beds": 380}
    mean_capacity = {**capacity, **(mean_capacity or {})}
    return pd.DataFrame([{"replication": 0, "unit": u, "capacity": capacity[u],
                          "mean_capacity": mean_capacity[u], "mean_occupied": 0.9 * capacity[u],
                          "utilisation": 0.9 * capacity[u] / mean_capacity[u], "mean_wait_days": 1.5,
                          "blocked_days": 10.0} for u in UNIT_NAMES])


KPIS = {
    "delay_n": 1000.0, "delayed_days_total": 500.0, "delay_mean_days": 0.5,
    "delayed_days_reason_admin": 100.0, "delayed_days_reason_P1": 50.0, "delayed_days_reason_P2": 300.0,
    "delayed_days_reason_P3": 30.0, "delayed_days_reason_housing": 20.0,
    "delayed_days_reason_calendar": 0.0,
    "barriers": 101.0, "housing_wait_days_mean": 45.2, "p2_blocked_by_housing_days": 122.0,
    "coordinator_caseload_mean": 3.9, "coordinator_utilisation": 0.26, "coordinator_wait_days_mean": 0.5,
    "fixes_coordinated": 90.0, "fixes_uncoordinated": 0.0,
    "flat_step_down_occupancy": 0.852, "flat_step_down_stays": 60.0, "flat_step_down_stay_days_mean": 40.1,
    "flat_step_down_over_length_stays": 3.0, "flat_step_down_turnaround_days_mean": 3.0,
    "nctr_census_mean": 149.1, "nctr_census_midnight_p95": 252.0,
    "acute_bed_occupancy": 0.925, "acute_admissions": 104_000.0, "acute_admissions_delayed": 5_000.0,
    "ed_boarding_hours_mean": 1.234, "ed_boarding_hours_p95": 8.0, "ed_boarding_at_end": 3.0,
    "cost_delayed_days": 1_000.0, "cost_units": 2_000.0, "cost_housing": 300.0, "cost_total": 3_300.0,
}


def _lines(scenario: Scenario, units: pd.DataFrame | None = None, **summary) -> list[str]:
    return format_summary(_summary(KPIS, **summary), _units() if units is None else units, scenario,
                          summary.get("n", 1)).splitlines()


def _everything(cfg: dict, census: str) -> None:
    cfg["acute"] = {"enabled": True, "beds": 1450,
                    "clinical_los_days": {"kind": "lognormal", "mean": 4.2, "sd": 5.0}}
    cfg["services"]["ic_beds"]["capacity_schedule"] = [{"start": "2025-12-01", "capacity": 404},
                                                       {"start": "2026-04-01", "capacity": 370}]
    unit = cfg["services"]["care_home_unit"]
    unit["admission"] = {"days": ["Mon", "Tue", "Wed", "Thu", "Fri"], "open_hour": 9, "close_hour": 17}
    unit["closures"] = {"outbreaks_per_year": 2, "duration_days": {"kind": "fixed", "value": 10}}
    unit["staff_absence"] = {"fraction_of_days": 0.1, "capacity_factor": 0.8}
    unit["max_stay_days"] = 28
    cfg["run"]["initial_census"] = census


def test_features_line_lists_everything_the_scenario_turns_on(tmp_path):
    census = tmp_path / "census.yaml"
    census.write_text("units:\n  ic_beds: {count: 2}\nwaiting:\n  P2: {days_waited: [1.5]}\n")
    scenario = _scenario("housing=step_down_flats", edit=lambda cfg: _everything(cfg, str(census)))
    assert _lines(scenario)[1] == (
        "Features: housing barriers (0.1 % of episodes); 1 housing coordinator; step-down flats (12); "
        "acute bed pool (1,450 beds); capacity schedule (ic_beds); admission calendar (care_home_unit "
        "Mon-Fri 09:00-17:00); outbreak closures (care_home_unit 2 a year); staff absence "
        "(care_home_unit 10 % of days at 80 % capacity); contracted maximum stay (care_home_unit 28 d); "
        "warm start from a census (3 patients)")


def test_the_core_model_alone_says_so():
    scenario = _scenario("housing=off")
    assert scenario_features(scenario) == []
    lines = _lines(scenario)
    assert lines[0] == "flowsim: 1 replication(s), 365 days observed after warm-up"
    assert lines[1] == "Features: none (the core model alone)"
    assert "Delayed days by reason: admin 100, P1 50, P2 300, P3 30" in lines  # no housing, no calendar
    assert not any(line.startswith(("Housing", "Step-down", "Acute", "Emergency")) for line in lines)
    assert lines[-1] == "Costs over the window (GBP): delayed acute days 1,000, units 2,000, total 3,300"


def test_acute_section_only_with_the_acute_pool():
    on = _lines(_scenario("scenario=acute_pool"))
    start = on.index("Acute bed pool: 1,450 beds, mean occupancy 92.5 %")
    assert on[start + 1] == ("Emergency admissions 104,000, of which waited for a bed 5,000; ED boarding "
                             "hours mean 1.23, p95 8.0; still boarding at the end 3")
    assert on[1] == "Features: housing barriers (0.1 % of episodes); acute bed pool (1,450 beds)"
    off = "\n".join(_lines(_scenario()))
    assert "Acute bed pool" not in off and "ED boarding" not in off and "acute bed pool" not in off


def test_housing_as_things_stand_prints_no_coordinator_flat_or_housing_cost_line():
    lines = _lines(_scenario())  # housing=default: barriers, no coordinators, no flats
    assert lines[1] == "Features: housing barriers (0.1 % of episodes)"
    assert "Housing: 101 barriers, mean wait for a fix 45.2 d, P2 bed-days blocked by housing 122" in lines
    assert "Delayed days by reason: admin 100, P1 50, P2 300, P3 30, housing 20" in lines
    assert not any(line.startswith(("Housing coordinators", "Step-down flats")) for line in lines)
    assert lines[-1] == "Costs over the window (GBP): delayed acute days 1,000, units 2,000, total 3,300"


def test_coordinators_and_flats_get_their_lines_and_the_housing_cost():
    lines = _lines(_scenario("housing=step_down_flats"))
    assert ("Housing coordinators: 1 FTE, caseload up to 15; mean caseload 3.9 (utilisation 26.0 %), mean "
            "wait for a coordinator 0.50 d; fixes coordinated 90, uncoordinated 0") in lines
    assert ("Step-down flats step_down (12): occupancy 85.2 %, stays 60, mean stay 40.1 d, over-length "
            "stays (> 42 d) 3, mean void 3.0 d") in lines
    assert lines[-1] == ("Costs over the window (GBP): delayed acute days 1,000, units 2,000, housing 300, "
                         "total 3,300")
    coordinators_only = _lines(_scenario("housing=coordinator_scheme"))
    assert coordinators_only[1] == "Features: housing barriers (0.1 % of episodes); 2 housing coordinators"
    assert not any(line.startswith("Step-down flats") for line in coordinators_only)
    no_flats = _lines(_scenario("housing=step_down_flats", "housing.flats.step_down.capacity=0"))
    assert not any(line.startswith("Step-down flats") for line in no_flats)
    assert no_flats[1] == "Features: housing barriers (0.1 % of episodes); 1 housing coordinator"


def test_units_show_their_mean_capacity_when_they_follow_a_schedule():
    lines = _lines(_scenario("scenario=winter_surge"),
                   _units({"p1_reablement": 485.3, "ic_beds": 381.27}))
    start = lines.index("Units (utilisation of the mean capacity in force)")
    assert lines[start + 1].split() == ["unit", "capacity", "mean", "capacity", "mean", "occupied",
                                        "utilisation", "mean", "wait", "d", "blocked", "bed-days"]
    assert lines[start + 3].split() == ["p1_reablement", "480", "485.3", "432.0", "89.0", "%", "1.50", "10"]
    assert lines[start + 4].split() == ["ic_beds", "370", "381.3", "333.0", "87.3", "%", "1.50", "10"]
    assert lines[start + 5].split() == ["care_home_unit", "20", "20.0", "18.0", "90.0", "%", "1.50", "10"]
    plain = _lines(_scenario())
    header = plain[plain.index("Units") + 1]
    assert "mean capacity" not in header


def test_replications_show_confidence_half_widths():
    lines = _lines(_scenario("housing=off"), n=10, half_width=0.1)
    assert lines[0] == ("flowsim: 10 replication(s), 365 days observed after warm-up "
                        "(mean ± 95 % CI half-width)")
    assert "NCTR census: mean 149.1 ± 14.9, 95th percentile at midnight 252 ± 25" in lines


@pytest.mark.parametrize(("days", "text"), [
    (["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "every day 08:00-20:00"),
    (["Mon", "Wed", "Fri"], "Mon,Wed,Fri 08:00-20:00"),
])
def test_calendar_text(days, text):
    def edit(cfg):
        cfg["services"]["care_home_unit"]["admission"] = {"days": days, "open_hour": 8, "close_hour": 20}
    assert scenario_features(_scenario("housing=off", edit=edit)) == [
        f"admission calendar (care_home_unit {text})"]


def test_censored_delays_are_flagged_only_when_there_are_some():
    scenario = _scenario("scenario=quick")
    kpis = {**KPIS, "delay_censored_n": 3.0}
    lines = format_summary(_summary(kpis), _units(), scenario, 1).splitlines()
    assert ("(delays followed 20 days past the horizon; 3 episode(s) still waiting then count "
            "with their delay so far)") in lines
    quiet = format_summary(_summary({**KPIS, "delay_censored_n": 0.0}), _units(), scenario, 1)
    assert "still waiting then" not in quiet
