"""NCTR arrivals: calendar profiles, CSV series and the Poisson process."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from conftest import single_unit_config

from flowsim.model.arrivals import arrival_times, daily_rates_from_csv, daily_rates_from_profile, hour_cdf
from flowsim.model.errors import ConfigError
from flowsim.model.rng import make_generator
from flowsim.model.scenario import build_scenario


def test_profile_applies_weekday_and_month():
    start = dt.date(2025, 1, 27)  # a Monday in January
    rates = daily_rates_from_profile(100.0, [1, 2, 3, 4, 5, 6, 7], [1.0] + [10.0] * 11, start, 10)
    assert rates.tolist()[:5] == [100, 200, 300, 400, 500]  # Mon..Fri, January
    assert rates[5] == 10 * 600  # Saturday 1 February: February multiplier 10


def test_counts_per_day_are_poisson():
    rates = np.full(20_000, 7.5)
    times = arrival_times(rates, 20_000, np.random.default_rng(5), np.random.default_rng(6))
    counts = np.bincount(times.astype(int), minlength=20_000)
    assert counts.mean() == pytest.approx(7.5, rel=0.01)
    assert counts.var() == pytest.approx(7.5, rel=0.05)
    assert np.all(np.diff(times) >= 0)
    # uniform within the day
    assert (times % 1).mean() == pytest.approx(0.5, abs=0.005)


def test_horizon_cuts_partial_day():
    times = arrival_times(np.full(3, 1000.0), 2.5, np.random.default_rng(1), np.random.default_rng(2))
    assert times.max() < 2.5


def test_earlier_days_do_not_depend_on_the_horizon():
    rates = np.linspace(5.0, 50.0, 800)
    short = arrival_times(rates[:400], 400, np.random.default_rng(3), np.random.default_rng(4))
    long = arrival_times(rates, 800, np.random.default_rng(3), np.random.default_rng(4))
    early = short[short < 300]
    assert early.size > 1000
    np.testing.assert_array_equal(early, long[:early.size])
    assert long[early.size] >= 300


def test_csv_series_carries_its_last_four_weeks_into_the_cool_down(tmp_path):
    start = dt.date(2025, 4, 1)
    path = tmp_path / "rates.csv"
    days = [start + dt.timedelta(days=d) for d in range(30)]
    path.write_text("date,rate_per_day\n" + "".join(f"{d.isoformat()},{i}\n" for i, d in enumerate(days)))
    rates = daily_rates_from_csv(path, start, 25, 60)
    assert rates.tolist()[:30] == list(range(30))  # the file's own days first, beyond the horizon too
    # then the horizon's last four weeks (days 0-24: fewer than 28, so all of them), in order
    assert rates.tolist()[30:] == [float(x) for x in [*range(5, 25), *range(0, 10)]]


def test_csv_series(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("date,rate_per_day\n2025-04-01,10\n2025-04-02,20\n2025-04-03,30\n")
    rates = daily_rates_from_csv(path, dt.date(2025, 4, 2), 2)
    assert rates.tolist() == [20.0, 30.0]


@pytest.mark.parametrize(("text", "problem"), [
    ("day,rate\n2025-04-01,1\n", "lacks the columns"),
    # a spreadsheet's export in a locale that separates with ';': said so, not "lacks the columns"
    ("date;rate_per_day\n2025-04-01;1\n", "rates.csv separates its columns with ';', not commas; fix: save "
                                          "it as CSV with commas, header line 'date,rate_per_day'"),
    ("date,rate_per_day\n2025-04-01,abc\n", "line 2"),
    ("date,rate_per_day\n2025-04-01,-4\n", "line 2"),
    ("date,rate_per_day\n2025-04-01,4\n", "no rate for 2025-04-02 (1 simulated day missing); fix: extend "
                                            "the file to cover the run or shorten run.horizon_days"),
    # a file starting after the run: a shorter horizon cannot help (found by a QA pass)
    ("date,rate_per_day\n2025-04-02,4\n2025-04-03,4\n", "no rate for 2025-04-01 (1 simulated day missing); "
     "fix: start the run on or after the file's first date (run.start_date=2025-04-02) or extend the "
     "file back"),
    ("date,rate_per_day\n2025-03-31,4\n2025-04-02,4\n", "fix: add the missing dates to the file (the first "
                                                        "is 2025-04-01)"),
])
def test_csv_errors_name_the_field(tmp_path, text, problem):
    path = tmp_path / "rates.csv"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        daily_rates_from_csv(path, dt.date(2025, 4, 1), 2)
    assert caught.value.field == "arrivals.series_csv"
    assert problem in str(caught.value)


# -- time of day (arrivals.hour_of_day_multipliers) ----------------------------------------------------
def test_an_hour_profile_places_arrivals_in_their_hours_and_keeps_the_counts():
    rates = np.full(200, 30.0)
    weights = [0.0] * 24
    weights[9], weights[14] = 3.0, 1.0  # 09:00-10:00 three times as likely as 14:00-15:00
    flat = arrival_times(rates, 200.0, make_generator(1, 0, "a"), make_generator(1, 0, "t"))
    shaped = arrival_times(rates, 200.0, make_generator(1, 0, "a"), make_generator(1, 0, "t"),
                           hour_cdf(weights))
    np.testing.assert_array_equal(np.floor(flat), np.floor(shaped))  # same days, same counts
    hour = np.floor((shaped % 1.0) * 24.0)
    assert set(np.unique(hour)) == {9.0, 14.0}
    assert (hour == 9).mean() == pytest.approx(0.75, abs=0.01)
    within = (shaped % 1.0) * 24.0 - hour  # uniform within the hour
    assert within.mean() == pytest.approx(0.5, abs=0.01)
    assert hour_cdf([2.0] * 24) is None  # a flat profile keeps the uniform draw as it was


@pytest.mark.parametrize(("values", "field"), [
    ([1.0] * 23, "arrivals.hour_of_day_multipliers"),
    ([0.0] * 24, "arrivals.hour_of_day_multipliers"),
    ([1.0] * 23 + [-1.0], "arrivals.hour_of_day_multipliers[23]"),
])
def test_a_wrong_hour_profile_is_named(values, field):
    config = single_unit_config()
    config["arrivals"]["hour_of_day_multipliers"] = values
    with pytest.raises(ConfigError) as error:
        build_scenario(config)
    assert error.value.field == field
