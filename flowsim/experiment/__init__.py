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

from flowsim.experiment.compare import compare_to_baseline
from flowsim.experiment.pipeline import ScenarioRun, run_scenario
from flowsim.experiment.runner import run_replications
from flowsim.experiment.sweep import collect_sweep

__all__ = ["ScenarioRun", "collect_sweep", "compare_to_baseline", "run_replications", "run_scenario"]
