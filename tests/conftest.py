"""Shared fixtures: small systems whose behaviour theory predicts."""

from __future__ import annotations

import copy
from typing import Any

import pytest


def single_unit_config(
    *,
    rate_per_day: float = 10.0,
    capacity: int = 5,
    los: dict[str, Any] | None = None,
    pathway: str = "P2",
    horizon_days: float = 2000.0,
    warm_up_days: float = 200.0,
    seed: int = 1,
) -> dict[str, Any]:
    """Plain-dict config of one unit fed by homogeneous Poisson arrivals of a single pathway.

    No seasonality, no readmission, P2 patients all go home, so the unit is an M/G/c queue
    (``capacity`` servers, FCFS, waiting room unlimited) and the acute delay is its queueing wait.
    """
    shares = {"P0": 0.0, "P1": 0.0, "P2": 0.0, "P3": 0.0}
    shares[pathway] = 1.0
    return {
        "seed": seed,
        "replications": 1,
        "n_jobs": 1,
        "run": {"start_date": "2025-01-06", "horizon_days": horizon_days,
                "warm_up_days": warm_up_days},
        "arrivals": {"rate_per_day": rate_per_day},
        "pathways": {"shares": shares, "p0_admin_delay_days": {"kind": "fixed", "value": 0.0}},
        "services": {
            "unit": {"pathways": [pathway], "capacity": capacity,
                     "los_days": copy.deepcopy(los or {"kind": "exponential", "mean": 0.4})},
        },
        "after_p2": {"shares": {"home": 1.0}},
        "readmission": {
            "probability": {},
            "time_to_readmission_days": {"kind": "fixed", "value": 1.0},
            "clinical_los_days": {"kind": "fixed", "value": 1.0},
        },
        "costs": {"acute_bed_day": 395.0},
    }


@pytest.fixture
def single_unit():
    """Factory fixture: ``single_unit(capacity=3, ...)`` -> config dict (see single_unit_config)."""
    return single_unit_config
