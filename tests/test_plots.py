"""Board figures: the aggregated tables are right, and each figure draws exactly those numbers."""

from __future__ import annotations

import itertools
import math
import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from cycler import cycler
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.container import ErrorbarContainer
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.image import AxesImage
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.patches import PathPatch

from flowsim.measures.aggregate import (
    census_fan,
    marginal_benefit_steps,
    reasons_by_option,
    wait_distribution,
    weekly_utilisation,
)
from flowsim.reporting.plots import (
    CENSUS_LABEL,
    DELAY_LABEL,
    REASON_LABELS,
    avoided_vs_option,
    cost_vs_saving,
    fan_chart,
    marginal_benefit,
    reasons_stacked,
    wait_distribution_plot,
)
from flowsim.reporting.utilisation_plot import utilisation_heatmap

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
    assert colorbar is not None and colorbar.ax.get_ylabel() == "% of places in force"
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


# --- What each figure draws, read back from its artists, against small hand-built tables -----------------

TAB10 = [to_rgba(f"C{i}") for i in range(10)]  # the default cycle is tab10


def _band(collection: PolyCollection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, lower and upper edge of a fill_between polygon (every x appears on both edges)."""
    vertices = collection.get_paths()[0].vertices
    xs = np.unique(vertices[:, 0])
    low = np.array([vertices[vertices[:, 0] == x, 1].min() for x in xs])
    high = np.array([vertices[vertices[:, 0] == x, 1].max() for x in xs])
    return xs, low, high


def _legend(axis) -> list[str]:
    return [t.get_text() for t in axis.get_legend().get_texts()]


def _ticks(labels) -> list[str]:
    return [t.get_text() for t in labels]


def _hand_fan(shift: float = 0.0) -> pd.DataFrame:
    """Three midnights, every quantile distinct: p05 < p25 < p50 < p75 < p95."""
    return pd.DataFrame({"day": [60.0, 61.0, 62.0], "n": 20,
                         "p05": np.array([1.0, 2.0, 3.0]) + shift, "p25": np.array([4.0, 5.0, 7.0]) + shift,
                         "p50": np.array([6.0, 8.0, 9.0]) + shift, "p75": np.array([9.0, 10.0, 12.0]) + shift,
                         "p95": np.array([13.0, 15.0, 14.0]) + shift})


def test_fan_chart_bands_are_p05_p95_and_p25_p75_around_the_median_line():
    fig = fan_chart({"baseline": _hand_fan(), "option": _hand_fan(shift=100.0)})
    (axis,) = fig.axes
    assert fig.get_size_inches() == pytest.approx([10.0, 4.5], rel=1e-12)
    bands = [c for c in axis.collections if isinstance(c, PolyCollection)]
    assert [b.get_label() for b in bands] == [
        "baseline: 90 % of replications", "baseline: 50 % of replications",
        "option: 90 % of replications", "option: 50 % of replications"]
    for (outer, inner), shift, colour in ((bands[:2], 0.0, TAB10[0]), (bands[2:], 100.0, TAB10[1])):
        x, low, high = _band(outer)
        assert x.tolist() == [60.0, 61.0, 62.0]
        assert low.tolist() == [1.0 + shift, 2.0 + shift, 3.0 + shift]  # p05
        assert high.tolist() == [13.0 + shift, 15.0 + shift, 14.0 + shift]  # p95
        _, low, high = _band(inner)
        assert low.tolist() == [4.0 + shift, 5.0 + shift, 7.0 + shift]  # p25
        assert high.tolist() == [9.0 + shift, 10.0 + shift, 12.0 + shift]  # p75
        assert outer.get_alpha() == 0.12 and inner.get_alpha() == 0.3  # the 50 % band is the darker
        assert tuple(outer.get_facecolor()[0][:3]) == tuple(colour[:3]) == tuple(inner.get_facecolor()[0][:3])
        assert list(outer.get_linewidth()) == [0.0] and list(inner.get_linewidth()) == [0.0]
    medians = axis.get_lines()
    assert [ln.get_label() for ln in medians] == ["baseline: median", "option: median"]
    assert [ln.get_gid() for ln in medians] == ["median:baseline", "median:option"]
    assert list(medians[0].get_xdata()) == [60.0, 61.0, 62.0]
    assert list(medians[0].get_ydata()) == [6.0, 8.0, 9.0] and list(medians[1].get_ydata()) == [106.0, 108.0,
                                                                                               109.0]
    assert to_rgba(medians[0].get_color()) == TAB10[0] and to_rgba(medians[1].get_color()) == TAB10[1]
    assert medians[0].get_linewidth() == 1.6
    assert axis.get_xlabel() == "day of the run (days)"
    assert axis.get_ylabel() == "NCTR patients in acute beds at midnight (patients)"
    assert axis.get_title() == "NCTR census at midnight across replications"
    assert axis.get_ylim()[0] == 0.0
    grid = axis.yaxis.get_gridlines()[0]
    assert grid.get_visible() and grid.get_alpha() == 0.3
    legend = axis.get_legend()
    assert _legend(axis) == ["baseline: 90 % of replications", "baseline: 50 % of replications",
                             "baseline: median", "option: 90 % of replications",
                             "option: 50 % of replications", "option: median"]
    assert legend._loc == 9 and legend._ncols == 2  # upper center, one column per label
    assert tuple(legend.get_bbox_to_anchor().transformed(axis.transAxes.inverted()).bounds[:2]) == \
        pytest.approx((0.5, -0.13))  # anchored below the plot, not over the bands
    assert legend.get_texts()[0].get_fontsize() == pytest.approx(FontProperties(size="small").get_size())


def test_fan_chart_of_replications_that_do_not_differ_lists_no_band():
    one = _hand_fan().assign(p05=lambda f: f["p50"], p25=lambda f: f["p50"], p75=lambda f: f["p50"],
                             p95=lambda f: f["p50"])  # one replication: every quantile is the run
    (axis,) = fan_chart({"baseline": one, "option": _hand_fan(shift=100.0)}).axes
    assert [c.get_label() for c in axis.collections if isinstance(c, PolyCollection)] == [
        "option: 90 % of replications", "option: 50 % of replications"]
    assert _legend(axis) == ["baseline: median (no spread across replications)",
                             "option: 90 % of replications", "option: 50 % of replications", "option: median"]


def test_fan_chart_by_date_and_its_errors():
    fan = _hand_fan().assign(date=pd.date_range("2025-03-01", periods=3, freq="D"))
    fig = fan_chart({"run": fan}, title="My fan")
    (axis,) = fig.axes
    assert axis.get_title() == "My fan"
    assert axis.get_xlabel() == "date (census at midnight)"
    assert isinstance(axis.xaxis.get_major_formatter(), ConciseDateFormatter)
    assert isinstance(axis.xaxis.get_major_locator(), AutoDateLocator)
    (line,) = axis.get_lines()
    assert list(line.get_xdata()) == list(fan["date"].to_numpy())
    with pytest.raises(ValueError, match=r"^no census fan to draw$"):
        fan_chart({})


@pytest.mark.parametrize("by_date", [False, True])
def test_a_fan_of_one_observed_day_spans_that_day_so_it_is_seen(by_date):
    fan = _hand_fan().iloc[[1]]  # day 61: p05 2, p25 5, p50 8, p75 10, p95 15
    if by_date:
        fan = fan.assign(date=pd.to_datetime(["2025-03-01"]))
    fig = fan_chart({"run": fan})
    (axis,) = fig.axes
    (line,) = axis.get_lines()
    xs = np.asarray(line.get_xdata())
    span = xs[1] - xs[0]
    fig.canvas.draw()
    ticks = _ticks(axis.get_xticklabels())
    if by_date:
        assert xs[0] == np.datetime64("2025-02-28T12:00") and span == np.timedelta64(24, "h")
        assert ticks == ["01 Mar 2025"]  # the day's own tick, not the hours around it
    else:
        assert xs.tolist() == [60.5, 61.5] and ticks == ["61"]
    assert np.asarray(line.get_ydata(), dtype=float).tolist() == [8.0, 8.0]  # a segment, not a point
    outer, inner = [c for c in axis.collections if isinstance(c, PolyCollection)]
    x, low, high = _band(outer)
    assert len(x) == 2 and low.tolist() == [2.0, 2.0] and high.tolist() == [15.0, 15.0]
    assert _band(inner)[1].tolist() == [5.0, 5.0] and _band(inner)[2].tolist() == [10.0, 10.0]


def test_fan_chart_colours_cycle_after_ten_labels():
    fans = {f"f{i}": _hand_fan(shift=i) for i in range(11)}
    lines = fan_chart(fans).axes[0].get_lines()
    assert [to_rgba(ln.get_color()) for ln in lines] == [*TAB10, TAB10[0]]


def _comparison_with_cis() -> pd.DataFrame:
    """Jobs in an order that is not option order; every limit differs from its mean."""
    return pd.DataFrame({
        "job": [0, 1, 2, 3], OPTION: [0, 20, 10, 40], "baseline_job": 0, "pairs": 4,
        "added_capacity": [0.0, 20.0, 10.0, 40.0],
        "delayed_days_avoided_per_year": [0.0, 900.0, 600.0, 1100.0],
        "delayed_days_avoided_per_year_ci_low": [np.nan, 800.0, 450.0, 1000.0],
        "delayed_days_avoided_per_year_ci_high": [np.nan, 1050.0, 700.0, 1300.0],
        "housing_delayed_days_avoided_per_year": [0.0, 90.0, 60.0, 110.0],
        "housing_delayed_days_avoided_per_year_ci_low": [0.0, 80.0, 40.0, 100.0],
        "housing_delayed_days_avoided_per_year_ci_high": [0.0, 95.0, 70.0, 150.0],
        "delayed_days_avoided_per_added_place": [np.nan, 45.0, 60.0, 27.5],
        "net_saving_per_year": [0.0, 120_000.0, 90_000.0, -30_000.0],
        "net_saving_per_year_ci_low": [0.0, 20_000.0, 10_000.0, -150_000.0],
        "net_saving_per_year_ci_high": [0.0, 220_000.0, 160_000.0, 80_000.0],
        "return_per_pound": [np.nan, 1.8, 2.1, 0.9],
    })


def test_avoided_vs_option_ticks_whole_places_only():
    """Options 0, 2 and 4 beds: ticks at whole beds (there were ticks at 0.5 and 1.5: found by a QA pass);
    an option of fractions keeps its fractional ticks."""
    table = _comparison_with_cis().iloc[:3].assign(**{OPTION: [0, 2, 4]})
    for axis in avoided_vs_option(table, OPTION).axes:
        ticks = axis.get_xticks()
        assert len(ticks) >= 3 and np.all(ticks == np.round(ticks)), ticks
    fractions = table.assign(**{OPTION: [0.0, 0.5, 1.0]})
    assert any(t % 1 for t in avoided_vs_option(fractions, OPTION).axes[0].get_xticks())


def test_avoided_vs_option_bands_run_from_ci_low_to_ci_high():
    fig = avoided_vs_option(_comparison_with_cis(), OPTION)
    left, right = fig.axes
    assert fig.get_size_inches() == pytest.approx([11.0, 4.2], rel=1e-12)
    (line,) = [ln for ln in left.get_lines() if ln.get_label() == "mean (95 % CI)"]
    assert list(line.get_xdata()) == [0, 10, 20, 40]  # sorted by the option
    assert list(line.get_ydata()) == [0.0, 600.0, 900.0, 1100.0]
    assert line.get_marker() == "o" and line.get_color() == "tab:blue"
    (band,) = left.collections
    x, low, high = _band(band)
    assert x.tolist() == [0.0, 10.0, 20.0, 40.0]
    assert low.tolist() == [0.0, 450.0, 800.0, 1000.0]  # no CI at the baseline: the band closes on the mean
    assert high.tolist() == [0.0, 700.0, 1050.0, 1300.0]
    assert band.get_alpha() == 0.2 and to_rgba(band.get_facecolor()[0], 1.0) == to_rgba("tab:blue")
    (net,) = [ln for ln in right.get_lines() if ln.get_label() == "mean (95 % CI)"]
    assert list(net.get_ydata()) == pytest.approx([0.0, 0.09, 0.12, -0.03], rel=1e-12)  # GBP million
    _, low, high = _band(right.collections[0])
    assert low.tolist() == pytest.approx([0.0, 0.01, 0.02, -0.15], rel=1e-12)
    assert high.tolist() == pytest.approx([0.0, 0.16, 0.22, 0.08], rel=1e-12)
    assert left.get_ylabel() == "acute delayed days avoided per year (all; bed-days)"
    assert right.get_ylabel() == "net saving per year (GBP million)"
    for axis in (left, right):
        assert axis.get_xlabel() == OPTION
        zero = [ln for ln in axis.get_lines() if ln.get_label().startswith("_")]
        assert [(list(ln.get_ydata()), ln.get_color(), ln.get_linewidth()) for ln in zero] == [
            ([0, 0], "grey", 0.8)]
        assert _legend(axis) == ["mean (95 % CI)"]
        assert axis.get_legend()._loc == 0  # best
        assert axis.get_legend().get_texts()[0].get_fontsize() == pytest.approx(
            FontProperties(size="small").get_size())
    assert fig.get_suptitle() == ("Against the baseline (care_home_unit.capacity = 0) "
                                  "(paired over replications; bands: 95 % CI)")


def test_avoided_vs_option_of_one_reason_and_without_limits():
    table = _comparison_with_cis()
    fig = avoided_vs_option(table, OPTION, avoided="housing_delayed_days_avoided_per_year")
    left = fig.axes[0]
    assert left.get_ylabel() == "acute delayed days avoided per year (housing; bed-days)"
    assert list(left.get_lines()[0].get_ydata()) == [0.0, 60.0, 90.0, 110.0]
    _, low, high = _band(left.collections[0])
    assert low.tolist() == [0.0, 40.0, 80.0, 100.0] and high.tolist() == [0.0, 70.0, 95.0, 150.0]
    bare = table.drop(columns=["net_saving_per_year_ci_low", "net_saving_per_year_ci_high"])
    _, low, high = _band(avoided_vs_option(bare, OPTION).axes[1].collections[0])
    assert low.tolist() == high.tolist() == pytest.approx([0.0, 0.09, 0.12, -0.03], rel=1e-12)


def test_avoided_vs_option_one_line_per_group():
    table = pd.concat([_comparison_with_cis().assign(**{"services.ic_beds.capacity": 5}),
                       _comparison_with_cis().assign(**{"services.ic_beds.capacity": 2,
                                                        "delayed_days_avoided_per_year": [0.0, 1.0, 2.0,
                                                                                          3.0]})])
    fig = avoided_vs_option(table, OPTION, group="services.ic_beds.capacity")
    left, right = fig.axes
    lines = [ln for ln in left.get_lines() if not ln.get_label().startswith("_")]
    # sorted by the group, named with its unit ("capacity = 2" could be either capacity: a QA pass)
    assert [ln.get_label() for ln in lines] == ["ic_beds.capacity = 2", "ic_beds.capacity = 5"]
    assert list(lines[0].get_ydata()) == [0.0, 2.0, 1.0, 3.0] and list(lines[1].get_ydata()) == [
        0.0, 600.0, 900.0, 1100.0]
    viridis = matplotlib.colormaps["viridis"]
    assert to_rgba(lines[0].get_color()) == viridis(0.0) and to_rgba(lines[1].get_color()) == viridis(1.0)
    assert _legend(left) == _legend(right) == ["ic_beds.capacity = 2", "ic_beds.capacity = 5"]
    # a comparison without the baseline's own row names the baseline by its job
    options_only = _comparison_with_cis().iloc[1:]
    assert avoided_vs_option(options_only, OPTION).get_suptitle().startswith("Against the baseline (job 0) ")
    # the baseline named by both swept columns, the group's first
    assert fig.get_suptitle() == ("Against the baseline (ic_beds.capacity = 5, care_home_unit.capacity = 0) "
                                  "(paired over replications; bands: 95 % CI)")


def test_marginal_benefit_bars_labels_and_average_dots():
    fig = marginal_benefit(_comparison_with_cis(), OPTION)
    (axis,) = fig.axes
    assert fig.get_size_inches() == pytest.approx([9.0, 4.5], rel=1e-12)
    (bars,) = axis.containers
    # steps 0->10: 600/10 = 60; 10->20: (900-600)/10 = 30; 20->40: (1100-900)/20 = 10 per added place
    assert [b.get_height() for b in bars] == [60.0, 30.0, 10.0]
    assert [b.get_x() + b.get_width() / 2 for b in bars] == pytest.approx([0.0, 1.0, 2.0], abs=1e-12)
    assert [b.get_width() for b in bars] == pytest.approx([0.76] * 3, rel=1e-12)  # 0.8 x 0.95
    assert {to_rgba(b.get_facecolor()) for b in bars} == {TAB10[0]}
    assert [t.get_text() for t in axis.texts] == ["60", "30", "10"]  # the bar labels
    (dots,) = [ln for ln in axis.get_lines() if ln.get_marker() == "o"]
    assert list(dots.get_ydata()) == [60.0, 45.0, 27.5]  # 600/10, 900/20, 1100/40 since baseline
    assert list(dots.get_xdata()) == [0.0, 1.0, 2.0]
    assert dots.get_color() == "black" and dots.get_markersize() == 4 and dots.get_linestyle() == "None"
    assert _ticks(axis.get_xticklabels()) == ["0→10", "10→20", "20→40"]
    # no label sits on a dot (the first step's dot is at its bar's top: "44" was drawn over it)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    radius = dots.get_markersize() / 2 * fig.dpi / 72
    for x, y in axis.transData.transform(np.column_stack([dots.get_xdata(), dots.get_ydata()])):
        for label in axis.texts:
            box = label.get_window_extent(canvas.get_renderer())
            assert not (box.x0 <= x <= box.x1 and box.y0 - radius <= y <= box.y1 + radius), label.get_text()
    frame = axis.get_window_extent(canvas.get_renderer())
    assert all(frame.y0 <= t.get_window_extent(canvas.get_renderer()).y1 <= frame.y1 for t in axis.texts)
    assert axis.get_xlabel() == f"step in {OPTION} (from→to)"
    assert axis.get_ylabel() == "delayed days avoided per added place\n(bed-days per year per added place)"
    assert axis.get_title() == "What each step buys: acute delayed days avoided per added place (means)"
    assert _legend(axis) == ["average per added place since baseline", "per added place in the step"]
    assert axis.yaxis.get_major_formatter()(12345.4, 0) == "12,345"
    zero = [ln for ln in axis.get_lines() if ln is not dots]
    assert [(list(ln.get_ydata()), ln.get_color(), ln.get_linewidth()) for ln in zero] == [([0, 0], "grey",
                                                                                            0.8)]
    with pytest.raises(ValueError, match=f"^marginal benefit needs at least two values of {OPTION}$"):
        marginal_benefit(_comparison_with_cis().iloc[:1], OPTION)


def test_marginal_benefit_groups_side_by_side():
    base = _comparison_with_cis()
    table = pd.concat([base.assign(g="x"), base.assign(g="y", delayed_days_avoided_per_year=base[
        "delayed_days_avoided_per_year"] * 2)])
    (axis,) = marginal_benefit(table, OPTION, group="g").axes
    first, second = axis.containers
    assert [b.get_height() for b in first] == [60.0, 30.0, 10.0]
    assert [b.get_height() for b in second] == [120.0, 60.0, 20.0]  # twice the days avoided
    # two groups: bars 0.4 wide (0.38 drawn) either side of each step
    assert [b.get_x() + b.get_width() / 2 for b in first] == pytest.approx([-0.2, 0.8, 1.8], rel=1e-12)
    assert [b.get_x() + b.get_width() / 2 for b in second] == pytest.approx([0.2, 1.2, 2.2], rel=1e-12)
    assert [b.get_width() for b in first] == pytest.approx([0.38] * 3, rel=1e-12)
    assert to_rgba(first[0].get_facecolor()) == TAB10[0] and to_rgba(second[0].get_facecolor()) == TAB10[1]
    assert _legend(axis) == ["average per added place since baseline", "g=x", "g=y"]  # lines first


def test_cost_vs_saving_draws_bars_ci_and_return_per_pound():
    fig = cost_vs_saving(_comparison_with_cis(), OPTION)
    axis, twin = fig.axes
    assert fig.get_size_inches() == pytest.approx([9.0, 4.5], rel=1e-12)
    bars, errors = axis.containers
    assert [b.get_height() for b in bars] == [0.0, 90_000.0, 120_000.0, -30_000.0]  # options 0, 10, 20, 40
    assert [b.get_x() + b.get_width() / 2 for b in bars] == pytest.approx([0, 1, 2, 3], abs=1e-12)
    # a loss in red (found by a QA pass: every bar was green, losses of GBP 1.8 m too)
    assert [to_rgba(b.get_facecolor()) for b in bars] == [to_rgba("tab:green", 0.8)] * 3 + [
        to_rgba("tab:red", 0.8)]
    (segments,) = errors.lines[2]
    assert [list(s[:, 0]) for s in segments.get_segments()] == [[0, 0], [1, 1], [2, 2], [3, 3]]
    assert [list(s[:, 1]) for s in segments.get_segments()] == [
        [0.0, 0.0], [10_000.0, 160_000.0], [20_000.0, 220_000.0], [-150_000.0, 80_000.0]]
    assert to_rgba(segments.get_color()[0]) == to_rgba("black")
    assert [cap.get_markersize() for cap in errors.lines[1]] == [8.0, 8.0]  # capsize 4
    assert list(errors.lines[1][0].get_ydata()) == [0.0, 10_000.0, 20_000.0, -150_000.0]
    (dots,) = [ln for ln in twin.get_lines() if ln.get_marker() == "D"]
    assert list(dots.get_xdata()) == [0, 1, 2, 3]
    np.testing.assert_array_equal(dots.get_ydata(), [np.nan, 2.1, 1.8, 0.9])
    assert dots.get_color() == "tab:purple" and dots.get_linestyle() == "None"
    (even,) = [ln for ln in twin.get_lines() if ln is not dots]
    assert list(even.get_ydata()) == [1.0, 1.0] and even.get_linestyle() == ":"
    assert even.get_color() == "tab:purple" and even.get_linewidth() == 1.0
    # autoscaled top 2.1 + 5 % of (2.1 - 0.9) = 2.16, then 10 % room: 2.376
    assert twin.get_ylim() == pytest.approx((0.0, 2.376), rel=1e-12)
    (zero,) = [ln for ln in axis.get_lines() if list(ln.get_ydata()) == [0, 0]]
    assert zero.get_color() == "grey" and zero.get_linewidth() == 0.8
    assert _ticks(axis.get_xticklabels()) == ["0\n(baseline)", "10", "20", "40"]
    assert axis.get_xlabel() == OPTION
    assert axis.get_ylabel() == "net saving per year (GBP)"
    assert twin.get_ylabel() == "return per £1 spent (GBP acute saving per GBP)"
    assert to_rgba(twin.yaxis.label.get_color()) == to_rgba("tab:purple")
    assert axis.yaxis.get_major_formatter()(-150_000.0, 0) == "\u2212150,000"  # a minus sign
    # the legend below the axes, where it covers nothing (inside, it hid a whisker and the break-even line)
    assert axis.get_legend() is None and twin.get_legend() is None
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "net saving per year (mean)", "net loss per year (mean)", "95 % CI (paired)", "return per £1 spent",
        "break-even: £1 back per £1"]
    patches = legend.legend_handles[:2]
    assert [to_rgba(p.get_facecolor()) for p in patches] == [to_rgba("tab:green", 0.8),
                                                             to_rgba("tab:red", 0.8)]
    assert legend._loc == 8 and legend._ncols == 3  # lower center, outside the axes
    assert legend.get_texts()[0].get_fontsize() == pytest.approx(FontProperties(size="small").get_size())
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    assert legend.get_window_extent(renderer).y1 < axis.get_tightbbox(renderer).y0  # below the x label
    assert axis.get_title() == ("Net saving against the baseline (care_home_unit.capacity = 0)\n"
                                "(acute saving minus added service cost)")


def test_cost_vs_saving_legend_names_only_the_colours_drawn():
    def net(values):
        return {"net_saving_per_year": values, "net_saving_per_year_ci_low": [v - 5e4 for v in values],
                "net_saving_per_year_ci_high": [v + 5e4 for v in values]}

    losses = _comparison_with_cis().assign(**net([0.0, -1e5, -2e5, -3e5]))
    (legend,) = cost_vs_saving(losses, OPTION).legends  # the baseline's empty bar is not a saving
    assert [t.get_text() for t in legend.get_texts()][:2] == ["net loss per year (mean)", "95 % CI (paired)"]
    gains = _comparison_with_cis().assign(**net([0.0, 1e5, 2e5, 0.0]))  # 0: no loss either
    (legend,) = cost_vs_saving(gains, OPTION).legends
    assert [t.get_text() for t in legend.get_texts()][:2] == ["net saving per year (mean)",
                                                              "95 % CI (paired)"]
    assert [to_rgba(p.get_facecolor()) for p in legend.legend_handles[:1]] == [to_rgba("tab:green", 0.8)]


def test_cost_vs_saving_of_two_swept_columns_and_of_unsortable_options():
    table = _comparison_with_cis().assign(**{"services.ic_beds.capacity": [2, 2, 5, 5]})
    axis = cost_vs_saving(table, ["services.ic_beds.capacity", OPTION]).axes[0]
    # sorted by ic_beds then care_home_unit: jobs 0 (2, 0), 1 (2, 20), 2 (5, 10), 3 (5, 40)
    assert _ticks(axis.get_xticklabels()) == ["ic_beds=2\ncare_home_unit=0\n(baseline)",
                                              "ic_beds=2\ncare_home_unit=20", "ic_beds=5\ncare_home_unit=10",
                                              "ic_beds=5\ncare_home_unit=40"]
    assert [b.get_height() for b in axis.containers[0]] == [0.0, 120_000.0, 90_000.0, -30_000.0]
    assert axis.get_xlabel() == f"services.ic_beds.capacity, {OPTION}"
    mixed = _comparison_with_cis().assign(**{OPTION: [0, "ten", 10, "forty"]})
    axis = cost_vs_saving(mixed, OPTION).axes[0]  # int and str do not sort: the sweep's order
    assert _ticks(axis.get_xticklabels()) == ["0\n(baseline)", "ten", "10", "forty"]
    assert [b.get_height() for b in axis.containers[0]] == [0.0, 120_000.0, 90_000.0, -30_000.0]
    named = _comparison_with_cis().assign(**{OPTION: ["none", "oldham_h2h", "heatherstones", "home_group"]})
    axis = cost_vs_saving(named, OPTION).axes[0]  # schemes: the sweep's order, from its baseline
    assert _ticks(axis.get_xticklabels()) == ["none\n(baseline)", "oldham_h2h", "heatherstones", "home_group"]
    assert {t.get_rotation() for t in axis.get_xticklabels()} == {0.0}  # four fit level
    one_key = _comparison_with_cis().assign(**{OPTION: [0.5, 20.0, 10.0, 40.0]})
    axis = cost_vs_saving(one_key, [OPTION]).axes[0]
    assert _ticks(axis.get_xticklabels())[:2] == ["0.5\n(baseline)", "10.0"]  # a one-element list: no name


def test_cost_vs_saving_tilts_option_names_that_would_run_into_each_other():
    names = ["none", "heatherstones", "home_group", "nottingham_hhc", "oldham_h2h", "gloucestershire",
             "care_and_repair", "warm_homes", "step_down_flats"]
    table = pd.concat([_comparison_with_cis()] * 3, ignore_index=True).iloc[:9].assign(
        **{OPTION: names, "job": range(9), "baseline_job": 0})
    fig = cost_vs_saving(table, OPTION)
    labels = fig.axes[0].get_xticklabels()
    assert [t.get_text() for t in labels] == ["none\n(baseline)", *names[1:]]
    assert {(t.get_rotation(), t.get_horizontalalignment()) for t in labels} == {(30.0, "right")}
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    # tilted, neighbouring labels are parallel lines further apart than a line of text is high ...
    anchors = [t.get_window_extent().x1 for t in labels]  # right-aligned: the anchor is the right end
    line_px = labels[1].get_fontsize() * fig.dpi / 72 * 1.2
    assert min(b - a for a, b in itertools.pairwise(anchors)) * math.sin(math.radians(30)) > line_px
    # ... while level they would run into each other
    for text in labels:
        text.set(rotation=0, horizontalalignment="center")
    canvas.draw()
    level = [t.get_window_extent() for t in fig.axes[0].get_xticklabels()]
    assert any(a.overlaps(b) for a, b in itertools.pairwise(level))


def _hand_census() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two replications, Sat 2025-01-04 to Tue 2025-01-07: a two-day and a two-day week."""
    dates = pd.date_range("2025-01-04", periods=4, freq="D").astype("datetime64[us]")
    census = pd.DataFrame({"replication": [0] * 4 + [1] * 4, "date": list(dates) * 2,
                           "occupied_a": [2, 4, 6, 8, 4, 6, 8, 10], "occupied_b": [1, 1, 3, 3, 3, 3, 5, 5]})
    units = pd.DataFrame({"replication": [0, 0, 1, 1], "unit": ["a", "b", "a", "b"],
                          "capacity": [20, 4, 20, 4], "mean_capacity": [8.0, 4.0, 12.0, 4.0]})
    return census, units


def test_heat_map_cells_are_occupied_over_mean_capacity():
    census, units = _hand_census()
    fig = utilisation_heatmap(weekly_utilisation(census, units))
    (axis, bar_axis) = fig.axes
    (image,) = axis.get_images()
    # unit a: mean capacity (8 + 12) / 2 = 10 (not its capacity 20); week of 30 Dec: (2+4+4+6)/4 = 4
    # -> 0.4, week of 6 Jan: (6+8+8+10)/4 = 8 -> 0.8. Unit b: capacity 4; (1+1+3+3)/4 = 2 -> 0.5,
    # (3+3+5+5)/4 = 4 -> 1.0
    np.testing.assert_allclose(np.asarray(image.get_array()), [[0.4, 0.8], [0.5, 1.0]], rtol=1e-12)
    assert image.get_cmap().name == "RdYlGn_r" and image.get_clim() == (0.0, 1.0)
    assert image.get_interpolation() == "nearest" and axis.get_aspect() == "auto"
    assert _ticks(axis.get_xticklabels()) == ["30 Dec 2024", "06 Jan 2025"]
    assert [t.get_rotation() for t in axis.get_xticklabels()] == [45.0, 45.0]
    assert {t.get_horizontalalignment() for t in axis.get_xticklabels()} == {"right"}
    assert _ticks(axis.get_yticklabels()) == ["a", "b"]
    assert list(axis.get_yticks()) == [0, 1]
    assert axis.get_xlabel() == "week beginning (Monday)" and axis.get_ylabel() == "unit"
    assert axis.get_title() == "Weekly utilisation by unit"
    colorbar = image.colorbar
    assert colorbar.ax is bar_axis and bar_axis.get_ylabel() == "% of places in force"
    assert colorbar.extend == "max"
    assert colorbar.formatter(0.85, 0) == "85"
    assert fig.get_size_inches() == pytest.approx([7.0, 1.9], rel=1e-12)  # 1 + 0.45 x 2 units


def test_heat_map_of_many_weeks_labels_every_few_weeks():
    weeks = pd.date_range("2025-01-06", periods=27, freq="7D")
    weekly = pd.DataFrame({"week_start": weeks, "unit": "a", "days": 7, "utilisation": np.linspace(0, 1, 27)})
    fig = utilisation_heatmap(weekly, title="T")
    axis = fig.axes[0]
    assert axis.get_title() == "T"
    assert list(axis.get_xticks()) == [0, 3, 6, 9, 12, 15, 18, 21, 24]  # every ceil(27 / 13) = 3 weeks
    assert _ticks(axis.get_xticklabels())[:2] == ["06 Jan 2025", "27 Jan 2025"]
    assert fig.get_size_inches() == pytest.approx([7.82, 1.45], rel=1e-12)  # 0.16 x 27 + 3.5; 1 + 0.45
    with pytest.raises(ValueError, match=r"^no unit with capacity to draw$"):
        utilisation_heatmap(weekly.iloc[:0])


def _hand_reasons(options: list[str], extra: str | None = None) -> pd.DataFrame:
    rows = []
    for i, option in enumerate(options):
        for reason, days in (("admin", 100.0), ("P2", 1000.0 * (i + 1)), ("housing", 250.5)):
            rows.append({"option": option, "reason": reason, "delayed_days_per_year": days})
    if extra:
        rows.append({"option": options[0], "reason": extra, "delayed_days_per_year": 7.0})
    return pd.DataFrame(rows)


def test_reasons_stacked_bars_sum_to_the_total_written_above():
    fig = reasons_stacked(_hand_reasons(["a", "b"], extra="later"))
    (axis,) = fig.axes
    assert fig.get_size_inches() == pytest.approx([6.2, 4.8], rel=1e-12)  # 1.1 x 2 + 4
    by_reason = {c.patches[0].get_gid(): c for c in axis.containers}
    assert list(by_reason) == ["admin", "P2", "housing", "later"]  # the table's order
    assert [b.get_height() for b in by_reason["admin"]] == [100.0, 100.0]
    assert [b.get_y() for b in by_reason["P2"]] == [100.0, 100.0]  # on top of admin
    assert [b.get_height() for b in by_reason["P2"]] == [1000.0, 2000.0]
    assert [b.get_y() for b in by_reason["housing"]] == [1100.0, 2100.0]
    assert [b.get_y() for b in by_reason["later"]] == [1350.5, 2350.5]
    assert [b.get_height() for b in by_reason["later"]] == [7.0, 0.0]  # missing for option b: 0
    assert [b.get_x() + b.get_width() / 2 for b in by_reason["admin"]] == pytest.approx([0, 1], abs=1e-12)
    assert [b.get_width() for b in by_reason["admin"]] == pytest.approx([0.6, 0.6], rel=1e-12)
    colours = {gid: to_rgba(c.patches[0].get_facecolor()) for gid, c in by_reason.items()}
    assert colours == {"admin": to_rgba("tab:blue"), "P2": to_rgba("tab:green"),
                       "housing": to_rgba("tab:purple"), "later": TAB10[6]}
    # totals: 100 + 1000 + 250.5 + 7 = 1,357.5 and 100 + 2000 + 250.5 = 2,350.5, printed to the day
    totals = [(t.get_text(), t.xy) for t in axis.texts]
    assert totals == [("1,358", (0, 1357.5)), ("2,350", (1, 2350.5))]
    assert [t.get_position() for t in axis.texts] == [(0, 3), (0, 3)]  # points above the bar
    assert _legend(axis) == ["P0: discharge admin", "waiting for a P2 bed", "housing barrier", "later"]
    assert axis.get_legend().get_title().get_text() == "reason"
    assert _ticks(axis.get_xticklabels()) == ["a", "b"]
    assert [t.get_rotation() for t in axis.get_xticklabels()] == [0.0, 0.0]
    assert {t.get_horizontalalignment() for t in axis.get_xticklabels()} == {"center"}
    assert axis.get_xlabel() == "option" and axis.get_ylabel() == "acute delayed days per year (bed-days)"
    assert axis.get_title() == "Acute delayed days per year by reason"
    assert axis.yaxis.get_major_formatter()(2350.5, 0) == "2,350"


def test_reasons_stacked_title_stays_inside_a_one_option_figure():
    """flowsim-report's title of one run ran off the figure's left edge ("cute delayed days...")."""
    title = "Acute delayed days per year by reason (default scenario)"
    every = pd.DataFrame({"option": "this run", "reason": list(REASON_LABELS), "delayed_days_per_year": 9e4})
    fig = reasons_stacked(every, title=title)  # the longest legend: the narrowest axis
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    box = fig.axes[0].title.get_window_extent(canvas.get_renderer())
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width, (box, fig.bbox)
    assert fig.axes[0].get_title() == title  # the text itself is whole (Matplotlib wraps it as it draws)


def test_reasons_stacked_says_so_when_nobody_waited():
    """No arrivals, no delays: the axis was empty and ticked 0, 0, 0, 1, 1, 1 (found by a QA pass)."""
    none = pd.DataFrame({"option": "this run", "reason": ["admin", "P1"], "delayed_days_per_year": 0.0})
    axis = reasons_stacked(none).axes[0]
    assert [t.get_text() for t in axis.texts] == ["0", "no delayed days"]  # the total, and why it is 0
    assert list(axis.get_yticks()) == [0.0] and axis.get_ylim() == (0.0, 1.0)
    some = reasons_stacked(_hand_reasons(["a"])).axes[0]
    assert "no delayed days" not in [t.get_text() for t in some.texts]


def test_reasons_stacked_of_a_run_without_arrivals_draws_no_empty_legend():
    """At zero arrivals no reason has a delayed day, so the table has none, and the empty legend warned
    "No artists with labels found to put in legend" in the app's server log (found by a QA pass)."""
    zeros = pd.DataFrame({"replication": [0, 1], "observed_days": 120.0,
                          **{f"delayed_days_reason_{r}": 0.0 for r in REASON_LABELS}})
    reasons = reasons_by_option(zeros, [])
    assert reasons.empty
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = reasons_stacked(reasons)
        FigureCanvasAgg(fig).draw()
    (axis,) = fig.axes
    assert axis.get_legend() is None
    assert [t.get_text() for t in axis.texts] == ["no delayed days"]


def test_reasons_stacked_of_many_options_tilts_the_labels():
    options = ["a", "b", "c", "d", "e"]
    fig = reasons_stacked(_hand_reasons(options), title="T")
    axis = fig.axes[0]
    assert axis.get_title() == "T"
    assert [t.get_rotation() for t in axis.get_xticklabels()] == [20.0] * 5
    assert {t.get_horizontalalignment() for t in axis.get_xticklabels()} == {"right"}
    assert fig.get_size_inches() == pytest.approx([9.5, 4.8], rel=1e-12)  # 1.1 x 5 + 4
    labels = dict(zip(REASON_LABELS, _legend(reasons_stacked(pd.DataFrame({
        "option": "a", "reason": list(REASON_LABELS), "delayed_days_per_year": 1.0})).axes[0]), strict=True))
    assert labels == REASON_LABELS
    assert REASON_LABELS == {"admin": "P0: discharge admin", "P1": "waiting for P1 (care at home)",
                             "P2": "waiting for a P2 bed", "P3": "waiting for a P3 placement",
                             "housing": "housing barrier", "calendar": "unit closed to admissions"}


def test_wait_distribution_box_whiskers_median_and_mean_are_the_table():
    table = pd.DataFrame({"pathway": ["P0", "P1", "P2"], "n": [1234, 0, 5], "mean": [2.5, np.nan, 3.5],
                          "p05": [0.5, np.nan, 1.0], "p25": [1.0, np.nan, 2.0], "p50": [2.0, np.nan, 3.0],
                          "p75": [3.0, np.nan, 4.0], "p95": [6.0, np.nan, 8.0]})
    fig = wait_distribution_plot(table)
    (axis,) = fig.axes
    assert fig.get_size_inches() == pytest.approx([6.0, 4.5], rel=1e-12)  # 2 boxes: max(6, 1.3 x 2 + 2)
    boxes = [p for p in axis.patches if isinstance(p, PathPatch)]
    spans = [(v[:, 1].min(), v[:, 1].max()) for v in (b.get_path().vertices for b in boxes)]
    assert spans == [(1.0, 3.0), (2.0, 4.0)]  # p25 to p75; P1 (no completed delay) left out
    assert to_rgba(boxes[0].get_facecolor()) == to_rgba("tab:blue", 0.35)
    vertical = [ln for ln in axis.get_lines() if len(set(ln.get_xdata())) == 1 and len(ln.get_xdata()) == 2]
    whiskers = sorted((ln.get_xdata()[0], *sorted(ln.get_ydata())) for ln in vertical)
    assert whiskers == [(1, 0.5, 1.0), (1, 3.0, 6.0), (2, 1.0, 2.0), (2, 4.0, 8.0)]  # p05-p25, p75-p95
    medians = {ln.get_gid(): ln for ln in axis.get_lines() if ln.get_gid()}
    assert list(medians["median:P0"].get_ydata()) == [2.0, 2.0]
    assert list(medians["median:P2"].get_ydata()) == [3.0, 3.0]
    assert medians["median:P0"].get_color() == "black" and medians["median:P0"].get_linewidth() == 1.6
    means = [ln for ln in axis.get_lines() if ln.get_marker() == "^"]
    assert [(list(m.get_xdata()), list(m.get_ydata())) for m in means] == [([1], [2.5]), ([2], [3.5])]
    assert means[0].get_markerfacecolor() == "tab:red" and means[0].get_markeredgecolor() == "tab:red"
    assert _ticks(axis.get_xticklabels()) == ["P0\n(n = 1,234)", "P2\n(n = 5)"]
    assert axis.get_xlabel() == "pathway (completed delays)"
    assert axis.get_ylabel() == "delayed days (days)" == DELAY_LABEL
    assert axis.get_ylim()[0] == 0.0
    grid = axis.yaxis.get_gridlines()[0]
    assert grid.get_visible() and grid.get_alpha() == 0.3 and not axis.xaxis.get_gridlines()[0].get_visible()
    assert axis.get_title() == ("Acute delay per episode by pathway\nbox: 25th–75th percentile, "
                                "line: median, whiskers: 5th–95th, ▲: mean")
    assert axis.title.get_fontsize() == pytest.approx(FontProperties(size="medium").get_size())
    assert not [ln for ln in axis.get_lines() if ln.get_marker() not in ("^", "None", "")]  # no fliers


def test_wait_distribution_of_many_pathways_and_of_none():
    rows = pd.DataFrame({"pathway": ["P0", "P1", "P2", "P3", "all"], "n": 10, "mean": 2.0, "p05": 1.0,
                         "p25": 1.5, "p50": 2.0, "p75": 2.5, "p95": 3.0})
    fig = wait_distribution_plot(rows, title="T")
    assert fig.get_size_inches() == pytest.approx([8.5, 4.5], rel=1e-12)  # 1.3 x 5 + 2
    assert fig.axes[0].get_title().startswith("T\nbox: ")
    with pytest.raises(ValueError, match=r"^no completed delay to draw$"):
        wait_distribution_plot(rows.assign(n=0))


# --- Style a reader sees: layout, colours under a user's style, legends, labels as drawn ----------------


def _drawn(fig: Figure) -> Figure:
    fig.draw_without_rendering()  # lays out the figure and formats ticks and annotations, as saving does
    return fig


def test_every_figure_uses_constrained_layout():
    census, units = _hand_census()
    figures = [fan_chart({"a": _hand_fan()}), avoided_vs_option(_comparison_with_cis(), OPTION),
               marginal_benefit(_comparison_with_cis(), OPTION),
               cost_vs_saving(_comparison_with_cis(), OPTION),
               utilisation_heatmap(weekly_utilisation(census, units)), reasons_stacked(_hand_reasons(["a"])),
               wait_distribution_plot(pd.DataFrame({"pathway": ["P0"], "n": [3], "mean": [2.0], "p05": [1.0],
                                                    "p25": [1.5], "p50": [2.0], "p75": [2.5], "p95": [3.0]}))]
    for fig in figures:
        assert isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)


def test_colours_and_legends_do_not_follow_a_users_style():
    style = {"axes.prop_cycle": cycler(color=["black"]), "legend.loc": "lower right",
             "legend.fontsize": "xx-large"}
    small = FontProperties(size="small").get_size()
    with matplotlib.rc_context(style):
        fan = fan_chart({"a": _hand_fan(), "b": _hand_fan(1.0)}).axes[0]
        avoided = avoided_vs_option(_comparison_with_cis(), OPTION)
        steps = marginal_benefit(_comparison_with_cis(), OPTION).axes[0]
    assert [to_rgba(ln.get_color()) for ln in fan.get_lines()] == TAB10[:2]
    bands = [tuple(c.get_facecolor()[0][:3]) for c in fan.collections]
    assert bands == [TAB10[0][:3]] * 2 + [TAB10[1][:3]] * 2
    for axis in avoided.axes:
        (line,) = [ln for ln in axis.get_lines() if ln.get_label() == "mean (95 % CI)"]
        assert to_rgba(line.get_color()) == to_rgba("tab:blue")
        assert to_rgba(axis.collections[0].get_facecolor()[0], 1.0) == to_rgba("tab:blue")
        assert axis.get_legend()._loc == 0 and axis.get_legend().get_texts()[0].get_fontsize() == small
    assert {to_rgba(b.get_facecolor()) for b in steps.containers[0]} == {TAB10[0]}
    assert steps.get_legend()._loc == 0 and steps.get_legend().get_texts()[0].get_fontsize() == small


def test_avoided_vs_option_panels_side_by_side_and_three_group_colours():
    fig = avoided_vs_option(_comparison_with_cis(), OPTION)
    assert [a.get_subplotspec().get_geometry() for a in fig.axes] == [(1, 2, 0, 0), (1, 2, 1, 1)]
    base = _comparison_with_cis()
    table = pd.concat([base.assign(g=value) for value in (1, 2, 3)])
    viridis = matplotlib.colormaps["viridis"]
    expected = [viridis(0.0), viridis(0.5), viridis(1.0)]  # i / (3 groups - 1)
    for axis in avoided_vs_option(table, OPTION, group="g").axes:
        lines = [ln for ln in axis.get_lines() if not ln.get_label().startswith("_")]
        assert [to_rgba(ln.get_color()) for ln in lines] == expected
        assert [to_rgba(c.get_facecolor()[0], 1.0) for c in axis.collections] == expected


def test_marginal_benefit_labels_each_bar_to_the_day_and_draws_another_column():
    table = _comparison_with_cis().assign(
        delayed_days_avoided_per_year=[0.0, 12_900.0, 12_345.0, 12_912.0],  # steps 1,234.5, 55.5, 0.6
        housing_delayed_days_avoided_per_year=[0.0, 30.0, 20.0, 50.0])
    (axis,) = _drawn(marginal_benefit(table, OPTION)).axes
    assert [b.get_height() for b in axis.containers[0]] == pytest.approx([1234.5, 55.5, 0.6], rel=1e-12)
    assert [t.get_text() for t in axis.texts] == ["1,234", "56", "1"]  # to the day, with a thousands comma
    assert [t.xyann for t in axis.texts] == [(0, 5)] * 3 and {t.anncoords for t in axis.texts} == {
        "offset points"}
    assert {t.get_fontsize() for t in axis.texts} == {FontProperties(size="small").get_size()}
    housing = marginal_benefit(table, OPTION, avoided="housing_delayed_days_avoided_per_year").axes[0]
    assert [b.get_height() for b in housing.containers[0]] == [2.0, 1.0, 1.0]  # 20/10, 10/10, 20/20


def test_marginal_benefit_dots_sit_on_their_groups_bars():
    base = _comparison_with_cis()
    table = pd.concat([base.assign(g="x"), base.assign(g="y")])
    (axis,) = marginal_benefit(table, OPTION, group="g").axes
    dots = [ln for ln in axis.get_lines() if ln.get_marker() == "o"]
    assert [list(d.get_xdata()) for d in dots] == [pytest.approx([-0.2, 0.8, 1.8]), pytest.approx([0.2, 1.2,
                                                                                                    2.2])]


def test_cost_vs_saving_draws_no_line_between_the_options():
    errors = cost_vs_saving(_comparison_with_cis(), OPTION).axes[0].containers[1]
    assert errors.lines[0] is None  # error bars only: no line through the means


def test_cost_vs_saving_keeps_the_sweeps_order_among_equal_options():
    table = pd.concat([_comparison_with_cis()] * 15, ignore_index=True).assign(job=range(60))
    table[OPTION] = [i % 2 for i in range(60)]  # 30 jobs with 0, 30 with 1
    axis = cost_vs_saving(table, OPTION).axes[0]
    heights = [b.get_height() for b in axis.containers[0]]
    expected = table.iloc[[*range(0, 60, 2), *range(1, 60, 2)]]["net_saving_per_year"].tolist()
    assert heights == expected  # a stable sort: job order within each option


def test_reasons_totals_are_written_just_above_each_bar():
    (axis,) = _drawn(reasons_stacked(_hand_reasons(["a", "b"]))).axes
    for text in axis.texts:
        assert text.anncoords == "offset points" and text.xyann == (0, 3)
        assert text.get_horizontalalignment() == "center"
        assert text.get_fontsize() == FontProperties(size="small").get_size()
    legend = axis.get_legend()
    assert legend._loc == 2
    assert legend.get_texts()[0].get_fontsize() == FontProperties(size="small").get_size()
    anchor = legend.get_bbox_to_anchor()
    corner = axis.transAxes.transform((1.01, 1.0))  # just right of the axis, at its top
    assert (anchor.x0, anchor.y0) == pytest.approx(tuple(corner), rel=1e-12)


def test_reasons_of_four_options_stay_upright_and_unknown_reasons_get_spare_colours():
    axis = reasons_stacked(_hand_reasons(["a", "b", "c", "d"])).axes[0]
    assert [t.get_rotation() for t in axis.get_xticklabels()] == [0.0] * 4
    assert {t.get_horizontalalignment() for t in axis.get_xticklabels()} == {"center"}
    table = pd.DataFrame({"option": "a", "reason": ["r1", "r2", "r3", "r4", "r5"],
                          "delayed_days_per_year": 1.0})
    bars = reasons_stacked(table).axes[0].containers
    # tab10's last four (pink, grey, olive, cyan), then grey
    assert [to_rgba(c.patches[0].get_facecolor()) for c in bars] == [*TAB10[6:], to_rgba("tab:gray")]


def test_heat_map_rows_keep_the_units_order_and_the_scale_is_0_to_100_percent():
    weekly = pd.DataFrame({"week_start": pd.to_datetime(["2025-01-06", "2025-01-13"] * 2),
                           "unit": ["z_beds", "z_beds", "a_beds", "a_beds"], "days": 7,
                           "utilisation": [0.1, 0.2, 0.3, 0.4]})
    (image,) = utilisation_heatmap(weekly).axes[0].get_images()
    assert [t.get_text() for t in image.axes.get_yticklabels()] == ["z_beds", "a_beds"]
    np.testing.assert_array_equal(np.asarray(image.get_array()), [[0.1, 0.2], [0.3, 0.4]])
    assert image.get_clim() == (0.0, 1.0)  # not stretched to the highest week (40 %)


def test_wait_distribution_draws_a_pathway_of_one_delay():
    table = pd.DataFrame({"pathway": ["P3"], "n": [1], "mean": [4.0], "p05": [4.0], "p25": [4.0],
                          "p50": [4.0], "p75": [4.0], "p95": [4.0]})
    axis = wait_distribution_plot(table).axes[0]
    assert [t.get_text() for t in axis.get_xticklabels()] == ["P3\n(n = 1)"]


def test_fan_chart_dates_are_labelled_when_drawn():
    fan = _hand_fan().assign(date=pd.date_range("2025-03-01", periods=3, freq="D"))
    axis = _drawn(fan_chart({"run": fan})).axes[0]
    assert [t.get_text() for t in axis.get_xticklabels()][:2] == ["Mar-01", "06:00"]  # concise dates


def test_option_charts_of_the_baseline_alone():
    baseline = _comparison_with_cis().iloc[:1]  # a sweep of one job: only the baseline
    assert avoided_vs_option(baseline, OPTION).get_suptitle().startswith(
        "Against the baseline (care_home_unit.capacity = 0) ")
    axis = cost_vs_saving(baseline, OPTION).axes[0]
    assert axis.get_title().startswith("Net saving against the baseline (care_home_unit.capacity = 0)\n")
    assert [b.get_height() for b in axis.containers[0]] == [0.0]


@pytest.mark.parametrize("draw", [cost_vs_saving, avoided_vs_option, marginal_benefit])
def test_option_chart_titles_fit_in_the_figure(draw):
    # a long swept column's name once pushed a title past the figure's edge, cut off in the PNG
    table = _comparison_with_cis().rename(columns={OPTION: "services.care_home_unit_long_name.capacity"})
    fig = draw(table, "services.care_home_unit_long_name.capacity")
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    titles = [axis.title for axis in fig.axes] + ([fig._suptitle] if fig._suptitle is not None else [])
    for title in (t for t in titles if t.get_text()):
        extent = title.get_window_extent(renderer)
        assert 0 <= extent.x0 and extent.x1 <= fig.bbox.width, (title.get_text(), extent)


_OVERRIDES = ("scenario=quick run.initial_census=census.yaml run.start_date=2025-11-03 run.warm_up_days=0 "
              "run.horizon_days=120 services.ic_beds.capacity=40")


@pytest.mark.parametrize("draw", [
    lambda title: fan_chart({"run": _hand_fan()}, title=title),
    lambda title: wait_distribution_plot(pd.DataFrame({
        "pathway": ["P1"], "n": [40], "mean": [3.0], "p05": [0.5], "p25": [1.0], "p50": [2.0], "p75": [4.0],
        "p95": [9.0]}), title=title),
    lambda title: utilisation_heatmap(pd.DataFrame({
        "week_start": pd.date_range("2025-01-06", periods=3, freq="7D"), "unit": "a", "days": 7,
        "utilisation": [0.5, 0.7, 0.9]}), title=title),
], ids=["fan", "wait_distribution", "utilisation"])
def test_a_runs_long_title_stays_inside_the_figure(draw):
    """flowsim-report's titles name the run's overrides: they ran off both edges (found by a QA pass)."""
    title = f"NCTR census at midnight ({_OVERRIDES})"
    fig = draw(title)
    canvas = FigureCanvasAgg(fig)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. constrained layout giving up: the axes collapsed to make room
        canvas.draw()
    box = fig.axes[0].title.get_window_extent(canvas.get_renderer())
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width, (box, fig.bbox)
    assert fig.axes[0].get_title().startswith(title)  # whole: Matplotlib wraps it as it draws
