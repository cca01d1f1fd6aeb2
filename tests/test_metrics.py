"""Metrics from the episode log: warm-up filter, census, bed-day totals, costs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import single_unit_config

from flowsim import load_scenario
from flowsim.measures.intervals import count_at, overlap_days
from flowsim.measures.metrics import compute_metrics, metrics_from_tally
from flowsim.measures.tally import Tally
from flowsim.model.journey import simulate
from flowsim.model.scenario import build_scenario


def test_overlap_days_clips_to_window_and_treats_nan_end_as_open():
    start = np.array([0.0, 5.0, 8.0, 12.0, np.nan])
    end = np.array([3.0, 7.0, np.nan, 13.0, np.nan])
    np.testing.assert_allclose(overlap_days(start, end, 2.0, 10.0), [1.0, 2.0, 2.0, 0.0, 0.0])


def test_count_at_counts_half_open_intervals():
    starts = np.array([0.0, 1.0, 2.0, np.nan])
    ends = np.array([1.0, np.nan, 2.5, np.nan])
    np.testing.assert_array_equal(count_at(np.array([0.0, 1.0, 2.0, 3.0]), starts, ends),
                                  [1, 1, 2, 1])


@pytest.fixture(scope="module")
def congested():
    cfg = single_unit_config(rate_per_day=9, capacity=4, horizon_days=600, warm_up_days=100)
    cfg["services"]["unit"]["cost_per_occupied_day"] = 100.0
    cfg["services"]["unit"]["cost_per_bed_week"] = 70.0
    result = simulate(build_scenario(cfg), 0)
    return result, compute_metrics(result)


def test_warm_up_is_a_filter_on_the_log(congested):
    result, metrics = congested
    log = result.episodes
    in_window = (log["nctr_day"] >= 100) & (log["nctr_day"] < 600)
    assert metrics.kpis["nctr_episodes"] == in_window.sum()
    # no cool-down here: a delay still running at the horizon (600) counts with its length so far
    leave = np.where(np.isnan(log["acute_leave_day"]), 600.0, log["acute_leave_day"])
    waits = (leave - log["nctr_day"])[in_window]
    assert metrics.kpis["delay_censored_n"] == (in_window & np.isnan(log["acute_leave_day"])).sum()
    assert metrics.kpis["delay_mean_days"] == pytest.approx(waits.mean(), rel=1e-12)
    assert metrics.kpis["delay_p95_days"] == pytest.approx(np.percentile(waits, 95), rel=1e-12)


def test_delays_that_never_end_count_to_the_end_of_the_cool_down():
    # No place ever frees (capacity 0): every P2 patient waits until the simulation stops at 65.
    cfg = single_unit_config(rate_per_day=4, capacity=0, horizon_days=50, warm_up_days=10)
    cfg["run"]["cool_down_days"] = 15
    result = simulate(build_scenario(cfg), 0)
    kpis = compute_metrics(result).kpis
    nctr = result.episodes["nctr_day"]
    window = nctr[(nctr >= 10) & (nctr < 50)]
    assert kpis["nctr_episodes"] == window.size > 100
    assert (nctr >= 50).any()  # patients kept arriving in the cool-down, but they are not episodes here
    assert kpis["delay_censored_n"] == window.size
    assert kpis["delay_mean_days"] == pytest.approx((65.0 - window).mean(), rel=1e-12)
    assert kpis["waiting_at_end"] == (nctr < 50).sum()  # at the horizon, warm-up arrivals included
    # bed-days stop at the horizon: each waits from max(nctr, 10) to 50
    assert kpis["delayed_days_total"] == pytest.approx((50.0 - np.maximum(nctr[nctr < 50], 10.0)).sum())


def test_the_cool_down_changes_nothing_but_per_episode_delays():
    # overloaded (rho 1.05): a queue at the horizon, partly served in the cool-down, partly not
    cfg = single_unit_config(rate_per_day=10.5, capacity=4, horizon_days=300, warm_up_days=50, seed=2)
    plain = compute_metrics(simulate(build_scenario(cfg), 0)).kpis
    cfg["run"]["cool_down_days"] = 10
    result = simulate(build_scenario(cfg), 0)
    cooled = compute_metrics(result).kpis
    log = result.episodes
    window = (log["nctr_day"] >= 50) & (log["nctr_day"] < 300)
    followed = window & (log["acute_leave_day"] >= 300)
    assert followed.sum() > 0 and 0 < cooled["delay_censored_n"] < plain["delay_censored_n"]
    leave = np.where(np.isnan(log["acute_leave_day"]), 310.0, log["acute_leave_day"])
    assert cooled["delay_mean_days"] == pytest.approx((leave - log["nctr_day"])[window].mean(), rel=1e-12)
    assert cooled["delay_mean_days"] > plain["delay_mean_days"]
    per_episode = {k for k in plain if k.startswith("delay_")}
    for key in set(plain) - per_episode:
        assert cooled[key] == pytest.approx(plain[key], rel=1e-12, nan_ok=True), key


def test_census_series_counts_patients_waiting_at_midnight(congested):
    result, metrics = congested
    log = result.episodes
    days = metrics.census["day"]
    assert days[0] == 100 and days[-1] == 599
    leave = np.where(np.isnan(log["acute_leave_day"]), np.inf, log["acute_leave_day"])
    for i in (0, 17, 250, 499):
        t = days[i]
        assert metrics.census["nctr_census"][i] == ((log["nctr_day"] <= t) & (t < leave)).sum()
    # time-average and midnight census agree over a long window
    assert metrics.kpis["nctr_census_midnight_mean"] == pytest.approx(
        metrics.kpis["nctr_census_mean"], rel=0.1)


def test_delayed_days_total_is_the_area_under_the_census(congested):
    # The NCTR count as a step function of time, built by sweeping +1 at each NCTR and -1 at each
    # departure (not by clipping intervals, as the code does), integrated over the window [100, 600).
    result, metrics = congested
    log = result.episodes
    times = np.concatenate([log["nctr_day"], log["acute_leave_day"][~np.isnan(log["acute_leave_day"])]])
    steps = np.concatenate([np.ones(len(log)), -np.ones(np.count_nonzero(~np.isnan(log["acute_leave_day"])))])
    order = np.argsort(times, kind="stable")
    times, level = times[order], np.cumsum(steps[order])
    edges = np.clip(np.append(times, 600.0), 100.0, 600.0)
    area = float((level * np.diff(edges)).sum())
    assert area > 1000
    assert metrics.kpis["delayed_days_total"] == pytest.approx(area, rel=1e-9)
    assert metrics.kpis["nctr_census_mean"] == pytest.approx(area / 500, rel=1e-9)
    assert metrics.kpis["delayed_days_per_year"] == pytest.approx(area * 365 / 500, rel=1e-9)


def test_costs_follow_unit_prices(congested):
    # 100 per occupied day, 70 per bed-week for 4 beds over 500 days, 395 per delayed day
    result, metrics = congested
    log = result.episodes
    leave = np.where(np.isnan(log["unit_leave_day"]), 600.0, log["unit_leave_day"])
    occupied = np.maximum(0.0, np.minimum(leave, 600.0) - np.maximum(log["unit_admit_day"], 100.0))
    occupied_days = float(np.nansum(occupied))
    unit = metrics.units[0]
    assert unit["occupied_days"] == pytest.approx(occupied_days, rel=1e-12)
    assert unit["cost_occupied"] == pytest.approx(occupied_days * 100.0, rel=1e-12)
    assert unit["cost_block"] == pytest.approx(4 * 500 / 7 * 70.0, rel=1e-12)  # 20,000
    delayed = metrics.kpis["delayed_days_total"]
    assert metrics.kpis["cost_delayed_days"] == pytest.approx(delayed * 395.0, rel=1e-12)
    assert metrics.kpis["cost_total"] == pytest.approx(
        delayed * 395.0 + occupied_days * 100.0 + 20_000.0, rel=1e-12)


def test_unit_occupancy_never_exceeds_capacity(congested):
    _, metrics = congested
    assert metrics.census["occupied_unit"].max() <= 4
    assert 0 < metrics.units[0]["utilisation"] <= 1


@pytest.mark.parametrize(("days", "weekend_share"), [(["Mon", "Tue", "Wed", "Thu", "Fri"], 0.0),
                                                     (["Mon", "Sat"], 0.5),
                                                     (["Sat", "Sun"], 1.0)])
def test_weekend_admission_premium_is_paid_for_the_weekend_days_the_unit_admits(days, weekend_share):
    cfg = single_unit_config(rate_per_day=2, capacity=4, horizon_days=70, warm_up_days=0)
    cfg["services"]["unit"]["weekend_admission_premium_per_bed_week"] = 35.0
    cfg["services"]["unit"]["admission"] = {"days": days}
    unit = compute_metrics(simulate(build_scenario(cfg), 0)).units[0]
    # 4 places x 10 weeks x GBP 35 for both weekend days
    assert unit["cost_weekend_premium"] == pytest.approx(4 * 10 * 35.0 * weekend_share)


@pytest.mark.parametrize("overrides", [["scenario=acute_pool", "housing=off"], ["housing=step_down_flats"]])
def test_a_run_that_sent_no_part_of_its_log_has_zero_series_of_the_window_length(overrides):
    # the streamed log may send nothing (no episode at all): every daily series is still one per
    # midnight, the acute pool's and the flats' included
    scenario = load_scenario(overrides)
    metrics = metrics_from_tally(scenario, Tally(), {})
    days = len(metrics.census["date"])
    assert days == int(scenario.horizon_days - scenario.warm_up_days)
    counted = [name for name in metrics.census if name not in ("day", "date")]
    assert {"nctr_census", "coordinator_caseload"} <= set(counted)
    assert ("acute_beds_occupied" in counted) == scenario.acute.enabled
    assert ("flat_occupied_step_down" in counted) == bool(scenario.housing.flats)
    for name in counted:  # the places in force do not depend on the patients
        places = scenario.unit(name.removeprefix("places_")).capacity if name.startswith("places_") else 0
        np.testing.assert_array_equal(metrics.census[name], np.full(days, places), err_msg=name)
    assert metrics.kpis["nctr_episodes"] == 0.0
    if scenario.acute.enabled:
        assert metrics.kpis["acute_admissions"] == 0.0
