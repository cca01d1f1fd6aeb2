"""The calibration figure draws the numbers of the targets table, not just something."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.patches import Rectangle

from flowsim.reporting.calibration_plots import targets_figure

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _table():
    rows = [
        {"target": "nctr_census_midnight_mean", "observed": 320.0, "band_low": 288.0, "band_high": 352.0,
         "model_mean": 336.0, "model_ci_low": 328.0, "model_ci_high": 344.0, "within": True},
        {"target": "same_day_share", "observed": 0.8, "band_low": 0.78, "band_high": 0.82,
         "model_mean": 0.72, "model_ci_low": 0.70, "model_ci_high": 0.74, "within": False},
    ]
    for i, month in enumerate(MONTHS):
        value = 1.0 + 0.05 * np.cos(2 * np.pi * i / 12)
        rows.append({"target": f"nctr_census_month_profile[{month}]", "observed": value,
                     "band_low": value - 0.04, "band_high": value + 0.04, "model_mean": value + 0.01 * i,
                     "model_ci_low": value + 0.01 * i - 0.02, "model_ci_high": value + 0.01 * i + 0.03,
                     "within": True})
    return pd.DataFrame(rows)


def test_the_targets_panel_puts_each_target_at_its_relative_error_inside_its_band():
    figure = targets_figure(_table())
    targets = figure.axes[-1]
    points = next(c for c in targets.collections if isinstance(c, PathCollection))
    x = points.get_offsets()[:, 0]
    # in half-widths of the band: (336 - 320) / 32 = 0.5; (0.72 - 0.8) / 0.02 = -4
    np.testing.assert_allclose(sorted(x), sorted([0.5, -4.0]))
    bars = [p for p in targets.patches if isinstance(p, Rectangle)]
    spans = sorted((round(b.get_x(), 9), round(b.get_x() + b.get_width(), 9)) for b in bars)
    assert spans == [(-1.0, 1.0), (-1.0, 1.0)]
    errors = next(c for c in targets.collections if c is not points and len(c.get_segments()) == 2)
    ends = sorted(tuple(np.round(seg[:, 0], 9)) for seg in errors.get_segments())
    assert ends == [(-5.0, -3.0), (0.25, 0.75)]  # CIs (0.70-0.8)/0.02 .. (0.74-0.8)/0.02; 8/32 .. 24/32
    colours = points.get_facecolors()
    assert len({tuple(c) for c in colours}) == 2  # the target outside its band stands out
    labels = [t.get_text() for t in targets.get_yticklabels()]
    assert labels == ["nctr_census_midnight_mean", "same_day_share"]


def test_the_profile_panel_draws_the_observed_months_the_band_and_the_model():
    table = _table()
    figure = targets_figure(table)
    profile = figure.axes[0]
    observed = next(line for line in profile.get_lines() if line.get_marker() == "s")
    expected = table[table["target"].str.startswith("nctr_census_month_profile")]
    np.testing.assert_allclose(observed.get_ydata(), expected["observed"])
    model = next(line for line in profile.get_lines() if line.get_marker() == "o")
    np.testing.assert_allclose(model.get_ydata(), expected["model_mean"])
    band = next(c for c in profile.collections if isinstance(c, PolyCollection))
    vertices = band.get_paths()[0].vertices
    assert vertices[:, 1].min() == pytest.approx(expected["band_low"].min())
    assert vertices[:, 1].max() == pytest.approx(expected["band_high"].max())
    assert [t.get_text() for t in profile.get_xticklabels()] == list(MONTHS)
    assert not [c for c in profile.collections if isinstance(c, PathCollection)]  # every month within


def test_the_profile_panel_marks_the_months_outside_their_band():
    """The four months the check printed as NO were drawn blue like the rest (found by a QA pass)."""
    table = _table()
    missed = table["target"].isin(["nctr_census_month_profile[Feb]", "nctr_census_month_profile[Nov]"])
    table.loc[missed, "within"] = False
    profile = targets_figure(table).axes[0]
    (marks,) = [c for c in profile.collections if isinstance(c, PathCollection)]
    expected = np.column_stack(([1, 10], table.loc[missed, "model_mean"]))
    np.testing.assert_allclose(marks.get_offsets(), expected)
    assert {tuple(c) for c in marks.get_facecolors()} == {to_rgba("tab:red")}
    assert "model outside the band (2 months)" in [t.get_text() for t in profile.get_legend().get_texts()]


def test_without_a_profile_there_is_one_panel(tmp_path):
    table = _table().iloc[:2]
    figure = targets_figure(table)
    assert len(figure.axes) == 1
    figure.savefig(tmp_path / "t.png")
    import matplotlib.image as mpimg

    image = mpimg.imread(tmp_path / "t.png")
    assert image.shape[0] > 100 and image[..., :3].std() > 0.05  # decoded, and not blank
