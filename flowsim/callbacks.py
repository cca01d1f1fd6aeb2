"""Hydra callbacks: validate a run, or every job of a sweep, before any runs; gather a sweep at the end.

Registered in ``configs/config.yaml`` under ``hydra.callbacks``. They run in the launching process,
whichever launcher (basic, joblib, Ray, submitit) runs the jobs, and before Hydra creates the output
folder: a bad config or an output folder that cannot be written leaves nothing behind.
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
from flowsim.preflight import check_output_dir, check_run

__all__ = ["CollectSweep", "ValidateSweep", "plain_config", "sweep_job_overrides"]


def plain_config(config: DictConfig) -> dict[str, Any]:
    """``config`` as plain resolved containers, without Hydra's own ``hydra`` section."""
    keys = [k for k in config if k != "hydra"]
    return OmegaConf.to_container(OmegaConf.masked_copy(config, keys), resolve=True)  # type: ignore[return-value]


def sweep_job_overrides(config: DictConfig) -> list[list[str]]:
    """The override list of every job a multirun of ``config`` will launch (as BasicSweeper does)."""
    hydra_cfg = config.hydra
    params = hydra_cfg.sweeper.get("params")
    arguments = [f"{k}={v}" for k, v in params.items()] if params else []
    arguments += list(hydra_cfg.overrides.task)
    parsed = OverridesParser.create().parse_overrides(arguments)
    return [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]


class ValidateSweep(Callback):
    """Validate a run's config, or every sweep job's, and the output folder, before anything runs."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        # Hydra turns a callback's exception into a warning and runs the job anyway: exit here instead.
        from flowsim.cli import describe_error  # the CLI module owns the one-line messages

        try:
            check_run(plain_config(config))
            check_output_dir(config.hydra.run.dir, "hydra.run.dir")
        except Exception as error:
            line = describe_error(error)
            if line is None:
                raise
            print(f"flowsim: error: {line}", file=sys.stderr)
            sys.exit(EXIT_CONFIG_ERROR)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        for number, overrides in enumerate(sweep_job_overrides(config)):
            try:
                job = compose(config_name="config", overrides=overrides)
                check_run(OmegaConf.to_container(job, resolve=True))
            except ConfigError as error:
                print(f"flowsim: error: sweep job {number} ({' '.join(overrides)}): {error}",
                      file=sys.stderr)
                sys.exit(EXIT_CONFIG_ERROR)
        try:
            check_output_dir(config.hydra.sweep.dir, "hydra.sweep.dir")
        except ConfigError as error:
            print(f"flowsim: error: {error}", file=sys.stderr)
            sys.exit(EXIT_CONFIG_ERROR)


class CollectSweep(Callback):
    """Gather the sweep into ``results.parquet``, ``summary.csv`` and ``comparison.csv``."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from flowsim.cli import collect_and_report  # the CLI module owns the printed report

        collect_and_report(str(config.hydra.sweep.dir))
