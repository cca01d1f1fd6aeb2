"""Patients' journeys as light processes: a generator resumed by the events it yields.

A :class:`simpy.Process` costs two scheduled events besides the ones its generator yields: one to
start it and one to mark its end, so that other processes can wait for it. Nobody waits for a
patient's journey to end, and a journey starts at the moment it is created (an arrival, a
readmission), so :func:`start_now` runs the generator's first step at once, in the step that creates
it, and resumes it on each event it yields after that. With two events fewer per patient, a run
spends its time on the patients' own events. An error inside a journey ends the run at once, as it
does with SimPy's processes, and events that fail are thrown into the generator as SimPy does.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

__all__ = ["start_now"]


class _Journey:
    """Resumes one generator with the value of each event it yields (the event's callback)."""

    __slots__ = ("_generator", "resume")

    def __init__(self, generator: Generator[simpy.Event, Any, Any]) -> None:
        self._generator = generator
        self.resume = self._resume  # bound once: it is appended to an event's callbacks each step

    def _resume(self, event: simpy.Event | None) -> None:
        generator = self._generator
        try:
            if event is None:
                target = next(generator)
            elif event._ok:
                target = generator.send(event._value)
            else:  # a failed event: the journey handles the error or fails the run
                event._defused = True
                target = generator.throw(event._value)
            while target.callbacks is None:  # already processed: its value is there to be taken
                target = (generator.send(target._value) if target._ok
                          else generator.throw(target._value))
        except StopIteration:
            self.resume = None  # the bound method refers back to self: break the cycle, free both now
            return
        target.callbacks.append(self.resume)


def start_now(generator: Generator[simpy.Event, Any, Any]) -> None:
    """Run ``generator`` as a process from now: its first step at once, the next on each event it yields.

    Parameters
    ----------
    generator : generator of simpy.Event
        A journey (or any process nobody waits for), created at the simulated time it starts.

    Notes
    -----
    Unlike ``env.process(generator)`` this returns no event: nothing can wait for the end. The first
    step runs inside the caller's, before any other event at the same time.
    """
    _Journey(generator).resume(None)
