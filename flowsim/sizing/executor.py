"""Running a batch of candidates' replications: here, with joblib workers.

Each replication is one task (the candidate's validated scenario and the replication index), so two
workers share a batch whatever its mix of candidates; results come back as they finish, and the
search stores each at once, so an interruption loses only the replications still running.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from joblib import Parallel, delayed
from tqdm.auto import tqdm

from flowsim.experiment.runner import run_replication
from flowsim.model.scenario import Scenario, build_scenario
from flowsim.sizing.evaluations import Job

__all__ = ["LocalExecutor"]


def _kpis(scenario: Scenario, job: int, replication: int) -> tuple[int, int, dict[str, float]]:
    return job, replication, run_replication(scenario, replication, keep_episodes=False).metrics.kpis


@dataclass
class LocalExecutor:
    """Runs replications in this process (``n_jobs=1``) or in joblib worker processes.

    Parameters
    ----------
    n_jobs : int
        Worker processes; results do not depend on it.
    progress : bool
        Show a tqdm bar per batch.
    """

    n_jobs: int = 1
    progress: bool = False
    description: str = "evaluating"

    def __call__(self, jobs: Sequence[Job]) -> Iterator[tuple[int, int, dict[str, float]]]:
        scenarios = [build_scenario(job.config) for job in jobs]
        tasks = [(i, r) for i, job in enumerate(jobs) for r in job.replications]
        if self.n_jobs == 1:
            results: Iterator[tuple[int, int, dict[str, float]]] = (
                _kpis(scenarios[i], i, r) for i, r in tasks)
        else:
            parallel = Parallel(n_jobs=self.n_jobs, return_as="generator_unordered")
            results = parallel(delayed(_kpis)(scenarios[i], i, r) for i, r in tasks)
        yield from tqdm(results, total=len(tasks), desc=self.description, unit="rep", leave=False,
                        disable=not self.progress)
