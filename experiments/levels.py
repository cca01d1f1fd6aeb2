"""Write an experiment's ``levels.csv``: mean and 95 % CI of chosen KPIs per option of a sweep.

Usage (from the repository root, after the sweep has run)::

    .venv/bin/python experiments/levels.py multirun/care_home_units experiments/care_home_units/levels.csv \
        delayed_days_per_year delay_P2_mean_days nctr_census_mean

Reads the sweep's ``summary.csv`` (written by ``flowsim-collect`` or the sweep callback); one row per
option and KPI with the swept values, ``kpi, n, mean, ci_low, ci_high``, rounded to 3 decimals.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def main(argv: list[str]) -> None:
    """``levels.py SWEEP_DIR OUT.csv KPI [KPI ...]``."""
    if len(argv) < 3:
        sys.exit(__doc__)
    sweep, out, kpis = Path(argv[0]), Path(argv[1]), argv[2:]
    summary = pd.read_csv(sweep / "summary.csv")
    swept = [c for c in summary.columns[: list(summary.columns).index("kpi")] if c != "job"]
    missing = sorted(set(kpis) - set(summary["kpi"]))
    if missing:
        sys.exit(f"levels.py: error: no KPI {', '.join(missing)} in {sweep / 'summary.csv'}")
    table = summary[summary["kpi"].isin(kpis)]
    table = table.assign(kpi=pd.Categorical(table["kpi"], kpis)).sort_values(["job", "kpi"])
    table[[*swept, "kpi", "n", "mean", "ci_low", "ci_high"]].round(3).to_csv(out, index=False)
    print(f"{out}: {len(table)} rows")


if __name__ == "__main__":
    main(sys.argv[1:])
