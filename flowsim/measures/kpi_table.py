"""Replications side by side: each KPI's values over the replications, their mean and confidence
interval, and each unit's means; with numpy alone.

A run's own summary (the lines ``flowsim`` prints, ``summary.csv``, ``metrics.json``) is made here
without pandas, which would cost the process about 0.2 s to import. The numbers are those pandas gave:
:func:`flowsim.measures.aggregate.summarise` and :func:`flowsim.measures.aggregate.replication_table`
are these functions with their results as frames.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from flowsim.measures.student_t import t_quantile

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "HEADLINE_KPIS",
    "SUMMARY_COLUMNS",
    "ReplicationKpis",
    "confidence_interval",
    "group_means",
    "is_number",
    "summary_rows",
]

# The KPIs a board paper quotes; summarised with a CI whenever there is more than one replication.
HEADLINE_KPIS = (
    "delayed_days_per_year",
    "delay_mean_days",
    "delay_P1_mean_days",
    "delay_P2_mean_days",
    "delay_P3_mean_days",
    "nctr_census_mean",
    "nctr_census_midnight_p95",
    "p2_blocked_bed_days",
    "cost_delayed_days",
    "cost_units",
    "cost_total",
)

# The columns of a summary (summary.csv), one row per KPI.
SUMMARY_COLUMNS = ("kpi", "n", "mean", "sd", "ci_low", "ci_high", "half_width_pct")


def confidence_interval(values: Sequence[float] | np.ndarray, level: float = 0.95
                        ) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent replication values.

    Returns
    -------
    (mean, low, high)
        ``low``/``high`` are NaN with fewer than two finite values.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(x.mean())
    if x.size < 2:
        return mean, float("nan"), float("nan")
    half = float(t_quantile(x.size - 1, 0.5 + level / 2) * x.std(ddof=1) / np.sqrt(x.size))
    return mean, mean - half, mean + half


def _is_whole(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


@dataclass(frozen=True)
class ReplicationKpis:
    """One row per replication, one column per KPI, plus ``replication`` (first): as columns.

    Reads like the replication frame: ``len`` is the number of replications, ``name in table`` and
    ``table[name]`` give a column (a numpy array).
    """

    columns: dict[str, np.ndarray]

    @classmethod
    def of(cls, kpis_by_replication: Iterable[tuple[int, Mapping[str, float]]]) -> ReplicationKpis:
        """The table of ``(replication, kpis)`` pairs, in replication order.

        A KPI that is a whole number in every replication is a whole-number column; any other is a
        float column, NaN where a replication lacks it (as ``pandas.DataFrame`` makes them).
        """
        given = [(r, dict(kpis)) for r, kpis in kpis_by_replication]
        # columns in the order they first appear as given (as a frame of the rows has them), rows sorted
        names = list(dict.fromkeys(name for _, kpis in given for name in kpis if name != "replication"))
        rows = sorted(given, key=lambda pair: pair[0])
        columns = {"replication": np.array([r for r, _ in rows], dtype=np.int64)}
        for name in names:
            values = [kpis.get(name) for _, kpis in rows]
            whole = all(_is_whole(v) for v in values)
            columns[name] = np.array([math.nan if v is None else v for v in values],
                                     dtype=np.int64 if whole else np.float64)
        return cls(columns)

    def __len__(self) -> int:
        return len(self.columns["replication"])

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def to_pandas(self) -> pd.DataFrame:
        """The table as a frame (imports pandas)."""
        import pandas as pd

        return pd.DataFrame(self.columns)


def summary_rows(table: ReplicationKpis | pd.DataFrame, kpis: Sequence[str] | None = None,
                 level: float = 0.95) -> list[dict[str, Any]]:
    """Mean, CI and relative half-width of each KPI over the rows of ``table``.

    Parameters
    ----------
    table : ReplicationKpis or pandas.DataFrame
        One row per replication, one column per KPI (a ``replication`` column is not summarised).
    kpis : sequence of str, optional
        The KPIs to summarise, in this order (those not in the table are left out); default every
        column.
    level : float
        Confidence level of the interval.

    Returns
    -------
    list of dict
        One per KPI, with the keys :data:`SUMMARY_COLUMNS`.
    """
    columns = list(table.columns)
    names = [k for k in (kpis or [c for c in columns if c != "replication"]) if k in columns]
    rows = []
    for name, values in zip(names, _float_columns(table, names), strict=True):
        mean, low, high = confidence_interval(values, level)
        finite = values[np.isfinite(values)]
        rows.append({
            "kpi": name,
            "n": int(finite.size),
            "mean": mean,
            "sd": float(finite.std(ddof=1)) if finite.size > 1 else float("nan"),
            "ci_low": low,
            "ci_high": high,
            "half_width_pct": (100 * (high - mean) / abs(mean)) if mean else float("nan"),
        })
    return rows


def _float_columns(table: ReplicationKpis | pd.DataFrame, names: Sequence[str]) -> list[np.ndarray]:
    """The columns ``names`` of ``table`` as float arrays.

    A frame's in one conversion: selecting its columns one by one costs pandas a tenth of a millisecond
    each, which a sweep's collection of a thousand jobs of 120 KPIs would pay a hundred thousand times.
    """
    if isinstance(table, ReplicationKpis):
        return [np.asarray(table[name], dtype=float) for name in names]
    if not names:
        return []
    # rows of the transposed matrix: each column's values, the same numbers as converting it alone
    return list(np.ascontiguousarray(table.loc[:, list(names)].to_numpy(dtype=float).T))


def is_number(value: Any) -> bool:
    """Whether ``value`` is a Python or numpy number, not a boolean (pandas types booleans apart)."""
    return (isinstance(value, int | float | np.integer | np.floating)
            and not isinstance(value, bool | np.bool_))


def _averaged(values: Sequence[Any]) -> bool:
    """Whether pandas' mean (``numeric_only``) takes a column of these values (None, or NaN where a row
    lacks the key): numbers, some perhaps missing (a float column, NaN there), or booleans, none missing
    (a bool column; its mean is the share of True). Booleans with one missing, a mix, or None alone make
    an object column, which it leaves out."""
    known = [v for v in values if v is not None]
    if any(isinstance(v, bool | np.bool_) for v in known):
        return len(known) == len(values) and all(isinstance(v, bool | np.bool_) for v in known)
    return bool(known) and all(is_number(v) for v in known)


def group_means(rows: Sequence[Mapping[str, Any]], key: str, drop: Sequence[str] = ()
                ) -> list[dict[str, Any]]:
    """Each group's mean of every numeric column (a bool column's too: the share of True), groups in the
    order they first appear.

    As ``DataFrame(rows).drop(columns=drop).groupby(key, sort=False).mean(numeric_only=True)
    .reset_index()`` gives them: NaN and None values are left out of a mean (NaN if all are), and the sums
    are compensated (Kahan) as pandas' grouped mean sums them, to the bit. (pandas 3.1 takes a plain,
    uncompensated sum when the rows come group by group with no NaN, e.g. a run of one unit; there the
    last bit can differ, and this mean is the more exact.)
    """
    if not rows:
        return []
    names = [n for n in dict.fromkeys(n for row in rows for n in row) if n != key and n not in drop]
    numeric = [n for n in names if _averaged([row.get(n, math.nan) for row in rows])]
    groups: dict[Any, list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    means = []
    for name, members in groups.items():
        out: dict[str, Any] = {key: name}
        for column in numeric:
            total = compensation = 0.0
            count = 0
            for row in members:
                given = row.get(column)
                value = math.nan if given is None else float(given)
                if math.isnan(value):
                    continue
                count += 1
                y = value - compensation
                t = total + y
                compensation = t - total - y
                if compensation != compensation:  # an infinity: pandas drops the compensation
                    compensation = 0.0
                total = t
            out[column] = total / count if count else math.nan
        means.append(out)
    return means
