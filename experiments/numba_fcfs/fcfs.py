"""The kernel-independent half of the numba FCFS study: scenarios, inputs, the reference recursion, checks.

Nothing here imports numba, so the episode-for-episode check of the plain recursion against flowsim's
SimPy engine runs anywhere (tests/test_numba_fcfs_study.py); ``kernel.py`` holds the compiled twins.

A *plain FCFS multi-server unit* is one P2 unit of ``capacity`` places fed by homogeneous Poisson
arrivals, every patient on that pathway, exponential stays, everyone going home after one stay:
no housing, no readmission, no arrangement delay, no calendar, no capacity schedule, no acute pool,
no warm start. FCFS admission is then the classic recursion over patients in request order::

    admit[i] = max(request[i], earliest time one of the ``capacity`` places is free)
    leave[i] = admit[i] + stay[i]            (that place is free again from leave[i])

Two ways to get the random numbers flowsim used:

* :func:`inputs_from_table`: from a run's episode table (request time, and stay = leave - admit).
  ``admit + (leave - admit)`` need not give ``leave`` back to the last bit, so the check is to ~1e-13 d.
* :func:`inputs_from_streams`: redrawn from flowsim's named random streams (the same generator, the same
  inverse transform), and the request times replayed through SimPy's clock arithmetic
  (:func:`clock_times`). Then the recursion must reproduce the engine bit for bit.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from flowsim.model.arrivals import arrival_times
from flowsim.model.draws import AFTER_HOME, DRAWS, END_HOME, P2, U_LOS
from flowsim.model.eventlog import (
    ARRIVAL,
    SCHEMA,
    EpisodeTable,
    EventLog,
    code_names,
    unused_columns,
    whole_log,
)
from flowsim.model.journey import RunResult
from flowsim.model.rng import make_generator
from flowsim.model.scenario import AFTER_P2_OUTCOMES, Scenario, build_scenario

SEED = 20250101


@dataclass(frozen=True)
class Case:
    """One plain M/M/c unit: ``capacity`` places, Poisson arrivals, exponential stays."""

    name: str
    capacity: int
    arrivals_per_day: float
    mean_stay_days: float

    @property
    def utilisation(self) -> float:
        """Offered load per place (rho)."""
        return self.arrivals_per_day * self.mean_stay_days / self.capacity


# 100 arrivals/day into 60 places (bench_core's P2 unit, stay set for rho = 0.9), and a small unit.
CASES = (Case("M/M/60", 60, 100.0, 0.54), Case("M/M/10", 10, 18.0, 0.5))


# -- the scenario, as flowsim sees it --------------------------------------------------------------
def unit_config(case: Case, horizon_days: float, warm_up_days: float, seed: int = SEED) -> dict[str, Any]:
    """Plain-dict flowsim configuration of a plain FCFS multi-server unit (style of bench_core's)."""
    return {
        "seed": seed,
        "replications": 1,
        "n_jobs": 1,
        "run": {"start_date": "2025-01-06", "horizon_days": horizon_days,
                "warm_up_days": warm_up_days},
        "arrivals": {"rate_per_day": case.arrivals_per_day},
        "pathways": {"shares": {"P0": 0.0, "P1": 0.0, "P2": 1.0, "P3": 0.0},
                     "p0_admin_delay_days": {"kind": "fixed", "value": 0.0}},
        "services": {
            "p2": {"pathways": ["P2"], "capacity": case.capacity,
                   "los_days": {"kind": "exponential", "mean": case.mean_stay_days}},
        },
        "after_p2": {"shares": {"home": 1.0}},
        "readmission": {
            "probability": {},
            "time_to_readmission_days": {"kind": "fixed", "value": 1.0},
            "clinical_los_days": {"kind": "fixed", "value": 1.0},
        },
        "housing": {"enabled": False},
        "costs": {"acute_bed_day": 395.0},
    }


def unit_scenario(case: Case, horizon_days: float, warm_up_days: float, seed: int = SEED) -> Scenario:
    """The validated scenario of :func:`unit_config`, checked to be a plain FCFS unit."""
    scenario = build_scenario(unit_config(case, horizon_days, warm_up_days, seed))
    assert_plain_fcfs(scenario)
    return scenario


def out_of_scope(scenario: Scenario) -> list[str]:
    """The features of ``scenario`` the recursion cannot express (empty: a plain FCFS unit).

    Calendar arrival profiles are in scope: they change the arrival times, not the queue discipline.
    """
    units = scenario.units
    after = dict(zip(AFTER_P2_OUTCOMES, scenario.after_p2_shares, strict=True))
    problems = {
        "more than one unit": len(units) != 1,
        "a unit not serving P2 alone": any(u.pathways != ("P2",) for u in units),
        "pathways other than P2": scenario.pathway_shares != (0.0, 0.0, 1.0, 0.0),
        "onward care after P2 (blocking after service)": after["home_p1"] > 0 or after["p3"] > 0,
        "further P2 stays, death or readmission from the P2 bed":
            after["p2"] > 0 or after["death"] > 0 or after["readmission"] > 0,
        "readmissions": any(scenario.readmission_probability),
        "housing": scenario.housing.enabled,
        "the acute bed pool": scenario.acute.enabled,
        "arrangement delays": any(a is not None for a in scenario.arrangement),
        "admission calendars, closures or capacity schedules": any(not u.availability.always
                                                                   for u in units),
        "a warm start (initial census)": scenario.initial_census.patients > 0,
    }
    return [what for what, present in problems.items() if present]


def assert_plain_fcfs(scenario: Scenario) -> None:
    """Refuse a scenario the recursion cannot express (the scope of the fast path)."""
    found = out_of_scope(scenario)
    if found:
        raise ValueError("not a plain FCFS unit: " + ", ".join(found))


# -- the inputs of the recursion ------------------------------------------------------------------
@dataclass(frozen=True)
class Inputs:
    """Per-episode request times (ascending) and stays, the unit size and when the run stops."""

    request: np.ndarray
    stay: np.ndarray
    capacity: int
    end_days: float


def inputs_from_table(result: RunResult) -> Inputs:
    """Request times and stays read back from a run's episode table.

    A stay not finished at the end of the run is unknown: it is set to infinity (the place stays busy
    past the end, which is all the recursion needs to know).
    """
    log, scenario = result.episodes, result.scenario
    stay = log["unit_leave_day"] - log["unit_admit_day"]
    stay = np.where(np.isnan(stay), np.inf, stay)
    return Inputs(log["unit_request_day"].copy(), stay, scenario.units[0].capacity, scenario.end_days)


def stream_draws(scenario: Scenario, replication: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times and stay uniforms from the same named streams flowsim's engine reads."""
    def gen(name: str) -> np.random.Generator:
        return make_generator(scenario.seed, replication, name)

    times = arrival_times(scenario.arrival_rates_per_day, scenario.end_days, gen("arrivals"),
                          gen("arrivals/time_of_day"), scenario.arrival_hour_cdf)
    return times, gen(f"patient/{DRAWS[U_LOS]}").random(times.size)


def clock_times(times: np.ndarray) -> np.ndarray:
    """The SimPy clock at each arrival: the feed waits ``t - now`` and the clock adds it to ``now``.

    ``now + (t - now)`` can differ from ``t`` in the last bit; flowsim logs the clock's value.
    """
    clock = np.empty_like(times)
    now = 0.0
    for i, t in enumerate(times.tolist()):
        now = now + (t - now)
        clock[i] = now
    return clock


def inputs_from_streams(scenario: Scenario, replication: int = 0) -> Inputs:
    """The recursion's inputs redrawn from flowsim's streams: the engine's own numbers, to the bit."""
    times, u = stream_draws(scenario, replication)
    stay = scenario.units[0].los.ppf(u)
    return Inputs(clock_times(times), stay, scenario.units[0].capacity, scenario.end_days)


def numpy_draws(case: Case, n: int, horizon_days: float, seed: int = SEED
                ) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sorted uniform arrival times over the horizon and ``n`` exponential stays, plain numpy."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.uniform(0.0, horizon_days, n)), rng.exponential(case.mean_stay_days, n)


# -- the recursion, in plain Python ---------------------------------------------------------------
def fcfs_reference(request: np.ndarray, stay: np.ndarray, capacity: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Admit and leave times of FCFS admission to ``capacity`` places, all free at time 0.

    ``request`` must be ascending; equal requests are admitted in their order. The places' free
    times are a min-heap: each patient takes the earliest-free place, from their request at the
    soonest. Only the max and one addition touch the times, as in the engine.
    """
    free = [0.0] * capacity  # a heap
    admit = np.empty(request.size)
    leave = np.empty(request.size)
    for i, (r, s) in enumerate(zip(request.tolist(), stay.tolist(), strict=True)):
        earliest = free[0]
        a = r if r > earliest else earliest
        done = a + s
        heapq.heapreplace(free, done)
        admit[i] = a
        leave[i] = done
    return admit, leave


def censor(times: np.ndarray, end_days: float) -> np.ndarray:
    """NaN for times at or after the end of the run: the engine never reaches them."""
    return np.where(times < end_days, times, np.nan)


# -- checks against the engine --------------------------------------------------------------------
def compare(admit: np.ndarray, leave: np.ndarray, result: RunResult) -> dict[str, float]:
    """Episode-for-episode differences between the recursion's times and the engine's.

    ``admit``/``leave`` are uncensored; episodes the engine had not reached by the end (NaN) must be
    at or after it in the recursion. Returns the largest absolute differences (days), the largest
    relative one, and the count of episodes reached by one side only.
    """
    log, end = result.episodes, result.scenario.end_days
    out: dict[str, float] = {"episodes": float(len(log))}
    worst_rel = 0.0
    for name, ours, engine in (("admit", admit, log["unit_admit_day"]),
                               ("leave", leave, log["unit_leave_day"])):
        mine = censor(ours, end)
        reached = ~np.isnan(engine)
        out[f"{name}_reached_by_one_side"] = float(np.count_nonzero(reached != ~np.isnan(mine)))
        both = reached & ~np.isnan(mine)
        diff = np.abs(mine[both] - engine[both])
        out[f"{name}_max_abs_days"] = float(diff.max()) if diff.size else 0.0
        out[f"{name}_not_bit_equal"] = float(np.count_nonzero(diff))
        if diff.size:
            worst_rel = max(worst_rel, float((diff / np.maximum(np.abs(engine[both]), 1e-300)).max()))
    out["max_rel"] = worst_rel
    return out


def holds(check: dict[str, float], tolerance_days: float = 0.0) -> bool:
    """The check passes: the same episodes reached, times within ``tolerance_days``."""
    return (check["admit_reached_by_one_side"] == 0 and check["leave_reached_by_one_side"] == 0
            and check["admit_max_abs_days"] <= tolerance_days
            and check["leave_max_abs_days"] <= tolerance_days)


# -- the fast path's output: the engine's episode table -------------------------------------------
def fast_table(scenario: Scenario, request: np.ndarray, admit: np.ndarray, leave: np.ndarray
               ) -> EpisodeTable:
    """The episode table the engine writes for a plain FCFS unit, built from the recursion's times.

    Every column the engine writes for this scenario, through the engine's own
    :class:`~flowsim.model.eventlog.EventLog`, so downstream measures take it unchanged.
    """
    n, end = request.size, scenario.end_days
    admitted = admit < end
    left = leave < end
    admit_day, leave_day = np.where(admitted, admit, np.nan), np.where(left, leave, np.nan)
    parts: list[EpisodeTable] = []
    log = EventLog(code_names(scenario), parts.append, unused_columns(scenario))
    log.add_finished({
        "row": np.arange(n),
        "patient": np.arange(n),
        "episode": np.zeros(n, dtype=np.int64),
        "origin": np.full(n, ARRIVAL),
        "pathway": np.full(n, P2),
        "nctr_day": request,
        "barrier": np.full(n, -1),
        "unit_request_day": request,
        "unit": np.where(admitted, 0, -1),
        "unit_admit_day": admit_day,
        "acute_leave_day": admit_day,
        "unit_closed_wait_days": np.where(admitted, 0.0, np.nan),  # always open: no closed wait
        "service_end_day": leave_day,
        "unit_leave_day": leave_day,
        "after_p2": np.where(left, AFTER_HOME, -1),
        "p2_stays": left.astype(np.int32),
        "end_day": leave_day,
        "outcome": np.where(left, END_HOME, -1),
    })
    return whole_log(parts, code_names(scenario))


def fast_result(scenario: Scenario, request: np.ndarray, admit: np.ndarray, leave: np.ndarray,
                replication: int = 0) -> RunResult:
    """The engine's :class:`~flowsim.model.journey.RunResult` for a plain FCFS unit, from the recursion.

    Its counts are the engine's conservation counts: with no readmission, whoever has not left by the
    end is still in the system, waiting or in a place.
    """
    table = fast_table(scenario, request, admit, leave)
    n = len(table)
    left = int(np.count_nonzero(leave < scenario.end_days))
    return RunResult(scenario, replication, table, n, left, n - left, n - left)


def table_differences(ours: EpisodeTable, engine: EpisodeTable) -> list[str]:
    """Names of the columns (of every column the engine has) that are not identical, NaN = NaN."""
    if len(ours) != len(engine):
        return ["<row count>"]
    return [name for name in SCHEMA
            if not np.array_equal(ours[name], engine[name], equal_nan=ours[name].dtype.kind == "f")]


def per_episode_ns(seconds: float, episodes: int) -> float:
    """Nanoseconds per episode."""
    return 1e9 * seconds / episodes if episodes else math.nan
