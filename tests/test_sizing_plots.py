"""The Pareto chart of flowsim-size, read back from its artists (made-up candidates)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from flowsim.reporting.sizing_plots import pareto_figure

ROWS = [  # cost (GBP a year), delayed days a year, meets targets, on the front, recommended, today
    (6.0e6, 650.0, True, True, False, False),  # not in cost order: the line must sort them
    (5.0e6, 900.0, True, True, False, True),
    (5.5e6, 700.0, True, True, True, False),
    (5.8e6, 800.0, True, False, False, False),
    (5.2e6, 990.0, False, False, False, False),
]


def _write(tmp_path):
    table = pd.DataFrame(ROWS, columns=["cost_services_per_year_mean", "delayed_days_per_year_mean",
                                        "meets_targets", "on_pareto", "recommended", "today"])
    table["replications"] = [5, 5, 30, 5, 5]
    table.to_csv(tmp_path / "candidates.csv", index=False)
    rec = {"recommended": {"beds": 44, "winter.places": 0, "winter.start": "2025-12-01"},
           "recommended_label": "beds=44, ..."}
    (tmp_path / "recommendation.json").write_text(json.dumps(rec))
    return pareto_figure(tmp_path / "candidates.csv", tmp_path / "recommendation.json")


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
