"""Service capacity and who gets the next free place.

A *unit* is a pool of places (P1 packages, P2 beds, P3 placements) with a capacity. Patients needing a
pathway try the units serving it in preference order and take the first free place; if none is free
they join that pathway's queue, first come first served, and wait where they are (an acute bed, or a
P2 bed when waiting for onward care). When a place frees, the unit offers it to the longest-waiting
patient at the head of the queues of the pathways it serves. A unit closed to admissions (outside
its calendar, or in an outbreak) keeps its free places until it opens; the wait a patient spends
while a place stood free but the unit was closed is recorded as the *closed wait*.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Sequence

import numpy as np
import simpy

from flowsim.model.availability import timeline
from flowsim.model.distributions import Distribution
from flowsim.model.scenario import Scenario, UnitSpec

__all__ = ["Dispatcher", "FCFSPool", "UnitState", "start_availability"]


class FCFSPool:
    """A counted pool of places granted first come first served (acute beds, coordinator caseloads)."""

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.env = env
        self.capacity = capacity
        self.in_use = 0
        self.queue: deque[simpy.Event] = deque()

    def take(self) -> bool:
        """Take a place now if one is free and nobody is queued."""
        if self.in_use < self.capacity and not self.queue:
            self.in_use += 1
            return True
        return False

    def wait(self) -> simpy.Event:
        """Queue for the next free place."""
        event = self.env.event()
        self.queue.append(event)
        return event

    def release(self) -> None:
        """Free a place; the longest-waiting request gets it."""
        if self.queue:
            self.queue.popleft().succeed()  # the place passes straight on
        else:
            self.in_use -= 1


class UnitState:
    """Live state of one unit during a run."""

    __slots__ = ("capacity", "free_since", "index", "los", "name", "occupied", "open", "pathways", "queues")

    def __init__(self, index: int, spec: UnitSpec) -> None:
        self.index = index
        self.name = spec.name
        self.capacity = spec.capacity
        self.los: Distribution = spec.los
        self.pathways = spec.pathways
        self.occupied = 0
        self.open = True
        # When each free place became free (oldest first); len == max(0, capacity - occupied).
        self.free_since: deque[float] = deque([0.0] * spec.capacity)
        self.queues: tuple[deque, ...] = ()  # the queues of its pathways (set by the Dispatcher)


class Dispatcher:
    """Places patients into units: first free eligible unit by preference, FCFS per pathway queue.

    Invariant: while a pathway's queue is non-empty, every unit serving it is full or closed. It holds
    because every freed place, opening and capacity increase is offered to the queues at once.
    """

    def __init__(self, env: simpy.Environment, units: Sequence[UnitSpec],
                 pathways: Sequence[str]) -> None:
        self.env = env
        self.units = [UnitState(i, spec) for i, spec in enumerate(units)]
        order = sorted(self.units, key=lambda u: units[u.index].preference)  # stable: config order
        self._choices = {p: [u for u in order if p in u.pathways] for p in pathways}
        # Queue entries: (time queued, sequence number, episode, event, unit held while waiting).
        self.queues: dict[str, deque] = {p: deque() for p in pathways}
        for unit in self.units:
            unit.queues = tuple(self.queues[p] for p in unit.pathways if p in self.queues)
        self._seq = 0
        self.closed_wait: dict[int, float] = {}  # episode -> closed wait of its last queued admission

    def take(self, pathway: str) -> UnitState | None:
        """A free place on ``pathway`` now (first eligible unit by preference), or None.

        Nobody may jump the queue: with patients already waiting, there is no free place by the
        dispatcher's invariant, and this returns None.
        """
        if not self.queues[pathway]:
            for unit in self._choices[pathway]:
                if unit.open and unit.occupied < unit.capacity:
                    unit.occupied += 1
                    unit.free_since.popleft()
                    return unit
        return None

    def occupy(self, unit: UnitState) -> None:
        """Put a patient into ``unit`` regardless of free places (a warm-start census may exceed it)."""
        unit.occupied += 1
        if unit.free_since:
            unit.free_since.popleft()

    def wait(self, episode: int, pathway: str, holding: UnitState | None = None) -> simpy.Event:
        """Join ``pathway``'s queue; the event's value is the :class:`UnitState` eventually granted.

        ``holding`` is the unit whose place the patient keeps while waiting (blocking after service).
        """
        event = self.env.event()
        self._seq += 1
        self.queues[pathway].append((self.env.now, self._seq, episode, event, holding))
        return event

    def release(self, unit: UnitState) -> None:
        """Free one place in ``unit`` and offer it to the longest-waiting eligible patient."""
        unit.occupied -= 1
        if unit.occupied < unit.capacity:
            unit.free_since.append(self.env.now)
            for queue in unit.queues:
                if queue:  # someone waits: no need to look when nobody does (most releases)
                    self.fill(unit)
                    return

    def set_state(self, unit: UnitState, is_open: bool, capacity: int) -> None:
        """Open/close ``unit`` to admissions and set its capacity (occupants are never evicted)."""
        now = self.env.now
        free_before = max(0, unit.capacity - unit.occupied)
        free_after = max(0, capacity - unit.occupied)
        for _ in range(free_after - free_before):
            unit.free_since.append(now)
        for _ in range(free_before - free_after):
            unit.free_since.pop()  # the newest free places go first
        unit.capacity = capacity
        unit.open = is_open
        self.fill(unit)

    def fill(self, unit: UnitState) -> None:
        """Admit waiting patients while ``unit`` is open and has free places."""
        now = self.env.now
        while unit.open and unit.occupied < unit.capacity:
            best = None
            for queue in unit.queues:
                if queue and (best is None or queue[0][:2] < best[0][:2]):
                    best = queue
            if best is None:
                return
            queued_at, _, episode, event, _ = best.popleft()
            unit.occupied += 1
            free_from = unit.free_since.popleft()
            self.closed_wait[episode] = now - max(queued_at, free_from)
            event.succeed(unit)

    def waiting_in_acute(self) -> int:
        """Patients queued who hold no service place (they are in an acute bed)."""
        return sum(1 for q in self.queues.values() for entry in q if entry[4] is None)


def start_availability(env: simpy.Environment, dispatcher: Dispatcher, scenario: Scenario,
                       generator: Callable[[str], np.random.Generator]
                       ) -> dict[str, list[tuple[float, bool, int]]]:
    """Set each unit's opening and capacity at time 0 and walk it through its later changes.

    Returns
    -------
    dict
        Unit name -> change points ``(time, open, capacity)`` for units whose availability varies.
    """
    changes_by_unit = {}
    for spec, unit in zip(scenario.units, dispatcher.units, strict=True):
        if spec.availability.always:
            continue
        changes = timeline(spec.availability, spec.capacity, scenario.start_date, scenario.end_days,
                           lambda name, unit_name=spec.name: generator(f"availability/{unit_name}/{name}"))
        changes_by_unit[spec.name] = changes
        _, is_open, capacity = changes[0]
        dispatcher.set_state(unit, is_open, capacity)
        env.process(_walk(env, dispatcher, unit, changes[1:]))
    return changes_by_unit


def _walk(env: simpy.Environment, dispatcher: Dispatcher, unit: UnitState,
          changes: list[tuple[float, bool, int]]) -> Generator[simpy.Event, None, None]:
    for t, is_open, capacity in changes:
        yield env.timeout(t - env.now)
        dispatcher.set_state(unit, is_open, capacity)
