"""A whole sizing search: explore, polish, select, then compare with today and validate on new seeds.

Deterministic given the spec's seed and batch size: rerunning it (after an interruption, or with
another number of workers) replays the same proposals and reaches the same recommendation, taking
finished replications from disk (:mod:`flowsim.sizing.evaluations`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flowsim.measures.aggregate import confidence_interval
from flowsim.sizing.candidates import Candidate
from flowsim.sizing.evaluations import BASELINE, PAIRED_KPIS, Evaluator
from flowsim.sizing.explore import explore, polish, start_candidate
from flowsim.sizing.ranking import Standing, objective_kpi, standing
from flowsim.sizing.selection import Selection, select

__all__ = ["PAIRED_KPIS", "Paired", "SizingResult", "Validation", "paired", "run_search", "validate"]


@dataclass(frozen=True)
class Paired:
    """Baseline minus candidate over common replications: mean and 95 % CI of the difference."""

    kpi: str
    mean: float
    ci_low: float
    ci_high: float
    n: int


@dataclass(frozen=True)
class SizingResult:
    """What the search found and how."""

    recommended: Standing
    selection: Selection
    tried: tuple[Standing, ...]  # every distinct candidate on the search replications, first seen first
    start: Candidate | None  # today's mix, when it lies on the grid
    trials: int
    against_today: tuple[Paired, ...]


def paired(evaluator: Evaluator, candidate: Candidate, seed: int, n: int, kpi: str) -> Paired:
    """Baseline minus candidate in replications ``0 .. n-1`` of ``seed`` (both must be run)."""
    difference = evaluator.values(BASELINE, seed, kpi, n) - evaluator.values(candidate, seed, kpi, n)
    return Paired(kpi, *confidence_interval(difference), n)


def _against_today(evaluator: Evaluator, candidate: Candidate, seed: int, n: int) -> tuple[Paired, ...]:
    evaluator.run([(BASELINE, seed, range(n)), (candidate, seed, range(n))], "baseline")
    kpis = dict.fromkeys((*PAIRED_KPIS, objective_kpi(evaluator.spec.objective)))
    return tuple(paired(evaluator, candidate, seed, n, kpi) for kpi in kpis)


def run_search(evaluator: Evaluator, progress: Callable[[str, int, int], None] | None = None
               ) -> SizingResult:
    """Search the spec's grid for the cheapest mix (that meets the constraints).

    Parameters
    ----------
    evaluator : Evaluator
        Runs and remembers replications (with its executor and checkpoint folder).
    progress : callable, optional
        ``progress(stage, done, total)`` after each batch of the exploration.
    """
    spec = evaluator.spec
    done = 0

    def explored(batch: int) -> None:
        nonlocal done
        done += batch
        if progress is not None:
            progress("search", done, spec.search.trials)

    tried = explore(evaluator, explored)
    records: dict[Candidate, Standing] = {}
    for record in tried:
        records.setdefault(record.candidate, record)
    if spec.search.polish:
        for record in polish(evaluator, min(records.values(), key=lambda s: s.rank_key)):
            records.setdefault(record.candidate, record)
    shortlist = [s.candidate for s in sorted(records.values(), key=lambda s: s.rank_key)]
    selection = select(evaluator, shortlist[:spec.search.shortlist])
    recommended = selection.recommended
    against = _against_today(evaluator, recommended.candidate, spec.seed, recommended.n)
    return SizingResult(recommended, selection, tuple(records.values()), start_candidate(evaluator),
                        spec.search.trials, against)


@dataclass(frozen=True)
class Validation:
    """The recommendation rerun on fresh random numbers."""

    seed: int
    standing: Standing
    against_today: tuple[Paired, ...]


def validate(evaluator: Evaluator, candidate: Candidate) -> Validation | None:
    """Rerun ``candidate`` and today's system on the validation seed (None with 0 replications)."""
    spec = evaluator.spec
    n = spec.validation_replications
    if n == 0:
        return None
    seed = spec.seed + spec.validation_seed_offset
    evaluator.run([(candidate, seed, range(n)), (BASELINE, seed, range(n))], "validation")
    kpis = dict.fromkeys((*PAIRED_KPIS, objective_kpi(spec.objective)))
    return Validation(seed, standing(evaluator, candidate, seed, n),
                      tuple(paired(evaluator, candidate, seed, n, kpi) for kpi in kpis))
