"""Admission calendars, capacity schedules, outbreak closures, staff absence and contract length."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from conftest import single_unit_config

from flowsim.measures.metrics import compute_metrics
from flowsim.model.availability import Availability, availability_from_config, timeline
from flowsim.model.compose import load_config
from flowsim.model.errors import ConfigError
from flowsim.model.journey import simulate
from flowsim.model.rng import make_generator
from flowsim.model.scenario import build_scenario

START = "2025-01-06"  # a Monday


def _weekday(start: str, day: np.ndarray) -> np.ndarray:
    return (dt.date.fromisoformat(start).weekday() + np.floor(day).astype(int)) % 7


def _run(cfg, replication=0):
    scenario = build_scenario(cfg)
    result = simulate(scenario, replication)
    return result, compute_metrics(result)


def test_weekday_admission_waits_match_the_hand_calculation():
    # Ample beds, arrivals uniform over the week, admission Mon-Fri at any hour: a patient ready on
    # Saturday waits the rest of Saturday and all Sunday; on Sunday, the rest of Sunday.
    # Mean wait = (1/7)(1/2 + 1) + (1/7)(1/2) = 2/7 day.
    cfg = single_unit_config(rate_per_day=40, capacity=10_000, horizon_days=1400, warm_up_days=7)
    cfg["run"]["start_date"] = START
    cfg["services"]["unit"]["admission"] = {"days": ["Mon", "Tue", "Wed", "Thu", "Fri"]}
    result, metrics = _run(cfg)
    log = result.episodes
    admitted = ~np.isnan(log["unit_admit_day"])
    assert not np.isin(_weekday(START, log["unit_admit_day"][admitted]), [5, 6]).any()
    waits = log["unit_closed_wait_days"][admitted & (log["nctr_day"] >= 7)]
    np.testing.assert_allclose(waits, (log["unit_admit_day"] - log["nctr_day"])[
        admitted & (log["nctr_day"] >= 7)])  # every wait is a calendar wait: beds are ample
    half = 3.3 * waits.std(ddof=1) / np.sqrt(waits.size)
    assert abs(waits.mean() - 2 / 7) < half
    # all delayed days are calendar days, but for the last weekend's patients still waiting at the
    # horizon (their closed wait is not known yet)
    assert metrics.kpis["delayed_days_reason_calendar"] == pytest.approx(
        metrics.kpis["delayed_days_total"], rel=0.01)


def test_office_hours_admission_wait_matches_the_hand_calculation():
    # Admission 09:00-17:00 every day: ready at hour h waits until 9 (h < 9), 0 (9-17), 33 - h (h > 17).
    # Mean over a uniform hour: (9 * 4.5 + 7 * (7 + 16) / 2 ... computed numerically below.
    cfg = single_unit_config(rate_per_day=40, capacity=10_000, horizon_days=800, warm_up_days=7)
    cfg["services"]["unit"]["admission"] = {"open_hour": 9, "close_hour": 17}
    result, _ = _run(cfg)
    log = result.episodes
    admitted = ~np.isnan(log["unit_admit_day"]) & (log["nctr_day"] >= 7)
    hours = np.linspace(0, 24, 240_001)[:-1]
    expected = np.where(hours < 9, 9 - hours, np.where(hours < 17, 0, 33 - hours)).mean() / 24
    waits = log["unit_closed_wait_days"][admitted]
    assert abs(waits.mean() - expected) < 3.3 * waits.std(ddof=1) / np.sqrt(waits.size)
    admit_hour = (log["unit_admit_day"][admitted] % 1) * 24
    assert ((admit_hour >= 9 - 1e-9) & (admit_hour < 17)).all()


def test_capacity_schedule_is_never_exceeded_by_new_admissions():
    cfg = single_unit_config(rate_per_day=8, capacity=6, horizon_days=300, warm_up_days=10,
                             los={"kind": "exponential", "mean": 1.0})
    cfg["run"]["start_date"] = START
    cfg["services"]["unit"]["capacity_schedule"] = [
        {"start": "2025-03-01", "capacity": 3}, {"start": "2025-05-01", "capacity": 12}]
    result, metrics = _run(cfg)
    log = result.episodes
    admit = log["unit_admit_day"]
    leave = np.where(np.isnan(log["unit_leave_day"]), np.inf, log["unit_leave_day"])
    day_mar, day_may = 54, 115  # days from 2025-01-06
    for t in admit[~np.isnan(admit)]:
        cap = 6 if t < day_mar else (3 if t < day_may else 12)
        occupied_after = ((admit <= t) & (t < leave)).sum()
        assert occupied_after <= cap
    unit = metrics.units[0]
    expected_mean_capacity = (6 * (day_mar - 10) + 3 * (day_may - day_mar) + 12 * (300 - day_may)) / 290
    assert unit["mean_capacity"] == pytest.approx(expected_mean_capacity)


def test_occupants_are_not_evicted_when_capacity_falls():
    cfg = single_unit_config(rate_per_day=8, capacity=10, horizon_days=120, warm_up_days=10,
                             los={"kind": "fixed", "value": 5.0})
    cfg["run"]["start_date"] = START
    cfg["services"]["unit"]["capacity_schedule"] = [{"start": "2025-02-05", "capacity": 2}]
    log = simulate(build_scenario(cfg), 0).episodes
    done = ~np.isnan(log["service_end_day"])
    np.testing.assert_allclose(log["service_end_day"][done] - log["unit_admit_day"][done], 5.0)


def test_closures_stop_admissions_exactly_for_their_duration():
    cfg = single_unit_config(rate_per_day=12, capacity=4, horizon_days=900, warm_up_days=10,
                             los={"kind": "exponential", "mean": 0.25})
    cfg["services"]["unit"]["closures"] = {"outbreaks_per_year": 6,
                                           "duration_days": {"kind": "fixed", "value": 3.0}}
    result, metrics = _run(cfg)
    changes = result.availability["unit"]
    closed = [(t, nxt[0]) for (t, is_open, _), nxt in zip(changes, [*changes[1:], (np.inf,)],
                                                          strict=False) if not is_open]
    assert len(closed) >= 5
    admit = result.episodes["unit_admit_day"]
    admit = admit[~np.isnan(admit)]
    for start, end in closed:
        assert not ((admit >= start) & (admit < end)).any()
        if end < 900:  # a queue builds while closed; the first admission is exactly at reopening
            assert np.isclose(admit[admit >= end].min(), end)
    assert metrics.units[0]["closed_days"] == pytest.approx(
        sum(min(e, 900) - max(s, 10) for s, e in closed if e > 10))


def test_outbreak_and_absence_streams_do_not_disturb_other_draws():
    base = single_unit_config(rate_per_day=6, capacity=50, horizon_days=200, warm_up_days=10)
    disrupted = single_unit_config(rate_per_day=6, capacity=50, horizon_days=200, warm_up_days=10)
    disrupted["services"]["unit"]["closures"] = {"outbreaks_per_year": 5,
                                                 "duration_days": {"kind": "fixed", "value": 2.0}}
    disrupted["services"]["unit"]["staff_absence"] = {"fraction_of_days": 0.2, "capacity_factor": 0.5}
    a = simulate(build_scenario(base), 0).episodes
    b = simulate(build_scenario(disrupted), 0).episodes
    np.testing.assert_array_equal(a["nctr_day"], b["nctr_day"])
    np.testing.assert_array_equal(a["pathway"], b["pathway"])


def test_staff_absence_scales_capacity_on_a_fraction_of_days():
    a = Availability(absence_fraction=0.3, absence_factor=0.5)
    changes = timeline(a, 10, dt.date(2025, 1, 6), 2000, lambda n: make_generator(3, 0, n))
    reduced = sum(min(nxt[0], 2000) - t for (t, _, c), nxt in zip(changes, [*changes[1:], (2000,)],
                                                                   strict=False) if c == 5)
    assert reduced / 2000 == pytest.approx(0.3, abs=0.04)
    assert {c for _, _, c in changes} == {10, 5}


def test_over_length_stays_are_counted_and_costed():
    cfg = single_unit_config(rate_per_day=2, capacity=500, horizon_days=400, warm_up_days=50,
                             los={"kind": "uniform", "low": 10, "high": 50})
    cfg["services"]["unit"].update(max_stay_days=28, cost_per_over_length_day=100.0)
    _, metrics = _run(cfg)
    unit = metrics.units[0]
    assert unit["over_length_stays"] == pytest.approx(unit["admissions"] * 22 / 40, rel=0.15)
    assert unit["cost_over_length"] == pytest.approx(unit["over_length_days"] * 100.0)
    assert unit["over_length_days"] > 0


@pytest.mark.parametrize(("override", "field"), [
    ("services.care_home_unit.admission.days=[Mon,Funday]", "services.care_home_unit.admission.days"),
    ("services.care_home_unit.admission.close_hour=8", "services.care_home_unit.admission.close_hour"),
    ("services.care_home_unit.staff_absence.capacity_factor=1.5",
     "services.care_home_unit.staff_absence.capacity_factor"),
    ("services.care_home_unit.closures.outbreaks_per_year=-2",
     "services.care_home_unit.closures.outbreaks_per_year"),
])
def test_bad_availability_names_the_field(override, field):
    with pytest.raises(ConfigError) as caught:
        build_scenario(load_config(["services.care_home_unit.admission.open_hour=9", override]))
    assert caught.value.field == field


def test_bad_capacity_schedule_names_the_field():
    cfg = single_unit_config()
    cfg["services"]["unit"]["capacity_schedule"] = [{"start": "2025-13-01", "capacity": 3}]
    with pytest.raises(ConfigError, match=r"capacity_schedule\[0\]\.start"):
        build_scenario(cfg)
    cfg["services"]["unit"]["capacity_schedule"] = [{"start": "2025-03-01", "capacity": -3}]
    with pytest.raises(ConfigError, match=r"capacity_schedule\[0\]\.capacity"):
        build_scenario(cfg)


# -- seasonal capacity (month_capacity_factors) ----------------------------------------------------
def test_month_factors_scale_capacity_from_each_first_of_the_month():
    factors = [0.9, 0.8] + [1.0] * 9 + [0.95]  # January first
    a = availability_from_config({"month_capacity_factors": factors,
                                  "capacity_schedule": [{"start": "2026-01-15", "capacity": 40}]},
                                 "services.x", dt.date(2025, 11, 20), 200)
    changes = timeline(a, 30, dt.date(2025, 11, 20), 200, None)
    # Nov 30 places; Dec 1 (day 11) 28.5 -> 28; Jan 1 (day 42) 27; Jan 15 (day 56) schedule 40 x 0.9 = 36;
    # Feb 1 (day 73) 32; Mar 1 (day 101) 40
    assert changes == [(0.0, True, 30), (11.0, True, 28), (42.0, True, 27), (56.0, True, 36),
                       (73.0, True, 32), (101.0, True, 40)]
    assert not a.always


@pytest.mark.parametrize(("factors", "field"), [
    ([0.9] * 11, "services.x.month_capacity_factors"),
    ([1.0] * 11 + [1.2], "services.x.month_capacity_factors[11]"),
    ("winter", "services.x.month_capacity_factors"),
])
def test_a_wrong_month_factor_is_named(factors, field):
    with pytest.raises(ConfigError) as error:
        availability_from_config({"month_capacity_factors": factors}, "services.x", dt.date(2025, 1, 1))
    assert error.value.field == field


def _reference_timeline(a, base_capacity, start_date, horizon, generator):
    """timeline as first written (2026-11): a change point at every window's edge, numpy per point."""
    import math

    from flowsim.model.availability import _month_starts, _outbreaks

    n_days = math.ceil(horizon)
    first = start_date.weekday()
    windows = [(d + a.open_hour / 24.0, d + a.close_hour / 24.0) for d in range(n_days)
               if (first + d) % 7 in a.admission_days]
    closures = _outbreaks(a, horizon, generator)
    absent = (generator("absence").random(n_days) < a.absence_fraction) if a.absence_fraction else \
        np.zeros(n_days, dtype=bool)
    points = {0.0}
    for lo, hi in windows + closures:
        points.update((lo, hi))
    points.update(d for d, _ in a.schedule)
    points.update(float(d) for d in range(n_days + 1) if a.absence_fraction)
    seasonal = any(f != 1.0 for f in a.month_factors)
    months = _month_starts(start_date, n_days) if seasonal else [(0.0, 0)]
    points.update(d for d, _ in months)
    month_days = np.array([d for d, _ in months])
    changes = []
    window_starts = np.array([w[0] for w in windows])
    window_ends = np.array([w[1] for w in windows])
    for t in sorted(p for p in points if 0.0 <= p < horizon):
        i = np.searchsorted(window_starts, t, side="right") - 1
        is_open = bool(i >= 0 and window_starts[i] <= t < window_ends[i])
        if any(lo <= t < hi for lo, hi in closures):
            is_open = False
        capacity = base_capacity
        for day, cap in a.schedule:
            if day <= t:
                capacity = cap
        if seasonal:
            month = months[np.searchsorted(month_days, t, side="right") - 1][1]
            capacity = round(capacity * a.month_factors[month])
        if absent[min(int(t), n_days - 1)]:
            capacity = math.floor(capacity * a.absence_factor)
        state = (t, is_open, capacity)
        if not changes or changes[-1][1:] != state[1:]:
            changes.append(state)
    return changes


@pytest.mark.parametrize("case", range(60))
def test_timeline_gives_the_change_points_of_the_reference_walk(case):
    # the same change points, to the bit, as the first implementation: every day's window edges
    # walked one by one (now: windows open through midnight joined, fewer points looked at)
    from flowsim.model.distributions import Exponential

    rng = np.random.default_rng(case)
    days = frozenset(int(d) for d in rng.choice(7, size=int(rng.integers(1, 8)), replace=False))
    open_hour, close_hour = [(0.0, 24.0), (8.0, 20.0), (0.0, 12.5), (9.5, 24.0)][case % 4]
    horizon = float(rng.uniform(1, 800)) if case % 5 else float(rng.integers(1, 800))
    steps = int(rng.integers(0, 4))
    schedule = tuple(sorted((float(d), int(c)) for d, c in
                            zip(rng.uniform(0, horizon, steps), rng.integers(0, 60, steps), strict=True)))
    a = Availability(
        admission_days=days if case % 3 else frozenset(range(7)), open_hour=open_hour, close_hour=close_hour,
        schedule=schedule, outbreaks_per_year=float(rng.choice([0.0, 3.0, 12.0])),
        outbreak_days=Exponential(mean_days=float(rng.uniform(1, 20))),
        absence_fraction=float(rng.choice([0.0, 0.1, 0.5])), absence_factor=float(rng.uniform(0.3, 1)),
        month_factors=tuple(rng.choice([1.0, 0.88, 0.5], size=12)) if case % 2 else (1.0,) * 12)
    start = dt.date(2025, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
    capacity = int(rng.integers(0, 80))
    def streams(name: str) -> np.random.Generator:  # the same numbers for both walks, by stream name
        return np.random.default_rng([case, *name.encode()])

    expected = _reference_timeline(a, capacity, start, horizon, streams)
    assert timeline(a, capacity, start, horizon, streams) == expected
