"""A level a KPI must reach, written ``KPI<=VALUE`` or ``KPI>=VALUE``.

Used by the board pack's decision rule (``--target``) and by ``flowsim-size`` constraints, so both read
targets the same way.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from flowsim.model.errors import ConfigError

__all__ = ["Target", "format_level", "parse_target"]

_TARGET = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(<=|>=)\s*(\S+)\s*$")


def format_level(value: float | None) -> str:
    """A KPI level for a sentence: thousands separated, two decimals below 10 unless whole.

    A level no replication gave a number for (a mean over no patients: NaN, or null in a JSON file)
    reads "n/a".
    """
    if value is None or not math.isfinite(value):
        return "n/a" if value is None or math.isnan(value) else f"{value}"
    return f"{value:,.0f}" if abs(value) >= 10 or value == round(value) else f"{value:,.2f}"


@dataclass(frozen=True)
class Target:
    """A level a KPI's mean must reach: ``kpi <= value`` or ``kpi >= value``."""

    kpi: str
    op: str  # "<=" or ">="
    value: float

    def met(self, level: float) -> bool:
        """Whether a mean ``level`` of the KPI meets the target (NaN never does)."""
        return bool(level <= self.value) if self.op == "<=" else bool(level >= self.value)

    def excess(self, level: float) -> float:
        """How far ``level`` is on the wrong side of the target (negative or 0 when met)."""
        return level - self.value if self.op == "<=" else self.value - level

    def __str__(self) -> str:
        return f"{self.kpi} {self.op} {format_level(self.value)}"


def parse_target(text: str, field: str = "--target") -> Target:
    """``"delayed_days_per_year<=30000"`` -> ``Target("delayed_days_per_year", "<=", 30000.0)``.

    Parameters
    ----------
    text : str
        ``KPI<=VALUE`` or ``KPI>=VALUE``; thousands separators are allowed.
    field : str
        Named in the error message (the option or config field the text came from).

    Raises
    ------
    ConfigError
        If ``text`` is not ``KPI<=VALUE`` or ``KPI>=VALUE`` with a finite number.
    """
    match = _TARGET.match(text) if isinstance(text, str) else None
    value = float("nan")
    if match:
        try:
            value = float(match.group(3).replace(",", ""))
        except ValueError:
            pass
    if not match or not np.isfinite(value):
        raise ConfigError(field, f"{text!r} is not KPI<=VALUE or KPI>=VALUE",
                          f"give e.g. {field} 'delay_P2_mean_days<=8.7'" if field.startswith("--")
                          else "write e.g. 'delay_P2_mean_days<=8.7'")
    return Target(match.group(1), match.group(2), value)
