"""A block of new patients sorted at arrival: P0 discharges computed at once, the rest to simulate.

P0 patients with no housing barrier need no shared capacity, so their discharge time is computed,
not simulated (unless the acute module is on: then they hold an acute bed others may be waiting
for). This module works out, for a block of new patients and their uniforms, the complete records
of those discharges, the readmissions they lead to, and who is left to simulate. It touches no
SimPy state: :mod:`flowsim.model.journey` records and schedules what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowsim.model.draws import (
    END_HOME,
    P0,
    U_ADMIN,
    U_CLIN,
    U_PATHWAY,
    U_RDELAY,
    U_READMIT,
)
from flowsim.model.eventlog import ARRIVAL
from flowsim.model.scenario import Scenario

__all__ = ["SortedBlock", "sort_block"]


@dataclass(frozen=True)
class SortedBlock:
    """What :func:`sort_block` made of a block of new patients."""

    records: dict[str, np.ndarray] | None  # complete records of the P0 discharges (None: none)
    left: int  # patients who left for good (P0 discharged, not readmitted)
    readmissions: list[tuple[int, float, float]]  # (patient, return day, clinical stay days)
    rows: np.ndarray  # the patients to simulate: their rows (and ids), pathways and barriers
    pathways: np.ndarray
    barriers: np.ndarray


def sort_block(scenario: Scenario, pathway_cum: np.ndarray, barriers: np.ndarray, times: np.ndarray,
               first: int, u: np.ndarray) -> SortedBlock:
    """Sort a block of new patients into P0 discharges and patients to simulate.

    Parameters
    ----------
    scenario : Scenario
    pathway_cum : numpy.ndarray
        Cumulative pathway shares (P0..P3).
    barriers : numpy.ndarray
        Each patient's housing barrier code (-1: none).
    times : numpy.ndarray
        The block's arrival times, in order; ``first`` is the row (and id) of its first patient.
    u : numpy.ndarray
        The block's uniforms, rows as :data:`~flowsim.model.draws.DRAWS`.
    """
    s = scenario
    pathway = np.minimum(np.searchsorted(pathway_cum, u[U_PATHWAY], side="right"), 3)
    p0 = (pathway == P0) & (barriers < 0) & (not s.acute.enabled)
    leave = np.where(p0, times + s.p0_delay_days(u[U_ADMIN]), np.nan)
    done = p0 & (leave < s.end_days)
    readmit = done & (u[U_READMIT] < s.readmission_probability[P0])
    rows = np.arange(first, first + times.size)
    mine = np.flatnonzero(p0)
    records = None
    if mine.size:
        left = np.where(done, leave, np.nan)[mine]
        records = {
            "row": rows[mine], "patient": rows[mine], "episode": np.zeros(mine.size),
            "origin": np.full(mine.size, ARRIVAL), "pathway": pathway[mine], "nctr_day": times[mine],
            "acute_leave_day": left, "end_day": left, "outcome": np.where(done[mine], END_HOME, -1),
            "barrier": barriers[mine], "readmitted": readmit[mine],
        }
    again = np.flatnonzero(readmit)
    returns = leave[again] + s.time_to_readmission.ppf(u[U_RDELAY][again])
    clinical = s.readmission_clinical_los.ppf(u[U_CLIN][again])
    simulated = ~p0
    return SortedBlock(
        records=records,
        left=int(np.count_nonzero(done & ~readmit)),
        readmissions=list(zip(rows[again].tolist(), returns.tolist(), clinical.tolist(), strict=True)),
        rows=rows[simulated], pathways=pathway[simulated], barriers=barriers[simulated],
    )
