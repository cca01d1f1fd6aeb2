"""Delayed days avoided and net saving of each option against a baseline, paired over replications.

Replication *r* of every job uses the same random streams (common random numbers): the same patients
arrive with the same needs. The difference baseline - option in replication *r* therefore removes most
of the noise that two independent runs would carry, and its mean and confidence interval are what a
board paper should quote. The unpaired interval is reported alongside, to show what pairing bought.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from flowsim.experiment.sweep import SweepTables, as_text
from flowsim.measures.aggregate import confidence_interval
from flowsim.measures.student_t import t_quantile

__all__ = ["compare_to_baseline", "per_year_difference", "select_baseline", "valuations_only"]

_DAYS_PER_YEAR = 365.0


def select_baseline(tables: SweepTables, where: Mapping[str, Any] | None = None) -> int | str:
    """The baseline job: the one matching ``where`` (swept key -> value), else the first job.

    Raises ``KeyError(message)`` for a key that is not swept and ``KeyError(message, jobs matched)``
    when no job or several match.
    """
    jobs = tables.results.drop_duplicates("job")
    if where:
        mask = np.ones(len(jobs), dtype=bool)
        for key, value in where.items():
            if key not in jobs.columns:
                raise KeyError(f"{key} is not a swept parameter (swept: {', '.join(tables.swept)})")
            column = jobs[key]
            if not isinstance(value, str) and all(v is None or isinstance(v, str) for v in column):
                value = as_text(value)  # a column of mixed types is written as text (collect_sweep)
            mask &= (column == value).to_numpy()
        if mask.sum() != 1:
            asked = " ".join(f"{key}={value}" for key, value in where.items())
            # the values there are, to pick from (a value not swept gave "matches 0 jobs" alone)
            values = "; ".join(f"{key} takes {', '.join(str(v) for v in _in_order(jobs[key]))}"
                               for key in tables.swept)
            raise KeyError(f"baseline {asked} matches {int(mask.sum())} jobs, not exactly one ({values})",
                           int(mask.sum()))
        return jobs["job"][mask].iloc[0]
    return jobs["job"].iloc[0]


def valuations_only(swept: Sequence[str]) -> bool:
    """Whether every swept setting is a price (``costs.*``, a unit's ``cost_per_*``), so the jobs simulate
    one system and their differences are valuations, not options."""
    return bool(swept) and all(key.startswith("costs.") or key.rpartition(".")[2].startswith("cost_per_")
                               for key in swept)


def _in_order(column: pd.Series) -> list[Any]:
    """A column's distinct values, sorted where they can be (numbers), else as they come."""
    values = list(dict.fromkeys(column))
    try:
        return sorted(values)
    except TypeError:
        return values


def _welch_half_width(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> float:
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if va + vb > 0 else 1.0
    return float(t_quantile(dof, 0.5 + level / 2) * np.sqrt(va + vb))


def per_year_difference(first: pd.DataFrame, second: pd.DataFrame, column: str,
                        observed_days: float) -> np.ndarray:
    """``first - second`` of ``column`` per 365 days, replication by replication.

    Each side is scaled by its own observation window (its ``observed_days`` column), so jobs that
    observed different lengths (a sweep of ``run.horizon_days``) compare as yearly rates; tables
    without that column use ``observed_days``.

    Parameters
    ----------
    first, second : pandas.DataFrame
        Rows of two jobs, paired by position (the same replications in the same order).
    column : str
        A total over the window, e.g. ``delayed_days_total``.
    observed_days : float
        The window of tables without an ``observed_days`` column.
    """
    a, b = first[column].to_numpy(dtype=float), second[column].to_numpy(dtype=float)
    a_scale, b_scale = _per_year_scale(first, observed_days), _per_year_scale(second, observed_days)
    if np.array_equal(a_scale, b_scale):  # one window: the difference scaled once, as it always was
        return (a - b) * a_scale
    return a * a_scale - b * b_scale


def _per_year_scale(rows: pd.DataFrame, observed_days: float) -> np.ndarray:
    if "observed_days" in rows.columns:
        return _DAYS_PER_YEAR / rows["observed_days"].to_numpy(dtype=float)
    return np.full(len(rows), _DAYS_PER_YEAR / observed_days)


def compare_to_baseline(tables: SweepTables, baseline: int | str | None = None) -> pd.DataFrame:
    """Paired differences of every job against ``baseline`` (default: the first job).

    Columns (per year = scaled from each job's observation window to 365 days, so a sweep of the
    run's length compares yearly rates):

    - ``delayed_days_avoided_per_year`` (mean) with ``_ci_low``/``_ci_high``, and
      ``_unpaired_half_width`` for comparison with the paired ``_half_width``;
    - ``added_capacity``: places added over the baseline, all units, as time-average commissioned places
      (``mean_capacity``: a surge open a third of the year counts a third of its places);
      ``delayed_days_avoided_per_added_place``;
    - ``acute_saving_per_year`` (delayed days avoided x acute bed-day cost),
      ``added_cost_per_year`` (service costs over the baseline: units' block and occupied-day
      costs, coordinators and flats),
      ``net_saving_per_year`` with CI, and ``return_per_pound`` (acute saving / added cost);
    - ``<reason>_delayed_days_avoided_per_year`` with CI for each delay reason (admin, P1, P2, P3,
      housing, calendar).
    """
    results = tables.results
    base_job = select_baseline(tables) if baseline is None else baseline
    # Time-average commissioned places (a winter surge counts for the months it is open); sweeps
    # written before mean_capacity existed have only the capacity at the start.
    places = "mean_capacity" if "mean_capacity" in tables.units.columns else "capacity"
    capacity = tables.units.groupby(["job", "replication"])[places].sum().groupby("job").first()
    base = results[results["job"] == base_job].set_index("replication")
    # sweeps written before housing costs existed only have unit costs
    services = "cost_services" if "cost_services" in results.columns else "cost_units"
    rows = []
    for job, group in results.groupby("job", sort=False):
        option = group.set_index("replication")
        common = option.index.intersection(base.index)
        b, o = base.loc[common], option.loc[common]
        avoided = per_year_difference(b, o, "delayed_days_total", tables.observed_days)
        acute = per_year_difference(b, o, "cost_delayed_days", tables.observed_days)
        added_cost = per_year_difference(o, b, services, tables.observed_days)
        net = acute - added_cost
        mean, low, high = confidence_interval(avoided)
        net_mean, net_low, net_high = confidence_interval(net)
        added = float(capacity[job] - capacity[base_job])
        front = {"job": job, **{k: group[k].iloc[0] for k in tables.swept}}
        unpaired = (_welch_half_width(
            b["delayed_days_total"].to_numpy() * _per_year_scale(b, tables.observed_days),
            o["delayed_days_total"].to_numpy() * _per_year_scale(o, tables.observed_days))
            if len(common) > 1 else float("nan"))
        by_reason = {}
        for column in [c for c in results.columns if c.startswith("delayed_days_reason_")]:
            reason = column.removeprefix("delayed_days_reason_")
            r_mean, r_low, r_high = confidence_interval(
                per_year_difference(b, o, column, tables.observed_days))
            by_reason[f"{reason}_delayed_days_avoided_per_year"] = r_mean
            by_reason[f"{reason}_delayed_days_avoided_per_year_ci_low"] = r_low
            by_reason[f"{reason}_delayed_days_avoided_per_year_ci_high"] = r_high
        rows.append({
            **front,
            "baseline_job": base_job,
            "pairs": len(common),
            "delayed_days_avoided_per_year": mean,
            "delayed_days_avoided_per_year_ci_low": low,
            "delayed_days_avoided_per_year_ci_high": high,
            "delayed_days_avoided_per_year_half_width": high - mean,
            "delayed_days_avoided_per_year_unpaired_half_width": unpaired,
            "added_capacity": added,
            "delayed_days_avoided_per_added_place": mean / added if added else float("nan"),
            "acute_saving_per_year": float(acute.mean()) if acute.size else float("nan"),
            "added_cost_per_year": float(added_cost.mean()) if added_cost.size else float("nan"),
            "net_saving_per_year": net_mean,
            "net_saving_per_year_ci_low": net_low,
            "net_saving_per_year_ci_high": net_high,
            "return_per_pound": (float(acute.mean() / added_cost.mean())
                                 if added_cost.size and added_cost.mean() > 0 else float("nan")),
            **by_reason,
        })
    return pd.DataFrame(rows)
