"""Means, confidence intervals and the tables behind the board figures (flowsim.measures.aggregate).

Every expected value is worked out by hand from a tiny table (the arithmetic is in the comments);
Student-t quantiles are literals from scipy: t(0.975, 1) = 12.706204736174694,
t(0.975, 2) = 4.302652729749462, t(0.975, 3) = 3.1824463052837078, t(0.95, 3) = 2.3533634348018233.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from flowsim.measures.aggregate import (
    HEADLINE_KPIS,
    REASONS,
    census_fan,
    confidence_interval,
    marginal_benefit_steps,
    option_label,
    reasons_by_option,
    replication_table,
    summarise,
    wait_distribution,
    weekly_utilisation,
)

T975_1 = 12.706204736174694
T975_2 = 4.302652729749462
T975_3 = 3.1824463052837078
T95_3 = 2.3533634348018233
SD_1234 = 1.2909944487358056  # sd of [1, 2, 3, 4]: sqrt((1.5² + 0.5² + 0.5² + 1.5²) / 3) = sqrt(5 / 3)
HALF_1234 = 2.0542602567605206  # t(0.975, 3) x sd / sqrt(4) = 3.18245 x 1.29099 / 2
OPTION = "services.care_home_unit.capacity"


def _nan(x: float) -> bool:
    return isinstance(x, float) and math.isnan(x)


# --- confidence_interval ----------------------------------------------------------------------------

def test_student_t_interval_of_four_values():
    mean, low, high = confidence_interval([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5
    assert low == pytest.approx(2.5 - HALF_1234, rel=1e-12)  # 0.44574
    assert high == pytest.approx(2.5 + HALF_1234, rel=1e-12)  # 4.55426
    assert (low, high) == pytest.approx((0.4457397432394794, 4.554260256760521), rel=1e-12)


def test_interval_at_another_level():
    _, low, high = confidence_interval(np.array([1.0, 2.0, 3.0, 4.0]), level=0.90)
    half = T95_3 * SD_1234 / 2  # 2.35336 x 1.29099 / 2 = 1.51909
    assert (low, high) == pytest.approx((2.5 - half, 2.5 + half), rel=1e-12)
    assert half == pytest.approx(1.519089565093491, rel=1e-12)


def test_interval_of_two_values_uses_one_degree_of_freedom():
    mean, low, high = confidence_interval([1.0, 3.0])
    # sd = sqrt(2), se = sqrt(2) / sqrt(2) = 1, half = t(0.975, 1) x 1
    assert mean == 2.0
    assert (low, high) == pytest.approx((2.0 - T975_1, 2.0 + T975_1), rel=1e-12)


def test_fewer_than_two_finite_values_give_no_interval():
    mean, low, high = confidence_interval([7.5])
    assert mean == 7.5 and _nan(low) and _nan(high)
    assert all(_nan(v) for v in confidence_interval([]))
    assert all(_nan(v) for v in confidence_interval([float("nan"), float("inf")]))
    mean, low, high = confidence_interval([float("nan"), 4.0, float("-inf")])
    assert mean == 4.0 and _nan(low) and _nan(high)


def test_non_finite_values_are_left_out():
    mean, low, high = confidence_interval([1.0, float("nan"), 2.0, 3.0, float("inf"), 4.0])
    assert mean == 2.5  # the mean of 1, 2, 3, 4, not NaN
    assert (low, high) == pytest.approx((2.5 - HALF_1234, 2.5 + HALF_1234), rel=1e-12)


def test_constant_values_have_a_zero_width_interval():
    assert confidence_interval([3.0, 3.0, 3.0]) == (3.0, 3.0, 3.0)


# --- replication_table and summarise ---------------------------------------------------------------

def test_replication_table_has_one_row_per_replication_in_order():
    table = replication_table([(2, {"a": 1.0, "b": 10.0}), (0, {"a": 3.0, "b": 30.0}),
                               (1, {"a": 2.0, "b": 20.0})])
    assert list(table.columns) == ["replication", "a", "b"]
    assert table["replication"].tolist() == [0, 1, 2]
    assert table["a"].tolist() == [3.0, 2.0, 1.0]
    assert table["b"].tolist() == [30.0, 20.0, 10.0]
    assert table.index.tolist() == [0, 1, 2]


SUMMARY_COLUMNS = ["kpi", "n", "mean", "sd", "ci_low", "ci_high", "half_width_pct"]


@pytest.fixture
def replications() -> pd.DataFrame:
    return pd.DataFrame({
        "replication": [0, 1, 2, 3],
        "a": [1.0, 2.0, 3.0, 4.0],
        "b": [2.0, np.nan, 4.0, 6.0],  # 3 finite values
        "zero": [-1.0, 1.0, -1.0, 1.0],  # mean 0: no relative half-width
        "negative": [-1.0, -2.0, -3.0, -4.0],
    })


def test_summarise_every_column_by_hand(replications):
    s = summarise(replications)
    assert list(s.columns) == SUMMARY_COLUMNS
    assert s["kpi"].tolist() == ["a", "b", "zero", "negative"]  # table order, replication left out
    assert s["n"].tolist() == [4, 3, 4, 4]
    a, b, zero, negative = (s.iloc[i] for i in range(4))
    # a: mean 2.5, sd 1.29099, half 2.05426 = 82.170 % of 2.5
    assert a["mean"] == 2.5 and a["sd"] == pytest.approx(SD_1234, rel=1e-12)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((0.4457397432394794, 4.554260256760521), rel=1e-12)
    assert a["half_width_pct"] == pytest.approx(100 * HALF_1234 / 2.5, rel=1e-12)
    assert a["half_width_pct"] == pytest.approx(82.17041027042083, rel=1e-12)
    # b: 2, 4, 6 -> mean 4, sd 2, half = t(0.975, 2) x 2 / sqrt(3) = 4.96828 = 124.207 % of 4
    half_b = T975_2 * 2 / math.sqrt(3)
    assert b["mean"] == 4.0 and b["sd"] == pytest.approx(2.0, rel=1e-12)
    assert (b["ci_low"], b["ci_high"]) == pytest.approx((4 - half_b, 4 + half_b), rel=1e-12)
    assert b["half_width_pct"] == pytest.approx(100 * half_b / 4, rel=1e-12)
    assert half_b == pytest.approx(4.9682754235006605, rel=1e-12)
    # zero: mean 0, sd sqrt(4 / 3); the half-width as a % of 0 is undefined
    half_zero = T975_3 * math.sqrt(4 / 3) / 2
    assert zero["mean"] == 0.0 and zero["sd"] == pytest.approx(math.sqrt(4 / 3), rel=1e-12)
    assert (zero["ci_low"], zero["ci_high"]) == pytest.approx((-half_zero, half_zero), rel=1e-12)
    assert math.isnan(zero["half_width_pct"])
    # negative: mean -2.5, the same half-width, as a % of |mean|
    assert negative["mean"] == -2.5
    assert (negative["ci_low"], negative["ci_high"]) == pytest.approx((-2.5 - HALF_1234, -2.5 + HALF_1234),
                                                                      rel=1e-12)
    assert negative["half_width_pct"] == pytest.approx(82.17041027042083, rel=1e-12)


def test_summarise_named_kpis_in_the_order_given_and_skips_unknown_ones(replications):
    s = summarise(replications, ["negative", "no_such_kpi", "a"])
    assert s["kpi"].tolist() == ["negative", "a"]
    assert s["mean"].tolist() == [-2.5, 2.5]


def test_summarise_at_another_level(replications):
    a = summarise(replications, ["a"], level=0.90).iloc[0]
    half = T95_3 * SD_1234 / 2  # 1.51909
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((2.5 - half, 2.5 + half), rel=1e-12)
    assert a["half_width_pct"] == pytest.approx(100 * half / 2.5, rel=1e-12)


def test_summarise_two_replications():
    row = summarise(pd.DataFrame({"replication": [0, 1], "a": [1.0, 3.0]})).iloc[0]
    # sd sqrt(2), se 1, half = t(0.975, 1) = 12.706 = 635.3 % of 2
    assert row["n"] == 2 and row["sd"] == pytest.approx(math.sqrt(2), rel=1e-12)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((2 - T975_1, 2 + T975_1), rel=1e-12)
    assert row["half_width_pct"] == pytest.approx(100 * T975_1 / 2, rel=1e-12)


def test_summarise_one_replication_has_no_spread():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one replication is the default run: no numpy warning either
        s = summarise(pd.DataFrame({"replication": [0], "a": [7.0]}))
    row = s.iloc[0]
    assert row["kpi"] == "a" and row["n"] == 1 and row["mean"] == 7.0
    assert all(math.isnan(row[c]) for c in ("sd", "ci_low", "ci_high", "half_width_pct"))


def test_headline_kpis_are_the_ones_a_board_quotes():
    assert HEADLINE_KPIS == (
        "delayed_days_per_year", "delay_mean_days", "delay_P1_mean_days", "delay_P2_mean_days",
        "delay_P3_mean_days", "nctr_census_mean", "nctr_census_midnight_p95", "p2_blocked_bed_days",
        "cost_delayed_days", "cost_units", "cost_total")


# --- option_label -----------------------------------------------------------------------------------

def test_option_label():
    assert option_label({OPTION: 2}) == "care_home_unit=2"
    assert option_label({"seed": 3}) == "seed=3"
    assert option_label({"a.b": 1, OPTION: 10}) == "a.b=1, care_home_unit=10"
    assert option_label({}) == ""
    # a unit's other settings and other groups' parameters keep the name of what they set (found by a
    # QA pass: "ic_beds=39, ic_beds=150" for a capacity and a cost, "run=180" for the horizon)
    assert option_label({OPTION: 39, "services.ic_beds.cost_per_occupied_day": 150}) == (
        "care_home_unit=39, ic_beds.cost_per_occupied_day=150")
    assert option_label({"run.horizon_days": 180}) == "run.horizon_days=180"
    assert option_label({"housing.flats.flats_a.capacity": 4}) == "flats_a=4"
    assert option_label({"capacity": 4}) == "capacity=4"


# --- census_fan -------------------------------------------------------------------------------------

def _census_rows() -> pd.DataFrame:
    """Five replications, three midnights, given out of time order; replication 4 lacks day 12."""
    by_day = {10: [30.0, 0.0, 40.0, 10.0, 20.0],  # sorted 0 10 20 30 40
              11: [5.0, 5.0, 105.0, 5.0, 5.0],  # sorted 5 5 5 5 105
              12: [4.0, 1.0, 3.0, 2.0, None]}  # sorted 1 2 3 4
    rows = [{"replication": r, "date": pd.Timestamp("2025-01-01") + pd.Timedelta(days=day - 10),
             "day": float(day), "nctr_census": value, "occupied_x": 2 * value}
            for day in (12, 10, 11) for r, value in enumerate(by_day[day]) if value is not None]
    return pd.DataFrame(rows)


def test_census_fan_quantiles_by_hand():
    fan = census_fan(_census_rows())
    assert list(fan.columns) == ["date", "day", "n", "mean", "p05", "p25", "p50", "p75", "p95"]
    assert fan["day"].tolist() == [10.0, 11.0, 12.0]  # time order
    assert fan["date"].tolist() == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-02"),
                                    pd.Timestamp("2025-01-03")]
    assert fan["n"].tolist() == [5, 5, 4]
    assert fan.index.tolist() == [0, 1, 2]
    # linear interpolation at position q x (n - 1) of the sorted values:
    # day 10 (0 10 20 30 40): p05 at 0.2 -> 2, p25 at 1 -> 10, p50 -> 20, p75 -> 30, p95 at 3.8 -> 38
    # day 11 (5 5 5 5 105): p95 at 3.8 -> 5 + 0.8 x 100 = 85; mean 125 / 5 = 25
    # day 12 (1 2 3 4): p05 at 0.15 -> 1.15, p25 at 0.75 -> 1.75, p50 at 1.5 -> 2.5, p75 at 2.25 -> 3.25,
    #                   p95 at 2.85 -> 3.85; the missing replication is left out, mean 2.5
    expected = {"mean": [20.0, 25.0, 2.5], "p05": [2.0, 5.0, 1.15], "p25": [10.0, 5.0, 1.75],
                "p50": [20.0, 5.0, 2.5], "p75": [30.0, 5.0, 3.25], "p95": [38.0, 85.0, 3.85]}
    for column, values in expected.items():
        assert fan[column].tolist() == pytest.approx(values, rel=1e-12), column


def test_census_fan_of_another_series_and_of_a_table_without_dates():
    census = _census_rows()
    fan = census_fan(census, "occupied_x")
    assert fan["p95"].tolist() == pytest.approx([76.0, 170.0, 7.7], rel=1e-12)  # twice the above
    by_day = census_fan(census.drop(columns="date"))
    assert list(by_day.columns) == ["day", "n", "mean", "p05", "p25", "p50", "p75", "p95"]
    assert by_day["p05"].tolist() == pytest.approx([2.0, 5.0, 1.15], rel=1e-12)
    by_date = census_fan(census.drop(columns="day"))
    assert list(by_date.columns) == ["date", "n", "mean", "p05", "p25", "p50", "p75", "p95"]


def test_census_fan_errors_name_the_problem():
    census = _census_rows()
    with pytest.raises(KeyError) as missing:
        census_fan(census, "occupied_y")
    assert missing.value.args[0] == ("no column occupied_y in the census (columns: replication, date, day, "
                                     "nctr_census, occupied_x)")
    with pytest.raises(KeyError) as undated:
        census_fan(census.drop(columns=["date", "day"]))
    assert undated.value.args[0] == "the census needs a date or day column"


# --- weekly_utilisation -----------------------------------------------------------------------------

def _week_census() -> pd.DataFrame:
    """Two replications, Wednesday 1 to Tuesday 7 January 2025: five days of one week, two of the next."""
    dates = pd.date_range("2025-01-01", periods=7, freq="D")
    return pd.DataFrame({
        "replication": [0] * 7 + [1] * 7,
        "date": list(dates) * 2,
        "occupied_z": [1] * 7 + [2] * 7,
        "occupied_a": [1, 2, 3, 4, 5, 6, 7, 3, 4, 5, 6, 7, 8, 9],  # replication 0, then 1
        "occupied_empty": [0] * 14,
        "occupied_one": [1] * 7 + [0] * 7,
    })


def _week_units(with_mean_capacity: bool = True) -> pd.DataFrame:
    rows = [
        # z first: the table keeps the order of units.parquet, not alphabetical order
        {"replication": 0, "unit": "z", "capacity": 2, "mean_capacity": 2.0},
        {"replication": 0, "unit": "a", "capacity": 10, "mean_capacity": 4.0},  # scheduled: mean 4 and 6
        {"replication": 0, "unit": "empty", "capacity": 0, "mean_capacity": 0.0},  # no places
        {"replication": 0, "unit": "uncounted", "capacity": 3, "mean_capacity": 3.0},  # no census column
        {"replication": 0, "unit": "one", "capacity": 1, "mean_capacity": 1.0},
        {"replication": 1, "unit": "z", "capacity": 2, "mean_capacity": 2.0},
        {"replication": 1, "unit": "a", "capacity": 10, "mean_capacity": 6.0},
        {"replication": 1, "unit": "empty", "capacity": 0, "mean_capacity": 0.0},
        {"replication": 1, "unit": "uncounted", "capacity": 3, "mean_capacity": 3.0},
        {"replication": 1, "unit": "one", "capacity": 1, "mean_capacity": 1.0},
    ]
    table = pd.DataFrame(rows)
    return table if with_mean_capacity else table.drop(columns="mean_capacity")


def test_weekly_utilisation_uses_the_mean_capacity_in_force():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing deprecated on the way (pandas warns users about it)
        weekly = weekly_utilisation(_week_census(), _week_units())
    assert list(weekly.columns) == ["week_start", "unit", "days", "utilisation"]
    monday, next_monday = pd.Timestamp("2024-12-30"), pd.Timestamp("2025-01-06")
    assert weekly["week_start"].tolist() == [monday, next_monday] * 3
    assert weekly["unit"].tolist() == ["z", "z", "a", "a", "one", "one"]
    assert weekly["days"].tolist() == [5, 2] * 3  # Wed-Sun, then Mon-Tue
    # z: occupied 1 and 2 -> mean 1.5 of 2 places = 0.75 both weeks
    # a: mean capacity (4 + 6) / 2 = 5 (its capacity 10 is not what is in force);
    #    week 1: (1+2+3+4+5 + 3+4+5+6+7) / 10 = 4 -> 4 / 5 = 0.8; week 2: (6+7+8+9) / 4 = 7.5 -> 1.5
    # one: occupied in replication 0 only -> 0.5 of its one place
    assert weekly["utilisation"].tolist() == pytest.approx([0.75, 0.75, 0.8, 1.5, 0.5, 0.5], rel=1e-12)
    assert weekly.index.tolist() == [0, 1, 2, 3, 4, 5]


def test_weekly_utilisation_uses_the_places_in_force_each_day():
    """A unit full of the places it has in winter shows full, not 88 % of what it is commissioned for
    (found by a QA pass: the heat map hid the winter bottleneck)."""
    census = _week_census()
    # a: 5 places on Wed-Sat and the next Mon-Tue, 8 on Sunday; z: 2 then 1 place (a seasonal cut)
    census["places_a"] = [5, 5, 5, 5, 8, 5, 5] * 2
    census["places_z"] = [2, 2, 2, 2, 2, 1, 1] * 2
    weekly = weekly_utilisation(census, _week_units())
    assert weekly["unit"].tolist() == ["z", "z", "a", "a", "one", "one"]
    # a week 1: occupied 40 of 2 x (5+5+5+5+8) = 56 place-nights; week 2: 30 of 2 x (5+5) = 20
    # z week 1: 15 of 20; week 2: 6 of 4; one (no places column): as before, 0.5
    assert weekly["utilisation"].tolist() == pytest.approx([0.75, 1.5, 40 / 56, 1.5, 0.5, 0.5], rel=1e-12)
    census["places_a"] = 0  # no place in force all week: no utilisation, not a division by zero
    assert weekly_utilisation(census, _week_units())["utilisation"].isna().tolist() == [
        False, False, True, True, False, False]


def test_weekly_utilisation_of_an_older_units_table_uses_capacity():
    weekly = weekly_utilisation(_week_census(), _week_units(with_mean_capacity=False))
    # a: capacity 10 -> 4 / 10 = 0.4 and 7.5 / 10 = 0.75
    assert weekly["unit"].tolist() == ["z", "z", "a", "a", "one", "one"]
    assert weekly["utilisation"].tolist() == pytest.approx([0.75, 0.75, 0.4, 0.75, 0.5, 0.5], rel=1e-12)


def test_weekly_utilisation_counts_a_time_of_day_in_its_days_week():
    census = _week_census()
    census["date"] = census["date"] + pd.Timedelta(hours=23)  # Sunday 23:00 still belongs to Monday 30 Dec
    weekly = weekly_utilisation(census, _week_units())
    assert weekly["week_start"].tolist() == [pd.Timestamp("2024-12-30"), pd.Timestamp("2025-01-06")] * 3
    assert weekly["days"].tolist() == [5, 2] * 3


def test_weekly_utilisation_without_any_unit_with_places_is_empty():
    units = _week_units()
    units = units[units["unit"].isin(["empty", "uncounted"])]  # no places, no census column
    weekly = weekly_utilisation(_week_census(), units)
    assert len(weekly) == 0
    assert list(weekly.columns) == ["week_start", "unit", "days", "utilisation"]
    assert [str(t) for t in weekly.dtypes] == ["datetime64[us]", "object", "int64", "float64"]


# --- reasons_by_option ------------------------------------------------------------------------------

def _sweep_results() -> pd.DataFrame:
    """Two options (10 places first, then 0) x 2 replications, observed 73 days (x 5) and 146 (x 2.5).

    Reason columns are not in board order, include a reason unused by every option (calendar), one used
    by one option only (housing) and two reasons flowsim does not know, in the order y, x.
    """
    rows = []
    for capacity, admin, p2 in ((10, (10.0, 20.0), (2.0, 4.0)), (0, (30.0, 40.0), (6.0, 8.0))):
        for rep in (0, 1):
            rows.append({"job": 0 if capacity == 10 else 1, OPTION: capacity, "replication": rep,
                         "observed_days": (73.0, 146.0)[rep],
                         "delayed_days_reason_housing": 0.0 if capacity == 10 else 4.0,
                         "delayed_days_reason_y": 0.1, "delayed_days_reason_P2": p2[rep],
                         "delayed_days_reason_calendar": 0.0, "delayed_days_reason_admin": admin[rep],
                         "delayed_days_reason_x": 2.0})
    return pd.DataFrame(rows)


def test_reasons_per_year_by_option_in_board_order():
    table = reasons_by_option(_sweep_results(), [OPTION])
    assert list(table.columns) == ["option", OPTION, "reason", "n", "delayed_days_per_year"]
    reasons = ["admin", "P2", "housing", "y", "x"]  # board order, calendar dropped, unknown ones last
    assert table["option"].tolist() == ["care_home_unit=10"] * 5 + ["care_home_unit=0"] * 5  # first seen
    assert table[OPTION].tolist() == [10] * 5 + [0] * 5
    assert table["reason"].tolist() == reasons * 2
    assert table["n"].tolist() == [2] * 10
    # per year = days x 365 / observed_days: replication 0 x 5, replication 1 x 2.5, then the mean
    # 10 places: admin (10x5 + 20x2.5)/2 = 50, P2 (2x5 + 4x2.5)/2 = 10, housing 0, y (0.5 + 0.25)/2 = 0.375
    #            (under one a year, still a reason), x (2x5 + 2x2.5)/2 = 7.5
    # 0 places:  admin (30x5 + 40x2.5)/2 = 125, P2 (6x5 + 8x2.5)/2 = 25, housing (20 + 10)/2 = 15
    assert table["delayed_days_per_year"].tolist() == pytest.approx(
        [50.0, 10.0, 0.0, 0.375, 7.5, 125.0, 25.0, 15.0, 0.375, 7.5], rel=1e-12)


def test_reasons_kept_when_asked_even_if_empty():
    table = reasons_by_option(_sweep_results(), [OPTION], drop_empty=False)
    assert table["reason"].tolist() == ["admin", "P2", "housing", "calendar", "y", "x"] * 2
    assert table.loc[table["reason"] == "calendar", "delayed_days_per_year"].tolist() == [0.0, 0.0]
    assert REASONS == ("admin", "P1", "P2", "P3", "housing", "calendar")


def test_reasons_of_one_run_are_one_option():
    run = _sweep_results().query("job == 1").drop(columns=["job", OPTION]).reset_index(drop=True)
    table = reasons_by_option(run, [])
    assert list(table.columns) == ["option", "reason", "n", "delayed_days_per_year"]
    assert table["option"].tolist() == ["this run"] * 5
    assert table["delayed_days_per_year"].tolist() == pytest.approx([125.0, 25.0, 15.0, 0.375, 7.5],
                                                                    rel=1e-12)


def test_reasons_of_two_swept_values_and_an_option_without_a_value():
    results = _sweep_results()
    results["seed"] = 1
    results.loc[results["job"] == 1, OPTION] = None  # a job whose overrides do not set the swept key
    table = reasons_by_option(results, ["seed", OPTION])
    assert table["option"].tolist()[::5] == ["seed=1, care_home_unit=10.0", "seed=1, care_home_unit=nan"]
    assert table["n"].tolist() == [2] * 10
    assert table["delayed_days_per_year"].tolist()[5:] == pytest.approx([125.0, 25.0, 15.0, 0.375, 7.5],
                                                                        rel=1e-12)


def test_reasons_need_reason_columns():
    with pytest.raises(KeyError) as caught:
        reasons_by_option(pd.DataFrame({"observed_days": [365.0], "delayed_days_total": [3.0]}), [])
    assert caught.value.args[0] == "no delayed_days_reason_* columns in the results"


# --- wait_distribution ------------------------------------------------------------------------------

def _patients(with_origin: bool = True) -> pd.DataFrame:
    columns = ["pathway", "nctr_day", "delayed_days", "origin", "delay_censored"]
    rows = [
        # P0: five delays inside the window (the first exactly at the end of the warm-up)
        ("P0", 20.0, 3.0, "arrival", False), ("P0", 25.0, 1.0, "arrival", False),
        ("P0", 30.0, 5.0, "arrival", False), ("P0", 31.0, 2.0, "arrival", False),
        ("P0", 40.0, 4.0, "arrival", False),
        # P2: one delay still running when the run stopped counts with its length so far
        ("P2", 50.0, 10.0, "readmission", True),
        # left out: became NCTR in the warm-up, a warm-start census patient, no delay, no pathway
        ("P0", 19.5, 100.0, "arrival", False), ("P2", 21.0, 200.0, "census", False),
        ("P0", 22.0, None, "arrival", False), (None, 23.0, 300.0, "arrival", False),
        ("P0", 0.0, 100.0, "arrival", False),  # at the very start: kept without a warm-up
    ]
    table = pd.DataFrame(rows, columns=columns)
    return table if with_origin else table[table["origin"] != "census"].drop(columns="origin")


def test_wait_distribution_by_hand():
    table = wait_distribution(_patients(), warm_up_days=20.0)
    assert list(table.columns) == ["pathway", "n", "mean", "p05", "p25", "p50", "p75", "p95", "max"]
    assert table["pathway"].tolist() == ["P0", "P2", "all"]
    assert table["n"].tolist() == [5, 1, 6]
    # P0: 1 2 3 4 5 -> mean 3, p05 at position 0.2 -> 1.2, p25 2, p50 3, p75 4, p95 at 3.8 -> 4.8, max 5
    # P2: the censored 10 alone
    # all: 1 2 3 4 5 10 -> mean 25 / 6, p05 at 0.25 -> 1.25, p25 at 1.25 -> 2.25, p50 at 2.5 -> 3.5,
    #      p75 at 3.75 -> 4.75, p95 at 4.75 -> 5 + 0.75 x 5 = 8.75, max 10
    expected = {"mean": [3.0, 10.0, 25 / 6], "p05": [1.2, 10.0, 1.25], "p25": [2.0, 10.0, 2.25],
                "p50": [3.0, 10.0, 3.5], "p75": [4.0, 10.0, 4.75], "p95": [4.8, 10.0, 8.75],
                "max": [5.0, 10.0, 10.0]}
    for column, values in expected.items():
        assert table[column].tolist() == pytest.approx(values, rel=1e-12), column


def test_wait_distribution_default_warm_up_keeps_every_episode():
    table = wait_distribution(_patients())
    # 1 2 3 4 5, 100 and 100 for P0 (the census row and the rows without a delay or pathway still left out)
    assert table["n"].tolist() == [7, 1, 8]
    assert table["max"].tolist() == [100.0, 10.0, 100.0]


def test_wait_distribution_of_a_table_without_origin():
    table = wait_distribution(_patients(with_origin=False), warm_up_days=20.0)
    assert table["n"].tolist() == [5, 1, 6]
    assert table["mean"].tolist() == pytest.approx([3.0, 10.0, 25 / 6], rel=1e-12)


def test_wait_distribution_orders_other_pathways_after_p0_to_p3():
    patients = pd.DataFrame({"pathway": ["X", "P3", "W", "P1"], "nctr_day": [1.0] * 4,
                             "delayed_days": [1.0, 2.0, 3.0, 4.0]})
    table = wait_distribution(patients)
    assert table["pathway"].tolist() == ["P1", "P3", "W", "X", "all"]
    assert table["n"].tolist() == [1, 1, 1, 1, 4]


def test_wait_distribution_of_no_episode():
    table = wait_distribution(_patients(), warm_up_days=1000.0)
    assert table["pathway"].tolist() == ["all"]
    assert table["n"].tolist() == [0]
    assert table[["mean", "p05", "p25", "p50", "p75", "p95", "max"]].isna().all(axis=None)


# --- marginal_benefit_steps -------------------------------------------------------------------------

def _comparison() -> pd.DataFrame:
    """Options in job order 0, 20, 10, 40, 30: the steps are taken in option order."""
    return pd.DataFrame({
        "job": [0, 1, 2, 3, 4], OPTION: [0, 20, 10, 40, 30],
        "added_capacity": [0.0, 20.0, 10.0, 40.0, 40.0],  # the step 30 -> 40 adds no place
        "delayed_days_avoided_per_year": [0.0, 900.0, 600.0, 1100.0, 1000.0],
        "P2_delayed_days_avoided_per_year": [0.0, 90.0, 60.0, 110.0, 100.0],
        "delayed_days_avoided_per_added_place": [np.nan, 45.0, 60.0, 27.5, 25.0],
    })


def test_marginal_benefit_steps_by_hand():
    steps = marginal_benefit_steps(_comparison(), OPTION)
    assert list(steps.columns) == ["option_from", "option_to", "step", "added_places",
                                   "delayed_days_avoided_per_year", "delayed_days_avoided_per_added_place",
                                   "average_per_added_place"]
    assert steps["option_from"].tolist() == [0, 10, 20, 30]
    assert steps["option_to"].tolist() == [10, 20, 30, 40]
    assert steps["step"].tolist() == ["0→10", "10→20", "20→30", "30→40"]
    assert steps["added_places"].tolist() == [10.0, 10.0, 20.0, 0.0]
    # 600 - 0, 900 - 600, 1000 - 900, 1100 - 1000
    assert steps["delayed_days_avoided_per_year"].tolist() == [600.0, 300.0, 100.0, 100.0]
    per_place = steps["delayed_days_avoided_per_added_place"].tolist()
    assert per_place[:3] == pytest.approx([60.0, 30.0, 5.0], rel=1e-12)  # 600/10, 300/10, 100/20
    assert math.isnan(per_place[3])  # no place added
    assert steps["average_per_added_place"].tolist() == [60.0, 45.0, 25.0, 27.5]  # of option_to


def test_marginal_benefit_steps_of_another_column_within_groups():
    comparison = pd.concat([_comparison().assign(g="y"), _comparison().assign(g="x").iloc[:3]],
                           ignore_index=True)
    steps = marginal_benefit_steps(comparison, OPTION, group="g",
                                   avoided="P2_delayed_days_avoided_per_year")
    assert list(steps.columns)[:2] == ["g", "option_from"]
    assert steps["g"].tolist() == ["x", "x", "y", "y", "y", "y"]  # groups in sorted order
    assert steps["step"].tolist() == ["0→10", "10→20", "0→10", "10→20", "20→30", "30→40"]
    # x: 60 - 0 over 10, 90 - 60 over 10; y: the same, then 100 - 90 over 20, 110 - 100 over 0
    assert steps["delayed_days_avoided_per_year"].tolist() == [60.0, 30.0, 60.0, 30.0, 10.0, 10.0]
    assert steps["delayed_days_avoided_per_added_place"].tolist()[:5] == pytest.approx(
        [6.0, 3.0, 6.0, 3.0, 0.5], rel=1e-12)


def test_one_option_has_no_step():
    assert len(marginal_benefit_steps(_comparison().iloc[:1], OPTION)) == 0
