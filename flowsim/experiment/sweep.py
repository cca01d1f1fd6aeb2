"""Gather a Hydra multirun into tidy tables.

A sweep directory holds one folder per job (``0/``, ``1/``, ...), each written by
:func:`flowsim.experiment.pipeline.run_scenario`. :func:`collect_sweep` reads the finished jobs that
make up the sweep (:mod:`flowsim.experiment.sweep_jobs`: never jobs of another run left in the same
folder), takes the swept values from each job's recorded overrides, and writes ``results.parquet``
(one row per job and replication, swept values as columns) and ``summary.csv`` (mean and 95 % CI per
job and KPI), with ``collected.json`` recording which job results they were built from, so that a
report can tell when they are out of date (:func:`check_collected`). Jobs that did not finish are
reported, never half-read.

A job's files are read through :mod:`flowsim.experiment.result_files`: a missing or damaged file (a
truncated ``metrics.json``, a garbled ``units.parquet``) stops with a
:class:`~flowsim.model.errors.ConfigError` naming it and how to write it again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import yaml

from flowsim.experiment.io import write_json, write_table
from flowsim.experiment.result_files import job_fix, read_json, read_parquet
from flowsim.experiment.sweep_jobs import find_jobs, job_order, select_jobs
from flowsim.experiment.writable import why_not_writable
from flowsim.measures.aggregate import summarise
from flowsim.model.errors import ConfigError

_READERS = 4  # threads reading the jobs' tables: more gain nothing on two cores, little on eight

__all__ = ["COLLECTED_FILE", "SweepTables", "as_text", "check_collected", "check_writable", "collect_sweep",
           "find_jobs", "parse_override", "remove_tables", "sweep_job_ids", "write_sweep_tables"]

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
    # folder name -> identity digest and replications: what collected.json records of the jobs
    jobs: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)


class _HydraTypedLoader(yaml.SafeLoader):
    """YAML typing as Hydra types an override value: no timestamps (``2025-11-03`` stays text)."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, Any]]]] = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def parse_override(text: str) -> tuple[str, Any]:
    """``"services.x.capacity=10"`` -> ``("services.x.capacity", 10)``, the value typed as Hydra types it.

    A date stays the text Hydra passed on (``run.start_date=2025-11-03`` -> ``"2025-11-03"``), so
    the sweep's tables and JSON files can hold it. A mapping or list (a swept distribution,
    ``services.x.los_days={kind:exponential,mean:30}``) becomes its text in YAML's flow style, keys
    sorted and whole numbers written whole (``{mean: 30.0, kind: exponential}`` and
    ``{kind:exponential,mean:30}`` are both ``"{kind: exponential, mean: 30}"``): one readable value per
    job in a table's column and a label, which a ``--baseline`` written either way matches. Several
    values (``a=1,2``, ``range(..)``) are no one job's value: they stay the text given.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import Sweep
    from hydra.errors import HydraException

    key, _, value = text.partition("=")
    try:  # Hydra's grammar: it writes a job's mapping without spaces, which YAML misreads
        parsed = OverridesParser.create().parse_override(text).value()
    except HydraException:  # e.g. a --baseline Hydra would not take: typed as YAML types it
        try:
            parsed = yaml.load(value, Loader=_HydraTypedLoader)  # a SafeLoader: no arbitrary objects
        except yaml.YAMLError:
            parsed = value
    if isinstance(parsed, Sweep):
        parsed = value
    elif isinstance(parsed, dict | list):
        parsed = yaml.safe_dump(_canonical(parsed), default_flow_style=True, sort_keys=True,
                                width=1_000_000).strip()
    return key.lstrip("+~"), parsed


def as_text(value: Any) -> str | None:
    """A swept value as the text it was typed as (``300``, ``true``, ``full_cost``); None stays None.

    A key swept over values of different types (``costs.acute_bed_day=full_cost,300``: a basis's name
    and a number) has its column written as text: a Parquet column holds one type, and writing it
    failed after every job had run.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _one_type(values: list[Any]) -> bool:
    """Whether a column of ``values`` holds one type (numbers count as one; None goes with any)."""
    kinds = {"number" if isinstance(v, int | float) and not isinstance(v, bool) else type(v).__name__
             for v in values if v is not None}
    return len(kinds) <= 1


def _canonical(value: Any) -> Any:
    """``value`` without a mapping's unset (null) keys (a job records every field of a distribution)
    and with whole floats as integers (``40.0`` is ``40``), so one setting has one text."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return int(value) if isinstance(value, float) and value.is_integer() else value


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


def _recorded(folder: Path, name: str, key: str) -> Any:
    """``key`` of the job file ``name`` (``manifest.json``, ``metrics.json``), which must have it.

    Raises
    ------
    ConfigError
        If the file is missing or damaged, or lacks ``key`` (the field is its path).
    """
    data = read_json(folder / name, job_fix(folder))
    if data.get(key) is None:
        raise ConfigError(str(folder / name), f"lacks {key}", job_fix(folder))
    return data[key]


def _job_table(folder: Path, name: str) -> pd.DataFrame:
    """The job's Parquet table ``name``; ``replications.parquet`` must have one row per replication.

    Raises
    ------
    ConfigError
        If the file is missing, damaged, or holds another table (:func:`read_parquet` checks the columns
        flowsim writes there); the field is its path.
    """
    path = folder / name
    table = read_parquet(path, job_fix(folder))
    if name == "replications.parquet" and table["replication"].duplicated().any():
        raise ConfigError(str(path), "has more than one row for a replication", job_fix(folder))
    return table


def _job_tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The job's ``replications.parquet`` and ``units.parquet`` (:func:`_job_table`)."""
    return _job_table(folder, "replications.parquet"), _job_table(folder, "units.parquet")


def collect_sweep(sweep_dir: str | Path, write: bool = True) -> SweepTables:
    """Gather the finished jobs of the sweep in ``sweep_dir``; write ``results.parquet`` and ``summary.csv``.

    With ``write``, ``collected.json`` records the jobs' identities and replication counts, and a
    ``comparison.csv`` of earlier tables is removed (:func:`write_sweep_tables`); ``sweep_dir`` is checked
    to be writable first. Without, nothing is written (``flowsim-collect`` writes the tables with its
    comparison once both are made).

    Raises
    ------
    FileNotFoundError
        If ``sweep_dir`` holds no finished job of its sweep.
    ConfigError
        If finished jobs of different runs are mixed in ``sweep_dir``, a job's file is missing or
        damaged (the field names the file), or, with ``write``, the tables cannot be written there.
    """
    root = Path(sweep_dir)
    if write:
        check_writable(root)
    jobs = select_jobs(root)
    if not jobs.finished:
        # name what is there: jobs cut short, or finished with another number of replications
        unfinished = f" of its sweep (not finished: {', '.join(jobs.unfinished)})" if jobs.unfinished else ""
        raise FileNotFoundError(f"no finished flowsim job under {root}{unfinished}")
    finished = [job.folder for job in jobs.finished]
    overrides: dict[str, dict[str, Any]] = {}
    observed = set()
    for folder in finished:
        recorded = _recorded(folder, "manifest.json", "overrides")  # texts: as JobFolder.read checked
        overrides[folder.name] = dict(parse_override(o) for o in recorded)
        days = _recorded(folder, "metrics.json", "observed_days")
        if not isinstance(days, int | float) or isinstance(days, bool):
            raise ConfigError(str(folder / "metrics.json"), "is damaged: its observed_days entry is not a "
                              "number", job_fix(folder))
        observed.add(days)
    keys = sorted({k for o in overrides.values() for k in o})
    swept = tuple(k for k in keys
                  if len({json.dumps(o.get(k), sort_keys=True) for o in overrides.values()}) > 1)
    for key in swept:
        if not _one_type([o.get(key) for o in overrides.values()]):
            for job in overrides.values():
                job[key] = as_text(job.get(key))

    def labelled(folder: Path, table: pd.DataFrame) -> pd.DataFrame:
        front = {"job": _job_id(folder), **{k: overrides[folder.name].get(k) for k in swept}}
        return pd.concat([pd.DataFrame([front] * len(table)), table.reset_index(drop=True)], axis=1)

    # Arrow reads and decodes a file without holding the GIL, so a few threads read a large sweep's
    # thousands of small tables in about two thirds of the time; a damaged file raises in job order.
    with ThreadPoolExecutor(_READERS) as pool:
        read = list(pool.map(_job_tables, finished))
    results = pd.concat([labelled(f, tables[0]) for f, tables in zip(finished, read, strict=True)],
                        ignore_index=True)
    units = pd.concat([labelled(f, tables[1]) for f, tables in zip(finished, read, strict=True)],
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
    tables = SweepTables(results, summary, units, swept, jobs.unfinished,
                         float(next(iter(observed))) if len(observed) == 1 else float("nan"),
                         jobs.left_out, jobs.state())
    if write:
        write_sweep_tables(root, tables)
    return tables


def remove_tables(sweep_dir: str | Path) -> list[str]:
    """Delete the gathered tables of ``sweep_dir`` (``collected.json`` first); return the names removed.

    For a sweep that starts over other jobs than the tables were gathered from: until it ends and
    gathers its own, a reader of ``results.parquet`` (pandas, DuckDB) would otherwise get the earlier
    sweep's numbers with nothing to say so. The job folders are kept.
    """
    root = Path(sweep_dir)
    removed = [name for name in (COLLECTED_FILE, *_TABLES) if (root / name).is_file()]
    for name in removed:
        (root / name).unlink()
    return removed


def check_writable(sweep_dir: str | Path) -> None:
    """Refuse a sweep directory its tables cannot be written into, before anything is gathered.

    Raises
    ------
    ConfigError
        If the folder cannot be written (a read-only copy, another user's), or a table's name there is
        taken by a folder.
    """
    root = Path(sweep_dir)
    reason = why_not_writable(root)
    if reason is not None:
        raise ConfigError(str(root), f"is not writable ({reason}), and the sweep's tables are written there",
                          "copy the sweep directory to a folder you can write to, and give the copy")
    for name in (*_TABLES, COLLECTED_FILE):
        if (root / name).is_dir():
            raise ConfigError(str(root / name), "is a folder, where the sweep's table of that name goes",
                              "move that folder out of the sweep directory")


def write_sweep_tables(sweep_dir: str | Path, tables: SweepTables, comparison: pd.DataFrame | None = None
                       ) -> None:
    """Write ``results.parquet``, ``summary.csv``, ``comparison.csv`` and ``collected.json`` together.

    Each is first written whole under a hidden name beside its own, so a failure (a full disk) leaves
    the earlier files as they were. Then ``collected.json`` goes until the tables are all in place, so
    a folder caught between two sets of tables never passes :func:`check_collected`.

    Parameters
    ----------
    sweep_dir : path
        The sweep directory.
    tables : SweepTables
        The gathered sweep (:func:`collect_sweep`).
    comparison : pandas.DataFrame, optional
        Its comparison with a baseline; without one, a ``comparison.csv`` of earlier tables is removed.
    """
    root = Path(sweep_dir)
    for leftover in _leftovers(root):  # of a gathering killed between writing and putting in place
        leftover.unlink(missing_ok=True)
    staged: dict[str, Path] = {}
    try:
        staged["results.parquet"] = write_table(tables.results, _staging(root / "results.parquet"))
        staged["summary.csv"] = write_table(tables.summary, _staging(root / "summary.csv"))
        if comparison is not None:
            staged["comparison.csv"] = write_table(comparison, _staging(root / "comparison.csv"))
        staged[COLLECTED_FILE] = write_json(  # the last to be put in place
            {"jobs": tables.jobs, "results_sha256": _sha256(staged["results.parquet"])},
            _staging(root / COLLECTED_FILE))
        (root / COLLECTED_FILE).unlink(missing_ok=True)
        if comparison is None:
            (root / "comparison.csv").unlink(missing_ok=True)  # it compared the earlier tables
        for name, path in staged.items():
            os.replace(path, root / name)
    finally:
        for path in staged.values():
            path.unlink(missing_ok=True)


def _staging(target: Path) -> Path:
    """A hidden name beside ``target`` with its suffix (which says how a table is written)."""
    return target.with_name(f".{secrets.token_hex(4)}.{target.name}")


_TABLE_NAMES = "|".join(re.escape(name) for name in ("results.parquet", "summary.csv", "comparison.csv",
                                                      COLLECTED_FILE))
# _staging's names, and the temporary file each is written through (flowsim.experiment.io.atomic_write)
_STAGED = re.compile(rf"\.[0-9a-f]{{8}}\.({_TABLE_NAMES})|\.\.[0-9a-f]{{8}}\.({_TABLE_NAMES})\..*\.tmp")


def _leftovers(root: Path) -> list[Path]:
    """The staged tables a killed gathering left in ``root`` (SIGKILL: its ``finally`` never ran)."""
    return [path for path in root.glob(".*") if _STAGED.fullmatch(path.name) and path.is_file()]


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
    if not (root / COLLECTED_FILE).is_file():
        raise ConfigError(field, "was not gathered from the jobs now in the folder (no "
                          f"{COLLECTED_FILE} records which)", fix)
    collected = read_json(root / COLLECTED_FILE, fix)
    if not isinstance(collected.get("jobs"), dict) or not isinstance(collected.get("results_sha256"), str):
        raise ConfigError(str(root / COLLECTED_FILE), "is damaged: it lacks the jobs and results digest "
                          "flowsim-collect records", fix)
    recorded, current = collected["jobs"], jobs.state()
    changed = sorted((k for k in recorded.keys() | current.keys() if recorded.get(k) != current.get(k)),
                     key=lambda name: job_order(Path(name)))
    if changed:
        raise ConfigError(field, f"is out of date: job(s) {', '.join(changed)} changed since it was "
                          "gathered", fix)
    results = root / "results.parquet"
    if not results.is_file() or _sha256(results) != collected.get("results_sha256"):
        raise ConfigError(str(results), "is not the table gathered from these jobs", fix)
