"""The search's first two stages: explore the grid with Optuna's TPE sampler, then polish locally.

Why Optuna: its tree-structured Parzen estimator handles whole-number grids and choices together,
takes constraints (targets mode) natively, is seeded, and its ask-and-tell interface lets flowsim
propose a batch of candidates, run them in parallel on common random numbers and report back. It is
called directly: the Hydra Optuna sweeper pins an old Optuna. TPE is not made to tell close
candidates apart under noise, so the search ends with its own polish (every grid neighbour of the
best) and a ranking-and-selection stage (:mod:`flowsim.sizing.selection`).

The batch size, not the number of workers, decides what is proposed when, so results do not depend
on how many workers ran them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from omegaconf import OmegaConf

from flowsim.sizing.candidates import Candidate, canonical, neighbours
from flowsim.sizing.evaluations import Evaluator
from flowsim.sizing.ranking import Standing, standing
from flowsim.sizing.spec import frozen

__all__ = ["explore", "polish", "start_candidate", "today_values"]

MAX_POLISH_ROUNDS = 100


def today_values(evaluator: Evaluator) -> tuple[Any, ...]:
    """Each searched dimension's value in the system as configured (a surge block: 0 places)."""
    values: list[Any] = []
    for dimension in evaluator.spec.dimensions:
        if dimension.path is None:  # surge block parts: no block today is "0 places"
            value: Any = 0 if dimension.name.endswith(".places") else dimension.values[0]
        else:
            value = OmegaConf.select(evaluator.base, dimension.path)
            value = frozen(OmegaConf.to_container(value)) if OmegaConf.is_config(value) else value
        values.append(value)
    return tuple(values)


def start_candidate(evaluator: Evaluator) -> Candidate | None:
    """Today's mix, when every searched value of it lies on the grid (the optimiser tries it first)."""
    values = today_values(evaluator)
    on_grid = all(v in d.values for d, v in zip(evaluator.spec.dimensions, values, strict=True))
    return values if on_grid else None


def explore(evaluator: Evaluator, progress: Callable[[int], None] | None = None) -> list[Standing]:
    """Run the Optuna stage; the standing of every candidate it tried, in the order tried.

    Parameters
    ----------
    evaluator : Evaluator
        Runs (or reuses) each candidate's search replications.
    progress : callable, optional
        Called with the number of trials finished in each batch.
    """
    import optuna  # heavy: only when a search runs

    spec = evaluator.spec
    settings = spec.search
    replications = range(settings.replications)
    optuna_logger = logging.getLogger("optuna")
    level = optuna_logger.level
    optuna_logger.setLevel(logging.WARNING)  # one line per trial is noise here; restored below
    try:
        sampler = optuna.samplers.TPESampler(
            seed=spec.seed, multivariate=True, constant_liar=True,
            n_startup_trials=max(settings.batch, min(10, settings.trials // 3)))
        study = optuna.create_study(sampler=sampler, direction="minimize")
        start = start_candidate(evaluator)
        if start is not None:
            study.enqueue_trial({d.name: (d.values.index(v) if d.choices else v)
                                 for d, v in zip(spec.dimensions, start, strict=True)})
        tried: list[Standing] = []
        while len(study.trials) < settings.trials:
            trials = [study.ask() for _ in range(min(settings.batch, settings.trials - len(study.trials)))]
            candidates = [_suggest(trial, evaluator) for trial in trials]
            evaluator.run([(c, spec.seed, replications) for c in candidates], "search")
            for trial, candidate in zip(trials, candidates, strict=True):
                record = standing(evaluator, candidate, spec.seed, settings.replications)
                for i, excess in enumerate(record.excess):  # TPE favours mixes that meet the targets
                    trial.set_constraint(f"target_{i}", min(excess, 1e12) if excess == excess else 1e12)
                if math.isfinite(record.objective):
                    study.tell(trial, record.objective)
                else:  # no number to minimise (a mean over no patients): a failed trial, which TPE skips
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                tried.append(record)
            if progress is not None:
                progress(len(trials))
        return tried
    finally:
        optuna_logger.setLevel(level)


def _suggest(trial: Any, evaluator: Evaluator) -> Candidate:
    values = []
    for dimension in evaluator.spec.dimensions:
        if dimension.choices:
            index = trial.suggest_categorical(dimension.name, list(range(len(dimension.choices))))
            values.append(dimension.choices[index])
        else:
            values.append(trial.suggest_int(dimension.name, dimension.low, dimension.high,
                                            step=dimension.step))
    return canonical(evaluator.spec, tuple(values))


def polish(evaluator: Evaluator, best: Standing) -> list[Standing]:
    """From ``best``, move to the best grid neighbour while one ranks better (common random numbers).

    Returns the standing of every neighbour looked at, in order. Stops at a candidate no neighbour
    beats on the search replications: a local optimum of the grid.
    """
    spec = evaluator.spec
    n = spec.search.replications
    seen: list[Standing] = []
    for _ in range(MAX_POLISH_ROUNDS):
        around = list(neighbours(spec, best.candidate))
        evaluator.run([(c, spec.seed, range(n)) for c in around], "polish")
        records = [standing(evaluator, c, spec.seed, n) for c in around]
        seen.extend(records)
        better = min(records, key=lambda s: s.rank_key, default=None)
        if better is None or better.rank_key >= best.rank_key:
            break
        best = better
    return seen
