"""Gather a Hydra multirun into tidy tables.

A sweep directory holds one folder per job (``0/``, ``1/``, ...), each written by
:func:`flowsim.experiment.pipeline.run_scenario`. :func:`collect_sweep` reads the finished jobs that make up
the
sweep (:mod:`flowsim.experiment.sweep_jobs`: never jobs of another run left in the same folder), takes the
swept
values from each job's recorded overrides, and writes ``results.parquet`` (one row per job and
replication, swept values as columns) and ``summary.csv`` (mean and 95 % CI per job and KPI), with
``collected.json`` recording which job results they were built from, so that a report can tell when
they are out of date (:func:`check_collected`). Jobs that did not finish are reported, never
half-read.

A job's files are read through :mod:`flowsim.experiment.result_files`: a missing or damaged file (a
truncated ``metrics.json``, a garbled ``units.parquet``) stops with a
:class:`~flowsim.model.errors.ConfigError` naming it and how to write it again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import yaml

from flowsim.experiment.io import write_json, write_table
from flowsim.experiment.result_files import job_fix, read_json, read_parquet
from flowsim.experiment.sweep_jobs import find_jobs, job_order, select_jobs
from flowsim.measures.aggregate import summarise
from flowsim.model.errors import ConfigError

__all__ = ["COLLECTED_FILE", "SweepTables", "check_collected", "collect_sweep", "find_jobs", "parse_override",
           "sweep_job_ids"]

COLLECTED_FILE = "collected.json"
# What collect_sweep (and flowsim-collect after it) write at the top of a sweep directory.
_TABLES = ("results.parquet", "summary.csv", "comparison.csv")


@dataclass(frozen=True)
class SweepTables:
    """The gathered sweep."""

    results: pd.DataFrame  # job, <swept keys>, replication, KPIs
    summary: pd.DataFrame  # job, <swept keys>, kpi, n, mean, sd, ci_low, ci_high, half_width_pct
    units: pd.DataFrame  # job, <swept keys>, replication, per-unit metrics
    swept: tuple[str, ...]
    incomplete: tuple[str, ...]  # job folders without finished results
    observed_days: float
    left_out: tuple[str, ...] = ()  # finished job folders of an earlier sweep (not in sweep.json)


class _HydraTypedLoader(yaml.SafeLoader):
    """YAML typing as Hydra types an override value: no timestamps (``2025-11-03`` stays text)."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, Any]]]] = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def parse_override(text: str) -> tuple[str, Any]:
    """``"services.x.capacity=10"`` -> ``("services.x.capacity", 10)`` (YAML-typed value).

    A date stays the text Hydra passed on (``run.start_date=2025-11-03`` -> ``"2025-11-03"``), so
    the sweep's tables and JSON files can hold it.
    """
    key, _, value = text.partition("=")
    try:
        parsed = yaml.load(value, Loader=_HydraTypedLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError:
        parsed = value
    return key.lstrip("+~"), parsed


def sweep_job_ids(sweep_dir: str | Path) -> list[int | str]:
    """The finished jobs of the sweep in ``sweep_dir``, in job order, as its tables name them.

    Raises
    ------
    ConfigError
        If a finished job's ``metrics.json`` or ``manifest.json`` is damaged, or jobs of different runs
        are mixed in ``sweep_dir``.
    """
    return [_job_id(job.folder) for job in select_jobs(Path(sweep_dir)).finished]


def _job_id(folder: Path) -> int | str:
    return int(folder.name) if folder.name.isdigit() else folder.name


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def collect_sweep(sweep_dir: str | Path, write: bool = True) -> SweepTables:
    """Gather the finished jobs of the sweep in ``sweep_dir``; write ``results.parquet`` and ``summary.csv``.

    With ``write``, ``collected.json`` records the jobs' identities and replication counts, and a
    ``comparison.csv`` of earlier tables is removed (``flowsim-collect`` writes a fresh one).

    Raises
    ------
    FileNotFoundError
        If ``sweep_dir`` holds no finished job of its sweep.
    ConfigError
        If finished jobs of different runs are mixed in ``sweep_dir``, or a job's file is missing or
        damaged (the field names the file).
    """
    root = Path(sweep_dir)
    jobs = select_jobs(root)
    if not jobs.finished:
        raise FileNotFoundError(f"no finished flowsim job under {root}")
    finished = [job.folder for job in jobs.finished]
    overrides: dict[str, dict[str, Any]] = {}
    observed = set()
    for folder in finished:
        manifest = read_json(folder / "manifest.json", job_fix(folder))
        overrides[folder.name] = dict(parse_override(o) for o in manifest["overrides"])
        observed.add(read_json(folder / "metrics.json", job_fix(folder))["observed_days"])
    keys = sorted({k for o in overrides.values() for k in o})
    swept = tuple(k for k in keys
                  if len({json.dumps(o.get(k), sort_keys=True) for o in overrides.values()}) > 1)

    def labelled(folder: Path, table: pd.DataFrame) -> pd.DataFrame:
        front = {"job": _job_id(folder), **{k: overrides[folder.name].get(k) for k in swept}}
        return pd.concat([pd.DataFrame([front] * len(table)), table.reset_index(drop=True)], axis=1)

    results = pd.concat([labelled(f, read_parquet(f / "replications.parquet", job_fix(f)))
                         for f in finished], ignore_index=True)
    units = pd.concat([labelled(f, read_parquet(f / "units.parquet", job_fix(f))) for f in finished],
                      ignore_index=True)
    if results.duplicated(["job", "replication"]).any():
        raise RuntimeError(f"duplicate job/replication rows in {root}")  # never expected
    pieces = []
    for folder in finished:
        table = results[results["job"] == _job_id(folder)].drop(columns=["job", *swept])
        summary = summarise(table)
        front = {"job": _job_id(folder), **{k: overrides[folder.name].get(k) for k in swept}}
        pieces.append(pd.concat([pd.DataFrame([front] * len(summary)), summary], axis=1))
    summary = pd.concat(pieces, ignore_index=True)
    if write:
        (root / COLLECTED_FILE).unlink(missing_ok=True)  # until the new tables are all written
        (root / "comparison.csv").unlink(missing_ok=True)  # it compared the earlier tables
        write_table(results, root / "results.parquet")
        write_table(summary, root / "summary.csv")
        write_json({"jobs": jobs.state(), "results_sha256": _sha256(root / "results.parquet")},
                   root / COLLECTED_FILE)
    return SweepTables(results, summary, units, swept, jobs.unfinished,
                       float(next(iter(observed))) if len(observed) == 1 else float("nan"),
                       jobs.left_out)


def check_collected(sweep_dir: str | Path) -> None:
    """Refuse a sweep directory whose gathered tables were not built from the jobs it now holds.

    Nothing to check when ``results.parquet``, ``summary.csv`` and ``comparison.csv`` are all absent
    (a report then gathers the jobs itself).

    Raises
    ------
    ConfigError
        If the jobs do not form one sweep, a finished job's ``metrics.json`` or ``manifest.json`` is
        damaged, or the tables are older than (or not built from) them.
    """
    root = Path(sweep_dir)
    jobs = select_jobs(root)
    present = [name for name in _TABLES if (root / name).is_file()]
    if not present:
        return
    field = str(root / present[0])
    fix = f"run flowsim-collect {root} to gather the jobs again, or rerun the sweep's command"
    try:
        collected = json.loads((root / COLLECTED_FILE).read_text())
    except (OSError, ValueError):
        raise ConfigError(field, "was not gathered from the jobs now in the folder (no "
                          f"{COLLECTED_FILE} records which)", fix) from None
    recorded, current = collected.get("jobs") or {}, jobs.state()
    changed = sorted((k for k in recorded.keys() | current.keys() if recorded.get(k) != current.get(k)),
                     key=lambda name: job_order(Path(name)))
    if changed:
        raise ConfigError(field, f"is out of date: job(s) {', '.join(changed)} changed since it was "
                          "gathered", fix)
    results = root / "results.parquet"
    if not results.is_file() or _sha256(results) != collected.get("results_sha256"):
        raise ConfigError(str(results), "is not the table gathered from these jobs", fix)
