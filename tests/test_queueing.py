"""The simulation against queueing theory (MODEL.md section 4).

With Poisson NCTR arrivals, one pathway and no calendars, a unit is a textbook queue, so the model's
numbers have known values:

* a P2 unit with exponential stays is M/M/c FCFS: the acute delay is the Erlang-C wait;
* with more beds than ever needed it is M/G/inf: occupancy is Poisson with mean lambda * E[LoS],
  whatever the LoS distribution;
* Little's law ties the NCTR census to arrivals and delays;
* a P2 unit feeding a P1 pool holds patients in their P2 bed while they wait (blocking after
  service); with ample P2 beds the P2 completions are Poisson (M/G/inf output theorem), so the P1
  pool is M/M/c again and the blocked time is its Erlang-C wait.

Statistical checks use independent replications (``replication`` index) and a 99 % confidence
interval over replication means: per-patient waits are autocorrelated, so their standard deviation
would understate the error. Each check also bounds the interval's width, so a check cannot pass by
being uninformative. Seeds are fixed: the suite is deterministic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import single_unit_config
from scipy import stats

from flowsim import theory
from flowsim.measures.metrics import RunMetrics, compute_metrics
from flowsim.model.compose import load_scenario
from flowsim.model.journey import RunResult, simulate
from flowsim.model.scenario import build_scenario

LEVEL = 0.99
P2_MEAN_LOS = 0.4  # days; only ratios matter to the theory, short stays keep runs cheap


def _exponential(mean: float) -> dict[str, Any]:
    return {"kind": "exponential", "mean": mean}


def _run(config: dict[str, Any], replications: int) -> list[tuple[RunResult, RunMetrics]]:
    scenario = build_scenario(config)
    results = [simulate(scenario, r) for r in range(replications)]
    return [(result, compute_metrics(result)) for result in results]


def _ci(values: list[float] | np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """Mean and half-width of the Student-t confidence interval over replication values."""
    values = np.asarray(values, dtype=float)
    n = values.size
    half = stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
    return float(values.mean()), float(half)


def _assert_matches(values: list[float] | np.ndarray, expected: float, rel_tol: float,
                    what: str) -> None:
    """``expected`` lies in the 99 % CI of the replication values, which is tight and close."""
    mean, half = _ci(values)
    detail = f"{what}: simulated {mean:.5g} ± {half:.3g} (99 % CI), theory {expected:.5g}"
    assert abs(mean - expected) <= half, detail
    assert abs(mean - expected) <= rel_tol * abs(expected), detail
    assert half <= rel_tol * abs(expected), f"{detail}: interval too wide to be informative"


def _episode_waits(result: RunResult) -> np.ndarray:
    """Acute delay of every episode that became NCTR after warm-up; NaN = still waiting at the end."""
    log, scenario = result.episodes, result.scenario
    nctr = log["nctr_day"]
    after_warm_up = (nctr >= scenario.warm_up_days) & (nctr < scenario.horizon_days)
    return (log["acute_leave_day"] - nctr)[after_warm_up]


def _wait_summary(result: RunResult, metrics: RunMetrics, threshold: float) -> dict[str, float]:
    waits = _episode_waits(result)
    waited = ~(waits <= 0.0)  # still waiting at the horizon (NaN) counts as waiting
    positive = waits[waits > 0.0]
    return {
        "mean_wait": metrics.kpis["delay_mean_days"],
        "p_wait": float(waited.mean()),
        "p_wait_unit": float(metrics.units[0]["p_wait"]),
        "p_wait_over": float((~(waits <= threshold)).mean()),
        "mean_wait_if_waiting": float(positive.mean()),
    }


def _check_erlang_c(runs: list[tuple[RunResult, RunMetrics]], rate: float, mean_los: float,
                    servers: int, rel_tol: float) -> None:
    wait_if_waiting = theory.mmc_mean_wait_given_wait(rate, mean_los, servers)
    rows = [_wait_summary(result, metrics, wait_if_waiting) for result, metrics in runs]

    def column(key: str) -> np.ndarray:
        return np.array([row[key] for row in rows])

    label = f"M/M/{servers}, rho={rate * mean_los / servers:.2f}"
    c = theory.erlang_c(servers, rate * mean_los)
    _assert_matches(column("mean_wait"), theory.mmc_mean_wait(rate, mean_los, servers), rel_tol,
                    f"{label} mean wait (days)")
    _assert_matches(column("p_wait"), c, rel_tol / 2, f"{label} P(wait > 0)")
    _assert_matches(column("p_wait_unit"), c, rel_tol / 2, f"{label} unit p_wait")
    _assert_matches(column("p_wait_over"),
                    theory.mmc_wait_survival(wait_if_waiting, rate, mean_los, servers), rel_tol,
                    f"{label} P(wait > {wait_if_waiting:.3g} d)")
    _assert_matches(column("mean_wait_if_waiting"), wait_if_waiting, 0.75 * rel_tol,
                    f"{label} mean wait of those who wait")


# -- fixtures: runs shared by several checks ----------------------------------------------------------
def _mm5_config() -> dict[str, Any]:
    # rho = 0.8 with 5 beds: C(5, 4) = 0.554, Wq = 0.222 d; ~10,000 patients per replication.
    return single_unit_config(rate_per_day=10.0, capacity=5, los=_exponential(P2_MEAN_LOS),
                              horizon_days=1100.0, warm_up_days=100.0, seed=11)


@pytest.fixture(scope="module")
def mm5_runs() -> list[tuple[RunResult, RunMetrics]]:
    """20 replications of the single P2 unit M/M/5 at rho = 0.8."""
    return _run(_mm5_config(), 20)


def _tandem_config(*, p2_capacity: int, p1_capacity: int, p1_mean_los: float,
                   rate: float = 10.0, horizon_days: float = 1100.0,
                   warm_up_days: float = 100.0, seed: int = 11) -> dict[str, Any]:
    """A P2 unit whose patients go home (70 %) or home with a P1 package (30 %) from a P1 pool."""
    config = single_unit_config(rate_per_day=rate, capacity=p2_capacity,
                                los=_exponential(P2_MEAN_LOS), horizon_days=horizon_days,
                                warm_up_days=warm_up_days, seed=seed)
    config["services"]["p1"] = {"pathways": ["P1"], "capacity": p1_capacity,
                                "los_days": _exponential(p1_mean_los)}
    config["after_p2"] = {"shares": {"home": 0.7, "home_p1": 0.3}}
    return config


# -- a. Erlang C --------------------------------------------------------------------------------------
def test_single_p2_unit_matches_erlang_c(mm5_runs):
    """M/M/5 at rho 0.8: mean wait, P(wait), the wait's tail and conditional mean."""
    _check_erlang_c(mm5_runs, rate=10.0, mean_los=P2_MEAN_LOS, servers=5, rel_tol=0.15)


def test_large_p2_unit_matches_erlang_c():
    """M/M/20 at rho 0.8 (C = 0.256): the same agreement with many servers."""
    config = single_unit_config(rate_per_day=40.0, capacity=20, los=_exponential(P2_MEAN_LOS),
                                horizon_days=400.0, warm_up_days=25.0, seed=12)
    _check_erlang_c(_run(config, 20), rate=40.0, mean_los=P2_MEAN_LOS, servers=20, rel_tol=0.2)


def test_unit_utilisation_and_queue_length_match_theory(mm5_runs):
    """Busy beds = a (Little on the unit) and NCTR census = Lq = lambda Wq (Little on the queue)."""
    rate, servers = 10.0, 5
    occupied = [metrics.units[0]["mean_occupied"] for _, metrics in mm5_runs]
    _assert_matches(occupied, theory.offered_load(rate, P2_MEAN_LOS), 0.02, "mean busy beds")
    census = [metrics.kpis["nctr_census_mean"] for _, metrics in mm5_runs]
    _assert_matches(census, theory.mmc_mean_in_queue(rate, P2_MEAN_LOS, servers), 0.15,
                    "mean NCTR census")


# -- b. infinite server -------------------------------------------------------------------------------
def test_ample_capacity_occupancy_is_poisson_whatever_the_los():
    """M/G/inf with a lognormal LoS (cv 1.5): occupancy Poisson(lambda E[LoS]), nobody waits."""
    rate, mean_los = 5.0, 4.0
    expected = theory.infinite_server_occupancy(rate, mean_los)  # 20 beds busy on average
    config = single_unit_config(rate_per_day=rate, capacity=int(10 * expected),
                                los={"kind": "lognormal", "mean": mean_los, "sd": 6.0},
                                horizon_days=2000.0, warm_up_days=200.0, seed=13)
    runs = _run(config, 10)
    for result, metrics in runs:
        waits = _episode_waits(result)
        assert waits.size > 0 and np.all(waits == 0.0), "a patient waited with ample capacity"
        assert metrics.kpis["delay_mean_days"] == 0.0
        assert metrics.units[0]["p_wait"] == 0.0
        assert metrics.kpis["nctr_census_mean"] == 0.0

    midnight = [metrics.census["occupied_unit"] for _, metrics in runs]
    _assert_matches([metrics.units[0]["mean_occupied"] for _, metrics in runs], expected, 0.03,
                    "time-average occupancy")
    _assert_matches([m.mean() for m in midnight], expected, 0.03, "midnight occupancy mean")
    # Poisson: variance = mean. Midnight counts are autocorrelated, so test the per-replication
    # dispersion index (variance / mean) across replications.
    _assert_matches([m.var(ddof=1) / expected for m in midnight],
                    theory.infinite_server_variance(rate, mean_los) / expected, 0.15,
                    "midnight occupancy variance / mean")
    # And the whole distribution: total variation distance to Poisson(20) is small.
    pooled = np.concatenate(midnight)
    support = np.arange(pooled.max() + 1)
    observed = np.bincount(pooled, minlength=support.size) / pooled.size
    poisson = theory.infinite_server_pmf(support, rate, mean_los)
    total_variation = 0.5 * (np.abs(observed - poisson).sum() + (1.0 - poisson.sum()))
    assert total_variation < 0.04, f"midnight occupancy is not Poisson: TV = {total_variation:.3f}"


# -- c. Little's law on the NCTR census --------------------------------------------------------------
def test_littles_law_on_nctr_census():
    """Congested M/M/5 (rho 0.9): mean census = NCTR arrivals per day x mean delay, per replication."""
    config = single_unit_config(rate_per_day=11.25, capacity=5, los=_exponential(P2_MEAN_LOS),
                                horizon_days=2000.0, warm_up_days=200.0, seed=14)
    for _, metrics in _run(config, 3):
        k = metrics.kpis
        assert k["delay_mean_days"] > 0.5  # congested: the check has something to check
        little = theory.littles_law_L(k["nctr_arrivals_per_day"], k["delay_mean_days"])
        # Time average: equal up to patients straddling the window edges.
        assert k["nctr_census_mean"] == pytest.approx(little, rel=0.02)
        # Midnight counts sample the same path once a day.
        assert k["nctr_census_midnight_mean"] == pytest.approx(little, rel=0.04)
        assert theory.littles_law_W(k["nctr_census_mean"], k["nctr_arrivals_per_day"]) == (
            pytest.approx(k["delay_mean_days"], rel=0.02))


def test_mean_delay_per_episode_agrees_with_littles_law_on_the_default_system():
    """Per-episode delays (followed through the cool-down) vs delayed days / episodes, over 10 reps.

    Dropping the delays still running at the horizon, as flowsim once did, made P0 and P1 mean delays
    10-17 % low; here the two estimates of the mean delay must agree within 1 %.
    """
    from flowsim.experiment.runner import run_replications

    outputs = run_replications(load_scenario([]), range(10), n_jobs=2, keep_episodes=False,
                               progress=False)
    kpis = [out.metrics.kpis for out in outputs]
    episodes = sum(k["delay_n"] for k in kpis)
    assert episodes == sum(k["nctr_episodes"] for k in kpis) > 900_000
    per_episode = sum(k["delay_mean_days"] * k["delay_n"] for k in kpis) / episodes
    little = sum(k["delayed_days_total"] for k in kpis) / episodes
    assert per_episode == pytest.approx(little, rel=0.01)
    assert sum(k["delay_censored_n"] for k in kpis) < 1e-3 * episodes


# -- d. tandem P2 -> P1 with blocking after service ----------------------------------------------------
def _max_concurrent(start: np.ndarray, end: np.ndarray) -> int:
    """Most intervals [start, end) open at once (NaN end: still open)."""
    keep = ~np.isnan(start)
    start, end = start[keep], np.where(np.isnan(end[keep]), np.inf, end[keep])
    times = np.concatenate([start, end])
    steps = np.concatenate([np.ones(start.size, dtype=int), -np.ones(end.size, dtype=int)])
    order = np.lexsort((steps, times))  # at equal times a leave (-1) frees the bed first
    return int(np.cumsum(steps[order]).max())


def test_tandem_blocked_p2_patients_keep_their_bed():
    """Small P1 pool: P1-bound patients wait in their P2 bed; beds and flows are conserved."""
    rate, p2_beds, p1_places, p1_los = 10.0, 8, 2, 0.5  # P1 offered load 1.5 on 2 places
    config = _tandem_config(p2_capacity=p2_beds, p1_capacity=p1_places, p1_mean_los=p1_los)
    runs = _run(config, 10)
    occupancy_gap, waits, blocked_share = [], [], []
    for result, metrics in runs:
        log, scenario = result.episodes, result.scenario
        w0, days = scenario.warm_up_days, scenario.observed_days
        home_p1 = log["after_p2"] == log.code("after_p2", "home_p1")
        done = home_p1 & ~np.isnan(log["onward_admit_day"])
        end, leave = log["service_end_day"][done], log["unit_leave_day"][done]
        # (i) blocking after service: the P2 bed is left exactly when the P1 place is taken.
        assert np.all(leave >= end)
        assert np.array_equal(log["onward_admit_day"][done], leave)
        assert np.count_nonzero(leave > end) > 0.1 * done.sum(), "small P1 pool but no blocking"
        # Home-going patients never block.
        home = log["after_p2"] == log.code("after_p2", "home")
        assert np.array_equal(log["unit_leave_day"][home], log["service_end_day"][home])
        # Blocked patients count against P2 capacity, which is never exceeded.
        assert _max_concurrent(log["unit_admit_day"], log["unit_leave_day"]) == p2_beds
        assert _max_concurrent(log["onward_admit_day"], log["onward_leave_day"]) == p1_places
        # P1 places go first come first served, in order of P2 service end.
        order = np.argsort(end, kind="stable")
        assert np.all(np.diff(log["onward_admit_day"][done][order]) >= 0.0)

        # (ii) throughput: P1 admissions = 0.3 x P2 admissions (stable network, nobody lost).
        p2, p1 = metrics.units[0], metrics.units[1]
        assert p2["unit"] == "unit" and p1["unit"] == "p1"
        assert p1["admissions"] == pytest.approx(0.3 * p2["admissions"],
                                                 abs=4 * np.sqrt(0.21 * p2["admissions"]) + 10)
        assert p2["admissions"] / days == pytest.approx(rate, rel=0.03)
        # P1 places are busy lambda_1 E[S_1] on average.
        assert p1["mean_occupied"] == pytest.approx(0.3 * rate * p1_los, rel=0.05)

        # (iii) Little on the P2 beds: busy = lambda (E[LoS] + mean blocked time per admission).
        admitted = (log["unit_admit_day"] >= w0) & (log["unit_admit_day"] < scenario.horizon_days)
        blocked = np.nan_to_num(log["unit_leave_day"] - log["service_end_day"])[admitted]
        occupancy_gap.append(p2["mean_occupied"] - rate * (P2_MEAN_LOS + blocked.mean()))
        assert p2["blocked_days"] / days == pytest.approx(rate * blocked.mean(), rel=0.05)
        assert metrics.kpis["p2_blocked_bed_days"] == p2["blocked_days"]
        waits.append(metrics.kpis["delay_mean_days"])
        blocked_share.append(p2["blocked_days"] / p2["occupied_days"])

    mean_gap, half = _ci(occupancy_gap)
    assert abs(mean_gap) <= half and half < 0.03 * rate * P2_MEAN_LOS, (
        f"P2 busy beds - lambda (E[LoS] + blocked) = {mean_gap:.4f} ± {half:.4f}")
    assert np.mean(blocked_share) > 0.05  # blocking takes a real share of P2 bed days
    # Blocking lengthens the effective P2 stay, so acute waits exceed the unblocked M/M/8 wait.
    unblocked = theory.mmc_mean_wait(rate, P2_MEAN_LOS, p2_beds)
    mean_wait, half = _ci(waits)
    assert mean_wait - half > 1.5 * unblocked, (
        f"P2 wait {mean_wait:.3f} ± {half:.3f} d, unblocked M/M/{p2_beds} {unblocked:.3f} d")


def test_tandem_with_ample_p2_beds_makes_p1_an_mmc_queue():
    """Ample P2 beds: P2 completions are Poisson, so P1 is M/M/3 and blocking = its Erlang-C wait."""
    rate, p1_places, p1_los = 10.0, 3, 0.7  # P1: lambda 3/day, offered load 2.1, rho 0.7
    p1_rate = 0.3 * rate
    config = _tandem_config(p2_capacity=60, p1_capacity=p1_places, p1_mean_los=p1_los,
                            horizon_days=1600.0, seed=16)
    expected_block = theory.mmc_mean_wait(p1_rate, p1_los, p1_places)
    expected_p_block = theory.erlang_c(p1_places, p1_rate * p1_los)
    blocked_mean, blocked_p, p2_busy, p2_in_service, p2_blocked = [], [], [], [], []
    for result, metrics in _run(config, 24):
        log, scenario = result.episodes, result.scenario
        assert metrics.kpis["delay_mean_days"] == 0.0  # nobody waits for a P2 bed
        end = log["service_end_day"]
        onward = ((log["after_p2"] == log.code("after_p2", "home_p1"))
                  & (end >= scenario.warm_up_days) & (end < scenario.horizon_days))
        blocked = (log["unit_leave_day"] - end)[onward]
        # Still blocked at the horizon: count the wait so far (a lower bound; a handful of patients).
        so_far = scenario.horizon_days - end[onward]
        blocked_mean.append(float(np.where(np.isnan(blocked), so_far, blocked).mean()))
        blocked_p.append(float((~(blocked <= 0.0)).mean()))
        p2 = metrics.units[0]
        p2_busy.append(p2["mean_occupied"])
        p2_in_service.append((p2["occupied_days"] - p2["blocked_days"]) / scenario.observed_days)
        p2_blocked.append(p2["blocked_days"] / scenario.observed_days)
    _assert_matches(blocked_mean, expected_block, 0.15, "P1 wait (blocked days in P2 bed)")
    _assert_matches(blocked_p, expected_p_block, 0.08, "P(P2 patient blocked)")
    # P2 beds: lambda E[LoS] in service plus 0.3 lambda Wq(P1) blocked (Little on each state).
    _assert_matches(p2_in_service, rate * P2_MEAN_LOS, 0.03, "P2 beds in service")
    _assert_matches(p2_blocked, 0.3 * rate * expected_block, 0.15, "P2 beds blocked")
    _assert_matches(p2_busy, rate * (P2_MEAN_LOS + 0.3 * expected_block), 0.05,
                    "P2 busy beds = lambda (E[LoS] + 0.3 Wq(P1))")


def test_tandem_with_ample_p1_pool_is_unblocked_mmc(mm5_runs):
    """Ample P1 places: nobody is blocked and the P2 unit is the M/M/5 queue again."""
    config = _tandem_config(p2_capacity=5, p1_capacity=100, p1_mean_los=0.5)
    single = _mm5_config()
    assert (config["seed"], config["run"]) == (single["seed"], single["run"])
    runs = _run(config, len(mm5_runs))
    for result, metrics in runs:
        log = result.episodes
        assert np.array_equal(log["unit_leave_day"], log["service_end_day"], equal_nan=True)
        assert metrics.units[0]["blocked_days"] == 0.0
        assert metrics.units[1]["p_wait"] == 0.0
    _check_erlang_c(runs, rate=10.0, mean_los=P2_MEAN_LOS, servers=5, rel_tol=0.15)
    # Common random numbers: the same patients with the same stays, so the very same P2 delays.
    np.testing.assert_array_equal(runs[0][0].episodes["acute_leave_day"],
                                  mm5_runs[0][0].episodes["acute_leave_day"])
