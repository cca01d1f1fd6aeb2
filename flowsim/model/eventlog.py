"""The record of a run: one row per NCTR episode, with the time of each step.

An *episode* starts when a patient becomes discharge ready (NCTR) and ends when they leave the last
service of that episode (home, care home, death, or back to acute). A readmitted patient starts a new
episode with the same ``patient`` id and ``episode`` + 1. Each row records its ``origin``: a new
arrival, a readmission, or a patient of the initial census (already in a unit or already waiting
when the run started: not a new NCTR episode, nor an admission). Times of steps that had not happened
when the run stopped (the horizon plus any cool-down) are missing (NaN).

The model writes typed numpy columns, grown in chunks: a row costs ~190 bytes however long the run,
and bulk rows (every external arrival, added at the start) never pass through Python objects.
Columns a scenario cannot write (the acute module's when it is off, flats' when there are none) are
not stored at all and read back as their "not reached" value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from flowsim.model.scenario import AFTER_P2_OUTCOMES, PATHWAYS, Scenario

__all__ = ["FINAL_OUTCOMES", "ORIGINS", "EpisodeTable", "EventLog", "code_names", "unused_columns"]

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
_HOUSING_COLUMNS = ("fix_route", "fix_referred_day", "fix_start_day", "fix_done_day")
_FLAT_COLUMNS = ("flat", "flat_slot", "flat_admit_day", "flat_leave_day")
_MIN_GROWTH = 4096  # rows added at least per growth step


class EventLog:
    """Column store the model appends episodes to. Codes of -1 mean "none" and become nulls.

    Each column is a numpy array with room for more rows than are in use; set a step of an episode
    with ``log.<column>[row] = value``. Do not keep a column across an :meth:`add` (growing replaces
    the arrays): read it from the log each time.

    Parameters
    ----------
    names : dict, optional
        Name table of each coded column (:func:`code_names`); checked to fit the column types.
    unused : iterable of str
        Columns the run never writes (:func:`unused_columns`): not stored, read back as "not reached".
    """

    __slots__ = (*SCHEMA, "_rows", "_capacity", "_unused")

    def __init__(self, names: dict[str, tuple[str, ...]] | None = None,
                 unused: tuple[str, ...] = ()) -> None:
        for column, table in (names or {}).items():
            if len(table) > np.iinfo(_DTYPES[column]).max:
                raise ValueError(f"{len(table)} names for {column!r}: at most "
                                 f"{np.iinfo(_DTYPES[column]).max}")
        self._unused = frozenset(unused)
        self._rows = self._capacity = 0
        for name in SCHEMA:
            setattr(self, name, None if name in self._unused else _empty(name, 0))

    def __len__(self) -> int:
        return self._rows

    def _reserve(self, more: int) -> None:
        """Make room for ``more`` rows: grow every column by at least an eighth."""
        needed = self._rows + more
        if needed <= self._capacity:
            return
        capacity = max(needed, self._capacity + self._capacity // 8 + _MIN_GROWTH)
        for name in SCHEMA:
            if name not in self._unused:
                grown = _empty(name, capacity)
                grown[:self._rows] = getattr(self, name)[:self._rows]
                setattr(self, name, grown)
        self._capacity = capacity

    def add(self, patient: int, episode: int, pathway: int, nctr_day: float, origin: int) -> int:
        """Append a new episode and return its row index."""
        row = self._rows
        if row == self._capacity:
            self._reserve(1)
        self.patient[row] = patient
        self.episode[row] = episode
        self.pathway[row] = pathway
        self.nctr_day[row] = nctr_day
        self.origin[row] = origin
        self._rows = row + 1
        return row

    def add_many(self, columns: dict[str, np.ndarray]) -> None:
        """Append many episodes at once; columns not given take their "not reached" value.

        Room for an eighth more rows is made at the same time (readmissions, census), so a run that
        starts with its external arrivals rarely grows later.
        """
        n = len(columns["patient"])
        self._reserve(n + n // 8)
        rows = slice(self._rows, self._rows + n)
        for name, values in columns.items():
            if name not in self._unused:
                getattr(self, name)[rows] = values
        self._rows += n

    def freeze(self, names: dict[str, tuple[str, ...]]) -> EpisodeTable:
        """The finished table, keeping the name tables needed to decode codes.

        Columns are trimmed to the rows in use, one at a time (the log gives each up as it goes, so
        memory never holds two copies of the log); the log is empty afterwards.
        """
        arrays = {}
        for name in SCHEMA:
            column = getattr(self, name)
            if column is None:  # never written: a read-only view of the default, no memory
                arrays[name] = np.broadcast_to(_empty(name, 1), (self._rows,))
            else:
                arrays[name] = column[:self._rows].copy()
                setattr(self, name, _empty(name, 0))
        self._rows = self._capacity = 0
        return EpisodeTable(arrays, names)


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
    episodes: EpisodeTable
    patients_arrived: int
    patients_left: int
    patients_in_system: int
    episodes_in_progress: int
    # unit name -> change points (time, open, capacity) for units whose availability varies
    availability: dict[str, list[tuple[float, bool, int]]] = field(default_factory=dict)


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
