"""Housing barriers, hospital-to-home coordinators and step-down flats: what they are.

Some patients are medically ready but cannot go home because of their home: it needs a repair, a
clearance, an adaptation, or they need rehousing, or they have no home. A fix starts when they are
referred; with a hospital-to-home **coordinator** it takes far less time (rehousing: about 33 days
against 129 via the waiting list, Nottingham City Homes). While it is under way they wait in the acute
bed or, if one is free and they are eligible, in a **step-down flat**. This module holds the validated
description; :mod:`flowsim.model.housing_runtime` simulates it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flowsim.model.bounds import (
    MAX_COST,
    MAX_DURATION_DAYS,
    MAX_MULTIPLIER,
    MAX_PLACES,
    MAX_PREFERENCE,
    MAX_RATE_PER_DAY,
    MAX_STAFF,
    MIN_DURATION_DAYS,
)
from flowsim.model.distribution_config import distribution_from_config, given_distribution
from flowsim.model.distributions import Distribution, Fixed
from flowsim.model.errors import ConfigError
from flowsim.model.strict import use_one_of
from flowsim.model.validate import flag, real_number, whole_number

__all__ = ["MOVE_ON", "NO_COMMUNITY", "OFF", "WHEN_FULL", "BarrierType", "CommunityReferrals", "FlatScheme",
           "HousingSpec", "housing_from_config"]

WHEN_FULL = ("uncoordinated", "wait")
MOVE_ON = ("home", "P1", "P3")  # where a flat's occupant goes when an enforced maximum stay is reached
_HOME_PATHWAYS = ("P0", "P1")  # who waits in acute for a home fix (P2 waits in its bed; P3 skips)
_WITHOUT_BARRIER = ("P1", "P3")  # who may be offered a flat to regain skills, with no barrier at home
_NO_TIME = {"kind": "fixed", "value": 0.0}
_MIN_PROBABILITY = 0.01  # a readmission factor may raise a chance up to 100x (probabilities cap at 1)


@dataclass(frozen=True)
class BarrierType:
    """A kind of barrier and its fix duration with and without a coordinator."""

    name: str
    share: float
    fix_coordinated: Distribution
    fix_uncoordinated: Distribution


@dataclass(frozen=True)
class FlatScheme:
    """A pool of step-down flats with its eligibility rules."""

    name: str
    capacity: int
    barrier_types: tuple[str, ...]
    pathways: tuple[str, ...]
    reablement: Distribution
    turnaround: Distribution
    max_stay_days: float
    preference: int
    cost_per_flat_week: float
    cost_per_over_length_day: float
    # pathway -> share of its NCTR patients with no housing barrier who are offered a flat (they need
    # time to regain skills and confidence: Heatherstones, Roseberry) if one is free at NCTR
    without_barrier: tuple[tuple[str, float], ...] = ()
    enforce_max_stay: bool = False  # at max_stay_days the occupant leaves, to a move-on destination
    move_on: tuple[float, ...] = (1.0, 0.0, 0.0)  # shares of MOVE_ON
    community: bool = False  # takes community referrals
    # outcome effects on the patients the scheme served
    readmission_factor: float = 1.0
    p1_los_factor: float = 1.0  # a smaller care package afterwards
    p3_avoided_share: float = 0.0  # of P3 patients offered a flat: home with a P1 package instead

    def accepts(self, barrier: str | None, pathway: str) -> bool:
        """Whether a patient on ``pathway`` with ``barrier`` (None: none) may use these flats.

        ``pathway`` "community" is a community referral.
        """
        if pathway == "community":
            return self.community
        if barrier is None:
            return any(p == pathway for p, _ in self.without_barrier)
        return barrier in self.barrier_types and pathway in self.pathways

    def offer_share(self, pathway: str) -> float:
        """Share of ``pathway``'s patients without a barrier who are offered a flat of this scheme."""
        return next((share for p, share in self.without_barrier if p == pathway), 0.0)


@dataclass(frozen=True)
class CommunityReferrals:
    """People referred from the community (not from a hospital bed) to the same coordinators and flats."""

    rate_per_day: float
    flat_share: float  # of referrals, those who also need a flat while their home is fixed
    reablement: Distribution  # their stay in a flat, at least until the fix is done
    type_shares: tuple[float, ...] = ()  # by barrier type (config order); empty: as hospital patients'


_AT_ONCE = Fixed(0.0)
NO_COMMUNITY = CommunityReferrals(0.0, 0.0, _AT_ONCE)


@dataclass(frozen=True)
class HousingSpec:
    """Validated housing settings; ``enabled=False`` means the module does nothing."""

    enabled: bool
    barrier_probability: float
    referral_delay: Distribution
    types: tuple[BarrierType, ...]
    coordinator_fte: int
    caseload_per_fte: int
    when_full: str
    cost_per_fte_year: float
    flats: tuple[FlatScheme, ...]
    follow_up: Distribution = _AT_ONCE  # a coordinated case is held this long after its fix
    readmission_factor: float = 1.0  # for patients whose fix was coordinated
    community: CommunityReferrals = NO_COMMUNITY

    @property
    def outcome_effects(self) -> bool:
        """Whether any scheme changes the readmission chance of the patients it served."""
        return self.readmission_factor != 1.0 or any(f.readmission_factor != 1.0 for f in self.flats)

    def offers_flats(self) -> bool:
        """Whether any flat scheme takes patients without a housing barrier."""
        return any(f.without_barrier and f.capacity for f in self.flats)

    @property
    def caseload_capacity(self) -> int:
        """Barriers that can be coordinated at once (FTE x caseload)."""
        return self.coordinator_fte * self.caseload_per_fte

    @property
    def type_names(self) -> tuple[str, ...]:
        """Barrier type names in config order (codes in the event log)."""
        return tuple(t.name for t in self.types)


OFF = HousingSpec(False, 0.0, Fixed(0.0), (), 0, 0, "uncoordinated", 0.0, ())


def _settings(spec: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(spec, Mapping):
        raise ConfigError(field, f"must be a mapping of settings, got {spec!r}",
                          "see configs/housing/step_down_flats.yaml for an example")
    return spec


def _flat(name: str, spec: Mapping[str, Any], type_names: tuple[str, ...] | None) -> FlatScheme:
    field = f"housing.flats.{name}"
    spec = _settings(spec, field)
    accepted = tuple(spec.get("barrier_types") or type_names or ())
    for barrier in accepted:
        if type_names is not None and barrier not in type_names:
            raise ConfigError(f"{field}.barrier_types", f"unknown barrier type {barrier!r}",
                              use_one_of(barrier, type_names))
    given = spec.get("pathways")
    if given is not None and len(given) == 0:  # [] would read as "not given": both home pathways
        raise ConfigError(f"{field}.pathways", "must be a non-empty list such as [P1]",
                          f"list the pathways it takes, e.g. {field}.pathways=[P1], or leave it out "
                          "for P0 and P1")
    pathways = tuple(given or _HOME_PATHWAYS)
    for pathway in pathways:
        if pathway not in _HOME_PATHWAYS:
            raise ConfigError(f"{field}.pathways", f"pathway {pathway!r} cannot use a flat",
                              "use P0 and/or P1 (patients who would otherwise wait in acute)")
    return FlatScheme(
        name=name,
        capacity=whole_number(spec.get("capacity"), f"{field}.capacity", 0, MAX_PLACES),
        barrier_types=accepted,
        pathways=pathways,
        reablement=distribution_from_config(spec.get("reablement_days"), f"{field}.reablement_days"),
        turnaround=distribution_from_config(spec.get("turnaround_days"), f"{field}.turnaround_days"),
        max_stay_days=real_number(spec.get("max_stay_days", 42.0), f"{field}.max_stay_days",
                                  minimum=MIN_DURATION_DAYS, maximum=MAX_DURATION_DAYS),
        preference=whole_number(spec.get("preference", 1), f"{field}.preference", 0, MAX_PREFERENCE),
        cost_per_flat_week=real_number(spec.get("cost_per_flat_week", 0.0), f"{field}.cost_per_flat_week",
                                       maximum=MAX_COST),
        cost_per_over_length_day=real_number(spec.get("cost_per_over_length_day", 0.0),
                                             f"{field}.cost_per_over_length_day", maximum=MAX_COST),
        without_barrier=_without_barrier(spec.get("without_barrier") or {}, f"{field}.without_barrier"),
        enforce_max_stay=flag(spec.get("enforce_max_stay"), f"{field}.enforce_max_stay"),
        move_on=_shares(spec.get("move_on") or {"home": 1.0}, MOVE_ON, f"{field}.move_on"),
        community=flag(spec.get("community"), f"{field}.community"),
        readmission_factor=real_number(spec.get("readmission_factor", 1.0), f"{field}.readmission_factor",
                                       maximum=1.0 / _MIN_PROBABILITY),
        p1_los_factor=real_number(spec.get("p1_los_factor", 1.0), f"{field}.p1_los_factor",
                                  minimum=0.01, maximum=MAX_MULTIPLIER),
        p3_avoided_share=real_number(spec.get("p3_avoided_share", 0.0), f"{field}.p3_avoided_share",
                                     maximum=1.0),
    )


def _without_barrier(spec: Any, field: str) -> tuple[tuple[str, float], ...]:
    spec = _settings(spec, field)
    for pathway in spec:
        if pathway not in _WITHOUT_BARRIER:
            raise ConfigError(f"{field}.{pathway}", "only P1 and P3 patients may be offered a flat without a "
                              "housing barrier", f"use {field}.P1 and/or {field}.P3")
    return tuple((str(p), real_number(share, f"{field}.{p}", maximum=1.0)) for p, share in spec.items())


def _shares(spec: Any, names: tuple[str, ...], field: str) -> tuple[float, ...]:
    spec = _settings(spec, field)
    for name in spec:
        if name not in names:
            raise ConfigError(f"{field}.{name}", "is not a destination", f"use {', '.join(names)}")
    shares = tuple(real_number(spec.get(name, 0.0), f"{field}.{name}", maximum=1.0) for name in names)
    if abs(sum(shares) - 1.0) > 1e-6:
        raise ConfigError(field, f"shares sum to {sum(shares):.6g}, not 1", f"make {field}.* add up to 1")
    return shares


def _community(spec: Any, flats: tuple[FlatScheme, ...], type_names: tuple[str, ...] | None
               ) -> CommunityReferrals:
    field = "housing.community_referrals"
    spec = _settings(spec or {}, field)
    rate = real_number(spec.get("rate_per_day", 0.0), f"{field}.rate_per_day", maximum=MAX_RATE_PER_DAY)
    if rate == 0.0:
        return NO_COMMUNITY
    flat_share = real_number(spec.get("flat_share", 0.0), f"{field}.flat_share", maximum=1.0)
    if flat_share > 0 and not any(f.community for f in flats):
        raise ConfigError(f"{field}.flat_share", "is above 0 but no flat scheme takes community referrals",
                          "set housing.flats.<scheme>.community=true, or flat_share=0")
    types = spec.get("types") or {}
    shares = _shares(types, type_names, f"{field}.types") if types and type_names is not None else ()
    return CommunityReferrals(rate, flat_share, distribution_from_config(
        _given_or_none(spec.get("reablement_days")), f"{field}.reablement_days"), shares)


def _given_or_none(spec: Any) -> Any:
    """A distribution's settings, or a fixed 0 days when none were given."""
    return spec if spec is not None and given_distribution(spec) else _NO_TIME


def housing_from_config(section: Mapping[str, Any] | None) -> HousingSpec:
    """Validate the ``housing`` section of a config.

    With ``enabled: false`` the module does nothing, but its settings are still checked (a bad value
    should not wait until housing is switched on); references to barrier types only if types are given.

    Raises
    ------
    ConfigError
        On the first invalid value, naming the field and the fix.
    """
    section = section or {}
    if not flag(section.get("enabled"), "housing.enabled"):
        _housing_spec(section, enabled=False)
        return OFF
    return _housing_spec(section, enabled=True)


def _housing_spec(section: Mapping[str, Any], enabled: bool) -> HousingSpec:
    types = []
    for name, spec in (section.get("types") or {}).items():
        field = f"housing.types.{name}"
        spec = _settings(spec, field)
        types.append(BarrierType(
            name=str(name),
            share=real_number(spec.get("share"), f"{field}.share", maximum=1.0),
            fix_coordinated=distribution_from_config(spec.get("fix_days_coordinated"),
                                                     f"{field}.fix_days_coordinated"),
            fix_uncoordinated=distribution_from_config(spec.get("fix_days_uncoordinated"),
                                                       f"{field}.fix_days_uncoordinated"),
        ))
    if not types and enabled:
        raise ConfigError("housing.types", "is empty but housing is enabled",
                          "list barrier types with shares, or set housing.enabled=false")
    total = sum(t.share for t in types)
    if types and abs(total - 1.0) > 1e-6:
        given = ", ".join(f"{t.name} {t.share:g}" for t in types)
        raise ConfigError("housing.types", f"shares sum to {total:.6g}, not 1 ({given})",
                          "adjust housing.types.*.share so they add up to exactly 1")
    coordinators = section.get("coordinators") or {}
    when_full = coordinators.get("when_full", "uncoordinated")
    if not isinstance(when_full, str) or when_full not in WHEN_FULL:
        raise ConfigError("housing.coordinators.when_full", f"unknown policy {when_full!r}",
                          use_one_of(when_full, WHEN_FULL))
    # None: housing is off and names no types, so what flats and referrals name cannot be checked
    type_names = tuple(t.name for t in types) if types else None
    referral = section.get("referral_delay_days")
    # switched off, the schema's unset default is not an error: checked only when given
    referral = (referral or _NO_TIME) if enabled else _given_or_none(referral)
    flats = tuple(sorted((_flat(str(n), s, type_names) for n, s in (section.get("flats") or {}).items()),
                         key=lambda f: f.preference))
    return HousingSpec(
        enabled=enabled,
        barrier_probability=real_number(section.get("barrier_probability", 0.0),
                                    "housing.barrier_probability", maximum=1.0),
        referral_delay=distribution_from_config(referral, "housing.referral_delay_days"),
        types=tuple(types),
        coordinator_fte=whole_number(coordinators.get("fte", 0), "housing.coordinators.fte", 0, MAX_STAFF),
        caseload_per_fte=whole_number(coordinators.get("caseload_per_fte", 15),
                                      "housing.coordinators.caseload_per_fte", 1, MAX_STAFF),
        when_full=when_full,
        cost_per_fte_year=real_number(coordinators.get("cost_per_fte_year", 0.0),
                                      "housing.coordinators.cost_per_fte_year", maximum=MAX_COST),
        flats=flats,
        follow_up=distribution_from_config(_given_or_none(coordinators.get("follow_up_days")),
                                           "housing.coordinators.follow_up_days"),
        readmission_factor=real_number(coordinators.get("readmission_factor", 1.0),
                                       "housing.coordinators.readmission_factor",
                                       maximum=1.0 / _MIN_PROBABILITY),
        community=_community(section.get("community_referrals"), flats, type_names),
    )
