"""Figures from aggregated tables (no computation here beyond picking columns).

Each function takes a table produced by :mod:`flowsim.experiment.compare` or
:mod:`flowsim.measures.aggregate` and
returns a matplotlib Figure; saving is the caller's choice. Axis labels carry units.

The figures are built on :class:`matplotlib.figure.Figure` directly, not through ``pyplot``: nothing
is registered globally, no backend is chosen at import, and a figure is freed when the caller drops
it. In a notebook with the inline backend a returned figure displays as usual.

Board figures and the tables they draw (all in :mod:`flowsim.measures.aggregate` unless named):

- :func:`fan_chart` <- ``census_fan``: NCTR census day by day, median with 50 % and 90 % bands;
- :func:`reasons_stacked` <- ``reasons_by_option``: delayed days per year by reason, per option;
- :func:`flowsim.reporting.utilisation_plot.utilisation_heatmap` <- ``weekly_utilisation``: units x weeks;
- :func:`wait_distribution_plot` <- ``wait_distribution``: delayed days per episode by pathway;
- :func:`avoided_vs_option`, :func:`marginal_benefit` (via ``marginal_benefit_steps``) and
  :func:`cost_vs_saving` <- :func:`flowsim.experiment.compare.compare_to_baseline`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, DateFormatter
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from flowsim.measures.aggregate import marginal_benefit_steps, option_label

__all__ = [
    "CENSUS_LABEL",
    "DELAY_LABEL",
    "REASON_COLOURS",
    "REASON_LABELS",
    "avoided_vs_option",
    "cost_vs_saving",
    "fan_chart",
    "marginal_benefit",
    "reasons_stacked",
    "wait_distribution_plot",
]

CENSUS_LABEL = "NCTR patients in acute beds at midnight (patients)"
DELAY_LABEL = "delayed days (days)"
# Display names of the delay reasons of flowsim.measures.housing_metrics.delay_reasons (data keys stay short).
REASON_LABELS = {
    "admin": "P0: discharge admin",
    "P1": "waiting for P1 (care at home)",
    "P2": "waiting for a P2 bed",
    "P3": "waiting for a P3 placement",
    "housing": "housing barrier",
    "calendar": "unit closed to admissions",
}
# One colour per reason in every figure (tab10 order), whichever reasons a figure shows.
REASON_COLOURS = {"admin": "tab:blue", "P1": "tab:orange", "P2": "tab:green", "P3": "tab:red",
                  "housing": "tab:purple", "calendar": "tab:brown"}
_THOUSANDS = StrMethodFormatter("{x:,.0f}")


def _colours(n: int) -> list:
    palette = matplotlib.colormaps["tab10"]
    return [palette(i % 10) for i in range(n)]


def _band(axis: Axes, table: pd.DataFrame, x: str, column: str, scale: float, label: str, color) -> None:
    mean = table[column] / scale
    low = table.get(f"{column}_ci_low", table[column]).fillna(table[column]) / scale
    high = table.get(f"{column}_ci_high", table[column]).fillna(table[column]) / scale
    axis.plot(table[x], mean, marker="o", color=color, label=label)
    axis.fill_between(table[x].to_numpy(dtype=float), low, high, alpha=0.2, color=color)


def _baseline_text(comparison: pd.DataFrame, options: Sequence[str]) -> str:
    """``"the baseline (care_home_unit.capacity = 0)"``: the baseline by its option, not its job number."""
    job = comparison["baseline_job"].iloc[0]
    rows = comparison[comparison["job"].astype(str) == str(job)]
    if rows.empty or not options:
        return f"the baseline (job {job})"
    # rows[k].iloc[0], not rows.iloc[0][k]: a row of mixed columns would print 0 as 0.0
    return "the baseline (" + ", ".join(f"{'.'.join(k.split('.')[-2:])} = {rows[k].iloc[0]}"
                                        for k in options) + ")"


def avoided_vs_option(comparison: pd.DataFrame, option: str, group: str | None = None,
                      avoided: str = "delayed_days_avoided_per_year") -> Figure:
    """Delayed days avoided per year and net saving per year (95 % CI bands) against an option's size.

    Parameters
    ----------
    comparison : pandas.DataFrame
        From :func:`flowsim.experiment.compare.compare_to_baseline`.
    option : str
        The swept column on the x axis (e.g. ``services.care_home_unit.capacity``); numeric.
    group : str, optional
        A second swept column: one line per value.
    avoided : str
        Which avoided-days column to draw (e.g. ``housing_delayed_days_avoided_per_year``).
    """
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    groups = [(None, comparison)] if group is None else list(comparison.groupby(group, sort=True))
    colors = matplotlib.colormaps["viridis"]
    for i, (value, table) in enumerate(groups):
        table = table.sort_values(option)
        color = colors(i / max(len(groups) - 1, 1)) if group else "tab:blue"
        # the unit too: "capacity = 30" alone could be either swept capacity
        label = "mean (95 % CI)" if group is None else f"{'.'.join(group.split('.')[-2:])} = {value}"
        _band(left, table, option, avoided, 1.0, label, color)
        _band(right, table, option, "net_saving_per_year", 1e6, label, color)
    what = avoided.removesuffix("_delayed_days_avoided_per_year").replace("delayed_days_avoided_per_year",
                                                                           "all")
    left.set_ylabel(f"acute delayed days avoided per year ({what}; bed-days)")
    right.set_ylabel("net saving per year (GBP million)")
    whole = np.all(np.mod(comparison[option].to_numpy(dtype=float), 1) == 0)
    for axis in (left, right):
        axis.set_xlabel(option)
        if whole:  # places come whole: no tick at 0.5 of a bed
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.axhline(0, color="grey", linewidth=0.8)
        axis.legend(loc="best", fontsize="small")
    options = [option] if group is None else [group, option]
    fig.suptitle(f"Against {_baseline_text(comparison, options)} (paired over replications; bands: 95 % CI)")
    return fig


def fan_chart(fans: Mapping[str, pd.DataFrame],
              title: str = "NCTR census at midnight across replications") -> Figure:
    """The NCTR census over the observed year: per label a median line, 50 % and 90 % bands.

    Parameters
    ----------
    fans : mapping of str to pandas.DataFrame
        Label (e.g. ``"baseline: care_home_unit=0"``) -> :func:`flowsim.measures.aggregate.census_fan`.
    title : str
        Axis title.

    Returns
    -------
    matplotlib.figure.Figure
        One axis. Per label: the median line (gid ``median:<label>``, y data = the fan's ``p50``),
        a band from ``p25`` to ``p75`` and a fainter one from ``p05`` to ``p95`` (no bands, and a
        legend saying so, where the replications do not differ, e.g. a run of one).
    """
    if not fans:
        raise ValueError("no census fan to draw")
    fig = Figure(figsize=(10, 4.5), layout="constrained")
    axis = fig.subplots()
    for (label, fan), color in zip(fans.items(), _colours(len(fans)), strict=True):
        x = fan["date"].to_numpy() if "date" in fan.columns else fan["day"].to_numpy()
        if len(x) == 1:  # one observed day: a line or band through one point is not drawn; span the day
            half = np.timedelta64(12, "h") if np.issubdtype(x.dtype, np.datetime64) else 0.5
            x, fan = np.array([x[0] - half, x[0] + half]), pd.concat([fan, fan], ignore_index=True)
        # one replication (or identical ones) has no spread: bands of no width would be listed, not seen
        spread = bool(np.any(fan["p95"].to_numpy() > fan["p05"].to_numpy()))
        if spread:
            axis.fill_between(x, fan["p05"].to_numpy(), fan["p95"].to_numpy(), color=color, alpha=0.12,
                              linewidth=0, label=f"{label}: 90 % of replications")
            axis.fill_between(x, fan["p25"].to_numpy(), fan["p75"].to_numpy(), color=color, alpha=0.3,
                              linewidth=0, label=f"{label}: 50 % of replications")
        axis.plot(x, fan["p50"].to_numpy(), color=color, linewidth=1.6,
                  label=f"{label}: median" + ("" if spread else " (no spread across replications)"),
                  gid=f"median:{label}")
    first = next(iter(fans.values()))
    one_day = len(first) == 1  # then the day's own tick, not the hours around it
    if "date" in first.columns:
        if one_day:
            axis.set_xticks(first["date"].to_numpy())
            axis.xaxis.set_major_formatter(DateFormatter("%d %b %Y"))
        else:
            locator = AutoDateLocator()
            axis.xaxis.set_major_locator(locator)
            axis.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        axis.set_xlabel("date (census at midnight)")
    else:
        if one_day:
            axis.set_xticks(first["day"].to_numpy())
        axis.set_xlabel("day of the run (days)")
    axis.set_ylabel(CENSUS_LABEL)
    axis.set_ylim(bottom=0)
    axis.set_title(title, wrap=True)  # a run's title names its overrides, often wider than the figure
    axis.grid(alpha=0.3)
    # below the plot, one column per label: inside it, long labels ran off the figure and hid the bands
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize="small", ncols=len(fans))
    return fig


def _option_order(comparison: pd.DataFrame, option: str | Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """Options in order of their numbers; named options (schemes, policies) in the sweep's own order,
    which starts at its baseline: an alphabet puts the baseline among them for no reason."""
    keys = [option] if isinstance(option, str) else list(option)
    types = pd.api.types
    numeric = all(types.is_numeric_dtype(comparison[k]) and not types.is_bool_dtype(comparison[k])
                  for k in keys)
    table = comparison.sort_values(keys, kind="stable") if numeric else comparison
    if len(keys) == 1:
        return table, [str(v) for v in table[keys[0]]]
    columns = [table[k].tolist() for k in keys]  # each column keeps its own type (10, not 10.0)
    return table, ["\n".join(option_label({k: v}) for k, v in zip(keys, values, strict=True))
                   for values in zip(*columns, strict=True)]


def marginal_benefit(comparison: pd.DataFrame, option: str, group: str | None = None,
                     avoided: str = "delayed_days_avoided_per_year") -> Figure:
    """Delayed days avoided per added place for each step up the option (diminishing returns).

    The steps come from :func:`flowsim.measures.aggregate.marginal_benefit_steps`: the difference in delayed
    days avoided between consecutive options divided by the places added. A dot marks each option's
    average per added place over the baseline, for contrast.

    Parameters
    ----------
    comparison : pandas.DataFrame
        From :func:`flowsim.experiment.compare.compare_to_baseline`.
    option : str
        The swept capacity column, e.g. ``services.care_home_unit.capacity``.
    group : str, optional
        A second swept column: one set of bars per value.
    avoided : str
        The avoided-days column.

    Returns
    -------
    matplotlib.figure.Figure
        One axis; one bar container per group, bar heights =
        ``delayed_days_avoided_per_added_place`` of the steps.
    """
    steps = marginal_benefit_steps(comparison, option, group, avoided)
    if steps.empty:
        raise ValueError(f"marginal benefit needs at least two values of {option}")
    fig = Figure(figsize=(9, 4.5), layout="constrained")
    axis = fig.subplots()
    labels = list(dict.fromkeys(steps["step"]))
    groups = [(None, steps)] if group is None else list(steps.groupby(group, sort=False))
    width = 0.8 / len(groups)
    for i, ((value, table), color) in enumerate(zip(groups, _colours(len(groups)), strict=True)):
        x = np.array([labels.index(s) for s in table["step"]]) + (i - (len(groups) - 1) / 2) * width
        name = "per added place in the step" if value is None else option_label({group: value})
        bars = axis.bar(x, table["delayed_days_avoided_per_added_place"].to_numpy(), width=width * 0.95,
                        color=color, label=name)
        # 5 points clear of the bar's end, so the label clears an average dot sitting there too
        axis.bar_label(bars, fmt="{:,.0f}", fontsize="small", padding=5)
        axis.plot(x, table["average_per_added_place"].to_numpy(), linestyle="none", marker="o",
                  color="black", markersize=4,
                  label="average per added place since baseline" if i == 0 else None)
    axis.margins(y=0.12)  # room above the tallest bar for its label, under the title
    axis.set_xticks(range(len(labels)), labels)
    axis.set_xlabel(f"step in {option} (from→to)")
    axis.set_ylabel("delayed days avoided per added place\n(bed-days per year per added place)")
    axis.axhline(0, color="grey", linewidth=0.8)
    axis.yaxis.set_major_formatter(_THOUSANDS)
    axis.legend(loc="best", fontsize="small")
    axis.set_title("What each step buys: acute delayed days avoided per added place (means)")
    return fig


def _tilt_if_crowded(axis: Axes, labels: Sequence[str], width_in: float) -> None:
    """Tilt the x tick labels when, level, they would run into each other (many or long option names)."""
    widest_pt = max((len(line) for label in labels for line in label.split("\n")), default=0) * 0.6 * 10
    slot_pt = width_in * 72 * 0.75 / max(len(labels), 1)  # the axes take about 3/4 of the width
    if widest_pt > 0.9 * slot_pt:
        for text in axis.get_xticklabels():
            text.set(rotation=30, horizontalalignment="right", rotation_mode="anchor")


def cost_vs_saving(comparison: pd.DataFrame, option: str | Sequence[str]) -> Figure:
    """Net saving per year (bars, 95 % CI) and return per £1 spent (dots, twin axis) by option.

    Parameters
    ----------
    comparison : pandas.DataFrame
        From :func:`flowsim.experiment.compare.compare_to_baseline`.
    option : str or sequence of str
        The swept column(s) that name an option; options of numbers are drawn in sorted order, named
        options (schemes, policies) in the sweep's order. Labels too wide to sit level are tilted.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes sharing x: the first with the bars and their error bars (from
        ``net_saving_per_year_ci_low`` to ``_ci_high``), the twin with ``return_per_pound``.
    """
    table, labels = _option_order(comparison, option)
    is_base = table["job"].astype(str).to_numpy() == table["baseline_job"].astype(str).to_numpy()
    labels = [f"{label}\n(baseline)" if base else label for label, base in zip(labels, is_base, strict=True)]
    x = np.arange(len(table))
    net = table["net_saving_per_year"].to_numpy(dtype=float)
    low = table["net_saving_per_year_ci_low"].to_numpy(dtype=float)
    high = table["net_saving_per_year_ci_high"].to_numpy(dtype=float)
    fig = Figure(figsize=(9, 4.5), layout="constrained")
    axis = fig.subplots()
    # a loss is red, not a green bar below zero
    colours = np.where(net < 0, "tab:red", "tab:green")
    axis.bar(x, net, color=colours, alpha=0.8)
    errors = axis.errorbar(x, net, yerr=np.vstack([net - low, high - net]), fmt="none", ecolor="black",
                           capsize=4)
    axis.axhline(0, color="grey", linewidth=0.8)
    axis.set_xticks(x, labels)
    _tilt_if_crowded(axis, labels, fig.get_figwidth())
    axis.set_xlabel(option if isinstance(option, str) else ", ".join(option))
    axis.set_ylabel("net saving per year (GBP)")
    axis.yaxis.set_major_formatter(_THOUSANDS)
    twin = axis.twinx()
    twin.plot(x, table["return_per_pound"].to_numpy(dtype=float), linestyle="none", marker="D",
              color="tab:purple", label="return per £1 spent")
    twin.axhline(1.0, color="tab:purple", linestyle=":", linewidth=1.0, label="break-even: £1 back per £1")
    twin.set_ylabel("return per £1 spent (GBP acute saving per GBP)", color="tab:purple")
    twin.set_ylim(0, twin.get_ylim()[1] * 1.1)  # room above the highest dot
    # a legend entry for each colour an option's bar has (the baseline's bar is empty: 0 against itself)
    options = net[~is_base]
    shown = [(colour, name) for colour, name, drawn in (
        ("tab:green", "net saving per year (mean)", (options >= 0).any()),
        ("tab:red", "net loss per year (mean)", (options < 0).any())) if drawn]
    handles = [Patch(color=colour, alpha=0.8) for colour, _ in shown] + [errors]
    names = [name for _, name in shown]
    more = twin.get_legend_handles_labels()
    # below the axes: inside, it covered bars, whiskers or the break-even line
    fig.legend(handles + more[0], [*names, "95 % CI (paired)", *more[1]], loc="outside lower center",
               ncols=3, fontsize="small")
    columns = [option] if isinstance(option, str) else list(option)
    # two lines: with a swept column's name the title is wider than the figure
    axis.set_title(f"Net saving against {_baseline_text(comparison, columns)}\n"
                   "(acute saving minus added service cost)")
    return fig


def reasons_stacked(reasons: pd.DataFrame,
                    title: str = "Acute delayed days per year by reason") -> Figure:
    """Stacked bars of delayed days per year by delay reason, one bar per option.

    Parameters
    ----------
    reasons : pandas.DataFrame
        From :func:`flowsim.measures.aggregate.reasons_by_option` (``option, reason, delayed_days_per_year``).
    title : str
        Axis title.

    Returns
    -------
    matplotlib.figure.Figure
        One axis with one bar container per reason (each bar's gid: the reason); each option's bar heights
        sum to its mean delayed days per year, which is written above the bar. No legend for a table of no
        reason (no arrivals: ``reasons_by_option`` leaves out the reasons without a delayed day).
    """
    options = list(dict.fromkeys(reasons["option"]))
    grid = reasons.pivot(index="option", columns="reason", values="delayed_days_per_year")
    grid = grid.reindex(index=options, columns=list(dict.fromkeys(reasons["reason"]))).fillna(0.0)
    fig = Figure(figsize=(max(6.0, 1.1 * len(options) + 4.0), 4.8), layout="constrained")
    axis = fig.subplots()
    x = np.arange(len(options))
    bottom = np.zeros(len(options))
    spare = iter(_colours(10)[6:])  # for reasons a later model may add
    for reason in grid.columns:
        color = REASON_COLOURS.get(reason) or next(spare, "tab:gray")
        heights = grid[reason].to_numpy(dtype=float)
        container = axis.bar(x, heights, bottom=bottom, color=color, width=0.6,
                             label=REASON_LABELS.get(reason, reason))
        for patch in container:
            patch.set_gid(reason)
        bottom = bottom + heights
    for xi, top in zip(x, bottom, strict=True):
        axis.annotate(f"{top:,.0f}", (xi, top), textcoords="offset points", xytext=(0, 3), ha="center",
                      fontsize="small")
    axis.set_xticks(x, options, rotation=20 if len(options) > 4 else 0,
                    ha="right" if len(options) > 4 else "center")
    axis.set_xlabel("option")
    axis.set_ylabel("acute delayed days per year (bed-days)")
    axis.yaxis.set_major_formatter(_THOUSANDS)
    if not (bottom > 0).any():  # nobody waited: said, not an empty axis ticked 0, 0, 0, 1, 1, 1
        axis.set_ylim(0.0, 1.0)
        axis.set_yticks([0.0])
        axis.text(0.5, 0.5, "no delayed days", transform=axis.transAxes, ha="center", va="center")
    if axis.get_legend_handles_labels()[0]:  # no reason at all (no arrivals): no legend, nor its warning
        axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", title="reason")
    # the legend takes the right of the figure: a title centred on a narrow axis would run off its left
    # edge (one option: "cute delayed days..."), so Matplotlib wraps it inside the figure as it draws
    axis.set_title(title, wrap=True)
    return fig


def wait_distribution_plot(table: pd.DataFrame,
                           title: str = "Acute delay per episode by pathway") -> Figure:
    """Box plot of delayed days per episode by pathway, from
    :func:`flowsim.measures.aggregate.wait_distribution`.

    Box: 25th to 75th percentile; line: median (gid ``median:<pathway>``); whiskers: 5th and 95th
    percentiles; triangle: mean. Tick labels give the number of completed delays.

    Parameters
    ----------
    table : pandas.DataFrame
        ``pathway, n, mean, p05, p25, p50, p75, p95``.
    title : str
        Axis title.
    """
    rows = table[table["n"] > 0]
    if rows.empty:
        raise ValueError("no completed delay to draw")
    stats = [{"label": f"{r.pathway}\n(n = {r.n:,})", "med": r.p50, "q1": r.p25, "q3": r.p75,
              "whislo": r.p05, "whishi": r.p95, "mean": r.mean}
             for r in rows.itertuples(index=False)]
    fig = Figure(figsize=(max(6.0, 1.3 * len(stats) + 2.0), 4.5), layout="constrained")
    axis = fig.subplots()
    drawn = axis.bxp(stats, showmeans=True, showfliers=False, patch_artist=True,
                     boxprops={"facecolor": "tab:blue", "alpha": 0.35},
                     medianprops={"color": "black", "linewidth": 1.6},
                     meanprops={"marker": "^", "markerfacecolor": "tab:red", "markeredgecolor": "tab:red"})
    for line, pathway in zip(drawn["medians"], rows["pathway"], strict=True):
        line.set_gid(f"median:{pathway}")
    axis.set_xlabel("pathway (completed delays)")
    axis.set_ylabel(DELAY_LABEL)
    axis.set_ylim(bottom=0)
    axis.grid(axis="y", alpha=0.3)
    axis.set_title(f"{title}\nbox: 25th–75th percentile, line: median, whiskers: 5th–95th, ▲: mean",
                   fontsize="medium", wrap=True)
    return fig
