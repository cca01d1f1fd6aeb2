"""Finished replications kept on disk, so an interrupted run or sweep resumes without loss.

Each replication's tables are written into ``<output_dir>/checkpoints/<config hash>/rep-NNNNNN/``;
the small ``kpis.json`` is written last and marks the replication as complete (every file is written
atomically). The hash covers everything that changes a replication's results (the system, the seed)
and nothing that does not (how many replications, how many workers, which files to write), so a
rerun of the same command, or a request for more replications, reuses what is already there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from flowsim.io import write_json, write_table

__all__ = ["NOT_HASHED", "Checkpoints", "ReplicationRecord", "config_hash"]

# Top-level keys that never change a replication's results.
NOT_HASHED = ("replications", "n_jobs", "outputs", "precision")
_TABLES = ("units", "census", "patients")


def config_hash(config: Mapping[str, Any]) -> str:
    """Stable 16-hex-digit hash of the result-relevant part of a resolved config."""
    relevant = {k: v for k, v in config.items() if k not in NOT_HASHED}
    text = json.dumps(relevant, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ReplicationRecord:
    """One replication's results as tables (what a worker sends back and a checkpoint holds)."""

    replication: int
    kpis: dict[str, float]
    units: pd.DataFrame
    census: pd.DataFrame | None
    patients: pd.DataFrame | None


class Checkpoints:
    """Per-replication store under ``root/<hash>/``."""

    def __init__(self, root: str | Path, digest: str) -> None:
        self.folder = Path(root) / digest

    def _dir(self, replication: int) -> Path:
        return self.folder / f"rep-{replication:06d}"

    def done(self) -> list[int]:
        """Replications whose results are complete on disk."""
        if not self.folder.is_dir():
            return []
        return sorted(int(p.parent.name.split("-")[1]) for p in self.folder.glob("rep-*/kpis.json"))

    def save(self, record: ReplicationRecord) -> None:
        """Persist ``record``; ``kpis.json`` goes last so a half-written replication is not 'done'."""
        folder = self._dir(record.replication)
        for name in _TABLES:
            table = getattr(record, name)
            if table is not None:
                write_table(table, folder / f"{name}.parquet")
        write_json({"replication": record.replication, "kpis": record.kpis}, folder / "kpis.json")

    def load(self, replication: int, *, census: bool, patients: bool) -> ReplicationRecord | None:
        """A saved replication, or None if it is missing or lacks a table that is now wanted."""
        folder = self._dir(replication)
        marker = folder / "kpis.json"
        wanted = {"units": True, "census": census, "patients": patients}
        if not marker.is_file() or any(want and not (folder / f"{name}.parquet").is_file()
                                       for name, want in wanted.items()):
            return None
        kpis = {k: (float("nan") if v is None else v)
                for k, v in json.loads(marker.read_text())["kpis"].items()}
        tables = {name: pd.read_parquet(folder / f"{name}.parquet") if want else None
                  for name, want in wanted.items()}
        return ReplicationRecord(replication, kpis, tables["units"], tables["census"],
                                 tables["patients"])
