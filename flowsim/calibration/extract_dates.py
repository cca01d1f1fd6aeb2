"""Dates in an extract that cannot be right: far outside the extract's period, or outside any calendar.

One wrong date silently ruins a fit: arrivals are counted on every day from the first NCTR date to
the extract date, so an NCTR date of 1900-01-01 spreads a year's episodes over 125 years, and an open
stay's end written as a "still open" sentinel (2099-12-31, 9999-12-31) moves the default extract date
to 2100 and makes every open stay last a lifetime. A real extract holds every NCTR episode day after
day over a few years at most, so these checks refuse, naming the file line and the column:

* a date outside the years 1900 to 2100 (flowsim's calendar: 9999-12-31 plus a day is no date);
* an NCTR date more than :data:`FAR_DAYS` from the next one: the NCTR dates are split where such a
  gap lies, and those outside the largest group (the latest, on a tie) are refused;
* any other date more than :data:`FAR_DAYS` after the latest NCTR date of that group: an extract
  holds every episode up to when it was taken, so nothing happens half a year after its last one;
* an extract date (``--extract-date``) more than :data:`FAR_DAYS` after that latest NCTR date: the
  fit would count the days in between as days without a single new NCTR episode.

An extract date before a date in the file is refused by the row checks of
:mod:`~flowsim.calibration.extract_checks` (the row's date is named).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flowsim.model.bounds import FIRST_START_DATE, LAST_START_DATE
from flowsim.model.errors import ConfigError

__all__ = ["CALENDAR", "FAR_DAYS", "NctrSpan", "check_extract_date", "check_far_dates", "far_fix",
           "in_calendar", "shown"]

# Half a year without a single new NCTR episode: no extract of a whole system has such a hole, and a
# date off by a year (2024 for 2025), the commonest typo, is further than that from the others.
FAR_DAYS = 183
_FAR = dt.timedelta(days=FAR_DAYS)
# flowsim's calendar (the run start dates it accepts): dates outside it are typos or sentinels.
CALENDAR = (dt.datetime.combine(FIRST_START_DATE, dt.time()),
            dt.datetime.combine(LAST_START_DATE, dt.time()) + dt.timedelta(days=1))
_ENDS = ("unit_ready_datetime", "unit_end_datetime", "onward_end_datetime")


def in_calendar(value: dt.datetime) -> bool:
    """Whether ``value`` is within the years 1900 to 2100."""
    return CALENDAR[0] <= value < CALENDAR[1]


def far_fix(column: str) -> str:
    """The fix for a date of ``column`` far outside the extract: a blank where blank means "not yet"."""
    if column in _ENDS:
        return ("leave it blank for a stay still open when the extract was taken (blank means open: no "
                "far-future date), or correct the date")
    if column == "acute_discharge_datetime":
        return "leave it blank for a patient still in the acute bed when the extract was taken, or correct it"
    if column == "nctr_datetime":
        return ("correct the date (arrivals are counted on every day from the first NCTR date to the extract "
                "date), or leave out an episode from outside the extract's period")
    return "correct the date: an extract holds what happened up to when it was taken"


def shown(p: dict[str, Any], column: str) -> str:
    """A parsed date as the file gave it: a date alone, or a date and time to the minute."""
    value = p[column]
    if column in p["date_only"]:
        return value.date().isoformat()
    return value.isoformat(sep=" ", timespec="minutes")


@dataclass(frozen=True)
class NctrSpan:
    """First and latest NCTR date of the extract's main group of NCTR dates, with their file lines."""

    first: dt.datetime
    first_line: int
    last: dt.datetime
    last_line: int

    def text(self, which: str) -> str:
        """``first`` or ``last`` as ``YYYY-MM-DD HH:MM, line N``."""
        value, line = (self.first, self.first_line) if which == "first" else (self.last, self.last_line)
        return f"{value.isoformat(sep=' ', timespec='minutes')}, line {line}"


_Add = Callable[[int, str, str, str], None]  # line, column, problem, fix


def _span(rows: list[dict[str, Any]]) -> tuple[NctrSpan | None, set[int]]:
    """The main group of NCTR dates (split at gaps over :data:`FAR_DAYS`) and the lines outside it."""
    dated = sorted((p["nctr_datetime"], p["line"]) for p in rows if p.get("nctr_datetime") is not None)
    if not dated:
        return None, set()
    groups = [[dated[0]]]
    for before, (value, line) in itertools.pairwise(dated):
        if value - before[0] > _FAR:
            groups.append([])
        groups[-1].append((value, line))
    main = max(reversed(groups), key=len)  # the latest of equally large groups
    outside = {line for group in groups if group is not main for _, line in group}
    return NctrSpan(main[0][0], main[0][1], main[-1][0], main[-1][1]), outside


def check_far_dates(rows: list[dict[str, Any]], columns: tuple[str, ...], add: _Add
                    ) -> tuple[NctrSpan | None, set[tuple[int, str]]]:
    """Report, through ``add(line, column, problem, fix)``, the dates far outside the extract's period.

    Parameters
    ----------
    rows : list of dict
        Parsed rows (``line``, ``date_only`` and the date-time columns; None where blank or refused).
    columns : tuple of str
        The date-time columns other than ``nctr_datetime``.
    add : callable
        Reports one problem (and raises, unless every problem is being collected).

    Returns
    -------
    (NctrSpan or None, set of (int, str))
        The main group of NCTR dates (None without any), and the (line, column) of each date refused.
    """
    span, outside = _span(rows)
    refused: set[tuple[int, str]] = set()
    if span is None:
        return span, refused
    for p in rows:
        line = p["line"]
        if line in outside:
            value = p["nctr_datetime"]
            before = value < span.first
            days = (span.first - value if before else value - span.last).days
            where = f"before the first NCTR date of the rest of the file ({span.text('first')})" if before \
                else f"after the latest NCTR date of the rest of the file ({span.text('last')})"
            add(line, "nctr_datetime", f"{shown(p, 'nctr_datetime')} is {days:,} days {where}",
                far_fix("nctr_datetime"))
            refused.add((line, "nctr_datetime"))
            continue  # its other dates follow its NCTR date: one problem a row
        for column in columns:
            value = p.get(column)
            if value is not None and value - span.last > _FAR:
                add(line, column, f"{shown(p, column)} is {(value - span.last).days:,} days after the latest "
                    f"NCTR date in the file ({span.text('last')})", far_fix(column))
                refused.add((line, column))
    return span, refused


def check_extract_date(extract_date: dt.datetime, span: NctrSpan, source: str) -> None:
    """Refuse an extract date long after the extract's latest NCTR date (a typo such as 2030 for 2025).

    Raises
    ------
    ConfigError
        Naming ``--extract-date``, the latest NCTR date and its line.
    """
    if extract_date - span.last > _FAR:
        raise ConfigError("--extract-date", f"{extract_date.isoformat(sep=' ', timespec='minutes')} is "
                          f"{(extract_date - span.last).days:,} days after the latest NCTR date in {source} "
                          f"({span.text('last')}): the fit would count no new NCTR episode on those days",
                          "give the date the extract was taken (the latest NCTR date or soon after)")
