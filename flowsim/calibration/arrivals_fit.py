"""NCTR arrivals from an extract: the rate per day and its day-of-week and month profiles.

flowsim's arrivals are ``rate_per_day`` times a day-of-week multiplier (Monday first) times a month
multiplier (January first), both profiles averaging 1. Readmissions are not arrivals: the model makes
them itself from the readmission probabilities, so an episode that follows the same patient's episode
flagged ``readmitted_30d`` = 1 is left out here.

Counts are taken per whole calendar day, from the first NCTR day up to the extract date (a part day at
the end is left out). The day-of-week multipliers are each weekday's mean count over the mean of the
seven (:func:`~flowsim.calibration.estimate.ratio_to_mean`); the month multipliers likewise over
calendar months, pooled across years, but only when the extract covers every calendar month for at
least 28 days. Otherwise they stay 1.0: a few months cannot separate season from chance, and the rate
is then the mean over the months the extract covers. The rate is the mean of the month means (or of
the weekday means) so that a year with extra Mondays or Januarys does not tilt it. Confidence
intervals use each group's own day-to-day variance, so they widen for over-dispersed (non-Poisson)
counts, and are conservative where the other profile varies within a group.

An extract date over :data:`QUIET_DAYS` after the latest NCTR date gets a note: those days count as
days without a single arrival (one over half a year after it is refused with the extract, see
:mod:`~flowsim.calibration.extract_dates`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from flowsim.calibration.estimate import Z95, Estimate, ratio_to_mean
from flowsim.calibration.extract import Extract
from flowsim.model.errors import ConfigError

__all__ = ["MIN_DAYS_PER_MONTH", "QUIET_DAYS", "ArrivalFit", "daily_counts", "fit_arrivals"]

# Under this many of each weekday, the day-of-week multipliers come with a note that they are rough.
FEW_WEEKS = 4
# A calendar month counts as covered with at least this many whole days in the extract.
MIN_DAYS_PER_MONTH = 28
# More days than this from the latest NCTR date to the extract date, and the fit notes that they count
# as days without arrivals: an extract holds every episode up to when it was taken.
QUIET_DAYS = 14


@dataclass(frozen=True)
class ArrivalFit:
    """Arrival rate and profiles fitted from an extract.

    Attributes
    ----------
    rate_per_day : Estimate
        New NCTR episodes a day (readmissions left out).
    day_of_week : tuple of Estimate
        Seven multipliers, Monday first (1.0 without CIs when not fitted).
    month : tuple of Estimate
        Twelve multipliers, January first (1.0 without CIs when not fitted).
    month_fitted, day_of_week_fitted : bool
        Whether the profile was fitted or left at 1.0.
    first_day : datetime.date
        First day counted.
    days : int
        Whole days counted.
    arrivals, readmissions : int
        New episodes counted, and episodes left out as readmissions.
    notes : tuple of str
        Why a profile was left at 1.0.
    """

    rate_per_day: Estimate
    day_of_week: tuple[Estimate, ...]
    month: tuple[Estimate, ...]
    day_of_week_fitted: bool
    month_fitted: bool
    first_day: dt.date
    days: int
    arrivals: int
    readmissions: int
    notes: tuple[str, ...] = ()


def daily_counts(times: pd.Series, first_day: dt.date, days: int) -> np.ndarray:
    """Number of ``times`` on each of ``days`` calendar days from ``first_day`` (others ignored)."""
    offsets = (times.dt.normalize() - pd.Timestamp(first_day)).dt.days.to_numpy()
    offsets = offsets[(offsets >= 0) & (offsets < days)]
    return np.bincount(offsets.astype(np.int64), minlength=days)[:days]


def _flat(n: int) -> tuple[Estimate, ...]:
    return tuple(Estimate(1.0, float("nan"), float("nan")) for _ in range(n))


def fit_arrivals(extract: Extract) -> ArrivalFit:
    """Fit the arrival rate and its profiles (see the module docstring).

    Returns
    -------
    ArrivalFit

    Raises
    ------
    ConfigError
        If the extract covers less than one whole day.
    """
    new = extract.new_arrivals()
    times = extract.episodes.loc[new, "nctr_datetime"]
    first, days = extract.first_day, extract.whole_days
    if days < 1:
        raise ConfigError(extract.source, "covers less than one whole day from its first NCTR date to the "
                          f"extract date {extract.extract_date.isoformat(sep=' ', timespec='minutes')}",
                          "give a longer extract, or a later --extract-date")
    counts = daily_counts(times, first, days)
    dates = pd.date_range(first, periods=days, freq="D")
    weekday, month = dates.day_of_week.to_numpy(), dates.month.to_numpy()
    notes = []
    nctr = extract.episodes["nctr_datetime"]
    quiet = (pd.Timestamp(extract.extract_date) - nctr.max()) / pd.Timedelta(days=1)
    if quiet > QUIET_DAYS:  # an --extract-date later than the extract was taken would lower the rate
        line = int(extract.episodes.loc[nctr.idxmax(), "line"])
        notes.append(f"no NCTR episode in the {quiet:.0f} days from the latest NCTR date "
                     f"({nctr.max():%Y-%m-%d %H:%M}, line {line}) to the extract date: they are counted as "
                     "days without arrivals, so if the extract was taken earlier, give that as "
                     "--extract-date")
    by_weekday = [counts[weekday == d] for d in range(7)]
    weekly = min((x.size for x in by_weekday), default=0) >= 2
    by_month = [counts[month == m] for m in range(1, 13)]
    covered = sum(x.size >= MIN_DAYS_PER_MONTH for x in by_month)
    seasonal = covered == 12
    if weekly:
        weekday_level, weekday_ratios = ratio_to_mean(by_weekday)
        day_of_week = tuple(weekday_ratios)
        weeks = min(x.size for x in by_weekday)
        if weeks < FEW_WEEKS:  # a multiplier of 7.00 from one Tuesday's arrival read as a finding
            notes.append(f"the day-of-week multipliers rest on {weeks} week{'' if weeks == 1 else 's'} of "
                         "each weekday: their intervals are wide (see estimates.csv)")
    else:
        day_of_week = _flat(7)
        notes.append(f"the extract covers {days} whole day{'' if days == 1 else 's'}, under two weeks: "
                     "day-of-week multipliers left at 1.0")
    if seasonal:
        rate, month_ratios = ratio_to_mean(by_month)
        months = tuple(month_ratios)
    else:
        months = _flat(12)
        # weekly: each weekday's mean, then their mean, so that extra Mondays do not tilt it
        notes.append(f"the extract covers {covered} of 12 calendar months ({MIN_DAYS_PER_MONTH}+ days each): "
                     "month multipliers left at 1.0 (no seasonality) and the rate is the mean "
                     f"{'of the seven weekdays’ means ' if weekly else ''}over the "
                     f"{days} day{'' if days == 1 else 's'} covered")
        if weekly:
            rate = weekday_level
        else:
            mean = float(counts.mean()) if days else float("nan")
            half = Z95 * float(counts.std(ddof=1)) / np.sqrt(days) if days > 1 else float("nan")
            rate = Estimate(mean, max(mean - half, 0.0), mean + half, days)
    return ArrivalFit(rate_per_day=rate, day_of_week=day_of_week, month=months, day_of_week_fitted=weekly,
                      month_fitted=seasonal, first_day=first, days=days, arrivals=int(counts.sum()),
                      readmissions=int((~new).sum()), notes=tuple(notes))
