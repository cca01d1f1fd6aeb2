"""NCTR arrivals: when patients become discharge ready.

Arrivals are a non-homogeneous Poisson process whose rate is constant within each calendar day: a base
rate times a day-of-week and a month multiplier, or a daily series read from a CSV file. A
piecewise-constant Poisson process is sampled exactly by drawing each day's count and spreading the
arrivals uniformly over the day.

Day counts and times within the day come from two streams, each read in day order, so the arrivals of
the first *d* days do not depend on how long the run is: a longer run shares every earlier patient
with a shorter one (common random numbers across horizons).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from flowsim.model.bounds import MAX_RATE_PER_DAY
from flowsim.model.datafile import csv_rows, read_text
from flowsim.model.errors import ConfigError
from flowsim.model.validate import iso_date

__all__ = ["arrival_times", "daily_rates_from_csv", "daily_rates_from_profile"]


def _n_days(horizon_days: float) -> int:
    return math.ceil(horizon_days)


def daily_rates_from_profile(
    rate_per_day: float,
    day_of_week_multipliers: Sequence[float],
    month_multipliers: Sequence[float],
    start_date: dt.date,
    horizon_days: float,
) -> np.ndarray:
    """Arrival rate of each simulated day from a base rate and calendar profiles.

    Parameters
    ----------
    rate_per_day : float
        Base NCTR arrivals per day.
    day_of_week_multipliers : sequence of 7 floats
        Monday first.
    month_multipliers : sequence of 12 floats
        January first.
    start_date : datetime.date
        Calendar date of simulated day 0.
    horizon_days : float
        Length of the run; one rate per started day.

    Returns
    -------
    numpy.ndarray
        Rate per day for days ``0 .. ceil(horizon_days) - 1``.
    """
    days = [start_date + dt.timedelta(days=d) for d in range(_n_days(horizon_days))]
    dow = np.array([day_of_week_multipliers[d.weekday()] for d in days], dtype=float)
    month = np.array([month_multipliers[d.month - 1] for d in days], dtype=float)
    return rate_per_day * dow * month


def daily_rates_from_csv(path: str | Path, start_date: dt.date, horizon_days: float,
                         end_days: float | None = None, field: str = "arrivals.series_csv") -> np.ndarray:
    """Daily arrival rates read from a CSV with columns ``date`` (ISO) and ``rate_per_day``.

    The file must cover every day up to the horizon, each date once; rows outside the run are
    ignored. Days after the horizon up to ``end_days`` (the cool-down, see :mod:`flowsim.model.scenario`)
    that the file does not cover repeat its last four weeks, so the weekly pattern carries on.

    Raises
    ------
    ConfigError
        Missing, unreadable, binary or empty file, missing columns, a bad or repeated date, a bad or
        implausible rate (above ``bounds.MAX_RATE_PER_DAY``), or days not covered; naming the line.
    """
    file, text = read_text(path, field, "a CSV with columns date,rate_per_day")
    rates: dict[dt.date, float] = {}
    lines: dict[dt.date, int] = {}
    for line_no, row in csv_rows(text, file, field, ("date", "rate_per_day")):
        try:
            day = iso_date(row["date"])
            rate = float(row["rate_per_day"])
        except ValueError:
            raise ConfigError(field, f"{file.name} line {line_no} is not 'YYYY-MM-DD,number'",
                              "correct that line") from None
        if not math.isfinite(rate) or not 0 <= rate <= MAX_RATE_PER_DAY:
            raise ConfigError(field, f"{file.name} line {line_no} has rate {row['rate_per_day']}",
                              f"use a finite rate >= 0 and <= {MAX_RATE_PER_DAY:,.0f} a day")
        if day in rates:
            raise ConfigError(field, f"{file.name} line {line_no} repeats {day.isoformat()} "
                              f"(first on line {lines[day]})", "give each date once")
        rates[day] = rate
        lines[day] = line_no
    days = [start_date + dt.timedelta(days=d) for d in range(_n_days(horizon_days))]
    missing = [d for d in days if d not in rates]
    if missing:
        first, last = min(rates, default=None), max(rates, default=None)
        if first is not None and missing[0] < first:  # the run starts before the file does
            fix = (f"start the run on or after the file's first date (run.start_date={first.isoformat()}) "
                   "or extend the file back")
        elif last is not None and missing[0] < last:  # a gap inside the file
            fix = f"add the missing dates to the file (the first is {missing[0].isoformat()})"
        else:
            fix = "extend the file to cover the run or shorten run.horizon_days"
        raise ConfigError(field, f"{file.name} has no rate for {missing[0].isoformat()} "
                          f"({len(missing)} simulated day{'s' if len(missing) != 1 else ''} missing)", fix)
    series = [rates[d] for d in days]
    last_weeks = series[-28:]
    for d in range(len(days), _n_days(end_days or horizon_days)):
        day = start_date + dt.timedelta(days=d)
        series.append(rates.get(day, last_weeks[(d - len(days)) % len(last_weeks)]))
    return np.array(series, dtype=float)


def hour_cdf(multipliers: Sequence[float]) -> tuple[float, ...] | None:
    """Distribution function of the time of day at each hour (25 values), or None when flat."""
    weights = np.asarray(multipliers, dtype=float)
    if np.all(weights == weights[0]):
        return None
    cdf = np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
    cdf[-1] = 1.0
    return tuple(cdf.tolist())


def arrival_times(rates_per_day: np.ndarray, end_days: float, counts: np.random.Generator,
                  time_of_day: np.random.Generator, hours: Sequence[float] | None = None) -> np.ndarray:
    """Sorted arrival times (days) of a Poisson process with a constant rate within each day.

    Parameters
    ----------
    rates_per_day : numpy.ndarray
        Rate of day ``d`` at index ``d``.
    end_days : float
        Arrivals at or after this time are dropped.
    counts : numpy.random.Generator
        Stream of the daily counts, drawn in day order.
    time_of_day : numpy.random.Generator
        Stream of the times within the day, drawn in arrival order.
    hours : sequence of float, optional
        :func:`hour_cdf` of an hour-of-day profile; None: uniform over the day.

    Returns
    -------
    numpy.ndarray
        Increasing arrival times in ``[0, end_days)``; the times of the first *d* days are the same
        whatever ``end_days`` and the length of ``rates_per_day`` beyond them.
    """
    per_day = counts.poisson(rates_per_day)  # element by element, in day order
    day_of_arrival = np.repeat(np.arange(len(rates_per_day), dtype=float), per_day)
    # offsets lie in [0, 1), so sorting only reorders arrivals within their own day
    offsets = time_of_day.random(day_of_arrival.size)
    if hours is not None:  # inverse of the piecewise-linear distribution function: uniform within each hour
        offsets = np.minimum(np.interp(offsets, hours, np.arange(25) / 24.0), np.nextafter(1.0, 0.0))
    times = np.sort(day_of_arrival + offsets)
    return times[times < end_days]
