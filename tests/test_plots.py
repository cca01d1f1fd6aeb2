"""Board figures: the aggregated tables are right, and each figure draws exactly those numbers."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from flowsim.aggregate import (
    census_fan,
    marginal_benefit_steps,
    reasons_by_option,
    wait_distribution,
    weekly_utilisation,
)
from flowsim.plots import (
    CENSUS_LABEL,
    avoided_vs_option,
    cost_vs_saving,
    fan_chart,
    marginal_benefit,
    reasons_stacked,
    utilisation_heatmap,
    wait_distribution_plot,
)

UNIT = re.compile(r"\(.+\)")  # a unit in parentheses
OPTION = "services.care_home_unit.capacity"


@pytest.fixture
def census() -> pd.DataFrame:
    """Three replications of 17 midnights from Wednesday 2025-01-01 (partial first and last week)."""
    rng = np.random.default_rng(3)
    dates = pd.date_range("2025-01-01", periods=17, freq="D")
    frames = []
    for rep in range(3):
        frames.append(pd.DataFrame({
            "replication": rep, "date": dates.astype("datetime64[us]"),
            "day": np.arange(60.0, 77.0), "nctr_census": rng.integers(0, 50, dates.size),
            "occupied_a": rng.integers(0, 11, dates.size), "occupied_b": rng.integers(0, 6, dates.size),
            "occupied_closed": np.zeros(dates.size, dtype=int)}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def units() -> pd.DataFrame:
    rows = [{"replication": r, "unit": u, "capacity": c, "mean_capacity": m}
            for r in range(3) for u, c, m in (("a", 10, 10.0), ("b", 5, 4.0 + r), ("closed", 0, 0.0))]
    return pd.DataFrame(rows)


@pytest.fixture
def results() -> pd.DataFrame:
    """A sweep's results: 3 options x 4 replications, observed half a year (per year = x2)."""
    rng = np.random.default_rng(5)
    rows = []
    for job, capacity in enumerate((0, 5, 10)):
        for rep in range(4):
            reasons = {"admin": 100.0 + rep, "P1": rng.uniform(0, 50), "P2": 300.0 - 20 * capacity,
                       "P3": rng.uniform(0, 30), "housing": 40.0, "calendar": 0.0}
            total = sum(reasons.values())
            rows.append({"job": job, OPTION: capacity, "replication": rep, "observed_days": 182.5,
                         "delayed_days_total": total, "delayed_days_per_year": total * 2.0,
                         **{f"delayed_days_reason_{k}": v for k, v in reasons.items()}})
    return pd.DataFrame(rows)


@pytest.fixture
def comparison() -> pd.DataFrame:
    """A comparison in job order that is not option order, to check sorting."""
    capacity = np.array([0, 20, 10, 40])
    avoided = np.array([0.0, 900.0, 600.0, 1100.0])
    return pd.DataFrame({
        "job": [0, 1, 2, 3], OPTION: capacity, "baseline_job": 0, "pairs": 4,
        "delayed_days_avoided_per_year": avoided,
        "delayed_days_avoided_per_year_ci_low": avoided - 50,
        "delayed_days_avoided_per_year_ci_high": avoided + 70,
        "added_capacity": capacity.astype(float),
        "delayed_days_avoided_per_added_place": np.where(capacity > 0, avoided / np.maximum(capacity, 1),
                                                         np.nan),
        "net_saving_per_year": [0.0, 120_000.0, 90_000.0, -30_000.0],
        "net_saving_per_year_ci_low": [0.0, 20_000.0, 10_000.0, -150_000.0],
        "net_saving_per_year_ci_high": [0.0, 220_000.0, 160_000.0, 80_000.0],
        "return_per_pound": [np.nan, 1.8, 2.1, 0.9],
    })


def test_census_fan_is_the_spread_across_replications(census):
    fan = census_fan(census)
    wide = census.pivot(index="date", columns="replication", values="nctr_census").to_numpy(float)
    assert list(fan["date"]) == sorted(census["date"].unique())
    assert (fan["n"] == 3).all()
    np.testing.assert_array_equal(fan["p50"], np.median(wide, axis=1))
    np.testing.assert_allclose(fan["p05"], np.quantile(wide, 0.05, axis=1))
    np.testing.assert_allclose(fan["p95"], np.quantile(wide, 0.95, axis=1))
    np.testing.assert_allclose(fan["mean"], wide.mean(axis=1))
    assert (fan["p05"] <= fan["p25"]).all() and (fan["p75"] <= fan["p95"]).all()
    with pytest.raises(KeyError):
        census_fan(census, "no_such_column")


def test_fan_chart_median_is_p50_and_draws_two_bands_per_label(census):
    shifted = census.assign(nctr_census=census["nctr_census"] + 5)
    fans = {"baseline": census_fan(census), "option": census_fan(shifted)}
    fig = fan_chart(fans)
    assert isinstance(fig, Figure)
    (axis,) = fig.axes
    for label, fan in fans.items():
        (line,) = [ln for ln in axis.lines if ln.get_gid() == f"median:{label}"]
        np.testing.assert_array_equal(np.asarray(line.get_ydata(), dtype=float), fan["p50"].to_numpy())
    bands = [c for c in axis.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2 * len(fans)  # 50 % and 90 % per label
    assert axis.get_ylabel() == CENSUS_LABEL and "(patients)" in axis.get_ylabel()


def test_weekly_utilisation_by_hand_and_heat_map_shows_it(census, units):
    weekly = weekly_utilisation(census, units)
    assert list(dict.fromkeys(weekly["unit"])) == ["a", "b"]  # zero capacity left out
    weeks = sorted(weekly["week_start"].unique())
    assert [pd.Timestamp(w).day_name() for w in weeks] == ["Monday"] * 3
    assert list(weekly.loc[weekly["unit"] == "a", "days"]) == [5, 7, 5]  # Wed-Sun, full, Mon-Fri
    first = census[census["date"] < pd.Timestamp("2025-01-06")]
    expected = first["occupied_b"].mean() / 5.0  # mean_capacity 4, 5, 6 over replications
    got = weekly[(weekly["unit"] == "b") & (weekly["week_start"] == weeks[0])]["utilisation"].item()
    assert got == pytest.approx(expected)

    fig = utilisation_heatmap(weekly)
    images = [a for axis in fig.axes for a in axis.get_images() if isinstance(a, AxesImage)]
    assert len(images) == 1
    pivot = weekly.pivot(index="unit", columns="week_start", values="utilisation").reindex(["a", "b"])
    np.testing.assert_array_equal(np.asarray(images[0].get_array()), pivot.to_numpy())
    colorbar = images[0].colorbar
    assert colorbar is not None and colorbar.ax.get_ylabel() == "utilisation (%)"
    heat_axis = images[0].axes
    assert [t.get_text() for t in heat_axis.get_yticklabels()] == ["a", "b"]
    assert UNIT.search(heat_axis.get_xlabel())


def test_reasons_sum_to_delayed_days_per_year_and_stack_to_the_total(results):
    reasons = reasons_by_option(results, [OPTION])
    assert "calendar" not in set(reasons["reason"])  # zero under every option
    assert list(dict.fromkeys(reasons["option"])) == ["care_home_unit=0", "care_home_unit=5",
                                                      "care_home_unit=10"]
    totals = reasons.groupby(OPTION)["delayed_days_per_year"].sum()
    expected = results.groupby(OPTION)["delayed_days_per_year"].mean()
    np.testing.assert_allclose(totals.to_numpy(), expected.loc[totals.index].to_numpy())
    p2 = reasons[(reasons["reason"] == "P2")].set_index(OPTION)["delayed_days_per_year"]
    assert p2.to_dict() == pytest.approx({0: 600.0, 5: 400.0, 10: 200.0})  # x 365/182.5

    fig = reasons_stacked(reasons)
    (axis,) = fig.axes
    bars = [p for p in axis.patches if p.get_gid() is not None]
    assert {p.get_gid() for p in bars} == set(reasons["reason"])
    heights: dict[float, float] = {}
    for patch in bars:
        x = round(patch.get_x() + patch.get_width() / 2, 6)
        heights[x] = heights.get(x, 0.0) + patch.get_height()
    np.testing.assert_allclose([heights[x] for x in sorted(heights)], expected.to_numpy())
    # stacked, not overlapping: each bar starts where the one below ends
    for x in heights:
        column = sorted((p for p in bars if round(p.get_x() + p.get_width() / 2, 6) == x),
                        key=lambda p: p.get_y())
        for below, above in itertools.pairwise(column):
            assert above.get_y() == pytest.approx(below.get_y() + below.get_height())
    assert UNIT.search(axis.get_ylabel())


def test_reasons_of_a_single_run_are_one_option(results):
    run = results[results["job"] == 0].drop(columns=["job", OPTION])
    reasons = reasons_by_option(run, [])
    assert set(reasons["option"]) == {"this run"}
    assert reasons["delayed_days_per_year"].sum() == pytest.approx(run["delayed_days_per_year"].mean())
    assert "calendar" in set(reasons_by_option(run, [], drop_empty=False)["reason"])


def test_marginal_benefit_bars_are_the_step_differences(comparison):
    ordered = comparison.sort_values(OPTION)
    expected = (np.diff(ordered["delayed_days_avoided_per_year"].to_numpy())
                / np.diff(ordered["added_capacity"].to_numpy()))  # (600-0)/10, (900-600)/10, (1100-900)/20
    np.testing.assert_allclose(expected, [60.0, 30.0, 10.0])
    steps = marginal_benefit_steps(comparison, OPTION)
    assert list(steps["step"]) == ["0→10", "10→20", "20→40"]
    np.testing.assert_allclose(steps["delayed_days_avoided_per_added_place"], expected)

    fig = marginal_benefit(comparison, OPTION)
    (axis,) = fig.axes
    (bars,) = axis.containers
    np.testing.assert_allclose([b.get_height() for b in bars], expected)
    assert "(bed-days per year per added place)" in axis.get_ylabel()


def test_marginal_benefit_within_groups(comparison):
    grouped = pd.concat([comparison.assign(g="x"), comparison.assign(
        g="y", delayed_days_avoided_per_year=comparison["delayed_days_avoided_per_year"] * 2)])
    steps = marginal_benefit_steps(grouped, OPTION, group="g")
    assert len(steps) == 6
    np.testing.assert_allclose(steps[steps["g"] == "y"]["delayed_days_avoided_per_added_place"],
                               [120.0, 60.0, 20.0])
    fig = marginal_benefit(grouped, OPTION, group="g")
    assert len(fig.axes[0].containers) == 2


def test_cost_vs_saving_error_bars_are_the_ci(comparison):
    fig = cost_vs_saving(comparison, OPTION)
    axis, twin = fig.axes
    ordered = comparison.sort_values(OPTION)
    bars = next(c for c in axis.containers if not isinstance(c, ErrorbarContainer))
    np.testing.assert_allclose([b.get_height() for b in bars], ordered["net_saving_per_year"])
    (errors,) = [c for c in axis.containers if isinstance(c, ErrorbarContainer)]
    segments = errors.lines[2][0].get_segments()
    np.testing.assert_allclose([s[:, 1].min() for s in segments], ordered["net_saving_per_year_ci_low"])
    np.testing.assert_allclose([s[:, 1].max() for s in segments], ordered["net_saving_per_year_ci_high"])
    dots = next(ln for ln in twin.lines if ln.get_marker() == "D")
    np.testing.assert_allclose(dots.get_ydata(), ordered["return_per_pound"])
    assert "(GBP)" in axis.get_ylabel() and UNIT.search(twin.get_ylabel())
    assert next(t.get_text() for t in axis.get_xticklabels()) == "0\n(baseline)"


def test_wait_distribution_quantiles_and_box_medians():
    rng = np.random.default_rng(9)
    n = 400
    patients = pd.DataFrame({
        "pathway": pd.array(rng.choice(["P0", "P2"], n), dtype="string"),
        "nctr_day": rng.uniform(0, 100, n),
        "delayed_days": rng.exponential(2.0, n)})
    patients.loc[:9, "delayed_days"] = np.nan  # still waiting at the horizon: not a completed delay
    table = wait_distribution(patients, warm_up_days=20.0)
    assert list(table["pathway"]) == ["P0", "P2", "all"]
    done = patients[patients["delayed_days"].notna() & (patients["nctr_day"] >= 20.0)]
    p2 = done.loc[done["pathway"] == "P2", "delayed_days"]
    row = table.set_index("pathway").loc["P2"]
    assert row["n"] == len(p2)
    assert row["p50"] == pytest.approx(p2.median())
    assert row["p95"] == pytest.approx(np.quantile(p2, 0.95))
    assert table.set_index("pathway").loc["all", "n"] == len(done)

    fig = wait_distribution_plot(table)
    (axis,) = fig.axes
    for pathway, p50 in zip(table["pathway"], table["p50"], strict=True):
        (line,) = [ln for ln in axis.lines if ln.get_gid() == f"median:{pathway}"]
        np.testing.assert_allclose(line.get_ydata(), [p50, p50])
    assert axis.get_ylabel() == "delayed days (days)"


def test_avoided_vs_option_still_draws_the_comparison(comparison):
    fig = avoided_vs_option(comparison, OPTION)
    left, right = fig.axes
    line = left.lines[0]
    ordered = comparison.sort_values(OPTION)
    np.testing.assert_allclose(line.get_xdata(), ordered[OPTION])
    np.testing.assert_allclose(line.get_ydata(), ordered["delayed_days_avoided_per_year"])
    assert UNIT.search(left.get_ylabel()) and UNIT.search(right.get_ylabel())


def test_figures_leave_no_global_pyplot_state(census, comparison):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fan_chart({"run": census_fan(census)})
    cost_vs_saving(comparison, OPTION)
    assert plt.get_fignums() == before
