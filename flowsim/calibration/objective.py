"""The model's side of a calibration: write parameter values into a config, run it, read the targets.

Every evaluation runs the same replications with the same seed, so two parameter vectors are compared
on common random numbers: a change in the model's value comes from the parameters, not from noise.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from omegaconf import DictConfig, OmegaConf

from flowsim.calibration.target_spec import MONTH_PROFILE, Parameter, Target, TargetSpec
from flowsim.experiment.runner import run_replications
from flowsim.model.errors import ConfigError
from flowsim.model.scenario import build_scenario

__all__ = ["Evaluation", "apply_parameters", "evaluate", "expand_paths", "start_values"]


@dataclass(frozen=True)
class Evaluation:
    """The model's values of every target: per replication (rows) and value (columns)."""

    parameters: dict[str, float]
    labels: tuple[str, ...]
    per_replication: np.ndarray  # shape (replications, len(labels))

    @property
    def means(self) -> np.ndarray:
        """Mean over replications of each value."""
        return self.per_replication.mean(axis=0)


def expand_paths(config: DictConfig, path: str) -> list[str]:
    """``path`` with each ``*`` replaced by every key of that mapping in ``config``."""
    head, star, tail = path.partition("*")
    if not star:
        return [path]
    node = OmegaConf.select(config, head.rstrip(".")) if head else config
    if not isinstance(node, DictConfig):
        raise ConfigError(path, f"{head.rstrip('.') or 'the config'} is not a mapping", "fix the path")
    return [p for key in node for p in expand_paths(config, f"{head}{key}{tail}")]


def _paths(config: DictConfig, parameter: Parameter) -> list[tuple[str, float]]:
    found = []
    field = f"{parameter.field}.{parameter.action}"
    for pattern, coefficient in parameter.paths:
        for path in expand_paths(config, pattern):
            value = OmegaConf.select(config, path)
            if value is None and parameter.action == "scale":
                raise ConfigError(field, f"{path} is not set in the base config",
                                  "scale only values the config sets")
            # a mapping or a list (a distribution, a schedule) cannot be multiplied or replaced by a number
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ConfigError(field, f"{path} is not a number",
                                  "give the path of a number, e.g. services.ic_beds.capacity or "
                                  "services.ic_beds.los_days.mean")
            found.append((path, coefficient))
    if not found:
        raise ConfigError(f"{parameter.field}.{parameter.action}", "writes no config path", "check its paths")
    return found


def start_values(config: DictConfig, spec: TargetSpec) -> dict[str, float]:
    """Each parameter's start: as given, else read back from the base config (scale: 1)."""
    starts = {}
    for parameter in spec.parameters:
        value = parameter.start
        if value is None and parameter.action == "scale":
            value = 1.0
        elif value is None:
            path, coefficient = _paths(config, parameter)[0]
            current = OmegaConf.select(config, path)
            if not isinstance(current, int | float) or isinstance(current, bool):
                raise ConfigError(f"{parameter.field}.start", f"{path} is not set in the base "
                                  "config", "give a start value")
            value = math.exp(current) if parameter.action == "set_log" else current / coefficient
        starts[parameter.name] = min(max(float(value), parameter.low), parameter.high)
    return starts


def apply_parameters(base: DictConfig, spec: TargetSpec, values: Mapping[str, float]) -> DictConfig:
    """A copy of ``base`` with each parameter's value written into its paths."""
    config = copy.deepcopy(base)
    for parameter in spec.parameters:
        value = values[parameter.name]
        for path, coefficient in _paths(base, parameter):
            if parameter.action == "set":
                new: float | int = coefficient * value
            elif parameter.action == "set_log":
                new = math.log(value)
            else:
                old = OmegaConf.select(base, path)
                new = round(old * value) if isinstance(old, int) else float(old) * value
            OmegaConf.update(config, path, new, force_add=True)
    return config


def _month_profile(census: Mapping[str, np.ndarray]) -> np.ndarray:
    months = census["date"].astype("datetime64[M]").astype(np.int64) % 12
    counts = census["nctr_census"].astype(float)
    means = np.array([counts[months == m].mean() if (months == m).any() else np.nan for m in range(12)])
    return means / np.nanmean(means)


def _values(kpis: Mapping[str, float], census: Mapping[str, np.ndarray], target: Target) -> list[float]:
    if target.kpi == MONTH_PROFILE:
        return list(_month_profile(census))
    if target.kpi not in kpis:
        raise ConfigError(f"targets: {target.kpi}", "is not a KPI flowsim reports",
                          "use a key of metrics.json (see the glossary)")
    return [float(kpis[target.kpi])]


def evaluate(base: DictConfig, spec: TargetSpec, values: Mapping[str, float], *,
             replications: int | None = None, seed: int | None = None, n_jobs: int = 1) -> Evaluation:
    """Run the model with ``values`` and read every target's value from each replication.

    Parameters
    ----------
    base : DictConfig
        The composed config of the system being calibrated.
    spec : TargetSpec
        Targets and parameters.
    values : mapping
        A value per parameter of ``spec``.
    replications, seed : int, optional
        Default: the spec's.
    n_jobs : int
        Worker processes for the replications.
    """
    config = apply_parameters(base, spec, values)
    config.seed = spec.seed if seed is None else seed
    config.replications = replications or spec.replications
    scenario = build_scenario(config)
    outputs = run_replications(scenario, n_jobs=n_jobs, keep_episodes=False, progress=False)
    rows = [[v for target in spec.targets for v in _values(out.metrics.kpis, out.metrics.census, target)]
            for out in outputs]
    labels = tuple(label for target in spec.targets for label in target.labels)
    return Evaluation(dict(values), labels, np.array(rows, dtype=float))


def scaled_residuals(evaluation: Evaluation, targets: Sequence[Target]) -> np.ndarray:
    """(model - target) / half the tolerance band, times the square root of the target's weight.

    Inside the band every residual is at most 1 in size (for a symmetric band).
    """
    value = np.array([v for t in targets for v in t.values])
    half = np.array([(h - lo) / 2.0 for t in targets for lo, h in zip(t.low, t.high, strict=True)])
    weight = np.array([math.sqrt(t.weight) for t in targets for _ in t.values])
    return (evaluation.means - value) / half * weight
