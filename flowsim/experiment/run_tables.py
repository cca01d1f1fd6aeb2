"""A run's own tables: its patient records (one row per NCTR episode) and its daily census.

Built in Arrow without pandas (:mod:`flowsim.experiment.arrow_tables`), with the pandas metadata that
gives pandas the frame's types back; :class:`PatientRecords` writes ``patients.parquet`` a row group at
a time as the run sends the parts of its log, so memory holds one part whatever the run's length.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from flowsim.experiment import arrow_tables
from flowsim.experiment.io import ROWS_PER_GROUP, ParquetParts
from flowsim.measures.metrics import RunMetrics
from flowsim.model.eventlog import SCHEMA, EpisodeTable, code_names, whole_log
from flowsim.model.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PatientRecords", "census_frame", "census_table", "episodes_frame", "episodes_frames",
           "episodes_tables"]


class PatientRecords:
    """``patients.parquet`` of one replication, written from the parts of its log as the run sends them.

    Parts are gathered until a row group's worth (:data:`ROWS_PER_GROUP`), put in the order of their
    rows and written; a run of fewer episodes gives the same file as :func:`episodes_frame` written
    whole. Pass the object as the run's log sink (or call it from one), then :meth:`close`.
    """

    def __init__(self, path: str | Path, scenario: Scenario, replication: int,
                 rows_per_group: int = ROWS_PER_GROUP) -> None:
        self._file = ParquetParts(path)
        self._scenario, self._replication = scenario, replication
        self._rows_per_group = rows_per_group
        self._parts: list[dict[str, np.ndarray]] = []
        self._rows = 0
        self._written = False

    def __call__(self, part: EpisodeTable) -> None:
        self._parts.append(dict(part.columns))  # its own references, dropped as they are written
        self._rows += len(part)
        if self._rows >= self._rows_per_group:
            self._flush()

    def _flush(self) -> None:
        parts, self._parts, self._rows = self._parts, [], 0
        if not parts:  # nothing sent: an empty table, only to give the file its columns
            parts = [dict(whole_log([], {}).columns, row=np.zeros(0, dtype=np.int64))]
        # The parts are not put together into a whole log first: each column goes from the parts straight
        # into the kept rows' order, and is let go once gathered (a default run peaks 23 MB lower)
        order = np.argsort(_joined(parts, "row"), kind="stable")
        names = code_names(self._scenario)
        for part in _tables(parts, names, order, self._scenario, self._replication, self._rows_per_group):
            if len(part) or not self._written:  # an empty part only to give an empty file its columns
                self._file.write(part)
                self._written = True

    def close(self) -> Path:
        """Write what is left and put the file in place."""
        if self._parts or not self._written:
            self._flush()
        return self._file.close()

    def abort(self) -> None:
        """Discard the partial file (the run failed)."""
        self._file.abort()


def episodes_frame(table: EpisodeTable, scenario: Scenario, replication: int) -> pd.DataFrame:
    """The episode log as a tidy table: one row per NCTR episode, names instead of codes.

    Keeps the episodes that started before the horizon (and the warm-start census): at NCTR, or with
    the acute bed pool at the request for an acute bed, so an acute stay that began before the horizon
    is kept even if NCTR came in the cool-down. Episodes that started during the cool-down are left
    out, but the later steps of the kept ones are shown as the cool-down saw them. Adds
    ``replication``, ``delayed_days`` (NCTR to leaving the acute bed), ``delay_censored`` (still in
    the acute bed when the simulation stopped, at the end of the cool-down: the delay so far) and
    ``nctr_time`` (calendar timestamp of becoming NCTR).
    Names are ``string`` columns and ``flat_slot`` is ``Int64`` (missing where no flat was used).
    """
    import pyarrow as pa

    return pa.concat_tables(list(episodes_tables(table, scenario, replication))).to_pandas()


def episodes_frames(table: EpisodeTable, scenario: Scenario, replication: int,
                    rows_per_frame: int = ROWS_PER_GROUP) -> Iterator[pd.DataFrame]:
    """:func:`episodes_frame` in consecutive parts of at most ``rows_per_frame`` rows (at least one)."""
    for part in episodes_tables(table, scenario, replication, rows_per_frame):
        yield part.to_pandas()


def episodes_tables(table: EpisodeTable, scenario: Scenario, replication: int,
                    rows_per_table: int = ROWS_PER_GROUP) -> Iterator[Any]:
    """:func:`episodes_frame` as Arrow tables of at most ``rows_per_table`` rows (at least one).

    Built in Arrow, without pandas (five times faster, and no pandas to import), with the pandas
    metadata that gives pandas the frame's types back (:mod:`~flowsim.experiment.arrow_tables`).
    Memory holds one part at a time; :class:`~flowsim.experiment.io.ParquetParts` writes each as a row
    group of a file.
    """
    yield from _tables([dict(table.columns)], table.names, np.arange(len(table)), scenario, replication,
                       rows_per_table, let_go=False)


def _joined(parts: list[dict[str, np.ndarray]], name: str) -> np.ndarray:
    """Column ``name`` of the parts, one after another."""
    return parts[0][name] if len(parts) == 1 else np.concatenate([part[name] for part in parts])


def _tables(parts: list[dict[str, np.ndarray]], names: dict[str, tuple[str, ...]], order: np.ndarray,
            scenario: Scenario, replication: int, rows_per_table: int, let_go: bool = True) -> Iterator[Any]:
    """:func:`episodes_tables` of the log whose rows are those of ``parts`` one after another, taken in
    ``order``. With ``let_go``, each column is dropped from the parts once its last table has it."""
    # An episode starts when it asks for an acute bed (with the acute bed pool), else at NCTR: one that
    # asked before the horizon is kept even if it became NCTR in the cool-down (its bed-days count).
    nctr, request = _joined(parts, "nctr_day"), _joined(parts, "admission_request_day")
    kept = order[(np.where(np.isnan(request), nctr, request) < scenario.horizon_days)[order]]
    del nctr, request
    if len(parts) > 1 and kept.size > rows_per_table:  # several tables: the parts joined once, not per table
        parts[:] = [{name: _joined(parts, name) for name in parts[0]}]
    dtypes = dict(_episodes_columns())
    for first in range(0, max(kept.size, 1), rows_per_table):
        last = first + rows_per_table >= kept.size
        yield _episodes_part(parts, names, scenario, replication, kept[first:first + rows_per_table], dtypes,
                             let_go and last)


def _episodes_columns() -> list[tuple[str, str]]:
    """The episodes frame's columns, in order, and their pandas types."""
    types = {"c": "string", "n": "Int64", "i": "int64", "f": "float64"}
    logged = [(name, "bool" if name == "readmitted" else types[kind]) for name, kind in SCHEMA.items()]
    return [("replication", "int64"), *logged,
            ("delayed_days", "float64"), ("delay_censored", "bool"), ("nctr_time", "datetime64[us]")]


def _episodes_part(parts: list[dict[str, np.ndarray]], names: dict[str, tuple[str, ...]], scenario: Scenario,
                   replication: int, rows: np.ndarray, dtypes: dict[str, str], let_go: bool) -> Any:
    data: dict[str, Any] = {"replication": np.full(rows.size, replication, dtype=np.int64)}
    for name, kind in SCHEMA.items():
        column = _joined(parts, name).take(rows)  # (a quicker gather than joined[rows])
        if let_go:  # this table is the column's last: the parts' memory serves the next columns
            for part in parts:
                del part[name]
        if kind == "c":  # code -1: missing
            data[name] = arrow_tables.coded_text_array(column, names[name])
        elif kind == "n":  # -1: missing
            data[name] = arrow_tables.arrow_array(column, "Int64", missing=column < 0)
        else:  # the log's narrow integers become 64 bits, readmitted's 0/1 booleans (arrow_tables.table)
            data[name] = column
    nctr_day, leave_day = data["nctr_day"], data["acute_leave_day"]
    censored = ~np.isnan(nctr_day) & np.isnan(leave_day)
    data["delayed_days"] = np.where(censored, scenario.end_days, leave_day) - nctr_day
    data["delay_censored"] = censored
    # pandas' own day-to-timestamp conversion (and its rounding), as the frame always had it
    data["nctr_time"] = arrow_tables.days_to_timestamps(scenario.start_date, nctr_day)
    return arrow_tables.table(data, dtypes)


def census_table(metrics: RunMetrics, replication: int) -> Any:
    """Daily midnight series of one replication (NCTR census by pathway, occupied places by unit), as an
    Arrow table: ``replication``, ``date`` (midnight, ``datetime64[us]``), then the series."""
    census = metrics.census
    columns: dict[str, Any] = {"replication": np.full(len(census["date"]), replication, dtype=np.int64),
                               "date": np.asarray(census["date"]).astype("datetime64[us]")}
    columns |= {k: v for k, v in census.items() if k != "date"}
    return arrow_tables.arrays_table(columns)


def census_frame(metrics: RunMetrics, replication: int) -> pd.DataFrame:
    """:func:`census_table` as a frame (imports pandas)."""
    return census_table(metrics, replication).to_pandas()
