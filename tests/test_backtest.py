"""Back-test: results of a fixed seed are pinned, so any change in behaviour is a visible decision.

If a deliberate model change moves these numbers, re-pin them in the same commit and say why in
the commit message.
"""

from __future__ import annotations

import pytest

from flowsim import compute_metrics, load_scenario, simulate

PINNED_QUICK_SEED42_REP0 = {
    "nctr_episodes": 3568.0,
    "delayed_days_total": 1614.7701834458767,
    "delay_P1_mean_days": 0.8890321906718198,
    "delay_P2_mean_days": 4.731495491781793,
    "delay_P3_mean_days": 1.0434948282298262,
    "nctr_census_midnight_p95": 43.1,
    "p2_blocked_bed_days": 97.7389584118177,
    "readmissions": 393.0,
    "cost_total": 2627952.182896181,
}


def test_quick_scenario_seed_42_without_housing_is_pinned():
    # pinned before the housing module existed: switching housing off must reproduce them exactly
    kpis = compute_metrics(simulate(load_scenario(["scenario=quick", "seed=42", "housing=off"]), 0)).kpis
    for key, value in PINNED_QUICK_SEED42_REP0.items():
        assert kpis[key] == pytest.approx(value, rel=1e-9), key
