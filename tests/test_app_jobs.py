"""Runs and sweeps started from the app: flowsim commands in each browser session's own folder.

Guards :mod:`flowsim.app.jobs`: every session gets its own folder; a run finishes with its results and
a progress count of its replications; asking again for the same scenario in the same session finds its
results without running anything, while another scenario or another session never shares a folder;
Cancel stops the command and everything it started, keeps the finished replications, and starting again
resumes to the same results as an uninterrupted run; a command that fails ends "failed" with the CLI's
one-line message; a sweep runs the scenario as it stands first; and the command shown reads as the
``flowsim`` command a user would type.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf

from flowsim.app import jobs
from flowsim.app.fields import apply_edits
from flowsim.model.compose import load_config
from flowsim.model.saved import read_saved

CAPACITY = "services.ic_beds.capacity"


def _quick(replications: int, *more: str) -> dict:
    return OmegaConf.to_container(load_config(["scenario=quick", f"replications={replications}", *more]),
                                  resolve=True)


def _wait(job: jobs.Job, timeout_s: float = 180.0) -> jobs.JobStatus:
    """Poll ``job`` as the page does until it is no longer running."""
    deadline = time.monotonic() + timeout_s
    while (status := jobs.job_status(job)).state == "running":
        assert time.monotonic() < deadline, f"{job.cli} still running after {timeout_s} s"
        time.sleep(0.1)
    return status


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return tmp_path_factory.mktemp("workspace")


@pytest.fixture(scope="module")
def finished_run(workspace):
    """A session and a finished run of scenario=quick with 2 replications in it."""
    session = jobs.new_session_folder(workspace)
    job = jobs.run_job(session, _quick(2), "quick, two replications")
    assert jobs.job_status(job).state == "ready"
    jobs.start(job)
    assert job.process is not None
    return session, job, _wait(job)


def test_each_session_gets_its_own_folder(tmp_path):
    first, second = jobs.new_session_folder(tmp_path), jobs.new_session_folder(tmp_path)
    assert first != second
    for folder in (first, second):
        assert folder.is_dir() and not any(folder.iterdir())
        assert folder.parent == (tmp_path / "sessions").resolve()


def test_a_run_finishes_with_its_results(finished_run):
    _, job, status = finished_run
    assert status.state == "finished", job.log.read_text()
    assert status.done == status.total == job.total == 2
    assert status.fraction == 1.0
    assert (job.result / "metrics.json").is_file()
    assert job.process.returncode == 0
    assert (job.folder / "scenario.yaml").is_file()
    assert job.log.read_text().startswith(f"$ {job.cli}\n")


def test_the_same_scenario_in_the_same_session_reuses_its_results(finished_run):
    session, job, _ = finished_run
    metrics = (job.result / "metrics.json").stat().st_mtime_ns
    again = jobs.run_job(session, _quick(2), "the same again, another title")
    assert again.folder == job.folder
    jobs.start(again)
    assert again.process is None  # nothing launched
    status = jobs.job_status(again)
    assert (status.state, status.done, status.total) == ("finished", 2, 2)
    assert (job.result / "metrics.json").stat().st_mtime_ns == metrics


def test_another_scenario_gets_another_folder(finished_run):
    session, job, _ = finished_run
    other = jobs.run_job(session, apply_edits(_quick(2), {CAPACITY: 30}), "30 IC beds")
    assert other.folder != job.folder
    assert other.folder.parent == job.folder.parent
    assert jobs.job_status(other).state == "ready"
    more = jobs.run_job(session, _quick(3), "three replications")
    assert more.folder not in (job.folder, other.folder)


def test_another_session_never_shares_a_folder(finished_run, workspace):
    _, job, _ = finished_run
    session = jobs.new_session_folder(workspace)
    same_config = jobs.run_job(session, _quick(2), "quick, two replications")
    assert same_config.folder != job.folder
    assert same_config.folder.is_relative_to(session)
    status = jobs.job_status(same_config)
    assert (status.state, status.done) == ("ready", 0)
    assert not same_config.result.exists()


def test_cancel_stops_the_command_keeps_finished_replications_and_resume_matches(workspace):
    config = _quick(6, "n_jobs=2")  # replications in worker processes: the group is more than one process
    uninterrupted = jobs.run_job(jobs.new_session_folder(workspace), config, "six replications")
    jobs.start(uninterrupted)  # alongside, on the other core
    job = jobs.run_job(jobs.new_session_folder(workspace), config, "six replications")
    jobs.start(job)
    pgid = job.process.pid
    deadline = time.monotonic() + 60
    while jobs.job_status(job).done < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    children = Path(f"/proc/{pgid}/task/{pgid}/children")
    assert not children.exists() or children.read_text().split(), "the run has worker processes to stop"
    jobs.cancel(job)

    status = jobs.job_status(job)
    assert status.state == "cancelled"
    assert 1 <= status.done < 6, "cancelled before the run ended, after its first replication"
    assert "kept" in status.message
    assert job.process.poll() is not None
    deadline = time.monotonic() + 10
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _group_alive(pgid), "a process of the cancelled command is still running"
    kept = sorted(job.result.glob("checkpoints/*/rep-*/kpis.json"))
    assert len(kept) == status.done
    assert not (job.result / "metrics.json").exists()

    jobs.start(job)  # the same job, started again: resumes from the kept replications
    resumed = _wait(job)
    assert (resumed.state, resumed.done, resumed.total) == ("finished", 6, 6), job.log.read_text()
    assert f"Resumed {len(kept)} finished replication(s)" in job.log.read_text()
    assert _wait(uninterrupted).state == "finished", uninterrupted.log.read_text()
    assert (job.result / "metrics.json").read_bytes() == (uninterrupted.result / "metrics.json").read_bytes()


def test_a_command_that_cannot_write_its_results_fails_with_the_clis_line(tmp_path):
    job = jobs.run_job(jobs.new_session_folder(tmp_path), _quick(1), "result is a file")
    job.result.write_text("in the way", encoding="utf-8")
    jobs.start(job)
    status = _wait(job, 60)
    assert status.state == "failed"
    assert status.message.startswith(f"hydra.run.dir: cannot write results to '{job.result}'")
    assert "; fix: " in status.message
    assert "\n" not in status.message and "Traceback" not in status.message


def test_an_invalid_config_fails_with_the_clis_line(tmp_path):
    bad = apply_edits(_quick(1), {CAPACITY: -1})
    job = jobs.run_job(jobs.new_session_folder(tmp_path), bad, "minus one bed")
    jobs.start(job)
    status = _wait(job, 60)
    assert status.state == "failed"
    assert status.message == ("services.ic_beds.capacity: must be >= 0, got -1; fix: set "
                              "services.ic_beds.capacity to a whole number >= 0")
    assert "Traceback" not in job.log.read_text()
    assert status.done == 0


def test_a_sweep_lists_the_values_in_order_with_the_scenarios_own_first(tmp_path):
    session = jobs.new_session_folder(tmp_path)
    config = _quick(3)
    job = jobs.sweep_job(session, config, {CAPACITY: [39, 30, 39, 50]}, "IC beds")
    assert job.swept == {CAPACITY: [39, 30, 50]}  # duplicates dropped, order kept
    assert job.total == 3 * 3
    assert f"{CAPACITY}=39,30,50" in job.command
    both = {CAPACITY: [39, 30, 50], "housing.coordinators.fte": [0, 1]}
    two = jobs.sweep_job(session, config, both, "both")
    assert two.total == 3 * 2 * 3
    assert two.folder != job.folder
    assert jobs.sweep_job(session, config, {CAPACITY: [39, 50, 30]}, "IC beds").folder != job.folder


def test_a_sweep_runs_and_its_first_job_is_the_scenario_as_it_stands(tmp_path):
    config = _quick(1)
    job = jobs.sweep_job(jobs.new_session_folder(tmp_path), config, {CAPACITY: [39, 30]}, "IC beds")
    jobs.start(job)
    status = _wait(job)
    assert (status.state, status.done, status.total) == ("finished", 2, 2), job.log.read_text()
    comparison = pd.read_csv(job.result / "comparison.csv")
    assert list(comparison[CAPACITY]) == [39, 30]
    assert comparison.loc[0, "delayed_days_avoided_per_year"] == 0.0  # job 0 is the baseline


def test_the_command_reads_as_the_flowsim_command_a_user_types(tmp_path):
    # a workspace whose name has a space, a title with an apostrophe: both survive a shell
    session = jobs.new_session_folder(tmp_path / "my work")
    run = jobs.run_job(session, _quick(2), "quick")
    assert run.command[:3] == [sys.executable, "-m", "flowsim"]
    assert shlex.split(run.cli) == ["flowsim", "--config-dir", str(run.folder), "--config-name", "scenario",
                                    f"hydra.run.dir={run.result}"]
    sweep = jobs.sweep_job(session, _quick(2), {CAPACITY: [39, 30]}, "St John's ICS")
    assert shlex.split(sweep.cli) == ["flowsim", "-m", *sweep.command[4:]]
    board = jobs.board_job(sweep, "St John's ICS: winter", pdf=False)
    words = shlex.split(board.cli)
    assert words[0] == "flowsim-board" and words[1] == str(sweep.result)
    assert words[words.index("--title") + 1] == "St John's ICS: winter"
    assert words == ["flowsim-board", *board.command[3:]]


def test_the_saved_scenario_of_a_job_is_its_config(tmp_path):
    config = apply_edits(_quick(2), {CAPACITY: 31})
    job = jobs.run_job(jobs.new_session_folder(tmp_path), config, "31 beds")
    assert read_saved(job.folder / "scenario.yaml") == config


@pytest.mark.parametrize(("done", "says"), [
    (3, "cancelled with 3 of 4 replications finished; they are kept, and running it again continues"),
    (4, "cancelled while its results were being written: all 4 replications had finished and are kept, "
        "so running it again writes the results from them without simulating"),
])
def test_a_cancelled_job_says_whether_it_stopped_simulating_or_writing(tmp_path, done, says):
    job = jobs.Job("run", tmp_path / "job", ["python", "-m", "flowsim"], "t", 4)
    for rep in range(done):
        kpis = job.result / "checkpoints" / "abc" / f"rep-{rep:06d}" / "kpis.json"
        kpis.parent.mkdir(parents=True)
        kpis.write_text("{}")
    (job.folder / "cancelled").touch()
    status = jobs.job_status(job)
    assert (status.state, status.done, status.total) == ("cancelled", done, 4)
    assert status.message.startswith(says)
