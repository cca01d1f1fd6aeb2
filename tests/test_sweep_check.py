"""Every sweep job checked before any runs (flowsim/cli/sweep_check.py), in the launcher's workers with
joblib, and flowsim's sweeper (hydra_plugins/flowsim_sweeper) not composing the jobs a second time."""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from omegaconf import MISSING, OmegaConf
from omegaconf.errors import InterpolationResolutionError

from flowsim.cli.sweep_check import launcher_forked_workers, launcher_pool, plain_config
from flowsim.experiment.workers import can_fork
from hydra_plugins.flowsim_sweeper.flowsim_sweeper import VALIDATING_CALLBACK

TINY = ["scenario=quick", "run.warm_up_days=30", "run.horizon_days=90", "outputs.summary=false"]
LAUNCHERS = {
    "flowsim, two workers": ["hydra.launcher.n_jobs=2"],  # the default launcher: forked workers
    "joblib, two workers": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
    "flowsim, one worker": ["hydra.launcher.n_jobs=1"],
    "basic": ["hydra/launcher=basic"],
}

# hydra.launcher of the joblib launcher (and of flowsim's) with two workers, less its _target_
JOBLIB_SETTINGS = {"n_jobs": 2, "backend": None, "prefer": "processes", "require": None, "verbose": 0,
                   "timeout": None, "pre_dispatch": "2*n_jobs", "batch_size": "auto", "temp_folder": None,
                   "max_nbytes": None, "mmap_mode": "r"}


@dataclasses.dataclass
class _Unit:
    capacity: int = 3
    cost: float = MISSING
    names: list[str] = dataclasses.field(default_factory=lambda: ["a", "${run.label}"])


def _masked(config):  # what plain_config gave until it stopped copying: the reference
    keys = [k for k in config if k != "hydra"]
    return OmegaConf.to_container(OmegaConf.masked_copy(config, keys), resolve=True)


def test_the_plain_config_is_the_masked_copy_converted():
    config = OmegaConf.create({
        "hydra": {"job": {"name": "x"}, "run": {"dir": "${run.label}/out"}},
        "run": {"label": "r${seed}", "days": 365.5, "deep": {"list": [1, "${seed}", {"k": "${run.days}"}]}},
        "seed": 7, "absent": "???", "alias": "${run}", "scalar_alias": "${seed}", "nothing": None,
        "unit": OmegaConf.structured(_Unit), "empty": {}, "resolver": "${oc.env:FLOWSIM_NO_SUCH_VAR,dflt}",
    })
    OmegaConf.set_struct(config, True)
    plain = plain_config(config)
    assert plain == _masked(config) and list(plain) == list(_masked(config))
    assert plain["alias"] == {"label": "r7", "days": 365.5, "deep": {"list": [1, 7, {"k": 365.5}]}}
    assert plain["absent"] == "???" and plain["unit"] == {"capacity": 3, "cost": "???", "names": ["a", "r7"]}
    assert "hydra" not in plain and plain["resolver"] == "dflt"
    # hydra is out of reach, as in the run's own config: an interpolation into it fails the same way
    for into in ("${hydra.job.name}", "${oc.select:hydra.job.name,none}", "a${.hydra}"):
        mentions = OmegaConf.create({"hydra": {"job": {"name": "x"}}, "run": {"hydra": 1, "name": into}})
        try:
            expected = _masked(mentions)
        except InterpolationResolutionError as error:
            with pytest.raises(type(error), match=re.escape(str(error).splitlines()[0])):
                plain_config(mentions)
        else:
            assert plain_config(mentions) == expected
    broken = OmegaConf.create({"hydra": {}, "run": {"a": "${nowhere}"}, "b": "${run.missing}"})
    for key in ("run", "b"):
        with pytest.raises(InterpolationResolutionError) as caught:
            plain_config(OmegaConf.masked_copy(broken, ["hydra", key]))
        with pytest.raises(type(caught.value)):
            _masked(OmegaConf.masked_copy(broken, ["hydra", key]))


def _flowsim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flowsim", *args], capture_output=True, text=True,
                          timeout=600, check=False, env={**os.environ})


@pytest.mark.parametrize("launcher", LAUNCHERS.values(), ids=LAUNCHERS.keys())
def test_a_bad_job_stops_the_sweep_before_any_job_whatever_the_launcher(tmp_path, launcher):
    proc = _flowsim("-m", *TINY, "services.care_home_unit.capacity=0,-3", *launcher,
                    f"hydra.sweep.dir={tmp_path}/s")
    assert proc.returncode == 2, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("flowsim: error: sweep job 1 ("), last
    assert last.endswith("services.care_home_unit.capacity: must be >= 0, got -3; fix: set "
                         "services.care_home_unit.capacity to a whole number >= 0"), last
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "s").exists()  # not even the sweep folder: nothing ran


@pytest.mark.parametrize("launcher", [LAUNCHERS["flowsim, two workers"], LAUNCHERS["joblib, two workers"],
                                      LAUNCHERS["basic"]],
                         ids=["flowsim, two workers", "joblib, two workers", "basic"])
def test_a_job_that_does_not_compose_stops_the_sweep_with_one_line(tmp_path, launcher):
    # The sweeper does not compose jobs again, so the callback must catch this one itself.
    proc = _flowsim("-m", *TINY[1:], "scenario=quick,no_such_scenario", *launcher,
                    f"hydra.sweep.dir={tmp_path}/s")
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("flowsim: error: ") and "no_such_scenario" in lines[-1], lines[-1]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "s").exists()


def test_checked_identities_are_the_ones_the_jobs_record(tmp_path):
    sweep = tmp_path / "s"
    proc = _flowsim("-m", *TINY, "seed=3,4,5", "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = json.loads((sweep / "sweep.json").read_text())["jobs"]
    assert len(record) == 3
    for job, entry in record.items():
        ran = json.loads((sweep / job / "metrics.json").read_text())["identity"]
        assert entry["identity"]["digest"] == ran["digest"]
        assert entry["identity"]["seed"] == ran["seed"] == 3 + int(job)


class _CountingLoader:
    def __init__(self) -> None:
        self.jobs: list[list[str]] = []

    def load_sweep_config(self, master_config, sweep_overrides):
        self.jobs.append(list(sweep_overrides))


def _sweeper(callbacks: dict) -> tuple[object, _CountingLoader]:
    # Looked up now, not at import: Hydra's plugin scan re-executes plugin modules (and Hydra's basic
    # sweeper's), so a class imported before a scan is not a subclass of the basic sweeper after it.
    module = importlib.import_module("hydra_plugins.flowsim_sweeper.flowsim_sweeper")
    sweeper = module.FlowsimSweeper(max_batch_size=None)
    loader = _CountingLoader()
    sweeper.config = OmegaConf.create({"hydra": {"callbacks": callbacks}})
    sweeper.hydra_context = SimpleNamespace(config_loader=loader)
    return sweeper, loader


def test_sweeper_leaves_composing_to_the_validating_callback():
    batch = [["seed=1"], ["seed=2"]]
    trusting, loader = _sweeper({"validate": {"_target_": VALIDATING_CALLBACK}, "other": None})
    trusting.validate_batch_is_legal(batch)
    assert loader.jobs == []
    # without flowsim's callback it checks every job as Hydra's basic sweeper does
    checking, loader = _sweeper({"collect": {"_target_": "flowsim.cli.callbacks.CollectSweep"}})
    checking.validate_batch_is_legal(batch)
    assert loader.jobs == batch
    assert VALIDATING_CALLBACK in Path("flowsim/configs/config.yaml").read_text()


def test_checks_use_a_pool_set_up_as_the_joblib_launchers():
    def config(launcher: dict) -> OmegaConf:
        return OmegaConf.create({"hydra": {"launcher": launcher}})

    joblib = {"_target_": "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher",
              **JOBLIB_SETTINGS}
    pool = launcher_pool(config(joblib))
    assert pool is not None and pool.n_jobs == 2 and type(pool._backend).__name__ == "LokyBackend"
    assert launcher_pool(config({**joblib, "n_jobs": 1})) is None  # one at a time: in this process
    basic = {"_target_": "hydra._internal.core_plugins.basic_launcher.BasicLauncher"}
    assert launcher_pool(config(basic)) is None


def test_flowsim_launcher_forks_where_it_can_else_is_joblibs(monkeypatch):
    module = importlib.import_module("hydra_plugins.flowsim_launcher.flowsim_launcher")
    settings = {"_target_": module.LAUNCHER_TARGET, **JOBLIB_SETTINGS}
    config = OmegaConf.create({"hydra": {"launcher": settings}})
    forks = can_fork()
    assert module.forked_workers(2) == launcher_forked_workers(config) == (2 if forks else None)
    assert module.forked_workers(1) is None  # one worker: the jobs run in this process
    monkeypatch.setattr("flowsim.experiment.workers.can_fork", lambda: False)  # as on macOS
    assert module.forked_workers(2) is None and launcher_forked_workers(config) is None
    pool = launcher_pool(config)  # then the checks go to loky workers, as the jobs will
    assert pool is not None and pool.n_jobs == 2 and type(pool._backend).__name__ == "LokyBackend"


@pytest.mark.parametrize("launcher", ["hydra/launcher=flowsim", "hydra/launcher=joblib"])
def test_a_launcher_with_no_workers_stops_the_sweep_with_one_line(tmp_path, launcher):
    proc = _flowsim("-m", *TINY, "services.care_home_unit.capacity=0,3", launcher, "hydra.launcher.n_jobs=0",
                    f"hydra.sweep.dir={tmp_path}/s")
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines() == [
        "flowsim: error: hydra.launcher.n_jobs: must not be 0; fix: give 1 (one job at a time), a number "
        "of workers, or -1 (all CPUs)"]
    assert not (tmp_path / "s").exists()


def test_a_sweep_and_a_run_do_not_share_a_folder(tmp_path):
    run, sweep = tmp_path / "run", tmp_path / "sweep"
    assert _flowsim(*TINY, f"hydra.run.dir={run}").returncode == 0
    assert _flowsim("-m", *TINY, "seed=1,2", f"hydra.sweep.dir={sweep}").returncode == 0
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    into_run = _flowsim("-m", *TINY, "seed=1,2", f"hydra.sweep.dir={run}")
    assert into_run.returncode == 2 and into_run.stderr.strip().splitlines() == [
        f"flowsim: error: hydra.sweep.dir: '{run}' holds the results of a single run (metrics.json); fix: "
        "give the sweep a folder of its own, e.g. hydra.sweep.dir=multirun/my_sweep"]
    into_sweep = _flowsim(*TINY, f"hydra.run.dir={sweep}")
    assert into_sweep.returncode == 2 and into_sweep.stderr.strip().splitlines() == [
        f"flowsim: error: hydra.run.dir: '{sweep}' holds a sweep (sweep.json); fix: give the run a folder "
        "of its own, e.g. hydra.run.dir=outputs/my_run"]
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before  # nothing written
    assert _flowsim(*TINY, f"hydra.run.dir={run}").returncode == 0  # each folder still takes its own kind
    assert _flowsim("-m", *TINY, "seed=1,2", f"hydra.sweep.dir={sweep}").returncode == 0


def test_slurm_is_refused_before_the_sweep_where_there_is_no_srun(monkeypatch):
    from flowsim.experiment import launcher_settings as sweep_check
    from flowsim.model.errors import ConfigError

    slurm = OmegaConf.create({"hydra": {"launcher": {
        "_target_": "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"}}})
    monkeypatch.setattr(sweep_check.shutil, "which", lambda name: None)
    with pytest.raises(ConfigError, match="srun") as caught:
        sweep_check.check_launcher(slurm)
    assert caught.value.field == "hydra/launcher"
    monkeypatch.setattr(sweep_check.shutil, "which", lambda name: f"/usr/bin/{name}")
    sweep_check.check_launcher(slurm)  # on a Slurm node it goes ahead


def test_a_changed_sweep_removes_the_earlier_tables_before_its_jobs_run(tmp_path):
    # Interrupted, a changed sweep left the earlier sweep's results.parquet for pandas or DuckDB to read
    # as its own (found by a QA pass); an unchanged rerun keeps them until it writes its own.
    sweep = tmp_path / "s"
    first = _flowsim("-m", *TINY, "seed=3,4", f"hydra.sweep.dir={sweep}")
    assert first.returncode == 0, first.stderr[-2000:]
    again = _flowsim("-m", *TINY, "seed=3,4", f"hydra.sweep.dir={sweep}")
    assert again.returncode == 0 and "gathered an earlier sweep" not in again.stderr
    tables = ["collected.json", "results.parquet", "summary.csv", "comparison.csv"]
    assert all((sweep / name).is_file() for name in tables)
    changed = subprocess.Popen(
        [sys.executable, "-m", "flowsim", "-m", *TINY[:2], "run.horizon_days=36500", "outputs.summary=false",
         "outputs.patients=false", "seed=5,6", f"hydra.sweep.dir={sweep}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while any((sweep / name).exists() for name in tables):  # gone while the sweep runs, not at its end
            assert changed.poll() is None and time.monotonic() < deadline, changed.communicate()[1][-2000:]
            time.sleep(0.1)
        assert changed.poll() is None
        assert json.loads((sweep / "sweep.json").read_text())["jobs"]["0"]["identity"]["seed"] == 5
    finally:
        changed.send_signal(signal.SIGINT)
        _, stderr = changed.communicate(timeout=120)
    assert (f"flowsim: note: collected.json, results.parquet, summary.csv, comparison.csv in {sweep} "
            "gathered an earlier sweep's jobs: removed, to be written anew when this sweep ends") in stderr
