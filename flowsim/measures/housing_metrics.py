"""Housing KPIs from the episode log: delayed days by reason, fixes, coordinators and flats."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from flowsim.measures.intervals import count_at
from flowsim.measures.intervals import overlap_days as _overlap
from flowsim.measures.tally import Tally
from flowsim.model.eventlog import FIX_ROUTES, EpisodeTable
from flowsim.model.housing import HousingSpec
from flowsim.model.scenario import Scenario

__all__ = ["DELAY_REASON_ORDER", "REASONS", "delay_reasons", "housing_from_tally", "housing_kpis",
           "iter_delay_reasons", "tally_community", "tally_housing"]

REASONS = ("admin", "P1", "P2", "P3", "housing", "calendar")
# The order in which :func:`iter_delay_reasons` gives them (and the KPIs list them)
DELAY_REASON_ORDER = ("housing", "calendar", "admin", "P1", "P2", "P3")
_P0, _P1, _P2 = 0, 1, 2
_AFTER_HOME, _AFTER_HOME_P1 = 0, 1
_DAYS_PER_WEEK = 7.0
_DAYS_PER_YEAR = 365.0
_CLOCK_DAYS = 1e-9  # the simulation clock's rounding, in days (well under a second)


def delay_reasons(log: EpisodeTable, w0: float, w1: float, after_days: float = 0.0
                  ) -> dict[str, np.ndarray]:
    """Each episode's acute delayed days in the window, split by reason.

    A P0 or P1 patient with a housing barrier waits for *housing* from NCTR until the fix is done (or
    until they move to a step-down flat). A patient whose place stood free while the unit was closed
    to admissions waits for the *calendar* for that time. The rest of a wait has the pathway's reason
    (P0: *admin*). With ``after_days`` only the part of each wait beyond that many days from NCTR
    counts (the SitRep's long delays: what holds patients who have waited a week, say).
    """
    return dict(iter_delay_reasons(log, w0, w1, after_days))


def iter_delay_reasons(log: EpisodeTable, w0: float, w1: float, after_days: float = 0.0
                       ) -> Iterator[tuple[str, np.ndarray]]:
    """:func:`delay_reasons` one reason at a time, in the order of its keys.

    Memory holds a few columns' worth however many reasons: use each array before asking for the
    next (they are not changed afterwards).
    """
    nctr, leave, pathway = log["nctr_day"], log["acute_leave_day"], log["pathway"]
    late = nctr + after_days
    total = _overlap(late, leave, w0, w1)
    blocked = (log["barrier"] >= 0) & (pathway <= _P1)
    housing_end = np.where(np.isnan(leave), np.inf, leave)
    fix_end = np.where(np.isnan(log["fix_done_day"]), np.inf, log["fix_done_day"])
    # (a patient who moved to a flat left acute before the fix was done: the earlier of the two ends)
    np.minimum(fix_end, housing_end, out=housing_end)
    del fix_end
    housing = np.where(blocked, _overlap(late, housing_end, w0, w1), 0.0)
    del housing_end, blocked
    yield "housing", housing
    # Closed to admissions: the last part of the acute wait, when a place stood free in a unit that
    # was outside its admission calendar (or closed by an outbreak).
    admit = log["unit_admit_day"]
    from_acute = (admit == leave) & ~np.isnan(log["unit_closed_wait_days"])
    closed = log["unit_closed_wait_days"]
    calendar = np.where(from_acute, _overlap(np.maximum(admit - closed, late), admit, w0, w1), 0.0)
    del from_acute, late
    yield "calendar", calendar
    rest = np.subtract(total, housing, out=total)  # total - housing - calendar, in place
    del housing
    np.subtract(rest, calendar, out=rest)
    del calendar
    for code, name in enumerate(DELAY_REASON_ORDER[2:]):  # P0 (admin), P1, P2, P3
        yield name, np.where(pathway == code, rest, 0.0)


def housing_kpis(scenario: Scenario, log: EpisodeTable, w0: float, w1: float,
                 midnights: np.ndarray, census: dict[str, np.ndarray], kpis: dict[str, float]) -> None:
    """Add housing KPIs and daily series to ``kpis`` and ``census`` (in place), from a whole log."""
    tally = Tally()
    tally_housing(scenario, log, w0, w1, midnights, tally)
    housing_from_tally(scenario, tally, w0, w1, midnights, census, kpis)


def tally_housing(scenario: Scenario, log: EpisodeTable, w0: float, w1: float, midnights: np.ndarray,
                  tally: Tally) -> None:
    """Add one part of a run's log to the housing totals of ``tally`` (see :func:`housing_from_tally`)."""
    spec = scenario.housing
    nctr = log["nctr_day"]
    arrived = (nctr >= w0) & (nctr < w1)
    barrier = log["barrier"]
    tally.add("housing/barriers", float((arrived & (barrier >= 0)).sum()))
    for code, kind in enumerate(spec.types):
        tally.add(f"housing/barriers_{kind.name}", float((arrived & (barrier == code)).sum()))

    start, done, referred = log["fix_start_day"], log["fix_done_day"], log["fix_referred_day"]
    route = log["fix_route"]
    finished = (done >= w0) & (done < w1)
    for code, name in enumerate(FIX_ROUTES):
        mine = finished & (route == code)
        tally.add(f"housing/fixes_{name}", float(mine.sum()))
        _add_mean(tally, f"housing/fix_days_{name}", (done - start)[mine])
        for type_code, kind in enumerate(spec.types):
            _add_mean(tally, f"housing/fix_days_{kind.name}_{name}",
                      (done - start)[mine & (barrier == type_code)])
    _add_mean(tally, "housing/wait_days", (done - nctr)[finished])

    _tally_caseload(log, w0, w1, midnights, tally)
    coordinated = route == 1
    _add_mean(tally, "housing/coordinator_wait_days",
              (start - referred)[coordinated & (start >= w0) & (start < w1)])
    _tally_flats(spec, log, w0, w1, midnights, tally)

    pathway, after = log["pathway"], log["after_p2"]
    p2_home = (pathway == _P2) & (barrier >= 0) & ((after == _AFTER_HOME) | (after == _AFTER_HOME_P1))
    end = log["service_end_day"]
    blocked_until = np.fmin(done, log["unit_leave_day"])
    tally.add("housing/p2_blocked_days", float(_overlap(end[p2_home], blocked_until[p2_home], w0, w1).sum()))


def tally_community(scenario: Scenario, table: Mapping[str, np.ndarray], midnights: np.ndarray,
                    tally: Tally) -> None:
    """Add a run's community referrals (:mod:`flowsim.model.community`) to ``tally``.

    They take coordinators' caseload places and flats, so they count in the caseload and the flats'
    occupancy and stays; their own counts and waits are kept apart from hospital patients'.
    """
    w0, w1 = scenario.warm_up_days, scenario.horizon_days
    _tally_caseload(table, w0, w1, midnights, tally)
    _tally_flats(scenario.housing, table, w0, w1, midnights, tally)
    referred, start = table["fix_referred_day"], table["fix_start_day"]
    tally.add("community/referrals", float(((referred >= w0) & (referred < w1)).sum()))
    _add_mean(tally, "community/coordinator_wait_days", (start - referred)[(start >= w0) & (start < w1)])
    admit = table["flat_admit_day"]
    tally.add("community/flat_stays", float(((admit >= w0) & (admit < w1)).sum()))


def _tally_caseload(log: Mapping[str, np.ndarray], w0: float, w1: float, midnights: np.ndarray,
                    tally: Tally) -> None:
    """Coordinators' caseload (a case is held from the start of its fix until it is closed, after any
    follow-up) and the queue for a coordinator."""
    start, closed, referred = log["fix_start_day"], log["case_closed_day"], log["fix_referred_day"]
    coordinated = log["fix_route"] == 1
    tally.add("housing/caseload_days",
              float(_overlap(start[coordinated], closed[coordinated], w0, w1).sum()))
    tally.add("census/coordinator_caseload", count_at(midnights, start[coordinated], closed[coordinated]))
    # Referrals waiting for a coordinator, from referral to the start of the fix; a referral still waiting
    # when the run stops has no start (nor route) yet. Uncoordinated fixes start at referral: no wait.
    tally.add("housing/queue_days", float(_overlap(referred, start, w0, w1).sum()))


def _tally_flats(spec: HousingSpec, log: Mapping[str, np.ndarray], w0: float, w1: float,
                 midnights: np.ndarray, tally: Tally) -> None:
    for code, scheme in enumerate(spec.flats):
        key = f"flat/{scheme.name}/"
        mine = log["flat"] == code
        admit, leave = log["flat_admit_day"][mine], log["flat_leave_day"][mine]
        tally.add(key + "occupied_days", float(_overlap(admit, leave, w0, w1).sum()))
        tally.add(f"census/flat_occupied_{scheme.name}", count_at(midnights, admit, leave))
        ended = (leave >= w0) & (leave < w1)
        stay = (leave - admit)[ended]
        over_days = _overlap(admit + scheme.max_stay_days, leave, w0, w1)
        tally.add(key + "over_length_days", float(over_days.sum()))
        tally.add(key + "stays", float(ended.sum()))
        _add_mean(tally, key + "stay_days", stay)
        # a stay cut at an enforced maximum ends at admit + max on the clock, a rounding error from it
        tally.add(key + "over_length_stays", float((stay > scheme.max_stay_days + _CLOCK_DAYS).sum()))
        for column in ("flat_slot", "flat_admit_day", "flat_leave_day"):  # for the voids between stays
            tally.keep(key + column, log[column][mine])


def _add_mean(tally: Tally, key: str, values: np.ndarray) -> None:
    tally.add(key, float(values.sum()))
    tally.add(f"{key}/n", float(values.size))


def housing_from_tally(scenario: Scenario, tally: Tally, w0: float, w1: float, midnights: np.ndarray,
                       census: dict[str, np.ndarray], kpis: dict[str, float]) -> None:
    """Add housing KPIs and daily series to ``kpis`` and ``census`` (in place), from ``tally``."""
    days = w1 - w0
    spec = scenario.housing
    kpis["barriers"] = tally.total("housing/barriers")
    for kind in spec.types:
        kpis[f"barriers_{kind.name}"] = tally.total(f"housing/barriers_{kind.name}")
    for name in FIX_ROUTES:
        kpis[f"fixes_{name}"] = tally.total(f"housing/fixes_{name}")
        kpis[f"fix_days_{name}_mean"] = tally.mean(f"housing/fix_days_{name}")
        for kind in spec.types:
            kpis[f"fix_days_{kind.name}_{name}_mean"] = tally.mean(f"housing/fix_days_{kind.name}_{name}")
    kpis["housing_wait_days_mean"] = tally.mean("housing/wait_days")

    capacity = spec.caseload_capacity
    caseload = tally.total("housing/caseload_days") / days
    census["coordinator_caseload"] = tally.counts("census/coordinator_caseload", midnights.size)
    kpis["coordinator_caseload_mean"] = caseload
    kpis["coordinator_utilisation"] = caseload / capacity if capacity else np.nan
    kpis["coordinator_queue_mean"] = tally.total("housing/queue_days") / days
    kpis["coordinator_wait_days_mean"] = tally.mean("housing/coordinator_wait_days")
    if spec.community.rate_per_day > 0:
        kpis["community_referrals"] = tally.total("community/referrals")
        kpis["community_coordinator_wait_days_mean"] = tally.mean("community/coordinator_wait_days")
        kpis["community_flat_stays"] = tally.total("community/flat_stays")

    flat_cost = over_days_total = 0.0
    for scheme in spec.flats:
        key = f"flat/{scheme.name}/"
        occupied = tally.total(key + "occupied_days") / days
        census[f"flat_occupied_{scheme.name}"] = tally.counts(f"census/flat_occupied_{scheme.name}",
                                                              midnights.size)
        over_days = tally.total(key + "over_length_days")
        kpis[f"flat_{scheme.name}_occupancy"] = occupied / scheme.capacity if scheme.capacity else np.nan
        kpis[f"flat_{scheme.name}_stays"] = tally.total(key + "stays")
        kpis[f"flat_{scheme.name}_stay_days_mean"] = tally.mean(key + "stay_days")
        kpis[f"flat_{scheme.name}_over_length_stays"] = tally.total(key + "over_length_stays")
        kpis[f"flat_{scheme.name}_turnaround_days_mean"] = _mean_void(
            *(tally.values(key + column) for column in ("flat_slot", "flat_admit_day", "flat_leave_day")),
            w0, w1)
        over_days_total += over_days
        flat_cost += (scheme.capacity * days / _DAYS_PER_WEEK * scheme.cost_per_flat_week
                      + over_days * scheme.cost_per_over_length_day)
    kpis["flat_over_length_days"] = float(over_days_total)
    kpis["cost_flats"] = float(flat_cost)
    kpis["cost_coordinators"] = spec.coordinator_fte * spec.cost_per_fte_year * days / _DAYS_PER_YEAR
    kpis["cost_housing"] = kpis["cost_flats"] + kpis["cost_coordinators"]
    kpis["p2_blocked_by_housing_days"] = tally.total("housing/p2_blocked_days")


def _mean_void(slots: np.ndarray, admit: np.ndarray, leave: np.ndarray, w0: float, w1: float) -> float:
    """Mean gap between an occupant leaving a flat and the next moving in (same flat), in window."""
    gaps = []
    for slot in np.unique(slots):
        order = np.argsort(admit[slots == slot])
        a, lv = admit[slots == slot][order], leave[slots == slot][order]
        gap = a[1:] - lv[:-1]
        gaps.append(gap[(a[1:] >= w0) & (a[1:] < w1)])
    values = np.concatenate(gaps) if gaps else np.array([])
    return float(values.mean()) if values.size else np.nan
