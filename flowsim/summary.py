"""The short human summary ``flowsim`` prints after a run."""

from __future__ import annotations

import math

import pandas as pd

from flowsim.scenario import PATHWAYS

__all__ = ["format_comparison", "format_summary"]


def _cell(summary: pd.DataFrame, kpi: str, digits: int = 1) -> str:
    if kpi not in summary.index:
        return "-"
    row = summary.loc[kpi]
    mean = row["mean"]
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "-"
    text = f"{mean:,.{digits}f}"
    if row["n"] > 1 and not math.isnan(row["ci_high"]):
        text += f" ± {row['ci_high'] - mean:,.{digits}f}"
    return text


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(
        zip(headers, widths, strict=True)))
    out = [line, "-" * len(line)]
    for r in rows:
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(
            zip(r, widths, strict=True))))
    return out


def format_summary(summary: pd.DataFrame, units: pd.DataFrame, observed_days: float,
                   replications: int) -> str:
    """Render delayed days by pathway, unit occupancy and costs as plain text.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`flowsim.aggregate.summarise` (one row per KPI).
    units : pandas.DataFrame
        Per unit and replication (``units.parquet``).
    observed_days : float
        Length of the observation window.
    replications : int
        Number of replications (values are means; ± is the 95 % CI half-width).
    """
    s = summary.set_index("kpi")
    lines = [f"flowsim: {replications} replication(s), {observed_days:g} days observed after warm-up"
             + (" (mean ± 95 % CI half-width)" if replications > 1 else "")]
    rows = []
    for p in (*PATHWAYS, None):
        suffix = f"_{p}" if p else ""
        rows.append([p or "all",
                     _cell(s, f"delay{suffix}_n", 0),
                     _cell(s, f"delayed_days_total{suffix}" if p else "delayed_days_total", 0),
                     _cell(s, f"delay{suffix}_mean_days", 2),
                     _cell(s, f"delay{suffix}_p50_days", 2),
                     _cell(s, f"delay{suffix}_p95_days", 2)])
    lines += ["", "Delayed days (NCTR to leaving the acute bed) by pathway"]
    lines += _table(["pathway", "episodes", "delayed days", "mean days", "p50", "p95"], rows)
    reasons = [f"{r} {_cell(s, f'delayed_days_reason_{r}', 0)}"
               for r in ("admin", "P1", "P2", "P3", "housing", "calendar")
               if f"delayed_days_reason_{r}" in s.index]
    if reasons:
        lines += ["", "Delayed days by reason: " + ", ".join(reasons)]
    if "barriers" in s.index and s.loc["barriers", "mean"] > 0:
        lines += [f"Housing: {_cell(s, 'barriers', 0)} barriers, mean wait for a fix "
                  f"{_cell(s, 'housing_wait_days_mean')} d, coordinator caseload "
                  f"{_cell(s, 'coordinator_caseload_mean')}, P2 bed-days blocked by housing "
                  f"{_cell(s, 'p2_blocked_by_housing_days', 0)}, housing cost {_cell(s, 'cost_housing', 0)}"]
    lines += ["", f"NCTR census: mean {_cell(s, 'nctr_census_mean')}, "
                  f"95th percentile at midnight {_cell(s, 'nctr_census_midnight_p95', 0)}"]
    unit_means = units.groupby("unit", sort=False).mean(numeric_only=True)
    rows = [[name, f"{u.capacity:g}", f"{u.mean_occupied:,.1f}",
             "-" if math.isnan(u.utilisation) else f"{100 * u.utilisation:.1f} %",
             "-" if math.isnan(u.mean_wait_days) else f"{u.mean_wait_days:.2f}",
             f"{u.blocked_days:,.0f}"] for name, u in unit_means.iterrows()]
    lines += ["", "Units"]
    lines += _table(["unit", "capacity", "mean occupied", "utilisation", "mean wait d",
                     "blocked bed-days"], rows)
    lines += ["", f"Costs over the window (GBP): delayed acute days {_cell(s, 'cost_delayed_days', 0)}"
                  f", units {_cell(s, 'cost_units', 0)}, housing {_cell(s, 'cost_housing', 0)}, "
                  f"total {_cell(s, 'cost_total', 0)}"]
    return "\n".join(lines)


def format_comparison(comparison: pd.DataFrame, swept: tuple[str, ...]) -> str:
    """Render delayed days avoided and net saving per job as plain text."""
    rows = []
    for i, r in comparison.iterrows():
        # .at keeps each swept value's own type (iterrows would turn 10 into 10.0)
        label = ", ".join(f"{k.split('.')[-2] if '.' in k else k}={comparison.at[i, k]}"
                          for k in swept) or str(r["job"])
        avoided = r["delayed_days_avoided_per_year"]
        half = r["delayed_days_avoided_per_year_half_width"]
        rows.append([
            label,
            f"{avoided:,.0f}" + ("" if math.isnan(half) else f" ± {half:,.0f}"),
            "-" if math.isnan(r["delayed_days_avoided_per_added_place"])
            else f"{r['delayed_days_avoided_per_added_place']:,.1f}",
            f"{r['added_cost_per_year']:,.0f}",
            f"{r['net_saving_per_year']:,.0f}",
            "-" if math.isnan(r["return_per_pound"]) else f"{r['return_per_pound']:.2f}",
        ])
    lines = [f"Against baseline job {comparison['baseline_job'].iloc[0]} "
             f"(paired over {int(comparison['pairs'].min())} replications; ± = 95 % CI half-width)"]
    lines += _table(["option", "delayed days avoided/yr", "per added place", "added cost/yr (GBP)",
                     "net saving/yr (GBP)", "return per GBP"], rows)
    return "\n".join(lines)
