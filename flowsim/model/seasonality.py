"""Seasonal profiles of NCTR demand from the national discharge SitRep (``flowsim/data``).

A monthly series mixes two things a planner wants apart: growth over the years and the season. Here
the growth is a log-linear trend fitted over every month of the series; each month's value divided
by the trend is its seasonal ratio; ratios of the same calendar month are averaged over the years and
scaled to a mean of 1. The result can be used directly as ``arrivals.month_multipliers``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["WINTER_MONTHS", "month_multipliers", "sitrep_csv", "winter_uplift"]

WINTER_MONTHS = (12, 1, 2, 3)  # December to March, the months winter surge capacity is open


def sitrep_csv() -> Path:
    """Path of the monthly national SitRep extract shipped with flowsim (see ``data/README.md``)."""
    return Path(__file__).resolve().parents[1] / "data" / "nhse_acute_sitrep_monthly_national.csv"


def _per_day_series(csv_path: str | Path, column: str) -> tuple[list[int], np.ndarray]:
    """(calendar month 1-12, value per day) of each row; monthly totals (``*_disch``) are divided by days."""
    with Path(csv_path).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or column not in rows[0]:
        raise KeyError(f"{csv_path} has no column {column!r}")
    months = [int(row["month"].split("-")[1]) for row in rows]
    values = np.array([float(row[column]) for row in rows])
    if column.endswith("_disch"):  # a month's count: months differ in length (28-31 days)
        values = values / np.array([float(row["days"]) for row in rows])
    return months, values


def month_multipliers(csv_path: str | Path, column: str) -> tuple[float, ...]:
    """Seasonal multipliers of ``column`` by calendar month, January first, with mean 1.

    Parameters
    ----------
    csv_path : path
        A monthly file shaped like :func:`sitrep_csv` (columns ``month`` as ``YYYY-MM``, ``days``,
        and ``column``).
    column : str
        The series: a mean per day (``mean_daily_*``) or a monthly count (``*_disch``, divided by
        the month's days first).

    Returns
    -------
    tuple of 12 floats
        Each calendar month's mean ratio to the log-linear trend, scaled so the 12 average 1.

    Raises
    ------
    KeyError
        If the file has no such column.
    ValueError
        If some calendar month is missing from the file.
    """
    months, values = _per_day_series(csv_path, column)
    index = np.arange(values.size, dtype=float)
    slope, intercept = np.polyfit(index, np.log(values), 1)  # constant growth per month
    ratio = values / np.exp(intercept + slope * index)
    by_month = [ratio[[m == month for m in months]] for month in range(1, 13)]
    missing = [month for month, r in zip(range(1, 13), by_month, strict=True) if r.size == 0]
    if missing:
        raise ValueError(f"{csv_path} has no data for month(s) {missing}")
    means = np.array([r.mean() for r in by_month])
    return tuple(float(m) for m in means / means.mean())


def winter_uplift(multipliers: Sequence[float], winter: Sequence[int] = WINTER_MONTHS) -> float:
    """Mean multiplier of the ``winter`` months (1-12) over the mean of the other months.

    Parameters
    ----------
    multipliers : sequence of 12 floats
        January first, e.g. from :func:`month_multipliers`.
    winter : sequence of int
        Calendar months counted as winter (default December to March).
    """
    values = np.asarray(multipliers, dtype=float)
    inside = np.isin(np.arange(1, 13), winter)
    return float(values[inside].mean() / values[~inside].mean())
