"""Across replications: tidy tables, means and confidence intervals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["HEADLINE_KPIS", "confidence_interval", "replication_table", "summarise"]

# The KPIs a board paper quotes; summarised with a CI whenever there is more than one replication.
HEADLINE_KPIS = (
    "delayed_days_per_year",
    "delay_mean_days",
    "delay_P1_mean_days",
    "delay_P2_mean_days",
    "delay_P3_mean_days",
    "nctr_census_mean",
    "nctr_census_midnight_p95",
    "p2_blocked_bed_days",
    "cost_delayed_days",
    "cost_units",
    "cost_total",
)


def confidence_interval(values: Sequence[float] | np.ndarray, level: float = 0.95
                        ) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent replication values.

    Returns
    -------
    (mean, low, high)
        ``low``/``high`` are NaN with fewer than two finite values.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(x.mean())
    if x.size < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return mean, mean - half, mean + half


def replication_table(kpis_by_replication: Iterable[tuple[int, dict[str, float]]]) -> pd.DataFrame:
    """One row per replication, one column per KPI, plus ``replication``."""
    rows = [{"replication": r, **kpis} for r, kpis in kpis_by_replication]
    return pd.DataFrame(rows).sort_values("replication", ignore_index=True)


def summarise(table: pd.DataFrame, kpis: Sequence[str] | None = None, level: float = 0.95
              ) -> pd.DataFrame:
    """Mean, CI and relative half-width of each KPI over the rows of ``table``.

    Returns
    -------
    pandas.DataFrame
        Columns ``kpi, n, mean, sd, ci_low, ci_high, half_width_pct``.
    """
    names = [k for k in (kpis or [c for c in table.columns if c != "replication"])
             if k in table.columns]
    rows = []
    for name in names:
        values = table[name].to_numpy(dtype=float)
        mean, low, high = confidence_interval(values, level)
        finite = values[np.isfinite(values)]
        rows.append({
            "kpi": name,
            "n": int(finite.size),
            "mean": mean,
            "sd": float(finite.std(ddof=1)) if finite.size > 1 else float("nan"),
            "ci_low": low,
            "ci_high": high,
            "half_width_pct": (100 * (high - mean) / abs(mean)) if mean else float("nan"),
        })
    return pd.DataFrame(rows)
