"""How candidates compare: objective means, constraint checks, and the order the search ranks them in.

Every comparison is on common random numbers: replication *r* of every candidate sees the same
patients (same seed), so differences come from the capacities, not from luck.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from flowsim.sizing.candidates import Candidate
from flowsim.sizing.evaluations import Evaluator

__all__ = ["Standing", "objective_kpi", "standing", "upper_bound"]


def objective_kpi(objective: str) -> str:
    """The column minimised: costs per year (``cost_total`` -> ``cost_total_per_year``), else the KPI."""
    return f"{objective}_per_year" if objective.startswith("cost_") and not objective.endswith(
        "_per_year") else objective


def upper_bound(values: np.ndarray, confidence: float) -> float:
    """One-sided upper confidence bound of the mean (the mean itself with one value)."""
    values = values[np.isfinite(values)]
    if values.size < 2:
        return float(values.mean()) if values.size else float("nan")
    sem = values.std(ddof=1) / np.sqrt(values.size)
    return float(values.mean() + stats.t.ppf(confidence, values.size - 1) * sem)


def _lower_bound(values: np.ndarray, confidence: float) -> float:
    return -upper_bound(-values, confidence)


@dataclass(frozen=True)
class Standing:
    """A candidate's record over its replications so far."""

    candidate: Candidate
    n: int
    objective: float  # mean
    excess: tuple[float, ...]  # per constraint: mean beyond the target (<= 0: met on average)
    excess_confident: tuple[float, ...]  # per constraint: the confidence bound beyond the target

    @property
    def feasible(self) -> bool:
        """Every constraint met by its mean."""
        return all(e <= 0 for e in self.excess)

    @property
    def confidently_feasible(self) -> bool:
        """Every constraint met by its one-sided confidence bound."""
        return all(e <= 0 for e in self.excess_confident)

    @property
    def rank_key(self) -> tuple[bool, float, float]:
        """Feasible first (by mean), then least violation, then lowest objective."""
        violation = float(sum(max(e, 0.0) for e in self.excess))
        return (not self.feasible, violation, self.objective)


def standing(evaluator: Evaluator, candidate: Candidate, seed: int, n: int | None = None) -> Standing:
    """A candidate's standing over its replications ``0 .. n-1`` on ``seed`` (default: all)."""
    spec = evaluator.spec
    objective = evaluator.values(candidate, seed, objective_kpi(spec.objective), n)
    excess, confident = [], []
    for target in spec.constraints:
        values = evaluator.values(candidate, seed, target.kpi, n)
        mean = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
        bound = (upper_bound(values, spec.confidence) if target.op == "<="
                 else _lower_bound(values, spec.confidence))
        excess.append(target.excess(mean) if np.isfinite(mean) else float("inf"))
        confident.append(target.excess(bound) if np.isfinite(bound) else float("inf"))
    return Standing(candidate, objective.size, float(objective.mean()), tuple(excess), tuple(confident))
