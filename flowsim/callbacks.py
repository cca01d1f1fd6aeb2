"""Hydra callbacks for sweeps: validate every job before any runs; gather the results at the end.

Registered in ``configs/config.yaml`` under ``hydra.callbacks``. They run in the launching process,
whichever launcher (basic, joblib, Ray, submitit) runs the jobs.
"""

from __future__ import annotations

import sys
from typing import Any

from hydra import compose
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from flowsim.errors import EXIT_CONFIG_ERROR, ConfigError
from flowsim.precision import precision_settings
from flowsim.scenario import build_scenario

__all__ = ["CollectSweep", "ValidateSweep", "sweep_job_overrides"]



def sweep_job_overrides(config: DictConfig) -> list[list[str]]:
    """The override list of every job a multirun of ``config`` will launch (as BasicSweeper does)."""
    hydra_cfg = config.hydra
    params = hydra_cfg.sweeper.get("params")
    arguments = [f"{k}={v}" for k, v in params.items()] if params else []
    arguments += list(hydra_cfg.overrides.task)
    parsed = OverridesParser.create().parse_overrides(arguments)
    return [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]


class ValidateSweep(Callback):
    """Compose and validate every job's config before the launcher starts any of them."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        for number, overrides in enumerate(sweep_job_overrides(config)):
            try:
                job = compose(config_name="config", overrides=overrides)
                plain = OmegaConf.to_container(job, resolve=True)
                build_scenario(plain)
                precision_settings(plain)
            except ConfigError as error:
                print(f"flowsim: error: sweep job {number} ({' '.join(overrides)}): {error}",
                      file=sys.stderr)
                sys.exit(EXIT_CONFIG_ERROR)


class CollectSweep(Callback):
    """Gather the sweep into ``results.parquet``, ``summary.csv`` and ``comparison.csv``."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from flowsim.cli import collect_and_report  # the CLI module owns the printed report

        collect_and_report(str(config.hydra.sweep.dir))
