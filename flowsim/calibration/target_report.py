"""What a targets calibration hands back: each target against the model, the fitted values, a system file.

``targets.csv`` has a row per target value: the observed value and its tolerance band, the model's
mean over replications with its 95 % confidence interval (Student t), and whether the mean is inside
the band. ``parameters.csv`` has each fitted value with its start and bounds (a value at a bound is
flagged: the data may want more than the bounds allow). ``history.csv`` has every evaluation of the
search. ``fitted_system.yaml`` is a system config that applies the fitted values on top of the
system that was calibrated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from omegaconf import DictConfig, ListConfig, OmegaConf

from flowsim.calibration.objective import Evaluation, apply_parameters, expand_paths
from flowsim.calibration.search import within_band
from flowsim.calibration.target_spec import TargetSpec
from flowsim.experiment.identity import changed_keys
from flowsim.experiment.io import atomic_write, write_table
from flowsim.measures.aggregate import confidence_interval
from flowsim.model.paths import ABSENT, lookup

__all__ = ["format_targets", "parameter_table", "target_table", "write_fitted_system"]


def target_table(evaluation: Evaluation, spec: TargetSpec) -> pd.DataFrame:
    """Each target value against the model's mean and 95 % CI over replications."""
    rows = []
    inside = within_band(evaluation, spec)
    column = 0
    for target in spec.targets:
        for label, value, low, high in zip(target.labels, target.values, target.low, target.high,
                                           strict=True):
            mean, ci_low, ci_high = confidence_interval(evaluation.per_replication[:, column])
            rows.append({"target": label, "observed": value, "band_low": low, "band_high": high,
                         "model_mean": mean, "model_ci_low": ci_low, "model_ci_high": ci_high,
                         "within": bool(inside[column]), "replications": evaluation.per_replication.shape[0],
                         "source": target.source})
            column += 1
    return pd.DataFrame(rows)


def parameter_table(values: Mapping[str, float], starts: Mapping[str, float], spec: TargetSpec
                    ) -> pd.DataFrame:
    """Each parameter's fitted value, start and bounds; ``at_bound`` when within 0.5 % of one."""
    return pd.DataFrame([{
        "parameter": p.name, "value": values[p.name], "start": starts[p.name], "low": p.low,
        "high": p.high, "at_bound": bool(values[p.name] <= p.low * 1.005 or values[p.name] >= p.high / 1.005),
        "writes": ", ".join(path for path, _ in p.paths),
    } for p in spec.parameters])


def _nested(config: DictConfig, paths: list[str]) -> dict:
    """The values at ``paths`` of ``config`` as a nested mapping (list positions write the whole list)."""
    out: dict = {}
    for path in paths:
        keys = path.split(".")
        if keys[-1].isdigit():
            keys = keys[:-1]
        node = OmegaConf.select(config, ".".join(keys))
        value = OmegaConf.to_container(node) if isinstance(node, ListConfig) else node
        target = out
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value
    return out


def _carried(config: DictConfig, reference: DictConfig) -> DictConfig:
    """The settings of ``config`` that differ from ``reference`` (leaves ``config`` lacks aside), nested
    as in it, without how to run (:data:`_RUN_SETTINGS`)."""
    plain, plain_reference = (OmegaConf.to_container(c, resolve=True) for c in (config, reference))
    carried = OmegaConf.create({})
    for key in changed_keys(plain_reference, plain):
        value = lookup(plain, key, ABSENT)
        if value is not ABSENT and key.split(".")[0] not in _RUN_SETTINGS:
            OmegaConf.update(carried, key, value, force_add=True)
    return carried


_RUN_SETTINGS = ("seed", "replications", "n_jobs", "outputs", "precision")  # how to run, not the system


def write_fitted_system(base: DictConfig, spec: TargetSpec, values: Mapping[str, float], path: Path,
                        targets_file: str, system: str = "default", reference: DictConfig | None = None,
                        overrides: list[str] | None = None) -> Path:
    """A system config applying the fitted values on top of ``system`` (for ``--config-dir``).

    ``reference`` is ``system`` composed alone: where the fit's overrides (``overrides``: e.g. the
    targets file's ``scenario=quick housing=off``) made ``base`` differ from it, the file carries those
    values too, so that ``system=<the file>`` alone runs what was fitted and checked. A scenario given
    again on top would be composed after the system file and undo the fitted values it sets.
    """
    fitted = apply_parameters(base, spec, values)
    paths = [p for parameter in spec.parameters for pattern, _ in parameter.paths
             for p in expand_paths(base, pattern)]
    carried = _carried(fitted, reference) if reference is not None else OmegaConf.create({})
    body = yaml.safe_dump(OmegaConf.to_container(OmegaConf.merge(carried, _nested(fitted, paths))),
                          sort_keys=False, default_flow_style=None)
    others = [o for o in overrides or [] if not o.startswith("system=")]
    carries = (f"# It carries what the overrides {' '.join(others)} set: run it without them (a scenario "
               "given again would undo fitted values).\n" if others and carried else "")
    head = (f"# @package _global_\n# Fitted by flowsim-calibrate targets {targets_file} on "
            f"{dt.date.today().isoformat()}: {', '.join(f'{k} = {v:.4g}' for k, v in values.items())}.\n"
            f"# Use: put this file in <dir>/system/ and run flowsim --config-dir <dir> system=<name>.\n"
            f"{carries}defaults:\n  - {system}\n  - _self_\n\n")
    return atomic_write(path, lambda tmp: tmp.write_text(head + body, encoding="utf-8"))


def write_results(output: Path, evaluation: Evaluation, spec: TargetSpec, values: Mapping[str, float],
                  starts: Mapping[str, float], history: list[dict[str, float]]) -> list[Path]:
    """``targets.csv``, ``parameters.csv`` and ``history.csv`` into ``output``."""
    written = [write_table(target_table(evaluation, spec), output / "targets.csv")]
    if spec.parameters:
        written.append(write_table(parameter_table(values, starts, spec), output / "parameters.csv"))
    if history:
        written.append(write_table(pd.DataFrame(history).rename_axis("evaluation").reset_index(),
                                   output / "history.csv"))
    return written


def _number(value: float) -> str:
    if not np.isfinite(value):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def format_targets(table: pd.DataFrame) -> str:
    """The targets table as aligned text for the terminal."""
    lines = [f"{'target':38} {'observed':>9} {'band':>18} {'model':>9} {'95 % CI':>20}  within",
             "-" * 106]
    for row in table.itertuples():
        # "to", not a hyphen: a band's low end can be negative ("-0.0235 to 0.0765")
        band = f"{_number(row.band_low)} to {_number(row.band_high)}"
        ci = f"{_number(row.model_ci_low)} to {_number(row.model_ci_high)}"
        lines.append(f"{row.target:38} {_number(row.observed):>9} {band:>18} {_number(row.model_mean):>9} "
                     f"{ci:>20}  {'yes' if row.within else 'NO'}")
    return "\n".join(lines)
