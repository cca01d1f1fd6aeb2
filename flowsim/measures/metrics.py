"""Per-run KPIs from the episode log.

Warm-up is a filter on the log, never a reset of state: the observation window is
``[warm_up_days, horizon_days)``. Two kinds of measure, as planners use them:

* **bed-day totals** (delayed days, occupied days, blocked days, costs) count the part of every stay
  that falls inside the window, whoever it belongs to, so they add up over time and match the census;
* **per-patient statistics** (mean and percentiles of the delay, waits) are over episodes that
  *became* NCTR (or asked for a place) inside the window. Their delays are followed past the horizon
  through the cool-down (``run.cool_down_days``), while patients keep arriving, so long delays near
  the end of the window are not dropped; a delay still running when the simulation stops counts with
  its length so far and is reported as censored (``delay_censored_n``). Patients of a warm-start census
  are not new episodes: they count in occupancy, bed-days and the census, not in episode, admission or
  waiting statistics.

The log is read through a :class:`~flowsim.measures.tally.Tally`: :func:`tally_episodes` adds any part
of a run's log (any rows, in any order), :func:`metrics_from_tally` gives the KPIs, and
:func:`compute_metrics` does both on the whole log of a run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from flowsim.measures.housing_metrics import (
    DELAY_REASON_ORDER,
    housing_from_tally,
    iter_delay_reasons,
    tally_community,
    tally_housing,
)
from flowsim.measures.intervals import count_at, overlap_days
from flowsim.measures.sitrep import seasonal_rise, sitrep_from_tally, tally_sitrep, winter_quantile
from flowsim.measures.tally import Tally
from flowsim.model.eventlog import CENSUS, FINAL_OUTCOMES, EpisodeTable
from flowsim.model.journey import RunResult
from flowsim.model.scenario import PATHWAYS, Scenario, UnitSpec
from flowsim.model.tariff import TieredTariff

__all__ = ["RunMetrics", "compute_metrics", "metrics_from_tally", "overlap_days", "tally_community_referrals",
           "tally_episodes"]

_PERCENTILES = (50, 90, 95)


@dataclass(frozen=True)
class RunMetrics:
    """KPIs of one replication: flat scalars, a per-unit table and daily series."""

    kpis: dict[str, float]
    units: list[dict[str, object]]
    census: dict[str, np.ndarray]


def _summary(values: np.ndarray, prefix: str, kpis: dict[str, float]) -> None:
    values = values[~np.isnan(values)]
    kpis[f"{prefix}_n"] = float(values.size)
    kpis[f"{prefix}_mean_days"] = float(values.mean()) if values.size else np.nan
    for q in _PERCENTILES:
        kpis[f"{prefix}_p{q}_days"] = (float(np.percentile(values, q)) if values.size
                                       else np.nan)


def _stays(log: EpisodeTable, unit: int) -> tuple[np.ndarray, ...]:
    """(request, admit, service end, leave, admitted) of every stay in ``unit``, first or onward.

    ``admitted`` is False for the first stay of a census patient who was already in the unit at the
    start: that stay counts in occupancy but is neither an admission nor a wait.
    """
    first = log["unit"] == unit
    onward = log["onward_unit"] == unit
    request = np.concatenate([log["unit_request_day"][first], log["service_end_day"][onward]])
    admit = np.concatenate([log["unit_admit_day"][first], log["onward_admit_day"][onward]])
    end = np.concatenate([log["service_end_day"][first], log["onward_leave_day"][onward]])
    leave = np.concatenate([log["unit_leave_day"][first], log["onward_leave_day"][onward]])
    admitted = np.concatenate([log["origin"][first] != CENSUS, np.ones(onward.sum(), dtype=bool)])
    return request, admit, end, leave, admitted


def _step_integral(steps: list[tuple[float, float]], w0: float, w1: float) -> float:
    """Integral over [w0, w1) of a step function: ``steps`` are (time, value from then on), sorted."""
    total = 0.0
    for i, (t, value) in enumerate(steps):
        until = steps[i + 1][0] if i + 1 < len(steps) else w1
        total += max(0.0, min(until, w1) - max(t, w0)) * value
    return total


def _scheduled(spec: UnitSpec) -> list[tuple[float, float]]:
    """Commissioned capacity over time (schedule only: closures and absence do not change the bill)."""
    return [(0.0, spec.capacity), *spec.availability.schedule]


def _block_cost(spec: UnitSpec, capacity_days: float, scenario: Scenario) -> float:
    """GBP of the block contract in the window: place-weeks at one rate, or a tiered tariff's."""
    tariff = spec.cost_per_bed_week
    if isinstance(tariff, TieredTariff):
        return tariff.block_cost_gbp(_scheduled(spec), scenario.warm_up_days, scenario.horizon_days,
                                     scenario.end_days)
    return capacity_days / 7.0 * tariff


def _weekend_premium(spec: UnitSpec) -> float:
    """Premium per place per week for the weekend days the unit admits on (Saturday 5, Sunday 6)."""
    weekend_days = len(spec.availability.admission_days & {5, 6})
    return spec.weekend_admission_premium_per_bed_week * weekend_days / 2.0


def _midnights(scenario: Scenario) -> np.ndarray:
    """The midnights of the window, days from the start: when the daily census is counted."""
    return np.arange(int(np.ceil(scenario.warm_up_days)), int(np.ceil(scenario.horizon_days)),
                     dtype=float)


def _tally_unit(spec: UnitSpec, log: EpisodeTable, index: int, w0: float, w1: float,
                midnights: np.ndarray, tally: Tally) -> None:
    key = f"unit/{spec.name}/"
    request, admit, end, leave, admitted = _stays(log, index)
    tally.add(key + "occupied_days", float(overlap_days(admit, leave, w0, w1).sum()))
    tally.add(key + "blocked_days", float(overlap_days(end, leave, w0, w1).sum()))
    in_window = admitted & (admit >= w0) & (admit < w1)
    waits = (admit - request)[in_window]
    tally.add(key + "admissions", float(in_window.sum()))
    tally.add(key + "wait_days", float(waits.sum()))
    tally.add(key + "wait_days/n", float(waits.size))
    tally.add(key + "waited", float((waits > 0).sum()))
    if spec.max_stay_days is not None:
        tally.add(key + "over_length_days",
                  float(overlap_days(admit + spec.max_stay_days, leave, w0, w1).sum()))
        ended = (leave >= w0) & (leave < w1)
        tally.add(key + "over_length_stays", float(((leave - admit)[ended] > spec.max_stay_days).sum()))
    tally.add(f"census/occupied_{spec.name}", count_at(midnights, admit, leave))


def _places_at(midnights: np.ndarray, capacity: int, changes: list[tuple[float, bool, int]] | None
               ) -> np.ndarray:
    """The places in force at each midnight: after a capacity schedule, seasonal factors and staff
    absence (``changes``, the run's record; None: the capacity always). A closure to admissions
    leaves the places in force: its patients stay."""
    if not changes:
        return np.full(midnights.size, capacity, dtype=np.int64)
    times = np.array([t for t, _, _ in changes], dtype=float)
    places = np.array([c for _, _, c in changes], dtype=np.int64)
    return places[np.searchsorted(times, midnights, side="right") - 1]  # the change at a midnight counts


def _unit_rows(scenario: Scenario, tally: Tally, availability: dict[str, list[tuple[float, bool, int]]],
               midnights: np.ndarray, census: dict[str, np.ndarray]) -> list[dict[str, object]]:
    w0, w1 = scenario.warm_up_days, scenario.horizon_days
    days = w1 - w0
    rows = []
    for spec in scenario.units:
        key = f"unit/{spec.name}/"
        occupied_days, blocked_days = tally.total(key + "occupied_days"), tally.total(key + "blocked_days")
        mean_occupied = occupied_days / days
        capacity_days = _step_integral(_scheduled(spec), w0, w1)
        changes = availability.get(spec.name)  # None: always open
        closed_days = (_step_integral([(t, 0.0 if is_open else 1.0) for t, is_open, _ in changes], w0, w1)
                       if changes else 0.0)
        over_days, over_stays = tally.total(key + "over_length_days"), tally.total(key + "over_length_stays")
        census[f"occupied_{spec.name}"] = tally.counts(f"census/occupied_{spec.name}", midnights.size)
        census[f"places_{spec.name}"] = _places_at(midnights, spec.capacity, changes)
        waits = tally.total(key + "wait_days/n")
        rows.append({
            "unit": spec.name,
            "pathways": "+".join(spec.pathways),
            "capacity": spec.capacity,
            "admissions": int(tally.total(key + "admissions")),
            "mean_occupied": mean_occupied,
            "utilisation": mean_occupied * days / capacity_days if capacity_days else np.nan,
            "mean_capacity": capacity_days / days,
            "closed_days": closed_days,
            "over_length_stays": over_stays,
            "over_length_days": over_days,
            "occupied_days": occupied_days,
            "blocked_days": blocked_days,
            "mean_wait_days": tally.mean(key + "wait_days"),
            "p_wait": tally.total(key + "waited") / waits if waits else np.nan,
            "cost_occupied": occupied_days * spec.cost_per_occupied_day,
            "cost_block": _block_cost(spec, capacity_days, scenario),
            "cost_weekend_premium": capacity_days / 7.0 * _weekend_premium(spec),
            "cost_over_length": over_days * spec.cost_per_over_length_day,
        })
    return rows


def _tally_acute(log: EpisodeTable, w0: float, w1: float, midnights: np.ndarray, tally: Tally) -> None:
    """Acute bed occupancy and admission waits (ED boarding), with the acute module on."""
    admitted, request, leave = log["admission_day"], log["admission_request_day"], log["acute_leave_day"]
    tally.add("acute/occupied_days", float(overlap_days(admitted, leave, w0, w1).sum()))
    tally.add("census/acute_beds_occupied", count_at(midnights, admitted, leave))
    in_window = (admitted >= w0) & (admitted < w1)
    boarding_hours = 24.0 * (admitted - request)[in_window]
    tally.add("acute/admissions", float(in_window.sum()))
    tally.add("acute/delayed", float((boarding_hours > 0).sum()))
    tally.add("acute/boarding_hours", float(boarding_hours.sum()))
    tally.add("acute/boarding_hours/n", float(boarding_hours.size))
    tally.keep("acute/boarding_hours", boarding_hours)
    tally.add("acute/boarding_at_end", float(((request < w1) & ~(admitted < w1)).sum()))


def _acute_kpis(scenario: Scenario, tally: Tally, midnights: np.ndarray, census: dict[str, np.ndarray],
                kpis: dict[str, float]) -> None:
    beds, days = scenario.acute.beds, scenario.horizon_days - scenario.warm_up_days
    census["acute_beds_occupied"] = tally.counts("census/acute_beds_occupied", midnights.size)
    kpis["acute_bed_occupancy"] = tally.total("acute/occupied_days") / (beds * days)
    kpis["acute_admissions"] = tally.total("acute/admissions")
    kpis["acute_admissions_delayed"] = tally.total("acute/delayed")
    kpis["ed_boarding_hours_total"] = tally.total("acute/boarding_hours")
    kpis["ed_boarding_hours_mean"] = tally.mean("acute/boarding_hours")
    hours = tally.values("acute/boarding_hours")
    kpis["ed_boarding_hours_p95"] = float(np.percentile(hours, 95)) if hours.size else np.nan
    kpis["ed_boarding_at_end"] = tally.total("acute/boarding_at_end")


def tally_episodes(scenario: Scenario, log: EpisodeTable, tally: Tally) -> None:
    """Add one part of a run's episode log to ``tally``: any rows, in any order, each row once.

    Parameters
    ----------
    scenario : Scenario
        The run's scenario (window, units, housing).
    log : EpisodeTable
        Some (or all) of the run's episodes.
    tally : Tally
        Updated in place; :func:`metrics_from_tally` turns it into KPIs.
    """
    w0, w1 = scenario.warm_up_days, scenario.horizon_days
    midnights = _midnights(scenario)
    nctr, leave, pathway = log["nctr_day"], log["acute_leave_day"], log["pathway"]
    delayed = overlap_days(nctr, leave, w0, w1)
    arrived = (nctr >= w0) & (nctr < w1) & (log["origin"] != CENSUS)
    # A delay still running when the simulation stopped counts with its length so far (censored).
    censored = arrived & np.isnan(leave)
    delay = np.where(censored, scenario.end_days - nctr, leave - nctr)
    tally.add("nctr_episodes", float(arrived.sum()))
    tally.add("delayed_days_total", float(delayed.sum()))
    tally.add("waiting_at_end", float(((nctr < w1) & ~(leave < w1)).sum()))
    tally.add("delay_censored_n", float(censored.sum()))
    tally.keep("delay", delay[arrived])
    tally.keep("delay/pathway", pathway[arrived])
    for code, name in enumerate(PATHWAYS):
        tally.add(f"delayed_days_total_{name}", float(delayed[pathway == code].sum()))
    del delayed, delay, censored, arrived
    for reason, values in iter_delay_reasons(log, w0, w1):
        tally.add(f"delayed_days_reason_{reason}", float(values.sum()))
    tally.add("census/nctr_census", count_at(midnights, nctr, leave))
    for code, name in enumerate(PATHWAYS):
        mine = pathway == code
        tally.add(f"census/nctr_census_{name}", count_at(midnights, nctr[mine], leave[mine]))
    for index, spec in enumerate(scenario.units):
        _tally_unit(spec, log, index, w0, w1, midnights, tally)
    ended = (log["end_day"] >= w0) & (log["end_day"] < w1)
    for code, name in enumerate(FINAL_OUTCOMES):
        tally.add(f"outcome_{name}", float((ended & (log["outcome"] == code)).sum()))
    tally.add("readmissions", float((ended & (log["readmitted"] == 1)).sum()))
    tally_housing(scenario, log, w0, w1, midnights, tally)
    tally_sitrep(scenario, log, w0, w1, tally)
    if scenario.acute.enabled:
        _tally_acute(log, w0, w1, midnights, tally)


def metrics_from_tally(scenario: Scenario, tally: Tally,
                       availability: dict[str, list[tuple[float, bool, int]]]) -> RunMetrics:
    """The KPIs of a run whose every episode was added to ``tally`` (:func:`tally_episodes`).

    ``availability`` is the run's record of unit closures (:attr:`RunResult.availability`).
    """
    w0, w1 = scenario.warm_up_days, scenario.horizon_days
    days = w1 - w0
    delayed_total = tally.total("delayed_days_total")
    kpis: dict[str, float] = {
        "observed_days": days,
        "nctr_episodes": tally.total("nctr_episodes"),
        "nctr_arrivals_per_day": tally.total("nctr_episodes") / days,
        "delayed_days_total": delayed_total,
        "delayed_days_per_year": delayed_total * 365.0 / days,
        "waiting_at_end": tally.total("waiting_at_end"),
        "delay_censored_n": tally.total("delay_censored_n"),
    }
    delay, delay_pathway = tally.values("delay"), tally.values("delay/pathway")
    _summary(delay, "delay", kpis)
    for code, name in enumerate(PATHWAYS):
        kpis[f"delayed_days_total_{name}"] = tally.total(f"delayed_days_total_{name}")
        _summary(delay[delay_pathway == code], f"delay_{name}", kpis)
    for reason in DELAY_REASON_ORDER:
        kpis[f"delayed_days_reason_{reason}"] = tally.total(f"delayed_days_reason_{reason}")

    midnights = _midnights(scenario)
    census = {
        "day": midnights,
        "date": np.array([scenario.start_date + dt.timedelta(days=int(d)) for d in midnights],
                         dtype="datetime64[D]"),
        "nctr_census": tally.counts("census/nctr_census", midnights.size),
    }
    for name in PATHWAYS:
        census[f"nctr_census_{name}"] = tally.counts(f"census/nctr_census_{name}", midnights.size)
    kpis["nctr_census_mean"] = delayed_total / days  # time-average (Little's L)
    kpis["nctr_census_midnight_mean"] = float(census["nctr_census"].mean())
    kpis["nctr_census_midnight_p95"] = float(np.percentile(census["nctr_census"], 95))

    units = _unit_rows(scenario, tally, availability, midnights, census)
    kpis["p2_blocked_bed_days"] = float(sum(u["blocked_days"] for u in units
                                            if "P2" in str(u["pathways"]).split("+")))
    for unit in units:
        for key in ("mean_occupied", "utilisation", "mean_wait_days", "blocked_days", "closed_days",
                    "over_length_stays"):
            kpis[f"unit_{unit['unit']}_{key}"] = float(unit[key])  # type: ignore[arg-type]

    for name in FINAL_OUTCOMES:
        kpis[f"outcome_{name}"] = tally.total(f"outcome_{name}")
    kpis["readmissions"] = tally.total("readmissions")

    housing_from_tally(scenario, tally, w0, w1, midnights, census, kpis)
    sitrep_from_tally(tally, w0, w1, kpis)
    kpis["nctr_census_winter_rise"] = seasonal_rise(census["date"], census["nctr_census"])
    kpis["nctr_census_winter_p95"] = winter_quantile(census["date"], census["nctr_census"], 0.95)
    if scenario.acute.enabled:
        _acute_kpis(scenario, tally, midnights, census, kpis)
    kpis["cost_delayed_days"] = kpis["delayed_days_total"] * scenario.acute_bed_day_cost
    kpis["cost_units"] = float(sum(u["cost_occupied"] + u["cost_block"] + u["cost_weekend_premium"]
                                   + u["cost_over_length"] for u in units))
    kpis["cost_services"] = kpis["cost_units"] + kpis["cost_housing"]
    kpis["cost_total"] = kpis["cost_delayed_days"] + kpis["cost_services"]
    return RunMetrics(kpis=kpis, units=units, census=census)


def compute_metrics(result: RunResult) -> RunMetrics:
    """KPIs of one replication after the warm-up filter.

    Parameters
    ----------
    result : RunResult
        Output of :func:`flowsim.model.journey.simulate`.

    Returns
    -------
    RunMetrics
        ``kpis`` (flat, JSON-ready), ``units`` (one dict per unit) and ``census`` (daily series at
        midnight: NCTR patients in acute beds, by pathway, and occupied places per unit).
    """
    tally = Tally()
    tally_episodes(result.scenario, result.episodes, tally)
    tally_community_referrals(result, tally)
    return metrics_from_tally(result.scenario, tally, result.availability)


def tally_community_referrals(result: RunResult, tally: Tally) -> None:
    """Add the run's community referrals, if it had any, to ``tally`` (they share coordinators and flats)."""
    if result.community is not None:
        tally_community(result.scenario, result.community, _midnights(result.scenario), tally)
