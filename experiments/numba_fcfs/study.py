"""Study: a compiled (numba) FCFS inner loop for plain multi-server units, against flowsim's SimPy engine.

For each case (a plain M/M/c P2 unit, see ``fcfs.py``) this script

1. runs flowsim's engine once and checks, episode for episode, that the FCFS recursion, in plain
   Python and compiled with numba, gives the engine's admit and leave times from the engine's own
   random numbers (read back from the episode table, and redrawn from its named streams), and that the
   fast path's episode table equals the engine's in every column;
2. times, interleaved in one process (every repeat runs each case once, in a rotating order; a full
   garbage collection before each timed run, as benchmarks/bench_core.py does):

   * ``flowsim``: :func:`flowsim.simulate` of the scenario (draws, SimPy run, event log);
   * ``bare SimPy``: the same unit as a plain SimPy model, every random number drawn up front;
   * ``Python recursion``: the plain-Python heap recursion alone, inputs ready;
   * ``numba kernel``: the compiled recursion alone, inputs ready (compiled beforehand);
   * ``numba + numpy draws``: as many arrival times and stays drawn with plain numpy, then the kernel;
   * ``numba fast path``: flowsim's named streams, the clock replay, the kernel and the engine's episode
     table: a drop-in replacement of ``flowsim`` for this scenario, identical output;
   * ``Python fast path``: the same with the plain-Python recursion and clock replay (no numba);
   * ``... + metrics``: the same followed by :func:`flowsim.compute_metrics` (the KPIs a sweep keeps),
     compared with ``flowsim + metrics``.

Ratios are ``flowsim seconds / case seconds``: "best" of the fastest runs, "median" of the per-repeat
(adjacent-run) ratios. Compile time (first call of the kernels) and numba's import are timed apart.

Usage::

    .venv/bin/python experiments/numba_fcfs/study.py [--quick] [--repeats N] [--json PATH]

Exit status 2, with a one-line message, when numba is not installed (it is not a flowsim dependency).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import simpy

from flowsim import compute_metrics, theory
from flowsim.model.compose import config_dir, load_scenario
from flowsim.model.journey import simulate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_REPEATS, QUICK_REPEATS = 5, 2
HORIZON_DAYS, WARM_UP_DAYS = 3650.0, 365.0
QUICK_HORIZON_DAYS, QUICK_WARM_UP_DAYS = 365.0, 30.0
ADOPTION_SPEED_UP = 3.0  # the project's rule: adopt only if it holds the check and pays at least 3x


def load(name: str, path: Path) -> ModuleType:
    """Import a sibling script by path (experiments and benchmarks are not packages)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


fcfs = load("numba_fcfs_fcfs", HERE / "fcfs.py")
bench = load("bench_core", ROOT / "benchmarks" / "bench_core.py")  # Timing, timed, format_table, environment


# -- the bare SimPy reference ---------------------------------------------------------------------
def run_bare_unit(case: Any, horizon_days: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The unit as a plain SimPy model (as bench_core's bare tandem, one pool): arrival, admit times."""
    rng = np.random.default_rng(seed)
    n = int(rng.poisson(case.arrivals_per_day * horizon_days))
    arrival = np.sort(rng.uniform(0.0, horizon_days, n)).tolist()
    stay = rng.exponential(case.mean_stay_days, n).tolist()
    env = simpy.Environment()
    places = simpy.Resource(env, capacity=case.capacity)
    admit, leave = [math.nan] * n, [math.nan] * n

    def patient(i: int) -> Generator[simpy.Event, Any, None]:
        with places.request() as place:
            yield place
            admit[i] = env.now
            yield env.timeout(stay[i])
        leave[i] = env.now

    def source() -> Generator[simpy.Event, Any, None]:
        for i, t in enumerate(arrival):
            yield env.timeout(t - env.now)
            env.process(patient(i))

    env.process(source())
    env.run(until=horizon_days)
    return np.array(arrival), np.array(admit)


# -- one case -------------------------------------------------------------------------------------
def check_case(case: Any, scenario: Any, kernel: ModuleType) -> dict[str, Any]:
    """Episode-for-episode checks of the recursions (Python and numba) against one engine run."""
    result = simulate(scenario, 0)
    out: dict[str, Any] = {"episodes": len(result.episodes)}
    streams = fcfs.inputs_from_streams(scenario)
    for source, inputs in (("table", fcfs.inputs_from_table(result)), ("streams", streams)):
        for name, fn in (("python", fcfs.fcfs_reference), ("numba", kernel.fcfs_numba)):
            admit, leave = fn(inputs.request, inputs.stay, inputs.capacity)
            out[f"{name}_from_{source}"] = fcfs.compare(admit, leave, result)
    times, _ = fcfs.stream_draws(scenario)
    out["arrivals_where_clock_differs_from_draw"] = int(np.count_nonzero(kernel.clock_numba(times) != times))
    table_stays = fcfs.inputs_from_table(result).stay
    done = np.isfinite(table_stays)
    out["table_stays_not_bit_equal_to_drawn"] = int(np.count_nonzero(table_stays[done] != streams.stay[done]))
    admit, leave = kernel.fcfs_numba(streams.request, streams.stay, streams.capacity)
    fast = fcfs.fast_result(scenario, streams.request, admit, leave)
    out["fast_table_columns_differing"] = fcfs.table_differences(fast.episodes, result.episodes)
    counts = ("patients_arrived", "patients_left", "patients_in_system", "episodes_in_progress")
    out["fast_counts_differing"] = [c for c in counts if getattr(fast, c) != getattr(result, c)]
    ours, engine = compute_metrics(fast).kpis, compute_metrics(result).kpis
    out["fast_kpis_differing"] = sorted(k for k in engine if not np.array_equal(
        ours.get(k), engine[k], equal_nan=isinstance(engine[k], float)))
    out["holds"] = (all(fcfs.holds(out[k]) for k in out if k.startswith(("python_", "numba_")))
                    and not (out["fast_table_columns_differing"] or out["fast_counts_differing"]
                             or out["fast_kpis_differing"]))
    log = result.episodes
    w0 = scenario.warm_up_days
    after = log["unit_request_day"] >= w0
    out["mean_wait_days"] = {
        "flowsim": float(np.nanmean((log["unit_admit_day"] - log["unit_request_day"])[after])),
        "erlang_c": theory.mmc_mean_wait(case.arrivals_per_day, case.mean_stay_days, case.capacity),
    }
    return out


def time_case(case: Any, scenario: Any, kernel: ModuleType, repeats: int, horizon: float, seed: int
              ) -> tuple[list[Any], dict[str, float]]:
    """Time the six cases interleaved; also the mean waits of the numpy-draws path and bare SimPy."""
    inputs = fcfs.inputs_from_streams(scenario)
    n = inputs.request.size
    waits: dict[str, float] = {}

    def numpy_path() -> int:
        request, stay = fcfs.numpy_draws(case, n, horizon, seed)
        admit, _ = kernel.fcfs_numba(request, stay, case.capacity)
        after = request >= scenario.warm_up_days
        waits["numba_numpy_draws"] = float((admit - request)[after].mean())
        return n

    def fast_path() -> Any:
        times, u = fcfs.stream_draws(scenario)
        request = kernel.clock_numba(times)
        admit, leave = kernel.fcfs_numba(request, scenario.units[0].los.ppf(u), case.capacity)
        return fcfs.fast_result(scenario, request, admit, leave)

    def bare() -> int:
        arrival, admit = run_bare_unit(case, horizon, seed)
        after = (arrival >= scenario.warm_up_days) & ~np.isnan(admit)
        waits["bare_simpy"] = float((admit - arrival)[after].mean())
        return arrival.size

    def python_path() -> Any:
        times, u = fcfs.stream_draws(scenario)
        request = fcfs.clock_times(times)
        admit, leave = fcfs.fcfs_reference(request, scenario.units[0].los.ppf(u), case.capacity)
        return fcfs.fast_result(scenario, request, admit, leave)

    def with_metrics(result: Any) -> int:
        compute_metrics(result)
        return len(result.episodes)

    runs: list[tuple[Any, Callable[[], int]]] = [
        (bench.Timing("flowsim"), lambda: len(simulate(scenario, 0).episodes)),
        (bench.Timing("bare SimPy"), bare),
        (bench.Timing("Python recursion"),
         lambda: fcfs.fcfs_reference(inputs.request, inputs.stay, case.capacity)[0].size),
        (bench.Timing("numba kernel"),
         lambda: kernel.fcfs_numba(inputs.request, inputs.stay, case.capacity)[0].size),
        (bench.Timing("numba + numpy draws"), numpy_path),
        (bench.Timing("numba fast path"), lambda: len(fast_path().episodes)),
        (bench.Timing("Python fast path"), lambda: len(python_path().episodes)),
        (bench.Timing("flowsim + metrics"), lambda: with_metrics(simulate(scenario, 0))),
        (bench.Timing("numba fast path + metrics"), lambda: with_metrics(fast_path())),
        (bench.Timing("Python fast path + metrics"), lambda: with_metrics(python_path())),
    ]
    # untimed first runs: nothing timed pays for first use
    simulate(fcfs.unit_scenario(case, 30.0, 10.0, seed), 0)
    run_bare_unit(case, 30.0, seed)
    for timing, run in runs[2:]:
        if timing.case != "flowsim + metrics":
            run()
    for repeat in range(repeats):
        shift = repeat % len(runs)
        for timing, run in runs[shift:] + runs[:shift]:
            seconds, work = bench.timed(run)
            timing.seconds.append(seconds)
            timing.work = work
    return [t for t, _ in runs], waits


def shipped_scope() -> dict[str, list[str]]:
    """What keeps each shipped system and scenario (housing on, and ``housing=off``) out of scope."""
    names = ["", *sorted(p.stem for p in (config_dir() / "scenario").glob("*.yaml"))]
    out = {}
    for housing in ([], ["housing=off"]):
        for name in names:
            overrides = ([f"scenario={name}"] if name else []) + housing
            out[" ".join(overrides) or "default system"] = fcfs.out_of_scope(load_scenario(overrides))
    return out


def compile_seconds(kernel: ModuleType) -> float:
    """Seconds of the kernels' first calls on tiny inputs: numba's compilation (per process)."""
    start = time.perf_counter()
    kernel.fcfs_numba(np.array([0.0, 0.5]), np.array([1.0, 1.0]), 1)
    kernel.clock_numba(np.array([0.25, 0.5]))
    return time.perf_counter() - start


# -- report ---------------------------------------------------------------------------------------
def summarise(timings: list[Any]) -> list[dict[str, Any]]:
    """Per-episode costs and ``flowsim / case`` ratios of each timed case.

    A case "+ metrics" is compared with "flowsim + metrics" (KPIs computed from the table included).
    """
    by_name = {t.case: t for t in timings}
    rows = []
    for t in timings:
        flow = by_name["flowsim + metrics" if t.case.endswith("+ metrics") else "flowsim"]
        pairs = [f / s for f, s in zip(flow.seconds, t.seconds, strict=True)]
        rows.append({
            "case": t.case, "episodes": t.work, "seconds": t.seconds,
            "seconds_best": t.best, "seconds_median": t.median,
            "ns_per_episode_best": fcfs.per_episode_ns(t.best, t.work),
            "ns_per_episode_median": fcfs.per_episode_ns(t.median, t.work),
            "baseline": flow.case,
            "flowsim_over_case_best": flow.best / t.best,
            "flowsim_over_case_median": statistics.median(pairs),
        })
    return rows


def check_line(check: dict[str, Any]) -> str:
    """One line: the largest differences over the four recursion checks, and the table check."""
    keys = [k for k in check if k.startswith(("python_", "numba_"))]
    worst = max(max(check[k]["admit_max_abs_days"], check[k]["leave_max_abs_days"]) for k in keys)
    one_side = sum(check[k]["admit_reached_by_one_side"] + check[k]["leave_reached_by_one_side"]
                   for k in keys)
    fast = (check["fast_table_columns_differing"] + check["fast_counts_differing"]
            + check["fast_kpis_differing"]) or "none"
    return (f"check {'HOLDS' if check['holds'] else 'FAILS'}: {check['episodes']:,} episodes, "
            f"max |admit/leave diff| {worst:.3g} d over {len(keys)} checks (python/numba x table/streams), "
            f"{one_side:.0f} reached by one side only;\n  fast path's table columns, counts and KPIs "
            f"differing from the engine's: {fast}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke check: {QUICK_HORIZON_DAYS:g} d, {QUICK_REPEATS} repeats")
    parser.add_argument("--repeats", type=int, default=None,
                        help=f"timed runs per case (default {DEFAULT_REPEATS})")
    parser.add_argument("--seed", type=int, default=fcfs.SEED)
    parser.add_argument("--json", type=Path, default=HERE / "results.json",
                        help="where to write the numbers (default: results.json beside this script)")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Check, time, print the table, write the JSON; 2 without numba."""
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        import numba
    except ImportError:
        print("numba is not installed: pip install numba (optional, for this study only)")
        return 2
    kernel = load("numba_fcfs_kernel", HERE / "kernel.py")
    import_s = time.perf_counter() - start
    compile_s = compile_seconds(kernel)
    horizon = QUICK_HORIZON_DAYS if args.quick else HORIZON_DAYS
    warm_up = QUICK_WARM_UP_DAYS if args.quick else WARM_UP_DAYS
    repeats = args.repeats or (QUICK_REPEATS if args.quick else DEFAULT_REPEATS)
    env = bench.environment() | {"numba": numba.__version__}
    print(f"numba FCFS study  python {env['python']}  numba {env['numba']}  numpy {env['numpy']}  "
          f"simpy {env['simpy']}  {env['cpu_count']} cores")
    print(f"horizon {horizon:g} d, {repeats} repeats; numba import {import_s:.2f} s, "
          f"kernel compile (first calls) {compile_s:.2f} s"
          + ("; QUICK: a smoke check" if args.quick else ""))
    record: dict[str, Any] = {
        "study": "numba FCFS inner loop vs flowsim's SimPy engine",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": bool(args.quick), "repeats": repeats, "horizon_days": horizon,
        "warm_up_days": warm_up, "seed": args.seed, "environment": env,
        "numba_import_seconds": import_s, "compile_seconds": compile_s, "cases": [],
    }
    all_hold = True
    for case in fcfs.CASES:
        scenario = fcfs.unit_scenario(case, horizon, warm_up, args.seed)
        check = check_case(case, scenario, kernel)
        timings, waits = time_case(case, scenario, kernel, repeats, horizon, args.seed)
        rows = summarise(timings)
        check["mean_wait_days"] |= waits
        all_hold &= check["holds"]
        print(f"\n{case.name}: {case.capacity} places, {case.arrivals_per_day:g} arrivals/day, "
              f"mean stay {case.mean_stay_days:g} d, rho {case.utilisation:.2f}")
        print(bench.format_table(
            ["case", "episodes", "best s", "median s", "ns/episode", "flowsim/case best",
             "flowsim/case median"],
            [[r["case"], f"{r['episodes']:,}", f"{r['seconds_best']:.4f}", f"{r['seconds_median']:.4f}",
              f"{r['ns_per_episode_best']:,.0f}", f"{r['flowsim_over_case_best']:,.1f}",
              f"{r['flowsim_over_case_median']:,.1f}"] for r in rows]))
        print(check_line(check))
        print("mean wait after warm-up (d): "
              + ", ".join(f"{k} {v:.4f}" for k, v in check["mean_wait_days"].items()))
        record["cases"].append({"case": case.name, "capacity": case.capacity,
                                "arrivals_per_day": case.arrivals_per_day,
                                "mean_stay_days": case.mean_stay_days, "check": check, "timings": rows})
    scope = shipped_scope()
    plain = [name for name, problems in scope.items() if not problems]
    fewest = min(len(p) for p in scope.values())
    print(f"\nshipped systems/scenarios a plain FCFS kernel could run: {len(plain)} of {len(scope)} "
          f"(housing on and off); each has at least {fewest} features out of its scope")
    record["shipped_scope"] = scope
    speed_ups = {c["case"]: {r["case"]: r["flowsim_over_case_median"] for r in c["timings"]
                             if "fast path" in r["case"]} for c in record["cases"]}
    record["verdict"] = {"check_holds": all_hold, "fast_path_speed_up_median": speed_ups,
                         "numba_fast_path_pays_3x": all(v >= ADOPTION_SPEED_UP for c in speed_ups.values()
                                                        for k, v in c.items() if k.startswith("numba"))}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.json}")
    return 0 if all_hold else 1


if __name__ == "__main__":
    sys.exit(main())
