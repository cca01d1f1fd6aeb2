"""How long to discard at the start of a run: warm-up help for planners.

Every flowsim run starts with an empty system: no one is waiting in an acute bed and every P1, P2 and
P3 place is free. Real systems are never empty, so for the first weeks the simulated queues, delayed
days and occupancies under-state what a planner would see. Counting those weeks makes a system look
better than it is, and makes a small change look bigger or smaller than it is. ``run.warm_up_days``
says how much of the run to leave out; it must be long enough for the NCTR census and every unit's
occupancy to have reached their usual level.

This module suggests that length from a few long replications started empty (no warm-up):

* :func:`mser` is the MSER-5 truncation rule (White 1997; Hoad, Robinson & Davies 2010): the point
  that minimises the standard error of the mean of what is left;
* :func:`welch_moving_average` is Welch's graphical method (Law & Kelton): the across-replication mean
  smoothed by a centred moving average, to see the settling by eye;
* :func:`suggest_warm_up` applies MSER-5 to each series' across-replication mean and takes the longest,
  rounded up to whole weeks (the arrivals have a weekly pattern). Given a reference (runs started
  52 weeks earlier, :data:`REFERENCE_LEAD_DAYS`, seen at the same dates), it applies MSER-5 to the
  difference from the reference's mean instead: in a system whose arrivals or places vary over the
  year, the difference holds the start-up and not the season, which MSER would take for a transient;
* :func:`run_for_warm_up` runs the replications and returns the daily series.

The functions above :func:`run_for_warm_up` are pure and use numpy only; the figure is in
:mod:`flowsim.reporting.warmup_plots` and the command in :mod:`flowsim.cli.warmup`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from flowsim.model.scenario import Scenario
    from flowsim.model.unit_spec import UnitSpec

__all__ = [
    "MIN_RESAMPLED",
    "REFERENCE_LEAD_DAYS",
    "WarmUpSuggestion",
    "has_places",
    "mser",
    "reference_days",
    "replication_mean",
    "resampled_range",
    "run_for_warm_up",
    "search_limit_days",
    "suggest_warm_up",
    "welch_moving_average",
]

DAYS_PER_WEEK = 7
# How much earlier the reference runs start: whole weeks (the weekday pattern lines up) and about a
# year (the months do, to a day), so that by the dates compared they have left their own start behind
REFERENCE_LEAD_DAYS = 52 * DAYS_PER_WEEK


def _batch_means(series: np.ndarray, batch: int) -> np.ndarray:
    """Means of consecutive, non-overlapping batches (NaN ignored; an all-NaN batch gives NaN).

    Observations left over after the last whole batch are dropped, as in MSER-5.
    """
    k = series.size // batch
    blocks = series[: k * batch].reshape(k, batch)
    finite = np.isfinite(blocks)
    counts = finite.sum(axis=1)
    sums = np.where(finite, blocks, 0.0).sum(axis=1)
    return np.divide(sums, counts, out=np.full(k, np.nan), where=counts > 0)


def _max_truncation(batches: int, max_fraction: float) -> int:
    """Largest truncation searched, in batches: ``max_fraction`` of them, keeping at least two."""
    return max(0, min(math.floor(max_fraction * batches), batches - 2))


def _check(batch: int, max_fraction: float) -> None:
    if isinstance(batch, bool) or not isinstance(batch, int | np.integer) or batch < 1:
        raise ValueError(f"batch must be a whole number >= 1, got {batch!r}")
    if not 0.0 <= max_fraction < 1.0:
        raise ValueError(f"max_fraction must be in [0, 1), got {max_fraction!r}")


def _mser_batches(series: np.ndarray, batch: int, max_fraction: float) -> tuple[int, int]:
    """(truncation in batches, largest truncation searched in batches)."""
    _check(batch, max_fraction)
    values = np.asarray(series, dtype=float).ravel()
    means = _batch_means(values, batch)
    limit = _max_truncation(means.size, max_fraction)
    if np.isfinite(means).sum() < 2:
        return 0, limit
    stat = np.full(limit + 1, np.inf)
    for d in range(limit + 1):
        rest = means[d:]
        rest = rest[np.isfinite(rest)]
        if rest.size < 2:
            continue
        stat[d] = np.sum((rest - rest.mean()) ** 2) / rest.size**2
    if not np.isfinite(stat).any():
        return 0, limit
    best = np.min(stat)
    # Ties (e.g. a series that is constant once full) go to the earliest truncation; the tolerance
    # absorbs rounding in the means of identical values.
    scale = np.max(stat[np.isfinite(stat)])
    return int(np.flatnonzero(stat <= best + 1e-9 * scale)[0]), limit


def mser(series: np.ndarray, batch: int = 5, max_fraction: float = 0.5) -> int:
    """MSER truncation point of one output series (MSER-5 with the default ``batch``).

    The series is cut into consecutive batches of ``batch`` observations and their means
    :math:`Y_1..Y_k` taken (left-over observations at the end are dropped). For each candidate
    truncation :math:`d` (in batches)

    .. math:: \\mathrm{MSER}(d) = \\frac{1}{(k-d)^2} \\sum_{i>d} (Y_i - \\bar Y_{k,d})^2

    where :math:`\\bar Y_{k,d}` is the mean of the batch means after the first :math:`d`; the
    truncation minimising it balances the bias left by the start against the precision lost by
    discarding data (White 1997; Hoad, Robinson & Davies 2010).

    Parameters
    ----------
    series : numpy.ndarray
        One output series, one observation per day (e.g. the across-replication mean census).
        NaN values are ignored: a batch mean is over its finite values, and a batch with none is
        left out of the sums (it still counts as a position for the truncation).
    batch : int
        Observations per batch; 5 gives MSER-5.
    max_fraction : float
        Truncations are searched up to this fraction of the batches (Hoad et al.: a minimum beyond
        half the run means the run is too short to tell), always keeping at least two batches.

    Returns
    -------
    int
        The truncation in original observations (days): :math:`d^* \\times` ``batch``. 0 when the
        series has fewer than two batches with data.
    """
    d, _ = _mser_batches(series, batch, max_fraction)
    return d * batch


def replication_mean(replications: np.ndarray) -> np.ndarray:
    """Mean over replications (rows) of each day (column), ignoring NaN; NaN where a day has none.

    A 1-D array is taken as a single replication.
    """
    values = np.atleast_2d(np.asarray(replications, dtype=float))
    finite = np.isfinite(values)
    counts = finite.sum(axis=0)
    sums = np.where(finite, values, 0.0).sum(axis=0)
    return np.divide(sums, counts, out=np.full(values.shape[1], np.nan), where=counts > 0)


def welch_moving_average(replications: np.ndarray, window: int) -> np.ndarray:
    """Welch's moving average of the across-replication mean (Law & Kelton).

    Parameters
    ----------
    replications : numpy.ndarray
        Replications x days (a 1-D array is one replication).
    window : int
        Half-width :math:`w` of the centred window: day :math:`i` is the mean of days
        :math:`i-w..i+w` (:math:`2w+1` values). Near the start, where fewer than :math:`w` days
        precede it, day :math:`i` (0-based) averages days :math:`0..2i` (:math:`2i+1` values), as in
        Law & Kelton; the last :math:`w` days are treated the same way mirrored (Law & Kelton stop at
        :math:`m-w`), so the result has one value per day. NaN days are skipped in each mean.

    Returns
    -------
    numpy.ndarray
        One smoothed value per day, the same length as a replication.
    """
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 0:
        raise ValueError(f"window must be a whole number >= 0, got {window!r}")
    mean = replication_mean(replications)
    m = mean.size
    finite = np.isfinite(mean)
    csum = np.concatenate([[0.0], np.cumsum(np.where(finite, mean, 0.0))])
    ccount = np.concatenate([[0], np.cumsum(finite)])
    index = np.arange(m)
    half = np.minimum(np.minimum(index, m - 1 - index), window)
    lo, hi = index - half, index + half + 1
    counts = ccount[hi] - ccount[lo]
    return np.divide(csum[hi] - csum[lo], counts, out=np.full(m, np.nan), where=counts > 0)


@dataclass(frozen=True)
class WarmUpSuggestion:
    """A suggested ``run.warm_up_days`` and how it was reached."""

    days: int  # the suggestion: the longest per-series truncation, rounded up to whole weeks
    per_series: dict[str, int]  # MSER truncation (days) of each series' across-replication mean
    unsettled: tuple[str, ...]  # series whose truncation hit the search limit: run longer to tell
    run_days: int  # days per replication the suggestion is based on
    replications: int
    batch: int
    reference_lead_days: int = 0  # > 0: MSER of the difference from runs started this much earlier
    # the suggestion over resampled replications (:func:`resampled_range`): (low, high) days, or None
    resampled_days: tuple[int, int] | None = None

    @property
    def limiting_series(self) -> str | None:
        """The series that settles last (sets the suggestion), or None if there are none."""
        if not self.per_series:
            return None
        return max(self.per_series, key=lambda name: self.per_series[name])

    @property
    def override(self) -> str:
        """The Hydra override to use, e.g. ``run.warm_up_days=42``."""
        return f"run.warm_up_days={self.days}"


def suggest_warm_up(series_by_name: Mapping[str, np.ndarray], batch: int = 5,
                    max_fraction: float = 0.5, reference: Mapping[str, np.ndarray] | None = None,
                    reference_lead_days: int = REFERENCE_LEAD_DAYS) -> WarmUpSuggestion:
    """Suggest a warm-up from several daily series of runs started empty.

    Parameters
    ----------
    series_by_name : mapping of str to numpy.ndarray
        Each value is replications x days (e.g. from :func:`run_for_warm_up`); all the same number
        of days.
    batch : int
        MSER batch size (5: MSER-5).
    max_fraction : float
        See :func:`mser`.
    reference : mapping of str to numpy.ndarray, optional
        For each series, replications x the same days of runs started ``reference_lead_days``
        earlier (:func:`reference_days`): the level a settled system has at the same dates. MSER
        is then applied to each series' mean minus the reference's mean, which leaves the
        start-up and takes out what the calendar does to both.
    reference_lead_days : int
        How much earlier the reference runs started (recorded in the suggestion).

    Returns
    -------
    WarmUpSuggestion
        Per series, the MSER truncation of its across-replication mean (or of its difference from
        the reference's); overall, the largest of them rounded up to a whole number of weeks.
    """
    per_series: dict[str, int] = {}
    unsettled = []
    run_days = replications = 0
    for name, values in series_by_name.items():
        table = np.atleast_2d(np.asarray(values, dtype=float))
        run_days, replications = max(run_days, table.shape[1]), max(replications, table.shape[0])
        mean = replication_mean(table)
        if reference is not None:
            settled = replication_mean(np.atleast_2d(np.asarray(reference[name], dtype=float)))
            if settled.shape != mean.shape:
                raise ValueError(f"reference of {name} has {settled.size} days, the series {mean.size}")
            mean = mean - settled
        d, limit = _mser_batches(mean, batch, max_fraction)
        per_series[name] = d * batch
        if limit > 0 and d >= limit:
            unsettled.append(name)
    longest = max(per_series.values(), default=0)
    days = DAYS_PER_WEEK * math.ceil(longest / DAYS_PER_WEEK)
    return WarmUpSuggestion(days=days, per_series=per_series, unsettled=tuple(unsettled),
                            run_days=run_days, replications=replications, batch=batch,
                            reference_lead_days=reference_lead_days if reference is not None else 0)


def search_limit_days(run_days: int, batch: int = 5, max_fraction: float = 0.5) -> int:
    """The longest warm-up :func:`suggest_warm_up` can suggest from runs of ``run_days`` days.

    Parameters
    ----------
    run_days : int
        Days per replication (the series' length).
    batch, max_fraction
        As for :func:`suggest_warm_up`.

    Returns
    -------
    int
        The largest truncation searched, in days, rounded up to whole weeks as a suggestion is: a
        suggestion (or a resampled one) this long may be where the search stopped, not where the
        series settled.
    """
    _check(batch, max_fraction)
    days = _max_truncation(run_days // batch, max_fraction) * batch
    return DAYS_PER_WEEK * math.ceil(days / DAYS_PER_WEEK)


def reference_days(series_by_name: Mapping[str, np.ndarray], lead_days: int, days: int
                   ) -> dict[str, np.ndarray]:
    """The days of reference runs that fall on the dates of the runs they are compared with.

    ``series_by_name`` are replications x days of runs started ``lead_days`` earlier; day ``lead_days``
    of theirs is day 0 of the compared runs. Returns their days ``lead_days`` to ``lead_days + days``.
    """
    return {name: np.atleast_2d(values)[:, lead_days:lead_days + days]
            for name, values in series_by_name.items()}


RESAMPLES = 200  # resamplings of the replications behind the suggestion's range
MIN_RESAMPLED = 3  # fewer replications are not resampled: too few distinct draws to tell a range
RESAMPLED_SHARE = 0.8  # the range holds this share of the resampled suggestions (10th to 90th percentile)


def resampled_range(series_by_name: Mapping[str, np.ndarray], rng: np.random.Generator,
                    reference: Mapping[str, np.ndarray] | None = None, batch: int = 5,
                    max_fraction: float = 0.5, resamples: int = RESAMPLES) -> tuple[int, int] | None:
    """How firm a suggestion is: the suggestion again over replications drawn with replacement.

    Each resample draws as many replications as there are, with replacement (and as many of the
    reference's), and suggests a warm-up from them as :func:`suggest_warm_up` does. A few long
    replications give an MSER truncation that moves with their noise; the range says by how much.

    Parameters
    ----------
    series_by_name, reference, batch, max_fraction
        As for :func:`suggest_warm_up`.
    rng : numpy.random.Generator
        The draws (flowsim keys it by the run's seed, so the range is the same each time).
    resamples : int
        How many resamplings.

    Returns
    -------
    tuple of int or None
        The 10th and 90th percentiles of the resampled suggestions (days, whole weeks); None with
        fewer than :data:`MIN_RESAMPLED` replications, too few to resample.
    """
    tables = {name: np.atleast_2d(np.asarray(v, dtype=float)) for name, v in series_by_name.items()}
    counts = {table.shape[0] for table in tables.values()}
    if not tables or min(counts) < MIN_RESAMPLED:
        return None
    count = min(counts)
    settled = None if reference is None else {
        name: np.atleast_2d(np.asarray(v, dtype=float)) for name, v in reference.items()}
    settled_count = None if settled is None else min(t.shape[0] for t in settled.values())
    days = []
    for _ in range(resamples):
        rows = rng.integers(0, count, count)
        drawn = {name: table[rows] for name, table in tables.items()}
        again = None
        if settled is not None:
            rows = rng.integers(0, settled_count, settled_count)
            again = {name: table[rows] for name, table in settled.items()}
        days.append(suggest_warm_up(drawn, batch, max_fraction, again).days)
    low, high = np.quantile(days, [(1 - RESAMPLED_SHARE) / 2, (1 + RESAMPLED_SHARE) / 2], method="nearest")
    return int(low), int(high)


def has_places(unit: UnitSpec) -> bool:
    """Whether ``unit`` has places at some time of the run: at the start, or from a dated step up.

    One without any stays empty, so its occupancy has nothing to settle; one that opens later fills
    from empty then.
    """
    return unit.capacity > 0 or any(places > 0 for _, places in unit.availability.schedule)


@dataclass(frozen=True)
class _CensusTask:
    """Picklable: one replication of a no-warm-up scenario -> (replication, daily series)."""

    scenario: Scenario

    def __call__(self, replication: int) -> tuple[int, dict[str, np.ndarray]]:
        from flowsim.measures.metrics import compute_metrics
        from flowsim.model.journey import simulate

        census = compute_metrics(simulate(self.scenario, replication)).census
        # a unit without places at any time (capacity 0, no step up) stays empty: nothing to settle
        units = [unit.name for unit in self.scenario.units if has_places(unit)]
        names = ["nctr_census", *(f"occupied_{name}" for name in units),
                 *(["acute_beds_occupied"] if self.scenario.acute.enabled else [])]  # its pool fills too
        return replication, {name: np.asarray(census[name], dtype=float) for name in names}


def run_for_warm_up(scenario: Scenario, replications: int, n_jobs: int = 1,
                    progress: bool = False, first_replication: int = 0,
                    description: str = "warm-up replications") -> dict[str, np.ndarray]:
    """Run replications ``first_replication`` onwards from empty and return their daily midnight series.

    The scenario's own warm-up is set to 0 (:func:`flowsim.measures.metrics.compute_metrics` drops the
    warm-up from the census), so every series starts at day 0 of the run. Choose the horizon when
    building the scenario (``run.horizon_days``): a few times the longest length of stay at least.

    Parameters
    ----------
    scenario : Scenario
    replications : int
        How many replications (3-5 long ones are usually enough to see the settling).
    n_jobs : int
        joblib worker processes; 1 runs here. Results do not depend on it.
    progress : bool
        Show a progress bar.
    first_replication : int
        The number of the first replication (its random streams): reference runs take numbers after
        the compared runs', so that the two sets are independent.
    description : str
        The progress bar's label.

    Returns
    -------
    dict of str to numpy.ndarray
        ``nctr_census`` (NCTR patients in acute beds at midnight), ``occupied_<unit>`` (occupied
        places at midnight) for each unit that has places at some time and, with the acute bed pool on,
        ``acute_beds_occupied``; each replications x days (column *j* is midnight of day *j*).
    """
    from flowsim.experiment.runner import iter_replications

    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ValueError(f"replications must be a whole number >= 1, got {replications!r}")
    # the census series is all that is used: no window, so no cool-down either
    task = _CensusTask(dataclasses.replace(scenario, warm_up_days=0.0, cool_down_days=0.0))
    numbers = range(first_replication, first_replication + replications)
    results = dict(iter_replications(task, numbers, n_jobs, progress, description=description))
    ordered = [results[r] for r in numbers]
    return {name: np.vstack([series[name] for series in ordered]) for name in ordered[0]}
