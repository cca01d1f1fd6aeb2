"""How much work a run is, before it starts: episodes, memory, and whether readmissions end.

The event log streams (:mod:`flowsim.model.eventlog`): a replication holds the episodes in progress,
and of the finished ones only what exact percentiles and the daily counts need. Measured with
``outputs.patients=false``: the default system over 1, 10 and 20 years peaked at 162, 183 and 208 MiB
for 0.11, 0.93 and 1.84 million expected episodes (27-28 bytes an episode beyond the first year), and
England (10,000 NCTR a day) at 0.38 GiB for one year and 0.87 GiB for five and a half (20.5 million
expected episodes: about 35 bytes each over a process of about 0.2 GB, flowsim and its libraries
imported). With patient records on, a replication gathers up to one Parquet row group
(:data:`flowsim.experiment.io.ROWS_PER_GROUP` episodes) of records before writing it, about 600 bytes
each (the default system: 233, 729 and 828 MiB). The parent process keeps each replication's
summaries and daily census, not its tables. :func:`check_memory` refuses a run whose estimate cannot
fit, with the estimate and what to change, instead of letting it die of MemoryError hours in.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from flowsim.model.bounds import MEMORY_SHARE
from flowsim.model.errors import ConfigError
from flowsim.model.scenario import Scenario

__all__ = [
    "BYTES_PER_EPISODE_KEPT",
    "BYTES_PER_EPISODE_SIMULATED",
    "BYTES_PER_PROCESS",
    "available_memory",
    "check_memory",
    "estimate_memory",
    "expected_episodes",
]

BYTES_PER_PROCESS = 200_000_000  # Python with flowsim, numpy, pandas, pyarrow, SciPy and Hydra imported
BYTES_PER_EPISODE_SIMULATED = 40
BYTES_PER_EPISODE_KEPT = 600  # a patient record waiting, with others, to be written as a row group
BYTES_PER_PLACE = 16  # a free-since time per place in each unit's deque
BYTES_PER_CENSUS_DAY = 8 * 16  # daily midnight series kept per replication (a few columns)
_CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


def expected_episodes(scenario: Scenario) -> float:
    """Expected NCTR episodes logged by one replication (arrivals, their readmissions, the census).

    Each episode leads to another with probability ``scenario.readmissions_per_episode`` (a geometric
    number of episodes per patient), but no faster than one readmission cycle (time to readmission
    plus the clinical stay) at a time until the run stops (the horizon plus the cool-down).
    """
    arrivals = float(scenario.arrival_rates_per_day.sum()) + scenario.initial_census.patients
    share = min(scenario.readmissions_per_episode, 1.0)
    cycle = scenario.time_to_readmission.mean + scenario.readmission_clinical_los.mean
    per_patient = math.inf if share >= 1.0 else 1.0 / (1.0 - share)
    if cycle > 0:
        per_patient = min(per_patient, 1.0 + scenario.end_days / cycle)
    return arrivals * per_patient


def estimate_memory(scenario: Scenario, *, patients: bool, replications: int) -> float:
    """Estimated peak bytes of a run of ``replications`` (``scenario.n_jobs`` at a time).

    Parameters
    ----------
    scenario : Scenario
    patients : bool
        Whether each replication writes ``patients.parquet`` (its records are gathered a row group
        at a time).
    replications : int
        How many replications the run may do (``precision.max_replications`` when adaptive).
    """
    from flowsim.experiment.io import ROWS_PER_GROUP  # with pandas: not while a config is checked

    episodes = expected_episodes(scenario)
    at_once = min(scenario.n_jobs, replications)
    places = sum(max([u.capacity, *(c for _, c in u.availability.schedule)]) for u in scenario.units)
    places += sum(f.capacity for f in scenario.housing.flats) + scenario.acute.beds
    records = min(episodes, ROWS_PER_GROUP) * BYTES_PER_EPISODE_KEPT if patients else 0.0
    running = episodes * BYTES_PER_EPISODE_SIMULATED + records + places * BYTES_PER_PLACE
    # Forked workers share the parent's pages until they write them: the process is counted once.
    kept = replications * math.ceil(scenario.horizon_days) * BYTES_PER_CENSUS_DAY
    return BYTES_PER_PROCESS + at_once * running + kept


def available_memory() -> int | None:
    """Bytes of memory this process may use: physical memory, or a lower container limit; None if unknown."""
    try:
        limit = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    for path in _CGROUP_LIMITS:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            limit = min(limit, int(text))
    return limit if limit > 0 else None


def check_memory(scenario: Scenario, *, patients: bool, replications: int,
                 available: int | None = None) -> float:
    """Refuse a run whose estimated memory exceeds ``bounds.MEMORY_SHARE`` of what is available.

    Parameters
    ----------
    scenario : Scenario
    patients : bool
        Whether ``outputs.patients`` keeps every replication's patient table.
    replications : int
        Replications the run may do.
    available : int, optional
        Bytes available; default :func:`available_memory` (no check if unknown).

    Returns
    -------
    float
        The estimate in bytes.

    Raises
    ------
    ConfigError
        With the estimate, what it is made of, and what to change.
    """
    estimate = estimate_memory(scenario, patients=patients, replications=replications)
    available = available_memory() if available is None else available
    if available is None or estimate <= MEMORY_SHARE * available:
        return estimate
    episodes = expected_episodes(scenario)
    at_once = min(scenario.n_jobs, replications)
    fixes = ["shorten run.horizon_days"]
    if at_once > 1:
        fixes.append("run fewer replications at once (lower n_jobs)")
    if patients:
        fixes.append("set outputs.patients=false")
    fixes.append("or model a smaller system")
    raise ConfigError(
        "run.horizon_days",
        f"this run needs an estimated {estimate / 1e9:,.1f} GB of memory ({episodes:,.0f} episodes per "
        f"replication at ~{BYTES_PER_EPISODE_SIMULATED:,} bytes each, {at_once} replication(s) at once"
        + (", patient records gathered a row group at a time" if patients else "")
        + f") but {MEMORY_SHARE:.0%} of this machine's memory is {MEMORY_SHARE * available / 1e9:,.1f} GB",
        ", ".join(fixes))
