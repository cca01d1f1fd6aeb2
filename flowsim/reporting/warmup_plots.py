"""The warm-up figure: have the census and the occupancies settled, and where?

One panel per series of :func:`flowsim.experiment.warmup.run_for_warm_up` (up to six): each replication as a
light line, Welch's moving average of their mean in bold, and the suggested warm-up as a vertical
line. The computation is in :mod:`flowsim.experiment.warmup`; this module only draws.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from flowsim.experiment.warmup import WarmUpSuggestion, welch_moving_average

__all__ = ["REFERENCE_GID", "SUGGESTION_GID", "warm_up_figure"]

SUGGESTION_GID = "suggested_warm_up"  # gid of the vertical line at the suggestion in every panel
REFERENCE_GID = "reference_runs"  # gid of the reference runs' moving average, when compared with them
MAX_PANELS = 6
CHARS_PER_INCH = 10  # of the suptitle at its default size, with a margin: longer lines are wrapped


def _title_and_unit(name: str) -> tuple[str, str]:
    if name == "nctr_census":
        return "NCTR census (all pathways)", "patients at midnight"
    if name.startswith("nctr_census_"):
        return f"NCTR census, {name.removeprefix('nctr_census_')}", "patients at midnight"
    if name == "acute_beds_occupied":
        return "Acute bed pool: occupied", "occupied beds"
    if name.startswith("occupied_"):
        return f"Occupied: {name.removeprefix('occupied_')}", "occupied places"
    return name, "count at midnight"


def warm_up_figure(series_by_name: Mapping[str, np.ndarray], suggestion: WarmUpSuggestion,
                   window: int = 10, max_panels: int = MAX_PANELS, from_census: bool = False,
                   reference: Mapping[str, np.ndarray] | None = None) -> Figure:
    """Replications, Welch's moving average and the suggested warm-up, one panel per series.

    Parameters
    ----------
    series_by_name : mapping of str to numpy.ndarray
        Replications x days, e.g. from :func:`flowsim.experiment.warmup.run_for_warm_up`.
    suggestion : WarmUpSuggestion
        From :func:`flowsim.experiment.warmup.suggest_warm_up` on the same series.
    window : int
        Half-width of Welch's moving average in days (10: three whole weeks, which evens out the
        weekday pattern of arrivals).
    max_panels : int
        At most this many series are drawn, in the mapping's order.
    from_census : bool
        The runs started from a census (``run.initial_census``), not from an empty system.
    reference : mapping of str to numpy.ndarray, optional
        The same days of runs started ``suggestion.reference_lead_days`` earlier
        (:func:`flowsim.experiment.warmup.reference_days`): their moving average is drawn dashed, the
        level the series settle to at each date.

    Returns
    -------
    matplotlib.figure.Figure
        One axis per drawn series; the vertical line has gid :data:`SUGGESTION_GID`, the reference's
        line :data:`REFERENCE_GID`.
    """
    names = list(series_by_name)[:max_panels]
    if not names:
        raise ValueError("no series to draw")
    ncols = min(3, len(names)) if len(names) != 4 else 2
    nrows = math.ceil(len(names) / ncols)
    fig = Figure(figsize=(4.6 * ncols, 3.4 * nrows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for axis in axes[len(names):]:
        fig.delaxes(axis)
    at_least = "at least " if suggestion.unsettled else ""  # as printed: the search stopped there
    for axis, name in zip(axes, names, strict=False):
        table = np.atleast_2d(np.asarray(series_by_name[name], dtype=float))
        days = np.arange(table.shape[1])
        for r, row in enumerate(table):
            axis.plot(days, row, color="0.55", alpha=0.45, linewidth=0.7,
                      label="each replication" if r == 0 else "_nolegend_")
        axis.plot(days, welch_moving_average(table, window), color="tab:blue", linewidth=2.2,
                  label=f"Welch moving average (±{window} d)")
        if reference is not None:
            axis.plot(days, welch_moving_average(np.atleast_2d(reference[name]), window), color="black",
                      linestyle=(0, (4, 2)), linewidth=1.3, gid=REFERENCE_GID,
                      label=f"runs started {suggestion.reference_lead_days // 7} weeks earlier")
        # from a census the line marks when the census is left behind: a warm start keeps no warm-up
        marked = (f"settled from the census: {at_least}{suggestion.days} d" if from_census
                  else f"suggested warm-up: {at_least}{suggestion.days} d")
        axis.axvline(suggestion.days, color="tab:red", linestyle="--", linewidth=1.4,
                     gid=SUGGESTION_GID, label=marked)
        title, unit = _title_and_unit(name)
        own = suggestion.per_series.get(name)
        if own is not None:
            title += f"\nMSER-{suggestion.batch}: {own} d"
            if name in suggestion.unsettled:
                title += " (not settled: run longer)"
        axis.set_title(title, fontsize="medium")
        axis.set_xlabel("day of run")
        axis.set_ylabel(unit)
        axis.set_xlim(0, max(days[-1], 1))
        axis.set_ylim(bottom=0)
    # below the panels, not over the first one's data (its first winter sat under the legend)
    handles, labels = axes[0].get_legend_handles_labels()
    across = min(len(handles), 4 if ncols == 3 else ncols)  # entries side by side, as wide as the panels
    fig.legend(handles, labels, loc="outside lower center", ncols=across, fontsize="small", frameon=False)
    shown = "" if len(series_by_name) <= max_panels else (
        f"; first {max_panels} of {len(series_by_name)} series shown")
    runs = f"{suggestion.replications} replication(s) of {suggestion.run_days} days"
    notes = []  # beside the number: how firm it is, and whether it is final
    if suggestion.resampled_days is not None:
        notes.append(f"{suggestion.resampled_days[0]}-{suggestion.resampled_days[1]} d resampled")
    if suggestion.unsettled:
        notes.append("not final: run longer")
    if from_census:  # as flowsim-warmup prints: the days measure the census's pull, not a warm-up to set
        notes.append("a warm start keeps run.warm_up_days=0")
        title = (f"From the census given: {runs}; settled after {at_least}{suggestion.days} days "
                 f"({'; '.join(notes)}){shown}")
    else:
        beside = f" ({'; '.join(notes)})" if notes else ""
        number = (f"warm-up of at least {suggestion.days} days" if suggestion.unsettled
                  else f"run.warm_up_days={suggestion.days}")
        title = f"Warm-up from an empty system: {runs}; suggested {number}{beside}{shown}"
    # one or two columns are narrower than the title: wrapped, not cut off at both sides
    fig.suptitle(textwrap.fill(title, width=max(40, int(fig.get_figwidth() * CHARS_PER_INCH)),
                              break_on_hyphens=False))
    return fig
