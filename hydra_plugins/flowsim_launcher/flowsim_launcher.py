"""Hydra's joblib launcher, whose workers on Linux are forked from the sweep's own process.

The joblib launcher runs jobs in loky workers: fresh Pythons that each import flowsim, Hydra,
numpy, pandas and pyarrow again before their first job (about 0.9 s of CPU each). On Linux this
launcher forks its workers from the sweep's process instead, so they start with everything
imported, and a 20-job sweep on two workers runs close to twice as fast as on one. Each job is run
exactly as the joblib launcher runs it (its ``execute_job``: composed in the worker, its own folder
and logs), so the results are the same whichever launcher runs them.

It takes the joblib launcher's settings; ``hydra.launcher.n_jobs`` is the number of workers (-1,
the default: every CPU). With one worker the jobs run in this process, and where a process cannot
fork (macOS, Windows) it is the joblib launcher, as they are. Each job's return comes back to the
sweep as the joblib launcher's does, except that its ``hydra_cfg`` is an untyped copy (same values).

Hydra loads plugins only from the ``hydra_plugins`` package, hence this module's place.
"""

# No ``from __future__ import annotations``: Hydra executes plugin modules outside sys.modules,
# where a dataclass cannot resolve string annotations.
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn
from hydra_plugins.hydra_joblib_launcher.config import JobLibLauncherConf
from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher
from omegaconf import OmegaConf

log = logging.getLogger(__name__)
LAUNCHER_TARGET = "hydra_plugins.flowsim_launcher.flowsim_launcher.FlowsimLauncher"


@dataclass
class FlowsimLauncherConf(JobLibLauncherConf):
    """``hydra/launcher=flowsim``: the joblib launcher's settings."""

    _target_: str = LAUNCHER_TARGET


ConfigStore.instance().store(group="hydra/launcher", name="flowsim", node=FlowsimLauncherConf,
                             provider="flowsim")


def forked_workers(n_jobs: int | None) -> int | None:
    """How many forked workers this launcher runs jobs in with ``hydra.launcher.n_jobs=n_jobs``.

    None when it does not fork: one worker, or a platform that cannot fork.
    """
    from flowsim.experiment.workers import can_fork

    if not can_fork():
        return None
    from joblib import effective_n_jobs

    workers = effective_n_jobs(-1 if n_jobs is None else n_jobs)
    return workers if workers > 1 else None


class FlowsimLauncher(JoblibLauncher):
    """The joblib launcher, with workers forked from this process where it can fork."""

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        """Run every job of ``job_overrides``; their returns in job order."""
        n_jobs = forked_workers(self.joblib.get("n_jobs"))
        if n_jobs is None:
            return super().launch(job_overrides, initial_job_idx)
        from hydra.core.singleton import Singleton
        from hydra.core.utils import configure_log, filter_overrides, setup_globals
        from hydra_plugins.hydra_joblib_launcher._core import execute_job
        from tqdm.auto import tqdm

        from flowsim.experiment.workers import map_forked

        assert self.config is not None and self.task_function is not None and self.hydra_context is not None
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        log.info(f"{n_jobs} forked workers are launching {len(job_overrides)} jobs")
        log.info(f"Launching jobs, sweep output dir : {sweep_dir}")
        for idx, overrides in enumerate(job_overrides):
            log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
        state = Singleton.get_state()
        run = partial(_execute, execute_job, self.hydra_context, self.config, self.task_function, state)
        jobs = [(initial_job_idx + idx, list(overrides)) for idx, overrides in enumerate(job_overrides)]
        # one bar for the sweep: the jobs' own replication bars would overwrite each other (see _task)
        with tqdm(total=len(jobs), desc="sweep", unit="job", disable=not sys.stderr.isatty()) as bar:
            return map_forked(run, jobs, n_jobs, bar.update)


def _execute(execute_job: Any, hydra_context: Any, config: Any, task_function: Any, state: Any,
             job: tuple[int, list[str]]) -> JobReturn:
    """One job, as the joblib launcher runs it in its workers."""
    idx, overrides = job
    job_return = execute_job(idx, overrides, hydra_context, config, task_function, state)
    if job_return.hydra_cfg is not None:
        # Hydra's config is typed with plugin classes that pickle only by value, slowly (50 ms a
        # job); the same values, untyped, go back to the sweep in a millisecond
        job_return.hydra_cfg = OmegaConf.create(OmegaConf.to_container(job_return.hydra_cfg))
    return job_return
