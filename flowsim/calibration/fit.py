"""Everything ``flowsim-calibrate fit`` estimates from one extract, in one object.

:func:`fit_extract` reads nothing and writes nothing: it takes a checked
:class:`~flowsim.calibration.extract.Extract` and returns an :class:`ExtractFit` with the arrival rate
and profiles (:mod:`~flowsim.calibration.arrivals_fit`), the shares
(:mod:`~flowsim.calibration.shares_fit`) and, per service unit, its length-of-stay fits
(:mod:`~flowsim.calibration.los_fit`), the pathways it served and its peak occupancy.

A unit's stays are its first stays and the onward care it gave (a P1 package after P2, a P3
placement, a further P2 bed): in the model both are drawn from the unit's one ``los_days``. Its
pathways are those of its first stays, and for onward care the pathway the after-P2 outcome leads to.
The peak number of patients in the unit at once (stays from start to leaving, open ones to the
extract date) is a lower bound on its capacity: patients already there when the extract's first
episode began are not in the file, and a unit may have had free places at its busiest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from flowsim.calibration.arrivals_fit import ArrivalFit, fit_arrivals
from flowsim.calibration.extract import Extract
from flowsim.calibration.los_fit import LosFit, fit_los
from flowsim.calibration.shares_fit import ShareFit, fit_after_p2, fit_pathway_shares, fit_readmission
from flowsim.model.bounds import MIN_CV

__all__ = ["MIN_COMPLETED_FOR_TWO_PARAMETERS", "ExtractFit", "UnitFit", "episode_notes", "fit_extract",
           "peak_occupancy"]

# With fewer completed stays, only the exponential (one parameter) is fitted.
MIN_COMPLETED_FOR_TWO_PARAMETERS = 5
_ONWARD_PATHWAY = {"home_p1": "P1", "p3": "P3", "p2": "P2"}


@dataclass(frozen=True)
class UnitFit:
    """One service unit as the extract shows it.

    Attributes
    ----------
    key, name : str
        Config key (``ic_beds``) and the name as written in the extract.
    pathways : tuple of str
        Pathways it served.
    fits : list of LosFit
        Length-of-stay fits, best AIC first (empty when no stay has ended).
    stays : pandas.DataFrame
        Its rows of :meth:`Extract.stays` (for plots).
    peak_occupancy : int
        Most patients in the unit at once.
    first_stays : int
        Stays that were the episode's first service (for the preference order).
    preference : int
        1 for the unit with most first stays among those serving its pathways, then 2, ...
    """

    key: str
    name: str
    pathways: tuple[str, ...]
    fits: list[LosFit]
    stays: pd.DataFrame
    peak_occupancy: int
    first_stays: int
    preference: int = 1

    @property
    def best(self) -> LosFit | None:
        """The best fit flowsim can use, or None."""
        return next((f for f in self.fits if not f.notes), None)

    @property
    def n(self) -> int:
        """Stays."""
        return len(self.stays)

    @property
    def n_open(self) -> int:
        """Stays still in service at the extract date."""
        return int(self.stays["censored"].sum())


@dataclass(frozen=True)
class ExtractFit:
    """The fit of one extract: what ``flowsim-calibrate fit`` writes and prints."""

    source: str
    synthetic: bool
    extract_date: dt.datetime
    episodes: int
    arrivals: ArrivalFit
    pathways: ShareFit
    after_p2: ShareFit
    readmission: ShareFit
    units: dict[str, UnitFit]
    zero_length_stays: int
    notes: tuple[str, ...] = ()

    @property
    def unserved_pathways(self) -> tuple[str, ...]:
        """Pathways the fitted system sends patients to (directly, or after P2) with no unit in the extract.

        After P2, patients go on to P1 or P3 by the fitted after-P2 shares, or (none fitted) by the
        default system's, which send some to both.
        """
        shares = {k: e.value for k, e in self.pathways.shares.items()}
        needed = {p for p in ("P1", "P2", "P3") if shares.get(p, 0.0) > 0}
        if "P2" in needed:
            after = {k: e.value for k, e in self.after_p2.shares.items()} or {"home_p1": 1.0, "p3": 1.0}
            needed |= {p for p, outcome in (("P1", "home_p1"), ("P3", "p3")) if after.get(outcome, 0.0) > 0}
        served = {p for unit in self.units.values() for p in unit.pathways}
        return tuple(sorted(needed - served))


def peak_occupancy(stays: pd.DataFrame, extract_date: dt.datetime) -> int:
    """Most stays in progress at once; a stay occupies from ``start`` to ``leave`` (open: the extract date).

    At equal times, leaving counts before arriving (a place freed and refilled at once).
    """
    if stays.empty:
        return 0
    leave = stays["leave"].fillna(pd.Timestamp(extract_date)).to_numpy("datetime64[ns]")
    start = stays["start"].to_numpy("datetime64[ns]")
    times = np.concatenate([leave, start])
    steps = np.concatenate([-np.ones(leave.size, int), np.ones(start.size, int)])
    order = np.lexsort((steps, times))  # by time, then -1 before +1
    return int(np.max(np.cumsum(steps[order])))


def _pathways(stays: pd.DataFrame, after_p2: pd.Series) -> tuple[str, ...]:
    first = set(stays.loc[stays["stage"] == "first", "pathway"])
    lines = stays.loc[stays["stage"] == "onward", "line"]
    onward = {_ONWARD_PATHWAY.get(after_p2.get(line)) for line in lines}
    found = first | (onward - {None})
    return tuple(sorted(found)) if found else ("P1",)


def _preferences(units: dict[str, UnitFit]) -> dict[str, int]:
    """Per pathway, units ranked by first stays (most first); a unit takes its best rank."""
    rank: dict[str, int] = {}
    for pathway in ("P1", "P2", "P3"):
        serving = sorted((u for u in units.values() if pathway in u.pathways),
                         key=lambda u: (-u.first_stays, u.key))
        for position, unit in enumerate(serving, 1):
            rank[unit.key] = min(rank.get(unit.key, position), position)
    return rank


def _lines(lines: pd.Series) -> str:
    shown = ", ".join(str(int(n)) for n in lines.iloc[:3])
    return f"line{'s' if len(lines) > 1 else ''} {shown}{', ...' if len(lines) > 3 else ''}"


def episode_notes(episodes: pd.DataFrame) -> list[str]:
    """Notes on episodes the model cannot follow as recorded (the fit goes on; the planner should know).

    flowsim's patients go from the acute bed straight into their unit, and every P1-P3 patient has one.
    So a unit stay that starts days after the acute discharge (a wait at home, or a date mistyped) and a
    P1-P3 episode that left the acute bed with no unit are counted in the shares and acute delays, but
    the time between, or the stay, is in no unit's fit.
    """
    notes = []
    left = episodes["acute_discharge_datetime"].notna()
    served = episodes["pathway"].isin(("P1", "P2", "P3"))
    no_unit = episodes[left & served & episodes["unit"].isna()]
    if len(no_unit):
        notes.append(f"{len(no_unit):,} P1-P3 episode(s) left the acute bed with no unit stay "
                     f"({_lines(no_unit['line'])}): counted in the pathway shares and acute delays, in no "
                     "unit's length of stay or occupancy; give their unit if they had one")
    gap_days = (episodes["unit_start_datetime"] - episodes["acute_discharge_datetime"]) / pd.Timedelta(days=1)
    late = gap_days > 1.0
    if late.any():
        notes.append(f"{int(late.sum()):,} unit stay(s) started over a day after the acute discharge (median "
                     f"{float(gap_days[late].median()):.1f} days; {_lines(episodes.loc[late, 'line'])}): "
                     "flowsim's patients go straight from the acute bed to the unit, so that time is in "
                     "neither the acute delay nor the unit's stay; check the dates")
    return notes


def fit_extract(extract: Extract) -> ExtractFit:
    """Fit arrivals, shares and every unit's length of stay from a checked extract.

    Returns
    -------
    ExtractFit
    """
    stays = extract.stays()
    after_p2 = pd.Series(extract.episodes["after_p2"].to_numpy(), index=extract.episodes["line"].to_numpy())
    units = {}
    notes = []
    for key, group in stays.groupby("unit", sort=True):
        completed = int((~group["censored"]).sum())
        families = ("exponential", "gamma", "lognormal", "weibull")
        if completed < MIN_COMPLETED_FOR_TWO_PARAMETERS:
            families = ("exponential",)
            notes.append(f"{key}: {completed} completed stay(s), too few for a two-parameter fit; "
                         + ("exponential only" if completed else "length of stay not fitted"))
        los, censored = group["los_days"].to_numpy(), group["censored"].to_numpy()
        done = los[~censored]
        if done.size >= 2 and done.std() <= MIN_CV * done.mean():
            notes.append(f"{key}: its {done.size} completed stays all last {done.mean():.1f} days, too alike "
                         "for a spread to be fitted (of the four families only the exponential is within "
                         "flowsim's limits, with their mean); if the length is fixed, set its los_days to "
                         f"{{kind: fixed, value: {done.mean():.4g}}} in the system file")
        units[key] = UnitFit(key=key, name=extract.unit_names.get(key, key),
                             pathways=_pathways(group, after_p2),
                             fits=fit_los(los, censored, families) if completed else [],
                             stays=group.reset_index(drop=True),
                             peak_occupancy=peak_occupancy(group, extract.extract_date),
                             first_stays=int((group["stage"] == "first").sum()))
    ranks = _preferences(units)
    units = {k: replace(u, preference=ranks.get(k, 1)) for k, u in units.items()}
    arrivals = fit_arrivals(extract)
    fit = ExtractFit(source=extract.source, synthetic=extract.synthetic, extract_date=extract.extract_date,
                      episodes=len(extract.episodes), arrivals=arrivals,
                      pathways=fit_pathway_shares(extract), after_p2=fit_after_p2(extract),
                      readmission=fit_readmission(extract), units=units,
                      zero_length_stays=int(stays["zero_length"].sum()),
                      notes=(*arrivals.notes, *episode_notes(extract.episodes), *notes))
    if fit.unserved_pathways:
        missing = ", ".join(fit.unserved_pathways)
        fit = replace(fit, notes=(*fit.notes, f"patients go to {missing} but no {missing} unit has a stay in "
                                  "the extract: the default system's units for it are kept"))
    return fit
