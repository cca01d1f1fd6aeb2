"""Checking a patient-level extract row by row, before anything is fitted.

Every problem names the file line (the header is line 1), the column, what is wrong and the fix, as
one line. By default the first problem stops the check (a :class:`~flowsim.model.errors.ConfigError`,
which the command line prints as one line with exit code 2); with ``report=True`` every problem in
every row is collected and raised together as an :class:`ExtractError`.

The checks: required columns present and no column read named twice; each row has as many values as
the header; ids present and episode ids unique; dates parse (ISO ``YYYY-MM-DD`` or
``YYYY-MM-DDTHH:MM[:SS]``, no time zone) and are not far outside the extract's period
(:mod:`~flowsim.calibration.extract_dates`); a known pathway (P0-P3) and after-P2 outcome; 0/1
readmission flags; a service stay only on P1-P3 and onward care only after P2; and time running
forwards: acute discharge and unit start not before NCTR, a stay not ending before it starts, onward
care not before the unit stay ends, nothing after the extract date. The schema itself is described in
:mod:`flowsim.calibration.extract`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flowsim.calibration.extract_dates import check_extract_date, check_far_dates, far_fix, in_calendar
from flowsim.model.errors import ConfigError
from flowsim.model.scenario import AFTER_P2_OUTCOMES, PATHWAYS

__all__ = ["DATETIME_COLUMNS", "OPTIONAL", "REQUIRED", "ExtractError", "Problem", "check_rows",
           "parse_time", "unit_key"]

REQUIRED = ("episode_id", "patient_id", "nctr_datetime", "acute_discharge_datetime", "pathway", "unit",
            "unit_start_datetime", "unit_end_datetime")
OPTIONAL = ("unit_ready_datetime", "onward_unit", "onward_start_datetime", "onward_end_datetime",
            "after_p2", "readmitted_30d", "is_readmission", "is_synthetic")
DATETIME_COLUMNS = ("nctr_datetime", "acute_discharge_datetime", "unit_start_datetime",
                    "unit_ready_datetime", "unit_end_datetime", "onward_start_datetime",
                    "onward_end_datetime")
_DATE_ONLY = re.compile(r"\d{4}-?\d{2}-?\d{2}")
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?)?")
_DATE_FIX = "write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM (local time, no time zone)"
# Lower-case keys YAML 1.1 reads as booleans or null (y and n too: PyYAML reads them as text, but the
# specification, and other readers of a system file, do not).
_YAML_WORDS = frozenset({"yes", "no", "true", "false", "on", "off", "y", "n", "null"})
_FLAGS = {"0": 0.0, "1": 1.0, "false": 0.0, "true": 1.0}
_DOCS = "see docs/how-to/calibrate.md"


@dataclass(frozen=True)
class Problem:
    """One problem in one row: file line, column, what is wrong and the fix."""

    line: int
    column: str
    problem: str
    fix: str

    def error(self, source: str) -> ConfigError:
        """As a one-line :class:`ConfigError` naming ``source`` (the file name)."""
        return ConfigError(f"{source} line {self.line}, column {self.column}", self.problem, self.fix)


class ExtractError(ConfigError):
    """Several problems found with ``report=True``; ``str()`` is the first, ``lines`` all of them."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        first = problems[0].error(source)
        super().__init__(first.field, first.problem, first.fix)
        self.problems = problems
        self.lines = [str(p.error(source)) for p in problems]


def parse_time(text: str) -> tuple[dt.datetime, bool]:
    """An ISO date or date-time without a time zone, and whether it was a date only.

    Raises
    ------
    ValueError
        Not ISO, or with a time zone.
    """
    if not _ISO_MOMENT.fullmatch(text):  # fromisoformat also takes 20250401T0259 and week dates
        raise ValueError("is not YYYY-MM-DD or YYYY-MM-DDTHH:MM")
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is not None:
        raise ValueError("has a time zone")
    return value, bool(_DATE_ONLY.fullmatch(text))


def unit_key(name: str) -> str:
    """The config key of a unit named ``name`` in the extract: lower case, ``_`` between words.

    A key YAML would read as something other than its text gets ``unit_`` in front: one starting with
    a digit (``1``, ``2e3``: numbers) and the words YAML 1.1 reads as true, false or null (``No`` would
    be the key False in the written system file).
    """
    key = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    return f"unit_{key}" if key[:1].isdigit() or key in _YAML_WORDS else key


class _Checker:
    """Collects problems; in first-problem mode raises at the first one."""

    def __init__(self, source: str, report: bool) -> None:
        self.source, self.report = source, report
        self.problems: list[Problem] = []

    def add(self, line: int, column: str, problem: str, fix: str) -> None:
        found = Problem(line, column, problem, fix)
        if not self.report:
            raise found.error(self.source)
        self.problems.append(found)

    def done(self) -> None:
        if self.problems:
            raise ExtractError(self.source, self.problems)


def _rows(text: str, checker: _Checker) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {column: stripped value}) of each non-blank row; the header checked first."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader, [])]
        read = set(REQUIRED + OPTIONAL)  # a repeat of another column is ignored with it
        repeated = next((c for i, c in enumerate(header) if c in read and c in header[:i]), None)
        if repeated is not None:  # the last copy would win, blank or not: neither is taken
            checker.add(1, "(header)", f"names the column {repeated} twice", "keep one column of each name")
            return
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            other = next((sep for sep in (";", "\t", "|") if len(header) == 1 and sep in header[0]), None)
            if other is not None:  # Excel in many European locales saves "CSV" with semicolons
                checker.add(1, "(header)", f"separates its columns with {other!r}, not commas",
                            "save the file as comma-separated CSV (in Excel: CSV UTF-8, comma delimited)")
                return
            checker.add(1, ", ".join(missing), "is missing from the header",
                        f"add the column(s) to line 1 (blank values are allowed); {_DOCS}")
            return
        seen = False
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            seen = True
            if len(values) != len(header):
                checker.add(line, "(row)", f"has {len(values)} values but the header has {len(header)}",
                            "give every row one value per column; quote values holding commas")
                continue
            yield line, {c: v.strip() for c, v in zip(header, values, strict=True)}
    except csv.Error as error:
        checker.add(reader.line_num, "(row)", f"is not valid CSV: {error}", "correct that line")
        return
    if not seen:
        checker.add(2, "(row)", "the file has a header but no episodes",
                    "add one row per NCTR episode under the header")


class _Row:
    """Parses one row's values, reporting each bad value once."""

    def __init__(self, line: int, values: dict[str, str], checker: _Checker) -> None:
        self.line, self.values, self.checker = line, values, checker
        self.parsed: dict[str, Any] = {"line": line, "date_only": set()}

    def text(self, column: str) -> str:
        return self.values.get(column, "")

    def time(self, column: str) -> dt.datetime | None:
        text = self.text(column)
        if not text:
            return None
        try:
            value, date_only = parse_time(text)
        except ValueError:
            self.checker.add(self.line, column, f"{text!r} is not a date", _DATE_FIX)
            return None
        if not in_calendar(value):  # 9999-12-31 and the like: no date arithmetic, and no real date
            self.checker.add(self.line, column, f"{text} is outside the years 1900 to 2100", far_fix(column))
            return None
        if date_only:
            self.parsed["date_only"].add(column)
        return value

    def not_before(self, later: str, earlier: str, why: str) -> None:
        """Report ``later`` < ``earlier`` (both parsed); ``why`` is the rule, for the fix."""
        a, b = self.parsed.get(later), self.parsed.get(earlier)
        if a is not None and b is not None and a < b:
            self.checker.add(self.line, later, f"{self.text(later)} is before {earlier} {self.text(earlier)}",
                             f"correct the dates: {why}")


def _check_row(row: _Row, first_line: dict[str, int], unit_names: dict[str, tuple[str, int]]) -> None:
    add, line, p = row.checker.add, row.line, row.parsed
    for column in ("episode_id", "patient_id"):
        if not row.text(column):
            add(line, column, "is blank", f"give every episode its {column.replace('_', ' ')}")
    episode = row.text("episode_id")
    if episode and episode in first_line:
        add(line, "episode_id", f"repeats {episode!r} (first on line {first_line[episode]})",
            "give each NCTR episode one row with its own id")
    elif episode:
        first_line[episode] = line
    p["episode_id"], p["patient_id"] = episode, row.text("patient_id")
    for column in DATETIME_COLUMNS:
        p[column] = row.time(column)
    if not row.text("nctr_datetime"):
        add(line, "nctr_datetime", "is blank", "give when the patient became discharge ready (NCTR)")
    pathway = row.text("pathway").upper()
    if pathway not in PATHWAYS:
        add(line, "pathway", f"{row.text('pathway')!r} is not a pathway", f"use one of {', '.join(PATHWAYS)}")
    p["pathway"] = pathway
    row.not_before("acute_discharge_datetime", "nctr_datetime",
                   "a patient leaves the acute bed after becoming NCTR")
    _check_unit(row, pathway, unit_names)
    after = row.text("after_p2").lower()
    if after and after not in AFTER_P2_OUTCOMES:
        add(line, "after_p2", f"{row.text('after_p2')!r} is not an after-P2 outcome",
            f"use one of {', '.join(AFTER_P2_OUTCOMES)}, or leave it blank")
    elif after and pathway in PATHWAYS and pathway != "P2":
        add(line, "after_p2", f"is given for a {pathway} episode", "blank it: it is for P2 episodes only")
    p["after_p2"] = after or None
    for column, meaning in (("readmitted_30d", "1 (readmitted within 30 days), 0 (not), or blank (30 days "
                                                "not yet passed)"),
                            ("is_readmission", "1 (this episode follows a readmission), 0 (not), or blank")):
        flag = row.text(column).lower()
        if flag and flag not in _FLAGS:
            add(line, column, f"{row.text(column)!r} is not 0 or 1", f"use {meaning}")
        p[column] = _FLAGS.get(flag)
    p["is_synthetic"] = row.text("is_synthetic").lower() in ("1", "true", "yes")


def _check_unit(row: _Row, pathway: str, unit_names: dict[str, tuple[str, int]]) -> None:
    """The service stay and onward care of one row."""
    add, line, p = row.checker.add, row.line, row.parsed
    stay = ("unit_start_datetime", "unit_ready_datetime", "unit_end_datetime")
    onward = ("onward_start_datetime", "onward_end_datetime")
    p["unit_key"] = p["onward_key"] = None
    for prefix, columns in (("unit", stay), ("onward_unit", onward)):
        name = row.text(prefix)
        given = [c for c in columns if row.text(c)]
        if not name:
            if given:
                add(line, prefix, f"is blank but {given[0]} is given", "give the unit's name")
            continue
        if pathway == "P0" and prefix == "unit":
            add(line, "unit", "is given for a P0 episode (P0 needs no service)",
                "blank the unit and its dates, or correct the pathway")
            continue
        if prefix == "onward_unit" and pathway in PATHWAYS and pathway != "P2":
            add(line, "onward_unit", f"is given for a {pathway} episode",
                "blank it: onward care follows a P2 stay only")
            continue
        key = unit_key(name)
        if not key:
            add(line, prefix, f"{name!r} has no letters or digits", "give the unit a name")
            continue
        if key in unit_names and unit_names[key][0] != name:
            other, first = unit_names[key]
            add(line, prefix, f"{name!r} and {other!r} (line {first}) would both be unit {key}",
                "spell each unit one way")
            continue
        unit_names.setdefault(key, (name, line))
        p["unit_key" if prefix == "unit" else "onward_key"] = key
        if not row.text(columns[0]):
            add(line, columns[0], f"is blank for a stay in {name!r}", "give when the stay started")
    started = p["unit_key"] and p.get("unit_start_datetime") is not None
    if started and not row.text("acute_discharge_datetime"):
        # blank means "still in the acute bed": the fit would count this stay's patient as still waiting
        add(line, "acute_discharge_datetime", f"is blank but the stay in {row.text('unit')!r} has started",
            "give when the patient left the acute bed, or blank the unit and its dates if they have not")
    row.not_before("unit_start_datetime", "nctr_datetime", "a stay starts after the patient became NCTR")
    row.not_before("unit_ready_datetime", "unit_start_datetime", "a patient is ready to leave after arriving")
    row.not_before("unit_end_datetime", "unit_start_datetime", "a stay ends after it starts")
    row.not_before("unit_end_datetime", "unit_ready_datetime", "a patient leaves after being ready to")
    if p.get("onward_key"):
        if p.get("unit_start_datetime") is not None and not row.text("unit_end_datetime"):
            add(line, "unit_end_datetime", "is blank but onward care has started",
                "give when the unit stay ended")
        row.not_before("onward_start_datetime", "unit_end_datetime",
                       "onward care starts when the unit stay ends")
        row.not_before("onward_end_datetime", "onward_start_datetime", "a stay ends after it starts")


def _latest(rows: list[dict[str, Any]]) -> dt.datetime | None:
    """Latest moment the file shows: a date-only value counts to the end of its day."""
    latest = None
    for p in rows:
        for column in DATETIME_COLUMNS:
            value = p.get(column)
            if value is None:
                continue
            end = value + dt.timedelta(days=1) if column in p["date_only"] else value
            latest = end if latest is None or end > latest else latest
    return latest


def check_rows(text: str, source: str, extract_date: dt.datetime | None = None,
               report: bool = False) -> tuple[list[dict[str, Any]], dt.datetime, dict[str, str]]:
    """Check and parse the text of an extract.

    Parameters
    ----------
    text : str
        The CSV text (header first).
    source : str
        The file name, for messages.
    extract_date : datetime, optional
        When the extract was taken; default: the latest moment in the file.
    report : bool
        Collect every problem (raise :class:`ExtractError`) instead of stopping at the first.

    Returns
    -------
    (list of dict, datetime, dict)
        Parsed rows (datetimes, normalised codes, the unit keys, ``line``), the extract date, and
        each unit key's name as written in the file.

    Raises
    ------
    ConfigError
        The first problem (``report=False``), or all of them (:class:`ExtractError`).
    """
    checker = _Checker(source, report)
    if not text.strip():
        checker.add(1, "(file)", "the file is empty",
                    f"give a CSV with a header line and one row per NCTR episode; {_DOCS}")
    first_line: dict[str, int] = {}
    unit_names: dict[str, tuple[str, int]] = {}
    rows = []
    for line, values in _rows(text, checker):
        row = _Row(line, values, checker)
        _check_row(row, first_line, unit_names)
        rows.append(row.parsed)
    span, refused = check_far_dates(rows, DATETIME_COLUMNS[1:], checker.add)
    if extract_date is not None and span is not None and not checker.problems:
        check_extract_date(extract_date, span, source)  # --report lists the rows' problems first
    end = extract_date or _latest(rows) or dt.datetime(1970, 1, 1)
    for p in rows:
        for column in DATETIME_COLUMNS:
            if p.get(column) is not None and p[column] > end and (p["line"], column) not in refused:
                checker.add(p["line"], column, f"{p[column].isoformat(sep=' ', timespec='minutes')} is after "
                            f"the extract date {end.isoformat(sep=' ', timespec='minutes')}",
                            "give --extract-date on or after the latest date in the file, or correct it")
    checker.done()
    return rows, end, {key: name for key, (name, _) in unit_names.items()}
