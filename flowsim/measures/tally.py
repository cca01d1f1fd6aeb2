"""A run's measures gathered part by part: sums and counts, daily counts, and kept values.

Every KPI of a replication is a sum or count over episodes (delayed days, admissions, bed-days), a
daily count of episodes in progress (the census), a mean (a sum over a count) or a percentile (the
values themselves). So the episode log can be read in parts, in any order, each part added to a
:class:`Tally` and then dropped; the KPIs come from the tally at the end. Read whole (one part), the
KPIs are exactly those of the whole log; in several parts, sums may differ in their last bits.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Tally"]


class Tally:
    """Named running totals (numbers or arrays of daily counts) and lists of kept values."""

    def __init__(self) -> None:
        self._totals: dict[str, float | np.ndarray] = {}
        self._kept: dict[str, list[np.ndarray]] = {}

    def add(self, key: str, value: float | np.ndarray) -> None:
        """Add ``value`` to the total ``key`` (the first value is taken as it is: exact)."""
        if key in self._totals:
            self._totals[key] += value  # numpy arrays in place, numbers rebound
        else:
            self._totals[key] = value.copy() if isinstance(value, np.ndarray) else value

    def keep(self, key: str, values: np.ndarray) -> None:
        """Keep ``values`` (e.g. delays, for percentiles) after those kept before under ``key``."""
        self._kept.setdefault(key, []).append(values)

    def total(self, key: str, default: float = 0.0) -> float:
        """The total of ``key`` (``default`` if nothing was added)."""
        return float(self._totals.get(key, default))

    def counts(self, key: str, size: int) -> np.ndarray:
        """The array total of ``key`` (zeros of ``size`` if nothing was added)."""
        value = self._totals.get(key)
        return np.zeros(size, dtype=np.int64) if value is None else np.asarray(value)

    def values(self, key: str) -> np.ndarray:
        """Every value kept under ``key``, in the order kept (empty float array if none)."""
        parts = self._kept.get(key, [])
        if not parts:
            return np.array([], dtype=float)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def mean(self, key: str) -> float:
        """Total of ``key`` over the total of ``key + "/n"`` (NaN when the count is zero)."""
        n = self.total(f"{key}/n")
        return self.total(key) / n if n else float("nan")
