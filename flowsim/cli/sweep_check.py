"""Every job of a sweep composed and checked before any job runs, in parallel where the jobs will run.

With flowsim's launcher (the default) on Linux the checks run in workers forked from the sweep's
process, as its jobs then do: a 20-job sweep on two cores does not wait for twenty compositions one
after another before its first job starts. With the joblib launcher (and flowsim's where it cannot
fork) they go to the same pool of worker processes the launcher then runs the jobs in: joblib keeps
that pool between calls when its settings are the same, so the workers' start-up is paid once. Any
other launcher (basic, Ray, Slurm) gets its checks here, one job after another.

Each job is composed exactly as the launcher composes it (Hydra's ``load_sweep_config``), so the
identity recorded for a job is the one its run computes. A large sweep's checks take minutes (about
0.2 s of CPU a job): :func:`checking_progress` shows them, so that the sweep does not look hung.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from omegaconf import DictConfig, OmegaConf

from flowsim.experiment.identity import RunIdentity, run_identity
from flowsim.experiment.launcher_settings import JOBLIB_LAUNCHERS
from flowsim.experiment.preflight import check_run
from flowsim.model.errors import ConfigError
from flowsim.model.shadowed import check_config_files
from flowsim.model.validate import fmt

# the joblib launcher, and flowsim's (joblib's, forking its workers where it can)

__all__ = ["NOTE_FROM", "JobCheck", "check_job", "check_jobs", "checking_progress", "launcher_forked_workers",
           "launcher_pool", "plain_config"]

NOTE_FROM = 100  # jobs: a smaller sweep is checked in a few seconds, and says nothing off a terminal
_BAR_DELAY = 1.0  # seconds: a bar only for checks that take longer


@dataclass(frozen=True)
class JobCheck:
    """One sweep job's check: its identity, or the one-line problem that stops the sweep."""

    overrides: tuple[str, ...]
    identity: RunIdentity | None
    problem: str | None = None
    replications: int | None = None  # the replications its results must hold (None: adaptive precision)


def plain_config(config: DictConfig) -> dict[str, Any]:
    """``config`` as plain resolved containers, without Hydra's own ``hydra`` section.

    What ``OmegaConf.to_container(OmegaConf.masked_copy(config, keys), resolve=True)`` gives, but key
    by key as ``to_container`` converts a mapping's keys (a missing value stays ``"???"``), without the
    masked copy's deep copy of every node (59 ms in a slow hour, against 21 ms this way), paid by a run
    as it starts and by each job of a sweep before any runs. A config with an interpolation that
    mentions ``hydra`` takes the masked copy: there, as in the run's own config, Hydra's section is
    out of reach.
    """
    keys = [key for key in config if key != "hydra"]
    if any(_mentions_hydra(_content(config, key, resolve=False)) for key in keys):
        return OmegaConf.to_container(OmegaConf.masked_copy(config, keys), resolve=True)  # type: ignore[return-value]
    return {key: _content(config, key, resolve=True) for key in keys}


def _content(config: DictConfig, key: str, resolve: bool) -> Any:
    """The value of ``key`` in ``config`` as ``to_container`` converts a mapping's value."""
    from omegaconf import Container
    from omegaconf.basecontainer import BaseContainer
    from omegaconf.errors import InterpolationResolutionError

    node = config._get_child(key, throw_on_missing_value=False)
    if resolve:
        try:
            node = node._dereference_node()
        except InterpolationResolutionError as error:
            config._format_and_raise(key=key, value=None, cause=error)
    if isinstance(node, Container):
        return BaseContainer._to_content(node, resolve=resolve, throw_on_missing=False)
    return node._value()


def _mentions_hydra(value: Any) -> bool:
    """Whether an unresolved value holds an interpolation with ``hydra`` in it."""
    if isinstance(value, str):
        return "${" in value and "hydra" in value
    if isinstance(value, dict):
        return any(_mentions_hydra(v) for v in value.values())
    if isinstance(value, list):
        return any(_mentions_hydra(v) for v in value)
    return False


def check_job(loader: Any, master: DictConfig, overrides: Sequence[str],
              singleton_state: dict[Any, Any] | None = None) -> JobCheck:
    """Compose one job as the launcher will, validate it and compute its identity.

    Parameters
    ----------
    loader : hydra ConfigLoader
        The running Hydra's config loader (picklable: the launchers send it to their workers too).
    master : DictConfig
        The sweep's own config (``hydra.overrides`` and ``hydra.job.config_name`` say how to compose).
    overrides : sequence of str
        The job's overrides.
    singleton_state : dict, optional
        Hydra's singletons (the config store with flowsim's schema) for a worker process to adopt.

    Returns
    -------
    JobCheck
        With ``problem`` set when the job's config is wrong or cannot be composed; an error that is
        not a user's mistake (a bug) is raised.
    """
    from flowsim.cli.config_errors import describe_error

    if singleton_state is not None:
        from hydra.core.singleton import Singleton

        Singleton.set_state(singleton_state)
    try:
        composed = loader.load_sweep_config(master_config=master, sweep_overrides=list(overrides))
        check_config_files(composed.hydra)
        plain = plain_config(composed)
        check_run(plain)
    except ConfigError as error:
        return JobCheck(tuple(overrides), None, str(error))
    except Exception as error:
        line = describe_error(error)
        if line is None:
            raise
        return JobCheck(tuple(overrides), None, line)
    # The identity leaves replications out (more of them resume a run), so the count is recorded apart
    replications = None if plain["precision"]["adaptive"] else int(plain["replications"])
    return JobCheck(tuple(overrides), run_identity(plain), replications=replications)


def launcher_pool(config: DictConfig, return_as: str = "list") -> Any | None:
    """A ``joblib.Parallel`` set up as the joblib launcher sets up its own, or None.

    None when the sweep's launcher is not joblib's (or flowsim's, which is joblib's where it cannot
    fork) or runs one job at a time: then the checks run in this process. ``return_as`` is joblib's
    (``"generator"``: each result as it is done, in order).
    """
    launcher = config.hydra.get("launcher")
    if launcher is None or not str(launcher.get("_target_", "")).endswith(JOBLIB_LAUNCHERS):
        return None
    settings = OmegaConf.to_container(launcher, resolve=True)
    assert isinstance(settings, dict)
    settings.pop("_target_", None)
    if settings.get("n_jobs") == 1:
        return None
    from hydra_plugins.hydra_joblib_launcher._core import process_joblib_cfg
    from joblib import Parallel

    settings["backend"] = "loky"  # as the launcher does: then joblib hands it the same workers
    process_joblib_cfg(settings)
    return Parallel(**settings, return_as=return_as)


def launcher_forked_workers(config: DictConfig) -> int | None:
    """How many workers flowsim's launcher forks for the sweep of ``config``; None if it does not fork."""
    from hydra_plugins.flowsim_launcher.flowsim_launcher import LAUNCHER_TARGET, forked_workers

    launcher = config.hydra.get("launcher")
    if launcher is None or str(launcher.get("_target_", "")) != LAUNCHER_TARGET:
        return None
    return forked_workers(launcher.get("n_jobs"))


@contextlib.contextmanager
def checking_progress(jobs: int) -> Iterator[Callable[[], object] | None]:
    """What to call as each of ``jobs`` checks finishes: a progress bar's step on a terminal.

    The bar (on stderr) appears only once the checks have taken a second. Off a terminal a sweep of
    :data:`NOTE_FROM` jobs or more says once how many are being checked, and None is given.
    """
    if sys.stderr.isatty():
        from tqdm.auto import tqdm

        with tqdm(total=jobs, desc="checking jobs", unit="job", delay=_BAR_DELAY, file=sys.stderr) as bar:
            yield bar.update
        return
    if jobs >= NOTE_FROM:
        print(f"flowsim: note: checking the {fmt(jobs)} jobs of the sweep before any of them runs",
              file=sys.stderr, flush=True)
    yield None


def check_jobs(config: DictConfig, jobs: Sequence[Sequence[str]],
               finished: Callable[[], object] | None = None) -> list[JobCheck]:
    """Check every job of the sweep of ``config``; returned in job order.

    Parameters
    ----------
    config : DictConfig
        The sweep's config, as a Hydra callback receives it.
    jobs : sequence of sequence of str
        Each job's overrides (:func:`flowsim.cli.callbacks.sweep_job_overrides`).
    finished : callable, optional
        Called (without arguments) as each job's check finishes, e.g. a progress bar's ``update``.
    """
    from hydra.core.global_hydra import GlobalHydra

    loader = GlobalHydra.instance().config_loader()
    forked = launcher_forked_workers(config) if len(jobs) > 1 else None
    if forked is not None:  # flowsim's launcher: checked in workers forked as its own are
        from flowsim.experiment.workers import map_forked

        return map_forked(partial(check_job, loader, config), [list(o) for o in jobs], forked, finished)
    pool = launcher_pool(config, return_as="generator") if len(jobs) > 1 else None
    if pool is None:
        checked = (check_job(loader, config, overrides) for overrides in jobs)
    else:
        from hydra.core.singleton import Singleton
        from joblib import delayed

        state = Singleton.get_state()
        checked = pool(delayed(check_job)(loader, config, list(overrides), state) for overrides in jobs)
    checks = []
    for check in checked:  # in job order, each as it is done
        checks.append(check)
        if finished is not None:
            finished()
    return checks
