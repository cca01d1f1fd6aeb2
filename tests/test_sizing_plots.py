"""The Pareto chart of flowsim-size, read back from its artists (made-up candidates)."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.markers import MarkerStyle

from flowsim.reporting.sizing_plots import pareto_figure

ROWS = [  # cost (GBP a year), delayed days a year, meets targets, on the front, recommended, today
    (6.0e6, 650.0, True, True, False, False),  # not in cost order: the line must sort them
    (5.0e6, 900.0, True, True, False, True),
    (5.5e6, 700.0, True, True, True, False),
    (5.8e6, 800.0, True, False, False, False),
    (5.2e6, 990.0, False, False, False, False),
]


def _write(tmp_path, rows=ROWS, recommended=None):
    table = pd.DataFrame(rows, columns=["cost_services_per_year_mean", "delayed_days_per_year_mean",
                                        "meets_targets", "on_pareto", "recommended", "today"])
    table["replications"] = [5, 5, 30, 5, 5][:len(rows)]
    table.to_csv(tmp_path / "candidates.csv", index=False)
    rec = {"recommended": recommended or {"beds": 44, "winter.places": 0, "winter.start": "2025-12-01"},
           "recommended_label": "beds=44, ..."}
    (tmp_path / "recommendation.json").write_text(json.dumps(rec))
    return pareto_figure(tmp_path / "candidates.csv", tmp_path / "recommendation.json")


def _marker(name):
    """The outline a scatter draws for the marker ``name`` (in marker units)."""
    style = MarkerStyle(name)
    return style.get_path().transformed(style.get_transform()).vertices


def test_every_mix_the_front_the_recommendation_and_today_are_drawn(tmp_path):
    figure = _write(tmp_path)
    ax = figure.axes[0]
    by_label = {c.get_label(): c.get_offsets() for c in ax.collections}
    np.testing.assert_allclose(by_label["mixes tried"], [[6.0, 650], [5.0, 900], [5.5, 700], [5.8, 800]])
    np.testing.assert_allclose(by_label["misses a target"], [[5.2, 990]])
    np.testing.assert_allclose(by_label["recommended"], [[5.5, 700]])
    np.testing.assert_allclose(by_label["today's mix"], [[5.0, 900]])
    (front,) = ax.lines
    np.testing.assert_allclose(front.get_xydata(), [[5.0, 900], [5.5, 700], [6.0, 650]])  # by cost
    assert ax.get_xlabel() == "service cost a year (GBP million)"
    assert ax.get_ylabel() == "delayed bed days a year"
    assert ax.get_title() == "Sizing: 5 mixes tried, each on the same 5 replications"
    (note,) = figure.texts
    assert note.get_text() == "Recommended: beds 44; winter.places 0"  # no dates for a block of 0 places


def test_the_chart_keeps_its_look_whatever_the_style(tmp_path):
    with matplotlib.rc_context({"font.size": 14.0, "axes.titlesize": 20.0, "legend.fontsize": 12.0}):
        figure = _write(tmp_path)
    ax = figure.axes[0]
    assert figure.get_size_inches() == pytest.approx([7.5, 5.0], rel=1e-12)
    dots = {c.get_label(): c for c in ax.collections}
    for label, marker, size, colour, zorder in (("mixes tried", "o", 14, "0.6", 1),
                                                ("misses a target", "x", 14, "0.6", 1),
                                                ("recommended", "*", 260, "#DA291C", 5),
                                                ("today's mix", "s", 80, "black", 5)):
        np.testing.assert_allclose(dots[label].get_paths()[0].vertices, _marker(marker), err_msg=label)
        assert dots[label].get_sizes().tolist() == [size], label
        assert [to_rgba(c) for c in dots[label].get_facecolor()] == [to_rgba(colour)], label
        assert dots[label].get_zorder() == zorder, label
    (front,) = ax.lines
    assert to_rgba(front.get_color()) == to_rgba("#005EB8") and front.get_marker() == "o"
    assert front.get_linestyle() == "-" and front.get_markersize() == 4
    assert ax.title.get_fontsize() == 10
    grid = ax.xaxis.get_gridlines()[0]
    assert grid.get_visible() and grid.get_alpha() == 0.3
    legend = ax.get_legend()
    assert legend._loc == 1 and legend.get_texts()[0].get_fontsize() == 8  # upper right
    assert [text.get_text() for text in legend.get_texts()] == [
        "mixes tried", "misses a target", "Pareto front (no mix is cheaper and less delayed)",
        "recommended", "today's mix"]
    (note,) = figure.texts
    assert note.get_position() == (0.01, 0.005) and note.get_fontsize() == 7.5
    assert (note.get_va(), note.get_ha()) == ("bottom", "left")
    assert figure.get_layout_engine().get()["rect"] == (0, 0.07, 1, 0.93)  # room for the note


def test_without_misses_or_today_the_legend_names_only_what_is_drawn(tmp_path):
    rows = [(cost, delay, True, front, chosen, False) for cost, delay, _, front, chosen, _ in ROWS[:4]]
    ax = _write(tmp_path, rows).axes[0]
    assert [c.get_label() for c in ax.collections] == ["mixes tried", "recommended"]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "mixes tried", "Pareto front (no mix is cheaper and less delayed)", "recommended"]


def test_a_long_mix_is_wrapped_at_120_characters(tmp_path):
    # "Recommended: " (13) + 51 x + " 1; " + 51 y + " 2" is 121 characters: the last word moves down
    figure = _write(tmp_path, recommended={"x" * 51: 1, "y" * 51: 2})
    assert figure.texts[0].get_text() == f"Recommended: {'x' * 51} 1; {'y' * 51}\n2"
