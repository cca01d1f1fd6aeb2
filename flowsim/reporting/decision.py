"""Which option a board pack recommends, by a stated decision rule, and what each step up buys.

A sweep compares options with a baseline (:func:`flowsim.experiment.compare.compare_to_baseline`).
Which option to recommend is a choice the pack states rather than hides. The rules
(:data:`RULES`):

- ``within_ci_of_best`` (the default): the cheapest option (smallest added cost per year; ties: the
  fewest added places) whose mean net saving is at least the lower end of the 95 % confidence
  interval of the best option's net saving, and no lower than the baseline's. Options the simulation
  cannot tell apart from the best are treated as equally good, so the pack does not ask for money the
  evidence does not support; nor does it recommend an option that does worse on average than keeping
  things as they are (a cut that loses more in delays than it saves, however wide the interval).
- ``cheapest_meeting_target``: the cheapest option whose mean KPI (from the sweep's summary, e.g.
  ``delay_P2_mean_days <= 8.7`` or ``nctr_census_midnight_p95 <= 365``) meets a stated
  :class:`Target`.
- ``largest_net_saving``: the option with the largest mean net saving, however close the others.

Every rule considers the baseline too: keeping things as they are is an option. :func:`decide` returns
the chosen row and a sentence stating the rule, why this option, and which option had the largest mean
net saving when that is another one. :func:`diminishing_step` finds where returns diminish along one
swept capacity, from the steps of :func:`flowsim.measures.aggregate.marginal_benefit_steps`, and
:func:`yearly_spread` gives the range of delayed days avoided in single simulated years.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flowsim.experiment.compare import per_year_difference, valuations_only
from flowsim.measures.kpi_target import Target, parse_target
from flowsim.measures.kpi_target import format_level as _level
from flowsim.measures.student_t import t_quantile
from flowsim.model.errors import ConfigError
from flowsim.model.strict import use_one_of

__all__ = [
    "DEFAULT_RULE",
    "PERCENTILE_REPLICATIONS",
    "RULES",
    "Decision",
    "Target",
    "check_rule",
    "decide",
    "diminishing_step",
    "kpi_levels",
    "option_text",
    "parse_target",
    "returns_sentence",
    "yearly_spread",
]

# From this many paired replications yearly_spread gives their percentiles; below, a prediction interval.
PERCENTILE_REPLICATIONS = 20

# Rule name -> what it recommends, as the pack states it.
RULES = {
    "within_ci_of_best": ("the cheapest option whose mean net saving is within the 95 % confidence "
                          "interval of the best option's and not below the baseline's"),
    "cheapest_meeting_target": "the cheapest option that meets the target",
    "largest_net_saving": "the option with the largest mean net saving",
}
DEFAULT_RULE = "within_ci_of_best"


def check_rule(rule: str, target: str | None, kpis: Sequence[str] | None = None) -> Target | None:
    """Check a rule and its target before anything runs; the parsed target (None without one).

    Parameters
    ----------
    rule : str
        One of :data:`RULES`.
    target : str, optional
        ``KPI<=VALUE`` or ``KPI>=VALUE``: required by ``cheapest_meeting_target`` only.
    kpis : sequence of str, optional
        The KPIs the sweep reports; the target's KPI must be one of them.

    Raises
    ------
    ConfigError
        Naming ``--rule`` or ``--target`` and the fix.
    """
    if rule not in RULES:
        raise ConfigError("--rule", f"unknown rule {rule!r}", use_one_of(rule, RULES))
    if rule != "cheapest_meeting_target":
        if target is not None:
            raise ConfigError("--target", f"is only used by --rule cheapest_meeting_target, not {rule}",
                              "leave --target out, or add --rule cheapest_meeting_target")
        return None
    if target is None:
        raise ConfigError("--target", "is required by --rule cheapest_meeting_target",
                          "add e.g. --target 'delay_P2_mean_days<=8.7'")
    parsed = parse_target(target)
    if kpis is not None and parsed.kpi not in kpis:
        near = difflib.get_close_matches(parsed.kpi, list(kpis), n=3)
        listed = ", ".join(near) if near else "delayed_days_per_year, nctr_census_midnight_p95, ..."
        raise ConfigError("--target", f"{parsed.kpi} is not a KPI of this sweep",
                          f"use a KPI of its summary.csv, e.g. {listed}")
    return parsed


def option_text(row: Mapping[str, Any], swept: Sequence[str]) -> str:
    """``"services.care_home_unit.capacity = 10"`` (or ``"job 3"`` when nothing was swept)."""
    return ", ".join(f"{k} = {row[k]}" for k in swept) or f"job {row['job']}"


def kpi_levels(summary: pd.DataFrame, kpi: str) -> pd.Series:
    """Each job's mean of ``kpi`` from the sweep's ``summary.csv`` table, indexed by job."""
    rows = summary[summary["kpi"] == kpi]
    return pd.Series(rows["mean"].to_numpy(dtype=float), index=rows["job"].tolist(), name=kpi)


def _gbp(value: float) -> str:
    return f"GBP {value:,.0f}" if value >= 0 else f"-GBP {-value:,.0f}"


@dataclass(frozen=True)
class Decision:
    """The recommendation: the rule, the chosen and the best-by-mean rows, and why, in a sentence."""

    rule: str
    chosen: pd.Series | None  # a row of the comparison; None when no option meets the target, or none is one
    best: pd.Series  # the largest mean net saving (the baseline included)
    sentence: str
    target: Target | None = None
    valuations: bool = False  # every swept setting is a price: the jobs are one system valued differently

    @property
    def is_baseline(self) -> bool:
        """Whether the recommendation is to keep the baseline."""
        return self.chosen is not None and self.chosen["job"] == self.chosen["baseline_job"]


def _cheapest(rows: pd.DataFrame) -> pd.Series:
    """The row with the smallest added cost; ties: the fewest added places, then the first job."""
    ordered = rows.sort_values(["added_cost_per_year", "added_capacity"], kind="mergesort")
    return ordered.iloc[0]


def _described(row: pd.Series, swept: Sequence[str]) -> str:
    label = option_text(row, swept)
    return f"{label} (the baseline)" if row["job"] == row["baseline_job"] else label


def decide(comparison: pd.DataFrame, rule: str = DEFAULT_RULE, target: Target | None = None,
           levels: Mapping[Any, float] | pd.Series | None = None, swept: Sequence[str] = ()) -> Decision:
    """Choose an option by ``rule`` and say why.

    Parameters
    ----------
    comparison : pandas.DataFrame
        From :func:`flowsim.experiment.compare.compare_to_baseline`: one row per job (the baseline's
        included), with ``job``, ``baseline_job``, ``net_saving_per_year`` and its ``_ci_low`` /
        ``_ci_high``, ``added_cost_per_year`` and ``added_capacity``.
    rule : str
        One of :data:`RULES`.
    target : Target, optional
        Required by ``cheapest_meeting_target``.
    levels : mapping, optional
        Job -> mean of ``target.kpi`` (:func:`kpi_levels`); required by ``cheapest_meeting_target``.
    swept : sequence of str
        The swept parameters, to name options.

    Returns
    -------
    Decision

    Raises
    ------
    ConfigError
        An unknown rule, or ``cheapest_meeting_target`` without a target or levels.
    """
    if rule not in RULES:
        raise ConfigError("rule", f"unknown rule {rule!r}", use_one_of(rule, RULES))
    rows = comparison.reset_index(drop=True).astype(object)  # a row keeps each column's type (job 3, not 3.0)
    net = rows["net_saving_per_year"].to_numpy(dtype=float)
    best = rows.iloc[int(np.nanargmax(net))]
    best_text = f"{_described(best, swept)}, {_gbp(best['net_saving_per_year'])} a year"
    if np.isfinite(best["net_saving_per_year_ci_low"]):
        best_text += (f" (95 % CI {_gbp(best['net_saving_per_year_ci_low'])} to "
                      f"{_gbp(best['net_saving_per_year_ci_high'])})")
    stated = f"Decision rule: recommend {RULES[rule]}"
    if valuations_only(swept):  # one system priced several ways: a "best" price is no decision to take
        return Decision(rule, None, best, (
            f"Every swept setting is a price ({', '.join(swept)}): the jobs simulate one system, and their "
            "net savings differ only by how its delayed days and places are valued, not by anything a board "
            f"could choose, so no option is recommended. The largest net saving is at {best_text}."),
            valuations=True)
    others = rows[rows["job"] != best["job"]]
    if (rule != "cheapest_meeting_target" and best["job"] == best["baseline_job"] and len(others)
            and (others["net_saving_per_year"].to_numpy(dtype=float) < best["net_saving_per_year"]).all()):
        closest = others.iloc[int(np.nanargmax(others["net_saving_per_year"].to_numpy(dtype=float)))]
        closest_text = f"{_described(closest, swept)}, {_gbp(closest['net_saving_per_year'])} a year"
        if np.isfinite(closest["net_saving_per_year_ci_low"]):
            closest_text += (f" (95 % CI {_gbp(closest['net_saving_per_year_ci_low'])} to "
                             f"{_gbp(closest['net_saving_per_year_ci_high'])})")
        return Decision(rule, best, best, (
            f"{stated}. No option saves more than it costs: every option's mean net saving is below the "
            f"baseline's, so the rule keeps {_described(best, swept)}. The closest is {closest_text}."))
    if rule == "largest_net_saving":
        chosen = best
        close = rows[(rows["job"] != best["job"])
                     & (rows["net_saving_per_year"] >= best["net_saving_per_year_ci_low"])]
        sentence = f"{stated}. That is {best_text}."
        if len(close):
            sentence += (f" {'; '.join(_described(r, swept) for _, r in close.iterrows())} "
                         f"{'has a mean' if len(close) == 1 else 'have means'} within that interval: "
                         "the simulation cannot tell them apart from it.")
        return Decision(rule, chosen, best, sentence)
    if rule == "within_ci_of_best":
        low = best["net_saving_per_year_ci_low"]
        if not np.isfinite(low):  # one replication: no interval
            chosen = best
            return Decision(rule, chosen, best, f"{stated}. With a single replication there is no "
                            f"interval, so the rule falls back to the largest mean: {best_text}.")
        # Never an option worse on average than keeping things as they are: with a wide interval, a cut
        # that loses money would otherwise count as "as good as the best" and win as the cheapest.
        baseline = rows.loc[rows["job"] == rows["baseline_job"], "net_saving_per_year"]
        floor = max(low, float(baseline.iloc[0]) if len(baseline) else 0.0)
        chosen = _cheapest(rows[rows["net_saving_per_year"] >= floor])
        floor_text = (f"a net saving of at least {_gbp(low)} a year" if floor == low else
                      f"a net saving of at least {_gbp(floor)} a year: within that interval, which reaches "
                      f"down to {_gbp(low)}, and no worse than the baseline's")
        why = f"{stated} ({floor_text}). {_described(chosen, swept)} is the cheapest such option"
        if chosen["job"] == best["job"]:
            return Decision(rule, chosen, best, f"{why}: it also has the largest mean net saving, "
                            f"{best_text}, and no cheaper option comes within its interval.")
        extra = best["added_cost_per_year"] - chosen["added_cost_per_year"]
        return Decision(rule, chosen, best, (
            f"{why}, with a mean net saving of {_gbp(chosen['net_saving_per_year'])} a year at an added "
            f"cost of {_gbp(chosen['added_cost_per_year'])}. The largest mean net saving is "
            f"{best_text}, but the further {_gbp(extra)} a year it costs buys no net saving the "
            "simulation can tell apart from the recommended option's."))
    if target is None or levels is None:
        raise ConfigError("--target", "is required by --rule cheapest_meeting_target",
                          "add e.g. --target 'delay_P2_mean_days<=8.7'")
    level = rows["job"].map(lambda job: float(levels[job]) if job in levels else float("nan"))
    meeting = rows[[target.met(v) for v in level]]
    stated = f"{stated}: a mean {target}"
    if meeting.empty:
        gaps = (level - target.value).abs()
        closest = rows.iloc[int(np.nanargmin(gaps.to_numpy(dtype=float)))]
        return Decision(rule, None, best, (
            f"{stated}. No option meets it: the closest is {_described(closest, swept)}, with "
            f"{target.kpi} {_level(float(level[closest.name]))}. The largest mean net saving is "
            f"{best_text}."), target)
    chosen = _cheapest(meeting)
    sentence = (f"{stated}. {_described(chosen, swept)} is the cheapest of the {len(meeting)} of "
                f"{len(rows)} options that do, with {target.kpi} {_level(float(level[chosen.name]))} "
                f"at an added cost of {_gbp(chosen['added_cost_per_year'])} a year.")
    if chosen["job"] != best["job"]:
        sentence += f" The largest mean net saving is {best_text}."
    return Decision(rule, chosen, best, sentence, target)


def diminishing_step(steps: pd.DataFrame, fraction: float = 0.5) -> pd.Series | None:
    """The first step whose delayed days avoided per added place fall below ``fraction`` of the first's.

    Parameters
    ----------
    steps : pandas.DataFrame
        From :func:`flowsim.measures.aggregate.marginal_benefit_steps` on one swept capacity (in
        order); steps that add no place are skipped.
    fraction : float
        Returns diminish at the first step buying less than this share of the first step's benefit.

    Returns
    -------
    pandas.Series or None
        The step's row; None if the first step avoids no delayed days or no later step falls below.
    """
    per_place = steps["delayed_days_avoided_per_added_place"].to_numpy(dtype=float)
    valid = np.flatnonzero(np.isfinite(per_place))
    if valid.size < 2 or per_place[valid[0]] <= 0:
        return None
    threshold = fraction * per_place[valid[0]]
    below = [i for i in valid[1:] if per_place[i] < threshold]
    return steps.iloc[below[0]] if below else None


def returns_sentence(steps: pd.DataFrame, option: str, fraction: float = 0.5,
                     net_savings: Sequence[float] | None = None) -> str:
    """What each step along ``option`` buys, and where returns diminish, in plain words.

    Steps whose added places avoid less than half a delayed day a year each are said to avoid none
    (there are then no returns to diminish). With ``net_savings`` (the mean net saving of each option
    that adds places), the sentence ends by saying so when no option pays for itself.
    """
    per_place = steps["delayed_days_avoided_per_added_place"].to_numpy(dtype=float)
    valid = np.flatnonzero(np.isfinite(per_place))
    if valid.size == 0:
        return ""
    first = steps.iloc[valid[0]]
    below = f"{'half' if fraction == 0.5 else f'{fraction:.0%} of'} that"
    if per_place[valid[0]] < 0.5:  # about nothing (or worse, within the noise)
        text = (f"Going from {option} = {first['option_from']} to {first['option_to']}, the added places "
                "avoid no delayed days a year on average")
        later = [i for i in valid[1:] if per_place[i] >= 0.5]
        if later:
            step = steps.iloc[later[0]]
            text += (f". From {step['option_from']} to {step['option_to']} each added place avoids about "
                     f"{_level(step['delayed_days_avoided_per_added_place'])}.")
        else:
            text += ", and no later step does either over the options swept." if valid.size > 1 else "."
    else:
        text = (f"Going from {option} = {first['option_from']} to {first['option_to']}, each added place "
                f"avoids about {_level(first['delayed_days_avoided_per_added_place'])} delayed days a year.")
        step = diminishing_step(steps, fraction)
        if step is not None:
            text += (f" From {step['option_from']} to {step['option_to']} each added place avoids about "
                     f"{_level(step['delayed_days_avoided_per_added_place'])}, less than {below}: returns "
                     "diminish there.")
        elif valid.size > 1:
            text += f" No later step falls below {below} over the options swept."
    net = np.asarray(list(net_savings) if net_savings is not None else [], dtype=float)
    net = net[np.isfinite(net)]
    if net.size and (net < 0).all():
        text += (" No option that adds places avoids enough delayed days to pay for itself: on average, "
                 "each costs more a year than the delayed days it avoids are worth.")
    return text


def yearly_spread(results: pd.DataFrame, baseline_job: Any, job: Any, observed_days: float,
                  column: str = "delayed_days_total", level: float = 0.95) -> tuple[float, float]:
    """Range of ``column`` avoided (baseline - option) in single simulated years, per year.

    How much one year can differ from another, unlike the confidence interval of the mean, which
    narrows as replications are added. From :data:`PERCENTILE_REPLICATIONS` paired replications on,
    the ``(1 - level) / 2`` and ``(1 + level) / 2`` percentiles (linear interpolation) of the paired
    differences, scaled to 365 days. With fewer, percentiles would sit between the few values seen
    (five replications gave a range narrower than the mean's own interval), so the range is the
    prediction interval of one more year: ``mean ± t(n - 1) · sd · √(1 + 1/n)``, which assumes the
    years vary about normally. One replication gives its own value twice: nothing to spread.

    Parameters
    ----------
    results : pandas.DataFrame
        The sweep's ``results.parquet``: ``job``, ``replication`` and the KPI columns.
    baseline_job, job
        The two jobs; replications are paired by number.
    observed_days : float
        Days observed per replication, where ``results`` has no ``observed_days`` column (with one,
        each job is scaled by its own window).
    column : str
        A KPI of ``results``.
    level : float
        The share of simulated years the range covers.

    Returns
    -------
    (low, high)
    """
    base = results[results["job"] == baseline_job].set_index("replication")
    option = results[results["job"] == job].set_index("replication")
    common = base.index.intersection(option.index)
    differences = per_year_difference(base.loc[common], option.loc[common], column, observed_days)
    n = differences.size
    if n == 0:
        return float("nan"), float("nan")
    if 2 <= n < PERCENTILE_REPLICATIONS:
        half = t_quantile(n - 1, 0.5 + level / 2) * differences.std(ddof=1) * np.sqrt(1 + 1 / n)
        return float(differences.mean() - half), float(differences.mean() + half)
    low, high = np.percentile(differences, [50 * (1 - level), 50 * (1 + level)])
    return float(low), float(high)
