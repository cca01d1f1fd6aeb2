"""The SimPy model: conservation, determinism, common random numbers, blocking, extremes."""

from __future__ import annotations

import copy
from itertools import pairwise

import numpy as np
import pytest
from conftest import single_unit_config

from flowsim.measures.metrics import compute_metrics
from flowsim.model.compose import load_scenario
from flowsim.model.journey import ConservationError, simulate
from flowsim.model.scenario import build_scenario
from flowsim.model.services import Dispatcher


def _columns(result):
    return {k: v.copy() for k, v in result.episodes.columns.items()}


def test_conservation_holds_on_default_quick_system():
    result = simulate(load_scenario(["scenario=quick"]), 0)
    assert result.patients_arrived == result.patients_left + result.patients_in_system
    assert result.patients_arrived > 3000
    ended = np.isfinite(result.episodes["end_day"]).sum()
    assert ended + result.episodes_in_progress == len(result.episodes)


def test_conservation_check_can_fail(monkeypatch):
    monkeypatch.setattr(Dispatcher, "waiting_in_acute", lambda self: 1 + sum(
        1 for q in self.queues.values() for e in q if e[4] is None))
    with pytest.raises(ConservationError):
        simulate(load_scenario(["scenario=quick"]), 0)


def test_same_seed_same_log_different_seed_different_log():
    scenario = load_scenario(["scenario=quick"])
    a, b = _columns(simulate(scenario, 0)), _columns(simulate(scenario, 0))
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    other = _columns(simulate(scenario, 1))
    assert not np.array_equal(a["nctr_day"][:100], other["nctr_day"][:100])


def test_capacity_changes_keep_arrivals_and_needs():
    # common random numbers: the same patients arrive with the same pathway whatever the capacity
    small = simulate(load_scenario(["scenario=quick", "services.ic_beds.capacity=20"]), 0)
    large = simulate(load_scenario(["scenario=quick", "services.ic_beds.capacity=60"]), 0)
    first = small.episodes["episode"] == 0
    first_l = large.episodes["episode"] == 0
    np.testing.assert_array_equal(small.episodes["nctr_day"][first],
                                  large.episodes["nctr_day"][first_l])
    np.testing.assert_array_equal(small.episodes["pathway"][first],
                                  large.episodes["pathway"][first_l])


def test_a_longer_run_shares_every_earlier_patient_and_event():
    # common random numbers across horizons: arrivals, needs, closures, absence and housing fixes
    from omegaconf import OmegaConf

    from flowsim.model.compose import load_config

    def run(horizon: float):
        cfg = OmegaConf.to_container(load_config(["scenario=quick", f"run.horizon_days={horizon}"]))
        cfg["housing"]["barrier_probability"] = 0.05
        cfg["services"]["ic_beds"]["closures"] = {"outbreaks_per_year": 6,
                                                  "duration_days": {"kind": "fixed", "value": 5}}
        cfg["services"]["ic_beds"]["staff_absence"] = {"fraction_of_days": 0.1, "capacity_factor": 0.8}
        result = simulate(build_scenario(cfg), 0)
        log = result.episodes
        keys = {(p, e): i for i, (p, e) in enumerate(zip(log["patient"], log["episode"], strict=True))}
        return result, log, keys

    short, short_log, short_keys = run(400)
    long, long_log, long_keys = run(800)
    assert short.availability["ic_beds"] == [c for c in long.availability["ic_beds"] if c[0] < 420]
    early = [key for key, i in short_keys.items() if short_log["nctr_day"][i] < 300]
    assert len(early) > 5000 and all(key in long_keys for key in early)
    rows_s = np.array([short_keys[k] for k in early])
    rows_l = np.array([long_keys[k] for k in early])
    assert (short_log["barrier"][rows_s] >= 0).sum() > 50
    for name in ("pathway", "barrier", "origin"):
        np.testing.assert_array_equal(short_log[name][rows_s], long_log[name][rows_l], err_msg=name)
    times = [name for name in short_log.columns if name.endswith("_day")]
    assert len(times) >= 15
    for name in times:
        a, b = short_log[name][rows_s], long_log[name][rows_l]
        before = (a < 300) | (b < 300)  # every step taken before day 300 is the same in both runs
        np.testing.assert_array_equal(a[before], b[before], err_msg=name)
    admitted = short_log["unit_admit_day"][rows_s] < 300
    np.testing.assert_array_equal(short_log["unit"][rows_s][admitted], long_log["unit"][rows_l][admitted])


def test_more_beds_never_raise_waits_single_unit_per_replication():
    # FCFS with the same arrivals and the same service time per patient: waits fall with c, pathwise.
    for replication in range(4):
        means = []
        for capacity in (3, 4, 5, 8):
            cfg = single_unit_config(rate_per_day=9, capacity=capacity, horizon_days=400,
                                     warm_up_days=50)
            result = simulate(build_scenario(cfg), replication)
            means.append(compute_metrics(result).kpis["delay_mean_days"])
        assert all(b <= a + 1e-12 for a, b in pairwise(means)), means


def test_more_p2_beds_reduce_mean_delayed_days_on_the_default_system():
    totals = {}
    for capacity in (33, 37, 45):
        overrides = ["scenario=quick", f"services.ic_beds.capacity={capacity}"]
        scenario = load_scenario(overrides)
        totals[capacity] = [compute_metrics(simulate(scenario, r)).kpis["delay_P2_mean_days"]
                            for r in range(5)]
    pairs = [(33, 37), (37, 45)]
    for low, high in pairs:
        diffs = np.subtract(totals[high], totals[low])
        assert diffs.mean() < 0, (low, high, diffs)
        assert (diffs <= 1e-9).mean() >= 0.8, (low, high, diffs)  # nearly every pair


def test_fixed_times_are_exact_with_ample_capacity():
    cfg = single_unit_config(rate_per_day=5, capacity=1000,
                             los={"kind": "fixed", "value": 2.0}, horizon_days=60,
                             warm_up_days=10)
    cfg["pathways"]["shares"] = {"P0": 0.5, "P2": 0.5}
    cfg["pathways"]["p0_admin_delay_days"] = {"kind": "fixed", "value": 0.25}
    log = simulate(build_scenario(cfg), 0).episodes
    p0 = log["pathway"] == 0
    done0 = p0 & np.isfinite(log["acute_leave_day"])
    np.testing.assert_allclose(log["acute_leave_day"][done0], log["nctr_day"][done0] + 0.25)
    p2 = (log["pathway"] == 2) & np.isfinite(log["service_end_day"])
    np.testing.assert_array_equal(log["unit_admit_day"][p2], log["nctr_day"][p2])
    np.testing.assert_allclose(log["service_end_day"][p2], log["nctr_day"][p2] + 2.0)


def test_single_server_fixed_los_follows_lindley_recursion():
    cfg = single_unit_config(rate_per_day=4, capacity=1, los={"kind": "fixed", "value": 0.2},
                             horizon_days=200, warm_up_days=10)
    log = simulate(build_scenario(cfg), 3).episodes
    order = np.argsort(log["nctr_day"], kind="stable")
    arrive, admit = log["nctr_day"][order], log["unit_admit_day"][order]
    expected = np.empty_like(arrive)
    free_at = 0.0
    for i, t in enumerate(arrive):
        expected[i] = max(t, free_at)
        free_at = expected[i] + 0.2
    done = np.isfinite(admit)
    np.testing.assert_allclose(admit[done], expected[done], rtol=0, atol=1e-9)


def _tandem_config(p1_capacity: int) -> dict:
    cfg = single_unit_config(rate_per_day=3, capacity=2, los={"kind": "fixed", "value": 1.0},
                             horizon_days=120, warm_up_days=10)
    cfg["after_p2"]["shares"] = {"home_p1": 1.0}
    cfg["services"]["p1"] = {"pathways": ["P1"], "capacity": p1_capacity,
                             "los_days": {"kind": "fixed", "value": 5.0}}
    return cfg


def test_p2_patient_waiting_for_p1_keeps_the_bed():
    log = simulate(build_scenario(_tandem_config(p1_capacity=1)), 0).episodes
    admitted = np.isfinite(log["unit_admit_day"])
    ended = np.isfinite(log["unit_leave_day"])
    blocked = log["unit_leave_day"][ended] - log["service_end_day"][ended]
    assert (blocked > 0.5).sum() > 10  # a P1 bottleneck makes P2 patients wait in their bed
    np.testing.assert_array_equal(log["onward_admit_day"][ended], log["unit_leave_day"][ended])
    # the P2 bed stays occupied while blocked: at no time more than 2 patients hold P2 beds
    starts = log["unit_admit_day"][admitted]
    ends = np.where(np.isfinite(log["unit_leave_day"]), log["unit_leave_day"], np.inf)[admitted]
    for t in np.linspace(10, 119, 400):
        assert ((starts <= t) & (t < ends)).sum() <= 2
    # P1 is FCFS by the time P2 care ended
    onward = np.isfinite(log["onward_admit_day"])
    by_request = np.argsort(log["service_end_day"][onward], kind="stable")
    assert np.all(np.diff(log["onward_admit_day"][onward][by_request]) >= 0)


def test_without_a_p1_bottleneck_nobody_is_blocked():
    log = simulate(build_scenario(_tandem_config(p1_capacity=100)), 0).episodes
    ended = np.isfinite(log["unit_leave_day"])
    np.testing.assert_array_equal(log["unit_leave_day"][ended], log["service_end_day"][ended])


def test_readmitted_patients_return_after_the_clinical_stay():
    cfg = single_unit_config(rate_per_day=3, capacity=100, horizon_days=100, warm_up_days=10,
                             los={"kind": "fixed", "value": 2.0})
    cfg["readmission"] = {
        "probability": {"P2": 0.5},
        "time_to_readmission_days": {"kind": "fixed", "value": 4.0},
        "clinical_los_days": {"kind": "fixed", "value": 3.0},
    }
    result = simulate(build_scenario(cfg), 0)
    log = result.episodes
    readmitted = np.flatnonzero(log["readmitted"] == 1)
    assert 0.4 < readmitted.size / np.isfinite(log["end_day"]).sum() < 0.6
    follow = {(p, e): i for i, (p, e) in enumerate(zip(log["patient"], log["episode"],
                                                       strict=True))}
    returned = 0
    for row in readmitted:
        nxt = follow.get((log["patient"][row], log["episode"][row] + 1))
        if nxt is not None:
            assert log["nctr_day"][nxt] == pytest.approx(log["end_day"][row] + 7.0)
            returned += 1
    assert returned > 0.9 * readmitted.size
    assert result.patients_arrived == result.patients_left + result.patients_in_system


def test_zero_capacity_means_everyone_waits_and_nobody_is_lost():
    cfg = single_unit_config(rate_per_day=10, capacity=0, horizon_days=50, warm_up_days=10)
    result = simulate(build_scenario(cfg), 0)
    assert np.isnan(result.episodes["acute_leave_day"]).all()
    assert result.patients_left == 0
    assert result.patients_in_system == result.patients_arrived
    kpis = compute_metrics(result).kpis
    assert kpis["nctr_census_midnight_mean"] > 100  # the queue grows by ~10 a day


def test_zero_arrivals_give_an_empty_but_valid_run():
    cfg = single_unit_config(rate_per_day=0.0, horizon_days=30, warm_up_days=5)
    result = simulate(build_scenario(cfg), 0)
    assert len(result.episodes) == 0
    kpis = compute_metrics(result).kpis
    assert kpis["delayed_days_total"] == 0
    assert kpis["nctr_census_mean"] == 0


def test_p2_repeat_stays_extend_the_same_bed():
    cfg = single_unit_config(rate_per_day=2, capacity=200, los={"kind": "fixed", "value": 3.0},
                             horizon_days=200, warm_up_days=10)
    cfg["after_p2"]["shares"] = {"home": 0.5, "p2": 0.5}
    log = simulate(build_scenario(copy.deepcopy(cfg)), 0).episodes
    done = np.isfinite(log["service_end_day"])
    stays = log["p2_stays"][done]
    np.testing.assert_allclose(log["service_end_day"][done] - log["unit_admit_day"][done],
                               3.0 * stays)
    assert stays.mean() == pytest.approx(2.0, rel=0.1)  # geometric with p = 0.5
