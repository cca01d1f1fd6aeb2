"""Hydra callbacks: validate a run, or every job of a sweep, before any runs, and record the sweep;
refuse a run folder another run is writing; gather a sweep at the end.

Registered in ``configs/config.yaml`` under ``hydra.callbacks``. They run in the launching process,
whichever launcher (basic, joblib, Ray, submitit) runs the jobs, and before Hydra creates the output
folder: a bad config or an output folder that cannot be written leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from flowsim.cli.sweep_check import check_jobs, checking_progress, plain_config
from flowsim.cli.sweep_size import LIMIT, check_sweep_size, sweep_limit
from flowsim.experiment.launcher_settings import check_launcher
from flowsim.experiment.lock import folder_lock, refuse_if_locked
from flowsim.experiment.preflight import check_folder_kind, check_output_dir, check_run
from flowsim.model.errors import EXIT_CONFIG_ERROR, ConfigError
from flowsim.model.shadowed import check_config_files

__all__ = ["CollectSweep", "RefuseBusyRunDir", "ValidateSweep", "plain_config", "sweep_job_overrides",
           "sweep_overrides"]


def _loader() -> Any:
    """The running Hydra's config loader (a glob, ``scenario=glob(*)``, lists a group's options); or None."""
    hydra = GlobalHydra.instance()
    return hydra.config_loader() if hydra.is_initialized() else None


def sweep_overrides(config: DictConfig) -> list[Override]:
    """The overrides a multirun of ``config`` sweeps, parsed: ``hydra.sweeper.params``, then the task's."""
    hydra_cfg = config.hydra
    params = hydra_cfg.sweeper.get("params")
    arguments = [f"{k}={v}" for k, v in params.items()] if params else []
    arguments += list(hydra_cfg.overrides.task)
    return OverridesParser.create(config_loader=_loader()).parse_overrides(arguments)


def sweep_job_overrides(config: DictConfig) -> list[list[str]]:
    """The override list of every job a multirun of ``config`` will launch (as BasicSweeper does)."""
    return [job for batch in BasicSweeper.split_arguments(sweep_overrides(config), None) for job in batch]


class ValidateSweep(Callback):
    """Validate a run's config, or every sweep job's, and the output folder, before anything runs.

    For a sweep, then write ``sweep.json`` (each job's overrides and identity), so that
    ``flowsim-collect`` gathers exactly this sweep's jobs from the sweep directory; the sweep folder
    is locked from then to the sweep's end.
    """

    def __init__(self) -> None:
        self._sweep_lock = contextlib.ExitStack()

    def __getstate__(self) -> dict[str, Any]:
        # Launchers that pickle Hydra's context for their workers (joblib's loky, Ray) take a copy
        # without the lock: it stays with this process, and a worker has nothing to let go
        return {key: value for key, value in self.__dict__.items() if key != "_sweep_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._sweep_lock = contextlib.ExitStack()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        # after the other callbacks' (Hydra calls them last first): the tables are gathered by now
        self._sweep_lock.close()

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        # Hydra turns a callback's exception into a warning and runs the job anyway: exit here instead.
        from flowsim.cli.config_errors import describe_error

        try:
            check_config_files(config.hydra)
            check_run(plain_config(config))
            check_output_dir(config.hydra.run.dir, "hydra.run.dir")
            check_folder_kind(config.hydra.run.dir, "hydra.run.dir", sweep=False)
        except Exception as error:
            line = describe_error(error)
            if line is None:  # a bug, not a user's mistake: its traceback, and the run does not go on
                traceback.print_exc()
                sys.exit(1)
            print(f"flowsim: error: {line}", file=sys.stderr)
            sys.exit(EXIT_CONFIG_ERROR)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        # Every problem ends the sweep here: Hydra would turn an exception into a warning and go on,
        # and the sweeper (hydra_plugins.flowsim_sweeper) does not compose the jobs again.
        try:
            check_launcher(config)
            check_folder_kind(config.hydra.sweep.dir, "hydra.sweep.dir", sweep=True)
            # counted before the jobs are listed: listing range(0,10000000) alone filled the memory
            limit = config.hydra.sweeper.get("max_jobs")  # Hydra's basic sweeper has no such setting
            check_sweep_size(sweep_overrides(config), sweep_limit(limit), _loader(),
                             limit_key=f"{'+' if limit is None else ''}{LIMIT}")
            refuse_if_locked(str(config.hydra.sweep.dir), "hydra.sweep.dir")  # before minutes of checks
        except ConfigError as error:
            print(f"flowsim: error: {error}", file=sys.stderr)
            sys.exit(EXIT_CONFIG_ERROR)
        # The jobs' checks and the jobs run in workers forked from this process (flowsim's launcher):
        # the run's modules are imported here, once, not in every worker after its fork.
        from flowsim.cli.main import import_run_modules

        import_run_modules()
        try:
            jobs = sweep_job_overrides(config)
            with checking_progress(len(jobs)) as finished:  # a large sweep's checks take minutes
                checks = check_jobs(config, jobs, finished)
        except Exception:  # a bug, not a user's mistake: its traceback, and no job runs
            traceback.print_exc()
            sys.exit(1)
        for number, check in enumerate(checks):
            if check.problem is None:
                continue
            # the job, whatever the problem: a value of the wrong type for the schema (replications=2.5) is
            # found by composing the job, as a ConfigError is by checking it
            where = f"sweep job {number} ({' '.join(check.overrides)}): "
            print(f"flowsim: error: {where}{check.problem}", file=sys.stderr)
            sys.exit(EXIT_CONFIG_ERROR)
        jobs = [(list(check.overrides), check.identity, check.replications) for check in checks]
        try:
            check_output_dir(config.hydra.sweep.dir, "hydra.sweep.dir")
            # One sweep at a time in a folder, to its end (the lock is let go in on_multirun_end, after
            # the tables are gathered, or when this process ends): a second would rewrite sweep.json and
            # the jobs' results under the first, which would then gather the second's
            self._sweep_lock.enter_context(folder_lock(config.hydra.sweep.dir, "hydra.sweep.dir"))
        except ConfigError as error:
            print(f"flowsim: error: {error}", file=sys.stderr)
            sys.exit(EXIT_CONFIG_ERROR)
        from flowsim.experiment.sweep import remove_tables  # with pandas: once the jobs are checked
        from flowsim.experiment.sweep_jobs import recorded_jobs, write_sweep_record

        sweep_dir = str(config.hydra.sweep.dir)
        earlier = recorded_jobs(sweep_dir)
        write_sweep_record(sweep_dir, jobs, [*config.hydra.overrides.hydra, *config.hydra.overrides.task])
        if earlier is not None and recorded_jobs(sweep_dir) != earlier:
            removed = remove_tables(sweep_dir)  # gathered from the earlier jobs: not this sweep's
            if removed:
                print(f"flowsim: note: {', '.join(removed)} in {sweep_dir} gathered an earlier sweep's jobs: "
                      "removed, to be written anew when this sweep ends", file=sys.stderr)


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
