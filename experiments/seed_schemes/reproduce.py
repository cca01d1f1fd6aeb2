"""Run every scheme of the source documents against the default system, and against what it reported.

Each scheme (``configs/scheme/<name>.yaml``) runs on the default system with the same seed as the
system without it (common random numbers: the same patients, so differences are the scheme's), over
``--replications`` replications. Two tables come out:

- ``against_default.csv``: per scheme, delayed days avoided a year, the scheme's cost, the net saving
  and the return per GBP 1 on two named cost bases, each with a 95 % CI over replications;
- ``reported.csv``: per scheme, each figure its case study reported beside the same measure simulated.

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

sys.path.insert(0, str(Path(__file__).parent))  # measures.py beside this script (experiments are not a package)
from measures import REPORTED, Run, run_once, summarise  # noqa: E402

from flowsim.experiment.runner import iter_replications  # noqa: E402

HERE = Path(__file__).parent
SCHEMES = tuple(REPORTED)
# The scheme's baseline: the default system (the care-home unit is part of it, so its baseline is
# the system without the unit).
BASELINE = {name: () for name in SCHEMES} | {"care_home_units": ("scenario=no_care_home_unit",)}
# Long fixes (rehousing via the waiting list: 129 d) of patients who became NCTR late in the year
# finish in the cool-down, so their bed days can be paired.
COMMON = ("run.cool_down_days=240",)
QUICK = ("scenario=quick", "run.cool_down_days=150")
# GBP per delayed bed day: the full cost (King's Fund, 2022/23) and Nottingham's own figure
# (GBP 169,288 over 1,585 bed days, housing 2017 report)
COST_BASES = {"full_cost": 395.0, "nottingham_2016": 169288 / 1585}


def run_all(overrides: tuple[str, ...], replications: int, n_jobs: int) -> list[Run]:
    """Every replication of ``overrides``, in replication order."""
    task = functools.partial(_indexed, overrides)
    return [run for _, run in sorted(iter_replications(task, range(replications), n_jobs,
                                                       description=" ".join(overrides[-1:])),
                                     key=lambda pair: pair[0])]


def _indexed(overrides: tuple[str, ...], replication: int) -> tuple[int, Run]:
    return replication, run_once(overrides, replication)


def against_default(name: str, runs: list[Run], baselines: list[Run]) -> dict[str, object]:
    """The scheme's paired differences from its baseline, per year, with 95 % CIs."""
    def diff(key: str, sign: float = 1.0) -> list[float]:
        return [sign * (b.kpis[key] - r.kpis[key]) * 365.0 / r.kpis["observed_days"]
                for r, b in zip(runs, baselines, strict=True)]

    row: dict[str, object] = {"scheme": name}
    for label, values in (("delayed_days_avoided", diff("delayed_days_total")),
                          ("housing_delayed_days_avoided", diff("delayed_days_reason_housing")),
                          ("scheme_cost", diff("cost_services", -1.0)),
                          ("net_saving", diff("cost_total"))):
        row[label], row[f"{label}_low"], row[f"{label}_high"] = summarise(values)
    for basis, per_day in COST_BASES.items():
        returns = [a * per_day / c if c > 0 else np.nan
                   for a, c in zip(diff("delayed_days_total"), diff("cost_services", -1.0), strict=True)]
        row[f"return_per_gbp_{basis}"], row[f"return_per_gbp_{basis}_low"], row[f"return_per_gbp_{basis}_high"] = (
            summarise(returns))
    return row


def reported_rows(name: str, runs: list[Run], baselines: list[Run]) -> list[dict[str, object]]:
    """One row per reported figure: reported, simulated mean and 95 % CI."""
    rows: list[dict[str, object]] = []
    for figure in REPORTED[name]:
        mean = low = high = np.nan
        if figure.simulate is not None:
            mean, low, high = summarise(figure.simulate(runs, baselines))
        rows.append({"scheme": name, "measure": figure.measure, "reported": figure.reported,
                     "reported_value": figure.value, "simulated": mean, "simulated_low": low,
                     "simulated_high": high, "where": figure.where,
                     "difference_pct": 100.0 * (mean - figure.value) / figure.value if figure.value else np.nan})
    if not REPORTED[name]:
        rows.append({"scheme": name, "measure": "(no outcome reported)", "reported": "-"})
    return rows


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
    baselines: dict[tuple[str, ...], list[Run]] = {}
    defaults, reported = [], []
    for name in args.schemes:
        base = (*common, *BASELINE[name])
        if base not in baselines:
            baselines[base] = run_all(base, replications, args.n_jobs)
        runs = run_all((*common, f"scheme={name}"), replications, args.n_jobs)
        defaults.append(against_default(name, runs, baselines[base]))
        reported.extend(reported_rows(name, runs, baselines[base]))
    args.out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(defaults).to_csv(args.out / "against_default.csv", index=False, float_format="%.6g")
    pd.DataFrame(reported).to_csv(args.out / "reported.csv", index=False, float_format="%.6g")
    print(f"{len(args.schemes)} schemes, {replications} replications each: tables in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
