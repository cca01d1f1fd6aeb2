"""Hydra callbacks: validate a run, or every job of a sweep, before any runs, and record the sweep;
refuse a run folder another run is writing; gather a sweep at the end.

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

from flowsim.experiment.identity import RunIdentity, run_identity
from flowsim.experiment.lock import refuse_if_locked
from flowsim.experiment.preflight import check_output_dir, check_run
from flowsim.experiment.sweep_jobs import write_sweep_record
from flowsim.model.errors import EXIT_CONFIG_ERROR, ConfigError

__all__ = ["CollectSweep", "RefuseBusyRunDir", "ValidateSweep", "plain_config", "sweep_job_overrides"]


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
    """Validate a run's config, or every sweep job's, and the output folder, before anything runs.

    For a sweep, then write ``sweep.json`` (each job's overrides and identity), so that
    ``flowsim-collect`` gathers exactly this sweep's jobs from the sweep directory.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        # Hydra turns a callback's exception into a warning and runs the job anyway: exit here instead.
        from flowsim.cli.main import describe_error  # the CLI module owns the one-line messages

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
        jobs: list[tuple[list[str], RunIdentity]] = []
        primary = config.hydra.job.config_name  # "config", or another given with --config-name
        for number, overrides in enumerate(sweep_job_overrides(config)):
            try:
                job = compose(config_name=primary, overrides=overrides)
                plain = OmegaConf.to_container(job, resolve=True)
                check_run(plain)
            except ConfigError as error:
                print(f"flowsim: error: sweep job {number} ({' '.join(overrides)}): {error}",
                      file=sys.stderr)
                sys.exit(EXIT_CONFIG_ERROR)
            jobs.append((list(overrides), run_identity(plain)))
        try:
            check_output_dir(config.hydra.sweep.dir, "hydra.sweep.dir")
        except ConfigError as error:
            print(f"flowsim: error: {error}", file=sys.stderr)
            sys.exit(EXIT_CONFIG_ERROR)
        command = [*config.hydra.overrides.hydra, *config.hydra.overrides.task]
        write_sweep_record(str(config.hydra.sweep.dir), jobs, command)


class RefuseBusyRunDir(Callback):
    """Stop a single run whose folder another live flowsim run is writing.

    Before Hydra writes ``.hydra/`` and its log there; the lock that guards the results is the one
    :func:`flowsim.experiment.pipeline.run_scenario` holds.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        try:
            refuse_if_locked(str(config.hydra.run.dir))
        except ConfigError as error:
            # Hydra turns a callback's exception into a warning and carries on: exit here instead
            print(f"flowsim: error: {error}", file=sys.stderr)
            sys.exit(EXIT_CONFIG_ERROR)


class CollectSweep(Callback):
    """Gather the sweep into ``results.parquet``, ``summary.csv`` and ``comparison.csv``."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from flowsim.cli.main import collect_and_report  # the CLI module owns the printed report

        try:
            collect_and_report(str(config.hydra.sweep.dir))
        except ConfigError as error:  # jobs of different runs in the folder: one line, not a warning
            print(f"flowsim: error: {error}", file=sys.stderr)
            sys.exit(EXIT_CONFIG_ERROR)
