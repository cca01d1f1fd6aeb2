"""Simulation-based fitting: the parameter values that bring the model's aggregates to their targets.

Least squares on scaled residuals (model minus target over half the tolerance band), searched by
Levenberg-Marquardt in the logarithm of each parameter (all are positive; a log step is a relative
change). The Jacobian is taken by forward differences once and then kept up to date by Broyden's
rank-one updates, so most iterations cost one evaluation; it is taken afresh when a step fails. Every
evaluation runs the same replications with the same seed (common random numbers), so the residuals
change with the parameters, not with sampling noise, and differences are meaningful.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from omegaconf import DictConfig
from tqdm.auto import tqdm

from flowsim.calibration.objective import Evaluation, evaluate, scaled_residuals, start_values
from flowsim.calibration.target_spec import TargetSpec

__all__ = ["FitResult", "fit_targets", "within_band"]

_LOG_STEP = 0.05  # forward-difference step: a 5 % change of the parameter


@dataclass
class FitResult:
    """Where the search ended, and every evaluation on the way."""

    values: dict[str, float]
    evaluation: Evaluation
    residuals: np.ndarray
    evaluations: int
    met: bool  # every target's mean inside its band
    history: list[dict[str, float]] = field(default_factory=list)

    @property
    def cost(self) -> float:
        """Sum of squared scaled residuals."""
        return float(self.residuals @ self.residuals)


def within_band(evaluation: Evaluation, spec: TargetSpec) -> np.ndarray:
    """Whether each target value's model mean lies inside its tolerance band."""
    low = np.array([v for t in spec.targets for v in t.low])
    high = np.array([v for t in spec.targets for v in t.high])
    return (evaluation.means >= low) & (evaluation.means <= high)


def fit_targets(base: DictConfig, spec: TargetSpec, *, max_evaluations: int = 60, n_jobs: int = 1,
                progress: bool = True) -> FitResult:
    """Fit ``spec``'s parameters so that the model meets its targets.

    Parameters
    ----------
    base : DictConfig
        The composed config of the system being calibrated (the spec's overrides applied).
    spec : TargetSpec
        Targets and parameters; every evaluation runs ``spec.replications`` with ``spec.seed``.
    max_evaluations : int
        Budget of model evaluations (each is ``spec.replications`` runs).
    n_jobs : int
        Worker processes per evaluation.
    progress : bool
        Show a progress bar of the evaluations.

    Returns
    -------
    FitResult
        The best values found (within the bounds) and their evaluation.
    """
    names = [p.name for p in spec.parameters]
    low = np.log([p.low for p in spec.parameters])
    high = np.log([p.high for p in spec.parameters])
    starts = start_values(base, spec)
    bar = tqdm(total=max_evaluations, desc="calibrating", unit="evaluation", disable=not progress)
    history: list[dict[str, float]] = []

    def run(x: np.ndarray) -> tuple[Evaluation, np.ndarray]:
        evaluation = evaluate(base, spec, dict(zip(names, np.exp(x).tolist(), strict=True)), n_jobs=n_jobs)
        residuals = scaled_residuals(evaluation, spec.targets)
        history.append({**evaluation.parameters, "cost": float(residuals @ residuals)})
        bar.update(1)
        bar.set_postfix(cost=f"{residuals @ residuals:.3g}")
        return evaluation, residuals

    def jacobian(x: np.ndarray, r: np.ndarray) -> np.ndarray:
        columns = []
        for j in range(x.size):
            h = _LOG_STEP if x[j] + _LOG_STEP <= high[j] else -_LOG_STEP
            moved = x.copy()
            moved[j] += h
            columns.append((run(moved)[1] - r) / h)
        return np.column_stack(columns)

    x = np.log([starts[n] for n in names])
    evaluation, r = run(x)
    damping, fresh, jac = 1e-2, False, None
    try:
        while names and len(history) + x.size + 1 <= max_evaluations:
            if within_band(evaluation, spec).all() and r @ r < 0.25 * r.size:
                break  # comfortably inside every band
            if jac is None:
                jac, fresh = jacobian(x, r), True
            normal = jac.T @ jac
            step = np.linalg.solve(normal + damping * np.diag(np.diag(normal) + 1e-9), -jac.T @ r)
            x_new = np.clip(x + step, low, high)
            if np.allclose(x_new, x, atol=1e-4):
                break  # at a bound, or the step vanished
            evaluation_new, r_new = run(x_new)
            if r_new @ r_new < r @ r:
                s = x_new - x  # Broyden's update keeps the Jacobian current at one evaluation a step
                jac = jac + np.outer(r_new - r - jac @ s, s) / (s @ s)
                gain = (r @ r - r_new @ r_new) / (r @ r)
                x, r, evaluation, fresh = x_new, r_new, evaluation_new, False
                damping = max(damping / 3.0, 1e-4)
                if gain < 1e-3:
                    break
            elif fresh:
                damping *= 4.0  # the Jacobian is current: take a shorter step
                if damping > 1e4:
                    break
            else:
                jac = None  # the updated Jacobian misled: take it afresh
    finally:
        bar.close()
    values = dict(zip(names, np.exp(x).tolist(), strict=True))
    return FitResult(values, evaluation, r, len(history), bool(within_band(evaluation, spec).all()),
                     history)
