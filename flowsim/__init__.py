"""flowsim: discrete-event simulation of hospital-to-home patient flow for NHS planners.

Patients who no longer meet the criteria to reside (NCTR) wait in acute beds for simple discharge
(P0), home care (P1), short-term beds (P2) or care-home placements (P3). flowsim simulates those
queues with SimPy and reports delayed days, census, unit occupancy and costs.

The package follows the data flow, each layer importing only from those before it:
``flowsim.model`` (config -> validated scenario -> SimPy run -> event log), ``flowsim.measures``
(event log -> KPIs -> across replications), ``flowsim.experiment`` (replications, sweeps, checkpoints,
comparison), ``flowsim.reporting`` (summaries, plots, report, board pack) and ``flowsim.cli``.
``flowsim.theory`` holds the closed-form queueing results the tests check the model against.

Typical in-process use::

    from flowsim import load_scenario, simulate, compute_metrics
    scenario = load_scenario(["services.care_home_unit.capacity=40"])
    metrics = compute_metrics(simulate(scenario, replication=0))
"""

from flowsim.model.lazy import lazy_exports

_EXPORTS = {
    "ConfigError": "flowsim.model.errors",
    "RunMetrics": "flowsim.measures.metrics",
    "RunResult": "flowsim.model.eventlog",
    "Scenario": "flowsim.model.scenario",
    "ScenarioRun": "flowsim.experiment.pipeline",
    "build_scenario": "flowsim.model.scenario",
    "compute_metrics": "flowsim.measures.metrics",
    "load_config": "flowsim.model.compose",
    "load_scenario": "flowsim.model.compose",
    "run_replications": "flowsim.experiment.runner",
    "run_scenario": "flowsim.experiment.pipeline",
    "simulate": "flowsim.model.journey",
}

__all__ = [
    "ConfigError",
    "RunMetrics",
    "RunResult",
    "Scenario",
    "ScenarioRun",
    "build_scenario",
    "compute_metrics",
    "load_config",
    "load_scenario",
    "run_replications",
    "run_scenario",
    "simulate",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
