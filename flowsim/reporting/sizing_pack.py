"""The board pack of a sizing search (``flowsim-board --sizing DIR``): its sentences and tables.

Everything is read from what ``flowsim-size`` wrote into its output folder: ``recommendation.json``
(the recommended mix, today's, the difference with 95 % CIs, the validation on new seeds, the size of
the search) and ``candidates.csv`` (one row per mix tried), once
:func:`flowsim.reporting.sizing_folder.check_sizing` has found them consistent. The notebook
``notebooks/board_sizing.py`` shows :func:`question`, :func:`answer`, :func:`validation_sentence`,
:func:`mix_table`, :func:`against_table`, :func:`evidence_table`, :func:`search_sentence` and
:func:`method_text`.

Differences are read as the board asks them: baseline (today) minus recommended, so a positive
amount is saved or avoided, and a negative one is said in words (``GBP 180,000 more``), never as a
minus sign.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from flowsim.measures.kpi_target import Target, format_level, parse_target
from flowsim.reporting.sizing_summary import shown

__all__ = ["KPI_WORDS", "against_table", "answer", "change", "evidence_table", "method_text", "mix_table",
           "question", "search_sentence", "validation_sentence"]

# KPIs in a board's words (others are shown by their name).
KPI_WORDS = {
    "cost_total_per_year": "total cost a year (acute delayed days and services)",
    "cost_services_per_year": "service cost a year",
    "cost_delayed_days_per_year": "cost of acute delayed days a year",
    "delayed_days_per_year": "delayed days a year",
    "delay_mean_days": "mean delay per patient in days",
    "nctr_census_mean": "average number of patients ready to leave but still in an acute bed",
    "nctr_census_midnight_p95": "95th percentile of the midnight count of patients ready to leave",
    "nctr_census_winter_p95": "95th percentile of the winter midnight count of patients ready to leave",
}


def _number(value: Any) -> float | None:
    """A finite float, or None for a missing one (null in JSON, NaN)."""
    return None if value is None or not math.isfinite(float(value)) else float(value)


def _amount(value: float, money: bool) -> str:
    return f"GBP {abs(value):,.0f}" if money else f"{abs(value):,.0f}"


def _interval(entry: Mapping[str, Any], money: bool, up: str, down: str) -> str:
    """``95 % CI GBP 2,246 more to GBP 289,289 saved``; empty when the interval is missing."""
    low, high = _number(entry.get("ci_low")), _number(entry.get("ci_high"))
    if low is None or high is None:
        return ""
    if round(low) >= 0 or round(high) <= 0:  # one side of zero: the smaller amount first
        near, far = sorted((low, high), key=abs)
        return f"95 % CI {_amount(near, money)} to {_amount(far, money)} {up if round(low) >= 0 else down}"
    return f"95 % CI {_amount(low, money)} {down} to {_amount(high, money)} {up}"


def change(entry: Mapping[str, Any], money: bool, up: str = "saved", down: str = "more") -> str:
    """A difference from today in words: ``GBP 143,521 saved (95 % CI GBP 2,246 more to ...)``.

    Parameters
    ----------
    entry : mapping
        ``mean``, ``ci_low``, ``ci_high`` of today minus recommended (positive: saved, avoided); a
        missing interval (null, NaN) is left out.
    money : bool
        GBP amounts with thousands separators, else counts.
    up, down : str
        The word after a positive amount and after a negative one (``fewer`` / ``more`` for days).

    Returns
    -------
    str
        No minus sign: the sign is said by ``up`` or ``down``. An interval on one side of zero reads
        ``a to b word``, the smaller amount first; one across zero reads ``a down to b up``.
    """
    mean = float(entry["mean"])
    ci = _interval(entry, money, up, down)
    return f"{_amount(mean, money)} {up if round(mean) >= 0 else down}" + (f" ({ci})" if ci else "")


def _cost_clause(entry: Mapping[str, Any]) -> str:
    """``saves GBP 143,521 a year in total cost (95 % CI ...)`` or ``costs GBP 180,000 a year more ...``."""
    mean = float(entry["mean"])
    head = (f"saves {_amount(mean, True)} a year in total cost" if round(mean) >= 0 else
            f"costs {_amount(mean, True)} a year more in total")
    ci = _interval(entry, True, "saved", "more")
    return head + (f" ({ci})" if ci else "")


def _days_clause(entry: Mapping[str, Any]) -> str:
    """``with 1,200 fewer delayed days a year (95 % CI ...)`` or ``with 804 more ...``."""
    mean = float(entry["mean"])
    head = f"with {_amount(mean, False)} {'fewer' if round(mean) >= 0 else 'more'} delayed days a year"
    ci = _interval(entry, False, "fewer", "more")
    return head + (f" ({ci})" if ci else "")


def _listed(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _kpi(kpi: str) -> str:
    return f"the {KPI_WORDS[kpi]} ({kpi})" if kpi in KPI_WORDS else kpi


def _targets(rec: Mapping[str, Any]) -> list[Target]:
    return [parse_target(t, "constraints") for t in rec["constraints"]]


def _target_words(target: Target) -> str:
    return f"{_kpi(target.kpi)} {'at or below' if target.op == '<=' else 'at or above'} " \
           f"{format_level(target.value)}"


def _percent(confidence: float) -> str:
    return f"{confidence * 100:g} %"


def _mix(values: Mapping[str, Any]) -> str:
    # a surge block of no places has no dates: they are left out of the sentence
    return _listed([f"{name} {value}" for name, value in values.items() if shown(values, name) != "-"])


def question(rec: Mapping[str, Any]) -> str:
    """The question the search answers, in one sentence: the decisions, the objective, the targets.

    Parameters
    ----------
    rec : mapping
        ``recommendation.json``, read as a dict.

    Returns
    -------
    str
        E.g. ``Which mix of ic_beds and p3 has the lowest total cost a year (...), while keeping ...?``
    """
    objective = KPI_WORDS.get(rec["objective"], rec["objective"])
    text = f"Which mix of {_listed(list(rec['recommended']))} has the lowest {objective}"
    targets = _targets(rec)
    if targets:
        text += (f", while keeping {_listed([_target_words(t) for t in targets])}, with "
                 f"{_percent(rec['confidence'])} confidence")
    return text + "?"


def answer(rec: Mapping[str, Any]) -> str:
    """The recommended mix against today's, in one sentence: total cost, delayed days, the targets.

    Parameters
    ----------
    rec : mapping
        ``recommendation.json``, read as a dict.

    Returns
    -------
    str
        Markdown, ``**Answer: ...**`` first; differences from today in words (:func:`change`).
    """
    today = rec.get("today") or {}
    same = dict(today) == dict(rec["recommended"])
    head = (f"keep today's mix, {_mix(rec['recommended'])}" if same else
            f"{_mix(rec['recommended'])} (today: {_mix(today)})" if today else _mix(rec["recommended"]))
    against = rec["against_today"]
    if same:
        text = f"**Answer: {head}**: no mix tried does better"
    else:
        text = (f"**Answer: {head}**. Against today's mix, on the same simulated patients, it "
                f"{_cost_clause(against['cost_total_per_year'])}, "
                f"{_days_clause(against['delayed_days_per_year'])}")
    if rec["constraints"]:
        several = len(rec["constraints"]) > 1
        text += (f", and meets the {'targets' if several else 'target'} with {_percent(rec['confidence'])} "
                 "confidence" if rec["meets_targets_with_confidence"] else
                 f", but does not meet {'every' if several else 'the'} target with "
                 f"{_percent(rec['confidence'])} confidence: no mix tried did, and this is the nearest miss")
    return text + "."


def _target_result(entry: Mapping[str, Any], confidence: float) -> str:
    target = parse_target(entry["target"], "constraints")
    verdict = (f"met with {_percent(confidence)} confidence" if entry["met_with_confidence"] else
               f"met on average but not with {_percent(confidence)} confidence" if entry["met"] else
               "NOT met")
    bound = "at most" if target.op == "<=" else "at least"
    return (f"{_kpi(target.kpi)} averaged {format_level(entry['mean'])} against a target of {bound} "
            f"{format_level(target.value)}: {verdict}")


def validation_sentence(rec: Mapping[str, Any]) -> str:
    """The recommendation rerun on new seeds, in one sentence (or that it was not).

    Parameters
    ----------
    rec : mapping
        ``recommendation.json``, read as a dict.

    Returns
    -------
    str
        Markdown: total cost and delayed days against today's mix there, and each target's level.
    """
    validation = rec.get("validation")
    if not validation:
        return ("**Checked on new patients:** not done (the sizing file set validation.replications to 0); "
                "the figures above are from the search's own replications.")
    against = validation["against_today"]
    text = (f"**Checked on new patients:** rerun with {validation['replications']} fresh replications "
            f"(seed {validation['seed']}) that the search never saw, it "
            f"{_cost_clause(against['cost_total_per_year'])}, "
            f"{_days_clause(against['delayed_days_per_year'])}")
    results = [_target_result(t, rec["confidence"]) for t in validation["targets"]]
    return text + (f"; {'; '.join(results)}." if results else ".")


def _step(today: Any, recommended: Any) -> str:
    """The change between two values that read differently (the same, or unknown, is said before)."""
    if all(isinstance(v, int) and not isinstance(v, bool) for v in (today, recommended)):
        return f"{recommended - today:,} more" if recommended > today else f"{today - recommended:,} fewer"
    return "changed"


def mix_table(rec: Mapping[str, Any]) -> pd.DataFrame:
    """One row per decision: today's value, the recommended one and the change.

    Parameters
    ----------
    rec : mapping
        ``recommendation.json``, read as a dict.

    Returns
    -------
    pandas.DataFrame
        Columns ``decision``, ``today``, ``recommended``, ``change`` (``4 more``, ``no change``), as text.
    """
    today = rec.get("today") or {}
    recommended = rec["recommended"]

    def cell(values: Mapping[str, Any], name: str) -> str:
        text = shown(values, name) if name in values else "—"
        return "—" if text == "-" else text  # a surge block of no places has no dates

    def change(name: str) -> str:
        before, after = cell(today, name), cell(recommended, name)
        if before == after:
            return "no change"
        if "—" in (before, after):  # today unknown, or a block's dates where it had none
            return "—" if name not in today else "changed"
        return _step(today[name], recommended[name])

    return pd.DataFrame({"decision": list(recommended),
                         "today": [cell(today, k) for k in recommended],
                         "recommended": [cell(recommended, k) for k in recommended],
                         "change": [change(k) for k in recommended]})


_AGAINST = (("cost_total_per_year", "Total cost (acute delayed days and services)", True, "saved"),
            ("cost_services_per_year", "Service cost", True, "saved"),
            ("cost_delayed_days_per_year", "Cost of acute delayed days", True, "saved"),
            ("delayed_days_per_year", "Delayed days", False, "fewer"))


def against_table(rec: Mapping[str, Any]) -> pd.DataFrame:
    """The recommended mix against today's a year, in the search and on new seeds, in words.

    Parameters
    ----------
    rec : mapping
        ``recommendation.json``, read as a dict.

    Returns
    -------
    pandas.DataFrame
        One row per measure (total cost, service cost, acute delayed-day cost, delayed days), one
        column per set of replications, each cell from :func:`change`.
    """
    columns = {"recommended against today, a year": [words for _, words, _, _ in _AGAINST]}
    blocks = [("on the search's patients", rec["against_today"])]
    if rec.get("validation"):
        blocks.append(("on new patients", rec["validation"]["against_today"]))
    for heading, block in blocks:
        n = next(iter(block.values()))["replications"] if block else 0
        columns[f"{heading} ({n} replications)"] = [
            change(block[kpi], money, up) if kpi in block else "—" for kpi, _, money, up in _AGAINST]
    return pd.DataFrame(columns)


def _level(kpi: str, value: float) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"GBP {value:,.0f}" if kpi.startswith("cost_") else format_level(value)


def _outcome(row: pd.Series, confidence: float, targets: bool, chosen: float, objective: str) -> str:
    if bool(row["recommended"]):
        return "recommended"
    if pd.notna(row["eliminated_at"]):
        return f"ruled out after {int(row['eliminated_at'])} replications"
    if targets and not bool(row["meets_targets"]):
        return "misses a target on average"
    if targets and not bool(row["meets_targets_with_confidence"]):
        return f"meets the targets on average, not with {_percent(confidence)} confidence"
    mean = row[_all(row, f"{objective}_mean")]
    return (f"not ruled out in {int(row['replications'])} replications; "
            + ("the same mean" if _level(objective, mean) == _level(objective, chosen) else "a higher mean"))


def _all(row: pd.Series | pd.DataFrame, column: str) -> str:
    """``<kpi>_all_<stat>`` (over every replication a mix has) where the table has it, else ``column``."""
    for end in ("_mean", "_ci_low", "_ci_high"):
        if column.endswith(end):
            wide = f"{column.removesuffix(end)}_all{end}"
            names = row.index if isinstance(row, pd.Series) else row.columns
            return wide if wide in names else column
    return column


def evidence_table(candidates: pd.DataFrame, rec: Mapping[str, Any]) -> pd.DataFrame:
    """The shortlisted mixes, lowest objective first: replications, means, CI, targets, outcome.

    Parameters
    ----------
    candidates : pandas.DataFrame
        ``candidates.csv``.
    rec : mapping
        ``recommendation.json``, read as a dict.

    Returns
    -------
    pandas.DataFrame
        One row per shortlisted mix, as text: money in GBP with thousands separators.
    """
    objective = rec["objective"]
    rows = candidates[candidates["shortlisted"].astype(bool) | candidates["recommended"].astype(bool)]
    rows = rows.sort_values(_all(rows, f"{objective}_mean"), kind="stable")
    name = KPI_WORDS.get(objective, objective).split(" (")[0]  # a column heading: the short name
    table = pd.DataFrame({k: rows[k].astype(str) for k in rec["recommended"]})
    table["replications"] = rows["replications"].astype(int).astype(str)
    table[f"{name}, mean"] = [_level(objective, v) for v in rows[_all(rows, f"{objective}_mean")]]
    if f"{objective}_ci_low" in rows:
        table["95 % CI"] = [f"{_level(objective, lo)} to {_level(objective, hi)}" if pd.notna(lo) else "—"
                            for lo, hi in zip(rows[_all(rows, f"{objective}_ci_low")],
                                              rows[_all(rows, f"{objective}_ci_high")], strict=True)]
    for kpi in ("delayed_days_per_year", "cost_services_per_year"):
        if kpi != objective:
            table[f"{KPI_WORDS[kpi]}, mean"] = [_level(kpi, v) for v in rows[_all(rows, f"{kpi}_mean")]]
    targets = _targets(rec)
    for target in targets:
        if f"{target.kpi}_mean" in rows:
            table[f"{target.kpi}, mean"] = [_level(target.kpi, v) for v in rows[f"{target.kpi}_mean"]]
    if targets:
        table["meets the targets"] = [
            f"yes, with {_percent(rec['confidence'])} confidence" if bool(c) else
            "on average only" if bool(m) else "no"
            for m, c in zip(rows["meets_targets"], rows["meets_targets_with_confidence"], strict=True)]
    chosen = float(rows.loc[rows["recommended"].astype(bool), _all(rows, f"{objective}_mean")].iloc[0])
    table["outcome"] = [_outcome(r, rec["confidence"], bool(targets), chosen, objective)
                        for _, r in rows.iterrows()]
    return table.reset_index(drop=True)


def search_sentence(rec: Mapping[str, Any]) -> str:
    """How big the search was: mixes tried of the grid, replications run and reused.

    Parameters
    ----------
    rec : mapping
        ``recommendation.json``, read as a dict.

    Returns
    -------
    str
        One sentence.
    """
    search = rec["search"]
    simulated, reused = search["replications_simulated"], search["replications_reused"]
    text = (f"The search simulated {search['candidates_tried']:,} of the {search['grid_size']:,} possible "
            f"mixes, in {simulated + reused:,} replications")
    if reused:
        text += f" ({reused:,} of them kept from an earlier, interrupted run of the same search)"
    return text + f"; the {len(search['shortlist'])} best went on to the final comparison shown here."


def method_text(rec: Mapping[str, Any]) -> str:
    """How the mix was found, for a board: the search, the polish, the selection, the validation.

    Parameters
    ----------
    rec : mapping
        ``recommendation.json``, read as a dict.

    Returns
    -------
    str
        Markdown: two paragraphs, the method and what the numbers are not.
    """
    search = rec["search"]
    objective = rec["objective"]
    indifference = _number(rec.get("indifference"))
    zone = (f" (mixes closer than {_level(objective, indifference)} a year are treated as equally good)"
            if indifference is not None and objective.startswith("cost_") else "")
    validation = rec.get("validation")
    undecided = int(rec.get("selection_undecided") or 0)  # absent from packs of earlier searches
    return (
        "Every mix was simulated on **common random numbers**: replication *r* of every mix sees the same "
        f"patients (search seed {rec['seed']}), so differences between mixes come from the capacities, not "
        "from luck. An optimiser (Optuna's **TPE** sampler, a tree-structured Parzen estimator) proposed "
        f"{search['trials']} mixes in batches, learning from the results where the cheaper mixes lie. A "
        "**local polish** then tried every neighbouring mix of the best one found (one step up or down in "
        "one decision) until none was better. The best mixes were shortlisted and compared by **ranking "
        "and selection** (the fully sequential procedure of Kim and Nelson, 2001): replications are added "
        "and a mix is ruled out once it is worse than another by more than chance explains, so the one "
        + (f"kept is the best with 95 % probability{zone}." if not undecided else
           f"kept would be the best with 95 % probability{zone}. Here the procedure reached its limit of "
           f"replications (search.max_replications) with {undecided} mixes still too close to tell apart: "
           "the one kept has the lowest mean of them, not a proven best (more replications would "
           "separate them).")
        + (f" Targets count as met when the one-sided {_percent(rec['confidence'])} confidence bound of "
           "the mean meets them, not just the mean." if rec["constraints"] else "")
        + (f" Finally the recommended mix and today's were **rerun on {validation['replications']} fresh "
           f"replications** (seed {validation['seed']}), which the search never saw, to check that the "
           "result is not an accident of the replications it was chosen on." if validation else "")
        + "\n\nThese are averages for a simulated system with the model's assumptions, not a forecast of "
        "any one year. The cost of acute delayed days is hospital capacity freed or used, valued per "
        "bed-day: it is not cash unless beds or staff are actually taken out.")
