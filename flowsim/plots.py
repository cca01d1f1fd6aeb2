"""Figures from aggregated tables (no computation here beyond picking columns).

Each function takes a table produced by :mod:`flowsim.compare` or :mod:`flowsim.aggregate` and
returns a matplotlib Figure; saving is the caller's choice. Axis labels carry units.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["avoided_vs_option"]


def avoided_vs_option(comparison: pd.DataFrame, option: str, option_label: str | None = None) -> Figure:
    """Delayed days avoided per year (95 % CI) and net saving per year against an option's size.

    Parameters
    ----------
    comparison : pandas.DataFrame
        From :func:`flowsim.compare.compare_to_baseline`.
    option : str
        The swept column to put on the x axis (e.g. ``services.care_home_unit.capacity``).
    option_label : str, optional
        x-axis label; defaults to ``option``.
    """
    table = comparison.sort_values(option)
    x = table[option].to_numpy(dtype=float)
    mean = table["delayed_days_avoided_per_year"].to_numpy()
    low = table["delayed_days_avoided_per_year_ci_low"].fillna(table["delayed_days_avoided_per_year"])
    high = table["delayed_days_avoided_per_year_ci_high"].fillna(table["delayed_days_avoided_per_year"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    left.plot(x, mean, marker="o", color="tab:blue", label="mean")
    left.fill_between(x, low, high, alpha=0.25, color="tab:blue", label="95 % CI (paired)")
    left.set_xlabel(option_label or option)
    left.set_ylabel("acute delayed days avoided per year (bed-days)")
    left.axhline(0, color="grey", linewidth=0.8)
    left.legend(loc="upper left")
    net = table["net_saving_per_year"].to_numpy() / 1e6
    net_low = table["net_saving_per_year_ci_low"].fillna(table["net_saving_per_year"]) / 1e6
    net_high = table["net_saving_per_year_ci_high"].fillna(table["net_saving_per_year"]) / 1e6
    right.plot(x, net, marker="o", color="tab:green", label="net saving")
    right.fill_between(x, net_low, net_high, alpha=0.25, color="tab:green", label="95 % CI (paired)")
    right.plot(x, table["added_cost_per_year"].to_numpy() / 1e6, linestyle="--", color="tab:red",
               label="added unit cost")
    right.axhline(0, color="grey", linewidth=0.8)
    right.set_xlabel(option_label or option)
    right.set_ylabel("GBP million per year")
    right.legend(loc="upper left")
    fig.suptitle(f"Against baseline job {table['baseline_job'].iloc[0]}")
    return fig
