"""Figures from aggregated tables (no computation here beyond picking columns).

Each function takes a table produced by :mod:`flowsim.compare` or :mod:`flowsim.aggregate` and
returns a matplotlib Figure; saving is the caller's choice. Axis labels carry units.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["avoided_vs_option"]


def _band(axis, table: pd.DataFrame, x: str, column: str, scale: float, label: str, color) -> None:
    mean = table[column] / scale
    low = table.get(f"{column}_ci_low", table[column]).fillna(table[column]) / scale
    high = table.get(f"{column}_ci_high", table[column]).fillna(table[column]) / scale
    axis.plot(table[x], mean, marker="o", color=color, label=label)
    axis.fill_between(table[x].to_numpy(dtype=float), low, high, alpha=0.2, color=color)


def avoided_vs_option(comparison: pd.DataFrame, option: str, group: str | None = None,
                      avoided: str = "delayed_days_avoided_per_year") -> Figure:
    """Delayed days avoided per year and net saving per year (95 % CI bands) against an option's size.

    Parameters
    ----------
    comparison : pandas.DataFrame
        From :func:`flowsim.compare.compare_to_baseline`.
    option : str
        The swept column on the x axis (e.g. ``services.care_home_unit.capacity``).
    group : str, optional
        A second swept column: one line per value.
    avoided : str
        Which avoided-days column to draw (e.g. ``housing_delayed_days_avoided_per_year``).
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    groups = [(None, comparison)] if group is None else list(comparison.groupby(group, sort=True))
    colors = plt.get_cmap("viridis")
    for i, (value, table) in enumerate(groups):
        table = table.sort_values(option)
        color = colors(i / max(len(groups) - 1, 1)) if group else "tab:blue"
        label = "mean (95 % CI)" if group is None else f"{group.split('.')[-1]} = {value}"
        _band(left, table, option, avoided, 1.0, label, color)
        _band(right, table, option, "net_saving_per_year", 1e6, label, color)
    what = avoided.removesuffix("_delayed_days_avoided_per_year").replace("delayed_days_avoided_per_year",
                                                                           "all")
    left.set_ylabel(f"acute delayed days avoided per year ({what}; bed-days)")
    right.set_ylabel("net saving per year (GBP million)")
    for axis in (left, right):
        axis.set_xlabel(option)
        axis.axhline(0, color="grey", linewidth=0.8)
        axis.legend(loc="best", fontsize="small")
    fig.suptitle(f"Against baseline job {comparison['baseline_job'].iloc[0]} "
                 "(paired over replications; bands: 95 % CI)")
    return fig
