"""The record of a run: one row per NCTR episode, with the time of each step.

An *episode* starts when a patient becomes discharge ready (NCTR) and ends when they leave the last
service of that episode (home, care home, death, or back to acute). A readmitted patient starts a new
episode with the same ``patient`` id and ``episode`` + 1. Each row records its ``origin``: a new
arrival, a readmission, or a patient of the initial census (already in a unit or already waiting
when the run started: not a new NCTR episode, nor an admission). Times of steps that had not happened
when the run stopped (the horizon plus any cool-down) are missing (NaN).

The model writes plain Python lists (cheap to append to and to set by index); tables are built once,
after the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from flowsim.model.scenario import AFTER_P2_OUTCOMES, PATHWAYS, Scenario

__all__ = ["FINAL_OUTCOMES", "ORIGINS", "EpisodeTable", "EventLog", "code_names"]

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
FIX_ROUTES = ("uncoordinated", "coordinated")


class EventLog:
    """Column store the model appends episodes to. Codes of -1 mean "none" and become nulls."""

    __slots__ = tuple(SCHEMA)

    def __init__(self) -> None:
        for name in SCHEMA:
            setattr(self, name, [])

    def __len__(self) -> int:
        return len(self.patient)

    def add(self, patient: int, episode: int, pathway: int, nctr_day: float, origin: int) -> int:
        """Append a new episode and return its row index."""
        given = {"patient": patient, "episode": episode, "pathway": pathway, "nctr_day": nctr_day,
                 "origin": origin}
        for name, kind in SCHEMA.items():
            getattr(self, name).append(given.get(name, _DEFAULT[kind]))
        return len(self.patient) - 1

    def add_many(self, columns: dict[str, np.ndarray]) -> None:
        """Append many episodes at once; columns not given take their "not reached" value."""
        n = len(columns["patient"])
        for name, kind in SCHEMA.items():
            if name in columns:
                getattr(self, name).extend(np.asarray(columns[name]).tolist())
            else:
                getattr(self, name).extend([_DEFAULT[kind]] * n)

    def freeze(self, names: dict[str, tuple[str, ...]]) -> EpisodeTable:
        """Convert to numpy arrays, keeping the name tables needed to decode codes."""
        arrays = {}
        for name, kind in SCHEMA.items():
            dtype = float if kind == "f" else np.int64
            arrays[name] = np.asarray(getattr(self, name), dtype=dtype)
        return EpisodeTable(arrays, names)


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
