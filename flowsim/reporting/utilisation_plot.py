"""The weekly utilisation heat map: units x weeks, from :func:`flowsim.measures.aggregate.weekly_utilisation`.

Its own module beside :mod:`flowsim.reporting.plots` (the board's other figures): one figure of the
units' places, built on :class:`matplotlib.figure.Figure` as they are.
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

__all__ = ["utilisation_heatmap"]


def utilisation_heatmap(weekly: pd.DataFrame, title: str = "Weekly utilisation by unit") -> Figure:
    """Units x weeks image of utilisation, from :func:`flowsim.measures.aggregate.weekly_utilisation`.

    Parameters
    ----------
    weekly : pandas.DataFrame
        Tidy ``week_start, unit, utilisation`` (a fraction).
    title : str
        Axis title.

    Returns
    -------
    matplotlib.figure.Figure
        The heat map axis (rows: units in the table's order; columns: weeks in time order; the
        image array is the table's ``utilisation`` pivoted) and a colorbar labelled
        "% of places in force" whose ticks read as percentages.
    """
    if weekly.empty:
        raise ValueError("no unit with capacity to draw")
    units = list(dict.fromkeys(weekly["unit"]))
    grid = weekly.pivot(index="unit", columns="week_start", values="utilisation").reindex(units)
    weeks = pd.DatetimeIndex(grid.columns)
    width = max(7.0, 0.16 * len(weeks) + 3.5)
    # a run's title names its overrides and wraps to several lines: each takes height from the units'
    # rows, which for one unit collapsed to nothing (about 8 characters of the title to an inch)
    title_lines = math.ceil(len(title) / (8.0 * width))
    fig = Figure(figsize=(width, 1.0 + 0.45 * len(units) + 0.3 * (title_lines - 1)), layout="constrained")
    axis = fig.subplots()
    image = axis.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="RdYlGn_r", vmin=0.0, vmax=1.0,
                        interpolation="nearest")
    colorbar = fig.colorbar(image, ax=axis, extend="max", format=PercentFormatter(xmax=1.0, symbol=""))
    colorbar.set_label("% of places in force")  # weekly_utilisation: occupied over the places then
    every = max(1, math.ceil(len(weeks) / 13))
    axis.set_xticks(range(0, len(weeks), every), [w.strftime("%d %b %Y") for w in weeks[::every]],
                    rotation=45, ha="right")
    axis.set_yticks(range(len(units)), units)
    axis.set_xlabel("week beginning (Monday)")
    axis.set_ylabel("unit")
    axis.set_title(title, wrap=True)  # a run's title names its overrides, often wider than the figure
    return fig
