"""Measures gathered part by part: a log read in pieces, in any order, gives the KPIs of the whole."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flowsim import load_scenario, simulate
from flowsim.measures.metrics import compute_metrics, metrics_from_tally, tally_episodes
from flowsim.measures.tally import Tally
from flowsim.model.eventlog import EpisodeTable

SCENARIOS = {
    "default": ["scenario=quick"],
    # two flats, so that they are reused (voids between stays) and stays run over the maximum
    "flats, over-length stays": ["housing=step_down_flats", "run.horizon_days=300",
                                 "housing.flats.step_down.capacity=2", "services.ic_beds.max_stay_days=42"],
    "coordinators": ["scenario=quick", "housing=coordinator_scheme"],
    "acute pool": ["scenario=acute_pool", "run.horizon_days=150", "run.warm_up_days=40"],
    "care-home calendar": ["scenario=care_home_5day_admission", "run.horizon_days=150",
                           "run.warm_up_days=40"],
}


def _parts(table: EpisodeTable, pieces: int, seed: int) -> list[EpisodeTable]:
    """The rows of ``table`` shuffled and cut into ``pieces`` parts."""
    order = np.random.default_rng(seed).permutation(len(table))
    return [EpisodeTable({name: column[rows] for name, column in table.columns.items()}, table.names)
            for rows in np.array_split(order, pieces)]


def _assert_close(got: dict, want: dict) -> None:
    assert list(got) == list(want)  # same KPIs, same order
    for key, value in want.items():
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(got[key]), key
        elif isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
        else:
            assert got[key] == value, key


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_log_read_in_shuffled_parts_gives_the_kpis_of_the_whole(name):
    scenario = load_scenario(SCENARIOS[name])
    result = simulate(scenario, 0)
    whole = compute_metrics(result)
    tally = Tally()
    for part in _parts(result.episodes, 7, seed=3):
        tally_episodes(scenario, part, tally)
    pieces = metrics_from_tally(scenario, tally, result.availability)
    _assert_close(pieces.kpis, whole.kpis)
    assert list(pieces.census) == list(whole.census)
    for series, values in whole.census.items():
        np.testing.assert_array_equal(pieces.census[series], values)  # daily counts: exact
    assert [list(u) for u in pieces.units] == [list(u) for u in whole.units]
    for got, want in zip(pieces.units, whole.units, strict=True):
        _assert_close(got, want)


def test_the_whole_log_in_one_part_is_exact():
    scenario = load_scenario(SCENARIOS["flats, over-length stays"])
    result = simulate(scenario, 0)
    tally = Tally()
    tally_episodes(scenario, result.episodes, tally)
    once = metrics_from_tally(scenario, tally, result.availability)
    again = compute_metrics(result)
    assert once.kpis.keys() == again.kpis.keys()
    assert all(once.kpis[k] == again.kpis[k] or (math.isnan(once.kpis[k]) and math.isnan(again.kpis[k]))
               for k in once.kpis)


def test_tally_totals_counts_means_and_kept_values():
    tally = Tally()
    assert tally.total("x") == 0.0 and math.isnan(tally.mean("x"))
    assert tally.counts("days", 3).tolist() == [0, 0, 0] and tally.values("v").size == 0
    # a unit nobody used counts in integers too: every replication's census has the same column types
    assert tally.counts("days", 3).dtype == np.int64 and tally.values("v").dtype == np.float64
    first = np.array([1, 2, 3])
    tally.add("days", first)
    tally.add("days", np.array([10, 0, 1]))
    assert tally.counts("days", 3).tolist() == [11, 2, 4] and first.tolist() == [1, 2, 3]  # not aliased
    tally.add("x", 1.5)
    tally.add("x", 2.5)
    tally.add("x/n", 2.0)
    assert tally.total("x") == 4.0 and tally.mean("x") == 2.0
    tally.keep("v", np.array([3.0]))
    tally.keep("v", np.array([1.0, 2.0]))
    assert tally.values("v").tolist() == [3.0, 1.0, 2.0]
