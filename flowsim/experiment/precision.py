"""Is the number of replications enough? CI half-width relative to the mean, and what would do.

A planner quoting "delayed days avoided: 4,100 a year" should know it is 4,100 ± 200, not ± 2,000.
After replications run, :func:`check_precision` compares each headline KPI's 95 % CI half-width (as a
% of its mean) with a target and estimates how many replications would reach it (the half-width
shrinks like 1/sqrt(n)).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flowsim.model.bounds import MAX_REPLICATIONS
from flowsim.model.errors import ConfigError
from flowsim.model.validate import flag

if TYPE_CHECKING:
    import pandas as pd

    from flowsim.measures.kpi_table import ReplicationKpis

__all__ = ["PrecisionReport", "PrecisionSettings", "check_precision", "next_batch", "precision_settings"]


@dataclass(frozen=True)
class PrecisionSettings:
    """Validated ``precision.*`` settings."""

    target_half_width_pct: float
    kpis: tuple[str, ...]
    adaptive: bool
    batch: int
    max_replications: int


@dataclass(frozen=True)
class PrecisionReport:
    """Precision of each KPI after ``n`` replications."""

    n: int
    half_width_pct: dict[str, float]
    target_half_width_pct: float
    needed: dict[str, int]  # estimated replications to reach the target, per KPI above it

    @property
    def met(self) -> bool:
        """True when every KPI is within the target (needs at least two replications)."""
        return self.n >= 2 and not self.needed

    def adaptive_note(self, asked: int) -> str | None:
        """One line saying what ``precision.adaptive`` did when it added replications to the ``asked``
        ones and met the target (else None: nothing added, or :meth:`warning` says it stopped short)."""
        if self.n <= asked or not self.met:
            return None
        worst = max(self.half_width_pct, key=self.half_width_pct.get)
        return (f"precision.adaptive added {self.n - asked} replication(s) to the {asked} asked: with "
                f"{self.n}, every KPI of precision.kpis has a 95 % CI half-width within "
                f"{self.target_half_width_pct:g} % of its mean (widest: {worst}, "
                f"{self.half_width_pct[worst]:.1f} %)")

    def warning(self, adaptive_limit: int | None = None) -> str | None:
        """One line for the user when the target is missed, else None.

        ``adaptive_limit`` is ``precision.max_replications`` of a run with ``precision.adaptive=true``:
        then the advice is to raise that limit, not to turn on what is already on.
        """
        if self.met or self.n < 2:
            return None
        worst = max(self.needed, key=self.needed.get)
        advice = ("set replications= or precision.adaptive=true" if adaptive_limit is None else
                  f"adaptive replications stopped at precision.max_replications={adaptive_limit}: raise it")
        needed = self.needed[worst]
        reach = (f"about {needed:,} replications would reach it" if needed <= MAX_REPLICATIONS
                 else f"more than {MAX_REPLICATIONS:,} replications (flowsim's most) would be needed")
        return (f"{worst}: 95 % CI half-width is {self.half_width_pct[worst]:.1f} % of the mean with "
                f"{self.n} replications (target {self.target_half_width_pct:g} %); {reach} ({advice})")


def precision_settings(config: Mapping[str, Any]) -> PrecisionSettings:
    """Validate the ``precision`` section of a plain config mapping."""
    spec = config.get("precision") or {}
    target = spec.get("target_half_width_pct", 5.0)
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target < 100:
        raise ConfigError("precision.target_half_width_pct", f"must be between 0 and 100, got {target!r}",
                          "use a percentage such as 5")
    batch = spec.get("batch", 10)
    maximum = spec.get("max_replications", 200)
    for field, value in (("precision.batch", batch), ("precision.max_replications", maximum)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REPLICATIONS:
            raise ConfigError(field, f"must be a whole number from 1 to {MAX_REPLICATIONS:,}, got {value!r}",
                              f"set {field} to a whole number such as 10")
    kpis = spec.get("kpis") or ()
    if isinstance(kpis, str) or not all(isinstance(k, str) for k in kpis):
        raise ConfigError("precision.kpis", f"must be a list of KPI names, got {kpis!r}",
                          "write e.g. [delayed_days_per_year, delay_mean_days]")
    kpis = tuple(dict.fromkeys(kpis))  # a KPI named twice is checked once (its column is read once)
    adaptive = flag(spec.get("adaptive"), "precision.adaptive")
    replications = config.get("replications", 1)
    if adaptive and spec.get("kpis") is not None and not kpis:  # nothing to measure: "met" at once
        raise ConfigError("precision.kpis", "is empty, so adaptive replications have nothing to measure",
                          "name the KPIs to reach the target on, e.g. [delayed_days_per_year], or set "
                          "precision.adaptive=false")
    if adaptive and isinstance(replications, int) and maximum < replications:
        raise ConfigError("precision.max_replications", f"is {maximum}, below replications={replications}, "
                          "so adaptive replications could never add one",
                          f"set precision.max_replications to at least {replications}, e.g. 200")
    return PrecisionSettings(float(target), kpis, adaptive, batch, maximum)


def check_precision(table: ReplicationKpis | pd.DataFrame, settings: PrecisionSettings) -> PrecisionReport:
    """Half-widths of ``settings.kpis`` over the replication ``table`` and replications needed.

    Raises
    ------
    ConfigError
        If a KPI named in ``precision.kpis`` is not a column of the table.
    """
    from flowsim.measures.kpi_table import summary_rows  # SciPy: not before a run needs it

    for kpi in settings.kpis:
        if kpi not in table.columns:
            raise ConfigError("precision.kpis", f"unknown KPI {kpi!r}",
                              "use a column of replications.parquet such as delayed_days_per_year")
    n = len(table)
    summary = {row["kpi"]: row for row in summary_rows(table, settings.kpis)}
    widths = {k: float(summary[k]["half_width_pct"]) for k in settings.kpis}
    needed = {}
    for kpi, width in widths.items():
        if n >= 2 and math.isfinite(width) and abs(width) > settings.target_half_width_pct:
            # a tiny target (1e-300 %) or mean makes the estimate overflow: anything past the limit is one
            ratio = abs(width) / settings.target_half_width_pct
            estimate = n * ratio * ratio  # inf past the largest float (where ** raises OverflowError)
            needed[kpi] = math.ceil(estimate) if estimate <= MAX_REPLICATIONS else MAX_REPLICATIONS + 1
    return PrecisionReport(n, widths, settings.target_half_width_pct, needed)


def next_batch(report: PrecisionReport, settings: PrecisionSettings) -> int:
    """How many more replications an adaptive run should add now (0 = stop)."""
    if report.met or report.n >= settings.max_replications or report.n < 2:
        return 0
    wanted = max(report.needed.values())
    return max(0, min(settings.batch, wanted - report.n, settings.max_replications - report.n))

