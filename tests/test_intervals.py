"""Interval arithmetic under every bed-day total and every midnight count (``flowsim.measures.intervals``).

``overlap_days``: the length of ``[start, end)`` inside a window, NaN end = still open, NaN start = never
started. ``count_at``: how many ``[start, end)`` contain each instant, a start counting from its own
instant and an end no longer counting at its own instant.
"""

from __future__ import annotations

import numpy as np

from flowsim.measures.intervals import count_at, overlap_days

NAN = np.nan


def test_overlap_days_cases_by_hand():
    cases = [  # (start, end, days inside [10, 20))
        (12.0, 15.0, 3.0),  # inside
        (5.0, 12.5, 2.5),  # starts before the window
        (17.0, 25.0, 3.0),  # ends after it
        (5.0, 25.0, 10.0),  # covers it
        (5.0, 10.0, 0.0),  # ends where the window starts (half-open: nothing inside)
        (20.0, 25.0, 0.0),  # starts where the window ends
        (1.0, 3.0, 0.0),  # wholly before
        (22.0, 30.0, 0.0),  # wholly after
        (14.0, 14.0, 0.0),  # empty
        (15.0, NAN, 5.0),  # NaN end: still open, counts to the end of the window
        (5.0, NAN, 10.0),
        (25.0, NAN, 0.0),  # open, but started after the window
        (NAN, 15.0, 0.0),  # NaN start: never started
        (NAN, NAN, 0.0),
        (15.0, 12.0, 0.0),  # ends before it starts: never negative
    ]
    start, end, expected = (np.array(column, dtype=float) for column in zip(*cases, strict=True))
    got = overlap_days(start, end, 10.0, 20.0)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.float64
    # the inputs are not changed in place
    assert np.isnan(start[12]) and np.isnan(end[9])


def test_overlap_days_with_a_fractional_window():
    got = overlap_days(np.array([0.0, 10.25, NAN]), np.array([0.75, NAN, 1.0]), 0.5, 10.5)
    np.testing.assert_array_equal(got, [0.25, 0.25, 0.0])


def test_count_at_cases_by_hand():
    starts = np.array([1.0, 2.0, 2.0, NAN, 4.0, 0.5])
    ends = np.array([3.0, NAN, 2.0, 5.0, 4.5, 1.0])
    # [1,3) | [2, open) | [2,2) empty | never started | [4,4.5) | [0.5,1)
    times = np.array([0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 4.0, 4.5, 100.0])
    expected = [0,  # nothing yet
                1,  # [0.5,1) from its own start
                1,  # [0.5,1) ended at 1, [1,3) starts at 1
                2,  # [1,3) and [2, open); the empty [2,2) never counts
                2,
                1,  # [1,3) ended at 3
                2,  # [4,4.5) from 4
                1,  # ... not at 4.5
                1]  # the open one, for ever
    got = count_at(times, starts, ends)
    np.testing.assert_array_equal(got, expected)
    assert np.issubdtype(got.dtype, np.integer)


def test_count_at_with_no_intervals_and_with_unsorted_input():
    assert count_at(np.array([1.0, 2.0]), np.array([]), np.array([])).tolist() == [0, 0]
    # intervals given in any order: [5,9), [0,2), [1,6)
    got = count_at(np.array([0.0, 1.0, 2.0, 5.0, 6.0, 9.0]), np.array([5.0, 0.0, 1.0]),
                   np.array([9.0, 2.0, 6.0]))
    np.testing.assert_array_equal(got, [1, 2, 1, 2, 1, 0])
