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

from flowsim.model.lazy import lazy_exports

_EXPORTS = {
    "ScenarioRun": "flowsim.experiment.pipeline",
    "collect_sweep": "flowsim.experiment.sweep",
    "compare_to_baseline": "flowsim.experiment.compare",
    "run_replications": "flowsim.experiment.runner",
    "run_scenario": "flowsim.experiment.pipeline",
}

__all__ = ["ScenarioRun", "collect_sweep", "compare_to_baseline", "run_replications", "run_scenario"]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
