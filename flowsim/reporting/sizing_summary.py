"""The printed summary of a sizing search, read back from its ``recommendation.json``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["format_sizing", "load_recommendation", "money", "shown"]


def load_recommendation(path: str | Path) -> dict[str, Any]:
    """``recommendation.json`` as a dict (a number no replication gave is null there, and here None)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _figure(value: float | None, fmt: str) -> str:
    """``value`` formatted, or "n/a" when it is null or NaN (a KPI the replications gave no number for)."""
    if value is None or value != value:
        return "n/a"
    text = format(value, fmt)
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text  # no "-0"


def _kpi_format(value: float | None) -> str:
    """Two decimals below 100 (a mean delay of 1.91 days, a target written to two: <= 1.50), whole
    numbers above."""
    return ",.0f" if value is not None and abs(value) >= 100 else ",.2f"


def money(value: float | None) -> str:
    """GBP with thousands separators; a minus sign before the currency for a negative sum."""
    if value is None or value != value:
        return "n/a"
    return f"GBP {value:,.0f}" if value >= 0 else f"minus GBP {-value:,.0f}"


def _ci(entry: Mapping[str, Any], fmt: str) -> str:
    low, high = entry.get("ci_low"), entry.get("ci_high")
    mean = _figure(entry["mean"], fmt)
    if low is None or high is None:  # one replication (no interval), or half of one: the mean alone
        return mean
    return f"{mean} (95 % CI {_figure(low, fmt)} to {_figure(high, fmt)})"


def _against(block: Mapping[str, Any], heading: str) -> list[str]:
    lines = [heading]
    days = block.get("delayed_days_per_year")
    if days:
        lines.append(f"  delayed days avoided a year: {_ci(days, ',.0f')}")
    for kpi, words in (("cost_services_per_year", "service cost a year, saved (negative: added)"),
                       ("cost_total_per_year", "total cost a year (acute + services), saved")):
        if kpi in block:
            lines.append(f"  {words}: {_ci(block[kpi], ',.0f')} GBP")
    return lines


def _count(n: int, noun: str) -> str:
    """``1 replication``, ``20 replications``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def shown(values: Mapping[str, Any], name: str) -> str:
    """A decision's value for people: a surge block of 0 places has no dates ("-")."""
    block, _, part = name.rpartition(".")
    if part in ("start", "weeks") and values.get(f"{block}.places") == 0:
        return "-"
    return str(values.get(name, ""))


def format_sizing(path: str | Path) -> str:
    """The recommendation, today's mix, the difference with CIs and the validation, as text."""
    rec = load_recommendation(path)
    today = rec.get("today") or {}
    lines = ["", f"Recommended mix ({rec['objective']} minimised"
             + (f"; targets {', '.join(rec['constraints'])} at {rec['confidence']:.0%} confidence)"
                if rec["constraints"] else ")")]
    width = max(len(k) for k in rec["recommended"])
    lines.append(f"  {'':{width}}  {'recommended':>12}  {'today':>12}")
    for name in rec["recommended"]:
        lines.append(f"  {name:{width}}  {shown(rec['recommended'], name):>12}  {shown(today, name):>12}")
    objective = {"mean": rec["objective_mean"], "ci_low": rec["objective_ci_low"],
                 "ci_high": rec["objective_ci_high"]}
    lines.append(f"  {rec['objective']}: {_ci(objective, _kpi_format(objective['mean']))} over "
                 f"{_count(rec['replications'], 'replication')}")
    if rec.get("selection_undecided"):
        lines.append(f"  selection: stopped at search.max_replications with {rec['selection_undecided']} "
                     "mixes too close to tell apart; the lowest mean is kept, not a proven best")
    if rec["constraints"]:
        lines.append("  targets met with confidence: " + ("yes" if rec["meets_targets_with_confidence"]
                                                          else "NO - the nearest miss is shown"))
    lines += _against(rec["against_today"], "Against today (same patients, baseline minus recommended):")
    validation = rec.get("validation")
    if validation:
        lines += _against(validation["against_today"], f"Validation on new seeds (seed {validation['seed']}, "
                          f"{validation['replications']} replications):")
        for target in validation["targets"]:
            # as the board pack says it: met on average is not met with the confidence asked for
            verdict = ("NOT met" if not target["met"]
                       else "met with confidence" if target["met_with_confidence"]
                       else f"met on average, not with {rec['confidence']:.0%} confidence")
            # two decimals below 100: a target may be written to two (<= 1.50), and 1.3 hides how close
            mean = target["mean"]
            fmt = ",.1f" if mean is not None and abs(mean) >= 100 else ",.2f"
            lines.append(f"  {target['target']}: mean {_figure(mean, fmt)} - {verdict}")
    search = rec["search"]
    grid = search["grid_size"]
    mixes = "mix" if grid == 1 else "mixes"
    lines.append(f"Search: {search['candidates_tried']:,} of {grid:,} {mixes} tried, "
                 f"{_count(search['replications_simulated'] + search['replications_reused'], 'replication')} "
                 f"in all ({search['replications_reused']:,} taken from checkpoints)")
    return "\n".join(lines)
