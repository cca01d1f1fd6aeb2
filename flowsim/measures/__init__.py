"""Measures: what a run's event log says, and what many replications say together.

:func:`compute_metrics` (:mod:`~flowsim.measures.metrics`, with housing delays from
:mod:`~flowsim.measures.housing_metrics` and interval arithmetic from
:mod:`~flowsim.measures.intervals`) turns one replication's episode log into its KPIs: delayed days,
delays by reason, census, unit waits and utilisation, costs. :mod:`~flowsim.measures.kpi_table` puts
a run's replications together without pandas (confidence intervals, the summary, units' means), and
:mod:`~flowsim.measures.aggregate` gives the same as frames, summaries per option and the tables behind
every chart.

Imports only from :mod:`flowsim.model`.
"""

from flowsim.model.lazy import lazy_exports

_EXPORTS = {
    "RunMetrics": "flowsim.measures.metrics",
    "compute_metrics": "flowsim.measures.metrics",
    "confidence_interval": "flowsim.measures.kpi_table",
    "summarise": "flowsim.measures.aggregate",
}

__all__ = ["RunMetrics", "compute_metrics", "confidence_interval", "summarise"]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
