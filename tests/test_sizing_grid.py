"""Acceptance: on a small real system, flowsim-size finds the exhaustive grid's optimum (or a mix whose
cost lies inside the optimum's 95 % CI) with far fewer evaluations.

The system: the quick scenario (a tenth of the default ICS) without housing, its intermediate-care and
P3 interim beds bought on block contracts (GBP 1,050 and 1,150 a bed-week, no occupied-day cost), so
each bed costs the same whether used or not and the cheapest mix trades block cost against delayed
acute bed days at GBP 395. Grid: 9 x 9 = 81 mixes, each run for 16 replications on one seed.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from flowsim.measures.aggregate import confidence_interval
from flowsim.model.compose import load_config
from flowsim.sizing.evaluations import Evaluator
from flowsim.sizing.executor import LocalExecutor
from flowsim.sizing.search import run_search
from flowsim.sizing.spec import parse_sizing_spec

OVERRIDES = ["scenario=quick", "housing=off", "outputs.patients=false",
             "services.ic_beds.cost_per_bed_week=1050", "services.ic_beds.cost_per_occupied_day=0",
             "services.p3_interim_beds.cost_per_bed_week=1150",
             "services.p3_interim_beds.cost_per_occupied_day=0"]
GRID_REPLICATIONS = 16
SPEC = {"seed": 11, "objective": "cost_total",
        "variables": {"ic_beds": {"path": "services.ic_beds.capacity", "low": 31, "high": 47, "step": 2},
                      "p3": {"path": "services.p3_interim_beds.capacity", "low": 29, "high": 45, "step": 2}},
        "search": {"trials": 20, "batch": 4, "replications": 4, "shortlist": 4,
                   "max_replications": GRID_REPLICATIONS},
        "validation": {"replications": 0}}


@pytest.fixture(scope="module")
def runs():
    spec = parse_sizing_spec(SPEC)
    base = load_config(OVERRIDES)
    search = Evaluator(base, spec, LocalExecutor(n_jobs=2))
    result = run_search(search)
    grid = Evaluator(base, spec, LocalExecutor(n_jobs=2))
    mixes = list(itertools.product(*(d.values for d in spec.dimensions)))
    grid.run([(m, spec.seed, range(GRID_REPLICATIONS)) for m in mixes], "grid")
    costs = {m: grid.values(m, spec.seed, "cost_total_per_year") for m in mixes}
    return spec, result, search, costs


def test_search_matches_the_exhaustive_grid_optimum_within_its_ci(runs):
    _, result, _, costs = runs
    best = min(costs, key=lambda m: costs[m].mean())
    _, low, high = confidence_interval(costs[best])
    chosen = result.recommended.candidate
    print(f"grid optimum {best}: {costs[best].mean():,.0f} (95 % CI {low:,.0f} to {high:,.0f}); "
          f"flowsim-size {chosen}: {costs[chosen].mean():,.0f} on the grid's replications")
    assert chosen == best or costs[chosen].mean() <= high


def test_search_needs_far_fewer_evaluations_than_the_grid(runs):
    _, _, search, costs = runs
    tried = {c for stage, c, _, _ in search.log if stage != "baseline"}
    grid_replications = len(costs) * GRID_REPLICATIONS
    print(f"flowsim-size: {len(tried)} of {len(costs)} mixes, {search.simulated} replications "
          f"(grid: {grid_replications})")
    assert len(tried) <= len(costs) / 2
    assert search.simulated <= grid_replications / 4


def test_the_optimum_is_interior_so_the_test_is_not_trivial(runs):
    _, _, _, costs = runs
    best = min(costs, key=lambda m: costs[m].mean())
    assert 31 < best[0] < 47 and 29 < best[1] < 45
    means = np.array([c.mean() for c in costs.values()])
    assert confidence_interval(costs[best])[2] < np.median(means)  # clearly better than a typical mix
