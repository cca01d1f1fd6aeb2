"""Back-test: results of a fixed seed are pinned, so any change in behaviour is a visible decision.

If a deliberate model change moves these numbers, re-pin them in the same commit and say why in
the commit message. History: first pinned before the housing module existed (switching housing off
must reproduce them); re-pinned when arrival times within the day got their own stream (so arrivals
no longer depend on the horizon) and per-episode delays began to be followed through a cool-down.
"""

from __future__ import annotations

import pytest

from flowsim import compute_metrics, load_scenario, simulate

PINNED_QUICK_SEED42_REP0 = {
    "nctr_episodes": 3568.0,
    "delayed_days_total": 1621.1279906352715,
    "delay_P1_mean_days": 1.330544032913845,
    "delay_P2_mean_days": 6.328708260517724,
    "delay_P3_mean_days": 1.9783889658916158,
    "delay_censored_n": 2.0,
    "nctr_census_midnight_p95": 43.05,
    "p2_blocked_bed_days": 100.27971735276334,
    "readmissions": 393.0,
    "cost_total": 2630495.2005631616,
}


def test_quick_scenario_seed_42_without_housing_is_pinned():
    kpis = compute_metrics(simulate(load_scenario(["scenario=quick", "seed=42", "housing=off"]), 0)).kpis
    for key, value in PINNED_QUICK_SEED42_REP0.items():
        assert kpis[key] == pytest.approx(value, rel=1e-9), key
