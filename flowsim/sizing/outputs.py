"""What a sizing search writes: every evaluation, every candidate, the Pareto front, the recommendation.

* ``evaluations.parquet``: one row per replication run (stage, candidate, its values, seed,
  replication and every KPI, costs also per year);
* ``candidates.csv``: one row per candidate on the search seed: means with 95 % CIs, constraint
  levels, whether it is on the Pareto front, shortlisted, recommended;
* ``pareto.csv``: the candidates no other beats on both service cost and delayed days a year;
* ``recommendation.json``: the recommended mix, today's, the difference with CIs, the validation on
  new seeds, and how many evaluations it took; ``recommended.yaml``: the sized system with the
  recommended mix in it, a whole config that ``flowsim --config-dir FOLDER --config-name recommended``
  runs, on the search's seed and replications (it gives the recommendation's figures again).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from flowsim.experiment.io import atomic_write, write_json, write_table
from flowsim.measures.aggregate import confidence_interval as mean_ci
from flowsim.model.saved import saved_text
from flowsim.sizing.candidates import Candidate, apply_candidate, describe, label
from flowsim.sizing.evaluations import BASELINE, Evaluator
from flowsim.sizing.explore import start_candidate, today_values
from flowsim.sizing.ranking import objective_kpi, upper_bound
from flowsim.sizing.search import Paired, SizingResult, Validation

__all__ = ["COST_AXIS", "DELAY_AXIS", "RESULT_FILES", "TODAY", "candidate_table", "evaluations_table",
           "pareto_front", "remove_results", "write_sizing"]

COST_AXIS = "cost_services_per_year"  # what the commissioner pays for the mix
DELAY_AXIS = "delayed_days_per_year"
TODAY = "today"


def _name(evaluator: Evaluator, candidate: Candidate) -> str:
    return TODAY if candidate == BASELINE else label(evaluator.spec, candidate)


def evaluations_table(evaluator: Evaluator) -> pd.DataFrame:
    """Every replication run, in the order the search asked for them."""
    rows = []
    for stage, candidate, seed, replication, kpis in evaluator.rows():
        values = {} if candidate == BASELINE else describe(evaluator.spec, candidate)
        rows.append({"stage": stage, "candidate": _name(evaluator, candidate), **values, "seed": seed,
                     "replication": replication, **kpis})
    return pd.DataFrame(rows)


def pareto_front(costs: np.ndarray, delays: np.ndarray) -> np.ndarray:
    """True where no other point has lower-or-equal cost and delay with one strictly lower."""
    on = np.ones(costs.size, dtype=bool)
    for i in range(costs.size):
        dominated = (costs <= costs[i]) & (delays <= delays[i]) & ((costs < costs[i]) | (delays < delays[i]))
        on[i] = not dominated.any()
    return on


def candidate_table(evaluator: Evaluator, result: SizingResult) -> pd.DataFrame:
    """One row per candidate tried, on the search seed.

    Means and CIs are over the search replications (``0 .. search.replications - 1``), which every
    candidate has: the same patients for every mix, so rows compare directly (the Pareto front uses
    them). ``<column>_all_*`` columns are over every replication the candidate has (more for the
    shortlist).
    """
    spec = evaluator.spec
    seed, kpi, n0 = spec.seed, objective_kpi(spec.objective), spec.search.replications
    shortlisted = {s.candidate for s in result.selection.finalists}
    rows = []
    for record in result.tried:
        c = record.candidate
        row: dict[str, Any] = {"candidate": label(spec, c), **describe(spec, c),
                               "replications": evaluator.count(c, seed)}
        for column in dict.fromkeys((kpi, COST_AXIS, DELAY_AXIS, "cost_total_per_year")):
            for suffix, n in (("", n0), ("_all", None)):
                mean, low, high = mean_ci(evaluator.values(c, seed, column, n))
                row.update({f"{column}{suffix}_mean": mean, f"{column}{suffix}_ci_low": low,
                            f"{column}{suffix}_ci_high": high})
        for target in spec.constraints:
            values = evaluator.values(c, seed, target.kpi)
            bound = upper_bound(values if target.op == "<=" else -values, spec.confidence)
            row[f"{target.kpi}_mean"] = float(np.nanmean(values))
            row[f"{target.kpi}_bound"] = bound if target.op == "<=" else -bound
        final = [s for s in result.selection.finalists if s.candidate == c]
        record = final[0] if final else record
        row.update({"meets_targets": record.feasible, "meets_targets_with_confidence":
                    record.confidently_feasible, "shortlisted": c in shortlisted,
                    "eliminated_at": result.selection.eliminated_at.get(c),
                    "recommended": c == result.recommended.candidate, "today": c == result.start})
        rows.append(row)
    table = pd.DataFrame(rows)
    table["on_pareto"] = pareto_front(table[f"{COST_AXIS}_mean"].to_numpy(),
                                      table[f"{DELAY_AXIS}_mean"].to_numpy())
    return table.sort_values(f"{kpi}_mean", kind="stable").reset_index(drop=True)


def _paired(items: tuple[Paired, ...]) -> dict[str, Any]:
    return {p.kpi: {"mean": p.mean, "ci_low": p.ci_low, "ci_high": p.ci_high, "replications": p.n}
            for p in items}


def _values(evaluator: Evaluator, candidate: Candidate | None) -> dict[str, Any] | None:
    return None if candidate is None else describe(evaluator.spec, candidate)


def recommendation(evaluator: Evaluator, result: SizingResult, validation: Validation | None
                   ) -> dict[str, Any]:
    """The recommendation as JSON-ready data (see the module docstring)."""
    spec = evaluator.spec
    kpi = objective_kpi(spec.objective)
    rec = result.recommended
    mean, low, high = mean_ci(evaluator.values(rec.candidate, spec.seed, kpi))
    data: dict[str, Any] = {
        "objective": kpi,
        "constraints": [str(t) for t in spec.constraints],
        "confidence": spec.confidence,
        "seed": spec.seed,
        "recommended": _values(evaluator, rec.candidate),
        "recommended_label": label(spec, rec.candidate),
        "today": _values(evaluator, today_values(evaluator)),
        "today_on_grid": start_candidate(evaluator) is not None,
        "objective_mean": mean, "objective_ci_low": low, "objective_ci_high": high,
        "replications": rec.n,
        "meets_targets_with_confidence": result.selection.met_with_confidence if spec.constraints else None,
        "against_today": _paired(result.against_today),
        "indifference": result.selection.indifference,
        "selection_undecided": result.selection.undecided,
        "search": {"trials": result.trials, "candidates_tried": len(result.tried),
                   "grid_size": spec.grid_size, "shortlist": [label(spec, s.candidate)
                                                              for s in result.selection.finalists],
                   **evaluator.summary()},
        "validation": None,
    }
    if validation is not None:
        targets = []
        for target, excess, confident in zip(spec.constraints, validation.standing.excess,
                                             validation.standing.excess_confident, strict=True):
            targets.append({"target": str(target), "mean": target.value + excess if target.op == "<="
                            else target.value - excess, "met": excess <= 0, "met_with_confidence":
                            confident <= 0})
        data["validation"] = {"seed": validation.seed, "replications": validation.standing.n,
                              "objective_mean": validation.standing.objective, "targets": targets,
                              "against_today": _paired(validation.against_today)}
    return data


def _recommended_yaml(evaluator: Evaluator, candidate: Candidate, path: Path) -> Path:
    """The sized system with the recommended mix in it, every setting written out, as a config that
    ``flowsim --config-dir FOLDER --config-name recommended`` runs (:mod:`flowsim.model.saved`).

    With the search's seed and the replications the recommendation's figures are means of, so that
    running it gives those figures again, not one replication on another seed."""
    config = OmegaConf.to_container(apply_candidate(evaluator.base, evaluator.spec, candidate), resolve=True)
    # set once resolved: the system's own settings stay as the search ran them
    config.update(seed=evaluator.spec.seed, replications=evaluator.count(candidate, evaluator.spec.seed))
    title = f"the mix flowsim-size recommends ({label(evaluator.spec, candidate)})"
    text = saved_text(config, path.stem, title, by="flowsim-size")
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


# What a finished search writes at the top of its folder (flowsim-size adds pareto.png); its
# checkpoints (one folder per mix and seed) are kept apart and reused by any later search.
RESULT_FILES = ("evaluations.parquet", "candidates.csv", "pareto.csv", "recommendation.json",
                "recommended.yaml", "pareto.png")


def remove_results(folder: str | Path) -> bool:
    """Delete a finished search's result files from ``folder``; whether there were any.

    A search about to run removes the earlier one's first, so that until it finishes the folder never
    shows results of another search (another seed, other targets) as its own.
    """
    found = False
    for name in RESULT_FILES:
        path = Path(folder) / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
            found = True
    return found


def write_sizing(folder: str | Path, evaluator: Evaluator, result: SizingResult,
                 validation: Validation | None) -> list[Path]:
    """Write every table, the recommendation and its config into ``folder``; the paths written."""
    folder = Path(folder)
    candidates = candidate_table(evaluator, result)
    written = [write_table(evaluations_table(evaluator), folder / "evaluations.parquet")]
    for name, table in (("candidates.csv", candidates), ("pareto.csv", candidates[candidates["on_pareto"]])):
        written.append(atomic_write(folder / name, lambda tmp, t=table: t.to_csv(tmp, index=False)))
    written.append(write_json(recommendation(evaluator, result, validation), folder / "recommendation.json"))
    written.append(_recommended_yaml(evaluator, result.recommended.candidate, folder / "recommended.yaml"))
    return written
