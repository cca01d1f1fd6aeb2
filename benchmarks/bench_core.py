"""Speed of the flowsim core, measured against a bare SimPy model run in the same process.

What is measured
----------------
``default``
    :func:`flowsim.model.journey.simulate` on the default system (``load_scenario([])``: 250 NCTR
    arrivals/day, 182 d warm-up + 365 d observed). Wall seconds (best and median of ``--repeats``
    runs) and episodes simulated per second. Composing and validating the configuration happens
    once, outside the timed region; the timed region is one replication, from the random draws to
    the frozen log.

``tandem``
    A small reference network built twice, once as a flowsim configuration and once as a bare SimPy
    model written in this file: Poisson arrivals at 100/day into a P2 unit of 60 beds (exponential
    stay, mean 0.55 d); 30 % then need a P1 slot from a pool of 40 (exponential, mean 1.1 d), the
    rest go home. Blocking after service: a P2 patient waiting for a P1 slot keeps the P2 bed.
    The bare model is a fair, idiomatic SimPy model (``simpy.Resource`` pools, one process per
    patient, every random number drawn up front in one vectorised numpy batch per attribute), so
    the ratio ``flowsim seconds / bare SimPy seconds`` is the price of flowsim's generality (named
    streams, pathway dispatcher, event log, conservation checks) over a plain SimPy model of the
    same network. The results of both (P2 wait, blocked time, utilisations) are printed side by
    side to show that the comparison is apples to apples.

All cases are timed in the same process, interleaved: every repeat runs each case once, in a
rotating order, so drift in machine speed hits all of them alike. Each timed run starts after a full
garbage collection, with the collector left on (it is part of what a real run costs). One untimed
run of each model comes first, so no timed run pays for first use (lazy imports, caches).

Why ratios
----------
Absolute seconds depend on the CPU, its clock, the Python build and whatever else the machine is
doing; they are not comparable between machines or CI runs. Both models spend their time in the same
interpreter running the same SimPy event loop, so the ratio of their times is far more stable and is
the number to track. The default case is normalised the same way: its seconds per episode divided by
the bare model's seconds per patient ("cost per episode in bare-SimPy patients").

Usage::

    .venv/bin/python benchmarks/bench_core.py [--repeats 5] [--quick] [--json bench.json]
"""

import argparse
import cProfile
import datetime as dt
import gc
import json
import math
import os
import pkgutil
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import simpy

from flowsim.model.compose import load_scenario
from flowsim.model.journey import RunResult, simulate
from flowsim.model.scenario import Scenario, build_scenario

T = TypeVar("T")

# The tandem reference network.
ARRIVALS_PER_DAY = 100.0
P2_BEDS = 60
P2_MEAN_LOS_DAYS = 0.55
P1_SLOTS = 40
P1_MEAN_LOS_DAYS = 1.1
P1_SHARE = 0.3

# Run lengths and repeats: full benchmark, then --quick (a smoke check, not a measurement).
DEFAULT_REPEATS = 5
TANDEM_HORIZON_DAYS = 3650.0
TANDEM_WARM_UP_DAYS = 365.0
QUICK_REPEATS = 2
QUICK_TANDEM_HORIZON_DAYS = 365.0
QUICK_TANDEM_WARM_UP_DAYS = 60.0
QUICK_DEFAULT_OVERRIDES = ("run.horizon_days=180", "run.warm_up_days=60")
WARM_UP_RUN_DAYS = 30.0  # horizon of the untimed first run of each tandem model
SEED = 20250101
CROSS_CHECK_TOLERANCE = 0.10  # relative difference beyond which a cross-check metric is flagged
PROFILE_TOP = 10


# -- the tandem network, as flowsim sees it -------------------------------------------------------
def tandem_config(horizon_days: float = TANDEM_HORIZON_DAYS,
                  warm_up_days: float = TANDEM_WARM_UP_DAYS, seed: int = SEED) -> dict[str, Any]:
    """Plain-dict flowsim configuration of the tandem reference network.

    Every patient is P2; after the P2 stay 30 % go home with a P1 package, the rest go home.
    No calendar profiles, no readmission.
    """
    return {
        "seed": seed,
        "replications": 1,
        "n_jobs": 1,
        "run": {"start_date": "2025-01-06", "horizon_days": horizon_days,
                "warm_up_days": warm_up_days},
        "arrivals": {"rate_per_day": ARRIVALS_PER_DAY},
        "pathways": {"shares": {"P0": 0.0, "P1": 0.0, "P2": 1.0, "P3": 0.0},
                     "p0_admin_delay_days": {"kind": "fixed", "value": 0.0}},
        "services": {
            "p2": {"pathways": ["P2"], "capacity": P2_BEDS,
                   "los_days": {"kind": "exponential", "mean": P2_MEAN_LOS_DAYS}},
            "p1": {"pathways": ["P1"], "capacity": P1_SLOTS,
                   "los_days": {"kind": "exponential", "mean": P1_MEAN_LOS_DAYS}},
        },
        "after_p2": {"shares": {"home": 1.0 - P1_SHARE, "home_p1": P1_SHARE}},
        "readmission": {
            "probability": {},
            "time_to_readmission_days": {"kind": "fixed", "value": 1.0},
            "clinical_los_days": {"kind": "fixed", "value": 1.0},
        },
        "costs": {"acute_bed_day": 395.0},
    }


def tandem_scenario(horizon_days: float = TANDEM_HORIZON_DAYS,
                    warm_up_days: float = TANDEM_WARM_UP_DAYS, seed: int = SEED) -> Scenario:
    """The validated flowsim :class:`~flowsim.model.scenario.Scenario` of the tandem network."""
    return build_scenario(tandem_config(horizon_days, warm_up_days, seed))


@dataclass(frozen=True)
class TandemTimes:
    """Per-patient event times (days) of a tandem run; NaN where the step was not reached."""

    arrival: np.ndarray  # became NCTR, asked for a P2 bed
    p2_admit: np.ndarray
    service_end: np.ndarray  # P2 stay over; P1-bound patients start asking for a P1 slot
    p2_leave: np.ndarray  # left the P2 bed (= P1 admission for P1-bound patients)
    p1_leave: np.ndarray  # NaN for patients who went home
    to_p1: np.ndarray  # bool: needs (or got) a P1 slot after the P2 stay


def flowsim_tandem_times(result: RunResult) -> TandemTimes:
    """Extract :class:`TandemTimes` from a flowsim run of :func:`tandem_scenario`."""
    log = result.episodes
    to_p1 = log["after_p2"] == log.code("after_p2", "home_p1")
    return TandemTimes(
        arrival=log["nctr_day"],
        p2_admit=log["unit_admit_day"],
        service_end=log["service_end_day"],
        p2_leave=log["unit_leave_day"],
        p1_leave=np.where(to_p1, log["onward_leave_day"], np.nan),
        to_p1=to_p1,
    )


def run_flowsim_tandem(scenario: Scenario) -> TandemTimes:
    """Simulate the tandem network with flowsim (timed region: :func:`flowsim.model.journey.simulate`)."""
    return flowsim_tandem_times(simulate(scenario, 0))


# -- the tandem network in bare SimPy -------------------------------------------------------------
def run_bare_tandem(horizon_days: float = TANDEM_HORIZON_DAYS, seed: int = SEED) -> TandemTimes:
    """The tandem network as a plain SimPy model: the reference flowsim is compared with.

    Arrivals are a homogeneous Poisson process over ``[0, horizon_days)``, drawn exactly as a
    Poisson count of uniformly spread times. All random numbers are drawn up front, one numpy call
    per attribute, and turned into Python lists so that the event loop indexes plain floats.
    """
    rng = np.random.default_rng(seed)
    n = int(rng.poisson(ARRIVALS_PER_DAY * horizon_days))
    arrival = np.sort(rng.uniform(0.0, horizon_days, n))
    p2_los = rng.exponential(P2_MEAN_LOS_DAYS, n).tolist()
    p1_los = rng.exponential(P1_MEAN_LOS_DAYS, n).tolist()
    to_p1 = rng.random(n) < P1_SHARE
    onward = to_p1.tolist()

    env = simpy.Environment()
    p2_beds = simpy.Resource(env, capacity=P2_BEDS)
    p1_slots = simpy.Resource(env, capacity=P1_SLOTS)
    nan = math.nan
    p2_admit, service_end = [nan] * n, [nan] * n
    p2_leave, p1_leave = [nan] * n, [nan] * n

    def patient(i: int) -> Generator[simpy.Event, Any, None]:
        bed = p2_beds.request()
        yield bed
        p2_admit[i] = env.now
        yield env.timeout(p2_los[i])
        service_end[i] = env.now
        if onward[i]:
            slot = p1_slots.request()
            yield slot  # blocking after service: the P2 bed is kept until a P1 slot is free
            p2_beds.release(bed)
            p2_leave[i] = env.now
            yield env.timeout(p1_los[i])
            p1_slots.release(slot)
            p1_leave[i] = env.now
        else:
            p2_beds.release(bed)
            p2_leave[i] = env.now

    def source() -> Generator[simpy.Event, Any, None]:
        for i, t in enumerate(arrival.tolist()):
            yield env.timeout(t - env.now)
            env.process(patient(i))

    env.process(source())
    env.run(until=horizon_days)
    return TandemTimes(arrival, np.array(p2_admit), np.array(service_end), np.array(p2_leave),
                       np.array(p1_leave), to_p1)


# -- results of the tandem network ----------------------------------------------------------------
def _overlap(start: np.ndarray, end: np.ndarray, w0: float, w1: float) -> np.ndarray:
    """Length of ``[start, end)`` inside ``[w0, w1)``; NaN start: never began, NaN end: open."""
    start = np.where(np.isnan(start), w1, start)
    end = np.where(np.isnan(end), w1, end)
    return np.clip(np.minimum(end, w1) - np.maximum(start, w0), 0.0, None)


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else math.nan


def tandem_stats(times: TandemTimes, warm_up_days: float, horizon_days: float) -> dict[str, float]:
    """Summary of a tandem run over the window ``[warm_up_days, horizon_days)``.

    The same definitions are applied to both models, so the numbers are directly comparable:

    * ``p2_admissions_per_day``: P2 admissions in the window per day (the P2 throughput);
    * ``mean_p2_wait_days``: wait for a P2 bed of patients admitted in the window;
    * ``mean_blocked_days``: time P1-bound patients leaving P2 in the window held the bed after
      their stay ended;
    * ``p1_share_blocked``: share of those who were blocked at all;
    * ``p2_utilisation`` / ``p1_utilisation``: time-average places occupied over capacity (the P2
      figure includes blocked bed time).
    """
    w0, w1 = warm_up_days, horizon_days
    days = w1 - w0
    admitted = (times.p2_admit >= w0) & (times.p2_admit < w1)
    left_to_p1 = times.to_p1 & (times.p2_leave >= w0) & (times.p2_leave < w1)
    blocked = (times.p2_leave - times.service_end)[left_to_p1]
    p1_start = np.where(times.to_p1, times.p2_leave, np.nan)
    return {
        "p2_admissions_per_day": float(admitted.sum()) / days,
        "mean_p2_wait_days": _mean((times.p2_admit - times.arrival)[admitted]),
        "mean_blocked_days": _mean(blocked),
        "p1_share_blocked": _mean(blocked > 0.0),
        "p2_utilisation": float(_overlap(times.p2_admit, times.p2_leave, w0, w1).sum())
        / (P2_BEDS * days),
        "p1_utilisation": float(_overlap(p1_start, times.p1_leave, w0, w1).sum())
        / (P1_SLOTS * days),
    }


# -- timing ---------------------------------------------------------------------------------------
@dataclass
class Timing:
    """Wall times of repeated runs of one case, and the work each run did."""

    case: str
    work: int = 0  # episodes (flowsim) or patients (bare SimPy) simulated per run
    seconds: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        """Fastest run: the least disturbed by the rest of the machine."""
        return min(self.seconds)

    @property
    def median(self) -> float:
        """Median run."""
        return statistics.median(self.seconds)

    @property
    def rate(self) -> float:
        """Work per second of the fastest run."""
        return self.work / self.best


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Run ``fn`` once after a full garbage collection; return (wall seconds, its result).

    The collector stays enabled during the run: collection is part of what a real run costs.
    """
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


@dataclass(frozen=True)
class Settings:
    """What to run."""

    repeats: int
    tandem_horizon_days: float
    tandem_warm_up_days: float
    default_overrides: tuple[str, ...]
    seed: int


@dataclass(frozen=True)
class BenchResult:
    """Timings of the three cases and the tandem outputs of both models."""

    default: Timing
    flowsim: Timing
    bare: Timing
    flowsim_times: TandemTimes
    bare_times: TandemTimes


def run_benchmark(settings: Settings) -> BenchResult:
    """Time the default run, flowsim's tandem and bare SimPy's tandem, interleaved.

    Each repeat runs all three cases once, starting one case later than the previous repeat, so
    every case is timed in every position and slow drift in machine speed is shared. Runs are
    deterministic (fixed seeds), so every repeat of a case does identical work.
    """
    default_scenario = load_scenario(list(settings.default_overrides))
    horizon, seed = settings.tandem_horizon_days, settings.seed
    scenario = tandem_scenario(horizon, settings.tandem_warm_up_days, seed)
    default = Timing("default")
    flow, bare = Timing("tandem flowsim"), Timing("tandem bare SimPy")
    outputs: dict[str, TandemTimes] = {}

    def run_default() -> int:
        return len(simulate(default_scenario, 0).episodes)

    def run_tandem(timing: Timing) -> int:
        if timing is flow:
            times = run_flowsim_tandem(scenario)
        else:
            times = run_bare_tandem(horizon, seed)
        outputs[timing.case] = times
        return int(times.arrival.size)

    # Untimed first runs: the default case in full, the tandem models over a short horizon.
    run_default()
    simulate(tandem_scenario(WARM_UP_RUN_DAYS, WARM_UP_RUN_DAYS / 2, seed), 0)
    run_bare_tandem(WARM_UP_RUN_DAYS, seed)

    runs: list[tuple[Timing, Callable[[], int]]] = [
        (default, run_default),
        (flow, lambda: run_tandem(flow)),
        (bare, lambda: run_tandem(bare)),
    ]
    for repeat in range(settings.repeats):
        shift = repeat % len(runs)
        for timing, run in runs[shift:] + runs[:shift]:
            seconds, work = timed(run)
            timing.seconds.append(seconds)
            timing.work = work
    return BenchResult(default, flow, bare, outputs[flow.case], outputs[bare.case])


def profile_default(overrides: Sequence[str], top: int = PROFILE_TOP) -> str:
    """cProfile one default replication; the ``top`` functions by own time, as text."""
    scenario = load_scenario(list(overrides))
    profiler = cProfile.Profile()
    profiler.runcall(simulate, scenario, 0)
    lines: list[str] = []

    class _Sink:
        def write(self, text: str) -> None:
            lines.append(text)

    stats = pstats.Stats(profiler, stream=_Sink())  # type: ignore[arg-type]
    stats.sort_stats("tottime").print_stats(top)
    return "".join(lines).strip("\n")


# -- reporting ------------------------------------------------------------------------------------
def environment() -> dict[str, Any]:
    """Versions and machine, for the JSON record."""

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "simpy": version("simpy"),
        "numpy": np.__version__,
        "flowsim": version("flowsim"),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "hydra_plugins": hydra_plugins(),
    }


def hydra_plugins() -> list[str]:
    """The Hydra plugin modules installed: Hydra imports every one at each start, so they count in it.

    A ``make run`` environment has flowsim's and joblib's launcher; ``make test`` adds Ray's and
    submitit's (the tests compare them), which makes every measured start-up a little slower.
    """
    import hydra_plugins as namespace  # a namespace package: flowsim's folder and every plugin's

    return sorted(module.name for module in pkgutil.iter_modules(namespace.__path__))


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned first column, right-aligned others, two spaces apart."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _relative_difference(a: float, b: float) -> float:
    return abs(a - b) / abs(b) if b else (0.0 if a == b else math.inf)


def ratios_to_bare(timing: Timing, bare: Timing) -> tuple[float, float, list[float]]:
    """Cost per unit of work of ``timing`` over that of the bare SimPy reference.

    Returns the ratio of the best runs, the median of the per-repeat ratios (each repeat's runs
    are adjacent in time, so machine drift cancels within a pair) and the per-repeat ratios.
    For the tandem flowsim case the work is the same, so this is simply the ratio of seconds.
    """
    pairs = [(t / timing.work) / (b / bare.work)
             for t, b in zip(timing.seconds, bare.seconds, strict=True)]
    return (timing.best / timing.work) / (bare.best / bare.work), statistics.median(pairs), pairs


def report(result: BenchResult, flow_stats: dict[str, float],
           bare_stats: dict[str, float]) -> tuple[str, dict[str, Any]]:
    """The stdout text and the JSON record of one benchmark run."""
    timings = (result.default, result.flowsim, result.bare)
    ratios = {t.case: ratios_to_bare(t, result.bare) for t in timings}
    rows = [[t.case, str(len(t.seconds)), f"{t.best:.3f}", f"{t.median:.3f}", f"{t.work:,}",
             f"{t.rate:,.0f}", f"{ratios[t.case][0]:.2f}", f"{ratios[t.case][1]:.2f}"]
            for t in timings]
    timing_table = format_table(
        ["case", "runs", "best s", "median s", "episodes", "episodes/s", "ratio best",
         "ratio median"], rows)

    check_rows = []
    for key in flow_stats:
        diff = _relative_difference(flow_stats[key], bare_stats[key])
        flag = "ok" if diff <= CROSS_CHECK_TOLERANCE else "CHECK"
        check_rows.append([key, f"{flow_stats[key]:.4f}", f"{bare_stats[key]:.4f}",
                           f"{100 * diff:.1f} %", flag])
    check_table = format_table(["tandem metric", "flowsim", "bare SimPy", "rel diff", ""],
                               check_rows)
    text = "\n".join([
        timing_table,
        "",
        "episodes/s: of the best run. ratio: cost relative to bare SimPy on the tandem network;",
        "  tandem flowsim = flowsim s / bare SimPy s (same network, same horizon);",
        "  default = (s per default episode) / (bare SimPy s per tandem patient);",
        "  best = ratio of best runs, median = median of per-repeat (adjacent-run) ratios.",
        "",
        check_table,
        f"(a metric is flagged CHECK when it differs by more than {100 * CROSS_CHECK_TOLERANCE:.0f} %;"
        " the models use different random numbers,",
        " so short runs differ by chance; use the full horizon to compare.)",
    ])
    definitions = {
        result.default.case: "(seconds per episode) / (bare SimPy seconds per tandem patient)",
        result.flowsim.case: "flowsim seconds / bare SimPy seconds, same network and horizon",
        result.bare.case: "the reference",
    }
    cases = [{
        "case": t.case,
        "seconds": t.seconds,
        "seconds_best": t.best,
        "seconds_median": t.median,
        "episodes": t.work,
        "episodes_per_second": t.rate,
        "ratio_best": ratios[t.case][0],
        "ratio_median": ratios[t.case][1],
        "ratio_per_repeat": ratios[t.case][2],
        "ratio_definition": definitions[t.case],
    } for t in timings]
    record = {
        "cases": cases,
        "cross_check": {key: {"flowsim": flow_stats[key], "bare_simpy": bare_stats[key]}
                        for key in flow_stats},
    }
    return text, record


# -- command line ---------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=None,
                        help=f"timed runs per case (default {DEFAULT_REPEATS}, "
                             f"{QUICK_REPEATS} with --quick)")
    parser.add_argument("--horizon", type=float, default=None,
                        help=f"tandem horizon in days (default {TANDEM_HORIZON_DAYS:g}, "
                             f"{QUICK_TANDEM_HORIZON_DAYS:g} with --quick)")
    parser.add_argument("--warm-up", type=float, default=None,
                        help=f"tandem warm-up in days (default {TANDEM_WARM_UP_DAYS:g}, "
                             f"{QUICK_TANDEM_WARM_UP_DAYS:g} with --quick)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"seed of both tandem models (default {SEED})")
    parser.add_argument("--quick", action="store_true",
                        help="smoke check: fewer repeats, shorter runs (default case shortened "
                             f"with {' '.join(QUICK_DEFAULT_OVERRIDES)})")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="also write the numbers to this JSON file")
    parser.add_argument("--profile", action="store_true",
                        help=f"also print the top {PROFILE_TOP} functions by own time of one "
                             "default run under cProfile (not timed)")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be >= 1")
    return args


def settings_from(args: argparse.Namespace) -> Settings:
    """Resolve defaults and ``--quick`` into :class:`Settings`."""
    quick = args.quick
    horizon = args.horizon or (QUICK_TANDEM_HORIZON_DAYS if quick else TANDEM_HORIZON_DAYS)
    warm_up = args.warm_up if args.warm_up is not None else (
        QUICK_TANDEM_WARM_UP_DAYS if quick else TANDEM_WARM_UP_DAYS)
    if horizon <= warm_up:
        raise SystemExit(f"--horizon ({horizon:g}) must exceed --warm-up ({warm_up:g})")
    return Settings(
        repeats=args.repeats or (QUICK_REPEATS if quick else DEFAULT_REPEATS),
        tandem_horizon_days=horizon,
        tandem_warm_up_days=warm_up,
        default_overrides=QUICK_DEFAULT_OVERRIDES if quick else (),
        seed=args.seed,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the tables, optionally write JSON."""
    args = parse_args(argv)
    settings = settings_from(args)
    result = run_benchmark(settings)
    w0, w1 = settings.tandem_warm_up_days, settings.tandem_horizon_days
    text, record = report(result, tandem_stats(result.flowsim_times, w0, w1),
                          tandem_stats(result.bare_times, w0, w1))
    env = environment()
    print(f"flowsim core benchmark  python {env['python']}  simpy {env['simpy']}  "
          f"numpy {env['numpy']}  {env['platform']}")
    print(f"repeats {settings.repeats}; tandem horizon {w1:g} d (warm-up {w0:g} d)"
          + ("; QUICK: default case shortened, numbers are a smoke check" if args.quick else ""))
    print()
    print(text)
    if args.profile:
        print()
        print(profile_default(settings.default_overrides))
    if args.json is not None:
        record = {
            "benchmark": "flowsim core",
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "quick": bool(args.quick),
            "repeats": settings.repeats,
            "tandem_horizon_days": w1,
            "tandem_warm_up_days": w0,
            "default_overrides": list(settings.default_overrides),
            "environment": env,
            **record,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
