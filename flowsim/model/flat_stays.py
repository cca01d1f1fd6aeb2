"""A patient's stay in a step-down flat, and where they go from it.

A patient comes to a flat from their acute bed: while their home is fixed (a housing barrier), or,
with no barrier, to regain skills and confidence before going home (Heatherstones Court, Roseberry
Mansions) if a scheme offers them a flat and one is free when they become NCTR. They stay until the
fix is done and their re-ablement stay is over. Then they go home (P0), home with their care package
(P1), or, for a P3 patient, to a care home unless the scheme avoided it (home with a P1 package
instead). They wait in the flat for that place.

A scheme may enforce its maximum stay: then the occupant leaves when it is reached, whatever is still
pending, to a *move-on* destination drawn from the scheme's shares (home, a P1 package, or a care
home); a patient still waiting for a place when the maximum is reached waits for it outside the flat
(at home with informal support, or in a bed bought for the purpose), not in an acute bed.
"""

from __future__ import annotations

import bisect
from collections.abc import Generator
from typing import TYPE_CHECKING

import simpy

from flowsim.model.draws import (
    END_CARE_HOME,
    END_HOME,
    P0,
    P1,
    P3,
    U_ADMIN,
    U_EFFECT,
    U_LOS,
    U_MOVE_ON,
    U_REABLE,
    cumulative_shares,
)
from flowsim.model.housing import MOVE_ON
from flowsim.model.housing_runtime import FlatGrant
from flowsim.model.services import UnitState

if TYPE_CHECKING:
    from flowsim.model.journey import _Run

__all__ = ["FlatStays"]


class FlatStays:
    """The flat part of the journeys of one replication (see the module docstring)."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.move_on_cum = [cumulative_shares(s.move_on) for s in run.scenario.housing.flats]

    def p0_with_barrier(self, row: int, u, barrier: int, fix_done: simpy.Event
                        ) -> Generator[simpy.Event, object, None]:
        """A P0 patient whose home needs a fix: in acute until it is done, or in a flat."""
        run = self.run
        env = run.env
        admin_end = float(run.log.nctr_day[row]) + float(run.scenario.p0_delay_days(u[U_ADMIN]))
        grant = yield from run.housing.wait_in_acute(row, barrier, "P0", fix_done)
        if grant is not None:
            yield from self.stay(row, P0, u, grant, fix_done)
            return
        if env.now < admin_end:
            yield env.timeout(admin_end - env.now)
        run.leave_acute(row)
        run.end_episode(row, env.now, END_HOME, P0, u)

    def p1(self, row: int, u, barrier: int, fix_done: simpy.Event | None
           ) -> Generator[simpy.Event, object, None]:
        """A P1 patient: in acute until their home is fixed or a flat is free; then the package."""
        run, housing, grant = self.run, self.run.housing, None
        if fix_done is not None and not fix_done.triggered:
            housing.waiting_in_acute += 1
            grant = yield from housing.wait_in_acute(row, barrier, "P1", fix_done)
            housing.waiting_in_acute -= 1
        if grant is not None:
            yield from self.stay(row, P1, u, grant, fix_done)
            return
        unit = yield from run._admit(row, "P1", u)
        yield run.env.timeout(float(unit.los.ppf(u[U_LOS])))
        run._discharge(row, unit, END_HOME, P1, u)

    def stay(self, row: int, pathway: int, u, grant: FlatGrant, fix_done: simpy.Event | None
             ) -> Generator[simpy.Event, object, None]:
        """From moving into the flat of ``grant`` to the end of the episode."""
        run, housing = self.run, self.run.housing
        env = run.env
        scheme = housing.flats.schemes[grant[0]]
        deadline = env.timeout(scheme.max_stay_days) if scheme.enforce_max_stay else None
        ran_course = yield from housing.stay_in_flat(row, grant, fix_done, u[U_REABLE], deadline)
        if not ran_course:
            onward = MOVE_ON[min(bisect.bisect_right(self.move_on_cum[grant[0]], u[U_MOVE_ON]), 2)]
        elif pathway == P3:
            onward = "P1" if u[U_EFFECT] < scheme.p3_avoided_share else "P3"
        else:
            onward = "home" if pathway == P0 else "P1"
        if onward == "home":
            housing.leave_flat(row, grant)
            run.end_episode(row, env.now, END_HOME, pathway, u)
            return
        if deadline is None:
            unit = yield from run._admit(row, onward, u, holding=grant)
            housing.leave_flat(row, grant)
        else:
            unit = yield from self._onward_by(row, onward, grant, deadline)
        stay_days = float(unit.los.ppf(u[U_LOS]))
        if onward == "P1":
            stay_days *= scheme.p1_los_factor
        yield env.timeout(stay_days)
        run._discharge(row, unit, END_HOME if onward == "P1" else END_CARE_HOME, pathway, u)

    def _onward_by(self, row: int, onward: str, grant: FlatGrant, deadline: simpy.Event
                   ) -> Generator[simpy.Event, object, UnitState]:
        """A place on ``onward``: waited for in the flat until ``deadline``, then outside it."""
        run, housing = self.run, self.run.housing
        env, log, dispatcher = run.env, run.log, run.dispatcher
        log.unit_request_day[row] = env.now
        unit, closed_wait, outside = dispatcher.take(onward), 0.0, False
        if unit is None:
            request = dispatcher.wait(row, onward, holding=grant)  # holds a flat, not an acute bed
            yield request | deadline
            if not request.triggered:  # the maximum stay is reached: wait outside the flat
                housing.leave_flat(row, grant)
                outside = True
                housing.waiting_outside += 1
                yield request
                housing.waiting_outside -= 1
            unit = request.value
            closed_wait = dispatcher.closed_wait.pop(row)
        log.unit_closed_wait_days[row] = closed_wait
        if not outside:
            housing.leave_flat(row, grant)
        log.unit[row] = unit.index
        log.unit_admit_day[row] = env.now
        return unit
