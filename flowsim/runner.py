"""Replications, sequential or in parallel, with identical results either way.

Each replication's random streams are keyed by ``(seed, replication, stream name)``, so the result of
replication *r* does not depend on which worker ran it or in what order; a scenario and its baseline
run with the same seed share common random numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from joblib import Parallel, delayed
from tqdm.auto import tqdm

from flowsim.eventlog import EpisodeTable
from flowsim.metrics import RunMetrics, compute_metrics
from flowsim.model import simulate
from flowsim.scenario import Scenario

__all__ = ["ReplicationOutput", "run_replication", "run_replications"]


@dataclass(frozen=True)
class ReplicationOutput:
    """One replication: its index, KPIs and (optionally) its episode log."""

    replication: int
    metrics: RunMetrics
    episodes: EpisodeTable | None


def run_replication(scenario: Scenario, replication: int, keep_episodes: bool = True
                    ) -> ReplicationOutput:
    """Simulate one replication and compute its metrics.

    Parameters
    ----------
    scenario : Scenario
    replication : int
        Index keying the random streams (0-based).
    keep_episodes : bool
        Return the episode log too (needed for ``patients.parquet``); dropping it saves memory.
    """
    result = simulate(scenario, replication)
    return ReplicationOutput(replication, compute_metrics(result),
                             result.episodes if keep_episodes else None)


def run_replications(
    scenario: Scenario,
    replications: Sequence[int] | None = None,
    *,
    n_jobs: int | None = None,
    keep_episodes: bool = True,
    progress: bool = True,
    runner: Callable[[Scenario, int, bool], ReplicationOutput] = run_replication,
) -> list[ReplicationOutput]:
    """Run several replications, in replication order whatever the number of workers.

    Parameters
    ----------
    scenario : Scenario
    replications : sequence of int, optional
        Which replication indices to run; default ``range(scenario.replications)``.
    n_jobs : int, optional
        Worker processes (joblib); default ``scenario.n_jobs``. 1 runs in this process.
    keep_episodes : bool
        Keep each replication's episode log.
    progress : bool
        Show a progress bar (tqdm) when more than one replication runs.

    Returns
    -------
    list of ReplicationOutput
        Sorted by replication index.
    """
    indices = list(range(scenario.replications) if replications is None else replications)
    jobs = n_jobs or scenario.n_jobs
    bar = progress and len(indices) > 1
    if jobs == 1:
        iterator: Iterator[ReplicationOutput] = (runner(scenario, r, keep_episodes) for r in indices)
    else:
        parallel = Parallel(n_jobs=jobs, return_as="generator")
        iterator = parallel(delayed(runner)(scenario, r, keep_episodes) for r in indices)
    outputs = list(tqdm(iterator, total=len(indices), desc="replications", unit="rep",
                        disable=not bar))
    return sorted(outputs, key=lambda out: out.replication)
