"""The printed summary (flowsim.reporting.summary): every line of ``format_summary`` and
``format_comparison``.

The summary says what a scenario turns on and prints only the sections that apply; each number is the
mean, with ``± 95 % CI half-width`` (``ci_high - mean``, not the whole width) when replications give
one. Summary tables are hand-made (``kpi, n, mean, sd, ci_low, ci_high, half_width_pct``), so each
expected line is the literal text a user reads.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace

import pandas as pd
import pytest
from omegaconf import OmegaConf

from flowsim.model.acute import AcuteSpec
from flowsim.model.compose import load_config
from flowsim.model.distributions import Fixed
from flowsim.model.scenario import Scenario, build_scenario
from flowsim.reporting.features import scenario_features
from flowsim.reporting.summary import format_comparison, format_summary

UNIT_NAMES = ("p1_reablement", "ic_beds", "care_home_unit", "p3_interim_beds")
OPTION = "services.care_home_unit.capacity"


# The calibrated default system's own phrases: first, and after any capacity schedule (test_features.py).
CALIBRATED = ("arrangement before a place (mean P1 5.2 d, P2 8.3 d, P3 9.8 d, longer in some "
              "months); P0 held for other reasons (0.55 % of P0, mean 41.2 d); ")
SEASONAL = ("seasonal capacity (p1_reablement, ic_beds, care_home_unit, p3_interim_beds, down to 88 % in "
            "some months)")


@functools.cache
def _composed(overrides: tuple[str, ...]) -> Scenario:
    return build_scenario(OmegaConf.to_container(load_config(list(overrides)), resolve=True))


def _scenario(*overrides: str, edit=None) -> Scenario:
    """A default-system scenario from Hydra overrides, optionally edited as a plain dict first."""
    if edit is None:
        return _composed(overrides)
    cfg = OmegaConf.to_container(load_config(list(overrides)), resolve=True)
    edit(cfg)
    return build_scenario(cfg)


def _summary(kpis: dict[str, float], n: int = 1, half_width: float = 0.0) -> pd.DataFrame:
    """A summary table as :func:`flowsim.measures.aggregate.summarise` writes it, with a relative
    half-width."""
    rows = []
    for kpi, mean in kpis.items():
        half = half_width * abs(mean) if n > 1 else math.nan
        rows.append({"kpi": kpi, "n": n, "mean": mean, "sd": math.nan, "ci_low": mean - half,
                     "ci_high": mean + half, "half_width_pct": 100 * half_width if n > 1 else math.nan})
    return pd.DataFrame(rows)


def _summary_of(values: dict[str, tuple[float, float]], n: int) -> pd.DataFrame:
    """A summary table from ``kpi -> (mean, CI half-width)``: CI = mean ± half-width over ``n``."""
    return pd.DataFrame([{"kpi": kpi, "n": n, "mean": mean, "sd": math.nan, "ci_low": mean - half,
                          "ci_high": mean + half,
                          "half_width_pct": 100 * half / abs(mean) if mean else math.nan}
                         for kpi, (mean, half) in values.items()])


def _units(mean_capacity: dict[str, float] | None = None) -> pd.DataFrame:
    capacity = {"p1_reablement": 480, "ic_beds": 370, "care_home_unit": 20, "p3_interim_beds": 380}
    mean_capacity = {**capacity, **(mean_capacity or {})}
    return pd.DataFrame([{"replication": 0, "unit": u, "pathways": "P2", "capacity": capacity[u],
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


# --- the README's default output, line by line ------------------------------------------------------

README_KPIS = {
    "delay_P0_n": 88_328.0, "delayed_days_total_P0": 17_700.3, "delay_P0_mean_days": 0.2004,
    "delay_P0_p50_days": 0.1, "delay_P0_p95_days": 0.4512,
    "delay_P1_n": 9_457.0, "delayed_days_total_P1": 6_284.2, "delay_P1_mean_days": 0.6644,
    "delay_P1_p50_days": 0.0, "delay_P1_p95_days": 2.8531,
    "delay_P2_n": 3_678.0, "delayed_days_total_P2": 33_225.4, "delay_P2_mean_days": 9.0712,
    "delay_P2_p50_days": 8.9812, "delay_P2_p95_days": 13.3912,
    "delay_P3_n": 2_571.0, "delayed_days_total_P3": 812.1, "delay_P3_mean_days": 0.3158,
    "delay_P3_p50_days": 0.0, "delay_P3_p95_days": 1.8649,
    "delay_n": 104_034.0, "delayed_days_total": 58_020.2, "delay_mean_days": 0.5512,
    "delay_p50_days": 0.1103, "delay_p95_days": 2.0498, "delay_censored_n": 3.0,
    "delayed_days_reason_admin": 13_225.1, "delayed_days_reason_P1": 6_141.2,
    "delayed_days_reason_P2": 33_225.4, "delayed_days_reason_P3": 812.1,
    "delayed_days_reason_housing": 4_616.6, "delayed_days_reason_calendar": 0.0,
    "barriers": 101.0, "housing_wait_days_mean": 45.21, "p2_blocked_by_housing_days": 119.2,
    "nctr_census_mean": 158.96, "nctr_census_midnight_p95": 256.0,
    "cost_delayed_days": 22_917_900.0, "cost_units": 61_234_567.4, "cost_total": 84_152_467.4,
}


def _readme_units() -> pd.DataFrame:
    """Two replications per unit: the table prints their means."""
    rows = []
    for unit, capacity, occupied, utilisation, wait, blocked in (
            ("p1_reablement", 480, (467.0, 468.6), (0.97, 0.98), (0.60, 0.72), (0.0, 0.0)),
            ("ic_beds", 370, (370.0, 370.0), (1.0, 1.0), (9.0, 9.16), (1300.0, 1426.0)),
            ("care_home_unit", 20, (19.5, 19.7), (0.975, 0.985), (math.nan, math.nan), (12.0, 12.8)),
            ("p3_interim_beds", 380, (371.0, 371.4), (0.976, 0.978), (0.30, 0.34), (1234.0, 1234.8))):
        rows += [{"replication": r, "unit": unit, "pathways": "P2+P3", "capacity": capacity,
                  "mean_capacity": float(capacity),
                  "mean_occupied": occupied[r], "utilisation": utilisation[r], "mean_wait_days": wait[r],
                  "blocked_days": blocked[r]} for r in (0, 1)]
    return pd.DataFrame(rows)


def test_the_default_output_every_line():
    text = format_summary(_summary(README_KPIS), _readme_units(), _scenario(), 1)
    assert text.splitlines() == [
        "flowsim: 1 replication(s), 365 days observed after warm-up",
        f"Features: {CALIBRATED}housing barriers (0.0494 % of episodes); {SEASONAL}",
        "",
        "Delayed days (NCTR to leaving the acute bed) by pathway",
        "pathway  episodes  delayed days  mean days   p50    p95",
        "-------------------------------------------------------",
        "P0         88,328        17,700       0.20  0.10   0.45",
        "P1          9,457         6,284       0.66  0.00   2.85",
        "P2          3,678        33,225       9.07  8.98  13.39",
        "P3          2,571           812       0.32  0.00   1.86",
        "all       104,034        58,020       0.55  0.11   2.05",
        "(delays followed 60 days past the horizon; 3 episode(s) still waiting then count with their delay "
        "so far)",
        "",
        "Delayed days by reason: admin 13,225, P1 6,141, P2 33,225, P3 812, housing 4,617",
        "Housing: 101 barriers, mean wait for a fix 45.2 d, P2 bed-days blocked by housing 119",
        "",
        "NCTR census: time-average 159.0, 95th percentile at midnight 256",
        "",
        "Units",
        "unit             capacity  mean occupied  utilisation  mean wait d  blocked bed-days",
        "------------------------------------------------------------------------------------",
        "p1_reablement         480          467.8       97.5 %         0.66                 0",
        "ic_beds               370          370.0      100.0 %         9.08             1,363",
        "care_home_unit         20           19.6       98.0 %            -                12",
        "p3_interim_beds       380          371.2       97.7 %         0.32             1,234",
        "",
        "Costs over the window (GBP): delayed acute days 22,917,900, units 61,234,567, total 84,152,467",
    ]


# --- ten replications: every section, with CI half-widths ---------------------------------------

RICH = {
    "delay_P0_n": (88_328.0, 120.4), "delayed_days_total_P0": (17_700.3, 210.7),
    "delay_P0_mean_days": (0.2004, 0.0031), "delay_P0_p50_days": (0.1, 0.012),
    "delay_P0_p95_days": (0.4512, 0.021),
    "delay_P1_n": (9_457.0, 80.2), "delayed_days_total_P1": (6_284.2, 95.3),
    "delay_P1_mean_days": (0.6644, 0.0101), "delay_P1_p50_days": (0.0, 0.0),
    "delay_P1_p95_days": (2.8531, 0.1204),
    "delay_P2_n": (3_678.0, 41.1), "delayed_days_total_P2": (33_225.4, 1_500.2),
    "delay_P2_mean_days": (9.0712, 0.3111), "delay_P2_p50_days": (8.9812, 0.2504),
    "delay_P2_p95_days": (13.3912, 0.7702),
    # P3: no KPI at all -> "-"
    "delay_n": (104_034.0, 180.3), "delayed_days_total": (58_020.2, 1_600.4),
    "delay_mean_days": (0.5512, 0.0151),
    "delay_p50_days": (0.1103, 0.0049), "delay_p95_days": (2.0498, 0.0602), "delay_censored_n": (3.0, 1.6),
    "delayed_days_reason_admin": (13_225.1, 50.2), "delayed_days_reason_P1": (6_141.2, 30.3),
    "delayed_days_reason_P2": (33_225.4, 1_500.2), "delayed_days_reason_housing": (4_616.6, 400.1),
    "delayed_days_reason_calendar": (40.2, 6.1),  # P3 reason missing: left out of the line
    "barriers": (101.0, 9.2), "housing_wait_days_mean": (45.2, 3.14),
    "p2_blocked_by_housing_days": (119.3, 20.2),
    "coordinator_caseload_mean": (3.9, 0.41), "coordinator_utilisation": (0.26, 0.021),
    "coordinator_wait_days_mean": (0.5, 0.052), "fixes_coordinated": (90.0, 8.3),
    "fixes_uncoordinated": (0.0, 0.0),
    "flat_step_down_occupancy": (0.852, 0.031), "flat_step_down_stays": (60.0, 4.2),
    "flat_step_down_stay_days_mean": (40.1, 1.23), "flat_step_down_over_length_stays": (3.0, 1.1),
    "flat_step_down_turnaround_days_mean": (3.0, 0.24),
    "nctr_census_mean": (159.0, 4.2), "nctr_census_midnight_p95": (256.0, 9.4),
    "acute_bed_occupancy": (0.925, 0.004), "acute_admissions": (104_000.0, 300.2),
    "acute_admissions_delayed": (5_000.0, 120.3), "ed_boarding_hours_mean": (1.234, 0.1),
    "ed_boarding_hours_p95": (8.0, 0.5), "ed_boarding_at_end": (3.0, 1.2),
    "cost_delayed_days": (22_917_900.0, 630_000.0), "cost_units": (61_234_567.4, 12_000.0),
    "cost_housing": (1_234_000.0, 5_000.0), "cost_total": (85_386_467.4, 640_000.0),
}


def _rich_scenario() -> Scenario:
    """Flats (12 and 1, one scheme without places), a coordinator, the acute pool, a capacity schedule for
    ic_beds and weekday admission to the care-home unit."""
    base = _scenario("housing=step_down_flats")
    step_down = base.housing.flats[0]
    flats = (step_down, replace(step_down, name="empty", capacity=0),
             replace(step_down, name="extra", capacity=1, max_stay_days=27.5))
    units = tuple(replace(u, availability=replace(u.availability, schedule=((0.0, 404), (120.0, 370))))
                  if u.name == "ic_beds" else
                  replace(u, availability=replace(u.availability, admission_days=frozenset(range(5))))
                  if u.name == "care_home_unit" else u for u in base.units)
    return replace(base, housing=replace(base.housing, flats=flats), units=units,
                   acute=AcuteSpec(True, 1450, Fixed(4.0)))


def _rich_units() -> pd.DataFrame:
    return pd.DataFrame([
        {"unit": "p1_reablement", "capacity": 480, "mean_capacity": 480.0, "mean_occupied": 467.8,
         "utilisation": 0.9746, "mean_wait_days": 0.66, "blocked_days": 0.0},
        {"unit": "ic_beds", "capacity": 370, "mean_capacity": 381.27, "mean_occupied": 370.0,
         "utilisation": 0.9704, "mean_wait_days": 9.08, "blocked_days": 1363.0},
        {"unit": "care_home_unit", "capacity": 20, "mean_capacity": math.nan, "mean_occupied": 19.6,
         "utilisation": 0.98, "mean_wait_days": math.nan, "blocked_days": 12.0},
        {"unit": "p3_interim_beds", "capacity": 380, "mean_capacity": 380.0, "mean_occupied": 371.2,
         "utilisation": math.nan, "mean_wait_days": math.nan, "blocked_days": 1234.4},
    ]).assign(replication=0, pathways="P1")  # units.parquet has a text column: means skip it


def test_ten_replications_every_section_with_half_widths():
    text = format_summary(_summary_of(RICH, 10), _rich_units(), _rich_scenario(), 10)
    assert text.splitlines() == [
        "flowsim: 10 replication(s), 365 days observed after warm-up (mean ± 95 % CI half-width)",
        f"Features: {CALIBRATED}housing barriers (0.0494 % of episodes); 1 housing coordinator; step-down "
        "flats (step_down 12, extra 1); acute bed pool (1,450 beds); capacity schedule (ic_beds); "
        f"{SEASONAL}; admission calendar (care_home_unit Mon-Fri)",
        "",
        "Delayed days (NCTR to leaving the acute bed) by pathway",
        "pathway       episodes    delayed days    mean days          p50           p95",
        "------------------------------------------------------------------------------",
        "P0        88,328 ± 120    17,700 ± 211  0.20 ± 0.00  0.10 ± 0.01   0.45 ± 0.02",
        "P1          9,457 ± 80      6,284 ± 95  0.66 ± 0.01  0.00 ± 0.00   2.85 ± 0.12",
        "P2          3,678 ± 41  33,225 ± 1,500  9.07 ± 0.31  8.98 ± 0.25  13.39 ± 0.77",
        "P3                   -               -            -            -             -",
        "all      104,034 ± 180  58,020 ± 1,600  0.55 ± 0.02  0.11 ± 0.00   2.05 ± 0.06",
        "(delays followed 60 days past the horizon; 3 ± 2 episode(s) still waiting then count with their "
        "delay so far)",
        "",
        "Delayed days by reason: admin 13,225 ± 50, P1 6,141 ± 30, P2 33,225 ± 1,500, housing 4,617 ± 400, "
        "calendar 40 ± 6",
        "Housing: 101 ± 9 barriers, mean wait for a fix 45.2 ± 3.1 d, P2 bed-days blocked by housing "
        "119 ± 20",
        "Housing coordinators: 1 FTE, caseload up to 15; mean caseload 3.9 ± 0.4 (utilisation 26.0 ± 2.1 %), "
        "mean wait for a coordinator 0.50 ± 0.05 d; fixes coordinated 90 ± 8, uncoordinated 0 ± 0",
        "Step-down flats step_down (12): occupancy 85.2 ± 3.1 %, stays 60 ± 4, mean stay 40.1 ± 1.2 d, "
        "over-length stays (> 42 d) 3 ± 1, mean void 3.0 ± 0.2 d",
        "Step-down flats extra (1): occupancy -, stays -, mean stay - d, over-length stays (> 27.5 d) -, "
        "mean void - d",
        "",
        "NCTR census: time-average 159.0 ± 4.2, 95th percentile at midnight 256 ± 9",
        "",
        "Acute bed pool: 1,450 beds, mean occupancy 92.5 ± 0.4 %",
        "Emergency admissions 104,000 ± 300, of which waited for a bed 5,000 ± 120; ED boarding hours mean "
        "1.23 ± 0.10, p95 8.0 ± 0.5; still boarding at the end 3 ± 1",
        "",
        "Units (utilisation of the mean commissioned capacity)",
        "unit             capacity  mean capacity  mean occupied  utilisation  mean wait d  blocked bed-days",
        "---------------------------------------------------------------------------------------------------",
        "p1_reablement         480          480.0          467.8       97.5 %         0.66                 0",
        "ic_beds               370          381.3          370.0       97.0 %         9.08             1,363",
        "care_home_unit         20              -           19.6       98.0 %            -                12",
        "p3_interim_beds       380          380.0          371.2            -            -             1,234",
        "",
        "Costs over the window (GBP): delayed acute days 22,917,900 ± 630,000, units 61,234,567 ± 12,000, "
        "housing 1,234,000 ± 5,000, total 85,386,467 ± 640,000",
    ]


def test_plus_minus_is_the_half_width_not_the_whole_interval():
    # mean 100, CI 90 to 110: the half-width is 10 (the whole width 20 would be wrong)
    summary = pd.DataFrame([{"kpi": "nctr_census_mean", "n": 5, "mean": 100.0, "sd": 8.05, "ci_low": 90.0,
                             "ci_high": 110.0, "half_width_pct": 10.0}])
    lines = format_summary(summary, _units(), _scenario("housing=off"), 5).splitlines()
    assert "NCTR census: time-average 100.0 ± 10.0, 95th percentile at midnight -" in lines


def test_two_replications_show_a_half_width_and_one_or_no_interval_shows_none():
    def census_line(n: int, low: float, high: float, mean: object = 100.0) -> str:
        summary = pd.DataFrame([{"kpi": "nctr_census_mean", "n": n, "mean": mean, "sd": math.nan,
                                 "ci_low": low, "ci_high": high, "half_width_pct": math.nan}])
        lines = format_summary(summary, _units(), _scenario("housing=off"), n).splitlines()
        return next(line for line in lines if line.startswith("NCTR census"))

    assert census_line(2, 50.0, 150.0) == ("NCTR census: time-average 100.0 ± 50.0, 95th percentile at "
                                           "midnight -")
    two = format_summary(_summary({"delay_n": 10.0}, n=2), _units(), _scenario("housing=off"), 2)
    assert two.splitlines()[0] == ("flowsim: 2 replication(s), 365 days observed after warm-up "
                                   "(mean ± 95 % CI half-width)")
    plain = "NCTR census: time-average 100.0, 95th percentile at midnight -"
    assert census_line(2, math.nan, math.nan) == plain
    assert census_line(1, math.nan, math.nan) == plain
    nothing = "NCTR census: time-average -, 95th percentile at midnight -"
    assert census_line(3, math.nan, math.nan, math.nan) == nothing
    assert census_line(3, math.nan, math.nan, None) == nothing


# --- which sections a scenario prints ---------------------------------------------------------------

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
        f"Features: {CALIBRATED}housing barriers (0.0494 % of episodes); 1 housing coordinator; "
        f"step-down flats (12); acute bed pool (1,450 beds); capacity schedule (ic_beds); {SEASONAL}; "
        "admission calendar (care_home_unit Mon-Fri 09:00-17:00); outbreak closures (care_home_unit 2 a "
        "year); staff absence (care_home_unit 10 % of days at 80 % capacity); contracted maximum stay "
        "(care_home_unit 28 d); warm start from a census (3 patients)")


def _core(cfg: dict) -> None:
    """The core model: no arrangement delays, other reasons or seasonal capacity (and housing=off)."""
    cfg["pathways"]["arrangement_days"] = {}
    cfg["pathways"]["p0_other_reasons"]["probability"] = 0.0
    for unit in cfg["services"].values():
        unit["month_capacity_factors"] = [1.0] * 12


def test_the_core_model_alone_says_so():
    scenario = _scenario("housing=off", edit=_core)
    assert scenario_features(scenario) == []
    lines = _lines(scenario)
    assert lines[0] == "flowsim: 1 replication(s), 365 days observed after warm-up"
    assert lines[1] == "Features: none (the core model alone)"
    assert "Delayed days by reason: admin 100, P1 50, P2 300, P3 30" in lines  # no housing, no calendar
    assert not any(line.startswith(("Housing", "Step-down", "Acute", "Emergency")) for line in lines)
    assert lines[-1] == "Costs over the window (GBP): delayed acute days 1,000, units 2,000, total 3,300"


def test_the_header_gives_the_observed_days_and_the_replications_run():
    quick = _scenario("scenario=quick")  # 180-day horizon after a 60-day warm-up
    assert _lines(quick)[0] == "flowsim: 1 replication(s), 120 days observed after warm-up"
    half_day = replace(quick, warm_up_days=59.5)
    lines = format_summary(_summary(KPIS), _units(), half_day, 3).splitlines()
    assert lines[0] == ("flowsim: 3 replication(s), 120.5 days observed after warm-up "
                        "(mean ± 95 % CI half-width)")


def test_acute_section_only_with_the_acute_pool():
    on = _lines(_scenario("scenario=acute_pool"))
    start = on.index("Acute bed pool: 1,600 beds, mean occupancy 92.5 %")
    assert on[start - 1] == ""
    assert on[start + 1] == ("Emergency admissions 104,000, of which waited for a bed 5,000; ED boarding "
                             "hours mean 1.23, p95 8.0; still boarding at the end 3")
    assert on[start + 2] == ""
    assert on[1] == (f"Features: {CALIBRATED}housing barriers (0.0494 % of episodes); acute bed pool "
                     f"(1,600 beds); {SEASONAL}")
    off = "\n".join(_lines(_scenario()))
    assert "Acute bed pool" not in off and "ED boarding" not in off and "acute bed pool" not in off


HOUSING_LINE = "Housing: 101 barriers, mean wait for a fix 45.2 d, P2 bed-days blocked by housing 122"


def test_housing_as_things_stand_prints_no_coordinator_flat_or_housing_cost_line():
    lines = _lines(_scenario())  # housing=default: barriers, no coordinators, no flats
    assert lines[1] == f"Features: {CALIBRATED}housing barriers (0.0494 % of episodes); {SEASONAL}"
    start = lines.index("Delayed days by reason: admin 100, P1 50, P2 300, P3 30, housing 20")
    assert lines[start + 1] == HOUSING_LINE
    assert lines[start + 2:start + 4] == ["", "NCTR census: time-average 149.1, 95th percentile at midnight "
                                               "252"]
    assert lines[-1] == "Costs over the window (GBP): delayed acute days 1,000, units 2,000, total 3,300"


def test_coordinators_and_flats_get_their_lines_and_the_housing_cost():
    lines = _lines(_scenario("housing=step_down_flats"))
    start = lines.index(HOUSING_LINE)
    assert lines[start + 1:start + 4] == [
        "Housing coordinators: 1 FTE, caseload up to 15; mean caseload 3.9 (utilisation 26.0 %), mean "
        "wait for a coordinator 0.50 d; fixes coordinated 90, uncoordinated 0",
        "Step-down flats step_down (12): occupancy 85.2 %, stays 60, mean stay 40.1 d, over-length "
        "stays (> 42 d) 3, mean void 3.0 d",
        "",
    ]
    assert lines[-1] == ("Costs over the window (GBP): delayed acute days 1,000, units 2,000, housing 300, "
                         "total 3,300")
    coordinators_only = _lines(_scenario("housing=coordinator_scheme"))
    assert coordinators_only[1] == (f"Features: {CALIBRATED}housing barriers (0.0494 % of episodes); 2 "
                                    f"housing coordinators; {SEASONAL}")
    assert ("Housing coordinators: 2 FTE, caseload up to 30; mean caseload 3.9 (utilisation 26.0 %), mean "
            "wait for a coordinator 0.50 d; fixes coordinated 90, uncoordinated 0") in coordinators_only
    assert not any(line.startswith("Step-down flats") for line in coordinators_only)
    assert coordinators_only[-1] == ("Costs over the window (GBP): delayed acute days 1,000, units 2,000, "
                                     "housing 300, total 3,300")
    no_flats = _lines(_scenario("housing=step_down_flats", "housing.flats.step_down.capacity=0"))
    assert not any(line.startswith("Step-down flats") for line in no_flats)
    assert no_flats[1] == (f"Features: {CALIBRATED}housing barriers (0.0494 % of episodes); 1 housing "
                           f"coordinator; {SEASONAL}")


def test_flats_without_coordinators_still_cost_housing():
    base = _scenario("housing=step_down_flats")
    flats_only = replace(base, housing=replace(base.housing, coordinator_fte=0))
    lines = _lines(flats_only)
    assert not any(line.startswith("Housing coordinators") for line in lines)
    assert lines[-1] == ("Costs over the window (GBP): delayed acute days 1,000, units 2,000, housing 300, "
                         "total 3,300")


def test_calendar_reason_only_where_a_unit_can_be_closed_to_admissions():
    off = _scenario("housing=off")
    reasons = "Delayed days by reason: admin 100, P1 50, P2 300, P3 30, calendar 0"

    def with_care_home(**availability) -> Scenario:
        return replace(off, units=tuple(replace(u, availability=replace(u.availability, **availability))
                                        if u.name == "care_home_unit" else u for u in off.units))

    assert reasons in _lines(with_care_home(admission_days=frozenset(range(5))))
    assert reasons in _lines(with_care_home(open_hour=8.0))
    assert reasons in _lines(with_care_home(outbreaks_per_year=0.5, outbreak_days=Fixed(3.0)))
    assert reasons not in _lines(with_care_home(absence_fraction=0.2, absence_factor=0.5))


def test_reasons_line_lists_only_the_reasons_in_the_summary():
    kpis = {k: v for k, v in KPIS.items() if k not in ("delayed_days_reason_P1", "delayed_days_reason_P3")}
    lines = format_summary(_summary(kpis), _units(), _scenario(), 1).splitlines()
    assert "Delayed days by reason: admin 100, P2 300, housing 20" in lines
    none = {k: v for k, v in KPIS.items() if not k.startswith("delayed_days_reason_")}
    lines = format_summary(_summary(none), _units(), _scenario("housing=off"), 1).splitlines()
    assert not any(line.startswith("Delayed days by reason") for line in lines)
    assert lines[11:14] == ["", "NCTR census: time-average 149.1, 95th percentile at midnight 252", ""]


def test_units_show_their_mean_capacity_when_they_follow_a_schedule():
    lines = _lines(_scenario("scenario=winter_surge"),
                   _units({"p1_reablement": 485.3, "ic_beds": 381.27}))
    start = lines.index("Units (utilisation of the mean commissioned capacity)")
    assert lines[start + 1:start + 7] == [
        "unit             capacity  mean capacity  mean occupied  utilisation  mean wait d  blocked bed-days",
        "---------------------------------------------------------------------------------------------------",
        "p1_reablement         480          485.3          432.0       89.0 %         1.50                10",
        "ic_beds               370          381.3          333.0       87.3 %         1.50                10",
        "care_home_unit         20           20.0           18.0       90.0 %         1.50                10",
        "p3_interim_beds       380          380.0          342.0       90.0 %         1.50                10",
    ]
    plain = _lines(_scenario())
    assert plain[plain.index("Units") + 1] == (
        "unit             capacity  mean occupied  utilisation  mean wait d  blocked bed-days")


def test_an_older_units_table_without_mean_capacity():
    units = _units().drop(columns="mean_capacity")
    lines = _lines(_scenario("scenario=winter_surge"), units)
    start = lines.index("Units (utilisation of the mean commissioned capacity)")
    assert lines[start + 3] == (
        "p1_reablement         480              -          432.0       90.0 %         1.50                10")


def test_replications_show_confidence_half_widths():
    lines = _lines(_scenario("housing=off"), n=10, half_width=0.1)
    assert lines[0] == ("flowsim: 10 replication(s), 365 days observed after warm-up "
                        "(mean ± 95 % CI half-width)")
    assert "NCTR census: time-average 149.1 ± 14.9, 95th percentile at midnight 252 ± 25" in lines


@pytest.mark.parametrize(("days", "text"), [
    (["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "every day 08:00-20:00"),
    (["Mon", "Wed", "Fri"], "Mon,Wed,Fri 08:00-20:00"),
])
def test_calendar_text(days, text):
    def edit(cfg):
        _core(cfg)
        cfg["services"]["care_home_unit"]["admission"] = {"days": days, "open_hour": 8, "close_hour": 20}
    assert scenario_features(_scenario("housing=off", edit=edit)) == [
        f"admission calendar (care_home_unit {text})"]


def test_censored_delays_are_flagged_only_when_there_are_some():
    scenario = _scenario("scenario=quick")
    kpis = {**KPIS, "delay_censored_n": 3.0}
    lines = format_summary(_summary(kpis), _units(), scenario, 1).splitlines()
    assert lines[11] == ("(delays followed 20 days past the horizon; 3 episode(s) still waiting then count "
                         "with their delay so far)")
    assert lines[10].startswith("all ")
    quiet = format_summary(_summary({**KPIS, "delay_censored_n": 0.0}), _units(), scenario, 1)
    assert "still waiting then" not in quiet
    assert "still waiting then" not in format_summary(_summary(KPIS), _units(), scenario, 1)
    one = format_summary(_summary({**KPIS, "delay_censored_n": 1.0}), _units(), scenario, 1).splitlines()
    assert one[11] == ("(delays followed 20 days past the horizon; 1 episode(s) still waiting then count "
                       "with their delay so far)")
    half_day = replace(scenario, cool_down_days=7.5)
    assert ("(delays followed 7.5 days past the horizon; 3 episode(s) still waiting then count with their "
            "delay so far)") in format_summary(_summary(kpis), _units(), half_day, 1).splitlines()


# --- format_comparison ------------------------------------------------------------------------------

def _comparison(**extra) -> pd.DataFrame:
    return pd.DataFrame({
        "job": [0, 1, 2], OPTION: [0, 10, 20], **extra, "baseline_job": [0, 0, 0], "pairs": [4, 4, 1],
        "delayed_days_avoided_per_year": [0.0, 4123.4, -55.2],
        "delayed_days_avoided_per_year_half_width": [0.0, 210.6, math.nan],  # one pair: no interval
        "delayed_days_avoided_per_added_place": [math.nan, 412.34, -2.76],
        "added_cost_per_year": [0.0, 1_234_567.8, -1_000.0],
        "net_saving_per_year": [0.0, 391_234.4, -20_000.0],
        "return_per_pound": [math.nan, 1.3169, math.nan],
    })


def test_comparison_every_line():
    assert format_comparison(_comparison(), (OPTION,)).splitlines() == [
        "Against baseline job 0 (paired over 1 replication; ± = 95 % CI half-width)",
        "option             delayed days avoided/yr  per added place  added cost/yr (GBP)  "
        "net saving/yr (GBP)  return per GBP",
        "-" * 117,
        "care_home_unit=0                     0 ± 0                -                    0  "
        "                  0               -",
        "care_home_unit=10              4,123 ± 211            412.3            1,234,568  "
        "            391,234            1.32",
        "care_home_unit=20                      -55             -2.8               -1,000  "
        "            -20,000               -",
    ]


def test_comparison_prints_no_negative_zero():
    """A unit cut to no places that changes nothing: 0 / -20 is -0.0, printed "-0.0" (found by a QA pass)."""
    table = _comparison().assign(**{"delayed_days_avoided_per_year": [0.0, -0.3, -0.0],
                                    "delayed_days_avoided_per_added_place": [math.nan, -0.01, -0.0],
                                    "added_cost_per_year": [0.0, -0.4, -0.0],
                                    "net_saving_per_year": [0.0, -0.2, -0.0],
                                    "return_per_pound": [math.nan, -0.001, math.nan]})
    for row in format_comparison(table, (OPTION,)).splitlines()[3:]:
        assert "-0" not in row, row
    assert format_comparison(table, (OPTION,)).splitlines()[4].split()[1:] == [
        "0", "±", "211", "0.0", "0", "0", "0.00"]


def test_comparison_labels_two_swept_values_or_the_job():
    two = _comparison(seed=[1, 1, 2])
    rows = format_comparison(two, (OPTION, "seed")).splitlines()[3:]
    assert [row.split("  ")[0] for row in rows] == ["care_home_unit=0, seed=1", "care_home_unit=10, seed=1",
                                                    "care_home_unit=20, seed=2"]
    by_job = format_comparison(_comparison().assign(job=["a", "b", "c"], baseline_job="a"), ())
    lines = by_job.splitlines()
    assert lines[0] == "Against baseline job a (paired over 1 replication; ± = 95 % CI half-width)"
    assert [row.split(" ")[0] for row in lines[3:]] == ["a", "b", "c"]
    # job numbers stay whole beside float columns (a one-value sweep swept nothing: found by a QA pass)
    numbered = format_comparison(_comparison(), ()).splitlines()[3:]
    assert [row.split(" ")[0] for row in numbered] == ["0", "1", "2"]


def test_comparison_of_a_single_job():
    alone = _comparison().iloc[:1]
    assert format_comparison(alone, (OPTION,)).splitlines() == [
        "Against baseline job 0 (paired over 4 replications; ± = 95 % CI half-width)",
        "option            delayed days avoided/yr  per added place  added cost/yr (GBP)  "
        "net saving/yr (GBP)  return per GBP",
        "-" * 116,
        "care_home_unit=0                    0 ± 0                -                    0  "
        "                  0               -",
    ]


def test_comparison_pairs_are_the_fewest_of_any_option():
    table = _comparison().assign(pairs=[30, 28, 29])
    assert format_comparison(table, (OPTION,)).splitlines()[0] == (
        "Against baseline job 0 (paired over 28 replications; ± = 95 % CI half-width)")
