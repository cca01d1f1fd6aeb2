"""Delayed days avoided and net saving of each option against a baseline, paired over replications.

Replication *r* of every job uses the same random streams (common random numbers): the same patients
arrive with the same needs. The difference baseline - option in replication *r* therefore removes most
of the noise that two independent runs would carry, and its mean and confidence interval are what a
board paper should quote. The unpaired interval is reported alongside, to show what pairing bought.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import special  # stdtrit: Student-t quantiles, as scipy.stats.t.ppf (without its import time)

from flowsim.experiment.sweep import SweepTables
from flowsim.measures.aggregate import confidence_interval

__all__ = ["compare_to_baseline", "select_baseline"]

_DAYS_PER_YEAR = 365.0


def select_baseline(tables: SweepTables, where: Mapping[str, Any] | None = None) -> int | str:
    """The baseline job: the one matching ``where`` (swept key -> value), else the first job."""
    jobs = tables.results.drop_duplicates("job")
    if where:
        mask = np.ones(len(jobs), dtype=bool)
        for key, value in where.items():
            if key not in jobs.columns:
                raise KeyError(f"{key} is not a swept parameter (swept: {', '.join(tables.swept)})")
            mask &= (jobs[key] == value).to_numpy()
        if mask.sum() != 1:
            asked = " ".join(f"{key}={value}" for key, value in where.items())
            raise KeyError(f"baseline {asked} matches {int(mask.sum())} jobs, not exactly one")
        return jobs["job"][mask].iloc[0]
    return jobs["job"].iloc[0]


def _welch_half_width(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> float:
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if va + vb > 0 else 1.0
    return float(special.stdtrit(dof, 0.5 + level / 2) * np.sqrt(va + vb))


def compare_to_baseline(tables: SweepTables, baseline: int | str | None = None) -> pd.DataFrame:
    """Paired differences of every job against ``baseline`` (default: the first job).

    Columns (per year = scaled from the observation window to 365 days):

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
    scale = _DAYS_PER_YEAR / tables.observed_days
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
        avoided = (b["delayed_days_total"] - o["delayed_days_total"]).to_numpy() * scale
        acute = (b["cost_delayed_days"] - o["cost_delayed_days"]).to_numpy() * scale
        added_cost = (o[services] - b[services]).to_numpy() * scale
        net = acute - added_cost
        mean, low, high = confidence_interval(avoided)
        net_mean, net_low, net_high = confidence_interval(net)
        added = float(capacity[job] - capacity[base_job])
        front = {"job": job, **{k: group[k].iloc[0] for k in tables.swept}}
        unpaired = (_welch_half_width(b["delayed_days_total"].to_numpy() * scale,
                                      o["delayed_days_total"].to_numpy() * scale)
                    if len(common) > 1 else float("nan"))
        by_reason = {}
        for column in [c for c in results.columns if c.startswith("delayed_days_reason_")]:
            reason = column.removeprefix("delayed_days_reason_")
            r_mean, r_low, r_high = confidence_interval((b[column] - o[column]).to_numpy() * scale)
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
