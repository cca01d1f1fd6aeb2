"""One scenario end to end: config -> Scenario -> replications -> metrics -> files.

This is the plain, importable function behind the ``flowsim`` command; notebooks and tests call it
directly with a config and an output directory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from flowsim.aggregate import HEADLINE_KPIS, replication_table, summarise
from flowsim.io import census_frame, episodes_frame, manifest, units_frame, write_json, write_table
from flowsim.runner import run_replications
from flowsim.scenario import Scenario, build_scenario

__all__ = ["ScenarioRun", "run_scenario"]


@dataclass(frozen=True)
class ScenarioRun:
    """What :func:`run_scenario` produced and where it put it."""

    scenario: Scenario
    output_dir: Path
    replications: pd.DataFrame  # one row per replication, one column per KPI
    summary: pd.DataFrame  # kpi, n, mean, sd, ci_low, ci_high, half_width_pct
    units: pd.DataFrame  # per unit and replication
    files: dict[str, Path]


def run_scenario(config: DictConfig | Mapping[str, Any], output_dir: str | Path,
                 overrides: Sequence[str] = (), progress: bool = True) -> ScenarioRun:
    """Validate ``config``, run its replications and write every output file.

    Parameters
    ----------
    config : DictConfig or Mapping
        A composed flowsim configuration.
    output_dir : path
        Where to write ``metrics.json``, ``patients.parquet``, ``census.parquet``,
        ``replications.parquet``, ``summary.csv``, ``units.parquet`` and ``manifest.json``.
    overrides : sequence of str
        The command-line overrides, recorded in the manifest.
    progress : bool
        Show a progress bar over replications.

    Returns
    -------
    ScenarioRun
    """
    plain = OmegaConf.to_container(config, resolve=True) if isinstance(config, DictConfig) else dict(
        config)
    scenario = build_scenario(plain)  # raises ConfigError before anything runs
    outputs_cfg = plain.get("outputs") or {}
    keep_patients = bool(outputs_cfg.get("patients", True))
    out = Path(output_dir)
    outputs = run_replications(scenario, keep_episodes=keep_patients, progress=progress)

    table = replication_table((o.replication, o.metrics.kpis) for o in outputs)
    summary = summarise(table)
    units = units_frame([(o.replication, o.metrics) for o in outputs])
    files = {
        "replications": write_table(table, out / "replications.parquet"),
        "summary": write_table(summary, out / "summary.csv"),
        "units": write_table(units, out / "units.parquet"),
    }
    if outputs_cfg.get("census", True):
        census = pd.concat([census_frame(o.metrics, o.replication) for o in outputs],
                           ignore_index=True)
        files["census"] = write_table(census, out / "census.parquet")
    if keep_patients:
        patients = pd.concat([episodes_frame(o.episodes, scenario, o.replication)
                              for o in outputs if o.episodes is not None], ignore_index=True)
        files["patients"] = write_table(patients, out / "patients.parquet")
    headline = summary.set_index("kpi")
    files["metrics"] = write_json({
        "replications": scenario.replications,
        "seed": scenario.seed,
        "observed_days": scenario.observed_days,
        "kpis": {k: float(headline.loc[k, "mean"]) for k in headline.index},
        "headline": {k: headline.loc[k].drop("n").to_dict() for k in HEADLINE_KPIS
                     if k in headline.index},
        "units": units.drop(columns="replication").groupby("unit", sort=False)
                      .mean(numeric_only=True).reset_index().to_dict(orient="records"),
    }, out / "metrics.json")
    files["manifest"] = write_json(manifest(plain, overrides, scenario), out / "manifest.json")
    return ScenarioRun(scenario, out, table, summary, units, files)
