"""flowsim: discrete-event simulation of hospital-to-home patient flow for NHS planners.

Patients who no longer meet the criteria to reside (NCTR) wait in acute beds for simple discharge
(P0), home care (P1), short-term beds (P2) or care-home placements (P3). flowsim simulates those
queues with SimPy and reports delayed days, census, unit occupancy and costs.

Typical in-process use::

    from flowsim import load_scenario, simulate, compute_metrics
    scenario = load_scenario(["services.care_home_unit.capacity=40"])
    metrics = compute_metrics(simulate(scenario, replication=0))
"""

from flowsim.compose import load_config, load_scenario
from flowsim.errors import ConfigError
from flowsim.metrics import RunMetrics, compute_metrics
from flowsim.model import RunResult, simulate
from flowsim.pipeline import ScenarioRun, run_scenario
from flowsim.runner import run_replications
from flowsim.scenario import Scenario, build_scenario

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
