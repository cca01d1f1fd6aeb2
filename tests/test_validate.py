"""Unit tests of flowsim.model.validate: the checks every setting and data file goes through."""

from __future__ import annotations

import datetime as dt

import pytest

from flowsim.model.errors import ConfigError
from flowsim.model.validate import date_value, fmt, iso_date, real_number, whole_number

ARABIC_INDIC = "\u0662\u0660\u0662\u0665-\u0660\u0663-\u0660\u0661"  # 2025-03-01 in Arabic-Indic digits


@pytest.mark.parametrize("value, expected", [
    ("2025-04-01", dt.date(2025, 4, 1)), (" 2024-02-29 ", dt.date(2024, 2, 29)),
    (dt.date(2025, 1, 31), dt.date(2025, 1, 31)),
])
def test_a_date_is_read(value, expected):
    assert date_value(value, "run.start_date") == expected


@pytest.mark.parametrize("value, problem, fix", [
    ("2025-02-30", "'2025-02-30' is not a day of the calendar (2025-02 has 28 days)",
     "give a day that exists, e.g. 2025-02-28"),
    ("2023-02-29", "'2023-02-29' is not a day of the calendar (2023-02 has 28 days)",
     "give a day that exists, e.g. 2023-02-28"),
    ("2025-04-31", "'2025-04-31' is not a day of the calendar (2025-04 has 30 days)",
     "give a day that exists, e.g. 2025-04-30"),
    ("2025-04-00", "'2025-04-00' is not a day of the calendar (2025-04 has 30 days)",
     "give a day that exists, e.g. 2025-04-30"),
    ("2025-13-01", "'2025-13-01' has no month 13", "months are 01 to 12 (YYYY-MM-DD)"),
    ("0000-01-01", "'0000-01-01' has year 0", "years start at 0001 (YYYY-MM-DD)"),
    # not YYYY-MM-DD, though Python's fromisoformat reads the first two
    ("20250401", "'20250401' is not a date", "write it as YYYY-MM-DD"),
    ("2025-W14-2", "'2025-W14-2' is not a date", "write it as YYYY-MM-DD"),
    ("2025-4-1", "'2025-4-1' is not a date", "write it as YYYY-MM-DD"),
    (ARABIC_INDIC, f"{ARABIC_INDIC!r} is not a date", "write it as YYYY-MM-DD"),  # not ASCII digits
    (dt.datetime(2025, 4, 1, 12), "datetime.datetime(2025, 4, 1, 12, 0) is not a date",
     "write it as YYYY-MM-DD"),
])
def test_a_date_that_is_not_one_is_said_as_it_is(value, problem, fix):
    with pytest.raises(ConfigError) as refused:
        date_value(value, "run.start_date")
    assert (refused.value.field, refused.value.problem, refused.value.fix) == ("run.start_date", problem, fix)


@pytest.mark.parametrize("text", ["20250401", "2025-W14-2", "2025-02-30", ""])
def test_iso_date_takes_only_days_written_yyyy_mm_dd(text):
    with pytest.raises(ValueError):
        iso_date(text)


@pytest.mark.parametrize(("number", "text"), [
    (1.0, "1.0"), (24, "24"), (36_525.0, "36,525"), (1e-06, "1e-06"), (2.5, "2.5"),
    # a bound computed from the config (10 times a mean of 1e-06) loses its float noise: the fix said
    # "give an sd of at most 9.999999999999999e-06" (found by a QA pass)
    (10 * 1e-06, "1e-05"), (0.1 + 0.2, "0.3"), (-10 * 1e-06, "-1e-05"),
])
def test_bounds_are_written_as_people_write_them(number, text):
    assert fmt(number) == text


@pytest.mark.parametrize(("check", "value", "problem", "fix"), [
    (whole_number, "10", "got the text '10' (a number in quotes)", "without quotes, e.g. x=10"),
    (whole_number, " 7 ", "got the text ' 7 ' (a number in quotes)", "e.g. x=7"),
    (whole_number, "2.5", "got the text '2.5' (a number in quotes)", "set x to a whole number such as 1"),
    (whole_number, "ten", "got 'ten'", "set x to a whole number such as 1"),
    (real_number, "1.5", "got the text '1.5' (a number in quotes)", "without quotes, e.g. x=1.5"),
    (real_number, "nan", "got 'nan'", "set x to a number"),  # not a finite number: no quotes to drop
])
def test_a_number_in_quotes_is_said_to_be_text(check, value, problem, fix):
    with pytest.raises(ConfigError) as raised:
        check(value, "x")
    assert problem in raised.value.problem and fix in raised.value.fix, str(raised.value)


@pytest.mark.parametrize(("check", "value", "fix"), [
    (whole_number, "010", "write it without the leading zero, e.g. x=10"),
    (whole_number, "-01", "e.g. x=-1"),
    (real_number, "00.5", "write it without the leading zero, e.g. x=0.5"),
])
def test_a_number_with_a_leading_zero_is_not_said_to_be_in_quotes(check, value, fix):
    # "010" (a sweep's value in an experiment file, 09 in YAML) got "the text '010' (a number in quotes);
    # fix: write the number without quotes, e.g. x=010": no quotes, and the fix was the input (QA)
    with pytest.raises(ConfigError) as raised:
        check(value, "x")
    assert f"got '{value}', read as text: a number cannot start with 0 followed by another digit" in (
        raised.value.problem)
    assert raised.value.fix == fix or fix in raised.value.fix, str(raised.value)
    assert "quotes" not in str(raised.value)
