"""SimPy's environment with a two-tier event calendar: a heap for the next quarter-day, buckets beyond.

SimPy keeps every scheduled event in one binary heap. A national run (England, 10,000 patients a day
ready to leave) holds some 100,000 events at once (the end of every stay in progress, every pending
readmission), and each step pops the heap through about 17 levels of entries scattered in memory.
Most of those events are weeks away. :class:`CalendarEnvironment` keeps in its heap only the events of
the current quarter-day; a later event waits in the bucket of its own quarter-day, unsorted, and a
bucket is sorted into the heap when the clock reaches it (a calendar queue in two tiers). A national
year runs about 10 % quicker. A small system pays for the buckets instead: its heap is short already,
and most of its events are a quarter-day or more away, so each takes a bucket's way in (a reference
tandem network of 100 places ran 5-8 % slower, a default system of about 1,200 places took the same
time). :func:`environment_for` therefore gives the calendar to systems of
:data:`CALENDAR_MIN_PLACES` places or more (each occupied place holds a scheduled event), and
SimPy's own environment to the others.

The events come out in exactly SimPy's order (time, then priority, then the order they were
scheduled in: each keeps SimPy's own entry), so a run gives the same results to the bit
(``tests/test_calendar_env.py``). The bucket width is a power of two, so that an event's bucket,
``time // width``, is exact and agrees with the heap's bound.
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush
from typing import Any

import simpy
from simpy.core import EmptySchedule, Infinity, StopSimulation
from simpy.events import NORMAL, EventPriority

__all__ = ["BUCKET_DAYS", "CALENDAR_MIN_PLACES", "CalendarEnvironment", "environment_for"]

BUCKET_DAYS = 0.25  # a power of two (exact bucket arithmetic); 0.125-1 day measured alike at scale
CALENDAR_MIN_PLACES = 10_000  # England's 49,000 places gain 10 %; a default system's 1,200 nothing



class CalendarEnvironment(simpy.Environment):
    """A :class:`simpy.Environment` whose far events wait in quarter-day buckets (see the module docstring).

    Every event with a time before ``_bound`` is in the heap (``_queue``, as SimPy's); every later one
    is in ``_far``, under its bucket's number, and ``_buckets`` is a heap of those numbers.
    """

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self._bound = (initial_time // BUCKET_DAYS + 1) * BUCKET_DAYS
        self._far: dict[float, list[tuple[Any, ...]]] = {}
        self._buckets: list[float] = []

    def schedule(self, event: simpy.Event, priority: EventPriority = NORMAL, delay: float = 0) -> None:
        """Schedule ``event`` with ``priority`` after ``delay``, as SimPy does (in its bucket if far)."""
        at = self._now + delay
        entry = (at, priority, next(self._eid), event)
        if at < self._bound:
            heappush(self._queue, entry)
            return
        number = at // BUCKET_DAYS
        bucket = self._far.get(number)
        if bucket is None:
            self._far[number] = [entry]
            heappush(self._buckets, number)
        else:
            bucket.append(entry)

    def peek(self) -> float:
        """The time of the next scheduled event (infinity if there is none)."""
        if self._queue:
            return self._queue[0][0]
        if self._buckets:
            return min(self._far[self._buckets[0]])[0]
        return Infinity

    def step(self) -> None:
        """Process the next event, as :meth:`simpy.Environment.step` does.

        Raises
        ------
        simpy.core.EmptySchedule
            If no event is scheduled.
        """
        if not self._queue:
            if not self._buckets:
                raise EmptySchedule from None
            number = heappop(self._buckets)  # the heap is empty: the next bucket holds the next events
            queue = self._far.pop(number)
            heapify(queue)
            self._queue = queue
            self._bound = (number + 1) * BUCKET_DAYS
        self._now, _, _, event = heappop(self._queue)
        callbacks, event.callbacks = event.callbacks, None  # as SimPy: no callback added meanwhile
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            # as SimPy: the callbacks not yet called go with the event, processed when the run resumes
            event.callbacks = callbacks[callbacks.index(callback) + 1:]
            self.schedule(event, EventPriority(-1))
            raise
        if not event._ok and not hasattr(event, "_defused"):  # a failure nobody handled ends the run
            error = type(event._value)(*event._value.args)
            error.__cause__ = event._value
            raise error


def environment_for(places: int) -> simpy.Environment:
    """The environment for a system of ``places`` places (units' and acute beds): the calendar for a
    large one, SimPy's own for the rest (see the module docstring). Either gives the same results."""
    return CalendarEnvironment() if places >= CALENDAR_MIN_PLACES else simpy.Environment()
