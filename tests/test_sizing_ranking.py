"""Ranking and selection of candidate mixes (``flowsim.sizing.ranking``, ``flowsim.sizing.selection``)
on small KPI tables written by hand, so every bound, standing and elimination is worked out here.

Student t quantiles are from the tables: t(0.95; 1) = 6.313752, t(0.95; 2) = 2.919986,
t(0.90; 2) = 1.885618.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from omegaconf import OmegaConf

from flowsim.sizing.evaluations import Evaluator
from flowsim.sizing.ranking import objective_kpi, standing, upper_bound
from flowsim.sizing.selection import select
from flowsim.sizing.spec import parse_sizing_spec

T95_1, T95_2, T90_2 = 6.313752, 2.919986, 1.885618
BASE = OmegaConf.create({"seed": 0, "services": {"a": {"capacity": 1}}})


class TableExecutor:
    """Each replication's KPIs from ``table[a][kpi][r]`` (a: the candidate's capacity); a year observed,
    so a cost is its own yearly figure. Counts the replications it ran."""

    def __init__(self, table: dict[int, dict[str, list[float]]]) -> None:
        self.table = table
        self.ran: list[tuple[int, int]] = []

    def __call__(self, jobs):
        for index, job in enumerate(jobs):
            a = int(job.config.services.a.capacity)
            for r in job.replications:
                self.ran.append((a, r))
                yield index, r, {"observed_days": 365.0,
                                 **{kpi: values[r] for kpi, values in self.table[a].items()}}


def _evaluator(table, constraints=(), confidence=0.95, run=None, **search):
    """An evaluator of the mixes ``a`` of ``table`` on seed 1, each run for ``run`` replications first
    (default: every one in the table); ``search`` settings default to 3 replications, at most 6."""
    spec = parse_sizing_spec({
        "seed": 1, "objective": "cost_total", "constraints": list(constraints), "confidence": confidence,
        "variables": {"a": {"path": "services.a.capacity", "low": 1, "high": 9}},
        "search": {"replications": 3, "max_replications": 6, **search}})
    evaluator = Evaluator(BASE, spec, TableExecutor(table))
    evaluator.run([((a,), 1, range(run or len(next(iter(kpis.values()))))) for a, kpis in table.items()],
                  "search")
    return evaluator


def test_costs_are_ranked_per_year_and_other_kpis_as_they_are():
    assert objective_kpi("cost_total") == "cost_total_per_year"
    assert objective_kpi("cost_services") == "cost_services_per_year"
    assert objective_kpi("cost_total_per_year") == "cost_total_per_year"
    assert objective_kpi("delayed_days_per_year") == "delayed_days_per_year"
    assert objective_kpi("nctr_census_mean") == "nctr_census_mean"


def test_the_upper_bound_is_the_one_sided_t_bound_of_the_mean():
    # three values: mean 12, sd 2, sem 2 / sqrt(3)
    assert upper_bound(np.array([10.0, 12.0, 14.0]), 0.95) == pytest.approx(12 + T95_2 * 2 / math.sqrt(3))
    assert upper_bound(np.array([10.0, 12.0, 14.0]), 0.90) == pytest.approx(12 + T90_2 * 2 / math.sqrt(3))
    # two values: mean 12, sd 2 sqrt(2), sem 2
    assert upper_bound(np.array([10.0, 14.0]), 0.95) == pytest.approx(12 + T95_1 * 2)
    # a replication without the KPI (NaN) is left out: the three values above
    assert upper_bound(np.array([10.0, np.nan, 12.0, 14.0]), 0.95) == pytest.approx(
        12 + T95_2 * 2 / math.sqrt(3))


def test_one_value_is_its_own_bound_and_none_has_no_bound_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert upper_bound(np.array([7.0]), 0.95) == 7.0
        assert upper_bound(np.array([np.nan, 7.0]), 0.95) == 7.0
        assert math.isnan(upper_bound(np.array([]), 0.95))
        assert math.isnan(upper_bound(np.array([np.nan, np.nan]), 0.95))


# Candidate 1 meets both targets on average, exactly, but not with confidence; candidate 2 misses both;
# candidate 3 has no utilisation at all (a KPI the runs did not give).
TABLE = {
    1: {"cost_total": [100.0, 110.0, 120.0], "delayed_days_per_year": [90.0, 100.0, 110.0],
        "utilisation": [0.9, 0.8, 0.7]},
    2: {"cost_total": [80.0, 80.0, 80.0], "delayed_days_per_year": [150.0, 150.0, 150.0],
        "utilisation": [0.5, 0.5, 0.5]},
    3: {"cost_total": [90.0, 95.0, 100.0], "delayed_days_per_year": [50.0, 60.0, 70.0],
        "utilisation": [np.nan, np.nan, np.nan]},
}
TARGETS = ("delayed_days_per_year<=100", "utilisation>=0.8")


def test_a_standing_holds_the_mean_and_how_far_each_target_is_missed():
    evaluator = _evaluator(TABLE, TARGETS)
    record = standing(evaluator, (1,), 1)
    assert record.candidate == (1,) and record.n == 3 and record.objective == pytest.approx(110.0)
    assert record.excess == pytest.approx((0.0, 0.0))  # met on average, on the line
    # the upper bound of delayed days is above 100, the lower bound of utilisation below 0.8
    assert record.excess_confident == pytest.approx((T95_2 * 10 / math.sqrt(3), T95_2 * 0.1 / math.sqrt(3)))
    assert record.feasible and not record.confidently_feasible
    assert record.rank_key == (False, 0.0, pytest.approx(110.0))

    missed = standing(evaluator, (2,), 1)  # no spread: the bounds are the means
    assert missed.excess == pytest.approx((50.0, 0.3))
    assert missed.excess_confident == pytest.approx((50.0, 0.3))
    assert not missed.feasible and not missed.confidently_feasible
    assert missed.rank_key == (True, pytest.approx(50.3), pytest.approx(80.0))


def test_a_target_whose_kpi_is_missing_is_missed_without_end():
    evaluator = _evaluator(TABLE, TARGETS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "mean of empty slice" in the search's output
        record = standing(evaluator, (3,), 1)
    assert record.excess[0] == pytest.approx(-40.0) and record.excess[1] == math.inf
    assert record.excess_confident[1] == math.inf
    assert not record.feasible and record.rank_key == (True, math.inf, pytest.approx(95.0))


def test_a_standing_over_the_first_replications_only():
    record = standing(_evaluator(TABLE, TARGETS), (1,), 1, n=2)
    # replications 0 and 1: cost 105, delayed days 95 (sd 5 sqrt 2, sem 5), utilisation 0.85 (sem 0.05)
    assert record.n == 2 and record.objective == pytest.approx(105.0)
    assert record.excess == pytest.approx((-5.0, -0.05))
    assert record.excess_confident == pytest.approx((-5.0 + T95_1 * 5, -0.05 + T95_1 * 0.05))


def test_confidence_comes_from_the_sizing_file():
    record = standing(_evaluator(TABLE, TARGETS, confidence=0.9), (1,), 1)
    assert record.excess_confident == pytest.approx((T90_2 * 10 / math.sqrt(3), T90_2 * 0.1 / math.sqrt(3)))


def test_a_mix_within_every_target_is_ranked_by_its_mean_alone():
    record = standing(_evaluator(TABLE, ("delayed_days_per_year<=120", "utilisation>=0.5")), (1,), 1)
    assert record.excess == pytest.approx((-20.0, -0.3)) and record.feasible
    assert record.confidently_feasible  # 100 + 16.86 <= 120 and 0.8 - 0.169 >= 0.5
    assert record.rank_key == (False, 0.0, pytest.approx(110.0))


# Kim and Nelson with two mixes and n0 = 3: h^2 = 2 eta (n0 - 1), eta = ((2 x 0.05 / 1)^(-2 / 2) - 1) / 2
# = 4.5, so h^2 = 18. Mix 2 costs 4 more than mix 1 on average; their difference over the first three
# replications (4, 2, 6) has variance 4. The boundary after r replications is
# W(r) = delta / (2 r) x (h^2 x 4 / delta^2 - r), never below 0.
KN = {1: {"cost_total": [100.0, 101.0, 102.0, 100.0, 100.0, 100.0]},
      2: {"cost_total": [104.0, 103.0, 108.0, 104.0, 104.0, 104.0]}}


def test_a_mix_worse_beyond_the_boundary_is_ruled_out_after_the_replications_it_took():
    # delta 2: W(3) = (18 - 3) / 3 = 5 >= 12 / 3, kept; W(4) = (18 - 4) / 4 = 3.5 < 16 / 4, out at 4
    evaluator = _evaluator(KN, run=3, indifference=2.0)
    result = select(evaluator, [(2,), (1,)])
    assert result.eliminated_at == {(2,): 4}
    assert result.recommended.candidate == (1,) and result.recommended.n == 6
    assert result.recommended.objective == pytest.approx(100.5)
    assert result.indifference == 2.0 and result.met_with_confidence  # no targets to miss
    assert result.undecided == 0  # told apart before max_replications
    assert [(s.candidate, s.n) for s in result.finalists] == [((2,), 6), ((1,), 6)]  # the shortlist's order
    assert [s.objective for s in result.finalists] == pytest.approx([104.5, 100.5])
    # the survivors' replications 3 to 5 were added in one batch (capped at max_replications 6)
    assert evaluator.executor.ran[6:] == [(2, 3), (2, 4), (2, 5), (1, 3), (1, 4), (1, 5)]
    assert [stage for stage, *_ in evaluator.log[6:]] == ["selection"] * 6


def test_replications_run_before_the_selection_count_from_n0_and_not_in_the_variance():
    # all six run already: the variance is still that of the first three (over six it is 1.6, and
    # W(3) = (18 x 1.6 / 4 - 3) / 3 = 1.4 would rule mix 2 out at 3); then r = 4 rules it out as above
    evaluator = _evaluator(KN, run=6, indifference=2.0)
    assert select(evaluator, [(1,), (2,)]).eliminated_at == {(2,): 4}
    assert len(evaluator.executor.ran) == 12  # nothing run again


def test_without_an_indifference_amount_it_is_a_fifth_of_a_percent_of_the_best_mean():
    # the best mean over the first 3 replications is 101: delta = 0.202, and
    # W(6) = 0.202 / 12 x (18 x 4 / 0.202^2 - 6) = 29.6 > 4, so both stay to max_replications
    evaluator = _evaluator(KN, run=3)
    result = select(evaluator, [(2,), (1,)])
    assert result.indifference == pytest.approx(0.202)
    assert result.eliminated_at == {} and result.recommended.candidate == (1,)
    assert len(evaluator.executor.ran) == 12  # both mixes at max_replications
    assert result.undecided == 2  # still in the running there: the recommendation is not a proven best


def test_the_default_indifference_of_a_negative_objective_is_still_a_positive_amount():
    # an objective below zero (a saving minimised as a negative cost): the smallest size of a mean is
    # 101, so delta = 0.002 x 101 = 0.202, as for the positive costs; the lower mean, -104.5, is chosen
    saving = {a: {"cost_total": [-v for v in kpis["cost_total"]]} for a, kpis in KN.items()}
    result = select(_evaluator(saving, run=3), [(1,), (2,)])
    assert result.indifference == pytest.approx(0.202)
    assert result.recommended.candidate == (2,)


def test_without_variance_any_mean_above_another_is_ruled_out_and_equal_ones_are_kept():
    # no variance: W = 0 from the start. Mix 2 is 0.5 worse: out at once; mixes 1 and 3 are level, so
    # neither is worse than the other and both run to max_replications (k = 3 changes h^2, not W = 0)
    table = {1: {"cost_total": [100.0] * 6}, 2: {"cost_total": [100.5] * 6}, 3: {"cost_total": [100.0] * 6}}
    evaluator = _evaluator(table, run=3, indifference=2.0)
    result = select(evaluator, [(1,), (2,), (3,)])
    assert result.eliminated_at == {(2,): 3}
    assert result.recommended.candidate == (1,)  # level with mix 3: the shortlist's order decides
    assert result.undecided == 2
    assert evaluator.executor.ran[9:] == [(1, 3), (1, 4), (1, 5), (3, 3), (3, 4), (3, 5)]


def test_a_mix_level_after_n0_replications_is_not_ruled_out_by_its_first_ones():
    # delta 10: W = 5 / r x (18 x 3 / 100 - r) < 0, so W = 0. Mix 2 minus mix 1 is 2, -1, -1, then 0:
    # its mean is above 0 after one or two replications only, before n0 = 3, so it is never out
    table = {1: {"cost_total": [100.0] * 6}, 2: {"cost_total": [102.0, 99.0, 99.0, 100.0, 100.0, 100.0]}}
    result = select(_evaluator(table, run=3, indifference=10.0), [(1,), (2,)])
    assert result.eliminated_at == {}


def test_a_mix_met_on_average_is_topped_up_until_its_bound_meets_the_target():
    # after 3 replications: mean 100, bound 100 + 2.92 x 10 / sqrt(3) = 116.9 > 105. After 6: mean
    # 97.5, sd sqrt(47.5), bound 97.5 + 2.015048 x sqrt(47.5 / 6) = 103.17 <= 105: met with confidence
    table = {1: {"cost_total": [100.0] * 6, "delayed_days_per_year": [90.0, 100, 110, 95, 95, 95]}}
    evaluator = _evaluator(table, ["delayed_days_per_year<=105"], run=3)
    result = select(evaluator, [(1,)])
    assert result.met_with_confidence and result.recommended.n == 6
    bound = 97.5 + 2.015048 * math.sqrt(47.5 / 6)
    assert result.recommended.excess_confident[0] == pytest.approx(bound - 105)
    assert evaluator.executor.ran[3:] == [(1, 3), (1, 4), (1, 5)]
    assert [stage for stage, *_ in evaluator.log[3:]] == ["selection"] * 3


def test_when_no_mix_meets_the_targets_the_nearest_miss_is_recommended_and_said_so():
    # mix 1 is cheaper (ruled out mix 2 at once: no variance, 20 more) but misses by 20, mix 2 by 5
    table = {1: {"cost_total": [100.0] * 6, "delayed_days_per_year": [120.0] * 6},
             2: {"cost_total": [120.0] * 6, "delayed_days_per_year": [105.0] * 6}}
    evaluator = _evaluator(table, ["delayed_days_per_year<=100"], run=3)
    result = select(evaluator, [(1,), (2,)])
    # mix 2 was ruled out at 3 replications by mix 1, which then missed by more: it is back in, and the
    # recommendation is not reported as ruled out
    assert result.eliminated_at == {}
    assert not result.met_with_confidence
    assert result.recommended.candidate == (2,) and result.recommended.excess == pytest.approx((5.0,))
    assert len(evaluator.executor.ran) == 6  # missed on average: no replications added to confirm it


def test_the_first_mix_meeting_the_targets_with_confidence_wins_over_a_cheaper_one_that_does_not():
    table = {1: {"cost_total": [100.0] * 6, "delayed_days_per_year": [120.0] * 6},
             2: {"cost_total": [101.0] * 6, "delayed_days_per_year": [90.0] * 6}}
    result = select(_evaluator(table, ["delayed_days_per_year<=100"], run=6), [(1,), (2,)])
    assert result.met_with_confidence and result.recommended.candidate == (2,)
