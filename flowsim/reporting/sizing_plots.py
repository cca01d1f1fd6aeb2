"""The Pareto chart of a sizing search: service cost against delayed days, every candidate tried."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from flowsim.reporting.sizing_summary import load_recommendation, shown

__all__ = ["pareto_figure"]

COST = "cost_services_per_year"
DELAY = "delayed_days_per_year"


def pareto_figure(candidates_csv: str | Path, recommendation_json: str | Path) -> Figure:
    """Every candidate (grey), the Pareto front (line), the recommendation (star) and today (square).

    Parameters
    ----------
    candidates_csv, recommendation_json : path
        Written by :func:`flowsim.sizing.outputs.write_sizing`.
    """
    table = pd.read_csv(candidates_csv)
    rec = load_recommendation(recommendation_json)
    figure = Figure(figsize=(7.5, 5.0), layout="constrained")  # no pyplot: no global figure state
    ax = figure.subplots()
    cost = table[f"{COST}_mean"] / 1e6
    delay = table[f"{DELAY}_mean"]
    meets = table["meets_targets"].astype(bool)
    ax.scatter(cost[meets], delay[meets], s=14, color="0.6", label="mixes tried")
    if (~meets).any():
        ax.scatter(cost[~meets], delay[~meets], s=14, color="0.6", marker="x", label="misses a target")
    front = table[table["on_pareto"].astype(bool)].sort_values(f"{COST}_mean")
    ax.plot(front[f"{COST}_mean"] / 1e6, front[f"{DELAY}_mean"], "-o", color="#005EB8", ms=4,
            label="Pareto front (no mix is cheaper and less delayed)")
    chosen = table[table["recommended"].astype(bool)]
    ax.scatter(chosen[f"{COST}_mean"] / 1e6, chosen[f"{DELAY}_mean"], marker="*", s=260, color="#DA291C",
               zorder=5, label="recommended")
    today = table[table["today"].astype(bool)]
    if not today.empty:
        ax.scatter(today[f"{COST}_mean"] / 1e6, today[f"{DELAY}_mean"], marker="s", s=80, color="black",
                   zorder=5, label="today's mix")
    ax.set_xlabel("service cost a year (GBP million)")
    ax.set_ylabel("delayed bed days a year")
    ax.set_title(f"Sizing: {len(table)} mixes tried, each on the same "
                 f"{int(table['replications'].min())} replications", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    mix = "; ".join(f"{k} {shown(rec['recommended'], k)}" for k in rec["recommended"]
                    if shown(rec["recommended"], k) != "-")
    figure.text(0.01, 0.005, "\n".join(textwrap.wrap(f"Recommended: {mix}", 120)), fontsize=7.5,
                va="bottom", ha="left")
    figure.get_layout_engine().set(rect=(0, 0.07, 1, 0.93))  # room for the mix under the axes
    return figure
