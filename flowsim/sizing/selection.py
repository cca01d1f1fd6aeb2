"""The search's end game: pick the best of a shortlist with statistical confidence.

Ranking and selection by the fully sequential procedure of Kim and Nelson (2001, "A fully sequential
procedure for indifference-zone selection in simulation", ACM TOMACS 11(3)): every shortlisted
candidate starts from the search replications (n0); the variance of each pair's *difference* is
estimated from them (common random numbers make it small); then replications are added, and a
candidate is dropped once its cumulative mean is worse than another's by more than a boundary that
shrinks as replications grow. What survives is the best with probability at least 1 - alpha whenever
the best is better than the rest by the indifference amount delta or more; otherwise it is within
delta of the best. Replications are added in batches so that workers share them; a candidate's
elimination is still checked after each single replication.

In targets mode the winner must also meet every constraint with confidence (one-sided bound);
candidates are tried in order of their final mean, each topped up to ``max_replications`` if needed;
a candidate ruled out on the objective by cheaper ones that then fail the targets comes back in turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from flowsim.sizing.candidates import Candidate
from flowsim.sizing.evaluations import Evaluator
from flowsim.sizing.ranking import Standing, objective_kpi, standing

__all__ = ["ALPHA", "BATCH", "Selection", "kn_constants", "select"]

ALPHA = 0.05  # 1 - probability of correct selection
BATCH = 5  # replications added per survivor per round
DEFAULT_INDIFFERENCE = 0.002  # of the best mean objective, when the spec gives none


@dataclass(frozen=True)
class Selection:
    """The outcome: the recommended candidate and the final standing of each shortlisted one."""

    recommended: Standing
    finalists: tuple[Standing, ...]  # every shortlisted candidate over all its replications
    eliminated_at: dict[Candidate, int]  # replications when KN dropped it
    indifference: float
    met_with_confidence: bool
    # mixes still in the running when the selection reached max_replications (0: it told them apart)
    undecided: int = 0


def kn_constants(k: int, n0: int, alpha: float = ALPHA) -> float:
    """``h^2`` of Kim and Nelson's procedure for ``k`` candidates and ``n0`` first replications."""
    eta = 0.5 * ((2.0 * alpha / (k - 1)) ** (-2.0 / (n0 - 1)) - 1.0)
    return 2.0 * eta * (n0 - 1)


def _kn(evaluator: Evaluator, shortlist: Sequence[Candidate], delta: float
        ) -> tuple[dict[Candidate, int], int]:
    """Run KN on ``shortlist``; return the eliminated candidates with the replication count then, and
    how many were still in the running when it stopped at ``max_replications`` (0 if one was left)."""
    spec = evaluator.spec
    seed, n0, cap = spec.seed, spec.search.replications, spec.search.max_replications
    kpi = objective_kpi(spec.objective)
    k = len(shortlist)
    h2 = kn_constants(k, n0)
    first = {c: evaluator.values(c, seed, kpi, n0) for c in shortlist}
    variance = {(i, j): float(np.var(first[i] - first[j], ddof=1)) for i in shortlist for j in shortlist
                if i != j}
    alive = list(shortlist)
    eliminated: dict[Candidate, int] = {}
    r = n0
    while len(alive) > 1:
        totals = {c: evaluator.values(c, seed, kpi, r).sum() for c in alive}
        drop = set()
        for i in alive:
            for j in alive:
                if i == j:
                    continue
                w = max(0.0, delta / (2.0 * r) * (h2 * variance[(i, j)] / delta ** 2 - r))
                if (totals[i] - totals[j]) / r > w:  # i is worse than j (minimising) beyond the boundary
                    drop.add(i)
                    break
        for c in drop:
            eliminated[c] = r
        alive = [c for c in alive if c not in drop]
        if len(alive) <= 1 or r >= cap:
            break
        if all(evaluator.count(c, seed) > r for c in alive):
            r += 1
            continue
        more = range(r, min(r + BATCH, cap))
        evaluator.run([(c, seed, more) for c in alive], "selection")
        r += 1
    return eliminated, len(alive) if len(alive) > 1 else 0


def select(evaluator: Evaluator, shortlist: Sequence[Candidate]) -> Selection:
    """Choose among ``shortlist`` (best first by the search's ranking) with confidence.

    Parameters
    ----------
    evaluator : Evaluator
    shortlist : sequence of Candidate
        Distinct candidates, each with at least the search replications run.
    """
    spec = evaluator.spec
    seed, cap = spec.seed, spec.search.max_replications
    kpi = objective_kpi(spec.objective)
    best_mean = min(abs(float(evaluator.values(c, seed, kpi).mean())) for c in shortlist)
    delta = spec.search.indifference or max(DEFAULT_INDIFFERENCE * best_mean, 1e-9)
    eliminated, undecided = _kn(evaluator, shortlist, delta) if len(shortlist) > 1 else ({}, 0)
    order = sorted(shortlist, key=lambda c: (c in eliminated, standing(evaluator, c, seed).rank_key))
    recommended = None
    for candidate in order:
        record = standing(evaluator, candidate, seed)
        if not spec.constraints or record.confidently_feasible:
            recommended = record
            break
        if record.feasible and record.n < cap:  # met on average: more replications may confirm it
            evaluator.run([(candidate, seed, range(record.n, cap))], "selection")
            record = standing(evaluator, candidate, seed)
            if record.confidently_feasible:
                recommended = record
                break
    met = recommended is not None
    if recommended is None:  # nothing meets the targets with confidence: the nearest miss, said so
        recommended = min((standing(evaluator, c, seed) for c in order), key=lambda s: s.rank_key)
    # ruled out on the objective by cheaper mixes that then failed the targets: it is back in
    eliminated.pop(recommended.candidate, None)
    finalists = tuple(standing(evaluator, c, seed) for c in shortlist)
    return Selection(recommended, finalists, eliminated, float(delta), met, undecided)
