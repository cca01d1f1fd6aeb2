"""The sizing search on a known cost surface: it finds the optimum, reproducibly, and resumes.

A stand-in executor computes each replication's KPIs from the candidate's capacities with a known
formula plus noise keyed by the replication (common random numbers, as the simulator gives), so the
true optimum is known exactly and the search's logic is tested in milliseconds.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from omegaconf import OmegaConf

from flowsim.sizing.evaluations import BASELINE, Evaluator
from flowsim.sizing.search import run_search, validate
from flowsim.sizing.selection import kn_constants
from flowsim.sizing.spec import parse_sizing_spec

BASE = OmegaConf.create({"seed": 1, "services": {"a": {"capacity": 20}, "b": {"capacity": 20}}})
OPTIMUM = (26, 14)


def _cost(a: float, b: float) -> float:
    """A convex cost (block cost + delays) with its minimum at OPTIMUM on the grid."""
    return 1000.0 + 3.0 * (a - OPTIMUM[0]) ** 2 + 5.0 * (b - OPTIMUM[1]) ** 2 + 2.0 * (a - 26) * (b - 14)


class FakeExecutor:
    """KPIs from the formula, plus noise common to every candidate in a replication (CRN) and a little
    of its own; counts what it ran and can stop after a number of replications (an interruption)."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.ran = 0
        self.stop_after = stop_after

    def __call__(self, jobs):
        for index, job in enumerate(jobs):
            a = int(job.config.services.a.capacity)
            b = int(job.config.services.b.capacity)
            for r in job.replications:
                if self.stop_after is not None and self.ran >= self.stop_after:
                    raise KeyboardInterrupt
                self.ran += 1
                rng = np.random.default_rng([int(job.config.seed), r])
                common = rng.normal(0.0, 40.0)  # the same patients for every candidate
                own = np.random.default_rng([int(job.config.seed), r, a, b]).normal(0.0, 1.0)
                cost = _cost(a, b) + common + own
                delay = 500.0 - 4.0 * a - 6.0 * b + common / 10
                yield index, r, {"observed_days": 365.0, "cost_total": cost, "cost_services": 10.0 * (a + b),
                                 "cost_delayed_days": cost - 10.0 * (a + b), "delay_mean_days": delay / 100,
                                 "delayed_days_per_year": delay}


def _spec(**changes):
    raw = {"seed": 3, "objective": "cost_total",
           "variables": {"a": {"path": "services.a.capacity", "low": 10, "high": 40, "step": 2},
                         "b": {"path": "services.b.capacity", "low": 4, "high": 30, "step": 2}},
           "search": {"trials": 24, "batch": 4, "replications": 4, "shortlist": 4, "max_replications": 20},
           "validation": {"replications": 6}}
    raw.update(changes)
    return parse_sizing_spec(raw)


def test_the_search_finds_the_optimum_in_far_fewer_evaluations_than_the_grid():
    spec = _spec()
    executor = FakeExecutor()
    evaluator = Evaluator(BASE, spec, executor)
    result = run_search(evaluator)
    assert result.recommended.candidate == OPTIMUM
    grid = spec.grid_size
    assert grid == 16 * 14
    tried = {c for _, c, _, _ in evaluator.log if c != BASELINE}
    assert len(tried) < grid / 3
    assert executor.ran < grid * spec.search.max_replications / 10


def test_same_seed_same_recommendation_and_a_new_seed_can_differ_only_within_noise():
    first = run_search(Evaluator(BASE, _spec(), FakeExecutor()))
    again = run_search(Evaluator(BASE, _spec(), FakeExecutor()))
    assert again.recommended == first.recommended
    assert [s.candidate for s in again.tried] == [s.candidate for s in first.tried]
    other = run_search(Evaluator(BASE, _spec(seed=4), FakeExecutor()))
    assert abs(_cost(*other.recommended.candidate) - _cost(*OPTIMUM)) <= 10


@pytest.mark.parametrize("stop_after", [7, 60, 110])
def test_an_interrupted_search_resumes_from_disk_with_the_same_result(tmp_path, stop_after):
    spec = _spec()
    whole = run_search(Evaluator(BASE, spec, FakeExecutor()))
    with pytest.raises(KeyboardInterrupt):
        run_search(Evaluator(BASE, spec, FakeExecutor(stop_after), tmp_path))
    second = FakeExecutor()
    evaluator = Evaluator(BASE, spec, second, tmp_path)
    resumed = run_search(evaluator)
    assert resumed.recommended == whole.recommended
    assert evaluator.reused == stop_after  # every replication finished before the interruption
    assert second.ran == evaluator.simulated
    third = Evaluator(BASE, spec, FakeExecutor(stop_after=0), tmp_path)  # nothing left to run
    assert run_search(third).recommended == whole.recommended


@pytest.mark.parametrize("damage", ["{half", "[1]", '"x"', '{"kpis": {}}', '{"kpis": [1]}',
                                    '{"kpis": {"observed_days": "x"}}', '{"replication": 0}'])
def test_a_damaged_checkpoint_is_run_again(tmp_path, damage):
    spec = _spec()
    whole = run_search(Evaluator(BASE, spec, FakeExecutor(), tmp_path))
    (first, *_) = sorted(tmp_path.rglob("rep-*.json"))
    first.write_text(damage)
    again = FakeExecutor()
    evaluator = Evaluator(BASE, spec, again, tmp_path)
    assert run_search(evaluator).recommended == whole.recommended
    assert again.ran == 1 and evaluator.reused == _checkpointed(tmp_path) - 1


@pytest.mark.parametrize("kpi", ["cost_total", "delayed_days_per_year", "cost_services", "delay_mean_days"])
def test_a_checkpoint_without_a_kpi_the_search_reads_is_run_again(tmp_path, kpi):
    # the objective, what the board is told, a constraint: edited out by hand, it stopped the search
    # with a KeyError when it was read
    spec = _spec(constraints=["delay_mean_days<=4.9"])
    whole = run_search(Evaluator(BASE, spec, FakeExecutor(), tmp_path))
    (first, *_) = sorted(tmp_path.rglob("rep-*.json"))
    data = json.loads(first.read_text())
    del data["kpis"][kpi]
    first.write_text(json.dumps(data))
    again = FakeExecutor()
    evaluator = Evaluator(BASE, spec, again, tmp_path)
    assert run_search(evaluator).recommended == whole.recommended
    assert again.ran == 1 and evaluator.reused == _checkpointed(tmp_path) - 1


@pytest.mark.parametrize(("kpi", "value"), [
    # null (NaN) in a sum made the objective NaN, and the search recommended today's mix; in a
    # constraint it made the target look met
    ("cost_total", None), ("observed_days", None), ("delayed_days_per_year", None), ("delay_mean_days", None),
    # a string or a boolean was read as a number: true as 1
    ("cost_total", "1e5"), ("cost_total", True), ("delay_mean_days", "4"),
])
def test_a_checkpoint_whose_kpi_the_search_reads_is_not_a_number_is_run_again(tmp_path, kpi, value):
    spec = _spec(constraints=["delay_mean_days<=4.9"])
    whole = run_search(Evaluator(BASE, spec, FakeExecutor(), tmp_path))
    (first, *_) = sorted(tmp_path.rglob("rep-*.json"))
    data = json.loads(first.read_text())
    data["kpis"][kpi] = value
    first.write_text(json.dumps(data))
    again = FakeExecutor()
    evaluator = Evaluator(BASE, spec, again, tmp_path)
    assert run_search(evaluator).recommended == whole.recommended
    assert again.ran == 1 and evaluator.reused == _checkpointed(tmp_path) - 1


def test_a_kpi_the_search_does_not_read_is_taken_from_a_checkpoint_as_it_is(tmp_path):
    spec = _spec()  # no constraint on delay_mean_days
    run_search(Evaluator(BASE, spec, FakeExecutor(), tmp_path))
    (first, *_) = sorted(tmp_path.rglob("rep-*.json"))
    data = json.loads(first.read_text())
    data["kpis"]["delay_mean_days"] = None  # e.g. no patient on that pathway: NaN, written as null
    first.write_text(json.dumps(data))
    again = FakeExecutor()
    evaluator = Evaluator(BASE, spec, again, tmp_path)
    run_search(evaluator)
    assert again.ran == 0


class NoPatientsBelow(FakeExecutor):
    """The objective is a mean over patients that mixes with a below 16 places never see: NaN."""

    def __call__(self, jobs):
        for index, r, kpis in super().__call__(jobs):
            if int(jobs[index].config.services.a.capacity) < 16:
                kpis = {**kpis, "delay_mean_days": float("nan")}
            yield index, r, kpis


def test_a_mix_with_no_number_to_minimise_is_a_failed_trial_not_optunas_warning(recwarn):
    spec = _spec(objective="delay_mean_days", search={"trials": 16, "batch": 4, "replications": 2,
                                                      "shortlist": 3, "max_replications": 6})
    result = run_search(Evaluator(BASE, spec, NoPatientsBelow()))
    assert result.recommended.candidate[0] >= 16
    assert not [w for w in recwarn if "optuna" in str(w.filename)], [str(w.message) for w in recwarn]


def _checkpointed(folder) -> int:
    """Replications checkpointed under ``folder``."""
    return len(list(folder.rglob("rep-*.json")))


def test_checkpoints_of_another_system_are_never_reused(tmp_path):
    spec = _spec()
    run_search(Evaluator(BASE, spec, FakeExecutor(), tmp_path))
    other = OmegaConf.merge(BASE, {"services": {"c": {"capacity": 1}}})
    evaluator = Evaluator(other, spec, FakeExecutor(), tmp_path)
    run_search(evaluator)
    assert evaluator.reused == 0


def test_targets_mode_recommends_the_cheapest_mix_meeting_the_target_with_confidence():
    # delay = 500 - 4a - 6b (+ noise): <= 250 needs 4a + 6b >= 250; the unconstrained optimum has 188
    spec = _spec(constraints=["delayed_days_per_year<=250"])
    evaluator = Evaluator(BASE, spec, FakeExecutor())
    result = run_search(evaluator)
    a, b = result.recommended.candidate
    assert result.selection.met_with_confidence
    assert result.recommended.confidently_feasible
    assert result.recommended.candidate not in result.selection.eliminated_at
    feasible = [(x, y) for x, y in itertools.product(range(10, 41, 2), range(4, 31, 2))
                if 500 - 4 * x - 6 * y <= 250 - 5]  # a margin for the confidence bound
    assert _cost(a, b) <= min(_cost(x, y) for x, y in feasible) + 10
    validation = validate(evaluator, result.recommended.candidate)
    assert validation.seed == spec.seed + 1000 and validation.standing.n == 6
    assert validation.standing.feasible


def test_kn_constant_matches_kim_and_nelson():
    # eta = ((2 alpha / (k - 1))^(-2 / (n0 - 1)) - 1) / 2; h^2 = 2 eta (n0 - 1)
    eta = ((2 * 0.05 / 4) ** (-2 / 9) - 1) / 2
    assert kn_constants(5, 10) == pytest.approx(2 * eta * 9)
    assert math.isclose(kn_constants(2, 5, 0.05), ((0.1) ** (-0.5) - 1) * 4)


def test_a_mix_ruled_out_by_a_cheaper_one_that_then_fails_the_target_comes_back():
    from flowsim.sizing.selection import select

    def executor(jobs):  # a=0: cheap, delay 90, 109, 90, ... (mean under 100, bound over it); a=2: dear, 50
        for index, job in enumerate(jobs):
            a = int(job.config.services.a.capacity)
            for r in job.replications:
                delay = (90.0 if r % 2 == 0 else 109.0) if a == 0 else 50.0
                yield index, r, {"observed_days": 365.0, "cost_total": 1000.0 + 50.0 * a + r % 3,
                                 "delayed_days_per_year": delay}

    variables = {"a": {"path": "services.a.capacity", "low": 0, "high": 2, "step": 2},
                 "b": {"path": "services.b.capacity", "low": 0, "high": 0}}
    spec = parse_sizing_spec({"seed": 1, "objective": "cost_total", "variables": variables,
                              "constraints": ["delayed_days_per_year<=100"],
                              "search": {"replications": 5, "max_replications": 20}})
    evaluator = Evaluator(BASE, spec, executor)
    evaluator.run([((0, 0), 1, range(5)), ((2, 0), 1, range(5))], "search")
    selection = select(evaluator, [(0, 0), (2, 0)])
    assert selection.recommended.candidate == (2, 0) and selection.met_with_confidence
    assert (2, 0) not in selection.eliminated_at  # ruled out on cost by (0, 0), which then failed
    assert evaluator.count((0, 0), 1) == 20  # topped up before it was given up
