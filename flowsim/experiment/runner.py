"""Replications, sequential or in parallel, with identical results either way.

Each replication's random streams are keyed by ``(seed, replication, stream name)``, so the result of
replication *r* does not depend on which worker ran it or in what order; a scenario and its baseline
run with the same seed share common random numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import TypeVar

from flowsim.measures.metrics import (
    RunMetrics,
    compute_metrics,
    metrics_from_tally,
    tally_community_referrals,
    tally_episodes,
)
from flowsim.measures.tally import Tally
from flowsim.model.eventlog import EpisodeTable
from flowsim.model.journey import simulate
from flowsim.model.scenario import Scenario

__all__ = ["ReplicationOutput", "iter_replications", "run_replication", "run_replications"]

T = TypeVar("T")


@dataclass(frozen=True)
class ReplicationOutput:
    """One replication: its index, KPIs and (optionally) its episode log."""

    replication: int
    metrics: RunMetrics
    episodes: EpisodeTable | None


def run_replication(scenario: Scenario, replication: int, keep_episodes: bool = True,
                    on_part: Callable[[EpisodeTable], None] | None = None) -> ReplicationOutput:
    """Simulate one replication and compute its metrics.

    Parameters
    ----------
    scenario : Scenario
    replication : int
        Index keying the random streams (0-based).
    keep_episodes : bool
        Return the whole episode log too. Without it the log is measured part by part as the run goes
        and never held whole, so memory does not grow with the horizon (KPIs may then differ from
        those of the whole log in their last bits: sums are added in another order).
    on_part : callable, optional
        Also called with each part of the log (e.g. :class:`~flowsim.experiment.run_tables.PatientRecords`).
    """
    if keep_episodes:
        result = simulate(scenario, replication)
        if on_part is not None:
            on_part(result.episodes)
        return ReplicationOutput(replication, compute_metrics(result), result.episodes)
    tally = Tally()

    def measure(part: EpisodeTable) -> None:
        tally_episodes(scenario, part, tally)
        if on_part is not None:
            on_part(part)

    result = simulate(scenario, replication, sink=measure)
    tally_community_referrals(result, tally)
    return ReplicationOutput(replication, metrics_from_tally(scenario, tally, result.availability), None)


def iter_replications(task: Callable[[int], T], replications: Sequence[int], n_jobs: int = 1,
                      progress: bool = True, description: str = "replications") -> Iterator[T]:
    """Yield ``task(r)`` for each replication as soon as it finishes (any order when parallel).

    A caller whose loop does work of its own between results should close the iterator when the
    loop ends early (``contextlib.closing``): an interruption then stops the workers at once.

    Parameters
    ----------
    task : callable
        A picklable function of the replication index (e.g. a ``functools.partial``).
    replications : sequence of int
    n_jobs : int
        Worker processes: forked from this one on Linux, else joblib's; 1 runs in this process.
    progress : bool
        Show a tqdm progress bar when more than one replication runs.
    """
    if n_jobs == 1:
        iterator: Iterator[T] = (task(r) for r in replications)
    else:
        from flowsim.experiment.workers import in_workers  # only for workers: a one-process run skips it

        iterator = in_workers(task, replications, n_jobs)
    with closing(iterator):  # however the loop over this ends, the workers stop with it
        if not (progress and len(replications) > 1):
            yield from iterator
            return
        from tqdm.auto import tqdm  # only for a bar: a one-replication run does not pay its import

        yield from tqdm(iterator, total=len(replications), desc=description, unit="rep")


def run_replications(
    scenario: Scenario,
    replications: Sequence[int] | None = None,
    *,
    n_jobs: int | None = None,
    keep_episodes: bool = True,
    progress: bool = True,
) -> list[ReplicationOutput]:
    """Run several replications, returned in replication order whatever the number of workers.

    Parameters
    ----------
    scenario : Scenario
    replications : sequence of int, optional
        Which replication indices to run; default ``range(scenario.replications)``.
    n_jobs : int, optional
        Worker processes (forked on Linux, else joblib's); default ``scenario.n_jobs``.
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
    task = _Task(scenario, keep_episodes)
    outputs = iter_replications(task, indices, n_jobs or scenario.n_jobs, progress)
    return sorted(outputs, key=lambda out: out.replication)


@dataclass(frozen=True)
class _Task:
    scenario: Scenario
    keep_episodes: bool

    def __call__(self, replication: int) -> ReplicationOutput:
        return run_replication(self.scenario, replication, self.keep_episodes)
