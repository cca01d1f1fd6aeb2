"""Run every scheme of the source documents against the default system, and against what it reported.

Each scheme (``configs/scheme/<name>.yaml``) runs on the default system with the same seed as the
system without it (common random numbers: the same patients, so differences are the scheme's), over
``--replications`` replications. Two tables come out:

- ``against_default.csv``: per scheme, delayed days avoided a year, the scheme's cost, the net saving
  (95 % CIs over replications) and the return per GBP 1 on two named cost bases (ratio of means,
  bootstrap 95 % interval);
- ``reported.csv``: per scheme, each figure its case study reported beside the same measure simulated;
- ``against_default.png``: the first table's delayed days avoided and net saving, with their CIs.

Usage::

    .venv/bin/python experiments/seed_schemes/reproduce.py [--replications 20] [--n-jobs 2] [--quick]

``--quick`` runs 2 replications of a small system: a smoke check of the script, not a result.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from flowsim import load_scenario
from flowsim.experiment.runner import iter_replications

sys.path.insert(0, str(Path(__file__).parent))  # measures.py beside this script (experiments: not a package)
from measures import REPORTED, Run, run_once, summarise

HERE = Path(__file__).parent
SCHEMES = tuple(REPORTED)
# The scheme's baseline: the default system (the care-home unit is part of it, so its baseline is
# the system without the unit).
BASELINE = {name: () for name in SCHEMES} | {"care_home_units": ("services.care_home_unit.capacity=0",)}
# Long fixes (rehousing via the waiting list: 129 d) of patients who became NCTR late in the year
# finish in the cool-down, so their bed days can be paired.
COMMON = ("run.cool_down_days=240",)
QUICK = ("scenario=quick", "run.cool_down_days=150")
# Returns are given on two of the default system's named costs of a delayed bed day (costs.bed_day_bases):
# the full cost and Nottingham City Homes' own figure
RETURN_BASES = ("full_cost", "nottingham_2016")


def run_all(overrides: tuple[str, ...], replications: int, n_jobs: int) -> list[Run]:
    """Every replication of ``overrides``, in replication order."""
    task = functools.partial(_indexed, overrides)
    return [run for _, run in sorted(iter_replications(task, range(replications), n_jobs,
                                                       description=" ".join(overrides[-1:])),
                                     key=lambda pair: pair[0])]


def _indexed(overrides: tuple[str, ...], replication: int) -> tuple[int, Run]:
    return replication, run_once(overrides, replication)


def against_default(name: str, runs: list[Run], baselines: list[Run], bases: dict[str, float]
                    ) -> dict[str, object]:
    """The scheme's paired differences from its baseline, per year, with 95 % CIs; returns per GBP 1
    of the scheme's cost on each cost basis of ``bases`` (name -> GBP per delayed bed day)."""
    def diff(key: str, sign: float = 1.0) -> list[float]:
        return [sign * (b.kpis[key] - r.kpis[key]) * 365.0 / r.kpis["observed_days"]
                for r, b in zip(runs, baselines, strict=True)]

    row: dict[str, object] = {"scheme": name}
    for label, values in (("delayed_days_avoided", diff("delayed_days_total")),
                          ("housing_delayed_days_avoided", diff("delayed_days_reason_housing")),
                          ("scheme_cost", diff("cost_services", -1.0)),
                          ("net_saving", diff("cost_total"))):
        row[label], row[f"{label}_low"], row[f"{label}_high"] = summarise(values)
    avoided, cost = np.array(diff("delayed_days_total")), np.array(diff("cost_services", -1.0))
    for basis, per_day in bases.items():
        key = f"return_per_gbp_{basis}"
        row[key], row[f"{key}_low"], row[f"{key}_high"] = return_per_gbp(avoided * per_day, cost)
    return row


def return_per_gbp(saving: np.ndarray, cost: np.ndarray, resamples: int = 2000) -> tuple[float, float, float]:
    """Acute saving per GBP 1 of the scheme's cost: the ratio of the means over replications, and a 95 %
    bootstrap interval (replications resampled in pairs; seeded, so the table is reproducible). NaN when
    the scheme costs nothing or saves money on services (there is then no return to speak of)."""
    if cost.mean() <= 0:
        return np.nan, np.nan, np.nan
    picks = np.random.default_rng(0).integers(0, cost.size, size=(resamples, cost.size))
    costs = cost[picks].mean(axis=1)
    ratios = np.where(costs > 0, saving[picks].mean(axis=1) / np.where(costs > 0, costs, 1.0), np.nan)
    low, high = np.nanpercentile(ratios, [2.5, 97.5])
    return float(saving.mean() / cost.mean()), float(low), float(high)


def reported_rows(name: str, runs: list[Run], baselines: list[Run]) -> list[dict[str, object]]:
    """One row per reported figure: reported, simulated mean and 95 % CI."""
    rows: list[dict[str, object]] = []
    for figure in REPORTED[name]:
        mean = low = high = np.nan
        if figure.simulate is not None:
            mean, low, high = summarise(figure.simulate(runs, baselines))
        difference = 100.0 * (mean - figure.value) / figure.value if figure.value else np.nan
        rows.append({"scheme": name, "measure": figure.measure, "reported": figure.reported,
                     "reported_value": figure.value, "simulated": mean, "simulated_low": low,
                     "simulated_high": high, "where": figure.where, "difference_pct": difference})
    if not REPORTED[name]:
        rows.append({"scheme": name, "measure": "(no outcome reported)", "reported": "-"})
    return rows


def plot_against_default(table: pd.DataFrame, path: Path) -> None:
    """Delayed days avoided and net saving per year by scheme, with their 95 % CIs, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = table.sort_values("net_saving")
    y = np.arange(len(table))
    fig, (days, money) = plt.subplots(1, 2, figsize=(10, 0.45 * len(table) + 1.6), sharey=True)
    for ax, key, scale, label in ((days, "delayed_days_avoided", 1.0, "acute delayed days avoided a year"),
                                  (money, "net_saving", 1e3, "net saving a year (GBP thousand)")):
        mean = table[key] / scale
        error = np.vstack([mean - table[f"{key}_low"] / scale, table[f"{key}_high"] / scale - mean])
        ax.barh(y, mean, xerr=error, color=np.where(mean >= 0, "#4C72B0", "#C44E52"), capsize=3)
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_xlabel(label)
    days.set_yticks(y, table["scheme"])
    fig.suptitle("Each published scheme against the default system (95 % CI over paired replications)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the schemes and write the two tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="2 replications of a small system (smoke check)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the CSV tables")
    parser.add_argument("--schemes", nargs="*", default=list(SCHEMES), choices=SCHEMES)
    args = parser.parse_args(argv)
    common, replications = (QUICK, 2) if args.quick else (COMMON, args.replications)
    listed = {b.name: b.per_day_gbp for b in load_scenario(list(common)).bed_day_bases}
    bases = {name: listed[name] for name in RETURN_BASES}
    baselines: dict[tuple[str, ...], list[Run]] = {}
    defaults, reported = [], []
    for name in args.schemes:
        base = (*common, *BASELINE[name])
        if base not in baselines:
            baselines[base] = run_all(base, replications, args.n_jobs)
        runs = run_all((*common, f"scheme={name}"), replications, args.n_jobs)
        defaults.append(against_default(name, runs, baselines[base], bases))
        reported.extend(reported_rows(name, runs, baselines[base]))
    args.out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(defaults).to_csv(args.out / "against_default.csv", index=False, float_format="%.6g")
    plot_against_default(pd.DataFrame(defaults), args.out / "against_default.png")
    pd.DataFrame(reported).to_csv(args.out / "reported.csv", index=False, float_format="%.6g")
    print(f"{len(args.schemes)} schemes, {replications} replications each: tables in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
