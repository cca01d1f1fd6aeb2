"""The winter scenarios: surge capacity on dated schedules, against a baseline with the same arrivals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from flowsim.measures.metrics import compute_metrics
from flowsim.model.availability import timeline
from flowsim.model.compose import load_scenario
from flowsim.model.journey import simulate
from flowsim.model.rng import make_generator

BASE = {"ic_beds": 388, "p1_reablement": 453}
SURGE = {"ic_beds": 424, "p1_reablement": 468}
WINTER_FACTOR = 0.88  # the default system's seasonal capacity, December to February
OPEN, MARCH, CLOSE = dt.date(2025, 12, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1)


def _day(scenario, date: dt.date) -> float:
    return float((date - scenario.start_date).days)


@pytest.mark.parametrize("unit", sorted(BASE))
def test_surge_opens_on_1_december_and_closes_on_1_april(unit):
    scenario = load_scenario(["scenario=winter_surge"])
    spec = scenario.unit(unit)
    assert spec.capacity == BASE[unit]
    opens, closes = _day(scenario, OPEN), _day(scenario, CLOSE)
    assert spec.availability.schedule[:2] == ((opens, SURGE[unit]), (closes, BASE[unit]))
    # The capacity in force, as the run walks it: base, surge from 1 Dec (less the winter loss until
    # March), base again from 1 Apr.
    changes = timeline(spec.availability, spec.capacity, scenario.start_date, scenario.horizon_days,
                       lambda name: make_generator(0, 0, name))
    march = _day(scenario, MARCH)
    assert changes == [(0.0, True, BASE[unit]), (opens, True, round(SURGE[unit] * WINTER_FACTOR)),
                       (march, True, SURGE[unit]), (closes, True, BASE[unit])]


def test_baseline_has_the_same_arrivals_and_no_surge():
    surge = load_scenario(["scenario=winter_surge"])
    baseline = load_scenario(["scenario=winter_baseline"])
    np.testing.assert_array_equal(surge.arrival_rates_per_day, baseline.arrival_rates_per_day)
    assert all(u.availability.schedule == () for u in baseline.units)
    # the default system has used the same detrended SitRep month profile since its calibration
    default = load_scenario([])
    np.testing.assert_array_equal(default.arrival_rates_per_day, baseline.arrival_rates_per_day)


@pytest.fixture(scope="module")
def short_surge_run():
    """The default-sized system through one winter: observed 2025-10-18 to 2026-05-06."""
    scenario = load_scenario(["scenario=winter_surge", "housing=off", "run.warm_up_days=200",
                              "run.horizon_days=400"])
    return scenario, compute_metrics(simulate(scenario, 0))


def test_occupancy_exceeds_base_capacity_only_in_the_surge_window(short_surge_run):
    _, metrics = short_surge_run
    dates = metrics.census["date"].astype("datetime64[D]").astype(object)
    for unit in BASE:
        occupied = metrics.census[f"occupied_{unit}"]
        before = np.array([d < OPEN for d in dates])
        during = np.array([OPEN <= d < CLOSE for d in dates])
        after = np.array([d >= CLOSE for d in dates])
        assert occupied[before].max() <= BASE[unit]
        # the surge places are used: above what the base could hold in winter, within the surge
        assert round(BASE[unit] * WINTER_FACTOR) < occupied[during].max() <= SURGE[unit]
        # From 1 April nobody is admitted above the base capacity; occupants are not evicted, so
        # occupancy drains (never rising) to the base within a fortnight and stays there.
        tail = occupied[after]
        drained = int(np.argmax(tail <= BASE[unit]))
        assert tail[drained] <= BASE[unit] and drained <= 14
        assert np.all(np.diff(tail[:drained + 1]) <= 0)
        assert tail[drained:].max() <= BASE[unit]


def test_commissioned_capacity_follows_the_schedule(short_surge_run):
    scenario, metrics = short_surge_run
    w0, w1 = scenario.warm_up_days, scenario.horizon_days
    surge_days = _day(scenario, CLOSE) - _day(scenario, OPEN)
    for unit in metrics.units:
        name = str(unit["unit"])
        extra = SURGE.get(name, 0) - BASE.get(name, 0)
        expected = scenario.unit(name).capacity + extra * surge_days / (w1 - w0)
        assert unit["mean_capacity"] == pytest.approx(expected)
