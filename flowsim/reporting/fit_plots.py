"""The sheet of fits drawn by ``flowsim-calibrate fit``: is each fitted length of stay believable?

One row per service unit: on the left the Kaplan–Meier estimate of P(stay > t) (open stays counted
as censored, so it is not biased down by them) with the survival curves of the four fitted families,
and on the right a Q–Q plot of the best fit (each completed stay's Kaplan–Meier quantile against the
fitted quantile: on the diagonal when the fit is right). A last row shows the fitted day-of-week and
month multipliers with their 95 % CIs. Colours and layout are fixed here, so a user's style cannot
change what the sheet means.

Lines carry gids that name what they draw: ``km:UNIT``, ``fit:UNIT:FAMILY``, ``qq:UNIT:FAMILY`` and
``diagonal:UNIT``; the bars ``weekday`` and ``month``. The computation is in
:mod:`flowsim.calibration`; this module only draws.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flowsim.calibration.fit import ExtractFit, UnitFit
from flowsim.calibration.los_fit import FAMILIES, LosFit, kaplan_meier
from flowsim.model.availability import MONTHS, WEEKDAYS

__all__ = ["FAMILY_COLOURS", "fit_sheet", "qq_points"]

FAMILY_COLOURS = {"exponential": "tab:gray", "gamma": "tab:blue", "lognormal": "tab:orange",
                  "weibull": "tab:green"}
_GRID_POINTS = 300


def qq_points(fit: LosFit, durations_days: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fitted quantile, observed stay) at each distinct completed stay.

    The observed stay's probability level is the middle of the Kaplan–Meier step it makes, so open
    stays shift the levels as they should; levels are those of the KM CDF, not ranks.
    """
    times, survival = kaplan_meier(durations_days, censored)
    after = 1.0 - survival
    before = np.concatenate([[0.0], after[:-1]])
    level = (before + after) / 2
    return np.asarray(fit.frozen().ppf(level), dtype=float), times


def _survival_panel(axis: Axes, unit: UnitFit) -> None:
    t = unit.stays["los_days"].to_numpy()
    c = unit.stays["censored"].to_numpy()
    times, survival = kaplan_meier(t, c)
    axis.step(np.concatenate([[0.0], times]), np.concatenate([[1.0], survival]), where="post", color="black",
              linewidth=1.6, gid=f"km:{unit.key}", label="Kaplan–Meier (data)")
    top = float(np.quantile(t, 0.99)) if t.size else 1.0
    # 5 % beyond the 99th percentile: a drop there (the last of a few stays) falls inside, not on the edge
    grid = np.linspace(0.0, max(top, 1.0) * 1.05, _GRID_POINTS)
    for f in sorted(unit.fits, key=lambda f: FAMILIES.index(f.family)):
        best = f is unit.best
        axis.plot(grid, f.frozen().sf(grid), color=FAMILY_COLOURS[f.family], linewidth=2.2 if best else 1.1,
                  linestyle="-" if best else "--", gid=f"fit:{unit.key}:{f.family}",
                  label=f"{f.family} (ΔAIC {f.delta_aic:.1f}{', best' if best else ''})")
    axis.set_xlim(0, grid[-1])
    axis.set_ylim(0, 1.02)
    axis.set_xlabel("length of stay (days)")
    axis.set_ylabel("P(stay longer than t)")
    axis.set_title(f"{unit.name}: {unit.n:,} stays, {unit.n_open:,} open at the extract date",
                   fontsize="medium")
    axis.legend(fontsize="x-small", loc="upper right")


def _qq_panel(axis: Axes, unit: UnitFit) -> None:
    best = unit.best
    if best is None:
        axis.text(0.5, 0.5, "no usable fit", ha="center", va="center", transform=axis.transAxes)
        axis.set_axis_off()
        return
    fitted, observed = qq_points(best, unit.stays["los_days"].to_numpy(), unit.stays["censored"].to_numpy())
    axis.plot(fitted, observed, linestyle="none", marker="o", markersize=2.5, alpha=0.6,
              color=FAMILY_COLOURS[best.family], gid=f"qq:{unit.key}:{best.family}")
    top = float(max(np.max(fitted), np.max(observed))) if observed.size else 1.0
    axis.plot([0, top], [0, top], color="black", linewidth=0.8, gid=f"diagonal:{unit.key}")
    axis.set_xlabel(f"fitted {best.family} quantile (days)")
    axis.set_ylabel("observed stay (days)")
    axis.set_title(f"Q–Q of the best fit ({best.family}), KM-KS distance {best.km_ks:.3f}", fontsize="medium")


def _bars(axis: Axes, labels: tuple[str, ...], estimates: tuple, fitted: bool, gid: str, title: str) -> None:
    values = np.array([e.value for e in estimates])
    low = np.array([e.low for e in estimates])
    high = np.array([e.high for e in estimates])
    errors = np.vstack([values - low, high - values]) if fitted else None
    # not fitted: pale, and said across the panel, so that twelve bars at 1.0 do not read as data
    axis.bar(np.arange(len(labels)), values, yerr=errors, capsize=3, color="tab:blue" if fitted else "0.85",
             alpha=0.8, gid=gid)
    axis.axhline(1.0, color="black", linewidth=0.8)
    axis.set_xticks(np.arange(len(labels)), labels)
    axis.set_ylabel("multiplier (mean 1)")
    axis.set_title(title if fitted else f"{title}: not fitted (1.0)", fontsize="medium")
    if not fitted:
        axis.text(0.5, 0.5, "not fitted: too short an extract\n(every multiplier left at 1.0)", ha="center",
                  va="center", transform=axis.transAxes, gid=f"{gid}:not_fitted")


def fit_sheet(fit: ExtractFit) -> Figure:
    """The sheet of fits: per unit a survival panel and a Q–Q panel, then the arrival profiles.

    Parameters
    ----------
    fit : ExtractFit
        From :func:`flowsim.calibration.fit.fit_extract`.

    Returns
    -------
    matplotlib.figure.Figure
        ``2 x (units with fits + 1)`` axes.
    """
    units = [u for u in fit.units.values() if u.fits]
    rows = len(units) + 1
    fig = Figure(figsize=(11, 3.4 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, 2, squeeze=False)
    for row, unit in zip(axes, units, strict=False):
        _survival_panel(row[0], unit)
        _qq_panel(row[1], unit)
    a = fit.arrivals
    _bars(axes[-1][0], WEEKDAYS, a.day_of_week, a.day_of_week_fitted, "weekday",
          "NCTR arrivals by day of week (95 % CI)")
    _bars(axes[-1][1], MONTHS, a.month, a.month_fitted, "month", "NCTR arrivals by month (95 % CI)")
    tag = " — SYNTHETIC extract made by flowsim" if fit.synthetic else ""
    fig.suptitle(f"Fits to {fit.source}{tag}: {fit.episodes:,} episodes, "
                 f"{a.rate_per_day.value:.1f} new NCTR a day")
    return fig
