"""Experiments: replications, sweeps and everything that makes their results trustworthy on disk.

:mod:`~flowsim.experiment.runner` runs replications of a scenario and measures each;
:mod:`~flowsim.experiment.pipeline` is a whole run: checks before it starts
(:mod:`~flowsim.experiment.preflight`, :mod:`~flowsim.experiment.workload`), replications until the
precision asked for (:mod:`~flowsim.experiment.precision`), checkpoints keyed by the run's identity
(:mod:`~flowsim.experiment.identity`, :mod:`~flowsim.experiment.checkpoint`), one writer per folder
(:mod:`~flowsim.experiment.lock`) and atomic result files (:mod:`~flowsim.experiment.io`).
:mod:`~flowsim.experiment.sweep` gathers the jobs of a sweep and :mod:`~flowsim.experiment.compare`
compares its options with a baseline, paired by common random numbers.
:mod:`~flowsim.experiment.warmup` chooses a warm-up period.

Imports only from :mod:`flowsim.model` and :mod:`flowsim.measures`.
"""

_EXPORTS = {
    "ScenarioRun": "flowsim.experiment.pipeline",
    "collect_sweep": "flowsim.experiment.sweep",
    "compare_to_baseline": "flowsim.experiment.compare",
    "run_replications": "flowsim.experiment.runner",
    "run_scenario": "flowsim.experiment.pipeline",
}

__all__ = ["ScenarioRun", "collect_sweep", "compare_to_baseline", "run_replications", "run_scenario"]


def __getattr__(name: str) -> object:
    # Imported on first use, so importing one part of flowsim does not import every other.
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
