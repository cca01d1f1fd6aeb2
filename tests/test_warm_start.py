"""Warm start from a census: no initial transient from an equilibrium census; conditional residuals."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import single_unit_config

from flowsim.measures.metrics import compute_metrics
from flowsim.model.errors import ConfigError
from flowsim.model.journey import simulate
from flowsim.model.scenario import build_scenario

LOS = {"kind": "lognormal", "mean": 20.0, "sd": 15.0}
RATE = 3.0  # infinite-server occupancy = 60


def _cfg(tmp_path, census_text: str | None, horizon: float = 120.0) -> dict:
    cfg = single_unit_config(rate_per_day=RATE, capacity=10_000, los=LOS, horizon_days=horizon,
                             warm_up_days=0.0)
    if census_text is not None:
        path = tmp_path / "census.yaml"
        path.write_text(census_text)
        cfg["run"]["initial_census"] = str(path)
    return cfg


def _early_occupancy(cfg, replications: int, days: int = 28) -> float:
    means = []
    for r in range(replications):
        census = compute_metrics(simulate(build_scenario(cfg), r)).census
        means.append(census["occupied_unit"][:days].mean())
    return float(np.mean(means))


def test_equilibrium_census_has_no_initial_transient(tmp_path):
    level = RATE * 20.0
    warm = _early_occupancy(_cfg(tmp_path, f"units:\n  unit: {{count: {int(level)}}}\n"), 12)
    cold = _early_occupancy(_cfg(tmp_path, None), 12)
    assert warm == pytest.approx(level, rel=0.04)  # first four weeks already at the long-run mean
    assert cold < 0.75 * level  # an empty start under-states occupancy for weeks


def test_known_ages_use_the_conditional_remaining_stay(tmp_path):
    from scipy import integrate

    cfg = _cfg(tmp_path, "units:\n  unit: {days_stayed: [" + ", ".join(["30"] * 400) + "]}\n",
               horizon=400)
    cfg["arrivals"]["rate_per_day"] = 0.0
    scenario = build_scenario(cfg)
    log = simulate(scenario, 0).episodes
    remaining = log["service_end_day"]  # admitted at -30, so the end time is the remaining stay
    assert np.isfinite(remaining).all() and (log["unit_admit_day"] == -30).all()
    dist = scenario.unit("unit").los
    survival = 1 - dist.cdf(30.0)
    expected = integrate.quad(lambda x: 1 - dist.cdf(x), 30, np.inf)[0] / survival
    assert remaining.mean() == pytest.approx(expected, rel=3.5 * remaining.std() / np.sqrt(400) / expected)


def test_waiting_patients_queue_first_come_first_served(tmp_path):
    cfg = _cfg(tmp_path, "waiting:\n  P2: {days_waited: [1, 5, 3]}\nunits:\n  unit: {count: 1}\n",
               horizon=60)
    cfg["services"]["unit"]["capacity"] = 1
    cfg["arrivals"]["rate_per_day"] = 0.0
    result = simulate(build_scenario(cfg), 0)
    log = result.episodes
    waiting = ~np.isnan(log["nctr_day"]) & (log["nctr_day"] < 0)
    order = np.argsort(log["unit_admit_day"][waiting])
    np.testing.assert_array_equal(log["nctr_day"][waiting][order], [-5.0, -3.0, -1.0])
    assert result.patients_arrived == 4


def test_census_times_of_zero_days_are_plus_zero(tmp_path):
    # A count (days unknown) or 0 days stayed or waited starts at day 0.0, not -0.0: patients.parquet
    # would show -0.0 as nctr_day (DuckDB, CSV) for those patients
    cfg = _cfg(tmp_path, "waiting:\n  P2: {count: 1}\nunits:\n  unit: {days_stayed: [0, 3]}\n",
               horizon=10)
    cfg["arrivals"]["rate_per_day"] = 0.0
    log = simulate(build_scenario(cfg), 0).episodes
    nctr = log["nctr_day"]
    zero = nctr == 0
    assert zero.sum() == 2 and not np.signbit(nctr[zero]).any()
    assert not np.signbit(log["unit_admit_day"][log["unit_admit_day"] == 0]).any()


def test_census_patients_are_not_new_episodes_admissions_or_waits(tmp_path):
    # warm_up_days = 0, so census patients sit at (or before) the start of the window
    with_census = _cfg(tmp_path, "units:\n  unit: {count: 60}\nwaiting:\n  P2: {count: 5}\n")
    without = _cfg(tmp_path, None)
    runs = {}
    for name, cfg in (("census", with_census), ("empty", without)):
        result = simulate(build_scenario(cfg), 0)
        runs[name] = (result, compute_metrics(result))
    (result, metrics), (_, empty) = runs["census"], runs["empty"]
    origin = result.episodes["origin"]
    assert (origin == result.episodes.code("origin", "census")).sum() == 65
    # the same arrivals, the same episodes and admissions: the census adds none of its own
    for key in ("nctr_episodes", "delay_n", "delay_mean_days", "delay_P2_n"):
        assert metrics.kpis[key] == empty.kpis[key], key
    unit, unit_empty = metrics.units[0], empty.units[0]
    assert unit["admissions"] == unit_empty["admissions"] > 0
    assert unit["mean_wait_days"] == unit_empty["mean_wait_days"]  # ample capacity: no wait at all
    # but they are there: occupancy starts at 65 (60 in the unit, 5 admitted at once from acute)
    assert metrics.census["occupied_unit"][0] == 65 and empty.census["occupied_unit"][0] == 0
    assert unit["occupied_days"] > unit_empty["occupied_days"] + 60 * 10


def test_a_census_alone_adds_zero_episodes_and_zero_admissions(tmp_path):
    cfg = _cfg(tmp_path, "units:\n  unit: {count: 40}\n", horizon=60)
    cfg["arrivals"]["rate_per_day"] = 0.0
    metrics = compute_metrics(simulate(build_scenario(cfg), 0))
    assert metrics.kpis["nctr_episodes"] == 0 and metrics.kpis["delay_n"] == 0
    assert metrics.units[0]["admissions"] == 0
    assert np.isnan(metrics.units[0]["mean_wait_days"]) and np.isnan(metrics.units[0]["p_wait"])
    assert metrics.census["occupied_unit"][0] == 40


@pytest.mark.parametrize(("text", "problem"), [
    ("units:\n  nowhere: {count: 3}\n", "unknown unit"),
    ("waiting:\n  P9: {count: 3}\n", "unknown pathway"),
    ("units:\n  unit: {days_stayed: [-1]}\n", "days must be >= 0"),
    ("units:\n  unit: {beds: 3}\n", "needs 'count'"),
])
def test_bad_census_names_the_field(tmp_path, text, problem):
    with pytest.raises(ConfigError) as caught:
        build_scenario(_cfg(tmp_path, text))
    assert caught.value.field == "run.initial_census"
    assert problem in str(caught.value)


def test_csv_census(tmp_path):
    path = tmp_path / "census.csv"
    path.write_text("kind,name,days\nunit,unit,4\nunit,unit,\nwaiting,P2,2\n")
    cfg = _cfg(tmp_path, None)
    cfg["run"]["initial_census"] = str(path)
    census = build_scenario(cfg).initial_census
    assert census.in_units == (("unit", (4.0, None)),)
    assert census.waiting == (("P2", (2.0,)),)
