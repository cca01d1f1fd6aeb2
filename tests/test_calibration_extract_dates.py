"""Dates far outside an extract's period are refused with the line, column and fix; real periods are not.

Each wrong date here was fitted without a word (found by a QA pass): an NCTR date of 1900-01-01 gave
0.057 arrivals a day for 22; open stays ended at the "still open" date 2099-12-31 moved the extract
date to 2100 and gave a mean stay of 10,722 days; an --extract-date of 2030 gave 1.4 a day; and a
date-only 9999-12-31, in the file or as --extract-date, stopped with an OverflowError traceback.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from flowsim.calibration.example import shipped_extract_csv, synthetic_extract
from flowsim.calibration.extract import extract_from_text, read_extract
from flowsim.calibration.extract_checks import ExtractError
from flowsim.calibration.extract_dates import FAR_DAYS
from flowsim.cli.calibrate import main
from flowsim.model.errors import ConfigError

HEADER = "episode_id,patient_id,nctr_datetime,acute_discharge_datetime,pathway,unit,unit_start_datetime," \
         "unit_end_datetime"


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    """Two months of a small synthetic system (open stays at the end), as the file's text columns."""
    return synthetic_extract(days=60, seed=5, scale=0.05).rows


def _text(rows: pd.DataFrame) -> str:
    return rows.to_csv(index=False)


def _refused(text: str, extract_date: dt.datetime | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as error:
        extract_from_text(text, "mine.csv", extract_date)
    return error.value


def test_an_nctr_date_far_before_the_others_is_refused(rows):
    bad = rows.copy()
    bad.loc[3, "nctr_datetime"] = "1900-01-01"  # file line 5
    first = rows.loc[0, "nctr_datetime"].replace("T", " ")
    error = _refused(_text(bad))
    assert str(error).startswith(f"mine.csv line 5, column nctr_datetime: 1900-01-01 is 45,746 days before "
                                 f"the first NCTR date of the rest of the file ({first}, line 2); fix: "
                                 "correct the date (arrivals are counted on every day from the first NCTR")
    assert "leave out an episode from outside the extract's period" in str(error)


def test_a_year_typo_in_an_nctr_date_is_refused(rows):
    # 2024 for 2025: the acute discharge (in 2025) is after it, as it should be, but a year of no arrivals
    bad = rows.copy()
    bad.loc[0, "nctr_datetime"] = bad.loc[0, "nctr_datetime"].replace("2025-", "2024-", 1)
    error = _refused(_text(bad))
    assert error.field == "mine.csv line 2, column nctr_datetime"
    assert "days before the first NCTR date of the rest of the file" in error.problem


@pytest.mark.parametrize("sentinel", ["2099-12-31", "9999-12-31T00:00", "9999-12-31"])
def test_an_open_stay_ended_at_a_far_future_date_is_refused_with_blank_as_the_fix(rows, sentinel):
    bad = rows.copy()
    still_open = (bad["unit_start_datetime"] != "") & (bad["unit_end_datetime"] == "")
    bad.loc[still_open, "unit_end_datetime"] = sentinel
    line = int(still_open.to_numpy().nonzero()[0][0]) + 2
    error = _refused(_text(bad))  # 9999-12-31, a date alone, was an OverflowError
    assert error.field == f"mine.csv line {line}, column unit_end_datetime"
    far = "outside the years 1900 to 2100" if sentinel.startswith("9999") else "days after the latest NCTR"
    assert far in error.problem
    assert error.fix.startswith("leave it blank for a stay still open when the extract was taken")


def test_report_names_each_far_date_once_even_after_an_extract_date(rows):
    bad = rows.copy()
    bad.loc[3, "nctr_datetime"] = "1900-01-01"
    bad.loc[5, "acute_discharge_datetime"] = "2099-12-31T10:00"
    with pytest.raises(ExtractError) as error:
        extract_from_text(_text(bad), "mine.csv", dt.datetime(2025, 6, 1), report=True)
    assert [line.split(": ")[0] for line in error.value.lines] == [
        "mine.csv line 5, column nctr_datetime", "mine.csv line 7, column acute_discharge_datetime"]
    assert error.value.problems[1].fix.startswith("leave it blank for a patient still in the acute bed")


def _run(argv: list[str], capsys) -> tuple[int, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as stop:
        code = stop.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("date", "words"), [
    ("2030-01-01", "--extract-date: 2030-01-02 00:00 is 1,6"),
    ("2026-05-31", "--extract-date: 2026-06-01 00:00 is 36"),  # 2026 for 2025
    ("9999-12-31", "--extract-date: 9999-12-31 is outside the years 1900 to 2100; fix: give the date"),
    ("1066-10-14T09:00", "--extract-date: 1066-10-14T09:00 is outside the years 1900 to 2100"),
])
def test_an_extract_date_far_from_the_extract_is_one_line(rows, tmp_path, capsys, date, words):
    path = tmp_path / "synthetic_dates.csv"
    rows.to_csv(path, index=False)
    code, err = _run(["fit", str(path), "--extract-date", date, "--output", str(tmp_path / "out")], capsys)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"flowsim-calibrate: error: {words}"), err
    if "days after" in err:
        assert "days after the latest NCTR date in synthetic_dates.csv (" in err
        assert "; fix: give the date the extract was taken" in err
    assert not (tmp_path / "out").exists()


def test_an_extract_date_before_the_files_dates_names_the_row(rows):
    error = _refused(_text(rows), dt.datetime(2024, 5, 31))  # 2024 for 2025: the rows are after it
    assert error.field == "mine.csv line 2, column nctr_datetime"
    assert "is after the extract date" in error.problem


def test_a_few_years_of_monthly_episodes_and_an_extract_date_a_while_on_are_taken():
    # sparse (one episode a month), over three years, open stays, taken 150 days after the last NCTR
    lines = [f"e{m},p{m},{2023 + m // 12}-{1 + m % 12:02d}-15T09:00,{2023 + m // 12}-{1 + m % 12:02d}-16,P1,"
             f"Team,{2023 + m // 12}-{1 + m % 12:02d}-16," for m in range(36)]
    text = HEADER + "\n" + "\n".join(lines) + "\n"
    extract = extract_from_text(text, "sparse.csv", dt.datetime(2026, 5, 15))
    assert extract.first_day == dt.date(2023, 1, 15) and len(extract.episodes) == 36
    hole = "\n".join(lines[:6] + lines[13:])  # no NCTR from 15 June 2023 to 15 February 2024: 245 days
    error = _refused(HEADER + "\n" + hole + "\n")
    assert error.field == "mine.csv line 2, column nctr_datetime"  # the smaller group, its first line
    assert error.problem == ("2023-01-15 09:00 is 396 days before the first NCTR date of the rest of the "
                             "file (2024-02-15 09:00, line 8)")
    assert FAR_DAYS == 183


def test_the_shipped_extract_and_a_fresh_example_read_as_before(rows):
    shipped = read_extract(shipped_extract_csv(), dt.datetime(2026, 4, 1))
    assert shipped.first_day == dt.date(2025, 4, 1) and len(shipped.episodes) == 9225
    made = extract_from_text(_text(rows), "synthetic.csv")
    assert made.first_day == dt.date(2025, 4, 1) and len(made.episodes) == len(rows)


def test_an_extract_date_weeks_after_the_last_episode_is_noted_with_the_fit(rows):
    from flowsim.calibration.arrivals_fit import QUIET_DAYS, fit_arrivals

    taken = dt.datetime(2025, 5, 31)  # the end of the synthetic window: no note
    assert not [n for n in fit_arrivals(extract_from_text(_text(rows), "s.csv", taken)).notes if "NCTR" in n]
    later = fit_arrivals(extract_from_text(_text(rows), "s.csv", taken + dt.timedelta(days=30)))
    last = rows["nctr_datetime"].max().replace("T", " ")
    line = int(rows["nctr_datetime"].to_numpy().argmax()) + 2
    assert (f"no NCTR episode in the 30 days from the latest NCTR date ({last}, line {line}) to the extract "
            "date: they are counted as days without arrivals, so if the extract was taken earlier, give "
            "that as --extract-date") in later.notes
    assert QUIET_DAYS == 14
