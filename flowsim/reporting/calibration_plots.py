"""The picture of a targets calibration: each target against the model, and the census through the year.

Left (when the targets include ``nctr_census_month_profile``): the observed monthly profile of the
midnight NCTR census (each month over the mean of all months) with its tolerance band, and the
model's monthly means with their 95 % confidence intervals, red where outside the band. Right: every
other target as the model's error in half-widths of its tolerance band (so the band of a symmetric
tolerance runs from -1 to 1, whatever the target's unit), with its CI, over the grey band.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from flowsim.calibration.target_spec import MONTH_PROFILE
from flowsim.model.availability import MONTHS

__all__ = ["targets_figure"]


def _relative(table: pd.DataFrame, column: str) -> np.ndarray:
    """``column`` minus the observed value, in half-widths of the tolerance band (its edges at -1, 1)."""
    half = (table["band_high"].to_numpy(float) - table["band_low"].to_numpy(float)) / 2.0
    return (table[column].to_numpy(float) - table["observed"].to_numpy(float)) / half


def targets_figure(table: pd.DataFrame) -> Figure:
    """Draw a targets table (:func:`flowsim.calibration.target_report.target_table`).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per target value: ``target, observed, band_low, band_high, model_mean,
        model_ci_low, model_ci_high, within``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    profile = table[table["target"].str.startswith(f"{MONTH_PROFILE}[")]
    scalars = table.drop(profile.index)
    panels = 2 if len(profile) else 1
    figure = Figure(figsize=(6.5 * panels, max(3.5, 0.45 * len(scalars) + 1.5)), layout="constrained")
    axes = figure.subplots(1, panels, squeeze=False)[0]
    if len(profile):
        ax = axes[0]
        x = np.arange(len(profile))
        column = {name: profile[name].to_numpy(float) for name in (
            "band_low", "band_high", "observed", "model_mean", "model_ci_low", "model_ci_high")}
        ax.fill_between(x, column["band_low"], column["band_high"], color="0.85", label="tolerance band")
        ax.plot(x, column["observed"], color="black", marker="s", label="observed")
        mean = column["model_mean"]
        ax.errorbar(x, mean, yerr=[mean - column["model_ci_low"], column["model_ci_high"] - mean],
                    color="tab:blue", marker="o", capsize=3, label="model (95 % CI)")
        outside = ~profile["within"].to_numpy(bool)
        if outside.any():  # as the table's "NO": the months the calibration missed stand out
            missed = int(outside.sum())
            ax.scatter(x[outside], mean[outside], color="tab:red", s=60, zorder=4,
                       label=f"model outside the band ({missed} month{'s' if missed != 1 else ''})")
        ax.set_xticks(x, MONTHS[:len(profile)])
        ax.set_ylabel("midnight NCTR census / mean of the year")
        ax.set_title("Census through the year")
        ax.legend(loc="best", fontsize="small")
    ax = axes[-1]
    y = np.arange(len(scalars))[::-1]
    low, high = _relative(scalars, "band_low"), _relative(scalars, "band_high")
    ax.barh(y, high - low, left=low, color="0.85", height=0.6, label="tolerance band")
    mean = _relative(scalars, "model_mean")
    ci_low, ci_high = _relative(scalars, "model_ci_low"), _relative(scalars, "model_ci_high")
    colours = np.where(scalars["within"].to_numpy(bool), "tab:blue", "tab:red")
    ax.errorbar(mean, y, xerr=[mean - ci_low, ci_high - mean], fmt="none", ecolor="0.3", capsize=3)
    ax.scatter(mean, y, c=colours, zorder=3, label="model (95 % CI; red: outside)")
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_yticks(y, scalars["target"])
    ax.set_xlabel("model - observed, in half-widths of the tolerance band")
    ax.set_title("Targets")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize="small")
    return figure
