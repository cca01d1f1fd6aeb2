"""Running a batch of candidates through a Hydra launcher: joblib here, Ray or Slurm on a cluster.

Each candidate is one Hydra job whose overrides are the system's own plus the candidate's values
(``services.ic_beds.capacity=404``, a surge block as a ``capacity_schedule`` list, ``seed=...``): the
launcher composes the job's config from them exactly as ``flowsim -m`` would, so every job folder
holds a config anyone can rerun with ``flowsim``. The job checks that what Hydra composed is the
candidate the search meant (same run identity) before it runs the replications it was given.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.plugins import Plugins
from hydra.types import HydraContext, RunMode
from omegaconf import DictConfig, OmegaConf

from flowsim.experiment.identity import run_identity
from flowsim.experiment.launcher_settings import check_launcher
from flowsim.experiment.runner import run_replication
from flowsim.model.compose import config_dir, search_dir_override
from flowsim.model.compose_store import kept_on_disk
from flowsim.model.config import register_configs
from flowsim.model.kept_parses import parsed_once
from flowsim.model.overrides import normalise_overrides
from flowsim.model.scenario import build_scenario
from flowsim.sizing.evaluations import Job

__all__ = ["HydraLauncherExecutor"]


@dataclass(frozen=True)
class _Task:
    """The function every launched job calls: run its replications of the config Hydra composed."""

    expected: dict[int, tuple[str, tuple[int, ...]]]  # job number -> (run identity digest, replications)

    def __call__(self, cfg: DictConfig) -> list[tuple[int, dict[str, float]]]:
        digest, replications = self.expected[HydraConfig.get().job.num]
        composed = run_identity(OmegaConf.to_container(cfg, resolve=True)).digest  # type: ignore[arg-type]
        if composed != digest:
            raise RuntimeError(f"job {HydraConfig.get().job.num}: Hydra composed another config than the "
                               "candidate the search meant (a flowsim bug: please report it)")
        scenario = build_scenario(cfg)
        return [(r, run_replication(scenario, r, keep_episodes=False).metrics.kpis) for r in replications]


class HydraLauncherExecutor:
    """Runs each batch's candidates as jobs of the launcher in ``hydra/launcher`` (joblib by default).

    Parameters
    ----------
    overrides : sequence of str
        The system's overrides (as given to ``flowsim``), launcher settings included, e.g.
        ``hydra/launcher=submitit_slurm``, ``hydra.launcher.n_jobs=4``.
    folder : path
        Job folders go in ``folder/<n>/`` (Hydra's sweep directory).
    directory : path, optional
        A folder of the user's own configs (``--config-dir``), searched after the packaged ones.
    """

    def __init__(self, overrides: Sequence[str], folder: str | Path, directory: str | Path | None = None):
        searched = [] if directory is None else [search_dir_override(directory)]
        self.overrides = [*searched, *normalise_overrides(list(overrides))]
        self.folder = Path(folder).resolve()
        self.jobs_launched = 0

    @contextlib.contextmanager
    def _hydra(self) -> Iterator[tuple[Any, DictConfig]]:
        register_configs()
        # the jobs of each batch are composed where they run (forked workers inherit the parses), and
        # each batch's own composition after the first is taken from disk, as is a resumed search's
        with parsed_once(), kept_on_disk(), initialize_config_dir(config_dir=str(config_dir()),
                                                                  version_base="1.3"):
            loader = GlobalHydra.instance().config_loader()
            config = loader.load_configuration(
                "config", [*self.overrides, f"hydra.sweep.dir={self.folder}", "hydra.callbacks={}"],
                run_mode=RunMode.MULTIRUN)
            check_launcher(config)  # before any job: Slurm off a cluster would fail inside submitit
            HydraConfig.instance().set_config(config)
            yield loader, config

    def __call__(self, jobs: Sequence[Job]) -> Generator[tuple[int, int, dict[str, float]], None, None]:
        first = self.jobs_launched
        expected = {first + i: (job.digest, job.replications) for i, job in enumerate(jobs)}
        job_overrides = [[*self.overrides, *job.overrides, f"seed={int(job.config.seed)}"] for job in jobs]
        with self._hydra() as (loader, config):
            launcher = Plugins.instance().instantiate_launcher(
                hydra_context=HydraContext(config_loader=loader, callbacks=_no_callbacks()),
                task_function=_Task(expected), config=config)
            returns = launcher.launch(job_overrides, initial_job_idx=first)
        self.jobs_launched += len(jobs)
        for index, job_return in enumerate(returns):
            for replication, kpis in job_return.return_value:  # re-raises a job's error here
                yield index, replication, kpis


def _no_callbacks() -> Any:
    from hydra._internal.callbacks import Callbacks  # flowsim's sweep callbacks do not apply to jobs

    return Callbacks()
