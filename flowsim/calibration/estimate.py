"""A point estimate with its 95 % confidence interval, and the intervals used for shares and ratios."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Z95", "Estimate", "ratio_to_mean", "wilson"]

Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Estimate:
    """A value with its 95 % CI (``low``, ``high``; NaN when it cannot be had) and the count behind it."""

    value: float
    low: float
    high: float
    n: int = 0

    def text(self, fmt: str = ".3g", scale: float = 1.0, unit: str = "") -> str:
        """``"24.9 (95 % CI 24.6-25.3)"``, values times ``scale`` in format ``fmt``."""
        centre = f"{self.value * scale:{fmt}}{unit}"
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return centre
        return f"{centre} (95 % CI {self.low * scale:{fmt}}-{self.high * scale:{fmt}}{unit})"


def wilson(successes: int, n: int) -> Estimate:
    """A proportion with its Wilson score interval (sensible near 0 and 1, and for small ``n``)."""
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    p = successes / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / denominator
    return Estimate(p, max(centre - half, 0.0), min(centre + half, 1.0), n)


def ratio_to_mean(groups: Sequence[np.ndarray]) -> tuple[Estimate, list[Estimate]]:
    """Each group's mean over the mean of the group means, with delta-method CIs.

    Used for day-of-week and month multipliers: ``groups[g]`` holds the daily counts of the days in
    group ``g``. With ``c_g`` the group means, ``A = mean(c_g)`` and ``m_g = c_g / A`` (so the
    ``m_g`` average 1). The group means are independent (different days), each with variance
    ``s_g^2 / n_g`` from its own days, so
    ``var(m_g) = ((1 - m_g / G)^2 var(c_g) + (m_g / G)^2 sum_(j != g) var(c_j)) / A^2``.

    Returns
    -------
    (Estimate, list of Estimate)
        ``A`` (with ``var(A) = sum var(c_g) / G^2``) and the ``m_g``, in group order; lower limits
        below 0 are set to 0.
    """
    g = len(groups)
    means = np.array([x.mean() for x in groups], dtype=float)
    variances = np.array([x.var(ddof=1) / x.size if x.size > 1 else math.nan for x in groups])
    a = float(means.mean())
    total = float(np.sum(variances))
    half_a = Z95 * math.sqrt(total) / g
    # Counts and their ratios are not negative: a normal interval reaching below 0 is cut there.
    level = Estimate(a, max(a - half_a, 0.0), a + half_a, int(sum(x.size for x in groups)))
    ratios = []
    for i, (mean, variance) in enumerate(zip(means, variances, strict=True)):
        m = mean / a
        others = total - variance
        var_m = ((1 - m / g) ** 2 * variance + (m / g) ** 2 * others) / a**2
        half = Z95 * math.sqrt(var_m)
        ratios.append(Estimate(float(m), max(float(m - half), 0.0), float(m + half), int(groups[i].size)))
    return level, ratios
