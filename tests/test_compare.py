"""Delayed days avoided, savings and their intervals against a baseline (flowsim.experiment.compare), by hand.

A sweep is built directly as :class:`flowsim.experiment.sweep.SweepTables`: four jobs x four replications
observed
for 73 days, so per year = x 365 / 73 = x 5, with an acute bed-day at 400 GBP. Paired intervals use
t(0.975, 3) = 3.1824463052837078 (scipy); the unpaired (Welch) half-widths are literals from scipy's
independent ``ttest_ind(equal_var=False).confidence_interval()``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from flowsim.experiment.compare import compare_to_baseline, per_year_difference, select_baseline
from flowsim.experiment.sweep import SweepTables

OPTION = "services.care_home_unit.capacity"
T975_1 = 12.706204736174694
T975_3 = 3.1824463052837078
T975_6 = 2.4469118511449786
BED_DAY = 400.0

# Per job: swept value, places of units "a" and "chu", delayed days per replication, two reasons that add
# up to them, service costs (units, coordinators, flats) and unit costs alone.
JOBS = {
    0: dict(option=0, a=5, chu=0, total=[100, 120, 110, 130], p2=[60, 70, 65, 75], housing=[40, 50, 45, 55],
            services=[1000] * 4, units=[700] * 4),
    # better: 10 more places, fewer delayed days, costs more
    1: dict(option=10, a=5, chu=10, total=[90, 108, 101, 117], p2=[52, 60, 58, 66], housing=[38, 48, 43, 51],
            services=[3000, 3100, 2900, 3000], units=[2500] * 4),
    # worse: 2 places fewer, more delayed days, costs less
    2: dict(option=-2, a=3, chu=0, total=[110, 125, 118, 140], p2=[66, 72, 70, 82], housing=[44, 53, 48, 58],
            services=[800] * 4, units=[500] * 4),
    # the same places moved to another unit, 5 delayed days fewer in every replication, same cost
    3: dict(option=5, a=0, chu=5, total=[95, 115, 105, 125], p2=[55, 65, 60, 70], housing=[40, 50, 45, 55],
            services=[1000] * 4, units=[700] * 4),
}


def _tables(jobs: dict[int, dict] = JOBS, replications: dict[int, list[int]] | None = None,
            services: bool = True) -> SweepTables:
    rows, units = [], []
    for job, spec in jobs.items():
        for i, rep in enumerate((replications or {}).get(job, range(4))):
            rows.append({"job": job, OPTION: spec["option"], "replication": rep,
                         "delayed_days_total": float(spec["total"][i]),
                         "cost_delayed_days": BED_DAY * spec["total"][i],
                         **({"cost_services": float(spec["services"][i])} if services else {}),
                         "cost_units": float(spec["units"][i]),
                         "delayed_days_reason_P2": float(spec["p2"][i]),
                         "delayed_days_reason_housing": float(spec["housing"][i])})
            units += [{"job": job, OPTION: spec["option"], "replication": rep, "unit": u, "capacity": spec[u]}
                      for u in ("a", "chu")]
    results = pd.DataFrame(rows)
    return SweepTables(results=results, summary=pd.DataFrame(), units=pd.DataFrame(units), swept=(OPTION,),
                       incomplete=(), observed_days=73.0)


@pytest.fixture
def comparison() -> pd.DataFrame:
    # function scope: each test calls compare_to_baseline itself, so mutmut runs it against every mutant
    return compare_to_baseline(_tables()).set_index("job")


COLUMNS = [
    "job", OPTION, "baseline_job", "pairs",
    "delayed_days_avoided_per_year", "delayed_days_avoided_per_year_ci_low",
    "delayed_days_avoided_per_year_ci_high", "delayed_days_avoided_per_year_half_width",
    "delayed_days_avoided_per_year_unpaired_half_width",
    "added_capacity", "delayed_days_avoided_per_added_place", "acute_saving_per_year",
    "added_cost_per_year", "net_saving_per_year", "net_saving_per_year_ci_low", "net_saving_per_year_ci_high",
    "return_per_pound",
    "P2_delayed_days_avoided_per_year", "P2_delayed_days_avoided_per_year_ci_low",
    "P2_delayed_days_avoided_per_year_ci_high",
    "housing_delayed_days_avoided_per_year", "housing_delayed_days_avoided_per_year_ci_low",
    "housing_delayed_days_avoided_per_year_ci_high",
]


def test_columns_and_one_row_per_job_against_the_first_job():
    table = compare_to_baseline(_tables())
    assert list(table.columns) == COLUMNS
    assert table["job"].tolist() == [0, 1, 2, 3]
    assert table[OPTION].tolist() == [0, 10, -2, 5]
    assert table["baseline_job"].tolist() == [0] * 4
    assert table["pairs"].tolist() == [4] * 4


def test_paired_delayed_days_avoided_of_a_better_option(comparison):
    row = comparison.loc[1]
    # baseline - option per replication: 10, 12, 9, 13 -> x 5 = 50, 60, 45, 65; mean 55
    # sd = sqrt((5² + 5² + 10² + 10²) / 3) = 9.12871; half = 3.18245 x 9.12871 / 2 = 14.52581
    half = 14.525813578773825
    assert row["delayed_days_avoided_per_year"] == 55.0
    assert row["delayed_days_avoided_per_year_ci_low"] == pytest.approx(55.0 - half, rel=1e-12)
    assert row["delayed_days_avoided_per_year_ci_high"] == pytest.approx(55.0 + half, rel=1e-12)
    assert row["delayed_days_avoided_per_year_half_width"] == pytest.approx(half, rel=1e-12)
    assert half == pytest.approx(T975_3 * math.sqrt(250 / 3) / 2, rel=1e-12)


def test_unpaired_half_width_is_welchs_and_wider_than_the_paired_one(comparison):
    # baseline x 5: 500 600 550 650 (variance 4166.7), option x 5: 450 540 505 585 (variance 3250):
    # se = sqrt(4166.7 / 4 + 3250 / 4) = 43.060, Welch-Satterthwaite dof 5.9097 -> half 105.755
    assert comparison.loc[1, "delayed_days_avoided_per_year_unpaired_half_width"] == pytest.approx(
        105.75549741400897, rel=1e-9)
    # equal variances: dof = 2 (4 - 1) = 6, half = t(0.975, 6) x sqrt(2 x 4166.7 / 4) = 111.686
    equal = T975_6 * math.sqrt(2 * 12500 / 3 / 4)
    assert comparison.loc[3, "delayed_days_avoided_per_year_unpaired_half_width"] == pytest.approx(equal,
                                                                                                 rel=1e-12)
    assert comparison.loc[0, "delayed_days_avoided_per_year_unpaired_half_width"] == pytest.approx(equal,
                                                                                                 rel=1e-12)
    assert equal == pytest.approx(111.68573475823564, rel=1e-12)


def test_places_and_avoided_days_per_added_place(comparison):
    assert comparison["added_capacity"].tolist() == [0.0, 10.0, -2.0, 0.0]  # (a + chu) - 5
    assert comparison.loc[1, "delayed_days_avoided_per_added_place"] == 5.5  # 55 / 10
    # worse option: -50, -25, -40, -50 a year -> mean -41.25, over -2 places = 20.625
    assert comparison.loc[2, "delayed_days_avoided_per_year"] == -41.25
    assert comparison.loc[2, "delayed_days_avoided_per_added_place"] == 20.625
    assert math.isnan(comparison.loc[3, "delayed_days_avoided_per_added_place"])  # no place added
    assert math.isnan(comparison.loc[0, "delayed_days_avoided_per_added_place"])


def test_acute_saving_added_cost_and_net_saving_with_ci(comparison):
    row = comparison.loc[1]
    # acute: 400 GBP x (50, 60, 45, 65) = 20,000 24,000 18,000 26,000 -> 22,000
    assert row["acute_saving_per_year"] == 22_000.0
    # added service cost: (2000, 2100, 1900, 2000) x 5 = 10,000 10,500 9,500 10,000 -> 10,000
    assert row["added_cost_per_year"] == 10_000.0
    # net per replication 10,000 13,500 8,500 16,000: mean 12,000, sd = sqrt(34.5e6 / 3) = 3391.165
    half = T975_3 * math.sqrt(34.5e6 / 3) / 2  # 5396.100
    assert row["net_saving_per_year"] == 12_000.0
    assert row["net_saving_per_year_ci_low"] == pytest.approx(12_000.0 - half, rel=1e-12)
    assert row["net_saving_per_year_ci_high"] == pytest.approx(12_000.0 + half, rel=1e-12)
    assert half == pytest.approx(5396.1002490029805, rel=1e-12)
    assert row["return_per_pound"] == 2.2  # 22,000 / 10,000


def test_a_worse_option_has_negative_savings_and_no_return(comparison):
    row = comparison.loc[2]
    assert row["acute_saving_per_year"] == -16_500.0  # 400 x -41.25
    assert row["added_cost_per_year"] == -1_000.0  # (800 - 1000) x 5: it saves money
    # net: -20,000 + 1,000, -10,000 + 1,000, -16,000 + 1,000, -20,000 + 1,000 -> mean -15,500
    assert row["net_saving_per_year"] == -15_500.0
    half = T975_3 * math.sqrt(67e6 / 3) / 2  # devs -3500 6500 500 -3500: 67e6 / 3
    assert row["net_saving_per_year_ci_high"] == pytest.approx(-15_500.0 + half, rel=1e-12)
    half_days = T975_3 * math.sqrt(418.75 / 3) / 2  # devs -8.75 16.25 1.25 -8.75: 418.75 / 3
    assert row["delayed_days_avoided_per_year_ci_low"] == pytest.approx(-41.25 - half_days, rel=1e-12)
    assert math.isnan(row["return_per_pound"])  # added cost <= 0: no return per pound


def test_no_added_cost_means_no_return_per_pound(comparison):
    row = comparison.loc[3]
    # 5 delayed days fewer in each replication: exactly 25 a year, a zero-width interval
    assert (row["delayed_days_avoided_per_year"], row["delayed_days_avoided_per_year_ci_low"],
            row["delayed_days_avoided_per_year_ci_high"]) == (25.0, 25.0, 25.0)
    assert row["delayed_days_avoided_per_year_half_width"] == 0.0
    assert row["acute_saving_per_year"] == 10_000.0 and row["added_cost_per_year"] == 0.0
    assert (row["net_saving_per_year"], row["net_saving_per_year_ci_low"],
            row["net_saving_per_year_ci_high"]) == (10_000.0, 10_000.0, 10_000.0)
    assert math.isnan(row["return_per_pound"])


def test_the_baseline_against_itself_is_zero(comparison):
    row = comparison.loc[0]
    for column in ("delayed_days_avoided_per_year", "delayed_days_avoided_per_year_ci_low",
                   "delayed_days_avoided_per_year_ci_high", "acute_saving_per_year", "added_cost_per_year",
                   "net_saving_per_year", "P2_delayed_days_avoided_per_year"):
        assert row[column] == 0.0, column
    assert math.isnan(row["return_per_pound"])


def test_delayed_days_avoided_by_reason(comparison):
    row = comparison.loc[1]
    # P2: 8, 10, 7, 9 -> x 5 = 40 50 35 45: mean 42.5, sd sqrt(125 / 3)
    p2_half = T975_3 * math.sqrt(125 / 3) / 2  # 10.2713
    assert row["P2_delayed_days_avoided_per_year"] == 42.5
    assert (row["P2_delayed_days_avoided_per_year_ci_low"],
            row["P2_delayed_days_avoided_per_year_ci_high"]) == pytest.approx(
        (42.5 - p2_half, 42.5 + p2_half), rel=1e-12)
    # housing: 2, 2, 2, 4 -> 10 10 10 20: mean 12.5, sd 5, half 3.18245 x 5 / 2 = 7.95612
    assert row["housing_delayed_days_avoided_per_year"] == 12.5
    assert (row["housing_delayed_days_avoided_per_year_ci_low"],
            row["housing_delayed_days_avoided_per_year_ci_high"]) == pytest.approx(
        (12.5 - 7.95611576320927, 12.5 + 7.95611576320927), rel=1e-12)
    assert comparison.loc[2, "P2_delayed_days_avoided_per_year"] == -25.0  # (-6 - 2 - 5 - 7) x 5 / 4


def test_another_baseline(comparison):
    against_1 = compare_to_baseline(_tables(), baseline=1).set_index("job")
    assert against_1["baseline_job"].tolist() == [1] * 4
    # job 0 against job 1: the opposite of job 1 against job 0
    assert against_1.loc[0, "delayed_days_avoided_per_year"] == -55.0
    assert against_1.loc[0, "added_capacity"] == -10.0
    assert against_1.loc[0, "added_cost_per_year"] == -10_000.0
    assert against_1.loc[0, "delayed_days_avoided_per_added_place"] == 5.5  # -55 / -10
    assert against_1.loc[1, "delayed_days_avoided_per_year"] == 0.0


def test_an_older_sweep_without_housing_costs_uses_unit_costs():
    row = compare_to_baseline(_tables(services=False)).set_index("job").loc[1]
    # (2500 - 700) x 5 = 9,000; net 22,000 - 9,000 = 13,000; return 22,000 / 9,000
    assert row["added_cost_per_year"] == 9_000.0
    assert row["net_saving_per_year"] == 13_000.0
    assert row["return_per_pound"] == pytest.approx(22 / 9, rel=1e-12)


def test_housing_costs_count_in_the_added_cost(comparison):
    # cost_services (units + coordinators + flats) of job 1 differs from cost_units: it is the one used
    assert comparison.loc[1, "added_cost_per_year"] == 10_000.0  # not (2500 - 700) x 5 = 9,000


def test_only_replications_both_jobs_ran_are_paired():
    jobs = {0: JOBS[0], 1: {**JOBS[1], "total": [101, 118, 100, 90], "p2": [61, 78, 60, 50],
                            "housing": [40] * 4}}
    # baseline replications 0-3, option 2-5: replications 2 and 3 are paired
    tables = _tables(jobs, replications={1: [2, 3, 4, 5]})
    row = compare_to_baseline(tables).set_index("job").loc[1]
    assert row["pairs"] == 2
    # 110 - 101 = 9 and 130 - 118 = 12 -> 45 and 60: mean 52.5, sd 15 / sqrt(2), se 7.5
    assert row["delayed_days_avoided_per_year"] == 52.5
    assert row["delayed_days_avoided_per_year_half_width"] == pytest.approx(T975_1 * 7.5, rel=1e-12)
    # unpaired over the same two replications: 550 650 vs 505 590
    assert row["delayed_days_avoided_per_year_unpaired_half_width"] == pytest.approx(289.48885277961364,
                                                                                     rel=1e-9)


def test_a_single_pair_has_no_interval_and_no_warning():
    jobs = {0: JOBS[0], 1: JOBS[1]}
    tables = _tables(jobs, replications={1: [3, 7, 8, 9]})  # only replication 3 in common
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning about too few degrees of freedom
        table = compare_to_baseline(tables)
    row = table.set_index("job").loc[1]
    assert row["pairs"] == 1
    assert row["delayed_days_avoided_per_year"] == 5 * (130 - 90)  # replication 3: 130 vs 90 (its first)
    for column in ("delayed_days_avoided_per_year_ci_low", "delayed_days_avoided_per_year_ci_high",
                   "delayed_days_avoided_per_year_half_width",
                   "delayed_days_avoided_per_year_unpaired_half_width", "net_saving_per_year_ci_low"):
        assert math.isnan(row[column]), column


def test_constant_results_have_zero_unpaired_half_width():
    flat = {k: dict(v, total=[100] * 4) for k, v in JOBS.items() if k in (0, 1)}
    row = compare_to_baseline(_tables(flat)).set_index("job").loc[1]
    assert row["delayed_days_avoided_per_year"] == 0.0
    assert row["delayed_days_avoided_per_year_unpaired_half_width"] == 0.0


def test_no_pairs_at_all():
    tables = _tables({0: JOBS[0], 1: JOBS[1]}, replications={1: [4, 5, 6, 7]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning about the mean of nothing
        row = compare_to_baseline(tables).set_index("job").loc[1]
    assert row["pairs"] == 0
    for column in ("delayed_days_avoided_per_year", "acute_saving_per_year", "added_cost_per_year",
                   "net_saving_per_year", "return_per_pound"):
        assert math.isnan(row[column]), column


# --- select_baseline --------------------------------------------------------------------------------

def _two_keys() -> SweepTables:
    results = pd.DataFrame({"job": ["b", "b", "a", "a", "c"], OPTION: [10, 10, 0, 0, 10],
                            "seed": [1, 1, 1, 1, 2], "replication": [0, 1, 0, 1, 0]})
    return SweepTables(results, pd.DataFrame(), pd.DataFrame(), (OPTION, "seed"), (), 365.0)


def test_select_baseline_default_is_the_first_job():
    assert select_baseline(_two_keys()) == "b"
    assert select_baseline(_two_keys(), {}) == "b"
    assert compare_to_baseline(_tables()).loc[0, "baseline_job"] == 0


def test_select_baseline_by_swept_values():
    tables = _two_keys()
    assert select_baseline(tables, {OPTION: 0}) == "a"
    assert select_baseline(tables, {OPTION: 10, "seed": 2}) == "c"
    assert select_baseline(tables, {"seed": 1, OPTION: 10}) == "b"


def test_select_baseline_errors():
    tables = _two_keys()
    with pytest.raises(KeyError) as unknown:
        select_baseline(tables, {"services.ic_beds.capacity": 3})
    assert unknown.value.args[0] == ("services.ic_beds.capacity is not a swept parameter (swept: "
                                     "services.care_home_unit.capacity, seed)")
    with pytest.raises(KeyError) as two:
        select_baseline(tables, {OPTION: 10})
    swept = "(services.care_home_unit.capacity takes 0, 10; seed takes 1, 2)"  # what there is to pick from
    assert two.value.args[0] == (f"baseline services.care_home_unit.capacity=10 matches 2 jobs, not exactly "
                                 f"one {swept}")
    with pytest.raises(KeyError) as none:
        select_baseline(tables, {OPTION: 7, "seed": 1})
    assert none.value.args[0] == ("baseline services.care_home_unit.capacity=7 seed=1 matches 0 jobs, "
                                  f"not exactly one {swept}")


def test_a_baseline_several_jobs_match_is_given_once_for_each_key():
    """The fix said "give a swept key and a value one job has" to a --baseline that named one of two keys
    (found by a QA pass)."""
    from flowsim.cli.main import _baseline_job
    from flowsim.model.errors import ConfigError

    with pytest.raises(ConfigError) as several:
        _baseline_job(_two_keys(), {OPTION: 10})
    assert several.value.fix == ("give --baseline once for each swept key (--baseline KEY=VALUE "
                                 "--baseline ...)")
    with pytest.raises(ConfigError) as none:
        _baseline_job(_two_keys(), {OPTION: 7})
    assert none.value.fix == "give a swept key and a value one job has"


def test_capacity_is_summed_over_units_of_each_job():
    tables = _tables()
    units = pd.concat([tables.units, pd.DataFrame([{"job": 1, OPTION: 10, "replication": r, "unit": "extra",
                                                    "capacity": 7} for r in range(4)])], ignore_index=True)
    bigger = SweepTables(tables.results, tables.summary, units, tables.swept, (), tables.observed_days)
    row = compare_to_baseline(bigger).set_index("job").loc[1]
    assert row["added_capacity"] == 17.0  # 5 + 10 + 7 - 5
    assert row["delayed_days_avoided_per_added_place"] == pytest.approx(55 / 17, rel=1e-12)
    assert np.isfinite(row["return_per_pound"])


def test_rows_follow_the_order_of_the_results():
    tables = _tables({3: JOBS[3], 1: JOBS[1], 0: JOBS[0], 2: JOBS[2]})
    table = compare_to_baseline(tables, baseline=0)
    assert table["job"].tolist() == [3, 1, 0, 2]
    assert table["delayed_days_avoided_per_year"].tolist() == [25.0, 55.0, 0.0, -41.25]
    assert select_baseline(tables) == 3  # the first job of the results


def test_a_small_added_cost_still_gives_a_return():
    cheap = {0: JOBS[0], 3: dict(JOBS[3], services=[1000.125] * 4)}
    row = compare_to_baseline(_tables(cheap)).set_index("job").loc[3]
    # 0.125 x 5 = 0.625 GBP a year for 10,000 GBP of acute saving: 16,000 per pound
    assert row["added_cost_per_year"] == 0.625
    assert row["return_per_pound"] == 16_000.0


def test_welch_degrees_of_freedom_also_for_small_variances():
    jobs = {0: dict(JOBS[0], total=[100, 100.2, 100, 100.2]), 1: dict(JOBS[1], total=[90, 90.1, 90, 90.3])}
    row = compare_to_baseline(_tables(jobs)).set_index("job").loc[1]
    # x 5: 500 501 500 501 (variance 1/3) vs 450 450.5 450 451.5 (variance 0.5): se² = 1/12 + 1/8,
    # Welch-Satterthwaite dof 5.769 -> half 1.12778 (with one degree of freedom it would be 5.7996)
    assert row["delayed_days_avoided_per_year_unpaired_half_width"] == pytest.approx(1.1277764247880384,
                                                                                     rel=1e-9)


def test_jobs_of_one_replication():
    tables = _tables({0: JOBS[0], 1: JOBS[1]}, replications={0: [0], 1: [0]})
    table = compare_to_baseline(tables)
    assert table[OPTION].tolist() == [0, 10]
    row = table.set_index("job").loc[1]
    assert row["pairs"] == 1
    assert row["delayed_days_avoided_per_year"] == 50.0  # (100 - 90) x 5
    assert row["net_saving_per_year"] == 10_000.0  # 400 x 50 - (3000 - 1000) x 5


def test_added_places_are_time_average_commissioned_places():
    """A surge of 12 places open a quarter of the year adds 3 place-years, not 12 (``mean_capacity``)."""
    tables = _tables({0: JOBS[0], 1: JOBS[1]})
    units = tables.units.assign(mean_capacity=tables.units["capacity"].astype(float))
    surge = (units["job"] == 1) & (units["unit"] == "chu")
    units.loc[surge, "mean_capacity"] = 12 * 0.25  # capacity 10 at the start, a schedule opens more
    row = compare_to_baseline(SweepTables(results=tables.results, summary=tables.summary, units=units,
                                          swept=tables.swept, incomplete=(), observed_days=73.0)).iloc[1]
    assert row["added_capacity"] == 3.0
    per_place = row["delayed_days_avoided_per_year"] / 3
    assert row["delayed_days_avoided_per_added_place"] == pytest.approx(per_place)


def test_jobs_that_observed_different_windows_compare_yearly_rates():
    """A sweep of run.horizon_days: each job's totals are scaled by its own window (found by a QA pass:
    one window for all made every column NaN, silently)."""
    tables = _tables({0: JOBS[0], 1: JOBS[1]})
    observed = np.where(tables.results["job"] == 0, 73.0, 146.0)  # the option observed twice as long
    results = tables.results.assign(observed_days=observed)
    mixed = SweepTables(results=results, summary=pd.DataFrame(), units=tables.units, swept=(OPTION,),
                        incomplete=(), observed_days=float("nan"))  # as collect_sweep gives mixed windows
    row = compare_to_baseline(mixed).set_index("job").loc[1]
    # per year: baseline x 5 = 500 600 550 650; option x 2.5 = 225 270 252.5 292.5;
    # avoided 275 330 297.5 357.5
    avoided = np.array([275.0, 330.0, 297.5, 357.5])
    assert row["delayed_days_avoided_per_year"] == pytest.approx(avoided.mean(), rel=1e-12)
    half = T975_3 * avoided.std(ddof=1) / 2
    assert row["delayed_days_avoided_per_year_ci_high"] == pytest.approx(avoided.mean() + half, rel=1e-12)
    # services per year: baseline 1000 x 5 = 5000; option 3000 3100 2900 3000 x 2.5, mean 7500
    assert row["added_cost_per_year"] == pytest.approx(7500.0 - 5000.0, rel=1e-12)
    assert row["acute_saving_per_year"] == pytest.approx(BED_DAY * avoided.mean(), rel=1e-12)
    assert row["P2_delayed_days_avoided_per_year"] == pytest.approx(
        np.mean(np.array([60, 70, 65, 75]) * 5 - np.array([52, 60, 58, 66]) * 2.5), rel=1e-12)
    baseline = compare_to_baseline(mixed).set_index("job").loc[0]
    assert baseline["delayed_days_avoided_per_year"] == 0.0 and baseline["net_saving_per_year"] == 0.0


def test_one_window_scales_the_difference_once_to_the_bit():
    """Jobs of one window keep the numbers they always had: (a - b) x 365 / days, not a x s - b x s,
    which rounds differently (so a sweep's comparison.csv does not change by a last digit)."""
    rng = np.random.default_rng(11)
    first = pd.DataFrame({"delayed_days_total": rng.uniform(0, 1000, 200), "observed_days": 120.0})
    second = pd.DataFrame({"delayed_days_total": rng.uniform(0, 1000, 200), "observed_days": 120.0})
    a, b = first["delayed_days_total"].to_numpy(), second["delayed_days_total"].to_numpy()
    once = (a - b) * (365.0 / 120.0)
    assert not np.array_equal(once, a * (365.0 / 120.0) - b * (365.0 / 120.0))  # the two roundings differ
    given = per_year_difference(first, second, "delayed_days_total", float("nan"))
    np.testing.assert_array_equal(given, once)
    without = per_year_difference(first.drop(columns="observed_days"), second.drop(columns="observed_days"),
                                  "delayed_days_total", 120.0)  # a table without the column: the window given
    np.testing.assert_array_equal(without, once)
