"""Measures: what a run's event log says, and what many replications say together.

:func:`compute_metrics` (:mod:`~flowsim.measures.metrics`, with housing delays from
:mod:`~flowsim.measures.housing_metrics` and interval arithmetic from
:mod:`~flowsim.measures.intervals`) turns one replication's episode log into its KPIs: delayed days,
delays by reason, census, unit waits and utilisation, costs. :mod:`~flowsim.measures.aggregate` puts
replications together: confidence intervals, summaries per option and the tables behind every chart.

Imports only from :mod:`flowsim.model`.
"""

from flowsim.measures.aggregate import confidence_interval, summarise
from flowsim.measures.metrics import RunMetrics, compute_metrics

__all__ = ["RunMetrics", "compute_metrics", "confidence_interval", "summarise"]
