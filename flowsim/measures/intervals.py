"""Interval arithmetic on the event log: time inside a window, and counts at given instants."""

from __future__ import annotations

import numpy as np

__all__ = ["count_at", "overlap_days"]


def overlap_days(start: np.ndarray, end: np.ndarray, window_start: float,
                 window_end: float) -> np.ndarray:
    """Length of each interval ``[start, end)`` inside the window; a NaN end means still open."""
    # in place on two new arrays: the log can hold millions of rows, so no further temporaries
    until = np.where(np.isnan(end), window_end, end)
    np.minimum(until, window_end, out=until)
    since = np.where(np.isnan(start), window_end, start)  # never started: no overlap
    np.maximum(since, window_start, out=since)
    np.subtract(until, since, out=until)
    return np.clip(until, 0.0, None, out=until)


def count_at(times: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """How many intervals ``[start, end)`` contain each time (NaN start: never; NaN end: open)."""
    started = ~np.isnan(starts)  # an interval that never started never ends either
    ends = np.sort(np.where(np.isnan(ends[started]), np.inf, ends[started]))
    starts = np.sort(starts[started])
    return np.searchsorted(starts, times, side="right") - np.searchsorted(ends, times, side="right")
