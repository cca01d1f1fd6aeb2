"""When a unit admits, and how many places it has: calendars, capacity schedules, closures, absence.

Planners ask "Is 7-day admittance required?", "What happens if staff are sick?", "What is the
outbreak policy?" (care-home toolkit, 2022). A unit's *availability* answers them: it admits only on
its calendar days and hours; its capacity follows a dated schedule (winter surge beds); an infection
outbreak closes it to admissions for a while; on staff-absence days its capacity is scaled down.
Occupants are never evicted: when capacity falls, new admissions wait until occupancy is below it.

:func:`timeline` turns a unit's availability into the change points the simulation walks through.
Outbreaks and absence days draw from their own named streams, so switching them on changes no other
random number.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from flowsim.model.bounds import MAX_PLACES
from flowsim.model.distribution_config import distribution_from_config, given_distribution
from flowsim.model.distributions import Distribution
from flowsim.model.errors import ConfigError
from flowsim.model.strict import use_one_of
from flowsim.model.validate import date_value, real_number

__all__ = ["MONTHS", "WEEKDAYS", "Availability", "availability_from_config", "timeline"]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Availability:
    """Validated availability of one unit. The default admits always at constant capacity."""

    admission_days: frozenset[int] = frozenset(range(7))  # Monday = 0
    open_hour: float = 0.0
    close_hour: float = 24.0
    schedule: tuple[tuple[float, int], ...] = ()  # (day from start, capacity from then on)
    outbreaks_per_year: float = 0.0
    outbreak_days: Distribution | None = None
    absence_fraction: float = 0.0
    absence_factor: float = 1.0
    month_factors: tuple[float, ...] = (1.0,) * 12  # January first: seasonal capacity

    @property
    def always(self) -> bool:
        """True when nothing ever changes: no calendar, schedule, closures or absence."""
        return (len(self.admission_days) == 7 and self.open_hour == 0.0 and self.close_hour == 24.0
                and not self.schedule and self.outbreaks_per_year == 0.0 and self.absence_fraction == 0.0
                and all(f == 1.0 for f in self.month_factors))


def _schedule(steps: Any, field: str, start_date: dt.date, horizon_days: float
              ) -> tuple[tuple[float, int], ...]:
    """Validated capacity steps as (day from start, capacity), each inside the run, in date order."""
    schedule: list[tuple[float, int]] = []
    for i, step in enumerate(steps or []):
        where = f"{field}.capacity_schedule[{i}]"
        if not isinstance(step, Mapping):
            raise ConfigError(where, f"must be a mapping {{start: DATE, capacity: N}}, got {step!r}",
                              "write each step as {start: 'YYYY-MM-DD', capacity: N}")
        start = step.get("start")
        if start is None or start == "???":
            raise ConfigError(f"{where}.start", "is missing", "give the date the capacity starts")
        day = date_value(start, f"{where}.start") - start_date
        if not 0 <= day.days < horizon_days:
            last = start_date + dt.timedelta(days=math.ceil(horizon_days) - 1)
            raise ConfigError(f"{where}.start", f"{start} is outside the run, which lasts from "
                              f"{start_date.isoformat()} to {last.isoformat()}",
                              "move the step inside the run, or drop it (the unit's capacity applies "
                              "from the start)")
        capacity = step.get("capacity")
        if capacity is None or capacity == "???":
            raise ConfigError(f"{where}.capacity", "is missing", "give the capacity from that date on")
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not 0 <= capacity <= MAX_PLACES:
            raise ConfigError(f"{where}.capacity", f"must be a whole number from 0 to {MAX_PLACES:,}, got "
                              f"{capacity!r}", "give the capacity from that date on")
        if schedule and day.days <= schedule[-1][0]:
            raise ConfigError(f"{field}.capacity_schedule", "steps are not in date order",
                              "list the steps by increasing start date, each date once")
        schedule.append((float(day.days), capacity))
    return tuple(schedule)


def availability_from_config(spec: Mapping[str, Any], field: str, start_date: dt.date,
                             horizon_days: float = math.inf) -> Availability:
    """Validate the availability settings of the unit config ``spec`` at ``field``.

    Capacity steps must start inside the run, from ``start_date`` for ``horizon_days`` days.
    """
    admission = spec.get("admission") or {}
    days = admission.get("days")
    if days is None:
        days = list(WEEKDAYS)
    if isinstance(days, str) or not isinstance(days, list | tuple):
        raise ConfigError(f"{field}.admission.days", f"must be a list of days, got {days!r}",
                          "write e.g. [Mon, Tue, Wed, Thu, Fri]")
    if not days:
        raise ConfigError(f"{field}.admission.days", "is empty, so the unit would never admit",
                          f"list the days it admits, or set {field}.capacity=0 for a unit that never does")
    for day in days:
        if day not in WEEKDAYS:
            raise ConfigError(f"{field}.admission.days", f"unknown day {day!r}",
                              use_one_of(day, WEEKDAYS) + " (three-letter names)")
    open_hour = real_number(admission.get("open_hour", 0.0), f"{field}.admission.open_hour", maximum=24)
    close_hour = real_number(admission.get("close_hour", 24.0), f"{field}.admission.close_hour",
                             maximum=24)
    if close_hour <= open_hour:
        raise ConfigError(f"{field}.admission.close_hour", f"({close_hour:g}) must be after open_hour "
                          f"({open_hour:g})", "admit over a window within one day, e.g. 9 to 17")
    schedule = _schedule(spec.get("capacity_schedule"), field, start_date, horizon_days)
    closures = spec.get("closures") or {}
    rate = real_number(closures.get("outbreaks_per_year", 0.0), f"{field}.closures.outbreaks_per_year",
                       maximum=365)
    given = closures.get("duration_days")
    duration = (distribution_from_config(given, f"{field}.closures.duration_days")
                if rate > 0 or given_distribution(given) else None)
    absence = spec.get("staff_absence") or {}
    return Availability(
        month_factors=_month_factors(spec.get("month_capacity_factors"), f"{field}.month_capacity_factors"),
        admission_days=frozenset(WEEKDAYS.index(d) for d in days),
        open_hour=open_hour,
        close_hour=close_hour,
        schedule=schedule,
        outbreaks_per_year=rate,
        outbreak_days=duration if rate > 0 else None,
        absence_fraction=real_number(absence.get("fraction_of_days", 0.0),
                                     f"{field}.staff_absence.fraction_of_days", maximum=1),
        absence_factor=real_number(absence.get("capacity_factor", 1.0),
                                   f"{field}.staff_absence.capacity_factor", maximum=1),
    )


def _month_factors(values: Any, field: str) -> tuple[float, ...]:
    """Twelve capacity factors (January first), each from 0 to 1; unset: 1 every month."""
    if values is None:
        return (1.0,) * 12
    if isinstance(values, str | Mapping) or not hasattr(values, "__len__") or len(values) != 12:
        raise ConfigError(field, f"must be a list of 12 factors (January first), got {values!r}",
                          "give one factor from 0 to 1 per month, e.g. 0.9 in winter and 1 otherwise")
    return tuple(real_number(v, f"{field}[{i}]", maximum=1) for i, v in enumerate(values))


def _month_starts(start_date: dt.date, n_days: int) -> list[tuple[float, int]]:
    """(day from start, month index 0-11) at day 0 and at each first of a month within ``n_days``."""
    starts = [(0.0, start_date.month - 1)]
    year, month = start_date.year, start_date.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        day = (dt.date(year, month, 1) - start_date).days
        if day >= n_days:
            return starts
        starts.append((float(day), month - 1))


def _calendar_windows(a: Availability, start_date: dt.date, n_days: int) -> list[tuple[float, float]]:
    """(open, close) times of admissions; a window open through midnight joins the next day's."""
    first = start_date.weekday()
    windows: list[tuple[float, float]] = []
    for d in range(n_days):
        if (first + d) % 7 in a.admission_days:
            lo, hi = d + a.open_hour / 24.0, d + a.close_hour / 24.0
            if windows and windows[-1][1] == lo:
                windows[-1] = (windows[-1][0], hi)
            else:
                windows.append((lo, hi))
    return windows


def _outbreaks(a: Availability, end: float, generator: Callable[[str], np.random.Generator]
               ) -> list[tuple[float, float]]:
    """Outbreak (start, end) times: a Poisson process walked gap by gap, so earlier outbreaks do not
    depend on how long the run is; each duration comes from its own stream, in outbreak order."""
    if a.outbreaks_per_year <= 0 or a.outbreak_days is None:
        return []
    gaps, durations = generator("outbreaks"), generator("outbreak_days")
    mean_gap_days = 365.0 / a.outbreaks_per_year
    closures, t = [], 0.0
    while True:
        t += float(gaps.exponential(mean_gap_days))
        if t >= end:
            return closures
        closures.append((t, t + float(a.outbreak_days.ppf(durations.random()))))


def timeline(a: Availability, base_capacity: int, start_date: dt.date, horizon: float,
             generator: Callable[[str], np.random.Generator]) -> list[tuple[float, bool, int]]:
    """Change points ``(time, open to admissions, capacity)`` of a unit, from time 0.

    Parameters
    ----------
    a : Availability
    base_capacity : int
        Capacity before the first schedule step.
    start_date : datetime.date
        Calendar date of day 0 (weekdays).
    horizon : float
        Run length in days (including any cool-down); earlier change points do not depend on it.
    generator : callable
        ``generator(stream_name)`` for the unit's outbreak and absence streams (names already keyed by
        the unit by the caller).

    Returns
    -------
    list of (float, bool, int)
        Sorted; the first entry is at time 0. Consecutive entries differ in state.
    """
    n_days = math.ceil(horizon)
    windows = _calendar_windows(a, start_date, n_days)
    closures = _outbreaks(a, horizon, generator)
    absent = (generator("absence").random(n_days) < a.absence_fraction).tolist() if a.absence_fraction \
        else None
    points = {0.0}
    for lo, hi in windows + closures:
        points.update((lo, hi))
    points.update(d for d, _ in a.schedule)
    if a.absence_fraction:
        points.update(float(d) for d in range(n_days + 1))
    seasonal = any(f != 1.0 for f in a.month_factors)
    months = _month_starts(start_date, n_days) if seasonal else [(0.0, 0)]
    points.update(d for d, _ in months)
    # plain lists and bisect: a point is a few comparisons, where numpy's per-call cost dominated
    month_days = [d for d, _ in months]
    window_starts = [w[0] for w in windows]
    changes: list[tuple[float, bool, int]] = []
    for t in sorted(p for p in points if 0.0 <= p < horizon):
        i = bisect.bisect_right(window_starts, t) - 1
        is_open = i >= 0 and t < windows[i][1]
        if is_open and any(lo <= t < hi for lo, hi in closures):
            is_open = False
        capacity = base_capacity
        for day, cap in a.schedule:
            if day <= t:
                capacity = cap
        if seasonal:  # the nearest whole number of places (Python rounds halves to even)
            month = months[bisect.bisect_right(month_days, t) - 1][1]
            capacity = round(capacity * a.month_factors[month])
        if absent is not None and absent[min(int(t), n_days - 1)]:
            capacity = math.floor(capacity * a.absence_factor)
        state = (t, is_open, capacity)
        if not changes or changes[-1][1:] != state[1:]:
            changes.append(state)
    return changes
