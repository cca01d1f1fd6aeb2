"""One sweep at a time in a sweep folder (flowsim/cli/callbacks.py ValidateSweep, flowsim/experiment/lock.py).

A second sweep started into the folder of a live one used to rewrite its ``sweep.json`` and its jobs'
results under it: the first then gathered the second's jobs and exited 0 (found by a QA pass).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flowsim.cli.callbacks import ValidateSweep
from flowsim.experiment.lock import folder_lock
from flowsim.model.errors import ConfigError

TINY = ["scenario=quick", "run.warm_up_days=10", "run.horizon_days=40", "outputs.summary=false"]


def _sweep(folder: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "flowsim", "-m", *TINY, *args, f"hydra.sweep.dir={folder}"]


def test_a_sweep_into_a_busy_sweep_folder_stops_before_writing_anything(tmp_path):
    with folder_lock(tmp_path / "sweep", "hydra.sweep.dir"):  # another sweep, still going
        done = subprocess.run(_sweep(tmp_path / "sweep", "seed=1,2"), capture_output=True, text=True,
                              timeout=300, check=False)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip().splitlines() == [
        f"flowsim: error: {tmp_path / 'sweep'}: another flowsim run (pid {os.getpid()}) is writing here; "
        "fix: wait for it to finish or choose another hydra.sweep.dir"]
    assert [p.name for p in (tmp_path / "sweep").iterdir()] == [".flowsim.lock"]  # no sweep.json, no job


def test_a_sweep_holds_its_folder_from_its_record_to_its_tables(tmp_path):
    folder = tmp_path / "sweep"
    sweep = subprocess.Popen(_sweep(folder, "seed=range(1,7)", "hydra.launcher.n_jobs=1"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not (folder / "sweep.json").is_file():  # recorded: the jobs are about to run
            assert sweep.poll() is None and time.monotonic() < deadline, "the sweep ended before its record"
            time.sleep(0.02)
        with pytest.raises(ConfigError, match=rf"pid {sweep.pid}\).*another hydra\.sweep\.dir"):
            with folder_lock(folder, "hydra.sweep.dir"):
                pass
    finally:
        _, stderr = sweep.communicate(timeout=300)
    assert sweep.returncode == 0, stderr[-2000:]
    assert (folder / "results.parquet").is_file()
    with folder_lock(folder):  # let go at the end
        pass


def test_the_callback_goes_to_workers_without_its_lock(tmp_path):
    # joblib's loky and Ray pickle Hydra's context, callbacks included, for their workers
    callback = ValidateSweep()
    callback._sweep_lock.enter_context(folder_lock(tmp_path, "hydra.sweep.dir"))
    copy = pickle.loads(pickle.dumps(callback))
    copy.on_multirun_end(config=None)  # the copy has nothing to let go
    with pytest.raises(ConfigError):
        with folder_lock(tmp_path):
            pass
    callback.on_multirun_end(config=None)
    with folder_lock(tmp_path):
        pass


def test_a_probe_of_a_free_folder_writes_nothing(tmp_path):
    # a run's first check only probes: a folder shared read-only can be probed
    from flowsim.experiment.lock import LOCK_NAME, refuse_if_locked

    (tmp_path / LOCK_NAME).write_text("12345\n")  # the last run's pid
    refuse_if_locked(tmp_path, "sweep folder")
    assert (tmp_path / LOCK_NAME).read_text() == "12345\n"
    refuse_if_locked(tmp_path / "none", "sweep folder")  # no lock file: nothing to probe, nothing made
    assert not (tmp_path / "none").exists()
    with folder_lock(tmp_path, "hydra.sweep.dir"):
        with pytest.raises(ConfigError, match="choose another sweep folder"):
            refuse_if_locked(tmp_path, "sweep folder")


def test_flowsim_collect_holds_the_folder_while_it_gathers(tmp_path, monkeypatch, capsys):
    # A second flowsim-collect would take the first's staged tables for a killed gathering's leftovers
    # and remove them; a live sweep gathers its own tables at its end.
    import flowsim.cli.main as cli_main

    held = []

    def gather(folder, *args, **kwargs):
        with pytest.raises(ConfigError, match=rf"pid {os.getpid()}\).*another sweep folder"):
            with folder_lock(folder, "sweep folder"):
                pass
        held.append(folder)

    monkeypatch.setattr(cli_main, "collect_and_report", gather)
    cli_main.collect_main([str(tmp_path)])
    assert held == [str(tmp_path)]
    with folder_lock(tmp_path):  # let go at the end
        pass
    with folder_lock(tmp_path, "hydra.sweep.dir"):  # a live sweep, or another flowsim-collect
        with pytest.raises(SystemExit) as stopped:
            cli_main.collect_main([str(tmp_path)])
    assert stopped.value.code == 2 and held == [str(tmp_path)]
    assert capsys.readouterr().err.strip().splitlines() == [
        f"flowsim-collect: error: {tmp_path}: another flowsim run (pid {os.getpid()}) is writing here; "
        "fix: wait for it to finish or choose another sweep folder"]
