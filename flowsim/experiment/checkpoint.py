"""Finished replications kept on disk, so an interrupted run or sweep resumes without loss.

Each replication's tables are written into ``<output_dir>/checkpoints/<identity digest>/rep-NNNNNN/``
with the identity's components in ``identity.json`` beside them; the small ``kpis.json`` is written
last and marks the replication as complete (every file is written atomically). The identity
(:mod:`flowsim.experiment.identity`) covers everything that changes a replication's results and nothing that
does not (how many replications, how many workers, which files to write), so a rerun of the same
command, or a request for more replications, reuses what is there, and anything else never does.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from flowsim.experiment.arrow_tables import rows_table, table_rows
from flowsim.experiment.identity import RunIdentity
from flowsim.experiment.io import write_arrow, write_frames, write_json, write_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["IDENTITY_FILE", "Checkpoints", "ReplicationRecord"]

IDENTITY_FILE = "identity.json"


@dataclass(frozen=True)
class ReplicationRecord:
    """One replication's results (what a worker sends back and a checkpoint holds).

    The units are rows (dicts, with ``replication``), as :func:`flowsim.measures.metrics.compute_metrics`
    gives them; the census an Arrow table as the run makes it, or a frame as :meth:`Checkpoints.load`
    reads it back with its tables.
    """

    replication: int
    kpis: dict[str, float]
    units: list[dict[str, Any]]
    census: pa.Table | pd.DataFrame | None
    # or, to be saved, its parts in order (read one at a time: the whole table is never in memory)
    patients: pd.DataFrame | Iterable[pd.DataFrame] | None


class Checkpoints:
    """Per-replication store of one identity under ``root/<digest>/``."""

    def __init__(self, root: str | Path, identity: RunIdentity) -> None:
        self.root = Path(root)
        self.identity = identity
        self.folder = self.root / identity.digest

    def _dir(self, replication: int) -> Path:
        return self.folder / f"rep-{replication:06d}"

    def done(self) -> list[int]:
        """Replications whose results are complete on disk."""
        if not self.folder.is_dir():
            return []
        return sorted(int(p.parent.name.split("-")[1]) for p in self.folder.glob("rep-*/kpis.json"))

    def save(self, record: ReplicationRecord) -> None:
        """Persist ``record``; ``kpis.json`` goes last so a half-written replication is not 'done'."""
        if not (self.folder / IDENTITY_FILE).is_file():
            write_json(self.identity.to_json(), self.folder / IDENTITY_FILE)
        folder = self._dir(record.replication)
        write_arrow(rows_table(record.units), folder / "units.parquet")
        for name in ("census", "patients"):
            table = getattr(record, name)
            if isinstance(table, pa.Table):
                write_arrow(table, folder / f"{name}.parquet")
            elif hasattr(table, "to_parquet"):  # a frame
                write_table(table, folder / f"{name}.parquet")
            elif table is not None:
                write_frames(table, folder / f"{name}.parquet")
        write_json({"replication": record.replication, "kpis": record.kpis}, folder / "kpis.json")

    def load(self, replication: int, *, census: bool, patients: bool, tables: bool = True
             ) -> ReplicationRecord | None:
        """A saved replication, or None if it is missing or lacks a table that is now wanted.

        With ``tables=False`` the census and patient tables are checked for but not read (they are
        ``None`` in the record; :meth:`path` gives their files), so a resumed run holds none of them.
        A damaged replication (a file cut short or overwritten: ``kpis.json`` that is not its JSON, a
        table whose Parquet footer cannot be read) is deleted and None returned, so it runs again
        rather than its damage reaching the results.
        """
        folder = self._dir(replication)
        marker = folder / "kpis.json"
        wanted = {"units": True, "census": census, "patients": patients}
        if not marker.is_file() or any(want and not (folder / f"{name}.parquet").is_file()
                                       for name, want in wanted.items()):
            return None
        try:
            kpis = {k: (float("nan") if v is None else v)
                    for k, v in json.loads(marker.read_text(encoding="utf-8"))["kpis"].items()}
            # ParquetFile, not read_table: that goes through pyarrow.dataset, which imports pandas
            units = table_rows(pq.ParquetFile(folder / "units.parquet").read())
            read: dict[str, Any] = {name: _read_frame(folder / f"{name}.parquet") if want and tables else None
                                    for name, want in wanted.items() if name != "units"}
            for name, frame in read.items():
                if wanted[name] and frame is None:
                    pq.read_metadata(folder / f"{name}.parquet")  # the footer: a file cut short fails here
        except (OSError, ValueError, KeyError, TypeError, AttributeError, pa.ArrowException):
            # ValueError covers bad JSON and pyarrow's ArrowInvalid; OSError a footer it cannot parse
            shutil.rmtree(folder, ignore_errors=True)
            return None
        return ReplicationRecord(replication, kpis, units, read["census"], read["patients"])

    def lacking(self, replication: int, *, census: bool, patients: bool) -> list[str]:
        """The wanted tables a finished replication was saved without (``census``, ``patients``): saved by
        a run that did not write them, it runs again. Empty if it was not finished."""
        folder = self._dir(replication)
        if not (folder / "kpis.json").is_file():
            return []
        wanted = {"census": census, "patients": patients}
        return [name for name, want in wanted.items() if want and not (folder / f"{name}.parquet").is_file()]

    def path(self, replication: int, name: str) -> Path:
        """The file of one saved table (``units``, ``census`` or ``patients``) of a replication."""
        return self._dir(replication) / f"{name}.parquet"

    def others(self) -> list[Path]:
        """Checkpoint folders of other identities (or of flowsim before identities), newest first."""
        if not self.root.is_dir():
            return []
        found = [p for p in self.root.iterdir() if p.is_dir() and p != self.folder]
        return sorted(found, key=lambda p: p.stat().st_mtime_ns, reverse=True)

    def latest_other_identity(self) -> dict[str, Any] | None:
        """The stored identity of the most recently written other checkpoint folder ({} if unknown)."""
        for folder in self.others():
            try:
                return json.loads((folder / IDENTITY_FILE).read_text())
            except (OSError, ValueError):
                return {}
        return None

    def remove_others(self) -> None:
        """Delete the checkpoints of every other identity (the folder now holds this run only)."""
        for folder in self.others():
            shutil.rmtree(folder, ignore_errors=True)


def _read_frame(path: Path) -> pd.DataFrame:
    import pandas as pd  # only to read a checkpoint's tables whole (a run streams them from the files)

    return pd.read_parquet(path)
