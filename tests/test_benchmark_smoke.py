"""Smoke test of the benchmark's two tandem models (benchmarks/bench_core.py).

A functional check, not a timing test: both the flowsim configuration of the tandem network and its
bare SimPy reference run a short horizon to the end and agree on P2 throughput.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from conftest import load_script

REPOSITORY = Path(__file__).resolve().parent.parent
BENCH_PATH = REPOSITORY / "benchmarks" / "bench_core.py"
HORIZON_DAYS = 60.0
WARM_UP_DAYS = 10.0
SEED = 3


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """The benchmark script, imported by path."""
    return load_script("bench_core", BENCH_PATH)


def test_tandem_models_finish_and_agree_on_p2_throughput(bench: ModuleType) -> None:
    scenario = bench.tandem_scenario(HORIZON_DAYS, WARM_UP_DAYS, SEED)
    flow = bench.run_flowsim_tandem(scenario)
    bare = bench.run_bare_tandem(HORIZON_DAYS, SEED)

    for times in (flow, bare):
        assert times.arrival.size > 0.9 * bench.ARRIVALS_PER_DAY * HORIZON_DAYS
        assert np.all(times.arrival < HORIZON_DAYS)
        # Every step that happened happened in order and before the horizon.
        for earlier, later in ((times.arrival, times.p2_admit),
                               (times.p2_admit, times.service_end),
                               (times.service_end, times.p2_leave)):
            both = ~np.isnan(later)
            assert np.all(earlier[both] <= later[both])
            assert np.all(later[both] < HORIZON_DAYS)

    flow_stats = bench.tandem_stats(flow, WARM_UP_DAYS, HORIZON_DAYS)
    bare_stats = bench.tandem_stats(bare, WARM_UP_DAYS, HORIZON_DAYS)
    key = "p2_admissions_per_day"
    assert flow_stats[key] == pytest.approx(bare_stats[key], rel=0.10)
    assert flow_stats[key] == pytest.approx(bench.ARRIVALS_PER_DAY, rel=0.10)


@pytest.fixture(scope="module")
def targets(bench) -> ModuleType:
    """benchmarks/bench_targets.py, imported by path (it imports bench_core and baseline as siblings)."""
    load_script("baseline", BENCH_PATH.with_name("baseline.py"))
    return load_script("bench_targets", BENCH_PATH.with_name("bench_targets.py"))  # after bench_core


def test_the_record_names_the_hydra_plugins_each_start_imports(bench: ModuleType) -> None:
    # what the start-up measured includes: flowsim's own plugins always, the launchers installed
    plugins = bench.environment()["hydra_plugins"]
    assert {"flowsim_launcher", "flowsim_sweeper", "hydra_joblib_launcher"} <= set(plugins)
    assert plugins == sorted(plugins)


def test_the_targets_bench_measures_a_flowsim_process(targets, tmp_path) -> None:
    measured = targets.run_flowsim(["scenario=quick", "run.horizon_days=90", "run.warm_up_days=30"],
                                   tmp_path / "run")
    assert (tmp_path / "run" / "metrics.json").is_file()
    assert measured.cpu_s > 0.1 and measured.peak_bytes > 50 * 2**20


def test_the_targets_bench_sets_a_run_s_environment(targets, tmp_path) -> None:
    targets.run_flowsim(["--cfg", "job", "scenario=quick"], tmp_path / "kept",
                        env={"FLOWSIM_CACHE_DIR": str(tmp_path / "cache")})
    assert len(list((tmp_path / "cache" / "compositions").glob("*.pickle"))) == 1


def test_the_targets_bench_measures_a_config_error_and_refuses_a_run_that_ends_otherwise(targets, tmp_path):
    error = targets.run_flowsim(["services.ic_beds.capacity=-1"], tmp_path / "error", exit_code=2)
    assert error.cpu_s > 0.05 and not (tmp_path / "error" / "metrics.json").exists()
    with pytest.raises(RuntimeError, match="exited 2, not 0"):  # an error is not measured as a run
        targets.run_flowsim(["services.ic_beds.capacity=-1"], tmp_path / "run")


def test_england_is_the_default_system_scaled_forty_times(targets) -> None:
    from flowsim.model.compose import load_config

    overrides = dict(o.split("=", 1) for o in targets.england_overrides())
    config = load_config([])
    assert float(overrides["arrivals.rate_per_day"]) == pytest.approx(40 * config.arrivals.rate_per_day)
    for name, unit in config.services.items():
        assert int(overrides[f"services.{name}.capacity"]) == 40 * unit.capacity


def test_the_targets_table_says_met_or_not(targets) -> None:
    rows = [targets.Row("a", "0.9x", "<= 1x", True), targets.Row("b", "2.0 s", "<= 1.2 s", False),
            targets.Row("c", "1.0 s", "", None)]
    lines = targets.format_rows(rows).splitlines()
    assert lines[2].endswith("met") and lines[3].endswith("NOT MET") and lines[4].rstrip().endswith("1.0 s")


def test_a_target_in_seconds_is_judged_by_its_ratio_when_the_baseline_ran_in_the_same_hour(targets):
    slow = targets.seconds_row("cpu", 3.11, 1.2, judged_by_baseline=True)
    assert slow.met is None and slow.limit.startswith("<= 1.2 s") and "ratio" in slow.limit
    assert targets.seconds_row("cpu", 3.11, 1.2, judged_by_baseline=False).met is False
    for judged in (True, False):  # within the limit in seconds: met, whatever the hour
        quick = targets.seconds_row("wall", 48.3, 60.0, judged_by_baseline=judged)
        assert quick.met is True and quick.limit == "<= 60 s"


def test_the_targets_bench_splits_a_run_s_cpu_into_its_phases(targets, tmp_path) -> None:
    short = ["scenario=quick", "run.horizon_days=90", "run.warm_up_days=30"]
    measured = targets.run_flowsim(short, tmp_path / "run", phases=True)
    phases = measured.phases
    assert set(phases) == {"before_s", "simulating_s", "after_s"}
    # the three parts are the process's CPU, each part of it
    assert sum(phases.values()) == pytest.approx(measured.cpu_s, abs=0.002)
    assert phases["before_s"] > 0.1 and phases["simulating_s"] > 0.01 and phases["after_s"] > 0.005
    assert (tmp_path / "run" / "metrics.json").is_file()  # the run itself is the same
    assert targets.run_flowsim(short, tmp_path / "plain").phases is None  # only when asked


def test_the_phases_need_a_simulation_in_the_measured_process(targets, tmp_path, monkeypatch) -> None:
    # replications in forked workers: the main process never simulates, so it has no phases to report
    forked = ["scenario=quick", "run.horizon_days=60", "run.warm_up_days=10", "replications=2", "n_jobs=2"]
    assert targets.run_flowsim(forked, tmp_path / "workers", phases=True).phases is None
    unsplit = targets.Process(1.0, 1.0, 1, tmp_path)
    monkeypatch.setattr(targets, "run_flowsim", lambda *args, **kwargs: unsplit)
    with pytest.raises(RuntimeError, match="did not simulate"):
        targets._phase_rows([], tmp_path)


def _where_flowsim_comes_from(tree) -> list[str]:
    """The files ``tree``'s Python imports flowsim and Hydra's plugins from, and its console script."""
    shown = subprocess.run([str(tree.python), "-P", "-c", "import flowsim, hydra_plugins; "
                            "print(flowsim.__file__); print(*hydra_plugins.__path__)"],
                           check=True, capture_output=True, text=True).stdout.split()
    return [*shown, f"{tree.module}:{tree.function}"]


def test_the_baseline_environment_runs_the_exported_tree_with_the_installed_packages(targets, tmp_path):
    baseline = sys.modules["baseline"]
    # HEAD stands in for the baseline commit: the same export, at a commit every checkout has
    tree = baseline.baseline_tree(tmp_path, "HEAD")
    if tree is None:
        pytest.skip("this checkout has no git history")
    exported = tmp_path / "tree-HEAD"
    flowsim_file, *plugins, entry = _where_flowsim_comes_from(tree)
    assert flowsim_file == str(exported / "flowsim" / "__init__.py")  # not the editable install's
    assert plugins[0] == str(exported / "hydra_plugins")  # the tree's own plugins, then the launchers
    assert [Path(p).name for p in plugins[1:]] == ["hydra_plugins"] and len(plugins) == 2
    assert not (Path(plugins[1]) / "flowsim_launcher").exists()
    assert entry == "flowsim.cli.entry:flowsim"  # from the tree's pyproject.toml
    current = baseline.current_tree(tmp_path)  # this checkout, run the same way
    assert _where_flowsim_comes_from(current)[0] == str(REPOSITORY / "flowsim" / "__init__.py")
    assert baseline.baseline_tree(tmp_path / "none", "0" * 40) is None  # a commit this checkout lacks


def test_the_targets_bench_runs_a_tree_in_its_own_environment(targets, tmp_path) -> None:
    baseline = sys.modules["baseline"]
    tree = baseline.baseline_tree(tmp_path, "HEAD")
    if tree is None:
        pytest.skip("this checkout has no git history")
    # the exported tree's flowsim leaves a mark when imported: the run must be the tree's, though the
    # working directory (this checkout, as under make bench) has a flowsim of its own
    marked = tmp_path / "tree-HEAD" / "flowsim" / "__init__.py"
    marked.write_text(marked.read_text() + f"\nopen({str(tmp_path / 'imported')!r}, 'w').close()\n")
    measured = targets.run_flowsim(["scenario=quick", "run.horizon_days=60", "run.warm_up_days=10"],
                                   tmp_path / "run", tree=tree)
    assert (tmp_path / "run" / "metrics.json").is_file() and measured.cpu_s > 0.1
    assert (tmp_path / "imported").exists()


def test_the_baseline_rows_compare_interleaved_runs_of_the_two_trees(targets, tmp_path, monkeypatch) -> None:
    baseline = sys.modules["baseline"]
    then_tree = baseline.Tree(Path("then"), "m", "f")
    now_tree = baseline.Tree(Path("now"), "m", "f")
    cpu = {"then": iter([2.0, 2.5, 1.6]), "now": iter([0.8, 0.9, 1.0])}
    order = []

    def measured(args, folder, tree=None, **kwargs):
        order.append(tree.python.name)
        return targets.Process(1.0, next(cpu[tree.python.name]), 1, folder)

    monkeypatch.setattr(targets, "run_flowsim", measured)
    ratio, hour = targets._baseline_rows([], tmp_path, 3, (then_tree, now_tree))
    assert order == ["then", "now"] * 3  # interleaved, the baseline first in each pair
    assert ratio.measured == "0.40x (0.36-0.62)" and ratio.limit == "<= 0.48x" and ratio.met
    assert hour.measured == "2.00 s" and hour.met is None  # the baseline's median, for information
    skipped, = targets._baseline_rows([], tmp_path, 3, None)
    assert "skipped" in skipped.target and skipped.met is None

    walls = iter([150.0, 80.0])
    monkeypatch.setattr(targets, "run_flowsim",
                        lambda args, folder, tree=None, **kw: targets.Process(next(walls), 1.0, 1, folder))
    england = targets._england_baseline_row([], tmp_path, (then_tree, now_tree))
    assert england.measured == "0.53x" and england.limit == "<= 1x" and england.met
