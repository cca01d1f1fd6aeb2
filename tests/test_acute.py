"""The acute bed pool: admissions wait only when every acute bed is occupied."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import single_unit_config

from flowsim.measures.metrics import compute_metrics
from flowsim.model.compose import load_config
from flowsim.model.errors import ConfigError
from flowsim.model.journey import simulate
from flowsim.model.scenario import build_scenario


def _acute_config(beds: int) -> dict:
    cfg = single_unit_config(rate_per_day=10, capacity=6, horizon_days=300, warm_up_days=30,
                             los={"kind": "exponential", "mean": 0.5})
    cfg["pathways"]["shares"] = {"P0": 0.7, "P2": 0.3}
    cfg["pathways"]["p0_admin_delay_days"] = {"kind": "exponential", "mean": 0.2}
    cfg["acute"] = {"enabled": True, "beds": beds,
                    "clinical_los_days": {"kind": "lognormal", "mean": 2.0, "sd": 1.5}}
    return cfg


def test_admissions_wait_only_when_all_beds_are_occupied():
    result = simulate(build_scenario(_acute_config(beds=24)), 0)
    log = result.episodes
    request, admitted = log["admission_request_day"], log["admission_day"]
    leave = np.where(np.isnan(log["acute_leave_day"]), np.inf, log["acute_leave_day"])
    holds = ~np.isnan(admitted)
    waited = holds & (admitted > request)
    assert waited.sum() > 50 and (holds & (admitted == request)).sum() > 50
    for t in request[waited][:400]:
        occupied = ((admitted[holds] <= t) & (t < leave[holds])).sum()
        assert occupied == 24  # every bed taken when this admission had to wait
    for t in request[holds & (admitted == request)][:400]:
        occupied_before = ((admitted[holds] < t) & (t < leave[holds])).sum()
        assert occupied_before < 24
    # never more patients in beds than beds
    for t in np.sort(admitted[holds])[::25]:
        assert ((admitted[holds] <= t) & (t < leave[holds])).sum() <= 24


def test_nctr_follows_the_clinical_stay_and_delays_block_beds():
    scenario = build_scenario(_acute_config(beds=40))
    result = simulate(scenario, 0)
    log = result.episodes
    became_nctr = ~np.isnan(log["nctr_day"])
    assert (log["nctr_day"][became_nctr] > log["admission_day"][became_nctr]).all()
    kpis = compute_metrics(result).kpis
    assert 0 < kpis["acute_bed_occupancy"] <= 1
    assert result.patients_arrived == result.patients_left + result.patients_in_system
    fewer = compute_metrics(simulate(build_scenario(_acute_config(beds=24)), 0)).kpis
    assert fewer["ed_boarding_hours_mean"] > kpis["ed_boarding_hours_mean"]
    assert fewer["acute_bed_occupancy"] > kpis["acute_bed_occupancy"]


def test_warm_start_patients_do_not_take_acute_pool_beds_from_the_census(tmp_path):
    # Patients of an initial census never took a bed of the pool (no admission_day) but do leave acute
    # (acute_leave_day): the midnight count of occupied pool beds must not subtract them (it went
    # negative before count_at dropped intervals that never started).
    census = tmp_path / "census.yaml"
    census.write_text("units:\n  unit: {count: 5}\nwaiting:\n  P2: {count: 3}\n")
    cfg = _acute_config(beds=24)
    cfg["run"].update(warm_up_days=0.0, horizon_days=30.0, initial_census=str(census))
    result = simulate(build_scenario(cfg), 0)
    log = result.episodes
    census_rows = log["origin"] == log.code("origin", "census")
    assert census_rows.sum() == 8 and np.isnan(log["admission_day"][census_rows]).all()
    admitted = log["admission_day"]
    leave = np.where(np.isnan(log["acute_leave_day"]), np.inf, log["acute_leave_day"])
    occupied = compute_metrics(result).census["acute_beds_occupied"]
    direct = [((admitted <= t) & (t < leave)).sum() for t in range(30)]
    assert max(direct) > 5
    np.testing.assert_array_equal(occupied, direct)


def test_more_p2_beds_cut_ed_boarding():
    tight = _acute_config(beds=24)
    loose = _acute_config(beds=24)
    loose["services"]["unit"]["capacity"] = 12
    boarding = [compute_metrics(simulate(build_scenario(c), r)).kpis["ed_boarding_hours_total"]
                for c in (tight, loose) for r in (0,)]
    assert boarding[1] < boarding[0]


def test_bad_acute_config():
    with pytest.raises(ConfigError) as caught:
        build_scenario(load_config(["scenario=acute_pool", "acute.beds=0"]))
    assert caught.value.field == "acute.beds"


def test_the_shipped_acute_pool_scenario_is_a_stable_pool():
    # A default year with the pool: boarding in winter that clears, not a queue that grows all year
    # (1,450 beds, the value before, ended the year with 1,888 patients boarding, 118 h on average).
    kpis = compute_metrics(simulate(build_scenario(load_config(["scenario=acute_pool"])), 0)).kpis
    assert 0.85 < kpis["acute_bed_occupancy"] < 0.95
    assert kpis["ed_boarding_at_end"] == 0
    assert kpis["ed_boarding_hours_mean"] < 12
