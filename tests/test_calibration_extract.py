"""The extract schema as read, and the synthetic extract flowsim writes: stays, censoring, dates, marks."""

from __future__ import annotations

import datetime as dt
import textwrap

import pandas as pd
import pytest
from omegaconf import OmegaConf

from flowsim.calibration.example import shipped_extract_csv, synthetic_extract, write_synthetic_extract
from flowsim.calibration.extract import extract_from_text, read_extract
from flowsim.calibration.extract_checks import OPTIONAL, REQUIRED, unit_key
from flowsim.model.errors import ConfigError

HEADER = ("episode_id,patient_id,nctr_datetime,acute_discharge_datetime,pathway,unit,unit_start_datetime,"
          "unit_ready_datetime,unit_end_datetime,onward_unit,onward_start_datetime,onward_end_datetime,after_p2,"
          "readmitted_30d,my_own_column")
# Line 2: P0. Line 3: P1, package still open. Line 4: P2 in "IC Beds (North)", ready on day 20 but waiting
# for P1 until day 25, then P1 for 10 days; readmitted. Line 5: the same patient back (a readmission),
# P3 from dates only, 0 days. Line 6: P2 still waiting in the acute bed.
ROWS = """\
a,1,2025-04-01T09:00,2025-04-01T12:00,P0,,,,,,,,,0,x
b,2,2025-04-01T10:00,2025-04-02T10:00,P1,Reablement,2025-04-02T10:00,,,,,,,,y
c,3,2025-04-02T00:00,2025-04-03T00:00,p2,IC Beds (North),2025-04-03T00:00,2025-04-23T00:00,2025-04-28T00:00,\
Reablement,2025-04-28T00:00,2025-05-08T00:00,home_p1,1,
d,3,2025-05-12,2025-05-20,P3,Interim,2025-05-20,,2025-05-20,,,,,,
e,4,2025-05-25T06:00,,P2,,,,,,,,,,
"""


@pytest.fixture
def extract():
    return extract_from_text(HEADER + "\n" + ROWS, "mine.csv")


def test_the_extract_date_defaults_to_the_end_of_the_latest_day(extract):
    # The latest value is 2025-05-25T06:00; 2025-05-20 (a date) counts to 2025-05-21 00:00, which is earlier.
    assert extract.extract_date == dt.datetime(2025, 5, 25, 6, 0)
    assert extract.first_day == dt.date(2025, 4, 1) and extract.whole_days == 54
    only_dates = extract_from_text(HEADER + "\n" + ROWS.splitlines()[3] + "\n", "dates.csv")
    assert only_dates.extract_date == dt.datetime(2025, 5, 21)


def test_stays_are_first_stays_and_onward_care_with_censoring_at_the_extract_date(extract):
    stays = extract.stays().set_index(["unit", "stage"])
    assert sorted(stays.index) == [("ic_beds_north", "first"), ("interim", "first"), ("reablement", "first"),
                                   ("reablement", "onward")]
    # Still open: from 2 April 10:00 to the extract date 25 May 06:00 = 52 d 20 h.
    open_package = stays.loc[("reablement", "first")]
    assert bool(open_package["censored"]) and open_package["los_days"] == pytest.approx(52 + 20 / 24)
    ic = stays.loc[("ic_beds_north", "first")]
    assert not ic["censored"] and ic["los_days"] == 20.0  # to ready (23 April), not to leaving (28 April)
    assert ic["leave"] == pd.Timestamp("2025-04-28")  # occupancy runs to leaving
    assert stays.loc[("reablement", "onward"), "los_days"] == 10.0
    interim = stays.loc[("interim", "first")]
    assert bool(interim["zero_length"]) and interim["los_days"] == 0.5
    assert extract.unit_names == {"reablement": "Reablement", "ic_beds_north": "IC Beds (North)",
                                  "interim": "Interim"}


def test_codes_are_normalised_and_extra_columns_ignored(extract):
    e = extract.episodes
    assert e["pathway"].tolist() == ["P0", "P1", "P2", "P3", "P2"]
    assert "my_own_column" not in e.columns
    assert e["readmitted_30d"].isna().tolist() == [False, True, False, True, True]
    assert not extract.synthetic


def test_a_readmission_is_not_a_new_arrival(extract):
    # Patient 3's first episode was readmitted, so the second is a readmission.
    assert extract.new_arrivals().tolist() == [True, True, True, False, True]
    rows = [f"{row},{flag}" for row, flag in zip(ROWS.splitlines(), ["1", "0", "", "", ""], strict=True)]
    flagged = extract_from_text("\n".join([HEADER + ",is_readmission", *rows]), "flags.csv")
    # An explicit flag wins (row a says it is a readmission); blank flags fall back on the patient chain.
    assert flagged.new_arrivals().tolist() == [False, True, True, False, True]


def test_an_extract_date_given_cuts_later_values():
    early = dt.datetime(2025, 5, 1)
    message = (r"^mine.csv line 4, column onward_end_datetime: 2025-05-08 00:00 is after the extract date "
               r"2025-05-01 00:00; fix: give --extract-date")
    with pytest.raises(ConfigError, match=message):
        extract_from_text(HEADER + "\n" + ROWS, "mine.csv", extract_date=early)


def test_the_synthetic_extract_is_marked_and_has_open_stays(tmp_path):
    made = synthetic_extract(days=60, seed=3, scale=0.1)
    rows = made.rows
    assert list(rows.columns) == [*REQUIRED[:7], "unit_ready_datetime", "unit_end_datetime",
                                  *[c for c in OPTIONAL if c != "unit_ready_datetime"]]
    assert (rows["is_synthetic"] == "true").all()
    assert made.extract_date == dt.datetime(2025, 5, 31)
    assert rows["nctr_datetime"].min() >= "2025-04-01" and rows["nctr_datetime"].max() < "2025-05-31"
    open_stays = (rows["unit_start_datetime"] != "") & (rows["unit_end_datetime"] == "")
    assert open_stays.sum() > 20
    path = tmp_path / "synthetic_two_months.csv"
    rows.to_csv(path, index=False)
    read = read_extract(path)
    assert read.synthetic and len(read.episodes) == len(rows)
    with pytest.raises(ConfigError, match=r"OUT: 'two_months.csv' does not say it is synthetic; fix: name"):
        write_synthetic_extract(tmp_path / "two_months.csv", days=10)


def test_the_shipped_synthetic_extract_is_small_marked_and_documented():
    path = shipped_extract_csv()
    assert path.is_file() and path.stat().st_size < 1_000_000
    extract = read_extract(path)
    assert extract.synthetic and extract.episodes["is_synthetic"].all() and len(extract.episodes) > 5000
    readme = (path.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## `synthetic_extract.csv`", 1)[1]
    assert "SYNTHETIC" in section and "flowsim-calibrate example" in section


def test_dates_may_be_given_with_a_space_and_seconds():
    text = textwrap.dedent("""\
        episode_id,patient_id,nctr_datetime,acute_discharge_datetime,pathway,unit,unit_start_datetime,unit_end_datetime
        1,1,2025-04-01 09:00:30,2025-04-02 09:00:30,P1,r,2025-04-02 09:00:30,2025-04-04 21:00:30
        """)
    stays = extract_from_text(text, "space.csv").stays()
    assert stays["los_days"].tolist() == [2.5]


@pytest.mark.parametrize("name", ["No", "null", "Yes", "off", "ON", "true", "False", "y", "N", "1", "2e3",
                                  "IC Beds (North)", "Nope", "nothing"])
def test_a_unit_key_reads_back_as_its_text_in_yaml(name):
    # "No" became the key no, which YAML 1.1 (PyYAML, OmegaConf) reads as False (found by a QA pass)
    key = unit_key(name)
    assert list(OmegaConf.create(f"{key}: 1")) == [key]
    assert key == {"IC Beds (North)": "ic_beds_north", "Nope": "nope", "nothing": "nothing"}.get(
        name, f"unit_{name.lower()}")
