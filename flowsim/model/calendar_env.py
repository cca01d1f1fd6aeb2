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
SimPy's own environment to the others. (Measured with ``make bench`` and interleaved runs: see the
Performance page of the documentation.)

The events come out in SimPy's order (time, then priority, then the order they were scheduled in:
each keeps SimPy's own entry), so a run gives the same results to the bit
(``tests/test_calendar_env.py`` compares the two on random schedules of processes, resources,
conditions, interrupts and failures). The bucket width is a power of two, so that an event's bucket,
``time // width``, is exact and agrees with the heap's bound; an event at :data:`LAST_BUCKETED_DAY` or
later (or at an infinite time, a "never" sentinel) is not bucketed but waits in a heap of its own,
after every bucket. ``_queue`` holds the near events only: code that counts SimPy's queue would
count those.
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush

import simpy
from simpy.core import EmptySchedule, Infinity, StopSimulation
from simpy.events import NORMAL, EventPriority

__all__ = ["BUCKET_DAYS", "CALENDAR_MIN_PLACES", "LAST_BUCKETED_DAY", "CalendarEnvironment",
           "environment_for"]

BUCKET_DAYS = 0.25  # a power of two (exact bucket arithmetic); 0.125-1 day measured alike at scale
# Bucket numbers up to 2**50 and their bounds are exact floats (a bound one bucket on must differ)
LAST_BUCKETED_DAY = 2.0**48
CALENDAR_MIN_PLACES = 10_000  # England's 49,000 places gain 10 %; a default system's 1,200 nothing

_Entry = tuple[float, EventPriority, int, simpy.Event]  # SimPy's: time, priority, order scheduled, event


def _bound_after(day: float) -> float:
    """The end of the bucket that holds ``day``: every event before it belongs in the heap."""
    return (day // BUCKET_DAYS + 1) * BUCKET_DAYS


class CalendarEnvironment(simpy.Environment):
    """A :class:`simpy.Environment` whose far events wait in quarter-day buckets (see the module docstring).

    Every event with a time before ``_bound`` is in the heap (``_queue``, as SimPy's); every later one
    before :data:`LAST_BUCKETED_DAY` is in ``_far``, under its bucket's number (``_buckets`` is a heap
    of those numbers), and every one from then on in the heap ``_last``, which comes after them all.
    """

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self._bound = _bound_after(initial_time)
        self._far: dict[float, list[_Entry]] = {}
        self._buckets: list[float] = []
        self._last: list[_Entry] = []  # a heap of the events at LAST_BUCKETED_DAY or later, or never

    def schedule(self, event: simpy.Event, priority: EventPriority = NORMAL, delay: float = 0) -> None:
        """Schedule ``event`` with ``priority`` after ``delay``, as SimPy does (in its bucket if far)."""
        at = self._now + delay
        entry = (at, priority, next(self._eid), event)
        if at < self._bound:
            heappush(self._queue, entry)
            return
        if not at < LAST_BUCKETED_DAY:  # (not <: infinity, a "never" timeout, and NaN too)
            heappush(self._last, entry)
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
        return self._last[0][0] if self._last else Infinity

    def step(self) -> None:
        """Process the next event, as :meth:`simpy.Environment.step` does.

        Raises
        ------
        simpy.core.EmptySchedule
            If no event is scheduled.
        """
        queue = self._queue
        if not queue:  # the next bucket's turn; after the last one, the events from LAST_BUCKETED_DAY on
            if self._buckets:
                number = heappop(self._buckets)
                queue = self._far.pop(number)
                heapify(queue)
                self._bound = (number + 1) * BUCKET_DAYS
            elif self._last:
                queue, self._last, self._bound = self._last, [], Infinity
            else:
                raise EmptySchedule
            self._queue = queue
        self._now, _, _, event = heappop(queue)
        # as SimPy: the event's callbacks are taken away before they run, so none is added meanwhile
        callbacks, event.callbacks = event.callbacks, None
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
