"""Which job folders of a sweep directory make up one sweep.

At the start of a multirun :func:`write_sweep_record` writes ``sweep.json``: every job's number,
overrides, identity (:mod:`flowsim.experiment.identity`) and replications. :func:`select_jobs` then
takes exactly the finished job folders whose own ``metrics.json`` records the identity ``sweep.json``
expects for their job number. A job finished with another number of replications (an earlier run
of the same sweep with fewer, cut short before it redid that job) is not finished for this sweep:
it is left out with the unfinished ones, as the identity leaves replications out. Folders of jobs
that ``sweep.json`` does not list (left from an earlier, larger sweep) are left out and reported; a
folder holding a listed job made by something else (another seed, config, input file or flowsim) is
refused, since it would silently pair results across runs. Sweeps written before ``sweep.json``
existed are checked for consistency from each job's ``manifest.json`` and ``metrics.json`` instead.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowsim.experiment.identity import RunIdentity, differences, flowsim_version, identity_config
from flowsim.experiment.io import write_json
from flowsim.experiment.result_files import job_fix, read_json
from flowsim.model.errors import ConfigError
from flowsim.model.paths import ABSENT, lookup

__all__ = ["SWEEP_FILE", "JobFolder", "SweepJobs", "find_jobs", "recorded_jobs", "select_jobs",
           "write_sweep_record"]

SWEEP_FILE = "sweep.json"
_FIX_MIXED = ("move one sweep's job folders to another folder, or rerun the sweep into an empty "
              "hydra.sweep.dir")


def write_sweep_record(sweep_dir: str | Path,
                       jobs: Sequence[tuple[Sequence[str], RunIdentity, int | None]],
                       overrides: Sequence[str] = ()) -> Path:
    """Write ``sweep.json``: job number -> overrides, identity and replications, before any job runs.

    Parameters
    ----------
    sweep_dir : path
        The multirun directory (``hydra.sweep.dir``).
    jobs : sequence of (overrides, RunIdentity, replications)
        Every job in launch order (index = Hydra job number); replications is the number its results
        must hold, or None where adaptive precision decides it.
    overrides : sequence of str
        The command line of the sweep, recorded for the reader.

    Returns
    -------
    pathlib.Path
    """
    seeds = {json.dumps(identity.seed) for _, identity, _ in jobs}
    return write_json({
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "flowsim_version": flowsim_version(),
        "seed": jobs[0][1].seed if len(seeds) == 1 and jobs else None,
        "overrides": list(overrides),
        "jobs": {str(number): {"overrides": list(job_overrides), "identity": identity.summary(),
                               "replications": replications}
                 for number, (job_overrides, identity, replications) in enumerate(jobs)},
    }, Path(sweep_dir) / SWEEP_FILE)


def recorded_jobs(sweep_dir: str | Path) -> dict[str, Any] | None:
    """The jobs ``sweep.json`` lists (overrides, identity, replications by job number), or None when
    there is no readable record (a first run, or a sweep written before the record)."""
    try:
        return json.loads((Path(sweep_dir) / SWEEP_FILE).read_text(encoding="utf-8"))["jobs"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def find_jobs(sweep_dir: str | Path) -> tuple[list[Path], list[Path]]:
    """(finished, unfinished) job folders of a sweep directory, in job order (job 10 after job 9)."""
    root = Path(sweep_dir)
    finished, unfinished = [], []
    folders = [p for p in root.iterdir() if p.is_dir() and (
        (p / ".hydra").is_dir() or (p / "manifest.json").is_file() or (p / "checkpoints").is_dir())]
    for folder in sorted(folders, key=job_order):
        done = (folder / "metrics.json").is_file() and (folder / "replications.parquet").is_file()
        (finished if done else unfinished).append(folder)
    return finished, unfinished


def job_order(folder: Path) -> tuple[bool, int, str]:
    """Sort key: numbered folders by number, then named ones by name."""
    return (not folder.name.isdigit(), int(folder.name) if folder.name.isdigit() else 0, folder.name)


@dataclass(frozen=True)
class JobFolder:
    """A finished job folder as its files describe it."""

    folder: Path
    job: int | None  # Hydra job number: recorded in metrics.json, else the folder's number
    identity: dict[str, Any]  # metrics.json's identity summary ({} before identities existed)
    replications: int
    overrides: dict[str, str]  # key -> value text, from manifest.json
    manifest: dict[str, Any]
    seed: Any

    @property
    def name(self) -> str:
        """The folder name (the ``job`` column of the sweep tables)."""
        return self.folder.name

    @classmethod
    def read(cls, folder: Path) -> JobFolder:
        """Read ``metrics.json`` and ``manifest.json`` (if there is one) of a finished job.

        Raises
        ------
        ConfigError
            If either is damaged (cut short, not a JSON object, an entry not of the kind flowsim writes,
            a manifest without its overrides), naming the file and the fix.
        """
        fix = job_fix(folder)
        metrics = read_json(folder / "metrics.json", fix)
        recorded = (folder / "manifest.json").exists()
        manifest = read_json(folder / "manifest.json", fix) if recorded else {}
        _check_entry(folder / "metrics.json", metrics, "identity", "an object", lambda v: isinstance(v, dict))
        _check_entry(folder / "metrics.json", metrics, "replications", "a whole number >= 1", _is_count)
        if metrics.get("replications") is None:  # every flowsim wrote it: not an older one's file
            raise ConfigError(str(folder / "metrics.json"), "is damaged: it lacks its replications entry",
                              fix)
        _check_entry(folder / "manifest.json", manifest, "overrides", "a list of key=value texts",
                     lambda v: isinstance(v, list) and all(isinstance(o, str) for o in v))
        if recorded and manifest.get("overrides") is None:  # every manifest flowsim wrote has them
            raise ConfigError(str(folder / "manifest.json"), "lacks overrides", fix)
        job = metrics.get("job", int(folder.name) if folder.name.isdigit() else None)
        overrides = dict(_split(o) for o in manifest.get("overrides", []))
        return cls(folder, job, metrics.get("identity") or {}, int(metrics["replications"]),
                   overrides, manifest, metrics.get("seed"))

    def state(self) -> dict[str, Any]:
        """What a gathered table depends on: the identity digest and the number of replications."""
        return {"identity": self.identity.get("digest"), "replications": self.replications}


def _is_count(value: Any) -> bool:
    """A whole number >= 1 (not a bool, which JSON would read as one)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _check_entry(path: Path, data: Mapping[str, Any], key: str, kind: str,
                 valid: Callable[[Any], bool]) -> None:
    """Refuse a job file whose ``key``, where it has one, is not what flowsim writes (e.g. edited by hand)."""
    if data.get(key) is not None and not valid(data[key]):
        raise ConfigError(str(path), f"is damaged: its {key} entry is not {kind}", job_fix(path.parent))


def _split(override: str) -> tuple[str, str]:
    key, _, value = override.partition("=")
    return key.lstrip("+~"), value


@dataclass(frozen=True)
class SweepJobs:
    """The job folders that make up one sweep, and what was left out."""

    finished: tuple[JobFolder, ...]  # in job order
    unfinished: tuple[str, ...]  # folders (or job numbers) without finished results
    left_out: tuple[str, ...]  # finished folders of jobs sweep.json does not list

    def state(self) -> dict[str, dict[str, Any]]:
        """Folder name -> :meth:`JobFolder.state`: what the sweep's tables are built from."""
        return {job.name: job.state() for job in self.finished}


def _names(jobs: Sequence[JobFolder] | Sequence[str]) -> str:
    return ", ".join(j if isinstance(j, str) else j.name for j in jobs)


def _from_record(root: Path, record: Mapping[str, Any], finished: list[JobFolder],
                 unfinished: list[Path]) -> SweepJobs:
    listed: dict[str, Mapping[str, Any]] = record.get("jobs") or {}
    taken: list[JobFolder] = []
    foreign: list[tuple[JobFolder, list[str]]] = []
    left_out: list[str] = []
    short: list[JobFolder] = []  # finished with other replications than sweep.json asks for
    for job in finished:
        expected = listed.get(str(job.job)) if job.job is not None else None
        if expected is None:
            left_out.append(job.name)
        elif job.identity.get("digest") != expected["identity"]["digest"]:
            foreign.append((job, differences(expected["identity"], job.identity) if job.identity
                            else ["flowsim (no identity recorded)"]))
        elif expected.get("replications") not in (None, job.replications):
            # made by this sweep's config with another number of replications (e.g. an earlier, shorter
            # run of the same command, cut short before it reached this job): not finished for this sweep
            short.append(job)
        else:
            taken.append(job)
    if foreign:
        what = sorted({part.split(" (")[0] for _, parts in foreign for part in parts})
        raise ConfigError(
            str(root), f"job(s) {_names([j for j, _ in foreign])} were not made by the sweep in "
            f"{SWEEP_FILE} (different {', '.join(what)})",
            "rerun the sweep's command to redo them (finished jobs resume), or move those folders out")
    numbers = [job.job for job in taken]
    twice = sorted({n for n in numbers if numbers.count(n) > 1})
    if twice:
        raise ConfigError(str(root), f"job {twice[0]} has more than one finished folder "
                          f"({_names([j for j in taken if j.job == twice[0]])})",
                          "keep one of them and move the others out")
    missing = [number for number in listed if int(number) not in numbers]
    pending = [p.name for p in unfinished]
    pending += [f"{job.name} ({job.replications:,} replication(s), not the "
                f"{listed[str(job.job)]['replications']:,} of {SWEEP_FILE})" for job in short]
    named = {p.name for p in unfinished} | {job.name for job in short}
    pending += [n for n in missing if n not in named]
    return SweepJobs(tuple(taken), tuple(pending), tuple(left_out))


def _signature(job: JobFolder, swept: Sequence[str]) -> dict[str, Any]:
    """What must be equal across the jobs of one sweep (sweeps written before sweep.json)."""
    identity = job.identity
    inputs = {k: v for k, v in (identity.get("inputs") or {}).items() if k not in swept}
    config = identity_config(job.manifest.get("config") or {})
    if all(lookup(config, key, ABSENT) is not ABSENT for key in swept):
        config = _without(config, swept)
    else:
        config = None  # a swept config group (e.g. scenario=...) sets keys we cannot attribute
    version = identity.get("flowsim_version", (job.manifest.get("versions") or {}).get("flowsim"))
    return {"seed": job.seed, "flowsim_version": version, "source_sha256": identity.get("source_sha256"),
            "inputs": inputs, "config": config}




def _without(config: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    def strip(node: Any, prefix: str) -> Any:
        if not isinstance(node, Mapping):
            return node
        return {k: strip(v, f"{prefix}{k}.") for k, v in node.items() if f"{prefix}{k}" not in keys}

    return strip(config, "")


def _consistent(root: Path, finished: list[JobFolder], unfinished: list[Path]) -> SweepJobs:
    key_sets: dict[str, list[JobFolder]] = {}
    for job in finished:
        key_sets.setdefault(json.dumps(sorted(job.overrides)), []).append(job)
    if len(key_sets) > 1:
        groups = " and ".join(f"jobs {_names(g)} ({', '.join(sorted(g[0].overrides)) or 'none'})"
                              for g in key_sets.values())
        raise ConfigError(str(root), f"finished jobs do not form one sweep: they override different "
                          f"keys: {groups}", _FIX_MIXED)
    points: dict[str, list[JobFolder]] = {}
    for job in finished:
        points.setdefault(json.dumps(job.overrides, sort_keys=True), []).append(job)
    repeated = next((g for g in points.values() if len(g) > 1), None)
    if repeated:
        raise ConfigError(str(root), f"jobs {_names(repeated)} ran the same overrides", _FIX_MIXED)
    keys = sorted({k for job in finished for k in job.overrides})
    swept = [k for k in keys if len({job.overrides.get(k) for job in finished}) > 1]
    groups: dict[str, list[JobFolder]] = {}
    for job in finished:
        groups.setdefault(json.dumps(_signature(job, swept), sort_keys=True, default=str), []).append(job)
    if len(groups) > 1:
        firsts = [g[0] for g in groups.values()]
        base = _signature(firsts[0], swept)
        what = sorted({part.split(" (")[0] for other in firsts[1:]
                       for part in differences(base, _signature(other, swept))})
        listing = " and ".join(f"jobs {_names(g)}" for g in groups.values())
        raise ConfigError(str(root), f"finished jobs do not form one sweep: {listing} differ in "
                          f"{', '.join(what)} (no {SWEEP_FILE} to tell which belong)", _FIX_MIXED)
    return SweepJobs(tuple(finished), tuple(p.name for p in unfinished), ())


def select_jobs(sweep_dir: str | Path) -> SweepJobs:
    """The finished job folders of ``sweep_dir`` that form its sweep.

    Raises
    ------
    ConfigError
        If finished jobs of different runs are mixed in ``sweep_dir`` (field: the directory), or a
        finished job's ``metrics.json`` or ``manifest.json``, or ``sweep.json``, is damaged (field: the file).
    """
    root = Path(sweep_dir)
    done, unfinished = find_jobs(root)
    finished = [JobFolder.read(folder) for folder in done]
    record_path = root / SWEEP_FILE
    if not record_path.is_file():
        return _consistent(root, finished, unfinished)
    return _from_record(root, _read_record(record_path), finished, unfinished)


def _read_record(path: str | Path) -> dict[str, Any]:
    """``sweep.json``, checked to list every job with its identity as :func:`write_sweep_record` wrote it.

    Raises
    ------
    ConfigError
        If the file is missing, not a JSON object (e.g. cut short), or lists no jobs, a job without
        its identity or with replications that are not a whole number; the field is its path.
    """
    fix = f"rerun the sweep's command (it writes {SWEEP_FILE} again)"
    record = read_json(path, fix)
    jobs = record.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        raise ConfigError(str(path), "is damaged: it lists no jobs", fix)
    for number, job in jobs.items():
        identity = job.get("identity") if isinstance(job, dict) else None
        digest = identity.get("digest") if isinstance(identity, dict) else None
        if not number.isdigit() or not isinstance(digest, str):
            raise ConfigError(str(path), f"is damaged: its job {number!r} is not a job number with an "
                              "identity", fix)
        replications = job.get("replications")  # absent from files written before it was recorded
        if replications is not None and not _is_count(replications):
            raise ConfigError(str(path), f"is damaged: its job {number}'s replications entry is not a whole "
                              "number >= 1", fix)
    return record
