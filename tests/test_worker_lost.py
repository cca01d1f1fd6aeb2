"""A run whose worker process is killed from outside (the out-of-memory killer, ``kill -9``) ends with
one line saying what is kept and how to resume, not Python's traceback (found by a QA pass)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from flowsim.experiment.workers import can_fork

# flowsim, its replication 3 killing the worker that runs it (SIGKILL, as the out-of-memory killer does)
_KILLED = """
import os, signal, sys
import flowsim.experiment.pipeline as pipeline
parent, run = os.getpid(), pipeline.run_replication
def killed(scenario, replication, *args, **kwargs):
    if replication == 3 and os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)
    return run(scenario, replication, *args, **kwargs)
pipeline.run_replication = killed
sys.argv = ["flowsim", *sys.argv[1:]]
from flowsim.cli.entry import flowsim
flowsim()
"""
TINY = ["scenario=quick", "run.warm_up_days=10", "run.horizon_days=40", "outputs.summary=false"]


@pytest.mark.skipif(not can_fork(), reason="workers are forked on Linux only")
def test_a_killed_worker_ends_the_run_with_one_line_and_the_folder_to_resume_from(tmp_path):
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-c", _KILLED, *TINY, "replications=8", "n_jobs=2",
                           f"hydra.run.dir={out}"], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert lines[0].startswith("flowsim: error: a worker process stopped before its replication finished")
    assert lines[0].endswith(f"to resume, run the same command with hydra.run.dir={out} (and a lower n_jobs "
                             "if memory ran out)")
    again = [sys.executable, "-m", "flowsim", *TINY, "replications=8", "n_jobs=2", f"hydra.run.dir={out}"]
    resumed = subprocess.run(again, capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert (out / "metrics.json").is_file()
