"""The short human summary ``flowsim`` prints after a run.

It says first what the scenario turns on (housing, coordinators, flats, the acute bed pool, calendars,
schedules, closures, a warm start), then prints only the sections those features make meaningful.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flowsim.measures.kpi_table import group_means
from flowsim.model.scenario import PATHWAYS, Scenario
from flowsim.reporting.features import has_admission_calendar, has_coordinators, has_flats, scenario_features

if TYPE_CHECKING:
    import pandas as pd

# A table as format_summary takes it: a frame, or its rows as dicts (as a run keeps them).
Rows = Sequence[Mapping[str, Any]]
# The summary by KPI: each KPI's row (mean, n, ci_high, ...).
ByKpi = Mapping[str, Mapping[str, Any]]

__all__ = ["format_comparison", "format_summary"]


def _rows(table: pd.DataFrame | Rows) -> Rows:
    """A frame's rows as dicts; rows as they are."""
    return table.to_dict(orient="records") if hasattr(table, "to_dict") else table


def _cell(summary: ByKpi, kpi: str, digits: int = 1, scale: float = 1.0) -> str:
    """``mean`` (x ``scale``) of ``kpi``, with ``± half-width`` when there are replications to give one."""
    if kpi not in summary:
        return "-"
    row = summary[kpi]
    mean = row["mean"]
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "-"
    text = f"{scale * mean:,.{digits}f}"
    if row["n"] > 1 and not math.isnan(row["ci_high"]):
        text += f" ± {scale * (row['ci_high'] - mean):,.{digits}f}"
    return text


def _percent(summary: ByKpi, kpi: str) -> str:
    text = _cell(summary, kpi, 1, scale=100.0)
    return text if text == "-" else f"{text} %"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(
        zip(headers, widths, strict=True)))
    out = [line, "-" * len(line)]
    for r in rows:
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(
            zip(r, widths, strict=True))))
    return out


# -- sections ----------------------------------------------------------------------------------------
def _delay_lines(s: ByKpi, scenario: Scenario) -> list[str]:
    rows = []
    for p in (*PATHWAYS, None):
        suffix = f"_{p}" if p else ""
        rows.append([p or "all",
                     _cell(s, f"delay{suffix}_n", 0),
                     _cell(s, f"delayed_days_total{suffix}", 0),
                     _cell(s, f"delay{suffix}_mean_days", 2),
                     _cell(s, f"delay{suffix}_p50_days", 2),
                     _cell(s, f"delay{suffix}_p95_days", 2)])
    lines = ["", "Delayed days (NCTR to leaving the acute bed) by pathway"]
    lines += _table(["pathway", "episodes", "delayed days", "mean days", "p50", "p95"], rows)
    if "delay_censored_n" in s and s["delay_censored_n"]["mean"] > 0:
        lines.append(f"(delays followed {scenario.cool_down_days:g} days past the horizon; "
                     f"{_cell(s, 'delay_censored_n', 0)} episode(s) still waiting then count with "
                     "their delay so far)")
    reasons = ["admin", "P1", "P2", "P3"]
    if scenario.housing.enabled:
        reasons.append("housing")
    if any(has_admission_calendar(u.availability) or u.availability.outbreaks_per_year > 0
           for u in scenario.units):  # a unit can be closed to admissions: calendar waits exist
        reasons.append("calendar")
    shown = [f"{r} {_cell(s, f'delayed_days_reason_{r}', 0)}" for r in reasons
             if f"delayed_days_reason_{r}" in s]
    if shown:
        lines += ["", "Delayed days by reason: " + ", ".join(shown)]
    return lines


def _housing_lines(s: ByKpi, scenario: Scenario) -> list[str]:
    housing = scenario.housing
    if not housing.enabled:
        return []
    lines = [f"Housing: {_cell(s, 'barriers', 0)} barriers, mean wait for a fix "
             f"{_cell(s, 'housing_wait_days_mean')} d, P2 bed-days blocked by housing "
             f"{_cell(s, 'p2_blocked_by_housing_days', 0)}"]
    if has_coordinators(scenario):
        lines.append(
            f"Housing coordinators: {housing.coordinator_fte} FTE, caseload up to "
            f"{housing.caseload_capacity}; mean caseload {_cell(s, 'coordinator_caseload_mean')} "
            f"(utilisation {_percent(s, 'coordinator_utilisation')}), mean wait for a coordinator "
            f"{_cell(s, 'coordinator_wait_days_mean', 2)} d; fixes coordinated "
            f"{_cell(s, 'fixes_coordinated', 0)}, uncoordinated {_cell(s, 'fixes_uncoordinated', 0)}")
    for flat in (f for f in housing.flats if f.capacity > 0):
        k = f"flat_{flat.name}"
        lines.append(
            f"Step-down flats {flat.name} ({flat.capacity}): occupancy {_percent(s, f'{k}_occupancy')}, "
            f"stays {_cell(s, f'{k}_stays', 0)}, mean stay {_cell(s, f'{k}_stay_days_mean')} d, "
            f"over-length stays (> {flat.max_stay_days:g} d) {_cell(s, f'{k}_over_length_stays', 0)}, "
            f"mean void {_cell(s, f'{k}_turnaround_days_mean')} d")
    return lines


def _acute_lines(s: ByKpi, scenario: Scenario) -> list[str]:
    if not scenario.acute.enabled:
        return []
    return ["", f"Acute bed pool: {scenario.acute.beds:,} beds, mean occupancy "
                f"{_percent(s, 'acute_bed_occupancy')}",
            f"Emergency admissions {_cell(s, 'acute_admissions', 0)}, of which waited for a bed "
            f"{_cell(s, 'acute_admissions_delayed', 0)}; ED boarding hours mean "
            f"{_cell(s, 'ed_boarding_hours_mean', 2)}, p95 {_cell(s, 'ed_boarding_hours_p95')}; "
            f"still boarding at the end {_cell(s, 'ed_boarding_at_end', 0)}"]


def _unit_lines(units: Rows, scenario: Scenario) -> list[str]:
    scheduled = any(u.availability.schedule for u in scenario.units)
    headers = ["unit", "capacity"] + (["mean capacity"] if scheduled else []) + [
        "mean occupied", "utilisation", "mean wait d", "blocked bed-days"]
    rows = []
    for u in group_means(units, "unit", drop=("replication",)):
        mean_capacity = u.get("mean_capacity", float("nan"))
        rows.append([str(u["unit"]), f"{u['capacity']:g}"]
                    + ([("-" if math.isnan(mean_capacity) else f"{mean_capacity:,.1f}")] if scheduled else [])
                    + [f"{u['mean_occupied']:,.1f}",
                       "-" if math.isnan(u["utilisation"]) else f"{100 * u['utilisation']:.1f} %",
                       "-" if math.isnan(u["mean_wait_days"]) else f"{u['mean_wait_days']:.2f}",
                       f"{u['blocked_days']:,.0f}"])
    return ["", "Units" + (" (utilisation of the mean commissioned capacity)" if scheduled else ""),
            *_table(headers, rows)]


def _cost_line(s: ByKpi, scenario: Scenario) -> str:
    parts = [f"delayed acute days {_cell(s, 'cost_delayed_days', 0)}", f"units {_cell(s, 'cost_units', 0)}"]
    if has_coordinators(scenario) or has_flats(scenario):
        parts.append(f"housing {_cell(s, 'cost_housing', 0)}")
    parts.append(f"total {_cell(s, 'cost_total', 0)}")
    return "Costs over the window (GBP): " + ", ".join(parts)


def format_summary(summary: pd.DataFrame | Rows, units: pd.DataFrame | Rows, scenario: Scenario,
                   replications: int) -> str:
    """Render what the scenario turns on, delayed days, housing, acute beds, units and costs as text.

    Parameters
    ----------
    summary : pandas.DataFrame or sequence of dict
        From :func:`flowsim.measures.aggregate.summarise` (one row per KPI), or its rows
        (:func:`flowsim.measures.kpi_table.summary_rows`).
    units : pandas.DataFrame or sequence of dict
        Per unit and replication (``units.parquet``), or its rows.
    scenario : Scenario
        The scenario that was run: its features decide which sections are printed.
    replications : int
        Number of replications (values are means; ± is the 95 % CI half-width).
    """
    s = {row["kpi"]: row for row in _rows(summary)}
    features = scenario_features(scenario)
    lines = [f"flowsim: {replications} replication(s), {scenario.observed_days:g} days observed after "
             "warm-up" + (" (mean ± 95 % CI half-width)" if replications > 1 else ""),
             "Features: " + ("; ".join(features) if features else "none (the core model alone)")]
    lines += _delay_lines(s, scenario)
    lines += _housing_lines(s, scenario)
    lines += ["", f"NCTR census: time-average {_cell(s, 'nctr_census_mean')}, "
                  f"95th percentile at midnight {_cell(s, 'nctr_census_midnight_p95', 0)}"]
    lines += _acute_lines(s, scenario)
    lines += _unit_lines(_rows(units), scenario)
    lines += ["", _cost_line(s, scenario)]
    return "\n".join(lines)


def _signed(value: float, digits: int) -> str:
    """``value`` with thousands separators; what rounds to zero prints as 0, never as -0."""
    return f"{round(value, digits) + 0.0:,.{digits}f}"


def _count(n: int, noun: str) -> str:
    """``1 replication``, ``4 replications``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def format_comparison(comparison: pd.DataFrame, swept: tuple[str, ...]) -> str:
    """Render delayed days avoided and net saving per job as plain text."""
    from flowsim.measures.aggregate import parameter_label  # with pandas, loaded for the comparison frame

    rows = []
    for i, r in comparison.iterrows():
        # .at keeps each swept value's own type (iterrows would turn 10 into 10.0)
        label = (", ".join(f"{parameter_label(k)}={comparison.at[i, k]}" for k in swept)
                 or str(comparison.at[i, "job"]))
        avoided = r["delayed_days_avoided_per_year"]
        half = r["delayed_days_avoided_per_year_half_width"]
        rows.append([
            label,
            _signed(avoided, 0) + ("" if math.isnan(half) else f" ± {half:,.0f}"),
            "-" if math.isnan(r["delayed_days_avoided_per_added_place"])
            else _signed(r["delayed_days_avoided_per_added_place"], 1),
            _signed(r["added_cost_per_year"], 0),
            _signed(r["net_saving_per_year"], 0),
            "-" if math.isnan(r["return_per_pound"]) else _signed(r["return_per_pound"], 2),
        ])
    lines = [f"Against baseline job {comparison['baseline_job'].iloc[0]} "
             f"(paired over {_count(int(comparison['pairs'].min()), 'replication')}; ± = 95 % CI half-width)"]
    lines += _table(["option", "delayed days avoided/yr", "per added place", "added cost/yr (GBP)",
                     "net saving/yr (GBP)", "return per GBP"], rows)
    return "\n".join(lines)
