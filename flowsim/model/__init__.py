"""The model: from a configuration to a validated scenario, and from a scenario to an event log.

Data flow, first to last: the configuration schema (:mod:`~flowsim.model.config`) and its checks
(``strict``, ``validate``, ``bounds``, ``overrides``, ``datafile``) build a :class:`Scenario`
(:mod:`~flowsim.model.scenario`) out of its parts: arrivals and seasonality, length-of-stay
distributions, units and their availability, housing barriers and schemes, the acute front door and a
warm-start census. :func:`simulate` (:mod:`~flowsim.model.journey`) runs one replication as SimPy
processes, drawing from random streams keyed by name (:mod:`~flowsim.model.rng`), and returns a
:class:`RunResult` holding the episode log (:mod:`~flowsim.model.eventlog`).

Nothing here imports from the layers above (``measures``, ``experiment``, ``reporting``, ``cli``).
"""

from flowsim.model.lazy import lazy_exports

_EXPORTS = {
    "ConfigError": "flowsim.model.errors",
    "EpisodeTable": "flowsim.model.eventlog",
    "RunResult": "flowsim.model.eventlog",
    "Scenario": "flowsim.model.scenario",
    "build_scenario": "flowsim.model.scenario",
    "load_config": "flowsim.model.compose",
    "load_scenario": "flowsim.model.compose",
    "simulate": "flowsim.model.journey",
}

__all__ = ["ConfigError", "EpisodeTable", "RunResult", "Scenario", "build_scenario", "load_config",
           "load_scenario", "simulate"]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
