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
from flowsim.sizing.search import run_search, validate
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
def runs(tmp_path_factory):
    spec = parse_sizing_spec(SPEC)
    base = load_config(OVERRIDES)
    # The grid reads the replications the search ran from its checkpoints (a replication of a config is
    # the same numbers whoever runs it), and runs the rest (about nine in ten).
    folder = tmp_path_factory.mktemp("evaluations")
    search = Evaluator(base, spec, LocalExecutor(n_jobs=2), folder=folder)
    result = run_search(search)
    grid = Evaluator(base, spec, LocalExecutor(n_jobs=2), folder=folder)
    mixes = list(itertools.product(*(d.values for d in spec.dimensions)))
    grid.run([(m, spec.seed, range(GRID_REPLICATIONS)) for m in mixes], "grid")
    assert grid.reused > 0 and grid.reused + grid.simulated == len(mixes) * GRID_REPLICATIONS
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


# Targets mode on the same system: the cheapest beds (service cost) that keep delayed days at or under
# a level the cost-mode optimum misses (about 12,200 a year) and the fullest mix meets (about 11,150).
TARGET = 11_800.0


@pytest.fixture(scope="module")
def targeted():
    spec = parse_sizing_spec({**SPEC, "objective": "cost_services",
                              "constraints": [f"delayed_days_per_year<={TARGET:.0f}"],
                              "validation": {"replications": 12}})
    evaluator = Evaluator(load_config(OVERRIDES), spec, LocalExecutor(n_jobs=2))
    result = run_search(evaluator)
    return spec, evaluator, result, validate(evaluator, result.recommended.candidate)


def test_targets_mode_meets_its_target_on_fresh_seeds(targeted):
    spec, evaluator, result, validation = targeted
    assert result.selection.met_with_confidence and result.recommended.confidently_feasible
    fresh = evaluator.values(result.recommended.candidate, validation.seed, "delayed_days_per_year")
    print(f"targets mode: {result.recommended.candidate}, delayed days {fresh.mean():,.0f} a year on "
          f"{fresh.size} fresh replications (seed {validation.seed}) against a target of {TARGET:,.0f}")
    assert validation.seed != spec.seed and fresh.size == 12
    assert fresh.mean() <= TARGET and validation.standing.feasible


def test_the_target_binds(targeted, runs):
    spec, evaluator, result, _ = targeted
    _, cost_mode, _, _ = runs
    cheapest = cost_mode.recommended.candidate  # the cost-mode optimum keeps fewer beds
    evaluator.run([(cheapest, spec.seed, range(spec.search.replications))], "check")
    assert evaluator.values(cheapest, spec.seed, "delayed_days_per_year").mean() > TARGET
    assert result.recommended.candidate != cheapest
    assert sum(result.recommended.candidate) > sum(cheapest)
