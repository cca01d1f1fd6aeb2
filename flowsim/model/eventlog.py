"""The record of a run: one row per NCTR episode, with the time of each step.

An *episode* starts when a patient becomes discharge ready (NCTR) and ends when they leave the last
service of that episode (home, care home, death, or back to acute). A readmitted patient starts a new
episode with the same ``patient`` id and ``episode`` + 1. Each row records its ``origin``: a new
arrival, a readmission, or a patient of the initial census (already in a unit or already waiting
when the run started: not a new NCTR episode, nor an admission). Times of steps that had not happened
when the run stopped (the horizon plus any cool-down) are missing (NaN).

The model writes typed numpy columns, one reusable slot per episode in progress; finished records
leave in parts (to the measures, and to a file), so memory holds the episodes in progress however
long the run. Records complete from the start (P0 discharges computed in bulk) never pass through
Python objects.
Columns a scenario cannot write (the acute module's when it is off, flats' when there are none) are
not stored at all and read back as their "not reached" value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from flowsim.model.scenario import AFTER_P2_OUTCOMES, PATHWAYS, Scenario

__all__ = ["FINAL_OUTCOMES", "ORIGINS", "EpisodeTable", "EventLog", "code_names", "unused_columns",
           "whole_log"]

FINAL_OUTCOMES = ("home", "care_home", "death", "readmission")
# Where an episode came from; codes of the ``origin`` column.
ORIGINS = ("arrival", "readmission", "census")
ARRIVAL, READMISSION, CENSUS = range(len(ORIGINS))

# Column name -> kind: "f" float days (NaN = not reached), "i" integer (0 default), "c" code into a
# name table (-1 = none), "n" integer id (-1 = none).
SCHEMA: dict[str, str] = {
    "patient": "i",
    "episode": "i",
    "origin": "c",
    "pathway": "c",
    "admission_request_day": "f",
    "admission_day": "f",
    "nctr_day": "f",
    "acute_leave_day": "f",
    "unit": "c",
    "unit_request_day": "f",
    "unit_admit_day": "f",
    "unit_closed_wait_days": "f",
    "service_end_day": "f",
    "unit_leave_day": "f",
    "after_p2": "c",
    "p2_stays": "i",
    "onward_unit": "c",
    "onward_admit_day": "f",
    "onward_closed_wait_days": "f",
    "onward_leave_day": "f",
    "outcome": "c",
    "end_day": "f",
    "readmitted": "i",
    "barrier": "c",
    "fix_route": "c",
    "fix_referred_day": "f",
    "fix_start_day": "f",
    "fix_done_day": "f",
    "flat": "c",
    "flat_slot": "n",
    "flat_admit_day": "f",
    "flat_leave_day": "f",
    "case_closed_day": "f",
}
_DEFAULT = {"f": float("nan"), "i": 0, "c": -1, "n": -1}
# Storage type of each column while the model writes it: the narrowest that holds every value a run
# can write (codes index name tables; code_names is checked against these). Readers see numbers, and
# tables written to files are cast back to 64 bits, so the narrow types never show.
_DTYPES: dict[str, type] = {name: np.float64 for name, kind in SCHEMA.items() if kind == "f"} | {
    "patient": np.int64, "episode": np.int32, "origin": np.int8, "pathway": np.int8,
    "unit": np.int16, "after_p2": np.int8, "p2_stays": np.int32, "onward_unit": np.int16,
    "outcome": np.int8, "readmitted": np.int8, "barrier": np.int16, "fix_route": np.int8,
    "flat": np.int16, "flat_slot": np.int32,
}
FIX_ROUTES = ("uncoordinated", "coordinated")
_ACUTE_COLUMNS = ("admission_request_day", "admission_day")
_HOUSING_COLUMNS = ("fix_route", "fix_referred_day", "fix_start_day", "fix_done_day", "case_closed_day")
_FLAT_COLUMNS = ("flat", "flat_slot", "flat_admit_day", "flat_leave_day")
_MIN_GROWTH = 4096  # rows added at least per growth step


class EventLog:
    """The episodes in progress, in reusable slots; finished records leave in parts.

    Each episode in progress holds a *slot*: a position in typed numpy columns (one per
    :data:`SCHEMA` name). Set a step with ``log.<column>[slot] = value``. When its record is complete
    (:meth:`finish`), the slot joins a batch; a full batch goes to ``sink`` as one part (an
    :class:`EpisodeTable` with a ``row`` column: the episode's place in the whole log, in order of
    creation) and its slots are reused. Memory so holds the episodes in progress, whatever the
    horizon. :meth:`close` sends the rest (episodes still in progress at the end included).

    Do not keep a column across an :meth:`add` (growing replaces the arrays): read it from the log
    each time.

    Parameters
    ----------
    names : dict
        Name table of each coded column (:func:`code_names`); checked to fit the column types.
    sink : callable
        Called with each part; parts come in no particular order of rows.
    unused : iterable of str
        Columns the run never writes (:func:`unused_columns`): not stored, read back as "not reached".
    part_rows : int
        Finished records sent together.
    """

    __slots__ = (*SCHEMA, "row", "_capacity", "_free", "_done", "_sink", "_unused", "_names",
                 "_next_row", "_part_rows", "rows_out", "ended_out", "p0_open_out")

    def __init__(self, names: dict[str, tuple[str, ...]], sink: Callable[[EpisodeTable], None],
                 unused: tuple[str, ...] = (), part_rows: int = 4096) -> None:
        for column, table in names.items():
            if len(table) > np.iinfo(_DTYPES[column]).max:
                raise ValueError(f"{len(table)} names for {column!r}: at most "
                                 f"{np.iinfo(_DTYPES[column]).max}")
        self._names = names
        self._sink = sink
        self._unused = frozenset(unused)
        self._part_rows = part_rows
        self._capacity = 0
        self._free: list[int] = []
        self._done: list[int] = []
        self._next_row = 0
        self.row = np.full(0, -1, dtype=np.int64)  # -1: a free slot
        for name in SCHEMA:
            setattr(self, name, None if name in self._unused else _empty(name, 0))
        # what has gone out: rows, ended episodes, P0 episodes still in their admin delay
        self.rows_out = self.ended_out = self.p0_open_out = 0

    def __len__(self) -> int:
        """Episodes in progress or finished but not yet sent."""
        return self._capacity - len(self._free)

    def _grow(self) -> None:
        capacity = self._capacity + max(self._capacity // 2, _MIN_GROWTH)
        for name in (*SCHEMA, "row"):
            old = getattr(self, name)
            if old is None:
                continue
            grown = _empty(name, capacity) if name != "row" else np.full(capacity, -1, dtype=np.int64)
            grown[:self._capacity] = old
            setattr(self, name, grown)
        self._free.extend(range(capacity - 1, self._capacity - 1, -1))  # lowest slot first
        self._capacity = capacity

    def reserve_rows(self, rows: int) -> None:
        """Rows ``0 .. rows - 1`` are given explicitly (:meth:`add` with ``row``); later ones count on."""
        self._next_row = max(self._next_row, rows)

    def add(self, patient: int, episode: int, pathway: int, nctr_day: float, origin: int,
            row: int | None = None) -> int:
        """Start recording an episode; return its slot.

        ``row`` is the episode's place in the whole log (default: the next after every row so far).
        """
        if not self._free:
            self._grow()
        slot = self._free.pop()
        if row is None:
            row, self._next_row = self._next_row, self._next_row + 1
        self.row[slot] = row
        self.patient[slot] = patient
        self.episode[slot] = episode
        self.pathway[slot] = pathway
        self.nctr_day[slot] = nctr_day
        self.origin[slot] = origin
        return slot

    def finish(self, slot: int) -> None:
        """The record of ``slot`` is complete: it leaves with the next part, and the slot is reused."""
        self._done.append(slot)
        if len(self._done) >= self._part_rows:
            self._send(np.array(self._done, dtype=np.int64))
            self._free.extend(self._done)
            self._done.clear()

    def add_finished(self, columns: dict[str, np.ndarray]) -> None:
        """Send many complete records at once (columns not given: "not reached"); ``row`` required."""
        n = len(columns["row"])
        part = {name: np.asarray(columns[name], dtype=_DTYPES[name]) if name in columns
                else np.broadcast_to(_empty(name, 1), (n,)) for name in SCHEMA}
        part["row"] = np.asarray(columns["row"], dtype=np.int64)
        if n:
            self.reserve_rows(int(part["row"].max()) + 1)
        self._emit(part)

    def in_use(self) -> np.ndarray:
        """Slots of the episodes in progress (and of finished records not yet sent)."""
        return np.flatnonzero(self.row >= 0)

    def close(self) -> None:
        """Send every record left, finished or not (episodes in progress when the run stopped)."""
        finished = set(self._done)
        rest = [slot for slot in self.in_use().tolist() if slot not in finished]
        self._send(np.array([*self._done, *rest], dtype=np.int64))
        self._done.clear()
        self._free = list(range(self._capacity - 1, -1, -1))

    def _send(self, slots: np.ndarray) -> None:
        if not slots.size:
            return
        part: dict[str, np.ndarray] = {}
        for name in SCHEMA:
            column = getattr(self, name)
            if column is None:
                part[name] = np.broadcast_to(_empty(name, 1), (slots.size,))
            else:
                part[name] = column[slots]
                column[slots] = _DEFAULT[SCHEMA[name]]  # ready for the slots' next episodes
        part["row"] = self.row[slots]
        self.row[slots] = -1
        self._emit(part)

    def _emit(self, part: dict[str, np.ndarray]) -> None:
        self.rows_out += part["row"].size
        self.ended_out += int(np.count_nonzero(~np.isnan(part["end_day"])))
        self.p0_open_out += int(np.count_nonzero((part["pathway"] == 0) & np.isnan(part["acute_leave_day"])))
        self._sink(EpisodeTable(part, self._names))


def whole_log(parts: list[EpisodeTable], names: dict[str, tuple[str, ...]]) -> EpisodeTable:
    """The parts of a run's log put together in the order of their rows (without the ``row`` column)."""
    if not parts:
        return EpisodeTable({name: _empty(name, 0) for name in SCHEMA}, names)
    order = np.argsort(np.concatenate([part["row"] for part in parts]), kind="stable")
    columns = {}
    for name in SCHEMA:
        values = np.concatenate([part[name] for part in parts])
        columns[name] = values.take(order)  # take: a quicker gather than values[order], the same values
    return EpisodeTable(columns, names)


def _empty(name: str, rows: int) -> np.ndarray:
    return np.full(rows, _DEFAULT[SCHEMA[name]], dtype=_DTYPES[name])


def unused_columns(scenario: Scenario) -> tuple[str, ...]:
    """Columns a run of ``scenario`` never writes: the acute module's when it is off, housing's."""
    unused: list[str] = []
    if not scenario.acute.enabled:
        unused += _ACUTE_COLUMNS
    if not scenario.housing.enabled:
        unused += _HOUSING_COLUMNS
    if not scenario.housing.enabled or not scenario.housing.flats:
        unused += _FLAT_COLUMNS
    return tuple(unused)


@dataclass(frozen=True)
class EpisodeTable:
    """The finished log: numpy columns plus the names behind each coded column."""

    columns: dict[str, np.ndarray]
    names: dict[str, tuple[str, ...]]  # coded column -> names indexed by code

    def __len__(self) -> int:
        return len(self.columns["patient"])

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def code(self, column: str, name: str) -> int:
        """Code of ``name`` in coded ``column`` (e.g. ``code("pathway", "P2")``)."""
        return self.names[column].index(name)

    def decoded(self, column: str) -> np.ndarray:
        """Coded column as an object array of names, ``None`` where there is none."""
        table = np.array([*self.names[column], None], dtype=object)
        return table[self.columns[column]]  # code -1 picks the trailing None


class ConservationError(RuntimeError):
    """Patients were created or lost: a bug in the model, never a user error."""


@dataclass(frozen=True)
class RunResult:
    """What one replication produced."""

    scenario: Scenario
    replication: int
    episodes: EpisodeTable | None  # None when the log went to a sink part by part
    patients_arrived: int
    patients_left: int
    patients_in_system: int
    episodes_in_progress: int
    # unit name -> change points (time, open, capacity) for units whose availability varies
    availability: dict[str, list[tuple[float, bool, int]]] = field(default_factory=dict)
    # community referrals to the housing coordinators and flats (flowsim.model.community), if any
    community: dict[str, np.ndarray] | None = None


def code_names(scenario: Scenario) -> dict[str, tuple[str, ...]]:
    """The name table of each code column of a run of ``scenario`` (for :meth:`EventLog.freeze`)."""
    units = tuple(u.name for u in scenario.units)
    return {
        "pathway": PATHWAYS,
        "unit": units,
        "onward_unit": units,
        "after_p2": AFTER_P2_OUTCOMES,
        "outcome": FINAL_OUTCOMES,
        "barrier": scenario.housing.type_names,
        "fix_route": FIX_ROUTES,
        "flat": tuple(f.name for f in scenario.housing.flats),
        "origin": ORIGINS,
    }
