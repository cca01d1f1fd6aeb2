"""Across replications: tidy tables, means and confidence intervals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from flowsim.measures.kpi_table import HEADLINE_KPIS, ReplicationKpis, confidence_interval, summary_rows

__all__ = [
    "HEADLINE_KPIS",
    "REASONS",
    "census_fan",
    "confidence_interval",
    "marginal_benefit_steps",
    "option_label",
    "parameter_label",
    "reasons_by_option",
    "replication_table",
    "summarise",
    "wait_distribution",
    "weekly_utilisation",
]

def replication_table(kpis_by_replication: Iterable[tuple[int, dict[str, float]]]) -> pd.DataFrame:
    """One row per replication, one column per KPI, plus ``replication``."""
    return ReplicationKpis.of(kpis_by_replication).to_pandas()


def summarise(table: pd.DataFrame, kpis: Sequence[str] | None = None, level: float = 0.95
              ) -> pd.DataFrame:
    """Mean, CI and relative half-width of each KPI over the rows of ``table``.

    Returns
    -------
    pandas.DataFrame
        Columns ``kpi, n, mean, sd, ci_low, ci_high, half_width_pct``
        (:func:`flowsim.measures.kpi_table.summary_rows` as a frame).
    """
    return pd.DataFrame(summary_rows(table, kpis, level))


# --- Tables for the board figures (flowsim.reporting.plots draws them; nothing is computed there) -----------

_DAYS_PER_YEAR = 365.0
FAN_QUANTILES = {"p05": 0.05, "p25": 0.25, "p50": 0.50, "p75": 0.75, "p95": 0.95}
# Delay reasons in the order a board reads them: the pathway waits, then the causes outside them.
REASONS = ("admin", "P1", "P2", "P3", "housing", "calendar")
PATHWAY_ORDER = ("P0", "P1", "P2", "P3")
THIS_RUN = "this run"


def parameter_label(key: str) -> str:
    """A swept parameter's short name: the unit of a capacity, else the last two parts of its path.

    ``services.care_home_unit.capacity`` -> ``care_home_unit``; ``services.ic_beds.cost_per_occupied_day``
    -> ``ic_beds.cost_per_occupied_day`` (not ``ic_beds``, which its capacity would also be called);
    ``run.horizon_days`` -> ``run.horizon_days``; ``seed`` -> ``seed``.
    """
    parts = key.split(".")
    if len(parts) > 1 and parts[-1] == "capacity":
        return parts[-2]
    return ".".join(parts[-2:])


def option_label(values: dict[str, object]) -> str:
    """``{"services.care_home_unit.capacity": 2}`` -> ``"care_home_unit=2"`` (as flowsim-collect prints).

    Each key is named by :func:`parameter_label`. The label is for display only; tables keep the swept
    columns themselves alongside it.
    """
    return ", ".join(f"{parameter_label(k)}={v}" for k, v in values.items())


def census_fan(census: pd.DataFrame, column: str = "nctr_census") -> pd.DataFrame:
    """Spread of a daily census series across replications, for a fan chart.

    Parameters
    ----------
    census : pandas.DataFrame
        ``census.parquet`` of a run: ``replication``, ``date``, ``day`` and the series.
    column : str
        The series, e.g. ``nctr_census`` (NCTR patients in acute beds at midnight),
        ``nctr_census_P2`` or ``occupied_ic_beds``.

    Returns
    -------
    pandas.DataFrame
        One row per midnight, in time order: ``date``, ``day``, ``n`` (replications),
        ``mean``, ``p05``, ``p25``, ``p50`` (median), ``p75``, ``p95`` (linear interpolation
        between replications, as :func:`numpy.quantile`).
    """
    if column not in census.columns:
        raise KeyError(f"no column {column} in the census (columns: {', '.join(census.columns)})")
    keys = [k for k in ("date", "day") if k in census.columns]
    if not keys:
        raise KeyError("the census needs a date or day column")
    wide = census.set_index([*keys, "replication"])[column].unstack("replication").sort_index()
    values = wide.to_numpy(dtype=float)
    fan = wide.index.to_frame(index=False)
    fan["n"] = np.isfinite(values).sum(axis=1)
    fan["mean"] = np.nanmean(values, axis=1)
    for name, q in FAN_QUANTILES.items():
        fan[name] = np.nanquantile(values, q, axis=1)
    return fan


def weekly_utilisation(census: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Mean utilisation of each unit per calendar week (Monday to Sunday).

    Utilisation is the places occupied at the week's midnights over the places in force then
    (``places_<unit>`` of the census: after a capacity schedule, seasonal factors and staff absence),
    over the week's days and the replications: a unit full of the places it has in winter shows full,
    though it has fewer than it is commissioned for. A census without ``places_<unit>`` (written
    before it existed) uses the unit's time-averaged capacity (``mean_capacity`` of ``units.parquet``)
    instead. Units with no capacity, or without an ``occupied_<unit>`` census column, are left out.

    Parameters
    ----------
    census : pandas.DataFrame
        ``census.parquet`` of a run (``replication``, ``date``, ``occupied_<unit>`` ...).
    units : pandas.DataFrame
        ``units.parquet`` of the same run (``unit``, ``mean_capacity`` or ``capacity``).

    Returns
    -------
    pandas.DataFrame
        Tidy: ``week_start`` (the Monday), ``unit`` (in the order of ``units``), ``days`` (midnights
        of the week inside the observed window: the first and last week may be partial),
        ``utilisation`` (a fraction; 1 = full).
    """
    column = "mean_capacity" if "mean_capacity" in units.columns else "capacity"
    capacity = units.groupby("unit", sort=False)[column].mean()
    dates = pd.to_datetime(census["date"]).dt.normalize()
    week_start = dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")
    days = dates.groupby(week_start).nunique()
    pieces = []
    for unit, places in capacity.items():
        occupied = f"occupied_{unit}"
        if not places > 0 or occupied not in census.columns:
            continue
        in_force = f"places_{unit}"
        if in_force in census.columns:
            week = census[[occupied, in_force]].astype(float).groupby(week_start).sum()
            share = (week[occupied] / week[in_force].where(week[in_force] > 0)).to_numpy()
        else:
            week = census[occupied].astype(float).groupby(week_start).mean()
            share = week.to_numpy() / places
        pieces.append(pd.DataFrame({"week_start": week.index, "unit": unit,
                                    "days": days.loc[week.index].to_numpy(), "utilisation": share}))
    if not pieces:
        return pd.DataFrame({"week_start": pd.Series(dtype="datetime64[us]"),
                             "unit": pd.Series(dtype=object), "days": pd.Series(dtype=int),
                             "utilisation": pd.Series(dtype=float)})
    return pd.concat(pieces, ignore_index=True)


def reasons_by_option(results: pd.DataFrame, option_columns: Sequence[str],
                      drop_empty: bool = True) -> pd.DataFrame:
    """Mean acute delayed days per year by delay reason, for each option of a sweep (or one run).

    Parameters
    ----------
    results : pandas.DataFrame
        One row per replication (and job) with ``observed_days`` and ``delayed_days_reason_<r>``
        columns: ``replications.parquet`` of a run or ``results.parquet`` of a sweep.
    option_columns : sequence of str
        The swept columns that name an option (e.g. ``["services.care_home_unit.capacity"]``);
        empty for a single run, which becomes one option labelled ``"this run"``.
    drop_empty : bool
        Leave out reasons with no delayed days under any option (e.g. ``calendar`` when every unit
        admits every day).

    Returns
    -------
    pandas.DataFrame
        Tidy, options in order of first appearance and reasons in :data:`REASONS` order:
        ``option`` (display label), the option columns, ``reason``, ``n`` (replications) and
        ``delayed_days_per_year`` (mean over replications of the reason's delayed days x
        365 / ``observed_days``). Per option the reasons sum to the mean ``delayed_days_per_year``.
    """
    present = [c.removeprefix("delayed_days_reason_") for c in results.columns
               if c.startswith("delayed_days_reason_")]
    if not present:
        raise KeyError("no delayed_days_reason_* columns in the results")
    reasons = [r for r in REASONS if r in present] + [r for r in present if r not in REASONS]
    columns = [f"delayed_days_reason_{r}" for r in reasons]
    per_year = results[columns].astype(float).mul(_DAYS_PER_YEAR / results["observed_days"], axis=0)
    option_columns = list(option_columns)
    if option_columns:
        groups = [(dict(zip(option_columns, key, strict=True)), frame.index)  # key: a tuple
                  for key, frame in results.groupby(option_columns, sort=False, dropna=False)]
    else:
        groups = [({}, results.index)]
    rows = []
    for values, index in groups:
        means = per_year.loc[index].mean()
        label = option_label(values) if values else THIS_RUN
        for reason, column in zip(reasons, columns, strict=True):
            rows.append({"option": label, **values, "reason": reason, "n": len(index),
                         "delayed_days_per_year": float(means[column])})
    table = pd.DataFrame(rows)
    if drop_empty:
        used = table.groupby("reason", sort=False)["delayed_days_per_year"].apply(
            lambda s: bool((s.abs() > 0).any()))
        table = table[table["reason"].map(used)].reset_index(drop=True)
    return table


def wait_distribution(patients: pd.DataFrame, warm_up_days: float = 0.0) -> pd.DataFrame:
    """Distribution of completed acute delays per pathway, pooled over replications.

    Parameters
    ----------
    patients : pandas.DataFrame
        ``patients.parquet`` of a run (``pathway``, ``nctr_day``, ``delayed_days``).
    warm_up_days : float
        Keep episodes that became NCTR on or after this day (the run's ``run.warm_up_days``).

    Returns
    -------
    pandas.DataFrame
        One row per pathway (P0-P3 in order, then ``all``): ``pathway``, ``n`` (completed delays),
        ``mean``, ``p05``, ``p25``, ``p50``, ``p75``, ``p95``, ``max`` of ``delayed_days`` in days;
        the percentiles feed a box plot (box 25th-75th, whiskers 5th-95th). Delays are followed
        through the run's cool-down; one still running when the simulation stopped counts with its
        length so far (``delay_censored``). Patients of a warm-start census are left out.
    """
    done = patients[patients["delayed_days"].notna() & patients["pathway"].notna()
                    & (patients["nctr_day"] >= warm_up_days)]
    if "origin" in done.columns:  # tables written before the origin column have no census rows
        done = done[done["origin"] != "census"]
    seen = [str(p) for p in pd.unique(done["pathway"])]
    order = [p for p in PATHWAY_ORDER if p in seen] + sorted(p for p in seen if p not in PATHWAY_ORDER)
    rows = []
    for pathway in [*order, "all"]:
        mine = done if pathway == "all" else done[done["pathway"] == pathway]
        values = mine["delayed_days"].to_numpy(dtype=float)
        row: dict[str, object] = {"pathway": pathway, "n": int(values.size)}
        if values.size:
            row["mean"] = float(values.mean())
            row.update({name: float(np.quantile(values, q)) for name, q in FAN_QUANTILES.items()})
            row["max"] = float(values.max())
        rows.append(row)
    columns = ["pathway", "n", "mean", *FAN_QUANTILES, "max"]
    return pd.DataFrame(rows).reindex(columns=columns)


def marginal_benefit_steps(comparison: pd.DataFrame, option: str, group: str | None = None,
                           avoided: str = "delayed_days_avoided_per_year") -> pd.DataFrame:
    """What each step up an option buys: delayed days avoided per added place, step by step.

    The difference between consecutive options (sorted by ``option``) of delayed days avoided per
    year, divided by the places added in that step. Both options are compared with the same
    baseline, so the difference does not depend on which baseline that is.

    Parameters
    ----------
    comparison : pandas.DataFrame
        From :func:`flowsim.experiment.compare.compare_to_baseline` (``comparison.csv``).
    option : str
        The swept column, e.g. ``services.care_home_unit.capacity``.
    group : str, optional
        A second swept column: steps are taken within each of its values.
    avoided : str
        The avoided-days column to difference.

    Returns
    -------
    pandas.DataFrame
        One row per step: ``group`` value (if any), ``option_from``, ``option_to``, ``step`` (label
        ``"a→b"``), ``added_places`` (all units), ``delayed_days_avoided_per_year`` (of the step),
        ``delayed_days_avoided_per_added_place`` (NaN where the step adds no place) and
        ``average_per_added_place`` (the option's average over the baseline, for contrast).
    """
    groups = [(None, comparison)] if group is None else list(comparison.groupby(group, sort=True))
    rows = []
    for value, table in groups:
        table = table.sort_values(option)
        places = table["added_capacity"].to_numpy(dtype=float)
        days = table[avoided].to_numpy(dtype=float)
        options = table[option].tolist()
        average = table["delayed_days_avoided_per_added_place"].to_numpy(dtype=float)
        for i in range(1, len(table)):
            added = places[i] - places[i - 1]
            step = days[i] - days[i - 1]
            rows.append({**({group: value} if group is not None else {}),
                         "option_from": options[i - 1], "option_to": options[i],
                         "step": f"{options[i - 1]}→{options[i]}",
                         "added_places": added,
                         "delayed_days_avoided_per_year": step,
                         "delayed_days_avoided_per_added_place": step / added if added else float("nan"),
                         "average_per_added_place": average[i]})
    return pd.DataFrame(rows)
