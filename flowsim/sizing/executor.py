"""Running a batch of candidates' replications: here, in worker processes (forked on Linux, else joblib's).

Each replication is one task (the candidate's validated scenario and the replication index), so two
workers share a batch whatever its mix of candidates; results come back as they finish, and the
search stores each at once, so an interruption loses only the replications still running.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import partial

from tqdm.auto import tqdm

from flowsim.experiment.runner import run_replication
from flowsim.experiment.workers import in_workers
from flowsim.model.scenario import Scenario, build_scenario
from flowsim.sizing.evaluations import Job

__all__ = ["LocalExecutor"]


def _kpis(scenarios: Sequence[Scenario], task: tuple[int, int]) -> tuple[int, int, dict[str, float]]:
    job, replication = task
    return job, replication, run_replication(scenarios[job], replication, keep_episodes=False).metrics.kpis


@dataclass
class LocalExecutor:
    """Runs replications in this process (``n_jobs=1``) or in worker processes.

    Parameters
    ----------
    n_jobs : int
        Worker processes (-1: every CPU); results do not depend on it.
    progress : bool
        Show a tqdm bar per batch.
    """

    n_jobs: int = 1
    progress: bool = False
    description: str = "evaluating"

    def __call__(self, jobs: Sequence[Job]) -> Generator[tuple[int, int, dict[str, float]], None, None]:
        scenarios = [build_scenario(job.config) for job in jobs]
        tasks = [(i, r) for i, job in enumerate(jobs) for r in job.replications]
        run = partial(_kpis, scenarios)
        results: Iterator[tuple[int, int, dict[str, float]]] = (
            (run(task) for task in tasks) if self.n_jobs == 1 else in_workers(run, tasks, self.n_jobs))
        with closing(results):  # the workers stop when this does
            yield from tqdm(results, total=len(tasks), desc=self.description, unit="rep", leave=False,
                            disable=not self.progress)
