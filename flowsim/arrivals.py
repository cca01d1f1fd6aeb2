"""NCTR arrivals: when patients become discharge ready.

Arrivals are a non-homogeneous Poisson process whose rate is constant within each calendar day: a base
rate times a day-of-week and a month multiplier, or a daily series read from a CSV file. A
piecewise-constant Poisson process is sampled exactly by drawing each day's count and spreading the
arrivals uniformly over the day.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from flowsim.bounds import MAX_RATE_PER_DAY
from flowsim.datafile import csv_rows, read_text
from flowsim.errors import ConfigError

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
                         field: str = "arrivals.series_csv") -> np.ndarray:
    """Daily arrival rates read from a CSV with columns ``date`` (ISO) and ``rate_per_day``.

    The file must cover every simulated day, each date once; rows outside the run are ignored.

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
            day = dt.date.fromisoformat(row["date"])
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
        raise ConfigError(field, f"{file.name} has no rate for {missing[0].isoformat()} "
                          f"({len(missing)} simulated days missing)",
                          "extend the file to cover the run or shorten run.horizon_days")
    return np.array([rates[d] for d in days], dtype=float)


def arrival_times(rates_per_day: np.ndarray, horizon_days: float,
                  generator: np.random.Generator) -> np.ndarray:
    """Sorted arrival times (days) of a Poisson process with a constant rate within each day.

    Parameters
    ----------
    rates_per_day : numpy.ndarray
        Rate of day ``d`` at index ``d``.
    horizon_days : float
        Arrivals at or after this time are dropped.
    generator : numpy.random.Generator
        The ``arrivals`` stream.

    Returns
    -------
    numpy.ndarray
        Increasing arrival times in ``[0, horizon_days)``.
    """
    counts = generator.poisson(rates_per_day)
    day_of_arrival = np.repeat(np.arange(len(rates_per_day), dtype=float), counts)
    times = np.sort(day_of_arrival + generator.random(day_of_arrival.size))
    return times[times < horizon_days]
