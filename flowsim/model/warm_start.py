"""Placing the initial census at time 0 (a warm start).

Patients already in a unit take a place and finish after a remaining stay: conditional on the days
already stayed when known, else drawn from the equilibrium residual (stationary-excess) distribution.
Patients already waiting go on from NCTR (``days`` ago) as any patient: once their arrangement time,
counted from NCTR, has passed, they join their pathway's queue (longest wait first among those ready
at the start). Their random numbers come
from ``warm_start/*`` streams, so a census never shifts another stream.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import numpy as np
import simpy

from flowsim.model.census import InitialCensus
from flowsim.model.draws import DRAWS, U_LOS
from flowsim.model.eventlog import CENSUS, EventLog
from flowsim.model.rng import UniformRows
from flowsim.model.scenario import PATHWAYS
from flowsim.model.services import Dispatcher, UnitState

__all__ = ["place_census"]

Process = Generator[simpy.Event, object, None]


def place_census(census: InitialCensus, env: simpy.Environment, dispatcher: Dispatcher, log: EventLog,
                 generator: Callable[[str], np.random.Generator], first_patient: int,
                 resume: Callable[[int, int, UnitState, float, list[float]], Process],
                 journey: Callable[[int, int, list[float]], Process]) -> int:
    """Put ``census`` in place and start its processes; return how many patients it holds.

    Parameters
    ----------
    census : InitialCensus
    env, dispatcher, log :
        The run's environment, dispatcher and event log.
    generator : callable
        ``generator(stream_name)`` of the run.
    first_patient : int
        Patient id of the first census patient.
    resume : callable
        ``resume(row, pathway, unit, remaining_days, draws)``: the rest of an in-unit patient's stay.
    journey : callable
        ``journey(row, pathway, draws)``: a waiting patient's journey from NCTR.
    """
    draws = UniformRows([generator(f"warm_start/{d}") for d in DRAWS])
    patient = first_patient
    by_name = {unit.name: unit for unit in dispatcher.units}
    for name, ages in census.in_units:
        unit = by_name[name]
        pathway = PATHWAYS.index(unit.pathways[0])
        for age in ages:
            u = draws.next()
            # Known age: condition on it. Unknown: the equilibrium residual (stationary excess).
            remaining = (unit.los.equilibrium_residual(u[U_LOS]) if age is None
                         else unit.los.residual(age, u[U_LOS]))
            start = 0.0 if age is None else 0.0 - age  # 0.0 - 0.0 is 0.0; -0.0 would be written as -0.0
            row = log.add(patient, 0, pathway, start, CENSUS)
            log.acute_leave_day[row] = log.unit_request_day[row] = log.unit_admit_day[row] = start
            log.unit[row] = unit.index
            log.unit_closed_wait_days[row] = 0.0
            dispatcher.occupy(unit)
            env.process(resume(row, pathway, unit, float(remaining), u))
            patient += 1
    waiting = [(0.0 - (age or 0.0), PATHWAYS.index(p)) for p, ages in census.waiting for age in ages]
    for nctr, pathway in sorted(waiting):  # longest wait first: FCFS among them
        u = draws.next()
        env.process(journey(log.add(patient, 0, pathway, nctr, CENSUS), pathway, u))
        patient += 1
    return patient - first_patient
