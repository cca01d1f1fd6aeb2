"""Housing during a run: fixes, coordinators' caseloads, and step-down flats with void turnaround.

A fix starts at NCTR after a referral delay. If a coordinator has room on their caseload the fix is
coordinated (its shorter duration applies) and holds that caseload place until done and then for a
follow-up time (visits at home after discharge); otherwise it waits for room (policy ``wait``) or
proceeds uncoordinated. Patients who would wait in acute for the fix take a free step-down flat if
they are eligible; from the flat they go home when the fix is done and their re-ablement stay is
over. A flat is empty for a void turnaround before the next occupant. Patients with no barrier may
be offered a free flat to regain skills (:mod:`flowsim.model.flat_stays`), and community referrals
(:mod:`flowsim.model.community`) use the same coordinators and flats.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from itertools import accumulate

import numpy as np
import simpy

from flowsim.model.eventlog import EventLog
from flowsim.model.housing import HousingSpec
from flowsim.model.rng import UniformStream
from flowsim.model.services import FCFSPool

__all__ = ["FlatGrant", "FlatPool", "HousingRuntime"]


FlatGrant = tuple[int, int]  # (scheme index, flat slot)


class FlatPool:
    """Step-down flats of every scheme: eligibility, FCFS queue, individual flats and voids."""

    def __init__(self, env: simpy.Environment, spec: HousingSpec, turnaround: UniformStream) -> None:
        self.env = env
        self.schemes = spec.flats
        self.free = [deque(range(s.capacity)) for s in spec.flats]
        self.queue: list[tuple[int, str | None, str, simpy.Event]] = []  # row, barrier, pathway, event
        self.patients = 0  # NCTR patients in flats now (voids and community referrals excluded)
        self._turnaround = turnaround

    def eligible(self, barrier: str, pathway: str) -> bool:
        """Whether any scheme would take this patient."""
        return any(s.capacity and s.accepts(barrier, pathway) for s in self.schemes)

    def take_free(self, barrier: str | None, pathway: str) -> FlatGrant | None:
        """A flat free now for this patient (nobody waiting for one may be passed over), or None."""
        for index, scheme in enumerate(self.schemes):
            if self.free[index] and scheme.accepts(barrier, pathway):
                return index, self.free[index].popleft()
        return None

    def request(self, row: int, barrier: str | None, pathway: str) -> simpy.Event:
        """Ask for a flat; the event's value is a :data:`FlatGrant`."""
        event = self.env.event()
        for index, scheme in enumerate(self.schemes):
            if self.free[index] and scheme.accepts(barrier, pathway):
                return event.succeed((index, self.free[index].popleft()))
        self.queue.append((row, barrier, pathway, event))
        return event

    def withdraw(self, event: simpy.Event) -> None:
        """Take back a request (the fix was done first); return the flat if it was just granted."""
        if event.triggered:
            self._vacant(*event.value)
            return
        self.queue = [entry for entry in self.queue if entry[3] is not event]

    def move_in(self) -> None:
        """Count a patient moving into a granted flat."""
        self.patients += 1

    def move_out(self, grant: FlatGrant, counted: bool = True) -> None:
        """The occupant leaves; the flat is void for a turnaround, then offered again.

        ``counted``: the occupant was an NCTR patient (not a community referral)."""
        self.patients -= counted
        index, slot = grant
        days = float(self.schemes[index].turnaround.ppf(self._turnaround.next()))
        self.env.timeout(days).callbacks.append(lambda _: self._vacant(index, slot))

    def _vacant(self, index: int, slot: int) -> None:
        scheme = self.schemes[index]
        for position, (_, barrier, pathway, event) in enumerate(self.queue):
            if scheme.accepts(barrier, pathway):
                del self.queue[position]
                event.succeed((index, slot))
                return
        self.free[index].append(slot)


class HousingRuntime:
    """Barriers, fixes and flats of one replication (inactive when housing is disabled)."""

    def __init__(self, env: simpy.Environment, spec: HousingSpec, log: EventLog,
                 turnaround: UniformStream, leave_acute: Callable[[int], None]) -> None:
        self.env = env
        self.spec = spec
        self.log = log
        self.leave_acute = leave_acute  # the model's hook: frees the acute bed when there is one
        self.coordinators = FCFSPool(env, spec.caseload_capacity)  # caseload places: FTE x cap
        self.flats = FlatPool(env, spec, turnaround)
        self.type_cum = list(accumulate(t.share for t in spec.types))
        if self.type_cum:
            self.type_cum[-1] = 1.0
        self.waiting_in_acute = 0  # P1 patients in acute waiting for a fix or a flat
        self.waiting_outside = 0  # moved on from a flat at its enforced maximum, waiting for a place
        self.offers = spec.offers_flats()  # flats for patients without a barrier
        self.effects = spec.outcome_effects
        self._fixing: set[int] = set()  # episodes (log slots) whose fix is running
        self._ended: set[int] = set()  # of those, episodes that have ended

    def barrier(self, u_barrier: float, u_type: float) -> int:
        """Barrier type code drawn at NCTR, or -1 for none."""
        if not self.spec.enabled or u_barrier >= self.spec.barrier_probability:
            return -1
        return next(i for i, c in enumerate(self.type_cum) if u_type < c)

    def barriers(self, u_barrier: np.ndarray, u_type: np.ndarray) -> np.ndarray:
        """:meth:`barrier` of many patients at once (the same codes, as an array)."""
        if not self.spec.enabled:
            return np.full(u_barrier.size, -1, dtype=np.int64)
        kind = np.searchsorted(np.asarray(self.type_cum), u_type, side="right")  # first c > u
        return np.where(u_barrier < self.spec.barrier_probability, kind, -1)

    def holds_record(self, row: int) -> bool:
        """Whether a fix still running keeps the ended episode of ``row`` open (it finishes it)."""
        if row in self._fixing:
            self._ended.add(row)
            return True
        return False

    def start_fix(self, row: int, barrier: int, u_referral: float, u_fix: float,
                  u_follow_up: float = 0.0) -> simpy.Event:
        """Start fixing the home of ``row``; the returned event fires when the fix is done."""
        self._fixing.add(row)
        done = self.env.event()
        self.env.process(self._fix(row, barrier, u_referral, u_fix, done, u_follow_up))
        return done

    def offer_flat(self, pathway: str, u_offer: float) -> FlatGrant | None:
        """A free flat for a patient on ``pathway`` with no barrier, if a scheme offers them one."""
        for scheme in self.spec.flats:
            if u_offer < scheme.offer_share(pathway):
                return self.flats.take_free(None, pathway)
        return None

    def readmission_factor(self, row: int) -> float:
        """Factor on the readmission chance of ``row`` from the schemes that served it."""
        factor = 1.0
        if self.spec.flats and self.log.flat[row] >= 0:
            factor *= self.spec.flats[int(self.log.flat[row])].readmission_factor
        if self.log.fix_route[row] == 1:
            factor *= self.spec.readmission_factor
        return factor

    def _fix(self, row: int, barrier: int, u_referral: float, u_fix: float,
             done: simpy.Event, u_follow_up: float) -> Generator[simpy.Event, object, None]:
        env, log, spec = self.env, self.log, self.spec
        yield env.timeout(float(spec.referral_delay.ppf(u_referral)))
        log.fix_referred_day[row] = env.now
        coordinated = self.coordinators.take()
        if not coordinated and spec.when_full == "wait" and self.coordinators.capacity > 0:
            yield self.coordinators.wait()
            coordinated = True
        log.fix_start_day[row] = env.now
        log.fix_route[row] = int(coordinated)
        kind = spec.types[barrier]
        fix = kind.fix_coordinated if coordinated else kind.fix_uncoordinated
        yield env.timeout(float(fix.ppf(u_fix)))
        log.fix_done_day[row] = env.now
        # a coordinator keeps the case for a follow-up after the fix (visits at home)
        follow_up = float(spec.follow_up.ppf(u_follow_up)) if coordinated else 0.0
        if follow_up > 0:
            done.succeed()
            yield env.timeout(follow_up)
        log.case_closed_day[row] = env.now
        self._fixing.discard(row)
        if row in self._ended:  # the episode ended before its case closed: its record is complete now
            self._ended.discard(row)
            log.finish(row)
        if coordinated:
            self.coordinators.release()
        if not done.triggered:
            done.succeed()

    def wait_in_acute(self, row: int, barrier: int, pathway: str, fix_done: simpy.Event
                      ) -> Generator[simpy.Event, object, FlatGrant | None]:
        """Wait in the acute bed until the fix is done or a flat is granted (returned)."""
        if fix_done.triggered:
            return None
        name = self.spec.types[barrier].name
        if not self.flats.eligible(name, pathway):
            yield fix_done
            return None
        request = self.flats.request(row, name, pathway)
        yield fix_done | request
        if fix_done.triggered:
            self.flats.withdraw(request)
            return None
        return request.value

    def stay_in_flat(self, row: int, grant: FlatGrant, fix_done: simpy.Event | None, u_reablement: float,
                     deadline: simpy.Event | None = None) -> Generator[simpy.Event, object, bool]:
        """Move into a flat and stay until the fix (if any) is done and the re-ablement stay is over,
        or until ``deadline`` (an enforced maximum stay); return whether the stay ran its course."""
        env, log = self.env, self.log
        index, slot = grant
        self.flats.move_in()
        log.flat[row] = index
        log.flat_slot[row] = slot
        log.flat_admit_day[row] = env.now
        self.leave_acute(row)
        reablement = env.timeout(float(self.flats.schemes[index].reablement.ppf(u_reablement)))
        ready = reablement if fix_done is None else fix_done & reablement
        if deadline is None:
            yield ready
            return True
        yield ready | deadline
        return ready.processed

    def leave_flat(self, row: int, grant: FlatGrant) -> None:
        """The patient leaves their flat now."""
        self.log.flat_leave_day[row] = self.env.now
        self.flats.move_out(grant)
