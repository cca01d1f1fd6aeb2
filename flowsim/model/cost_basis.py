"""What a delayed acute bed day is worth: a number, or a named basis with its source.

Published schemes value a delayed bed day differently (the full cost, an older tariff, a local
evaluation, the cash actually released), so ``costs.acute_bed_day`` takes either a number in GBP or
the name of one of ``costs.bed_day_bases`` (``name: {per_day: GBP, source: text}``). Either way the
validated :class:`~flowsim.model.scenario.Scenario` carries a :class:`CostBasis`: the value, the name
(``custom`` for a plain number) and where the figure comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flowsim.model.bounds import MAX_COST
from flowsim.model.errors import ConfigError
from flowsim.model.strict import closest
from flowsim.model.validate import real_number

__all__ = ["CUSTOM", "CostBasis", "acute_bed_day_basis", "bed_day_bases", "cost_record",
           "delayed_cost_by_basis"]

# Name of the basis of a plain number given in costs.acute_bed_day.
CUSTOM = "custom"
_FIELD = "costs.acute_bed_day"
_BASES = "costs.bed_day_bases"


@dataclass(frozen=True)
class CostBasis:
    """One way of valuing a delayed acute bed day.

    Parameters
    ----------
    name : str
        The basis's name in ``costs.bed_day_bases`` (``custom`` for a number given directly).
    per_day_gbp : float
        GBP per delayed bed day.
    source : str
        Where the figure comes from (a publication, or "assumption: ...").
    """

    name: str
    per_day_gbp: float
    source: str

    def describe(self) -> str:
        """E.g. ``GBP 106.81 a bed-day (basis nottingham_2016: Nottingham City Homes evaluation, ...)``."""
        per_day = float(self.per_day_gbp)
        amount = f"{per_day:,.0f}" if per_day.is_integer() else f"{per_day:,.2f}"
        return f"GBP {amount} a bed-day (basis {self.name}: {self.source})"


def bed_day_bases(costs: Mapping[str, Any]) -> tuple[CostBasis, ...]:
    """The bases listed in ``costs.bed_day_bases``, in config order, each checked.

    Parameters
    ----------
    costs : Mapping
        The ``costs`` section of a plain configuration.

    Returns
    -------
    tuple of CostBasis

    Raises
    ------
    ConfigError
        If a basis is not a mapping, its ``per_day`` is not a plausible amount, its ``source`` is empty,
        or it is called ``custom`` (the name kept for plain numbers).
    """
    listed = costs.get("bed_day_bases") or {}
    if not isinstance(listed, Mapping):
        raise ConfigError(_BASES, f"must be a mapping name: {{per_day, source}}, got {listed!r}",
                          "write e.g. full_cost: {per_day: 395, source: King's Fund 2022/23}")
    bases = []
    for name, entry in listed.items():
        field = f"{_BASES}.{name}"
        if str(name) == CUSTOM:
            raise ConfigError(field, f"the name {CUSTOM!r} is kept for a number given in {_FIELD}",
                              "choose another name")
        if not isinstance(entry, Mapping):
            raise ConfigError(field, f"must be a mapping {{per_day, source}}, got {entry!r}",
                              f"write {field}: {{per_day: GBP, source: where the figure comes from}}")
        per_day = entry.get("per_day")
        if per_day is None or per_day == "???":
            raise ConfigError(f"{field}.per_day", "is missing", f"give {field}.per_day in GBP")
        source = entry.get("source")
        if source is None or source == "???":
            raise ConfigError(f"{field}.source", "is missing",
                              "give the publication and year, or 'assumption: why'")
        if not isinstance(source, str) or not source.strip():
            raise ConfigError(f"{field}.source", f"must name where the figure comes from, got {source!r}",
                              "give the publication and year, or 'assumption: why'")
        bases.append(CostBasis(str(name), real_number(per_day, f"{field}.per_day", maximum=MAX_COST),
                               source.strip()))
    return tuple(bases)


def acute_bed_day_basis(costs: Mapping[str, Any], bases: tuple[CostBasis, ...] | None = None) -> CostBasis:
    """The basis ``costs.acute_bed_day`` names, or a ``custom`` basis for a plain number.

    Parameters
    ----------
    costs : Mapping
        The ``costs`` section of a plain configuration; ``acute_bed_day`` must be set.
    bases : tuple of CostBasis, optional
        The listed bases (default: read from ``costs`` with :func:`bed_day_bases`).

    Returns
    -------
    CostBasis

    Raises
    ------
    ConfigError
        If the value is missing, an unknown name (the message lists the bases) or not a plausible amount.
    """
    bases = bed_day_bases(costs) if bases is None else bases
    value = costs.get("acute_bed_day")
    if value is None or value == "???":
        raise ConfigError(_FIELD, "is missing", f"give {_FIELD} a value")
    if isinstance(value, str) and _is_number(value):  # typed as text (the app's field): an amount
        value = float(value)
    if isinstance(value, str):
        for basis in bases:
            if basis.name == value:
                return basis
        names = ", ".join(b.name for b in bases) or f"none are listed in {_BASES}"
        guess = closest(value, [b.name for b in bases]) if isinstance(value, str) else None
        raise ConfigError(_FIELD, f"unknown cost basis {value!r}",
                          (f"did you mean {guess}? " if guess else "")
                          + f"give GBP per bed day as a number or one of the bases: {names}")
    per_day = real_number(value, _FIELD, maximum=MAX_COST)
    return CostBasis(CUSTOM, per_day, f"a number given in {_FIELD}")


def delayed_cost_by_basis(delayed_days_total: float, delayed_days_per_year: float, chosen: CostBasis,
                          bases: tuple[CostBasis, ...]) -> dict[str, dict[str, Any]]:
    """The cost of the same delayed days under the chosen basis and every listed one.

    Parameters
    ----------
    delayed_days_total : float
        Delayed acute bed days in the observed window (the KPI ``delayed_days_total``).
    delayed_days_per_year : float
        The same per year (the KPI ``delayed_days_per_year``).
    chosen : CostBasis
        The basis of the run (first in the result; a ``custom`` one is included).
    bases : tuple of CostBasis
        The bases listed in the configuration.

    Returns
    -------
    dict
        ``name -> {per_day_gbp, source, cost_delayed_days_gbp, cost_delayed_days_per_year_gbp}``.
    """
    rows: dict[str, dict[str, Any]] = {}
    for basis in (chosen, *bases):
        rows.setdefault(basis.name, {
            "per_day_gbp": basis.per_day_gbp, "source": basis.source,
            "cost_delayed_days_gbp": delayed_days_total * basis.per_day_gbp,
            "cost_delayed_days_per_year_gbp": delayed_days_per_year * basis.per_day_gbp})
    return rows


def cost_record(chosen: CostBasis | None, per_day_gbp: float, bases: tuple[CostBasis, ...],
                delayed_days_total: float, delayed_days_per_year: float) -> dict[str, Any]:
    """What ``metrics.json`` records of the bed-day cost: the basis used, and every basis's cost.

    Parameters
    ----------
    chosen : CostBasis or None
        The run's basis (None: a scenario built by hand with ``per_day_gbp`` only: ``custom``).
    per_day_gbp : float
        GBP per delayed bed day used for ``cost_delayed_days``.
    bases : tuple of CostBasis
        The bases listed in the configuration.
    delayed_days_total, delayed_days_per_year : float
        The run's (mean) delayed acute bed days in the window and per year.

    Returns
    -------
    dict
        ``{basis, per_day_gbp, source, cost_delayed_days_by_basis}`` (see :func:`delayed_cost_by_basis`).
    """
    basis = chosen or CostBasis(CUSTOM, per_day_gbp, f"a number given in {_FIELD}")
    return {"basis": basis.name, "per_day_gbp": basis.per_day_gbp, "source": basis.source,
            "cost_delayed_days_by_basis": delayed_cost_by_basis(delayed_days_total, delayed_days_per_year,
                                                                basis, bases)}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
