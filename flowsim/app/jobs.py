"""Runs, sweeps and board packs started from the app: the same commands a user would type, in the background.

A job is a folder in the browser session's own folder (``<workspace>/sessions/<id>/jobs/<key>/``)
holding the scenario as a saved file (``scenario.yaml``), the command's output (``log.txt``) and its
results (``result/``). The key is a hash of the scenario and the request, so asking again for an
unchanged scenario finds its finished results instead of running it again, and a cancelled job
started again resumes from its finished replications (the pipeline's checkpoints). Commands run as
child processes in their own process group: the page stays live, polls :func:`job_status` for a
progress bar, and :func:`cancel` stops the whole group.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shlex
import signal
import subprocess
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowsim.experiment.identity import source_fingerprint
from flowsim.model.saved import write_saved

__all__ = ["Job", "JobStatus", "board_job", "cancel", "job_status", "new_session_folder", "run_folder",
           "run_job", "running", "start", "sweep_job"]

SCENARIO = "scenario"  # the saved file's stem: --config-name scenario
_CANCELLED = "cancelled"  # marker file


@dataclass
class Job:
    """One command of a session and where it writes.

    ``kind`` is ``run``, ``sweep`` or ``board``; ``total`` the replications it will finish (a sweep:
    all points); ``swept`` the swept paths and values in the order they run (the first point is the
    scenario as edited: the baseline).
    """

    kind: str
    folder: Path
    command: list[str]
    title: str
    total: int
    swept: dict[str, list[Any]] = field(default_factory=dict)
    process: subprocess.Popen | None = field(default=None, compare=False, repr=False)

    @property
    def result(self) -> Path:
        """The run folder (``hydra.run.dir``) or sweep folder (``hydra.sweep.dir``)."""
        return self.folder / "result"

    @property
    def log(self) -> Path:
        """Everything the command printed."""
        return self.folder / "log.txt"

    @property
    def cli(self) -> str:
        """The command as a user would type it (``flowsim ...``), for the page and the log."""
        words = self.command[3:]  # after the interpreter and "-m flowsim" or "-c <call>"
        name = {"run": "flowsim", "sweep": "flowsim", "board": "flowsim-board"}[self.kind]
        return " ".join([name, *(_quoted(w) for w in words)])


def _quoted(word: str) -> str:
    return word if all(c.isalnum() or c in "-_=.,/:+[]" for c in word) else shlex.quote(word)


@dataclass(frozen=True)
class JobStatus:
    """Where a job is: ``state`` is ``ready``, ``running``, ``finished``, ``failed`` or ``cancelled``."""

    state: str
    done: int
    total: int
    message: str = ""

    @property
    def fraction(self) -> float:
        """Finished share of the replications, 0-1."""
        return min(1.0, self.done / self.total) if self.total else 0.0


def new_session_folder(workspace: str | Path) -> Path:
    """A new folder for one browser session: ``<workspace>/sessions/<time>-<random>/``."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path(workspace).resolve() / "sessions" / f"{stamp}-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    return folder


def _key(kind: str, config: Mapping[str, Any], extra: Any) -> str:
    # flowsim's own code too: results of an edited flowsim are never shown as this one's
    text = json.dumps({"kind": kind, "config": config, "extra": extra, "flowsim": source_fingerprint()},
                      sort_keys=True, default=str)
    return f"{kind}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}"


def run_folder(session: str | Path, config: Mapping[str, Any]) -> Path:
    """The folder a run of ``config`` has in ``session`` (whether it exists or not)."""
    return Path(session) / "jobs" / _key("run", config, None)


def _prepare(session: Path, kind: str, config: Mapping[str, Any], extra: Any, title: str) -> Path:
    folder = session / "jobs" / _key(kind, config, extra)
    folder.mkdir(parents=True, exist_ok=True)
    write_saved(config, folder / f"{SCENARIO}.yaml", title)
    return folder


def _flowsim(folder: Path, *words: str) -> list[str]:
    return [sys.executable, "-m", "flowsim", *words, "--config-dir", str(folder), "--config-name", SCENARIO]


def run_job(session: str | Path, config: Mapping[str, Any], title: str) -> Job:
    """A run of ``config`` (its replications), as ``flowsim --config-dir F --config-name scenario``."""
    folder = _prepare(Path(session), "run", config, None, title)
    command = [*_flowsim(folder), f"hydra.run.dir={folder / 'result'}"]
    return Job("run", folder, command, title, int(config.get("replications", 1)))


def sweep_values(swept: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    """Each swept setting's values in the order given, each once (the config's own value first)."""
    return {path: list(dict.fromkeys(vs)) for path, vs in swept.items()}


def sweep_folder(session: str | Path, config: Mapping[str, Any], swept: Mapping[str, Sequence[Any]]) -> Path:
    """The folder a comparison of ``config`` over ``swept`` has in ``session`` (whether it exists or not)."""
    return Path(session) / "jobs" / _key("sweep", config, sweep_values(swept))


def _sweep_value(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def sweep_job(session: str | Path, config: Mapping[str, Any], swept: Mapping[str, Sequence[Any]],
              title: str) -> Job:
    """A sweep of one or two settings over ``config``, as ``flowsim -m ... PATH=V1,V2,...``.

    Each setting's values run in the order given; put the config's own value first, so job 0 is the
    scenario as it stands (the sweep's baseline).
    """
    values = sweep_values(swept)
    folder = _prepare(Path(session), "sweep", config, values, title)
    points = 1
    for vs in values.values():
        points *= len(vs)
    command = [*_flowsim(folder, "-m"), *(f"{p}={','.join(_sweep_value(v) for v in vs)}" for p, vs in
                                          values.items()), f"hydra.sweep.dir={folder / 'result'}"]
    return Job("sweep", folder, command, title, points * int(config.get("replications", 1)), values)


def board_job(sweep: Job, title: str, pdf: bool) -> Job:
    """The board pack of a finished sweep: ``flowsim-board SWEEP --output board_pack.html``."""
    folder = sweep.folder / "board"
    folder.mkdir(exist_ok=True)
    command = [sys.executable, "-c", "from flowsim.reporting.board import main; main()", str(sweep.result),
               "--output", str(folder / "board_pack.html"), "--title", title, "--pdf" if pdf else "--no-pdf"]
    return Job("board", folder, command, title, 1)


def _finished(job: Job) -> bool:
    if job.kind == "run":
        return (job.result / "metrics.json").is_file()
    if job.kind == "sweep":
        return (job.result / "comparison.csv").is_file()
    return (job.folder / "board_pack.html").is_file()


def _done(job: Job) -> int:
    if job.kind == "board":
        return int(_finished(job))
    return sum(1 for _ in job.result.glob("**/checkpoints/*/rep-*/kpis.json"))


def start(job: Job) -> None:
    """Start ``job``'s command in the background, unless its results are there already."""
    if job.process is not None and job.process.poll() is None:
        return
    (job.folder / _CANCELLED).unlink(missing_ok=True)
    if _finished(job):
        return
    job.folder.mkdir(parents=True, exist_ok=True)
    with job.log.open("w", encoding="utf-8") as log:
        log.write(f"$ {job.cli}\n")
        log.flush()
        environment = {**os.environ, "PYTHONUNBUFFERED": "1", "HYDRA_FULL_ERROR": "1"}
        job.process = subprocess.Popen(job.command, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, cwd=os.getcwd(), env=environment,
                                       start_new_session=True)


def _error_line(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.is_file() else []
    for line in reversed(lines):
        if ": error: " in line:
            return line.split(": error: ", 1)[1]
    tail = [line for line in lines[-3:] if line.strip()]
    return " ".join(tail) or "the command stopped without a message"


def job_status(job: Job) -> JobStatus:
    """Where ``job`` is, from its process and its folder."""
    going = running(job)
    done = _done(job)
    if going:
        return JobStatus("running", done, job.total)
    if _finished(job):
        return JobStatus("finished", max(done, job.total if job.kind != "board" else 1), job.total)
    if (job.folder / _CANCELLED).is_file():
        if job.kind != "board" and done >= job.total:  # stopped while writing the tables and figures
            return JobStatus("cancelled", done, job.total, f"cancelled while its results were being "
                             f"written: all {job.total} replications had finished and are kept, so running "
                             "it again writes the results from them without simulating")
        return JobStatus("cancelled", done, job.total, f"cancelled with {done} of {job.total} replications "
                         "finished; they are kept, and running it again continues from them")
    if job.process is None:
        return JobStatus("ready", done, job.total)
    return JobStatus("failed", done, job.total, _error_line(job.log))


def running(job: Job | None) -> bool:
    """Whether ``job``'s command is still going (False for no job): its button is then off.

    The same as ``job_status(job).state == "running"``, without counting the finished replications.
    """
    return job is not None and job.process is not None and job.process.poll() is None


def cancel(job: Job, timeout_s: float = 10.0) -> None:
    """Stop ``job``'s command and every process it started; finished replications stay on disk."""
    if job.process is None or job.process.poll() is not None:
        return
    (job.folder / _CANCELLED).touch()
    try:
        os.killpg(job.process.pid, signal.SIGTERM)
        job.process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(job.process.pid, signal.SIGKILL)
        job.process.wait()
    except ProcessLookupError:
        pass
