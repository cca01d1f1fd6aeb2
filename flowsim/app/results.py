"""What the app shows of a system and of finished runs and sweeps, from the pipeline's own files and charts.

Nothing here simulates or re-estimates: the tables are read from ``summary.csv``, ``units.parquet``,
``census.parquet`` and the sweep tables, the comparison is
:func:`flowsim.experiment.compare.compare_to_baseline`, the recommendation the board pack's
:func:`flowsim.reporting.decision.decide`, and the figures the report's (:mod:`flowsim.reporting.plots`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from flowsim.experiment.compare import compare_to_baseline, select_baseline
from flowsim.experiment.sweep import collect_sweep
from flowsim.measures.aggregate import census_fan, option_label, reasons_by_option, weekly_utilisation
from flowsim.model.scenario import Scenario
from flowsim.reporting.decision import DEFAULT_RULE, decide
from flowsim.reporting.plots import avoided_vs_option, fan_chart, reasons_stacked
from flowsim.reporting.utilisation_plot import utilisation_heatmap

__all__ = ["HEADLINE", "RunView", "SweepView", "headline_table", "load_run", "load_sweep",
           "system_table", "utilisation_table"]

DAYS_PER_YEAR = 365.0
# KPI -> (what the board reads, unit, scaled to a year)
HEADLINE = {
    "delayed_days_per_year": ("Delayed days a year", "bed-days a year", False),
    "nctr_census_mean": ("Patients ready to leave, in acute beds (mean)", "patients", False),
    "nctr_census_midnight_p95": ("Patients ready to leave at midnight (95th percentile)", "patients", False),
    "delay_mean_days": ("Mean delay per discharge-ready patient", "days", False),
    "delay_P1_mean_days": ("Mean delay, pathway 1", "days", False),
    "delay_P2_mean_days": ("Mean delay, pathway 2", "days", False),
    "delay_P3_mean_days": ("Mean delay, pathway 3", "days", False),
    "cost_delayed_days": ("Cost of acute delayed days", "GBP a year", True),
    "cost_services": ("Cost of services", "GBP a year", True),
    "cost_total": ("Total cost", "GBP a year", True),
}


def system_table(scenario: Scenario) -> pd.DataFrame:
    """The units of a config as a planner reads them: pathways, places, mean stay, costs, admission days.

    Raises
    ------
    flowsim.model.errors.ConfigError
        If ``config`` is not valid (the caller shows the message).
    """
    rows = []
    for unit in scenario.units:
        days = unit.availability.admission_days
        rows.append({
            "unit": unit.name, "pathways": ", ".join(unit.pathways), "places": unit.capacity,
            "mean stay (days)": round(unit.los.mean, 1),
            "GBP per occupied day": unit.cost_per_occupied_day,
            "GBP per place-week": (unit.cost_per_bed_week if isinstance(unit.cost_per_bed_week, float)
                                   else unit.cost_per_bed_week.describe()),
            "admits": "every day" if len(days) == 7 else f"{len(days)} days a week",
            "description": unit.description})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class RunView:
    """A finished run's tables, read from its folder."""

    folder: Path
    summary: pd.DataFrame
    units: pd.DataFrame
    replications: pd.DataFrame
    census: pd.DataFrame | None
    observed_days: float

    def fan_figure(self) -> Figure | None:
        """The NCTR census fan chart (median and bands over replications)."""
        if self.census is None:
            return None
        return fan_chart({"this scenario": census_fan(self.census)},
                         title="Patients ready to leave, in acute beds at midnight")

    def reasons_figure(self) -> Figure:
        """Acute delayed days a year by reason."""
        return reasons_stacked(reasons_by_option(self.replications, []), title="Acute delayed days a year "
                               "by reason")

    def utilisation_figure(self) -> Figure | None:
        """Weekly utilisation of each unit (a heat map)."""
        if self.census is None:
            return None
        weekly = weekly_utilisation(self.census, self.units)
        return None if weekly.empty else utilisation_heatmap(weekly)


def load_run(folder: str | Path) -> RunView:
    """Read a finished run folder (``metrics.json`` present)."""
    root = Path(folder)
    metrics = json.loads((root / "metrics.json").read_text(encoding="utf-8"))
    census = root / "census.parquet"
    return RunView(root, pd.read_csv(root / "summary.csv"), pd.read_parquet(root / "units.parquet"),
                   pd.read_parquet(root / "replications.parquet"),
                   pd.read_parquet(census) if census.is_file() else None, float(metrics["observed_days"]))


def headline_table(summary: pd.DataFrame, observed_days: float) -> pd.DataFrame:
    """The headline KPIs with 95 % confidence intervals; costs over the observed window made yearly."""
    table = summary.set_index("kpi")
    rows = []
    for kpi, (label, unit, yearly) in HEADLINE.items():
        if kpi not in table.index:
            continue
        scale = DAYS_PER_YEAR / observed_days if yearly else 1.0
        row = table.loc[kpi]
        # every headline is a count, a length or a cost: an interval's end below 0 is cut at 0
        rows.append({"measure": label, "mean": row["mean"] * scale, "95% CI low": _cut(row["ci_low"] * scale),
                     "95% CI high": row["ci_high"] * scale, "unit": unit, "kpi": kpi})
    return pd.DataFrame(rows)


def _cut(value: float, upper: float = math.inf) -> float:
    """An interval's end cut to what is possible, [0, ``upper``] (NaN kept: no interval)."""
    return value if value != value else min(max(value, 0.0), upper)


def utilisation_table(summary: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Each unit's places, utilisation (with CI), mean occupied places and mean wait for a place."""
    table = summary.set_index("kpi")
    rows = []
    for unit, group in units.groupby("unit", sort=False):
        key = f"unit_{unit}_utilisation"
        util = table.loc[key] if key in table.index else None
        rows.append({"unit": unit, "places": group["mean_capacity"].mean(),
                     "utilisation %": None if util is None else 100 * util["mean"],
                     # cut at what is possible: 0 %, and full (or the mean, if over it: a cut in places)
                     "95% CI low %": None if util is None else _cut(100 * util["ci_low"]),
                     "95% CI high %": None if util is None else _cut(
                         100 * util["ci_high"], max(100.0, 100 * util["mean"])),
                     "mean occupied": group["mean_occupied"].mean(),
                     "mean wait for a place (days)": group["mean_wait_days"].mean()})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class SweepView:
    """A finished sweep compared with its baseline, and the board pack's recommendation."""

    folder: Path
    comparison: pd.DataFrame
    swept: tuple[str, ...]
    sentence: str

    def table(self) -> pd.DataFrame:
        """One row per option: delayed days avoided and net saving a year with their CIs."""
        c = self.comparison
        out = pd.DataFrame({"option": [option_label({k: c[k].iloc[i] for k in self.swept})
                                       for i in range(len(c))]})
        columns = {"delayed_days_avoided_per_year": "delayed days avoided a year",
                   "delayed_days_avoided_per_year_ci_low": "avoided: 95% CI low",
                   "delayed_days_avoided_per_year_ci_high": "avoided: 95% CI high",
                   "added_capacity": "added places",
                   # as flowsim-collect prints them: what each place buys, and each pound
                   "delayed_days_avoided_per_added_place": "avoided a year per added place",
                   "added_cost_per_year": "added cost GBP a year",
                   "acute_saving_per_year": "acute saving GBP a year",
                   "net_saving_per_year": "net saving GBP a year",
                   "net_saving_per_year_ci_low": "net: 95% CI low",
                   "net_saving_per_year_ci_high": "net: 95% CI high",
                   "return_per_pound": "return per GBP"}
        for column, label in columns.items():
            out[label] = c[column].to_numpy()
        out["baseline"] = (c["job"] == c["baseline_job"]).to_numpy()
        return out

    def figure(self) -> Figure:
        """Delayed days avoided and net saving against the swept value (the report's option chart)."""
        group = self.swept[0] if len(self.swept) == 2 else None
        return avoided_vs_option(self.comparison, self.swept[-1], group, "delayed_days_avoided_per_year")


def load_sweep(folder: str | Path, baseline: Mapping[str, Any], rule: str = DEFAULT_RULE) -> SweepView:
    """Gather a finished sweep (without writing), compare every option with ``baseline``'s, and decide.

    Parameters
    ----------
    baseline : mapping
        Swept path -> value of the baseline option (the scenario as edited).
    """
    tables = collect_sweep(folder, write=False)
    where = {k: v for k, v in baseline.items() if k in tables.swept}
    comparison = compare_to_baseline(tables, select_baseline(tables, where or None))
    decision = decide(comparison, rule, swept=tables.swept)
    return SweepView(Path(folder), comparison, tables.swept, decision.sentence)
