"""The configuration schema: typed dataclasses registered with Hydra's ConfigStore.

This module only describes the *shape* of a configuration, with defaults where a default is safe.
Values (and their sources) live in ``configs/*.yaml``; checking that values make sense happens in
:mod:`flowsim.model.scenario`, which turns a composed config into a frozen
:class:`~flowsim.model.scenario.Scenario`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

__all__ = [
    "AcuteConfig",
    "AdmissionCalendarConfig",
    "AfterP2Config",
    "ArrivalsConfig",
    "BarrierTypeConfig",
    "BedDayBasisConfig",
    "CapacityStepConfig",
    "ClosuresConfig",
    "CoordinatorsConfig",
    "CostsConfig",
    "DistributionConfig",
    "FlatSchemeConfig",
    "FlowsimConfig",
    "HousingConfig",
    "OutputsConfig",
    "PathwaysConfig",
    "PrecisionConfig",
    "ReadmissionConfig",
    "RunConfig",
    "StaffAbsenceConfig",
    "UnitConfig",
    "register_configs",
]


@dataclass
class DistributionConfig:
    """A duration distribution in days; which fields are used depends on ``kind``.

    exponential: mean | gamma: mean, sd | lognormal: mean, sd or mu, sigma | weibull: shape, scale |
    fixed: value | empirical: values | uniform: low, high.
    """

    kind: str = MISSING
    mean: float | None = None
    sd: float | None = None
    mu: float | None = None
    sigma: float | None = None
    shape: float | None = None
    scale: float | None = None
    value: float | None = None
    values: list[float] | None = None
    low: float | None = None
    high: float | None = None


@dataclass
class ArrivalsConfig:
    """Patients becoming NCTR (discharge ready): a non-homogeneous Poisson process."""

    rate_per_day: float = MISSING
    # Monday first; multiplies rate_per_day.
    day_of_week_multipliers: list[float] = field(default_factory=lambda: [1.0] * 7)
    # January first; multiplies rate_per_day.
    month_multipliers: list[float] = field(default_factory=lambda: [1.0] * 12)
    # hour 0 (00:00-01:00) first: when in the day arrivals (NCTR) happen; the day's rate is unchanged
    hour_of_day_multipliers: list[float] = field(default_factory=lambda: [1.0] * 24)
    # CSV with columns date,rate_per_day; when set it replaces rate_per_day and the profiles.
    series_csv: str | None = None


@dataclass
class OtherReasonsConfig:
    """Simple discharges held for other reasons (assessments, family choice, safeguarding, ...)."""

    probability: float = 0.0
    delay_days: DistributionConfig = field(default_factory=DistributionConfig)


@dataclass
class PathwaysConfig:
    """Pathway need drawn at NCTR, and the simple-discharge (P0) admin delay."""

    shares: dict[str, float] = field(default_factory=dict)
    p0_admin_delay_days: DistributionConfig = field(default_factory=DistributionConfig)
    p0_other_reasons: OtherReasonsConfig = field(default_factory=OtherReasonsConfig)
    # P1/P2/P3: time from NCTR until the patient can take a place (assessment, brokerage, transport)
    arrangement_days: dict[str, DistributionConfig] = field(default_factory=dict)
    # January first: each arrangement delay times the factor of the month the patient became NCTR in
    arrangement_month_factors: list[float] = field(default_factory=lambda: [1.0] * 12)


@dataclass
class AdmissionCalendarConfig:
    """Days and hours in which a unit admits (default: always)."""

    days: list[str] = field(default_factory=lambda: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    open_hour: float = 0.0
    close_hour: float = 24.0


@dataclass
class CapacityStepConfig:
    """From ``start`` (a date) on, the unit has ``capacity`` places."""

    start: str = MISSING
    capacity: Any = MISSING


@dataclass
class ClosuresConfig:
    """Random closures to admissions (infection outbreaks)."""

    outbreaks_per_year: float = 0.0
    # A node (kind unset), not None: OmegaConf 2.3 cannot merge a command-line mapping such as
    # duration_days={kind:fixed,value:4} into a None-valued structured field. Checked only when
    # outbreaks_per_year > 0.
    duration_days: DistributionConfig | None = field(default_factory=DistributionConfig)


@dataclass
class StaffAbsenceConfig:
    """On a random fraction of days, capacity is scaled by a factor (rounded down)."""

    fraction_of_days: float = 0.0
    capacity_factor: float = 1.0


@dataclass
class UnitConfig:
    """One service: a pool of beds, flats, packages or placements."""

    pathways: list[str] = MISSING
    capacity: Any = MISSING  # checked in scenario.py so a bad value gets a one-line message
    los_days: DistributionConfig = field(default_factory=DistributionConfig)
    preference: int = 1  # lower is tried first among units serving the same pathway
    cost_per_occupied_day: float = 0.0
    # block contract, paid whether occupied or not: GBP per place-week, or a tiered tariff
    # {by: places | contract_weeks, tiers: [{from, per_bed_week}, ...]} (flowsim.model.tariff)
    cost_per_bed_week: Any = 0.0
    # added to the block cost while the unit admits at weekends (7-day admission), per Sat/Sun day open
    weekend_admission_premium_per_bed_week: float = 0.0
    description: str = ""
    admission: AdmissionCalendarConfig = field(default_factory=AdmissionCalendarConfig)
    capacity_schedule: list[CapacityStepConfig] = field(default_factory=list)
    closures: ClosuresConfig = field(default_factory=ClosuresConfig)
    staff_absence: StaffAbsenceConfig = field(default_factory=StaffAbsenceConfig)
    month_capacity_factors: list[float] = field(default_factory=lambda: [1.0] * 12)  # January first
    max_stay_days: float | None = None  # contracted maximum stay; longer stays are counted and costed
    cost_per_over_length_day: float = 0.0


@dataclass
class AfterP2Config:
    """Where patients go when their P2 stay ends (shares sum to 1)."""

    shares: dict[str, float] = field(default_factory=dict)


@dataclass
class ReadmissionConfig:
    """Readmission to acute after leaving, by the pathway of the episode."""

    probability: dict[str, float] = field(default_factory=dict)
    time_to_readmission_days: DistributionConfig = field(default_factory=DistributionConfig)
    clinical_los_days: DistributionConfig = field(default_factory=DistributionConfig)


@dataclass
class BedDayBasisConfig:
    """One named way of valuing a delayed acute bed day, with where the figure comes from."""

    per_day: float = MISSING
    source: str = MISSING


@dataclass
class CostsConfig:
    """Unit costs in pounds (unit service costs sit on each unit)."""

    acute_bed_day: Any = MISSING  # GBP per bed day, or the name of one of bed_day_bases
    bed_day_bases: dict[str, BedDayBasisConfig] = field(default_factory=dict)


@dataclass
class RunConfig:
    """Simulated calendar and observation window."""

    start_date: str = "2025-04-01"
    horizon_days: float = MISSING
    warm_up_days: float = MISSING
    # After the horizon, keep simulating (patients keep arriving) for up to this many days so the delays
    # of patients who became NCTR in the window are followed to their end; nothing else is counted then.
    cool_down_days: float = 0.0
    initial_census: str | None = None  # YAML/CSV of patients in units and waiting at the start


@dataclass
class OutputsConfig:
    """Which tables a run writes into its output directory."""

    patients: bool = True
    census: bool = True
    summary: bool = True  # print the human summary table


@dataclass
class BarrierTypeConfig:
    """One kind of housing barrier: its share among barriers and how long a fix takes."""

    share: float = MISSING
    fix_days_coordinated: DistributionConfig = field(default_factory=DistributionConfig)
    fix_days_uncoordinated: DistributionConfig = field(default_factory=DistributionConfig)


@dataclass
class CoordinatorsConfig:
    """Hospital-to-home housing coordinators."""

    fte: int = 0
    caseload_per_fte: int = 15
    when_full: str = "uncoordinated"  # or "wait": a barrier waits for a coordinator with room
    cost_per_fte_year: float = 0.0
    # the case is held this long after the fix (not given: closed when the fix is done)
    follow_up_days: DistributionConfig = field(default_factory=DistributionConfig)
    readmission_factor: float = 1.0  # on the readmission chance of patients whose fix was coordinated


@dataclass
class FlatSchemeConfig:
    """A step-down flat scheme (Heatherstones, Home from Home, Roseberry Mansions)."""

    capacity: Any = MISSING
    barrier_types: list[str] = field(default_factory=list)  # empty: every type
    pathways: list[str] = field(default_factory=lambda: ["P0", "P1"])
    reablement_days: DistributionConfig = field(default_factory=DistributionConfig)
    turnaround_days: DistributionConfig = field(default_factory=DistributionConfig)
    max_stay_days: float = 42.0
    preference: int = 1
    cost_per_flat_week: float = 0.0
    cost_per_over_length_day: float = 0.0
    without_barrier: dict[str, float] = field(default_factory=dict)  # pathway -> share offered a flat
    enforce_max_stay: bool = False
    move_on: dict[str, float] = field(default_factory=lambda: {"home": 1.0})  # at the enforced maximum
    community: bool = False  # takes community referrals too
    readmission_factor: float = 1.0
    p1_los_factor: float = 1.0
    p3_avoided_share: float = 0.0


@dataclass
class CommunityReferralsConfig:
    """Referrals from the community that share the coordinators and flats with hospital patients."""

    rate_per_day: float = 0.0
    flat_share: float = 0.0
    reablement_days: DistributionConfig = field(default_factory=DistributionConfig)  # a referral's flat stay
    types: dict[str, float] = field(default_factory=dict)  # by barrier type; empty: as hospital patients


@dataclass
class HousingConfig:
    """Housing barriers to going home, coordinators who fix them, and step-down flats."""

    enabled: bool = False
    barrier_probability: float = 0.0
    referral_delay_days: DistributionConfig = field(default_factory=DistributionConfig)
    types: dict[str, BarrierTypeConfig] = field(default_factory=dict)
    coordinators: CoordinatorsConfig = field(default_factory=CoordinatorsConfig)
    flats: dict[str, FlatSchemeConfig] = field(default_factory=dict)
    community_referrals: CommunityReferralsConfig = field(default_factory=CommunityReferralsConfig)


@dataclass
class AcuteConfig:
    """Optional acute bed pool: arrivals become emergency admissions with a clinical stay before NCTR."""

    enabled: bool = False
    beds: Any = 0
    clinical_los_days: DistributionConfig = field(default_factory=DistributionConfig)


@dataclass
class PrecisionConfig:
    """How precise replicated KPIs should be: 95 % CI half-width as a % of the mean."""

    target_half_width_pct: float = 5.0
    # two questions a board asks: how many delayed days a year, and how long a patient waits on average
    # (nctr_census_mean would add nothing: it is delayed days a year over 365, to the last bit)
    kpis: list[str] = field(default_factory=lambda: ["delayed_days_per_year", "delay_mean_days"])
    adaptive: bool = False  # keep adding replications (in batches) until the target is met
    batch: int = 10
    max_replications: int = 200


@dataclass
class FlowsimConfig:
    """Root of a flowsim configuration."""

    seed: int = 42
    replications: int = 1
    n_jobs: int = 1
    run: RunConfig = field(default_factory=RunConfig)
    arrivals: ArrivalsConfig = field(default_factory=ArrivalsConfig)
    pathways: PathwaysConfig = field(default_factory=PathwaysConfig)
    services: dict[str, UnitConfig] = field(default_factory=dict)
    after_p2: AfterP2Config = field(default_factory=AfterP2Config)
    readmission: ReadmissionConfig = field(default_factory=ReadmissionConfig)
    costs: CostsConfig = field(default_factory=CostsConfig)
    housing: HousingConfig = field(default_factory=HousingConfig)
    acute: AcuteConfig = field(default_factory=AcuteConfig)
    outputs: OutputsConfig = field(default_factory=OutputsConfig)
    precision: PrecisionConfig = field(default_factory=PrecisionConfig)


def register_configs() -> None:
    """Register the schema with Hydra's ConfigStore as ``flowsim_schema``.

    Called by the CLI (and tests) before composing; registering at import time would be hidden state.
    Once a process has registered it, this does nothing: turning the dataclasses into a config took
    0.1-0.2 s a time, paid by every composition in one process (the app, a sizing search, the tests),
    and Hydra hands each composition a copy of the stored node, never the node itself.
    """
    from hydra.core.config_store import ConfigStore  # here: a run's workers never import Hydra

    store = ConfigStore.instance()
    if "flowsim_schema.yaml" not in store.repo:
        store.store(name="flowsim_schema", node=FlowsimConfig)
