"""Measures as NHS England's discharge SitRep reports them, so a run can be set beside the returns.

The acute discharge SitRep counts, each day, the patients who no longer meet the criteria to reside
(NCTR) and how many of them leave that day; a weekly snapshot gives the main reason each long-staying
NCTR patient is still in hospital (awaiting P1, P2, P3, equipment/adaptations/housing, homeless, or
another reason). flowsim's counterparts:

* ``same_day_share``: share of the window's new NCTR episodes that leave the acute bed on the calendar
  day they became NCTR (a delay still running at the end of the run counts as not the same day);
* ``nctr_census_7plus_mean``: time-average number of NCTR patients who have waited 7 days or more, and
  ``nctr_census_7plus_share_<reason>``: the share of them by the reason holding them at that moment:
  ``admin`` (P0, the SitRep's other reasons), ``P1``, ``P2``, ``P3``, ``housing`` (repairs,
  adaptations, clearance, rehousing), ``homeless`` (barrier types whose name starts with
  ``homeless``) and ``calendar`` (a free place in a unit closed to admissions). The SitRep's reasons are
  for patients in hospital 14 days or more; with about a week in hospital before NCTR, a wait of 7
  days is the nearest flowsim has (flowsim does not model the stay before NCTR, except with the acute
  bed pool).
* :func:`winter_quantile`: a quantile of the midnight census over the winter's days (December-February),
  for targets such as "NCTR census at most X on 95 % of winter days" (``nctr_census_winter_p95``);
* :func:`seasonal_rise`: the mean midnight census of January-February over that of July-August, minus
  one (the SitRep's winter rise: 2023 about +17 %).
"""

from __future__ import annotations

import numpy as np

from flowsim.measures.housing_metrics import DELAY_REASON_ORDER, iter_delay_reasons
from flowsim.measures.tally import Tally
from flowsim.model.eventlog import CENSUS, EpisodeTable
from flowsim.model.scenario import Scenario

__all__ = ["LONG_DELAY_DAYS", "SITREP_REASONS", "WINTER_DAYS", "seasonal_rise", "sitrep_from_tally",
           "sitrep_kpis", "tally_sitrep", "winter_quantile"]

LONG_DELAY_DAYS = 7.0
SITREP_REASONS = ("admin", "P1", "P2", "P3", "housing", "homeless", "calendar")
WINTER = (1, 2)  # January-February: the SitRep's peak months
SUMMER = (7, 8)  # July-August: its trough
WINTER_DAYS = (12, 1, 2)  # December-February: the winter a surge is bought for


def _homeless_types(scenario: Scenario) -> np.ndarray:
    return np.array([code for code, name in enumerate(scenario.housing.type_names)
                     if name.lower().startswith("homeless")], dtype=np.int64)


def sitrep_kpis(scenario: Scenario, log: EpisodeTable, w0: float, w1: float,
                kpis: dict[str, float]) -> None:
    """Add the same-day share and the long-delay reason mix over the window [w0, w1) to ``kpis``.

    Parameters
    ----------
    scenario : Scenario
        The run's scenario (for the names of the housing barrier types).
    log : EpisodeTable
        The run's episode log.
    w0, w1 : float
        The observation window, days from the start.
    kpis : dict
        Updated in place.
    """
    tally = Tally()
    tally_sitrep(scenario, log, w0, w1, tally)
    sitrep_from_tally(tally, w0, w1, kpis)


def tally_sitrep(scenario: Scenario, log: EpisodeTable, w0: float, w1: float, tally: Tally) -> None:
    """Add one part of a run's log to the SitRep totals of ``tally`` (see :func:`sitrep_from_tally`)."""
    nctr, leave = log["nctr_day"], log["acute_leave_day"]
    new = (nctr >= w0) & (nctr < w1) & (log["origin"] != CENSUS)
    same_day = new & ~np.isnan(leave) & (np.floor(leave) == np.floor(nctr))
    tally.add("sitrep/new", float(new.sum()))
    tally.add("sitrep/same_day", float(same_day.sum()))
    del new, same_day
    homeless = np.isin(log["barrier"], _homeless_types(scenario))
    for reason, values in iter_delay_reasons(log, w0, w1, after_days=LONG_DELAY_DAYS):
        if reason == "housing":  # homelessness is the SitRep's own reason
            tally.add("sitrep/7plus_days_housing", float(np.where(homeless, 0.0, values).sum()))
            tally.add("sitrep/7plus_days_homeless", float(np.where(homeless, values, 0.0).sum()))
        else:
            tally.add(f"sitrep/7plus_days_{reason}", float(values.sum()))


def sitrep_from_tally(tally: Tally, w0: float, w1: float, kpis: dict[str, float]) -> None:
    """Add the same-day share and the long-delay reason mix to ``kpis``, from ``tally``."""
    new = tally.total("sitrep/new")
    kpis["same_day_share"] = tally.total("sitrep/same_day") / new if new else np.nan
    # summed in the order the reasons come, then housing and homeless (the order of earlier releases)
    order = [r for r in DELAY_REASON_ORDER if r != "housing"] + ["housing", "homeless"]
    days_by_reason = {reason: tally.total(f"sitrep/7plus_days_{reason}") for reason in order}
    total = sum(days_by_reason.values())
    kpis["nctr_census_7plus_mean"] = total / (w1 - w0)
    for reason in SITREP_REASONS:
        kpis[f"nctr_census_7plus_share_{reason}"] = days_by_reason[reason] / total if total else np.nan


def seasonal_rise(dates: np.ndarray, census: np.ndarray) -> float:
    """Mean midnight census of January-February over July-August, minus one (NaN without both).

    Parameters
    ----------
    dates : numpy.ndarray
        Dates of the midnights (``datetime64``).
    census : numpy.ndarray
        The count at each midnight.

    Returns
    -------
    float
        The winter rise as a fraction (0.17 = 17 % higher in January-February than in July-August).
    """
    months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    winter = np.isin(months, WINTER)
    summer = np.isin(months, SUMMER)
    if not winter.any() or not summer.any() or not np.mean(census[summer]) > 0:
        return float("nan")
    return float(np.mean(census[winter]) / np.mean(census[summer]) - 1.0)


def winter_quantile(dates: np.ndarray, census: np.ndarray, quantile: float) -> float:
    """A quantile of the midnight census over the December-February midnights (NaN without any).

    Parameters
    ----------
    dates : numpy.ndarray
        Dates of the midnights (``datetime64``).
    census : numpy.ndarray
        The count at each midnight.
    quantile : float
        In [0, 1]; 0.95 gives the level the census stays at or under on 95 % of winter days.
    """
    months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    winter = np.isin(months, WINTER_DAYS)
    if not winter.any():
        return float("nan")
    return float(np.quantile(census[winter], quantile))
