"""Sweeps: Hydra multirun, collection, paired comparison, resume after interruption, launchers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flowsim.experiment.compare import compare_to_baseline, select_baseline
from flowsim.experiment.lock import folder_lock
from flowsim.experiment.pipeline import run_scenario
from flowsim.experiment.sweep import check_collected, collect_sweep, parse_override
from flowsim.experiment.workers import can_fork
from flowsim.model.compose import load_config
from flowsim.model.errors import ConfigError

TINY = ["scenario=quick", "run.warm_up_days=30", "run.horizon_days=90", "outputs.summary=false"]


def _flowsim(*args: str, timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flowsim", *args], capture_output=True, text=True,
                          timeout=timeout, check=False, env={**os.environ, **(env or {})})


def _sweep(sweep_dir: Path, *extra: str, launcher: list[str] | None = None,
           env: dict | None = None) -> subprocess.CompletedProcess:
    proc = _flowsim("-m", *TINY, "services.care_home_unit.capacity=0,3", "replications=3",
                    f"hydra.sweep.dir={sweep_dir}", *(launcher or []), *extra, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def default_sweep(tmp_path_factory) -> Path:
    """A sweep on flowsim's launcher (the default), two workers: forked from the sweep on Linux."""
    out = tmp_path_factory.mktemp("default")
    proc = _sweep(out, "hydra.launcher.n_jobs=2")
    if can_fork():
        assert "2 forked workers are launching 2 jobs" in proc.stdout + proc.stderr
    return out


def test_forked_workers_give_the_joblib_launchers_results(default_sweep, tmp_path):
    _sweep(tmp_path / "joblib", launcher=["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"])
    for table in ("results.parquet", "summary.csv"):
        read = pd.read_parquet if table.endswith(".parquet") else pd.read_csv
        pd.testing.assert_frame_equal(read(tmp_path / "joblib" / table), read(default_sweep / table))


def test_parse_override_types_values():
    assert parse_override("services.x.capacity=10") == ("services.x.capacity", 10)
    assert parse_override("+a.b=0.5") == ("a.b", 0.5)
    assert parse_override("scenario=quick") == ("scenario", "quick")


def test_sweep_is_collected_into_tidy_tables(default_sweep):
    results = pd.read_parquet(default_sweep / "results.parquet")
    assert len(results) == 2 * 3
    assert list(results.columns[:3]) == ["job", "services.care_home_unit.capacity", "replication"]
    assert sorted(results["services.care_home_unit.capacity"].unique()) == [0, 3]
    assert not results.duplicated(["job", "replication"]).any()
    summary = pd.read_csv(default_sweep / "summary.csv")
    row = summary[(summary["job"] == 1) & (summary["kpi"] == "delayed_days_total")].iloc[0]
    values = results.loc[results["job"] == 1, "delayed_days_total"].to_numpy()
    assert row["n"] == 3
    assert row["mean"] == pytest.approx(values.mean(), rel=1e-12)
    # Student-t over 3 replications: half = t(0.975, 2) x sd / sqrt(3), t(0.975, 2) = 4.302652729749462
    half = 4.302652729749462 * values.std(ddof=1) / np.sqrt(3)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((values.mean() - half, values.mean() + half),
                                                            rel=1e-12)


def test_comparison_is_paired_against_the_first_job(default_sweep):
    comparison = pd.read_csv(default_sweep / "comparison.csv")
    base = comparison[comparison["job"] == 0].iloc[0]
    assert base["delayed_days_avoided_per_year"] == 0 and base["net_saving_per_year"] == 0
    results = pd.read_parquet(default_sweep / "results.parquet").set_index(["job", "replication"])
    scale = 365 / results["observed_days"].iloc[0]
    diff = (results.loc[0, "delayed_days_total"] - results.loc[1, "delayed_days_total"]) * scale
    option = comparison[comparison["job"] == 1].iloc[0]
    assert option["delayed_days_avoided_per_year"] == pytest.approx(diff.mean())
    assert option["added_capacity"] == 3
    assert option["delayed_days_avoided_per_added_place"] == pytest.approx(diff.mean() / 3)
    # paired over 3 replications: half = t(0.975, 2) x sd / sqrt(3), t(0.975, 2) = 4.302652729749462
    half = 4.302652729749462 * diff.std(ddof=1) / np.sqrt(3)
    assert option["delayed_days_avoided_per_year_half_width"] == pytest.approx(half, rel=1e-9)
    assert option["delayed_days_avoided_per_year_ci_low"] == pytest.approx(diff.mean() - half, rel=1e-9)
    acute = (results.loc[0, "cost_delayed_days"] - results.loc[1, "cost_delayed_days"]) * scale
    added = (results.loc[1, "cost_services"] - results.loc[0, "cost_services"]) * scale
    assert option["acute_saving_per_year"] == pytest.approx(acute.mean(), rel=1e-9)
    assert option["net_saving_per_year"] == pytest.approx((acute - added).mean(), rel=1e-9)


def test_collect_cli_picks_another_baseline_and_rejects_bad_input(default_sweep, tmp_path):
    proc = subprocess.run([sys.executable, "-c", "from flowsim.cli.main import collect_main; collect_main()",
                           str(default_sweep), "--baseline", "services.care_home_unit.capacity=3"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    comparison = pd.read_csv(default_sweep / "comparison.csv")
    assert (comparison["baseline_job"] == 1).all()
    for args in ([str(tmp_path)], [str(default_sweep), "--baseline", "nope=1"],
                 [str(tmp_path / "missing")]):
        bad = subprocess.run([sys.executable, "-c",
                              "from flowsim.cli.main import collect_main; collect_main()", *args],
                             capture_output=True, text=True, check=False)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr


def test_bad_sweep_value_stops_every_job_before_launch(tmp_path):
    proc = _flowsim("-m", *TINY, "services.care_home_unit.capacity=0,-3", f"hydra.sweep.dir={tmp_path}/s")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("flowsim: error: sweep job 1")
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "s" / "0" / "metrics.json").exists()


def test_a_value_the_schema_refuses_names_its_job(tmp_path):
    # 2.5 replications: refused while composing the job (the schema's whole number), not by its checks
    proc = _flowsim("-m", *TINY, "replications=2,2.5", f"hydra.sweep.dir={tmp_path}/s")
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("flowsim: error: sweep job 1 (") and "replications=2.5" in last, last
    assert "replications: must be a whole number, got '2.5'" in last, last


def test_common_random_numbers_shrink_the_variance_of_differences():
    # Shown on the quick system (the default's shape at a tenth of its size): the paired difference
    # (same replication index, common random numbers) varies far less than the difference of
    # independent runs (other replication indices). Measured: about 0.01 of it.
    from flowsim import compute_metrics, load_scenario, simulate

    base = load_scenario(["scenario=quick"])
    more = load_scenario(["scenario=quick", "services.ic_beds.capacity=41"])  # 2 beds more than quick's
    n = 8
    kpi = "delayed_days_total"
    b = np.array([compute_metrics(simulate(base, r)).kpis[kpi] for r in range(n)])
    m = np.array([compute_metrics(simulate(more, r)).kpis[kpi] for r in range(n)])
    m_independent = np.array([compute_metrics(simulate(more, r)).kpis[kpi] for r in range(n, 2 * n)])
    paired = b - m
    unpaired = b - m_independent
    assert paired.mean() > 0  # more beds avoid delayed days
    assert paired.var(ddof=1) < 0.25 * unpaired.var(ddof=1), (paired.var(ddof=1), unpaired.var(ddof=1))


def _wait_for(path_glob: Path, pattern: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if list(path_glob.glob(pattern)):
            return
        time.sleep(0.05)
    raise TimeoutError(pattern)


def test_interrupted_sweep_resumes_without_loss_or_duplicates(tmp_path, default_sweep):
    sweep_dir = tmp_path / "sweep"
    args = [sys.executable, "-m", "flowsim", "-m", *TINY, "services.care_home_unit.capacity=0,3",
            "replications=3", f"hydra.sweep.dir={sweep_dir}", "hydra/launcher=basic"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        # kill the sweep once job 1 has finished one replication but not the whole job
        _wait_for(sweep_dir, "1/checkpoints/*/rep-000000/kpis.json")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (sweep_dir / "1" / "metrics.json").exists()
    finished_before = {p: p.stat().st_mtime_ns for p in sweep_dir.glob("*/checkpoints/*/rep-*/kpis.json")}
    assert finished_before

    rerun = _flowsim(*args[3:])
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    # nothing finished was recomputed, and the result equals the uninterrupted sweep's
    for path, mtime in finished_before.items():
        assert path.stat().st_mtime_ns == mtime
    resumed = pd.read_parquet(sweep_dir / "results.parquet")
    assert not resumed.duplicated(["job", "replication"]).any()
    pd.testing.assert_frame_equal(resumed, pd.read_parquet(default_sweep / "results.parquet"))


@pytest.mark.parametrize("mode", ["run", "sweep"])
def test_ctrl_c_says_where_the_finished_replications_are_and_how_to_resume(tmp_path, mode):
    folder = tmp_path / mode
    if mode == "run":  # replications in two forked workers
        args = [*TINY, "replications=40", "n_jobs=2", f"hydra.run.dir={folder}"]
        key, first = "hydra.run.dir", ""
    else:
        args, key, first = (["-m", *TINY, "services.care_home_unit.capacity=0,3", "replications=40",
                             f"hydra.sweep.dir={folder}", "hydra/launcher=basic"], "hydra.sweep.dir", "0/")
    proc = subprocess.Popen([sys.executable, "-m", "flowsim", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait_for(folder, f"{first}checkpoints/*/rep-000000/kpis.json")
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err, err[-2000:]
    assert err.strip().splitlines()[-1] == (
        f"flowsim: interrupted. Finished replications are kept in {folder}; to resume where it stopped, run "
        f"the same command with {key}={folder} (finished replications are loaded, not run again).")


@pytest.mark.slow
def test_ray_and_submitit_launchers_match_the_default(tmp_path, default_sweep):
    reference = pd.read_parquet(default_sweep / "results.parquet")
    # Ray's socket paths must stay under 107 bytes: a short private folder, not pytest's tmp_path.
    ray_tmp = tempfile.mkdtemp(prefix="fsray")
    try:
        _sweep(tmp_path / "ray_sweep", launcher=[
            "hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2",
            "+hydra.launcher.ray.init.object_store_memory=300000000",
            "+hydra.launcher.ray.init.include_dashboard=false"],
            env={"RAY_AUTH_MODE": "disabled", "RAY_TMPDIR": ray_tmp})
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "ray_sweep" / "results.parquet"),
                                  reference)
    _sweep(tmp_path / "submitit_sweep", launcher=["hydra/launcher=submitit_local"])
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "submitit_sweep" / "results.parquet"),
                                  reference)


def test_select_baseline_by_value(default_sweep):
    tables = collect_sweep(default_sweep, write=False)
    assert select_baseline(tables) == 0
    assert select_baseline(tables, {"services.care_home_unit.capacity": 3}) == 1
    with pytest.raises(KeyError):
        select_baseline(tables, {"services.care_home_unit.capacity": 7})
    comparison = compare_to_baseline(tables, 1)
    assert comparison.loc[comparison["job"] == 1, "delayed_days_avoided_per_year"].item() == 0


# --- one sweep per folder: sweep.json, jobs of other runs, out-of-date tables ------------------------

SMALL = [*TINY, "replications=2", "hydra/launcher=basic"]


def _small_sweep(sweep_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    proc = _flowsim("-m", *SMALL, f"hydra.sweep.dir={sweep_dir}", *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def seed_sweeps(tmp_path_factory) -> tuple[Path, Path]:
    """Two sweeps of the same question with different seeds: jobs 0-2 with seed 1, jobs 0-1 with 2."""
    root = tmp_path_factory.mktemp("seeds")
    _small_sweep(root / "one", "seed=1", "services.care_home_unit.capacity=0,3,6")
    _small_sweep(root / "two", "seed=2", "services.care_home_unit.capacity=0,3")
    return root / "one", root / "two"


def _cli(module_main: str, *args: str) -> subprocess.CompletedProcess:
    module, _, function = module_main.rpartition(".")
    return subprocess.run([sys.executable, "-c", f"from {module} import {function}; {function}()", *args],
                          capture_output=True, text=True, check=False, timeout=300)


def _one_line_error(proc: subprocess.CompletedProcess, prog: str) -> str:
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: ") and "; fix: " in lines[0], proc.stderr
    return lines[0]


def _on_a_terminal(args: list[str]) -> str:
    """What a command prints to a terminal (a pseudo-terminal here), stdout and stderr together."""
    import fcntl
    import pty
    import struct
    import termios

    main_fd, terminal = pty.openpty()
    # 24 rows of 120 columns: a new pseudo-terminal has none, and tqdm fits its bar into 0 columns
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(args, stdin=terminal, stdout=terminal, stderr=terminal, close_fds=True)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # the command has ended and closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main_fd)
    assert proc.wait(timeout=600) == 0, b"".join(chunks).decode(errors="replace")[-3000:]
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.skipif(not can_fork(), reason="flowsim's launcher forks its workers on Linux only")
def test_a_parallel_sweep_shows_one_bar_of_jobs_not_its_jobs_overwriting_bars(tmp_path):
    shown = _on_a_terminal([sys.executable, "-m", "flowsim", "-m", *TINY, "replications=2",
                            "services.care_home_unit.capacity=0,3,6", "hydra.launcher.n_jobs=2",
                            f"hydra.sweep.dir={tmp_path / 'sweep'}"])
    assert "sweep: 100%" in shown and "3/3" in shown, shown[-3000:]
    assert "replications:" not in shown, shown[-3000:]
    one_by_one = _on_a_terminal([sys.executable, "-m", "flowsim", "-m", *TINY, "replications=2",
                                 "services.care_home_unit.capacity=0,3", "hydra/launcher=basic",
                                 f"hydra.sweep.dir={tmp_path / 'basic'}"])
    assert "replications:" in one_by_one  # jobs one after another keep their own bars


def test_a_job_that_fails_at_run_time_keeps_the_finished_ones_and_says_how_to_gather_them(tmp_path):
    # not a config mistake (those stop every job before launch): job 1's checkpoints folder is a file
    sweep = tmp_path / "sweep"
    (sweep / "1").mkdir(parents=True)
    (sweep / "1" / "checkpoints").write_text("not a folder")
    proc = _flowsim("-m", *SMALL, "services.care_home_unit.capacity=0,3,6", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 1  # a fault, with its traceback, and then what is kept
    assert "NotADirectoryError" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        f"flowsim: the sweep stopped at a failing job; the jobs that finished are kept in {sweep}: "
        f"flowsim-collect {sweep} gathers them, and the same command, once the cause is fixed, runs the rest")
    collected = _cli("flowsim.cli.main.collect_main", str(sweep))
    assert collected.returncode == 0, collected.stderr
    assert set(pd.read_parquet(sweep / "results.parquet")["job"]) == {0, 2}
    assert "unfinished jobs left out: 1 " in collected.stderr


def test_a_sweeps_precision_warnings_name_their_job(tmp_path):
    proc = _small_sweep(tmp_path / "sweep", "services.care_home_unit.capacity=0,3",
                        "precision.target_half_width_pct=0.01")  # missed by two replications
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("flowsim: warning: ")]
    assert sorted(line.split(": ")[2] for line in warnings) == ["job 0", "job 1"], proc.stderr
    assert all("95 % CI half-width is " in line for line in warnings)


def test_sweep_json_records_each_job_and_its_identity(seed_sweeps):
    one, _ = seed_sweeps
    record = json.loads((one / "sweep.json").read_text())
    assert record["seed"] == 1 and record["flowsim_version"]
    assert sorted(record["jobs"], key=int) == ["0", "1", "2"]
    for number, job in record["jobs"].items():
        metrics = json.loads((one / number / "metrics.json").read_text())
        assert metrics["job"] == int(number)
        assert metrics["identity"] == job["identity"]  # composed at launch = what the job ran
        assert f"services.care_home_unit.capacity={[0, 3, 6][int(number)]}" in job["overrides"]
        assert job["replications"] == metrics["replications"] == 2
    collected = json.loads((one / "collected.json").read_text())
    assert set(collected["jobs"]) == {"0", "1", "2"}


def test_collect_refuses_a_job_of_another_sweep(seed_sweeps, tmp_path):
    one, two = seed_sweeps
    mixed = tmp_path / "mixed"
    shutil.copytree(one, mixed)
    shutil.rmtree(mixed / "1")
    shutil.copytree(two / "1", mixed / "1")  # job 1 of the seed-2 sweep in place of the seed-1 job 1
    results = (mixed / "results.parquet").read_bytes()
    with pytest.raises(ConfigError, match=r"job\(s\) 1 were not made by the sweep in sweep.json"):
        collect_sweep(mixed)
    line = _one_line_error(_cli("flowsim.cli.main.collect_main", str(mixed)), "flowsim-collect")
    assert "job(s) 1 " in line and "seed" in line and "rerun the sweep" in line
    assert (mixed / "results.parquet").read_bytes() == results  # nothing gathered


def test_without_sweep_json_jobs_of_different_seeds_are_refused(seed_sweeps, tmp_path):
    one, two = seed_sweeps
    mixed = tmp_path / "mixed"
    shutil.copytree(one, mixed)
    (mixed / "sweep.json").unlink()  # as a sweep written by an older flowsim
    shutil.copytree(two / "0", mixed / "10")
    shutil.copytree(two / "1", mixed / "11")
    with pytest.raises(ConfigError) as refused:
        collect_sweep(mixed, write=False)
    assert "jobs 0, 1, 2 and jobs 10, 11 differ in seed" in str(refused.value)  # numeric job order
    _one_line_error(_cli("flowsim.cli.main.collect_main", str(mixed)), "flowsim-collect")


def test_a_sweep_of_an_older_flowsim_is_checked_from_its_manifests(seed_sweeps, tmp_path):
    one, _ = seed_sweeps
    old = tmp_path / "old"
    shutil.copytree(one, old)
    (old / "sweep.json").unlink()
    for job in ("0", "1", "2"):  # no identities recorded then
        metrics = json.loads((old / job / "metrics.json").read_text())
        (old / job / "metrics.json").write_text(json.dumps(
            {k: v for k, v in metrics.items() if k not in ("identity", "job")}))
    pd.testing.assert_frame_equal(collect_sweep(old, write=False).results,
                                  pd.read_parquet(one / "results.parquet"))
    manifest = json.loads((old / "2" / "manifest.json").read_text())
    manifest["config"]["services"]["ic_beds"]["capacity"] = 99  # job 2 ran on another base config
    (old / "2" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ConfigError, match=r"jobs 0, 1 and jobs 2 differ in services\.ic_beds\.capacity"):
        collect_sweep(old, write=False)


def test_a_rerun_with_another_seed_leaves_out_the_earlier_sweeps_extra_job(seed_sweeps, tmp_path):
    one, two = seed_sweeps
    rerun = tmp_path / "rerun"
    shutil.copytree(one, rerun)
    proc = _small_sweep(rerun, "seed=2", "services.care_home_unit.capacity=0,3")
    assert proc.stderr.count("were made with a different seed (1 -> 2); rerunning 2 replication(s)") == 2
    assert "job folders of an earlier sweep left out: 2 " in proc.stderr
    # only this sweep's jobs, with exactly the numbers of the same sweep run into an empty folder
    pd.testing.assert_frame_equal(pd.read_parquet(rerun / "results.parquet"),
                                  pd.read_parquet(two / "results.parquet"))
    assert set(pd.read_csv(rerun / "comparison.csv")["job"]) == {0, 1}
    again = _cli("flowsim.cli.main.collect_main", str(rerun))
    assert again.returncode == 0 and "left out: 2 " in again.stderr


def test_jobs_left_from_a_run_of_the_sweep_with_other_replications_are_not_gathered(seed_sweeps, tmp_path):
    # The same sweep asked for 3 replications, cut short once it had redone job 0: jobs 1 and 2 still
    # hold the 2 of the earlier run. Their identity is this sweep's (replications are not part of it).
    one, _ = seed_sweeps
    sweep = tmp_path / "sweep"
    shutil.copytree(one, sweep)
    record = json.loads((sweep / "sweep.json").read_text())
    for job in record["jobs"].values():
        job["replications"] = 3
    (sweep / "sweep.json").write_text(json.dumps(record))
    _rerun_job(sweep, "0", "replications=3")
    tables = collect_sweep(sweep, write=False)
    assert set(tables.results["job"]) == {0} and len(tables.results) == 3
    assert tables.incomplete == ("1 (2 replication(s), not the 3 of sweep.json)",
                                 "2 (2 replication(s), not the 3 of sweep.json)")
    collected = _cli("flowsim.cli.main.collect_main", str(sweep))
    assert collected.returncode == 0, collected.stderr
    assert "unfinished jobs left out: 1 (2 replication(s), not the 3 of sweep.json), 2 " in collected.stderr
    assert "rerun the same command to finish them" in collected.stderr
    # every job short (found by a QA pass: the line blamed the folder, not the jobs): they are named
    record["jobs"]["0"]["replications"] = 4
    (sweep / "sweep.json").write_text(json.dumps(record))
    with pytest.raises(FileNotFoundError) as nothing:
        collect_sweep(sweep, write=False)
    assert str(nothing.value) == (f"no finished flowsim job under {sweep} of its sweep (not finished: "
                                  "0 (3 replication(s), not the 4 of sweep.json), 1 (2 replication(s), not "
                                  "the 3 of sweep.json), 2 (2 replication(s), not the 3 of sweep.json))")
    record["jobs"]["0"]["replications"] = 3
    record["jobs"]["1"]["replications"] = "three"  # damaged by hand
    (sweep / "sweep.json").write_text(json.dumps(record))
    with pytest.raises(ConfigError, match="its job 1's replications entry is not a whole number"):
        collect_sweep(sweep, write=False)


def _rerun_job(sweep: Path, job: str, *extra: str) -> None:
    """Run one job of a sweep again by hand, into its own folder (as a user might)."""
    overrides = json.loads((sweep / job / "manifest.json").read_text())["overrides"]
    changed = {o.split("=")[0] for o in extra}
    kept = [o for o in overrides if o.split("=")[0] not in changed]
    run_scenario(load_config([*kept, *extra]), sweep / job, kept, progress=False, job=int(job))


def test_board_and_report_refuse_tables_older_than_the_jobs(seed_sweeps, tmp_path):
    one, two = seed_sweeps
    sweep = tmp_path / "sweep"
    shutil.copytree(one, sweep)
    check_collected(sweep)
    _rerun_job(sweep, "1", "replications=3")  # same identity, one more replication: not gathered yet
    for prog, call in (("flowsim-board", "flowsim.reporting.board.main"),
                       ("flowsim-report", "flowsim.reporting.report.main")):
        line = _one_line_error(_cli(call, str(sweep)), prog)
        assert "results.parquet: is out of date: job(s) 1 changed" in line
        assert f"run flowsim-collect {sweep}" in line
    assert not (sweep / "board_report.html").exists() and not (sweep / "figures").exists()
    collect_sweep(sweep)
    check_collected(sweep)  # gathered again: current
    shutil.copy(two / "results.parquet", sweep / "results.parquet")
    with pytest.raises(ConfigError, match="is not the table gathered from these jobs"):
        check_collected(sweep)
    _rerun_job(sweep, "1", "services.ic_beds.capacity=30")  # another config, by hand
    line = _one_line_error(_cli("flowsim.reporting.board.main", str(sweep)), "flowsim-board")
    assert "job(s) 1 were not made by the sweep in sweep.json (different config)" in line


@pytest.mark.parametrize("reason", ["P2", "calendar"])
def test_collect_figure_draws_the_reason_asked_for(default_sweep, tmp_path, monkeypatch, reason):
    import flowsim.reporting.plots as plots
    from flowsim.cli import main as cli_main

    drawn = {}
    original = plots.avoided_vs_option

    def spy(comparison, option, group, column):
        drawn["column"] = column
        drawn["values"] = comparison[column].tolist()
        return original(comparison, option, group, column)

    monkeypatch.setattr(plots, "avoided_vs_option", spy)
    figure = tmp_path / "avoided.png"
    cli_main.collect_main([str(default_sweep), "--figure", str(figure), "--reason", reason])
    comparison = pd.read_csv(default_sweep / "comparison.csv")
    assert drawn["column"] == f"{reason}_delayed_days_avoided_per_year"
    assert drawn["values"] == comparison[f"{reason}_delayed_days_avoided_per_year"].tolist()
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_override_values_are_typed_as_hydra_types_them():
    assert parse_override("run.start_date=2025-11-03") == ("run.start_date", "2025-11-03")
    assert parse_override("+services.x.capacity=10") == ("services.x.capacity", 10)
    assert parse_override("a=0.5") == ("a", 0.5)
    assert parse_override("a=null") == ("a", None)
    assert parse_override("a=true") == ("a", True)
    assert parse_override("a=True") == ("a", True)  # as Hydra writes a job's override
    assert parse_override("a=1e3") == ("a", 1000.0)
    # a swept distribution as Hydra writes each job's override (no spaces): readable text, one per job
    assert parse_override("s.los_days={kind:exponential,mean:30}") == (
        "s.los_days", "{kind: exponential, mean: 30}")
    assert parse_override("s.los_days={kind:'log normal',sd:null}") == ("s.los_days", "{kind: log normal}")
    # one text whatever the order of keys and however a whole number is written
    assert parse_override("s.los_days={mean: 30.0, kind: exponential}") == (
        "s.los_days", "{kind: exponential, mean: 30}")
    assert parse_override("a=[1, 2.0, 2.5]") == ("a", "[1, 2, 2.5]")
    assert parse_override("a=1,2") == ("a", "1,2")  # several values are no job's value: the text given
    assert parse_override("a=range(1,3)") == ("a", "range(1,3)")
    assert parse_override("a=x=y") == ("a", "x=y")  # not Hydra's grammar: YAML's reading


def test_a_sweep_over_a_units_stay_distribution_is_gathered_job_by_job(tmp_path):
    # YAML read Hydra's "{kind:exponential,mean:30}" as one key per item: every row held the same
    # merged mapping, and the labels were unreadable (found by a QA pass)
    _small_sweep(tmp_path / "los", "services.ic_beds.los_days={mean: 30, kind: exponential},"
                                   "{kind: exponential, mean: 40}")
    tables = collect_sweep(tmp_path / "los")
    assert tables.swept == ("services.ic_beds.los_days",)
    assert list(tables.results.drop_duplicates("job")["services.ic_beds.los_days"]) == [
        "{kind: exponential, mean: 30}", "{kind: exponential, mean: 40}"]
    from flowsim.cli import main as cli_main

    # a baseline named as the user might write it on the command line, in another order
    cli_main.collect_main([str(tmp_path / "los"), "--baseline",
                           "services.ic_beds.los_days={mean: 40.0, kind: exponential}"])
    comparison = pd.read_csv(tmp_path / "los" / "comparison.csv")
    assert comparison["services.ic_beds.los_days"].tolist() == [
        "{kind: exponential, mean: 30}", "{kind: exponential, mean: 40}"]
    assert comparison["baseline_job"].tolist() == [1, 1]
    # the figure draws against a number: said in one line, as a mistake in the command
    with pytest.raises(ConfigError) as error:
        cli_main.collect_and_report(str(tmp_path / "los"), figure=str(tmp_path / "a.png"))
    assert str(error.value) == ("--figure: draws against a numeric swept value, and "
                                "services.ic_beds.los_days is not a number; fix: leave out --figure, or "
                                "plot comparison.csv yourself")


def test_a_sweep_over_start_dates_is_gathered(tmp_path):
    _small_sweep(tmp_path / "dates", "run.start_date=2025-11-03,2026-01-05")
    tables = collect_sweep(tmp_path / "dates")
    assert tables.swept == ("run.start_date",)
    assert list(tables.results.drop_duplicates("job")["run.start_date"]) == ["2025-11-03", "2026-01-05"]
    assert json.loads((tmp_path / "dates" / "collected.json").read_text())


def test_a_key_swept_over_a_name_and_a_number_is_gathered_as_text(tmp_path):
    # costs.acute_bed_day=full_cost,300 (a basis's name, then a number): writing results.parquet failed
    # after every job had run (one type per column), the sweep still exited 0 and flowsim-collect crashed
    proc = _small_sweep(tmp_path / "s", "costs.acute_bed_day=full_cost,300")
    assert "Traceback" not in proc.stderr and "ArrowTypeError" not in proc.stderr, proc.stderr[-2000:]
    results = pd.read_parquet(tmp_path / "s" / "results.parquet")
    assert results.drop_duplicates("job")["costs.acute_bed_day"].tolist() == ["full_cost", "300"]
    tables = collect_sweep(tmp_path / "s", write=False)
    assert select_baseline(tables, {"costs.acute_bed_day": 300}) == 1  # typed as a number, as given
    assert select_baseline(tables, {"costs.acute_bed_day": "full_cost"}) == 0


def test_a_sweep_of_prices_only_says_its_jobs_are_valuations_not_options(tmp_path):
    # costs.acute_bed_day=full_cost,300 compared two valuations of one system as if they were options
    # (the board pack recommended "costs.acute_bed_day = 300" for a net saving; found by a QA pass)
    from flowsim.experiment.compare import valuations_only

    proc = _small_sweep(tmp_path / "s", "costs.acute_bed_day=full_cost,300")
    assert ("flowsim: note: every swept setting is a price (costs.acute_bed_day): the jobs simulate one "
            "system, so their net savings differ by how it is valued") in proc.stderr
    assert valuations_only(["services.ic_beds.cost_per_occupied_day", "costs.acute_bed_day"])
    assert not valuations_only(["services.ic_beds.capacity", "costs.acute_bed_day"])
    assert not valuations_only([])


def test_gathering_removes_what_a_killed_gathering_left_and_nothing_else(default_sweep):
    # SIGKILL between staging the tables and putting them in place: the hidden copies stayed for good
    left = [default_sweep / ".1a2b3c4d.results.parquet", default_sweep / ".1a2b3c4d.collected.json",
            default_sweep / "..1a2b3c4d.summary.csv.99aa00bb.tmp"]
    kept = [default_sweep / ".notes.csv", default_sweep / ".1a2b3c4d.mine.csv"]  # not flowsim's
    for path in left + kept:
        path.write_text("x")
    proc = subprocess.run([sys.executable, "-c", "from flowsim.cli.main import collect_main; collect_main()",
                           str(default_sweep)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in left if p.exists()] == []
    assert all(p.read_text() == "x" for p in kept)
    for path in kept:
        path.unlink()


def test_collect_refuses_a_sweep_folder_a_live_sweep_holds(default_sweep):
    collect = [sys.executable, "-c", "from flowsim.cli.main import collect_main; collect_main()",
               str(default_sweep)]
    with folder_lock(default_sweep, "hydra.sweep.dir"):
        proc = subprocess.run(collect, capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"flowsim-collect: error: {default_sweep}: another flowsim run (pid {os.getpid()}) is writing here; "
        "fix: wait for it to finish or choose another sweep folder"]
