"""Seasonal multipliers from the SitRep, and the winter scenarios' numbers recomputed from the data."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from flowsim.model.compose import config_dir, load_config
from flowsim.model.seasonality import month_multipliers, sitrep_csv, winter_uplift

MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _write(path: Path, values: list[float], column: str, first_year: int = 2022) -> Path:
    """A monthly CSV from January ``first_year``: month, days, ``column``."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["month", "days", column])
        for i, value in enumerate(values):
            writer.writerow([f"{first_year + i // 12}-{i % 12 + 1:02d}", MONTH_DAYS[i % 12], value])
    return path


def test_a_pure_growth_trend_has_no_season(tmp_path):
    values = [9000.0 * 1.008**i for i in range(22)]  # ~10 % a year, no season
    multipliers = month_multipliers(_write(tmp_path / "s.csv", values, "mean_daily_x"), "mean_daily_x")
    np.testing.assert_allclose(multipliers, 1.0, atol=1e-12)


def test_a_season_is_recovered_through_the_trend(tmp_path):
    # A season symmetric about mid-year is uncorrelated with time over two whole years, so the fitted
    # trend is exactly the growth and the multipliers are exactly the season (scaled to mean 1).
    season = np.array([1.10, 1.05, 1.00, 0.97, 0.94, 0.92, 0.92, 0.94, 0.97, 1.00, 1.05, 1.10])
    values = [10_000 * 1.01**i * season[i % 12] for i in range(24)]
    multipliers = month_multipliers(_write(tmp_path / "s.csv", values, "mean_daily_x"), "mean_daily_x")
    np.testing.assert_allclose(multipliers, season / season.mean(), rtol=1e-12)
    assert np.mean(multipliers) == pytest.approx(1.0)


def test_monthly_counts_are_taken_per_day(tmp_path):
    counts = [300.0 * MONTH_DAYS[i % 12] for i in range(24)]  # 300 a day every month
    path = _write(tmp_path / "s.csv", counts, "P2_disch")
    np.testing.assert_allclose(month_multipliers(path, "P2_disch"), 1.0, atol=1e-12)


def test_missing_column_or_month_is_an_error(tmp_path):
    path = _write(tmp_path / "s.csv", [1.0] * 11, "mean_daily_x")
    with pytest.raises(ValueError, match=r"month\(s\) \[12\]"):
        month_multipliers(path, "mean_daily_x")
    with pytest.raises(KeyError, match="mean_daily_y"):
        month_multipliers(path, "mean_daily_y")


def test_winter_uplift_is_winter_mean_over_the_rest():
    multipliers = [1.2, 1.2, 1.2] + [0.9] * 8 + [1.2]  # Dec-Mar 1.2, Apr-Nov 0.9
    assert winter_uplift(multipliers) == pytest.approx(1.2 / 0.9)
    assert winter_uplift([1.0] * 12) == pytest.approx(1.0)


def test_shipped_csv_is_the_documented_sitrep_extract():
    with sitrep_csv().open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert (rows[0]["month"], rows[-1]["month"], len(rows)) == ("2022-04", "2024-01", 22)
    readme = (sitrep_csv().parent / "README.md").read_text(encoding="utf-8")
    assert "Open Government Licence v3.0" in readme
    undocumented = [c for c in rows[0] if f"`{c}`" not in readme]
    assert not undocumented, undocumented
    for row in rows:  # pathway discharges add up to the daily flow (to rounding)
        total = sum(int(row[c]) for c in ("P0_disch", "P1_disch", "P2_disch", "P3_new_disch",
                                          "P3b_return_disch"))
        assert total / int(row["days"]) == pytest.approx(float(row["mean_daily_NCTR_discharged"]), abs=1)


def _scenario_yaml(name: str) -> dict:
    return yaml.safe_load((config_dir() / "scenario" / f"{name}.yaml").read_text(encoding="utf-8"))


def test_winter_month_multipliers_are_the_sitrep_ones():
    expected = month_multipliers(sitrep_csv(), "mean_daily_NCTR_discharged")
    shipped = _scenario_yaml("winter_baseline")["arrivals"]["month_multipliers"]
    assert shipped == [round(m, 3) for m in expected]
    # The YAML says the data support no extra winter rise in NCTR arrivals.
    assert winter_uplift(expected) == pytest.approx(1.007, abs=0.0005)


def _surge(unit: str) -> int:
    steps = _scenario_yaml("winter_surge")["services"][unit]["capacity_schedule"]
    surge, base = steps[0]["capacity"], steps[1]["capacity"]
    assert all(s["capacity"] == (surge if i % 2 == 0 else base) for i, s in enumerate(steps))
    return surge - base


def test_surge_sizes_follow_the_winter_rise_by_pathway():
    default = load_config([])
    services = default.services
    p2_rise = winter_uplift(month_multipliers(sitrep_csv(), "P2_disch")) - 1.0
    p1_rise = winter_uplift(month_multipliers(sitrep_csv(), "P1_disch")) - 1.0
    assert (round(100 * p2_rise, 1), round(100 * p1_rise, 1)) == (8.7, 2.2)  # as the YAML says
    p2_beds = services.ic_beds.capacity + services.care_home_unit.capacity
    assert _surge("ic_beds") == round(p2_rise * p2_beds)
    # P1 packages also take P2 patients going home with P1 (a further P2 stay comes first).
    after = default.after_p2.shares
    via_p2 = default.pathways.shares.P2 * after.home_p1 / (1.0 - after.p2)
    direct = default.pathways.shares.P1
    p1_demand_rise = (direct * p1_rise + via_p2 * p2_rise) / (direct + via_p2)
    assert _surge("p1_reablement") == round(p1_demand_rise * services.p1_reablement.capacity)
    assert math.isclose(p1_demand_rise, 0.033, abs_tol=0.0005)
