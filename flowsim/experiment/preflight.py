"""Everything checked before a run starts, so a bad input stops it before any file is written.

:func:`check_run` validates a composed configuration as a whole: the system (:func:`build_scenario`,
strict keys and bounds included), the ``outputs`` and ``precision`` sections (KPI names included),
and whether the run's estimated memory fits (:func:`flowsim.experiment.workload.check_memory`).
:func:`check_output_dir` makes sure results can be written where they are meant to go. The
``flowsim`` command calls both from a Hydra callback, before Hydra creates the output folder, and
:func:`flowsim.experiment.pipeline.run_scenario` calls them again for code that runs scenarios directly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from flowsim.experiment.precision import PrecisionSettings, precision_settings
from flowsim.experiment.workload import check_memory
from flowsim.experiment.writable import why_not_writable
from flowsim.measures.kpi_table import HEADLINE_KPIS
from flowsim.model.census import InitialCensus
from flowsim.model.errors import ConfigError
from flowsim.model.scenario import Scenario, build_scenario
from flowsim.model.strict import closest
from flowsim.model.validate import flag

__all__ = ["RunPlan", "check_folder_kind", "check_output_dir", "check_run", "kpi_names"]


@dataclass(frozen=True)
class RunPlan:
    """A validated run: the system, the precision settings and which tables to write."""

    scenario: Scenario
    precision: PrecisionSettings
    census: bool
    patients: bool
    summary: bool


def kpi_names(scenario: Scenario) -> tuple[str, ...]:
    """The KPI columns a replication of ``scenario`` reports (from an empty one-day run)."""
    from flowsim.measures.metrics import compute_metrics  # the model only when a KPI name needs checking
    from flowsim.model.journey import simulate

    empty = dataclasses.replace(scenario, horizon_days=1.0, warm_up_days=0.0, cool_down_days=0.0,
                                arrival_rates_per_day=np.zeros(1), initial_census=InitialCensus())
    with np.errstate(all="ignore"):
        return tuple(compute_metrics(simulate(empty, 0)).kpis)


def _check_kpis(kpis: tuple[str, ...], scenario: Scenario) -> None:
    if all(k in HEADLINE_KPIS for k in kpis):
        return
    known = kpi_names(scenario)
    for kpi in kpis:
        if kpi not in known:
            guess = closest(kpi, known)
            raise ConfigError("precision.kpis", f"unknown KPI {kpi!r}",
                              f"did you mean {guess}?" if guess else
                              "use a column of replications.parquet such as delayed_days_per_year")


def check_run(config: Mapping[str, Any]) -> RunPlan:
    """Validate a plain (resolved) configuration as a whole run.

    Parameters
    ----------
    config : Mapping
        A composed configuration as plain containers (``OmegaConf.to_container(cfg, resolve=True)``).

    Returns
    -------
    RunPlan

    Raises
    ------
    ConfigError
        On the first invalid value, or if the run's estimated memory does not fit.
    """
    scenario = build_scenario(config)
    precision = precision_settings(config)
    _check_kpis(precision.kpis, scenario)
    outputs = config.get("outputs") or {}
    wanted = {name: flag(outputs.get(name), f"outputs.{name}", True)
              for name in ("census", "patients", "summary")}
    most = max(scenario.replications, precision.max_replications if precision.adaptive else 0)
    check_memory(scenario, patients=wanted["patients"], replications=most)
    return RunPlan(scenario, precision, **wanted)


def check_output_dir(path: str | Path, field: str) -> Path:
    """Create the folder ``path`` if needed and make sure a file can be written in it.

    Raises
    ------
    ConfigError
        Naming ``field`` (e.g. ``hydra.run.dir``), the folder and why it cannot be written.
    """
    folder = Path(str(path))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or type(error).__name__
    else:
        reason = why_not_writable(folder)
    if reason is not None:
        raise ConfigError(field, f"cannot write results to {str(folder)!r} ({reason})",
                          f"give {field} a folder you can write to, e.g. {field}=outputs/my_run")
    return folder


def check_folder_kind(path: str | Path, field: str, sweep: bool) -> None:
    """Refuse to write a sweep into a single run's folder, or a single run into a sweep's.

    Both write ``summary.csv`` at the top of their folder, so one would overwrite the other's, and
    ``flowsim-report`` would then read the folder as the wrong kind.

    Raises
    ------
    ConfigError
        Naming ``field`` (``hydra.sweep.dir`` or ``hydra.run.dir``) and what the folder holds.
    """
    from flowsim.experiment.run_folder import MARKER
    from flowsim.experiment.sweep_jobs import SWEEP_FILE

    folder = Path(str(path))
    if sweep and (folder / MARKER).is_file():
        raise ConfigError(field, f"{str(folder)!r} holds the results of a single run ({MARKER})",
                          "give the sweep a folder of its own, e.g. hydra.sweep.dir=multirun/my_sweep")
    if not sweep and (folder / SWEEP_FILE).is_file():
        raise ConfigError(field, f"{str(folder)!r} holds a sweep ({SWEEP_FILE})",
                          "give the run a folder of its own, e.g. hydra.run.dir=outputs/my_run")
