"""A patient-level extract: one row per NCTR episode, as ``flowsim-calibrate fit`` reads it.

A CSV file (UTF-8, comma-separated, header on line 1). Extra columns are ignored, so an extract can
carry your own fields. Dates are ISO: ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM[:SS]`` (a space instead of
``T`` works), local time without a time zone.

=========================== ======== ==========================================================
column                      needed   meaning
=========================== ======== ==========================================================
episode_id                  yes      unique per row
patient_id                  yes      the same for every episode of one patient (readmissions)
nctr_datetime               yes      when the patient became discharge ready (no criteria to reside)
acute_discharge_datetime    yes      when they left the acute bed; blank: still there at the extract date
pathway                     yes      P0, P1, P2 or P3
unit                        yes      the first service unit's name; blank for P0 and for patients
                                     still waiting in the acute bed
unit_start_datetime         yes      when the stay in ``unit`` began
unit_end_datetime           yes      when the patient left ``unit``; blank: still there
unit_ready_datetime         no       when the patient was ready to leave ``unit`` (their service ended),
                                     if they then waited in it for onward care; blank: as end
onward_unit                 no       P2 only: the unit of onward care (a P1 package, a P3 placement,
                                     a further P2 bed)
onward_start_datetime       no       when onward care began
onward_end_datetime         no       when onward care ended; blank: still going
after_p2                    no       P2 only, once the stay has ended: home, home_p1, p2, p3,
                                     readmission or death
readmitted_30d              no       1 if readmitted to acute within 30 days of leaving, 0 if not,
                                     blank if 30 days have not yet passed
is_readmission              no       1 if this episode follows such a readmission, 0 if not
is_synthetic                no       true in extracts made by ``flowsim-calibrate example``
=========================== ======== ==========================================================

The *extract date* is when the extract was taken (``--extract-date``; default the latest moment in
the file, a date-only value counting to the end of its day). Stays with no end by then are open
(right-censored). The extract is taken to hold every NCTR episode from its first NCTR date on, so a
date far outside that period is refused (:mod:`~flowsim.calibration.extract_dates`). An
episode counts as a readmission (not a new arrival) when its ``is_readmission`` is 1 or, where that is
blank or absent, when the same patient's previous episode in the file has ``readmitted_30d`` = 1
(readmissions of patients whose earlier episode is before the extract then count as new arrivals).

A stay's length is from its start to ``unit_ready_datetime`` if given, else to
``unit_end_datetime``: the model adds the wait for onward care itself. Lengths from dates only are
whole days; a completed stay of 0 days (same start and end) is fitted as half a day, since the
families fitted have no mass at 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from flowsim.calibration.extract_checks import DATETIME_COLUMNS, check_rows
from flowsim.model.datafile import read_text

__all__ = ["ZERO_STAY_DAYS", "Extract", "extract_from_text", "read_extract"]

# A completed stay recorded as 0 days (same start and end, e.g. dates only) is fitted as this long.
ZERO_STAY_DAYS = 0.5
_DAY = np.timedelta64(1, "D")
_FIELD = "extract"
_WHAT = "a patient-level extract CSV (see docs/how-to/calibrate.md)"


@dataclass(frozen=True)
class Extract:
    """A checked extract.

    Attributes
    ----------
    episodes : pandas.DataFrame
        One row per episode: ``line`` (in the file), ``episode_id``, ``patient_id``, ``pathway``,
        the date-time columns (``nctr_datetime``, ...; NaT when blank), ``unit`` and ``onward_unit``
        (config keys, see :func:`~flowsim.calibration.extract_checks.unit_key`), ``after_p2``,
        ``readmitted_30d`` and ``is_readmission`` (1.0, 0.0 or NaN) and ``is_synthetic``.
    extract_date : datetime.datetime
        When the extract was taken: open stays are censored there.
    source : str
        The file name.
    unit_names : dict of str to str
        Each unit key's name as written in the file.
    """

    episodes: pd.DataFrame
    extract_date: dt.datetime
    source: str
    unit_names: dict[str, str]

    @property
    def synthetic(self) -> bool:
        """Whether the rows are marked synthetic (made by flowsim, not real patients)."""
        return bool(self.episodes["is_synthetic"].any())

    @property
    def first_day(self) -> dt.date:
        """The calendar day of the first NCTR in the file."""
        return self.episodes["nctr_datetime"].min().date()

    @property
    def whole_days(self) -> int:
        """Whole calendar days from :attr:`first_day` up to the extract date (a part day is left out)."""
        start = dt.datetime.combine(self.first_day, dt.time())
        return max((self.extract_date - start).days, 0)

    def new_arrivals(self) -> pd.Series:
        """True for episodes that are not readmissions (see the module docstring)."""
        ordered = self.episodes.sort_values(["patient_id", "nctr_datetime"])
        previous_flag = ordered.groupby("patient_id", sort=False)["readmitted_30d"].shift(1)
        by_chain = (previous_flag != 1.0).reindex(self.episodes.index)
        flag = self.episodes["is_readmission"]
        return by_chain.where(flag.isna(), flag != 1.0)

    def stays(self) -> pd.DataFrame:
        """Every stay in a service unit: first stays and onward care, one row each.

        Returns
        -------
        pandas.DataFrame
            ``unit``, ``stage`` (``first`` or ``onward``), ``pathway`` of the episode, ``line``,
            ``start``, ``leave`` (NaT if still there), ``los_days`` (start to ready-or-end, or to the
            extract date when open), ``censored`` (still in service at the extract date) and
            ``zero_length`` (a completed 0-day stay, counted as :data:`ZERO_STAY_DAYS`).
        """
        e = self.episodes
        first = e[e["unit"].notna() & e["unit_start_datetime"].notna()]
        onward = e[e["onward_unit"].notna() & e["onward_start_datetime"].notna()]
        parts = [
            pd.DataFrame({"unit": first["unit"], "stage": "first", "pathway": first["pathway"],
                          "line": first["line"], "start": first["unit_start_datetime"],
                          "served": first["unit_ready_datetime"].fillna(first["unit_end_datetime"]),
                          "leave": first["unit_end_datetime"]}),
            pd.DataFrame({"unit": onward["onward_unit"], "stage": "onward", "pathway": onward["pathway"],
                          "line": onward["line"], "start": onward["onward_start_datetime"],
                          "served": onward["onward_end_datetime"], "leave": onward["onward_end_datetime"]}),
        ]
        stays = pd.concat(parts, ignore_index=True)
        end = pd.Timestamp(self.extract_date)
        stays["censored"] = stays["served"].isna()
        los = (stays["served"].fillna(end) - stays["start"]) / pd.Timedelta(days=1)
        stays["zero_length"] = ~stays["censored"] & (los <= 0)
        stays["los_days"] = los.mask(stays["zero_length"], ZERO_STAY_DAYS).astype(float)
        return stays.drop(columns="served").sort_values(["unit", "start"], ignore_index=True)


def _frame(rows: list[dict], unit_names: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame({
        "line": [r["line"] for r in rows],
        "episode_id": [r["episode_id"] for r in rows],
        "patient_id": [r["patient_id"] for r in rows],
        "pathway": [r["pathway"] for r in rows],
        **{c: pd.to_datetime(pd.Series([r[c] for r in rows], dtype=object)) for c in DATETIME_COLUMNS},
        "unit": [r["unit_key"] for r in rows],
        "onward_unit": [r["onward_key"] for r in rows],
        "after_p2": [r["after_p2"] for r in rows],
        **{c: np.array([np.nan if r[c] is None else r[c] for r in rows], dtype=float)
           for c in ("readmitted_30d", "is_readmission")},
        "is_synthetic": [r["is_synthetic"] for r in rows],
    })
    for column in DATETIME_COLUMNS:  # all-blank columns come back as object
        frame[column] = pd.to_datetime(frame[column])
    return frame


def extract_from_text(text: str, source: str = "extract.csv", extract_date: dt.datetime | None = None,
                      report: bool = False) -> Extract:
    """Check and parse extract CSV ``text`` (see the module docstring for the columns).

    Parameters
    ----------
    text : str
        CSV text, header first.
    source : str
        File name used in messages.
    extract_date : datetime, optional
        When the extract was taken (a midnight means the start of that day); default: the latest
        moment in the file.
    report : bool
        List every problem instead of stopping at the first.

    Raises
    ------
    ConfigError
        Naming the file line, the column and the fix; with ``report`` an
        :class:`~flowsim.calibration.extract_checks.ExtractError` holding every problem.
    """
    rows, end, unit_names = check_rows(text, source, extract_date, report)
    return Extract(_frame(rows, unit_names), end, source, unit_names)


def read_extract(path: str | Path, extract_date: dt.datetime | None = None, report: bool = False) -> Extract:
    """Read and check the extract at ``path``; see :func:`extract_from_text`.

    Raises
    ------
    flowsim.model.errors.ConfigError
        Also for a file that is missing, not a file, unreadable, binary or not UTF-8.
    """
    file = Path(path)
    if file.is_file() and not file.read_bytes().lstrip(b"\xef\xbb\xbf").strip():
        return extract_from_text("", file.name, extract_date, report)  # one message for an empty file
    file, text = read_text(file, _FIELD, _WHAT)
    return extract_from_text(text, file.name, extract_date, report)
