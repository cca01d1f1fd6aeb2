"""What every configuration setting means: its unit, a one-line description and a source.

:data:`FIELD_DOCS` documents every field of every dataclass of the schema
(:mod:`flowsim.model.config`), keyed by the dataclass and the field name, so every config path can be
described, including those inside named entries (``services.<unit>.capacity``,
``housing.types.<type>.share``). :data:`VALUE_SOURCES` gives the source of values that differ between
the named entries of the default system (each unit's capacity has its own). :mod:`flowsim.model.parameters`
checks both against the schema and renders them into ``docs/reference/parameters.md``; a field added
to the schema without an entry here fails ``tests/test_parameters_doc.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

from flowsim.model.config import (
    AcuteConfig,
    AdmissionCalendarConfig,
    AfterP2Config,
    ArrivalsConfig,
    BedDayBasisConfig,
    CapacityStepConfig,
    ClosuresConfig,
    CostsConfig,
    DistributionConfig,
    FlowsimConfig,
    OtherReasonsConfig,
    OutputsConfig,
    PathwaysConfig,
    PrecisionConfig,
    ReadmissionConfig,
    RunConfig,
    StaffAbsenceConfig,
    UnitConfig,
)
from flowsim.model.field_doc import SETTINGS as _SETTINGS
from flowsim.model.field_doc import FieldDoc
from flowsim.model.housing_docs import HOUSING_FIELD_DOCS

__all__ = ["FIELD_DOCS", "VALUE_SOURCES", "FieldDoc"]


_IPACS = "IPACS technical guide (2017/18)"

FIELD_DOCS: Mapping[type, Mapping[str, FieldDoc]] = {
    FlowsimConfig: {
        "seed": FieldDoc("identifier", "Base seed: every random stream is keyed by seed, replication number "
                         "and stream name, so the same seed gives the same patients", "assumption: any fixed "
                         "number; options compared with the same seed share their patients"),
        "replications": FieldDoc("count", "Independent replications of the run; KPIs are averaged over them "
                                 "with a 95 % confidence interval", "experiments ask for 20-40"),
        "n_jobs": FieldDoc("count", "Parallel worker processes for the replications of one run; results "
                           "do not depend on it"),
        "run": FieldDoc(_SETTINGS, "The simulated calendar: when the run starts, how long it lasts, and "
                        "which part of it is observed."),
        "arrivals": FieldDoc(_SETTINGS, "Patients becoming discharge ready (NCTR): a Poisson process with "
                             "a base rate per day, a day-of-week and a month profile, or a daily series "
                             "from a file."),
        "pathways": FieldDoc(_SETTINGS, "The discharge pathway each episode needs, drawn at NCTR, and the "
                             "admin delay of a simple (P0) discharge."),
        "services": FieldDoc("named units", "The service units, by name: pools of P1 packages, P2 beds or "
                             "P3 interim beds, with their stays, calendars and costs.", key="unit"),
        "after_p2": FieldDoc(_SETTINGS, "Where patients go when their P2 stay ends."),
        "readmission": FieldDoc(_SETTINGS, "Readmission to acute after an episode ends: how likely, how "
                                "soon, and the clinical stay before the patient is discharge ready again."),
        "costs": FieldDoc(_SETTINGS, "Costs outside the units (each unit's costs sit on the unit)."),
        "housing": FieldDoc(_SETTINGS, "Housing barriers to going home, the hospital-to-home coordinators "
                            "who fix them, and step-down flats to wait in."),
        "acute": FieldDoc(_SETTINGS, "The optional acute bed pool: arrivals become emergency admissions "
                          "that need a bed, so delayed discharges block admissions."),
        "outputs": FieldDoc(_SETTINGS, "Which optional tables a run writes, and whether it prints its "
                            "summary."),
        "precision": FieldDoc(_SETTINGS, "How precise the replicated KPIs should be, and whether to add "
                              "replications until they are."),
    },
    RunConfig: {
        "start_date": FieldDoc("date (YYYY-MM-DD)", "Calendar date of day 0; sets weekdays, months and the "
                               "dates of capacity steps", "assumption: start of the financial year"),
        "horizon_days": FieldDoc("days", "Days simulated from the start date; the observation window ends "
                                 "here (the warm-up is counted in it)", "warm-up + one observed year "
                                 "(365 d)"),
        "warm_up_days": FieldDoc("days", "Days from the start left out of the results, so an empty start "
                                 "does not bias them; a filter on results, not a reset",
                                 "assumption; flowsim-warmup (MSER-5 against runs started a year earlier) "
                                 "suggests 245-427 d, a noisy number; 364 d changes the delayed days by "
                                 "+0.8 %, inside the CI"),
        "cool_down_days": FieldDoc("days", "Days simulated after the horizon (patients keep arriving) only "
                                   "to follow to their end the delays of episodes that became NCTR in the "
                                   "window", "assumption: keeps the mean delay per episode within ~1 % of "
                                   "delayed days / episodes (Little's law) at ~11 % more run time"),
        "initial_census": FieldDoc("path", "YAML or CSV file of patients already in each unit and already "
                                   "waiting at the start (warm start); null starts empty"),
    },
    ArrivalsConfig: {
        "rate_per_day": FieldDoc("patients per day", "Base rate of patients becoming NCTR, before the "
                                 "day-of-week and month multipliers", "calibrated: with readmissions, 250 "
                                 "NCTR episodes a day (NHS England Acute Daily Discharge SitRep, 2023: "
                                 "~9,950 NCTR discharges a day over 42 systems)"),
        "day_of_week_multipliers": FieldDoc("multiplier", "Seven multipliers of the rate, Monday first",
                                            "assumption: weekend NCTR declarations ~25 % lower, weekday "
                                            "shape flat; mean 1"),
        "month_multipliers": FieldDoc("multiplier", "Twelve multipliers of the rate, January first",
                                      "SitRep Apr 2022 - Jan 2024: mean daily NCTR discharges by month "
                                      "over a log-linear trend, averaged by calendar month"),
        "hour_of_day_multipliers": FieldDoc("multiplier", "Twenty-four weights of when in the day patients "
                                            "arrive (become NCTR), hour 00:00-01:00 first; the day's "
                                            "number is unchanged", "assumption: NCTR is declared on "
                                            "ward rounds, mostly 08:00-13:00"),
        "series_csv": FieldDoc("path", "CSV file with columns date,rate_per_day covering every day of the "
                               "run; when set it replaces rate_per_day and both profiles"),
    },
    OtherReasonsConfig: {
        "probability": FieldDoc("probability (0 to below 1)", "Share of P0 (simple discharge) episodes held "
                                "for other reasons instead of the admin delay",
                                "fitted by flowsim-calibrate targets to the SitRep's other reasons"),
        "delay_days": FieldDoc("days", "How long such a patient stays after NCTR (unused while the "
                               "probability is 0)", "fitted by flowsim-calibrate targets"),
    },
    PathwaysConfig: {
        "shares": FieldDoc("share (0-1)", "Share of NCTR episodes needing each pathway, keys P0, P1, P2, "
                           "P3; must sum to 1", "SitRep 2023 actual split, all adults: 84.9 / 8.8 / 3.4 / "
                           "1.35 % + 1.5 % care-home residents returning (scenario=policy_split_65plus: the "
                           "65+ planning split 50/45/4/1)"),
        "p0_admin_delay_days": FieldDoc("days", "Time a P0 (simple discharge) patient stays in the acute bed "
                                        "after becoming NCTR: transport, medicines, letters",
                                        "calibrated to NHSE discharge-ready data 2024-25: 86 % leave "
                                        "on their discharge-ready day"),
        "p0_other_reasons": FieldDoc(_SETTINGS, "Simple discharges held for other reasons (awaiting "
                                     "assessment, patient or family choice, safeguarding): the SitRep's "
                                     "'other' delays"),
        "arrangement_month_factors": FieldDoc("factor per month", "Seasonal arrangement: each P1-P3 "
                                              "arrangement delay times the factor of the month the "
                                              "patient became NCTR in, January first",
                                              "fitted by flowsim-calibrate targets to the SitRep "
                                              "winter rise"),
        "arrangement_days": FieldDoc("days", "Time from NCTR until a P1, P2 or P3 patient can take a free "
                                     "place: assessment, brokerage, funding decisions, transport; the wait "
                                     "for a free place starts after it (unset: none)",
                                     "fitted by flowsim-calibrate targets to the SitRep census and its "
                                     "delay-reason mix", key="pathway"),
    },
    UnitConfig: {
        "pathways": FieldDoc("pathway names", "Pathways the unit serves: one or more of P1, P2, P3"),
        "capacity": FieldDoc("places", "Places (beds, concurrent packages or placements), until a "
                             "capacity_schedule step changes them; block costs are paid on them",
                             value_type="whole number"),
        "los_days": FieldDoc("days", "Length of stay in the unit, drawn at each admission"),
        "preference": FieldDoc("rank", "Order in which units serving the same pathway are tried for a free "
                               "place: lower first, ties in config order"),
        "cost_per_occupied_day": FieldDoc("GBP per occupied place per day", "Variable cost of each occupied "
                                          "place-day"),
        "cost_per_bed_week": FieldDoc("GBP per place per week", "Block-contract cost of each commissioned "
                                      "place, paid whether occupied or not; or a tiered tariff {by: places "
                                      "or contract_weeks, tiers: [{from, per_bed_week}, ...]}: the rate of "
                                      "the highest tier reached by the places commissioned in each period, "
                                      "or by the weeks a block of places stays commissioned (still open at "
                                      "the end of the run: at least 52)",
                                      "tiers: configs/scenario/care_home_unit_tiered.yaml",
                                      value_type="number or tiered tariff"),
        "weekend_admission_premium_per_bed_week": FieldDoc(
            "GBP per place per week", "Premium on the block cost for 7-day admission: paid on every "
            "commissioned place while admission.days include Saturday and Sunday (half for one of them)"),
        "description": FieldDoc("text", "What the unit is, in words, for readers of the config"),
        "admission": FieldDoc(_SETTINGS, "Admission calendar: the weekdays and hours the unit admits "
                              "(default: always)"),
        "capacity_schedule": FieldDoc("dated steps", "Dated capacity steps (winter surge beds), in date "
                                      "order and inside the run; before the first, capacity applies"),
        "closures": FieldDoc(_SETTINGS, "Random closures to admissions (infection outbreaks); occupants "
                             "stay"),
        "staff_absence": FieldDoc(_SETTINGS, "Staff absence: on random days the unit's capacity is scaled "
                                  "down"),
        "month_capacity_factors": FieldDoc("factor (0-1) per month", "Seasonal capacity, January first: in "
                                           "each month the unit has this share of its places (rounded "
                                           "to whole places); occupants are never evicted",
                                           "fitted by flowsim-calibrate targets to the SitRep winter "
                                           "rise"),
        "max_stay_days": FieldDoc("days", "Contracted maximum stay: longer stays are counted and their extra "
                                  "days costed, not cut short; null = no contract limit"),
        "cost_per_over_length_day": FieldDoc("GBP per day", "Cost of each day a stay runs beyond "
                                             "max_stay_days"),
    },
    AdmissionCalendarConfig: {
        "days": FieldDoc("weekday names", "Weekdays the unit admits, as Mon, Tue, Wed, Thu, Fri, Sat, Sun; "
                         "not empty", "scenario=care_home_5day_admission: Mon-Fri"),
        "open_hour": FieldDoc("hour of day (0-24)", "Hour admissions open on admission days",
                              "scenario=care_home_5day_admission: 9; care_home_7day_admission: 8"),
        "close_hour": FieldDoc("hour of day (0-24)", "Hour admissions close on admission days; after "
                               "open_hour", "scenario=care_home_5day_admission: 17; "
                               "care_home_7day_admission: 20"),
    },
    CapacityStepConfig: {
        "start": FieldDoc("date (YYYY-MM-DD)", "Date from which the step's capacity applies; inside the run",
                          "scenario=winter_surge: 2025-12-01, then 2026-04-01"),
        "capacity": FieldDoc("places", "Places from that date on: absolute, not added to capacity; when it "
                             "falls, occupants are not evicted", "scenario=winter_surge: ic_beds 424 then "
                             "388, p1_reablement 468 then 453", value_type="whole number"),
    },
    ClosuresConfig: {
        "outbreaks_per_year": FieldDoc("per year", "Mean number of outbreaks a year (at random times); 0 = "
                                       "none"),
        "duration_days": FieldDoc("days", "How long each outbreak closes the unit to admissions; needed only "
                                  "when outbreaks_per_year > 0"),
    },
    StaffAbsenceConfig: {
        "fraction_of_days": FieldDoc("share (0-1)", "Share of days with staff absence, each day drawn at "
                                     "random"),
        "capacity_factor": FieldDoc("multiplier (0-1)", "Capacity on an absence day, as a multiple of the "
                                    "capacity in force (rounded down); 1 = no effect"),
    },
    AfterP2Config: {
        "shares": FieldDoc("share (0-1)", "Outcome of a P2 stay: home, home_p1 (home with a P1 package), p2 "
                           "(a further stay in the same bed), p3, readmission, death; must sum to 1",
                           "Community SitRep Table 4, 2023: home 28 %, home with support 50 %, another P2 "
                           "bed 7 %, care home 15 %, scaled by 0.93; readmission 5 % and death 2 %: "
                           "assumption"),
    },
    ReadmissionConfig: {
        "probability": FieldDoc("probability (0-1)", "Chance that an episode which ends leads to a "
                                "readmission, by the episode's pathway (keys P0, P1, P2, P3); P2 "
                                "patients readmitted straight from the bed are after_p2.shares.readmission "
                                "(set both to 0 for no readmissions)",
                                "QualityWatch: 12 % readmitted within 30 days; Leeds Networked Data "
                                "Lab: 25 % after step-down intermediate care; split by pathway: "
                                "assumption"),
        "time_to_readmission_days": FieldDoc("days", "Time from leaving to returning to acute, for a patient "
                                             "who is readmitted", "assumption: uniform within 30 days"),
        "clinical_los_days": FieldDoc("days", "Clinical stay in acute of a readmitted patient before they "
                                      "are NCTR again, as a new episode", "assumption"),
    },
    CostsConfig: {
        "acute_bed_day": FieldDoc("GBP per bed-day", "Cost of one delayed acute bed-day: values delayed days "
                                  "and the acute saving of options; a number, or the name of one of "
                                  "costs.bed_day_bases", "full_cost: King's Fund, 2022/23",
                                  value_type="number or basis name"),
        "bed_day_bases": FieldDoc("named cost bases", "Published ways of valuing a delayed bed day, by "
                                  "name, for costs.acute_bed_day to choose; metrics.json values the "
                                  "delayed days on each", "King's Fund 2022/23; IPACS technical guide "
                                  "2017/18; Nottingham City Homes 2016; marginal: assumption", key="basis"),
    },
    BedDayBasisConfig: {
        "per_day": FieldDoc("GBP per bed-day", "Cost of one delayed acute bed-day on this basis"),
        "source": FieldDoc("text", "Where the figure comes from: publication and year, or 'assumption: why'"),
    },
    **HOUSING_FIELD_DOCS,
    AcuteConfig: {
        "enabled": FieldDoc("flag", "Switches the acute bed pool on: arrivals become emergency admissions "
                            "that wait for a bed (ED boarding)", "scenario=acute_pool: true"),
        "beds": FieldDoc("beds", "Acute beds in the pool; at least 1 when enabled", "scenario=acute_pool: "
                         "1,600 (assumption: ~92 % mean occupancy)", value_type="whole number"),
        "clinical_los_days": FieldDoc("days", "Clinical stay of an emergency admission before the patient "
                                      "is NCTR", "scenario=acute_pool: lognormal mean 4.2 d, sd 5 d "
                                      "(assumption: emergency stays ~4-5 d, Hospital Episode Statistics)"),
    },
    OutputsConfig: {
        "patients": FieldDoc("flag", "Write patients.parquet, one row per NCTR episode (the largest table)",
                             "the shipped experiments: false"),
        "census": FieldDoc("flag", "Write census.parquet, the daily midnight counts"),
        "summary": FieldDoc("flag", "Print the summary table at the end of a run (summary.csv is written "
                            "either way)", "the shipped experiments: false"),
    },
    PrecisionConfig: {
        "target_half_width_pct": FieldDoc("% of the mean", "Target 95 % CI half-width of each KPI in "
                                          "precision.kpis; a warning says when it is missed", "assumption"),
        "kpis": FieldDoc("KPI names", "KPIs whose precision is checked: columns of replications.parquet"),
        "adaptive": FieldDoc("flag", "Keep adding replications in batches until the target is met or "
                             "max_replications is reached"),
        "batch": FieldDoc("replications", "Replications added at a time by an adaptive run"),
        "max_replications": FieldDoc("replications", "Most replications an adaptive run makes"),
    },
    DistributionConfig: {
        "kind": FieldDoc("choice", "exponential, gamma, lognormal, weibull, fixed, empirical or uniform; "
                         "decides which parameters below are used (leave the others null)"),
        "mean": FieldDoc("days", "Mean duration (exponential; gamma and lognormal with sd)"),
        "sd": FieldDoc("days", "Standard deviation (gamma; lognormal with mean), 0.001-10 times the mean"),
        "mu": FieldDoc("ln(days)", "Lognormal: mean of the log of the duration, the log of the median "
                       "(with sigma, instead of mean and sd)"),
        "sigma": FieldDoc("unitless (log scale)", "Lognormal: standard deviation of the log of the duration, "
                          "from 0.001 (an sd of 0.001 times the mean) to 5"),
        "shape": FieldDoc("unitless", "Weibull shape, 0.1-100 (1 is exponential)"),
        "scale": FieldDoc("days", "Weibull scale"),
        "value": FieldDoc("days", "Fixed: the duration every time"),
        "values": FieldDoc("days", "Empirical: observed durations, each drawn with equal probability"),
        "low": FieldDoc("days", "Uniform: shortest duration"),
        "high": FieldDoc("days", "Uniform: longest duration, at least low"),
    },
}

_P1_LOS = "IPACS 2022 inputs: package length mean 12-19 d, median 5-9 d; here median 7 d, mean 15 d"
_P2_LOS = "IPACS 2022 inputs: mean 34-43 d; sigma ~0.6"

# Sources of values that differ between the named entries of the default system, by config path.
VALUE_SOURCES: Mapping[str, str] = {
    "services.p1_reablement.capacity": "calibrated: capacity headroom fitted to the SitRep census and "
                                       "winter rise",
    "services.ic_beds.capacity": "calibrated: capacity headroom fitted to the SitRep census and winter rise",
    "services.care_home_unit.capacity": "assumption: a typical unit size (experiment=care_home_units: 0-40)",
    "services.p3_interim_beds.capacity": "calibrated: capacity headroom fitted to the SitRep census and "
                                         "winter rise",
    "services.p1_reablement.los_days": _P1_LOS,
    "services.ic_beds.los_days": _P2_LOS,
    "services.care_home_unit.los_days": "as ic_beds",
    "services.p3_interim_beds.los_days": "IPACS inputs: 32-59 d; sigma ~0.6",
    "services.p1_reablement.cost_per_occupied_day": _IPACS,
    "services.ic_beds.cost_per_occupied_day": _IPACS,
    "services.care_home_unit.cost_per_occupied_day": "the block contract covers occupied days",
    "services.p3_interim_beds.cost_per_occupied_day": _IPACS,
    "services.care_home_unit.cost_per_bed_week": "care units in care homes toolkit (2022): residential bed "
                                                 "GBP 768 a week, rehab beds 40-100 % more (+50 % here)",
    "housing.types.minor_repair.share": "assumption (Oldham referrals: repairs the commonest need)",
    "housing.types.minor_repair.fix_days_coordinated": "Oldham Hospital2Home (housing 2017 report): "
                                                       "emergency repairs within 1 d, urgent within 3 "
                                                       "working days",
    "housing.types.minor_repair.fix_days_uncoordinated": "assumption",
    "housing.types.clearance.share": "assumption",
    "housing.types.clearance.fix_days_coordinated": "assumption",
    "housing.types.clearance.fix_days_uncoordinated": "assumption",
    "housing.types.minor_adaptation.share": "SitRep 2023: equipment and adaptations 2.6 of the 4.2 % "
                                            "housing-related delays",
    "housing.types.minor_adaptation.fix_days_coordinated": "assumption",
    "housing.types.minor_adaptation.fix_days_uncoordinated": "assumption",
    "housing.types.major_adaptation.share": "assumption",
    "housing.types.major_adaptation.fix_days_coordinated": "Foundations DFG quality standard: urgent 55 "
                                                           "working days",
    "housing.types.major_adaptation.fix_days_uncoordinated": "Foundations DFG quality standard: non-urgent "
                                                             "150 working days",
    "housing.types.rehousing.share": "assumption",
    "housing.types.rehousing.fix_days_coordinated": "Nottingham City Homes (housing 2017 report): 33 d with "
                                                    "a coordinator",
    "housing.types.rehousing.fix_days_uncoordinated": "Nottingham City Homes: 129 d via the waiting list",
    "housing.types.homelessness.share": "SitRep 2023: homeless or nowhere to go 1.6 of the 4.2 %; Oldham: "
                                        "16 % of referrals homeless",
    "housing.types.homelessness.fix_days_coordinated": "assumption",
    "housing.types.homelessness.fix_days_uncoordinated": "assumption",
}
