"""Gather a Hydra multirun into tidy tables.

A sweep directory holds one folder per job (``0/``, ``1/``, ...), each written by
:func:`flowsim.pipeline.run_scenario`. :func:`collect_sweep` reads the finished jobs, takes the swept
values from each job's recorded overrides, and writes ``results.parquet`` (one row per job and
replication, swept values as columns) and ``summary.csv`` (mean and 95 % CI per job and KPI).
Jobs that did not finish are reported, never half-read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from flowsim.aggregate import summarise
from flowsim.io import write_table

__all__ = ["SweepTables", "collect_sweep", "find_jobs", "parse_override"]


@dataclass(frozen=True)
class SweepTables:
    """The gathered sweep."""

    results: pd.DataFrame  # job, <swept keys>, replication, KPIs
    summary: pd.DataFrame  # job, <swept keys>, kpi, n, mean, sd, ci_low, ci_high, half_width_pct
    units: pd.DataFrame  # job, <swept keys>, replication, per-unit metrics
    swept: tuple[str, ...]
    incomplete: tuple[str, ...]  # job folders without finished results
    observed_days: float


def parse_override(text: str) -> tuple[str, Any]:
    """``"services.x.capacity=10"`` -> ``("services.x.capacity", 10)`` (YAML-typed value)."""
    key, _, value = text.partition("=")
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        parsed = value
    return key.lstrip("+~"), parsed


def find_jobs(sweep_dir: str | Path) -> tuple[list[Path], list[Path]]:
    """(finished, unfinished) job folders of a sweep directory, in job order."""
    root = Path(sweep_dir)
    finished, unfinished = [], []
    folders = [p for p in root.iterdir() if p.is_dir() and (
        (p / ".hydra").is_dir() or (p / "manifest.json").is_file() or (p / "checkpoints").is_dir())]
    for folder in sorted(folders, key=_job_order):
        done = (folder / "metrics.json").is_file() and (folder / "replications.parquet").is_file()
        (finished if done else unfinished).append(folder)
    return finished, unfinished


def _job_order(folder: Path) -> tuple[bool, int, str]:
    return (not folder.name.isdigit(), int(folder.name) if folder.name.isdigit() else 0, folder.name)


def _job_id(folder: Path) -> int | str:
    return int(folder.name) if folder.name.isdigit() else folder.name


def collect_sweep(sweep_dir: str | Path, write: bool = True) -> SweepTables:
    """Gather every finished job of ``sweep_dir``; write ``results.parquet`` and ``summary.csv``.

    Raises
    ------
    FileNotFoundError
        If ``sweep_dir`` holds no finished job.
    """
    root = Path(sweep_dir)
    finished, unfinished = find_jobs(root)
    if not finished:
        raise FileNotFoundError(f"no finished flowsim job under {root}")
    overrides: dict[str, dict[str, Any]] = {}
    observed = set()
    for folder in finished:
        manifest = json.loads((folder / "manifest.json").read_text())
        overrides[folder.name] = dict(parse_override(o) for o in manifest["overrides"])
        observed.add(json.loads((folder / "metrics.json").read_text())["observed_days"])
    keys = sorted({k for o in overrides.values() for k in o})
    swept = tuple(k for k in keys
                  if len({json.dumps(o.get(k), sort_keys=True) for o in overrides.values()}) > 1)

    def labelled(folder: Path, table: pd.DataFrame) -> pd.DataFrame:
        front = {"job": _job_id(folder), **{k: overrides[folder.name].get(k) for k in swept}}
        return pd.concat([pd.DataFrame([front] * len(table)), table.reset_index(drop=True)], axis=1)

    results = pd.concat([labelled(f, pd.read_parquet(f / "replications.parquet"))
                         for f in finished], ignore_index=True)
    units = pd.concat([labelled(f, pd.read_parquet(f / "units.parquet")) for f in finished],
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
        write_table(results, root / "results.parquet")
        write_table(summary, root / "summary.csv")
    return SweepTables(results, summary, units, swept, tuple(f.name for f in unfinished),
                       float(next(iter(observed))) if len(observed) == 1 else float("nan"))
