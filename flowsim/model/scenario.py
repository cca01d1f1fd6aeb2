"""A validated, frozen description of one simulated system: the only input the model sees.

:func:`build_scenario` checks every value of a composed configuration and fails on the first problem
with a :class:`~flowsim.model.errors.ConfigError` naming the field and the fix, before anything runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from flowsim.model.acute import ACUTE_OFF, AcuteSpec, acute_from_config
from flowsim.model.arrivals import daily_rates_from_csv, daily_rates_from_profile, hour_cdf
from flowsim.model.bounds import (
    FIRST_START_DATE,
    LAST_START_DATE,
    MAX_COOL_DOWN_DAYS,
    MAX_HORIZON_DAYS,
    MAX_MULTIPLIER,
    MAX_N_JOBS,
    MAX_RATE_PER_DAY,
    MAX_REPLICATIONS,
    MAX_SEED,
)
from flowsim.model.census import InitialCensus, census_from_file, check_census_fits
from flowsim.model.cost_basis import CostBasis, acute_bed_day_basis, bed_day_bases
from flowsim.model.distribution_config import distribution_from_config
from flowsim.model.distributions import Distribution
from flowsim.model.errors import ConfigError
from flowsim.model.housing import OFF, HousingSpec, housing_from_config
from flowsim.model.strict import check_keys, use_one_of
from flowsim.model.unit_spec import SERVICE_PATHWAYS, UnitSpec, check_served, units_from_config
from flowsim.model.validate import date_value, real_number, required, whole_number

__all__ = [
    "AFTER_P2_OUTCOMES",
    "PATHWAYS",
    "SERVICE_PATHWAYS",
    "Scenario",
    "UnitSpec",
    "build_scenario",
]

PATHWAYS = ("P0", "P1", "P2", "P3")
# Where a P2 stay ends: home, home with a P1 package, a further P2 stay (continued in the same bed),
# a P3 placement, back to acute (readmission), death.
AFTER_P2_OUTCOMES = ("home", "home_p1", "p2", "p3", "readmission", "death")
_SHARE_TOLERANCE = 1e-6

_U_MAX = 1.0 - 1e-12  # the largest uniform a quantile is asked for: ppf(1) is inf for unbounded kinds

@dataclass(frozen=True)
class Scenario:
    """Everything one run needs, validated. Times are in days from ``start_date``."""

    seed: int
    replications: int
    n_jobs: int
    start_date: dt.date
    horizon_days: float  # end of the observation window
    warm_up_days: float
    arrival_rates_per_day: np.ndarray  # one rate per simulated day (cool-down included), read-only
    pathway_shares: tuple[float, ...]  # aligned with PATHWAYS
    p0_admin_delay: Distribution
    units: tuple[UnitSpec, ...]
    after_p2_shares: tuple[float, ...]  # aligned with AFTER_P2_OUTCOMES
    readmission_probability: tuple[float, ...]  # aligned with PATHWAYS
    time_to_readmission: Distribution
    readmission_clinical_los: Distribution
    acute_bed_day_cost: float  # GBP per delayed bed day: acute_bed_day_basis.per_day_gbp
    housing: HousingSpec = OFF
    initial_census: InitialCensus = field(default_factory=InitialCensus)
    acute: AcuteSpec = ACUTE_OFF
    cool_down_days: float = 0.0  # simulated after the horizon to follow delays still running there
    # Per pathway (aligned with PATHWAYS; None for P0 and for none): NCTR to being able to take a place
    arrangement: tuple[Distribution | None, ...] = (None, None, None, None)
    # With this probability a P0 patient is held for other reasons, for p0_other_delay instead
    p0_other_probability: float = 0.0
    p0_other_delay: Distribution | None = None
    arrival_hour_cdf: tuple[float, ...] | None = None  # None: arrivals uniform over the day
    # Per simulated day: the factor on arrangement delays of patients becoming NCTR that day (None: 1)
    arrangement_factor_by_day: np.ndarray | None = None
    acute_bed_day_basis: CostBasis | None = None  # None: acute_bed_day_cost given directly (custom)
    bed_day_bases: tuple[CostBasis, ...] = ()  # every basis listed in costs.bed_day_bases

    def p0_delay_days(self, u: Any) -> Any:
        """Days a P0 patient stays in acute for uniform(s) ``u``: the admin delay, or another reason's.

        One uniform decides both which and how long (u below 1 - p: the admin delay's quantile at
        u / (1 - p); above: the other delay's at (u - (1 - p)) / p), so each keeps its own law.
        """
        p = self.p0_other_probability
        if p == 0.0 or self.p0_other_delay is None:
            return self.p0_admin_delay.ppf(u)
        if isinstance(u, float):  # one patient (the event loop): the same numbers without array work
            if u >= 1.0 - p:
                return float(self.p0_other_delay.ppf(min(max((u - (1.0 - p)) / p, 0.0), _U_MAX)))
            return float(self.p0_admin_delay.ppf(min(u / (1.0 - p), _U_MAX)))
        u = np.asarray(u, dtype=float)
        other = u >= 1.0 - p
        admin = self.p0_admin_delay.ppf(np.minimum(u / (1.0 - p), _U_MAX))
        held = self.p0_other_delay.ppf(np.clip((u - (1.0 - p)) / p, 0.0, _U_MAX))
        days = np.where(other, held, admin)
        return float(days) if days.ndim == 0 else days

    @property
    def observed_days(self) -> float:
        """Length of the observation window after warm-up."""
        return self.horizon_days - self.warm_up_days

    @property
    def end_days(self) -> float:
        """When the simulation stops: the horizon plus the cool-down."""
        return self.horizon_days + self.cool_down_days

    @property
    def readmissions_per_episode(self) -> float:
        """Expected readmissions an NCTR episode leads to (at most one each)."""
        return _readmission_share(self.pathway_shares, self.after_p2_shares, self.readmission_probability)

    def unit(self, name: str) -> UnitSpec:
        """The unit called ``name``."""
        for unit in self.units:
            if unit.name == name:
                return unit
        raise KeyError(name)

    def units_for(self, pathway: str) -> tuple[UnitSpec, ...]:
        """Units serving ``pathway`` in the order patients try them (preference, then config order)."""
        serving = [u for u in self.units if pathway in u.pathways]
        return tuple(sorted(serving, key=lambda u: u.preference))


def _readmission_share(pathway_shares: tuple[float, ...], after_p2: tuple[float, ...],
                       probability: tuple[float, ...]) -> float:
    leaving = 1.0 - after_p2[2]  # a further P2 stay continues the same episode
    from_bed, death = after_p2[4] / leaving, after_p2[5] / leaving
    per_pathway = (probability[0], probability[1],
                   from_bed + (1.0 - from_bed - death) * probability[2], probability[3])
    return sum(s * r for s, r in zip(pathway_shares, per_pathway, strict=True))


def _data_file(value: Any, field: str) -> Any:
    """A data file's path as given, or None. An empty path is refused: ``arrivals.series_csv=$FILE``
    with ``FILE`` unset would otherwise run without the file, as if none had been named."""
    if isinstance(value, str) and not value.strip():
        raise ConfigError(field, "is empty", f"give the file's path, or {field}=null for none")
    return value


def _shares(mapping: Mapping[str, Any] | None, names: tuple[str, ...], field: str) -> tuple[float, ...]:
    mapping = mapping or {}
    for key in mapping:
        if key not in names:
            raise ConfigError(f"{field}.{key}", f"unknown name {key!r}", use_one_of(key, names))
    shares = tuple(real_number(mapping.get(n, 0.0), f"{field}.{n}", maximum=1.0) for n in names)
    total = sum(shares)
    if abs(total - 1.0) > _SHARE_TOLERANCE:
        # each share shown: a mapping override ({P0: 1}) merges, so the others are still there
        given = ", ".join(f"{n} {v:g}" for n, v in zip(names, shares, strict=True))
        raise ConfigError(field, f"shares sum to {total:.6g}, not 1 ({given})",
                          "adjust the shares so they add up to exactly 1; a share you leave out keeps "
                          "its value, so set the others to 0 where they should be")
    return shares


def _start_date(run: Mapping[str, Any]) -> dt.date:
    value = required(run, "start_date", "run")
    start_date = date_value(value, "run.start_date")
    if not FIRST_START_DATE <= start_date <= LAST_START_DATE:
        raise ConfigError("run.start_date", f"{start_date.isoformat()} is outside "
                          f"{FIRST_START_DATE.isoformat()} to {LAST_START_DATE.isoformat()}",
                          "give a start date within that range")
    return start_date


def _arrival_rates(arrivals: Mapping[str, Any], start_date: dt.date, horizon: float, end: float
                   ) -> np.ndarray:
    """Arrival rate of each simulated day up to ``end`` (the horizon plus the cool-down)."""
    if _data_file(arrivals.get("series_csv"), "arrivals.series_csv"):
        rates = daily_rates_from_csv(arrivals["series_csv"], start_date, horizon, end)
    else:
        rate = real_number(required(arrivals, "rate_per_day", "arrivals"), "arrivals.rate_per_day",
                           maximum=MAX_RATE_PER_DAY)
        profiles = []
        for key, length in (("day_of_week_multipliers", 7), ("month_multipliers", 12)):
            values = arrivals.get(key)
            values = [1.0] * length if values is None else values
            if len(values) != length:
                raise ConfigError(f"arrivals.{key}", f"needs {length} values, got {len(values)}",
                                  f"give exactly {length} multipliers")
            profiles.append([real_number(v, f"arrivals.{key}[{i}]", maximum=MAX_MULTIPLIER)
                             for i, v in enumerate(values)])
        rates = daily_rates_from_profile(rate, profiles[0], profiles[1], start_date, end)
        if rates.size and rates.max() > MAX_RATE_PER_DAY:
            raise ConfigError("arrivals.rate_per_day", f"times the multipliers reaches {rates.max():,.0f} a "
                              f"day, more than {MAX_RATE_PER_DAY:,.0f}",
                              "lower the rate or the day-of-week and month multipliers")
    rates.setflags(write=False)
    return rates


def _check_readmissions_end(share: float, cycle_days: float) -> None:
    """Refuse readmissions that would loop at one instant (the run would never finish)."""
    if share >= 1.0 - _SHARE_TOLERANCE and cycle_days <= 0.0:
        raise ConfigError("readmission.time_to_readmission_days",
                          "and readmission.clinical_los_days are both always 0 while every episode "
                          "leads to a readmission, so patients would return forever at the same instant",
                          "give the time to readmission or the clinical stay a positive duration, or "
                          "lower readmission.probability")


def build_scenario(config: DictConfig | Mapping[str, Any]) -> Scenario:
    """Validate a composed configuration and freeze it into a :class:`Scenario`.

    Parameters
    ----------
    config : DictConfig or Mapping
        A configuration shaped like :class:`flowsim.model.config.FlowsimConfig`; keys it does not know are
        refused (:func:`flowsim.model.strict.check_keys`), values outside :mod:`flowsim.model.bounds` too.

    Returns
    -------
    Scenario

    Raises
    ------
    ConfigError
        On the first invalid value, naming the field and the fix.
    """
    cfg: Mapping[str, Any] = (
        OmegaConf.to_container(config, resolve=True) if isinstance(config, DictConfig) else config
    )
    check_keys(cfg)
    run = cfg.get("run") or {}
    start_date = _start_date(run)
    horizon = real_number(required(run, "horizon_days", "run"), "run.horizon_days",
                          maximum=MAX_HORIZON_DAYS)
    warm_up = real_number(required(run, "warm_up_days", "run"), "run.warm_up_days",
                          maximum=MAX_HORIZON_DAYS)
    if horizon <= warm_up:
        raise ConfigError("run.horizon_days", f"({horizon:g}) must exceed run.warm_up_days ({warm_up:g})",
                          "make the horizon longer than the warm-up (horizon = warm-up + observed days)")
    cool_down = real_number(run.get("cool_down_days") or 0.0, "run.cool_down_days",
                            maximum=MAX_COOL_DOWN_DAYS)
    end = horizon + cool_down
    rates = _arrival_rates(cfg.get("arrivals") or {}, start_date, horizon, end)

    pathways = cfg.get("pathways") or {}
    pathway_shares = _shares(pathways.get("shares"), PATHWAYS, "pathways.shares")
    units = units_from_config(cfg.get("services") or {}, start_date, end)
    for pathway, share in zip(PATHWAYS[1:], pathway_shares[1:], strict=True):
        check_served(units, pathway, f"pathways.shares.{pathway}", share)
    after_p2 = _shares((cfg.get("after_p2") or {}).get("shares"), AFTER_P2_OUTCOMES, "after_p2.shares")
    if pathway_shares[2] > 0:
        check_served(units, "P1", "after_p2.shares.home_p1", after_p2[1])
        check_served(units, "P3", "after_p2.shares.p3", after_p2[3])
    if after_p2[2] >= 1.0:
        raise ConfigError("after_p2.shares.p2", "is 1, so a P2 stay would never end",
                          "give the other outcomes a positive share")

    readmission = cfg.get("readmission") or {}
    probability = readmission.get("probability") or {}
    for key in probability:
        if key not in PATHWAYS:
            raise ConfigError(f"readmission.probability.{key}", f"unknown pathway {key!r}",
                              use_one_of(key, PATHWAYS))
    readmit = tuple(real_number(probability.get(p, 0.0), f"readmission.probability.{p}", maximum=1.0)
                    for p in PATHWAYS)
    time_to_readmission = distribution_from_config(readmission.get("time_to_readmission_days"),
                                                   "readmission.time_to_readmission_days")
    clinical_los = distribution_from_config(readmission.get("clinical_los_days"),
                                            "readmission.clinical_los_days")
    _check_readmissions_end(_readmission_share(pathway_shares, after_p2, readmit),
                            time_to_readmission.mean + clinical_los.mean)

    census = InitialCensus()
    if _data_file(run.get("initial_census"), "run.initial_census"):
        census = census_from_file(run["initial_census"], tuple(u.name for u in units), SERVICE_PATHWAYS)
        # A step on the start date replaces the unit's capacity from the first day.
        check_census_fits(census, {u.name: (u.availability.schedule[0][1]
                                            if u.availability.schedule and u.availability.schedule[0][0] == 0
                                            else u.capacity) for u in units},
                          Path(str(run["initial_census"])).name)

    costs = cfg.get("costs") or {}
    bases = bed_day_bases(costs)
    basis = acute_bed_day_basis(costs, bases)
    return Scenario(
        seed=whole_number(cfg.get("seed", 0), "seed", 0, MAX_SEED),
        replications=whole_number(cfg.get("replications", 1), "replications", 1, MAX_REPLICATIONS),
        n_jobs=whole_number(cfg.get("n_jobs", 1), "n_jobs", 1, MAX_N_JOBS),
        start_date=start_date,
        horizon_days=horizon,
        warm_up_days=warm_up,
        arrival_rates_per_day=rates,
        pathway_shares=pathway_shares,
        p0_admin_delay=distribution_from_config(pathways.get("p0_admin_delay_days"),
                                                "pathways.p0_admin_delay_days"),
        units=units,
        after_p2_shares=after_p2,
        readmission_probability=readmit,
        time_to_readmission=time_to_readmission,
        readmission_clinical_los=clinical_los,
        acute_bed_day_cost=basis.per_day_gbp,
        acute_bed_day_basis=basis,
        bed_day_bases=bases,
        housing=housing_from_config(cfg.get("housing")),
        initial_census=census,
        acute=acute_from_config(cfg.get("acute")),
        cool_down_days=cool_down,
        arrangement=_arrangement(pathways.get("arrangement_days") or {}),
        **_other_reasons(pathways.get("p0_other_reasons") or {}),
        arrival_hour_cdf=_hours(cfg.get("arrivals") or {}),
        arrangement_factor_by_day=_arrangement_factors(pathways.get("arrangement_month_factors"),
                                                       start_date, end),
    )


def _arrangement(section: Mapping[str, Any]) -> tuple[Distribution | None, ...]:
    """``pathways.arrangement_days`` per pathway: P1-P3 only (P0's delay is its admin delay)."""
    for key in section:
        if key not in SERVICE_PATHWAYS:
            raise ConfigError(f"pathways.arrangement_days.{key}", f"is not a pathway with a service "
                              f"({key!r})", f"use {', '.join(SERVICE_PATHWAYS)}; P0 has p0_admin_delay_days")
    given = {p: distribution_from_config(section[p], f"pathways.arrangement_days.{p}")
             for p in PATHWAYS if p in section and section[p] is not None}
    # a delay that is always 0 ({kind: fixed, value: 0}) is no delay: how to switch one off
    return tuple(given[p] if p in given and given[p].mean > 0 else None for p in PATHWAYS)


def _other_reasons(section: Mapping[str, Any]) -> dict[str, Any]:
    """``pathways.p0_other_reasons``: the probability and, when it is above 0, the delay."""
    field = "pathways.p0_other_reasons"
    probability = real_number(section.get("probability", 0.0), f"{field}.probability", maximum=1.0)
    if probability == 0.0:
        return {}
    if probability >= 1.0:
        raise ConfigError(f"{field}.probability", "must be below 1", "give the share held for other "
                          "reasons; the admin delay is for the rest")
    return {"p0_other_probability": probability,
            "p0_other_delay": distribution_from_config(section.get("delay_days"), f"{field}.delay_days")}


def _hours(arrivals: Mapping[str, Any]) -> tuple[float, ...] | None:
    """``arrivals.hour_of_day_multipliers``: 24 weights (hour 0 first), at least one above 0."""
    values = arrivals.get("hour_of_day_multipliers")
    if values is None:
        return None
    if isinstance(values, str | Mapping) or len(values) != 24:
        raise ConfigError("arrivals.hour_of_day_multipliers", f"needs 24 values, got {values!r}",
                          "give one multiplier per hour, 00:00-01:00 first")
    weights = [real_number(v, f"arrivals.hour_of_day_multipliers[{i}]", maximum=MAX_MULTIPLIER)
               for i, v in enumerate(values)]
    if not sum(weights) > 0:
        raise ConfigError("arrivals.hour_of_day_multipliers", "are all 0, so nobody would arrive",
                          "give at least one hour a positive multiplier")
    return hour_cdf(weights)


def _arrangement_factors(values: Any, start_date: dt.date, end: float) -> np.ndarray | None:
    """``pathways.arrangement_month_factors`` as a factor per simulated day (None when all are 1)."""
    field = "pathways.arrangement_month_factors"
    if values is None:
        return None
    if isinstance(values, str | Mapping) or len(values) != 12:
        raise ConfigError(field, f"needs 12 values, January first, got {values!r}",
                          "give one factor per month, e.g. 1.2 in winter and 1 otherwise")
    factors = [real_number(v, f"{field}[{i}]", maximum=MAX_MULTIPLIER) for i, v in enumerate(values)]
    if all(f == 1.0 for f in factors):
        return None
    by_day = daily_rates_from_profile(1.0, [1.0] * 7, factors, start_date, end)
    by_day.setflags(write=False)
    return by_day
