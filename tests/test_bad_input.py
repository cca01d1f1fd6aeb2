"""A catalogue of bad inputs: each is one line on stderr, exit code 2, and nothing runs or is written.

Every case runs ``flowsim`` in-process (``flowsim.cli.main.main`` with ``sys.argv`` patched, Hydra's global
state cleared around it) on the small ``scenario=quick`` system, and checks: exit code 2, nothing on
stdout, exactly one stderr line starting ``flowsim: error:``, naming the field (the dotted config
path; for a data file the field and the line or key), containing ``fix:``, no traceback, and no
result files in the output folder. A handful also run as a real subprocess (``python -m flowsim``)
to show that the in-process harness sees what a user sees.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hydra.core.global_hydra import GlobalHydra

from flowsim.cli.main import main

RESULT_FILES = ("metrics.json", "patients.parquet", "census.parquet", "replications.parquet",
                "summary.csv", "units.parquet", "manifest.json", "checkpoints")


@dataclass(frozen=True)
class Case:
    """Overrides after ``scenario=quick`` (``{dir}`` is the test's folder), and what the line names."""

    args: tuple[str, ...]
    field: str
    also: str = ""  # a further part of the line: the file's line or key, or the problem
    files: dict[str, bytes] = field(default_factory=dict)  # written into the test's folder first


def case(*args: str, field: str, also: str = "", files: dict[str, bytes] | None = None) -> Case:
    return Case(tuple(args), field, also, files or {})


UNIT = "services.ic_beds"
CENSUS = "run.initial_census"
SERIES = "arrivals.series_csv"
SHORT = ("run.horizon_days=30", "run.warm_up_days=0")  # data files then need only cover 30 days


def census(name: str, data: bytes, also: str = "") -> Case:
    return case(*SHORT, f"{CENSUS}={{dir}}/{name}", field=CENSUS, also=also, files={name: data})


def series(name: str, data: bytes, also: str = "") -> Case:
    return case(*SHORT, "run.start_date=2025-04-01", f"{SERIES}={{dir}}/{name}", field=SERIES, also=also,
                files={name: data})


def _rates(days: int, first: str = "2025-04-01") -> bytes:
    import datetime as dt

    start = dt.date.fromisoformat(first)
    return ("date,rate_per_day\n" + "".join(f"{start + dt.timedelta(days=d)},5\n" for d in range(days))
            ).encode()


CASES: dict[str, Case] = {
    # -- top level: seed, replications, n_jobs ------------------------------------------------------
    "seed negative": case("seed=-1", field="seed", also=">= 0"),
    "seed above 2**63": case("seed=9223372036854775808", field="seed", also="<="),
    "seed float": case("seed=1.5", field="seed", also="must be a whole number, got '1.5'"),
    "seed a word": case("seed=abc", field="seed", also="e.g. seed=1"),
    # Hydra reads 007 as text, which the schema's type turned into 7 without a word (QA)
    "seed with leading zeros": case("seed=007", field="seed", also="a whole number cannot start with 0, got "
                                    "007; fix: write it without the leading zero, e.g. seed=7"),
    "replications with a leading zero": case("replications=02", field="replications",
                                             also="e.g. replications=2"),
    "a switch neither true nor false": case("housing.enabled=maybe", field="housing.enabled",
                                            also="must be true or false"),
    "a key of Hydra's own unknown": case("hydra.bogus=1", field="hydra.bogus", also="--hydra-help"),
    "replications huge": case("replications=100000000", field="replications", also="<="),
    "n_jobs zero": case("n_jobs=0", field="n_jobs"),
    "n_jobs huge": case("n_jobs=100000", field="n_jobs", also="<="),
    "top-level typo": case("+sede=3", field="sede", also="seed"),
    # -- run ----------------------------------------------------------------------------------------
    "start date not a date": case("run.start_date=notadate", field="run.start_date"),
    "start date without dashes": case("run.start_date=20250401", field="run.start_date", also="YYYY-MM-DD"),
    "capacity step on a week date": case(f"{UNIT}.capacity_schedule=[{{start: 2025-W20-1, capacity: 30}}]",
                                         field=f"{UNIT}.capacity_schedule[0].start", also="YYYY-MM-DD"),
    "start date too late": case("run.start_date=9999-12-01", field="run.start_date", also="2100"),
    "horizon infinite": case("run.horizon_days=inf", field="run.horizon_days", also="finite"),
    "horizon overflows dates": case("run.horizon_days=1e7", field="run.horizon_days", also="36,525"),
    "warm-up not below horizon": case("run.warm_up_days=180", field="run.horizon_days", also="exceed"),
    "run key typo": case("+run.horizon_dayz=100", field="run.horizon_dayz", also="run.horizon_days"),
    "cool-down negative": case("run.cool_down_days=-5", field="run.cool_down_days", also=">= 0"),
    "cool-down infinite": case("run.cool_down_days=inf", field="run.cool_down_days", also="finite"),
    "cool-down beyond ten years": case("run.cool_down_days=1e5", field="run.cool_down_days", also="3,652"),
    "run as a whole with a typo": case("run={horizon_dayz:3}", field="run.horizon_dayz"),
    # -- arrivals -----------------------------------------------------------------------------------
    "rate infinite": case("arrivals.rate_per_day=inf", field="arrivals.rate_per_day", also="finite"),
    "rate implausible": case("arrivals.rate_per_day=1e9", field="arrivals.rate_per_day"),
    "rate missing": case("arrivals.rate_per_day=???", field="arrivals.rate_per_day", also="missing"),
    "rate times multipliers implausible": case("arrivals.rate_per_day=90000",
                                               field="arrivals.rate_per_day", also="multipliers"),
    "weekday multipliers too few": case("arrivals.day_of_week_multipliers=[1,1]",
                                        field="arrivals.day_of_week_multipliers", also="7"),
    "weekday multiplier infinite": case("arrivals.day_of_week_multipliers=[1,1,1,1,1,1,inf]",
                                        field="arrivals.day_of_week_multipliers[6]"),
    "month multiplier implausible": case("arrivals.month_multipliers=[1,1,1,1,1,1,1,1,1,1,1,1000]",
                                         field="arrivals.month_multipliers[11]"),
    # -- pathways -----------------------------------------------------------------------------------
    "shares do not sum to 1": case("pathways.shares.P0=0.5", field="pathways.shares", also="sum"),
    "shares given as a mapping keep the others": case("pathways.shares={P0: 1}", field="pathways.shares",
                                                      also="(P0 1, P1 0.09, P2 0.035, P3 0.025)"),
    "share above 1": case("pathways.shares.P0=2", field="pathways.shares.P0"),
    "unknown pathway share": case("+pathways.shares.P9=0", field="pathways.shares.P9"),
    "a pathway in lower case": case(f"{UNIT}.pathways=[p2]", field=f"{UNIT}.pathways",
                                    also="unknown pathway 'p2'; fix: did you mean P2? use one of P1, P2, P3"),
    "a misspelt distribution": case(f"{UNIT}.los_days.kind=gama", field=f"{UNIT}.los_days.kind",
                                    also="fix: did you mean gamma? use one of exponential, gamma, "),
    "a day in lower case": case(f"{UNIT}.admission.days=[Mon,tue]", field=f"{UNIT}.admission.days",
                                also="unknown day 'tue'; fix: did you mean Tue? use one of Mon, Tue, "),
    "a misspelt coordinator policy": case("housing.coordinators.when_full=waits",
                                          field="housing.coordinators.when_full",
                                          also="fix: did you mean wait? use one of uncoordinated, wait"),
    # OmegaConf's "Cannot merge DictConfig with ListConfig" named no fix; shares are by pathway (QA)
    "shares a list": case("pathways.shares=[1,2]", field="pathways.shares",
                          also="holds one entry per name (P0, P1, P2, P3), not a list (got [1,2]); fix: name "
                               "each value, e.g. pathways.shares.P0=1"),
    "shares a list in the pathways' order": case(
        "pathways.shares=[0.85,0.09,0.035,0.025]", field="pathways.shares",
        also="e.g. pathways.shares={P0:0.85,P1:0.09,P2:0.035,P3:0.025}"),
    "admin delay missing parameter": case("pathways.p0_admin_delay_days={kind:gamma,mean:1}",
                                          field="pathways.p0_admin_delay_days", also="needs"),
    # -- services -----------------------------------------------------------------------------------
    "unit pathways a string": case(f"{UNIT}.pathways=P2", field=f"{UNIT}.pathways"),
    "capacity bool": case(f"{UNIT}.capacity=true", field=f"{UNIT}.capacity"),
    # "got the text '010' (a number in quotes); fix: ... e.g. services.ic_beds.capacity=010": it was not
    # quoted, and the fix was the input (QA); Hydra reads 010 as text
    "capacity with a leading zero": case(f"{UNIT}.capacity=010", field=f"{UNIT}.capacity",
                                         also="a whole number cannot start with 0, got 010; fix: write it "
                                              "without the leading zero, e.g. services.ic_beds.capacity=10"),
    "capacity huge": case(f"{UNIT}.capacity=1000000000000", field=f"{UNIT}.capacity", also="1,000,000"),
    "capacity empty": case(f"{UNIT}.capacity=", field=f"{UNIT}.capacity"),
    "capacity in quotes": case(f"{UNIT}.capacity='10'", field=f"{UNIT}.capacity",
                               also="got the text '10' (a number in quotes); fix: write the number without "
                                    "quotes, e.g. services.ic_beds.capacity=10"),
    "cost infinite": case(f"{UNIT}.cost_per_occupied_day=inf", field=f"{UNIT}.cost_per_occupied_day"),
    "admission days empty": case("services.care_home_unit.admission.days=[]",
                                 field="services.care_home_unit.admission.days", also="never admit"),
    "admission closes before it opens": case(f"{UNIT}.admission.open_hour=9",
                                             f"{UNIT}.admission.close_hour=8",
                                             field=f"{UNIT}.admission.close_hour"),
    "capacity step before the run": case(f"{UNIT}.capacity_schedule=[{{start:'2020-05-01',capacity:3}}]",
                                         field=f"{UNIT}.capacity_schedule[0].start", also="2025-04-01"),
    # quick: 180 days from 2025-04-01 plus a 20-day cool-down, so the run's last day is 2025-10-17
    "capacity step after the run": case(f"{UNIT}.capacity_schedule=[{{start:'2025-10-18',capacity:3}}]",
                                        field=f"{UNIT}.capacity_schedule[0].start", also="2025-10-17"),
    "capacity steps out of order": case(
        f"{UNIT}.capacity_schedule=[{{start:'2025-05-01',capacity:3}},{{start:'2025-04-05',capacity:2}}]",
        field=f"{UNIT}.capacity_schedule", also="order"),
    "capacity steps on the same date": case(
        f"{UNIT}.capacity_schedule=[{{start:'2025-05-01',capacity:3}},{{start:'2025-05-01',capacity:2}}]",
        field=f"{UNIT}.capacity_schedule"),
    "capacity step without capacity": case(f"{UNIT}.capacity_schedule=[{{start:'2025-05-01'}}]",
                                           field=f"{UNIT}.capacity_schedule[0].capacity"),
    "capacity step not a mapping": case(f"{UNIT}.capacity_schedule=[5]",
                                        field=f"{UNIT}.capacity_schedule[0]"),
    # OmegaConf names an unknown key of a list item alone ("date: unknown key"): found by a QA pass
    "capacity step with an unknown key": case(
        f"{UNIT}.capacity_schedule=[{{start:'2025-05-01',capacity:3}},{{date:'2025-06-01',capacity:2}}]",
        field=f"{UNIT}.capacity_schedule[1].date", also="use one of start, capacity"),
    "a unit's key misspelt in a whole entry": case(f"{UNIT}={{capcity:4}}", field=f"{UNIT}.capcity",
                                                   also="did you mean"),
    "outbreaks implausible": case(f"{UNIT}.closures.outbreaks_per_year=1e9",
                                  field=f"{UNIT}.closures.outbreaks_per_year"),
    "outbreaks without a duration": case(f"{UNIT}.closures.outbreaks_per_year=2",
                                         field=f"{UNIT}.closures.duration_days"),
    "outbreak duration bad while there are none": case(f"{UNIT}.closures.duration_days.mean=inf",
                                                       field=f"{UNIT}.closures.duration_days"),
    "outbreak duration negative": case(f"{UNIT}.closures.outbreaks_per_year=2",
                                       f"{UNIT}.closures.duration_days={{kind:fixed,value:-1}}",
                                       field=f"{UNIT}.closures.duration_days.value"),
    "absence fraction above 1": case(f"{UNIT}.staff_absence.fraction_of_days=2",
                                     field=f"{UNIT}.staff_absence.fraction_of_days"),
    "unit key typo with +": case(f"+{UNIT}.capcity=10", field=f"{UNIT}.capcity", also=f"{UNIT}.capacity"),
    "unit name typo": case("services.ic_bedz.capacity=10", field="services.ic_bedz", also="ic_beds"),
    # a new entry of an open mapping needs Hydra's leading +; the fix says so, with the value typed
    "new unit set without +": case(
        "services.step_up.capacity=10", field="services.step_up",
        also="or add a new one whole, with a leading +: +services.step_up={pathways"),
    "move_on destination set without +": case(
        "housing=step_down_flats", "housing.flats.step_down.move_on.P1=1",
        field="housing.flats.step_down.move_on.P1",
        also="use one of home, or add it with a leading +: +housing.flats.step_down.move_on.P1=1"),
    "new unit set key by key": case("+services.step_up.capacity=10", field="services.step_up",
                                    also="whole"),
    "new flat scheme set key by key": case("+housing.flats.x.capacity=3", field="housing.flats.x",
                                           also="reablement_days: {kind: lognormal"),
    "new unit without a length of stay": case("+services.step_up={pathways:[P2],capacity:10}",
                                              field="services.step_up.los_days"),
    "new unit with an unknown key": case(
        "+services.step_up={pathways:[P2],capacity:10,los_days:{kind:fixed,value:3},bogus:1}",
        field="services.step_up.bogus"),
    "unit given as a number": case(f"{UNIT}=5", field=UNIT,
                                   also="is a group of settings (pathways, capacity, los_days, "),
    "unit given as a number names the setting meant": case(
        f"{UNIT}=5", field=UNIT, also=f"fix: set one of them, e.g. {UNIT}.capacity=5"),
    "length of stay given as a number": case(
        f"{UNIT}.los_days=5", field=f"{UNIT}.los_days",
        also=f"is a distribution of days, not one number (got 5); fix: give its kind and parameters, "
             f"e.g. {UNIT}.los_days={{kind: exponential, mean: 5}} "
             f"or {UNIT}.los_days={{kind: fixed, value: 5}}"),
    "run given as a number": case("run=5", field="run", also="fix: set one of them, e.g. run.horizon_days=5"),
    "units given as a number": case(
        "services=3", field="services",
        also="holds one entry per name (p1_reablement, ic_beds, care_home_unit, p3_interim_beds), not one "
             "value (got 3); fix: set an entry, e.g. services.p1_reablement.capacity=3"),
    "shares given as a number": case("pathways.shares=0.5", field="pathways.shares",
                                     also="(P0, P1, P2, P3), not one value (got 0.5); fix: set an entry, "
                                          "e.g. pathways.shares.P0=0.5"),
    "weekday profile given as a number": case(
        "arrivals.day_of_week_multipliers=1", field="arrivals.day_of_week_multipliers",
        also="is a list, not one value (got 1); fix: give every item in brackets, "
             "e.g. arrivals.day_of_week_multipliers=[1.05,1.1,"),
    "new unit under the name of one": case(
        f"+{UNIT}={{pathways:[P2],capacity:10,los_days:{{kind:fixed,value:3}}}}", field=UNIT,
        also="already exists, so +services.ic_beds cannot add it; fix: leave out the + to change it (a"),
    "mapping for a list": case(f"{UNIT}.pathways={{a:1}}", field=f"{UNIT}.pathways",
                               also="is a list, not a mapping"),
    "mapping for a list of steps": case(f"{UNIT}.capacity_schedule={{start:2025-05-01,capacity:3}}",
                                        field=f"{UNIT}.capacity_schedule", also="square brackets"),
    "list added with + where one is": case(f"+{UNIT}.pathways=[P3]", field=f"{UNIT}.pathways",
                                           also="(a list replaces the whole list: give every item)"),
    "sweep over whole new units with ++": case(
        "++services.step_up={pathways:[P2],capacity:3,los_days:{kind:fixed,value:3}},"
        "{pathways:[P2],capacity:6,los_days:{kind:fixed,value:3}}", "-m", field="services.step_up",
        also="cannot be swept whole as a new entry; fix: add it once"),
    "sweep over whole new barrier types": case(
        "+housing.types.x={share:0.1},{share:0.2}", field="housing.types.x",
        also="e.g. flowsim -m +housing.types.x={...} housing.types.x.share=A,B"),
    "setting added with +": case("+seed=3", field="seed", also="leave out the + to change it, or give"),
    "sweep over whole new units": case(
        "+services.step_up={pathways:[P2],capacity:3,los_days:{kind:fixed,value:3}},"
        "{pathways:[P2],capacity:6,los_days:{kind:fixed,value:3}}", field="services.step_up",
        also="cannot be swept whole as a new entry; fix: add it once and sweep its settings"),
    "pathway with demand but no unit": case("services.p3_interim_beds.pathways=[P2]",
                                            field="pathways.shares.P3", also="no unit"),
    # -- after P2, readmission, costs ---------------------------------------------------------------
    "after-P2 stays forever": case("after_p2.shares={home:0,home_p1:0,p2:1,p3:0,readmission:0,death:0}",
                                   field="after_p2.shares.p2"),
    "after-P2 unknown outcome": case("+after_p2.shares.hospice=0", field="after_p2.shares.hospice"),
    "readmission unknown pathway": case("+readmission.probability.P7=0.1",
                                        field="readmission.probability.P7"),
    "readmission time uniform reversed": case(
        "readmission.time_to_readmission_days={kind:uniform,low:5,high:1}",
        field="readmission.time_to_readmission_days.high"),
    "readmission loop at one instant": case(
        "readmission.probability={P0:1,P1:1,P2:1,P3:1}",
        "after_p2.shares={home:0,home_p1:0,p2:0,p3:0,readmission:1,death:0}",
        "readmission.time_to_readmission_days={kind:fixed,value:0}",
        "readmission.clinical_los_days={kind:fixed,value:0}",
        field="readmission.time_to_readmission_days", also="forever"),
    "acute bed day cost infinite": case("costs.acute_bed_day=inf", field="costs.acute_bed_day"),
    "acute bed day cost implausible": case("costs.acute_bed_day=1e12", field="costs.acute_bed_day"),
    "costs key typo": case("+costs.acute_bed_dya=3", field="costs.acute_bed_dya", also="acute_bed_day"),
    # -- housing ------------------------------------------------------------------------------------
    "housing enabled not a bool": case("housing.enabled=maybe", field="housing.enabled"),
    "barrier probability above 1": case("housing.barrier_probability=1.5",
                                        field="housing.barrier_probability"),
    "barrier shares bad while housing is off": case(
        "housing.enabled=false", "housing.types.rehousing.share=0.5", field="housing.types"),
    "barrier shares do not sum to 1": case("housing.types.rehousing.share=0.5", field="housing.types",
                                           also="rehousing 0.5"),
    "barrier fix missing sd": case("housing.types.rehousing.fix_days_coordinated={kind:gamma,mean:30}",
                                   field="housing.types.rehousing.fix_days_coordinated"),
    "coordinators implausible": case("housing.coordinators.fte=1000000", field="housing.coordinators.fte"),
    "when_full unknown": case("housing.coordinators.when_full=never",
                              field="housing.coordinators.when_full"),
    "coordinators key typo": case("+housing.coordinators.ftee=2", field="housing.coordinators.ftee",
                                  also="fte"),
    "flats capacity huge": case("housing=step_down_flats",
                                "housing.flats.step_down.capacity=1000000000000",
                                field="housing.flats.step_down.capacity"),
    "flats unknown barrier type": case("housing=step_down_flats",
                                       "housing.flats.step_down.barrier_types=[nope]",
                                       field="housing.flats.step_down.barrier_types"),
    "flats for P3": case("housing=step_down_flats", "housing.flats.step_down.pathways=[P3]",
                         field="housing.flats.step_down.pathways"),
    "flats cost infinite": case("housing=step_down_flats",
                                "housing.flats.step_down.cost_per_flat_week=inf",
                                field="housing.flats.step_down.cost_per_flat_week"),
    "new flats without a stay": case("+housing.flats.extra={capacity:1}",
                                     field="housing.flats.extra.reablement_days"),
    # -- acute --------------------------------------------------------------------------------------
    "acute beds zero": case("acute.enabled=true", "acute.beds=0", field="acute.beds"),
    "acute beds huge": case("acute.enabled=true", "acute.beds=1000000000", field="acute.beds"),
    "acute beds negative while acute is off": case("acute.beds=-5", field="acute.beds"),
    "acute stay bad while acute is off": case("acute.clinical_los_days={kind:fixed,value:-1}",
                                              field="acute.clinical_los_days.value"),
    "acute clinical stay missing": case("acute.enabled=true", "acute.beds=10",
                                        field="acute.clinical_los_days.kind"),
    # -- outputs, precision -------------------------------------------------------------------------
    "outputs not a bool": case("outputs.patients=maybe", field="outputs.patients"),
    "outputs a list": case("outputs.census=[1]", field="outputs.census"),
    "precision maximum huge": case("precision.max_replications=1000000", field="precision.max_replications"),
    "precision target zero": case("precision.target_half_width_pct=0",
                                  field="precision.target_half_width_pct"),
    "precision unknown KPI": case("precision.kpis=[bogus]", field="precision.kpis", also="bogus"),
    "precision adaptive under the replications": case(
        "precision.adaptive=true", "precision.max_replications=1", "replications=2",
        field="precision.max_replications", also="below replications=2"),
    "precision KPI typo": case("precision.kpis=[unit_ic_beds_utilisatoin]", field="precision.kpis",
                               also="unit_ic_beds_utilisation"),
    "precision adaptive not a bool": case("precision.adaptive=perhaps", field="precision.adaptive"),
    # -- distributions, every kind ------------------------------------------------------------------
    "exponential mean zero": case(f"{UNIT}.los_days={{kind:exponential,mean:0}}",
                                  field=f"{UNIT}.los_days.mean"),
    "gamma sd zero": case(f"{UNIT}.los_days={{kind:gamma,mean:10,sd:0}}", field=f"{UNIT}.los_days.sd",
                          also="(0) must be between 0.001 and 10 times the mean (10)"),
    "gamma sd implausible": case(f"{UNIT}.los_days={{kind:gamma,mean:1,sd:1000}}",
                                 field=f"{UNIT}.los_days.sd", also="fix: give an sd of at most 10"),
    "gamma sd tiny": case(f"{UNIT}.los_days={{kind:gamma,mean:10,sd:0.0001}}", field=f"{UNIT}.los_days.sd",
                          also="fix: give an sd of at least 0.01, or use kind=fixed for a constant duration"),
    "lognormal sigma huge": case(f"{UNIT}.los_days={{kind:lognormal,mu:1,sigma:50}}",
                                 field=f"{UNIT}.los_days.sigma"),
    "lognormal mu infinite": case(f"{UNIT}.los_days={{kind:lognormal,mu:inf,sigma:1}}",
                                  field=f"{UNIT}.los_days.mu"),
    "lognormal mean implausible": case(f"{UNIT}.los_days={{kind:lognormal,mu:20,sigma:1}}",
                                       field=f"{UNIT}.los_days", also="mean"),
    "lognormal both parametrisations": case(
        f"{UNIT}.los_days={{kind:lognormal,mean:3,sd:1,mu:1,sigma:1}}", field=f"{UNIT}.los_days.mu"),
    "weibull shape zero": case(f"{UNIT}.los_days={{kind:weibull,shape:0,scale:3}}",
                               field=f"{UNIT}.los_days.shape"),
    "fixed value negative": case(f"{UNIT}.los_days={{kind:fixed,value:-1}}",
                                 field=f"{UNIT}.los_days.value"),
    "empirical empty": case(f"{UNIT}.los_days={{kind:empirical,values:[]}}",
                            field=f"{UNIT}.los_days.values"),
    "empirical strings": case(f"{UNIT}.los_days={{kind:empirical,values:[a,b]}}",
                              field=f"{UNIT}.los_days.values"),
    "uniform high below low": case(f"{UNIT}.los_days={{kind:uniform,low:5,high:1}}",
                                   field=f"{UNIT}.los_days.high"),
    "distribution unknown key": case(f"{UNIT}.los_days={{kind:exponential,mean:3,bogus:2}}",
                                     field=f"{UNIT}.los_days.bogus"),
    # -- Hydra-level mistakes -----------------------------------------------------------------------
    "unknown scenario": case("scenario=nope", field="scenario=nope",
                             also="there is no scenario of that name; fix: options: acute_pool, "),
    # "Could not find 'scenario/'" in Hydra's words (an unset shell variable, scenario=$S) (QA)
    "scenario empty": case("scenario=", field="scenario=", also="chooses no scenario (the name is empty); "
                           "fix: give one of its options, e.g. scenario=quick (options: acute_pool, "),
    "misspelt system": case("system=defualt", field="system=defualt",
                            also="fix: did you mean system=default? options: default"),
    # a nested group: it had Hydra's own sentence and no suggestion (found by a QA pass)
    "misspelt launcher": case("hydra/launcher=jobib", field="hydra/launcher=jobib",
                              also="there is no hydra/launcher of that name; fix: did you mean "
                                   "hydra/launcher=joblib? options: "),
    "scenario a number": case("scenario=5", field="scenario=5",
                              also="'scenario' is a config group, chosen by the name of one of its options; "
                                   "fix: give a name, e.g. scenario=acute_pool; options: acute_pool, "),
    "two scenarios without -m": case("scenario=quick,winter_surge", field="scenario=quick,winter_surge",
                                     also="several values are a sweep, run one job each only with -m; "
                                          "fix: flowsim -m scenario=quick,winter_surge, or choose one, "
                                          "e.g. scenario=quick"),
    "two seeds without -m": case("seed=1,2", field="seed=1,2",
                                 also="fix: flowsim -m seed=1,2, or give one value"),
    "a list without brackets": case("arrivals.day_of_week_multipliers=1,1,1,1,1,1,1",
                                    field="arrivals.day_of_week_multipliers",
                                    also="fix: a list goes in brackets, "
                                         "arrivals.day_of_week_multipliers=[1,1,1,1,1,1,1]; or sweep with"),
    "a group's name before a setting": case(
        "system.services.ic_beds.capacity=3", field="system.services.ic_beds.capacity",
        also="'system' is a config group, chosen whole with system=NAME, not a setting; "
             "fix: drop 'system.' from the key: services.ic_beds.capacity"),
    "a group's name before no setting": case(
        "scenario.units.ic_beds=3", field="scenario.units.ic_beds",
        also="fix: set settings by their own names (e.g. services.ic_beds.capacity=40)"),
    "unknown launcher": case("hydra/launcher=nope", field="hydra/launcher"),
    "override without a key": case("=5", field="'=5'"),
    "override with unbalanced braces": case(f"{UNIT}.los_days={{kind:exponential",
                                            field=f"{UNIT}.los_days"),
    "override with a stray brace": case("seed=}", field="seed"),
    "adding a key that exists": case("+seed=3", field="seed"),
    "interpolation to nowhere": case("seed=${nope}", field="seed"),
    "deleting a key that does not exist": case("~nonexistent", field="nonexistent"),
    "deleting a setting": case("~seed", field="seed", also="seed=42"),
    "deleting a section": case("~outputs", field="outputs", also="outputs.summary"),
    "deleting a section that is a group": case("~housing", field="housing", also="housing=off"),
    "deleting a setting without a default": case("~run.horizon_days", field="run.horizon_days",
                                                 also="cannot be deleted"),
    "empty output folder": case("hydra.run.dir=", field="hydra.run.dir", also="outputs/my_run"),
    # merged into what is there, {} empties nothing (the run used the system's arrangement delays)
    "an empty mapping of entries": case("pathways.arrangement_days={}", field="pathways.arrangement_days",
                                        also="~pathways.arrangement_days.NAME"),
    "an empty section": case("housing.coordinators={}", field="housing.coordinators",
                             also="housing.coordinators.fte=..."),
    "a cost basis without its source": case("+costs.bed_day_bases.mine={per_day: 10}",
                                            field="costs.bed_day_bases.mine.source", also="is missing"),
    "a number never given": case("housing=off", "housing.types.minor_repair.fix_days_coordinated="
                                 "{kind: gamma, mean: 5, sd: 2}", field="housing.types.minor_repair.share",
                                 also="is missing"),
    "a new unit left unset by hand": case("+services.step_up=???", field="services.step_up",
                                          also="give it whole, e.g. services.step_up={pathways: [P2]"),
    "a new cost basis left unset by hand": case("+costs.bed_day_bases.mine=???",
                                                field="costs.bed_day_bases.mine",
                                                also="e.g. costs.bed_day_bases.mine={per_day: 120, source:"),
    # housing off: its values are still checked, not left to fail the day it is switched on
    "a housing probability with housing off": case("housing=off", "housing.barrier_probability=7",
                                                   field="housing.barrier_probability", also="<= 1.0"),
    "a housing coordinator count with housing off": case("housing=off", "housing.coordinators.fte=-1",
                                                         field="housing.coordinators.fte", also=">= 0"),
    "a flat with housing off": case("housing=off", "housing.flats={x:{capacity:-2}}",
                                    field="housing.flats.x.capacity", also=">= 0"),
    "a referral delay with housing off": case("housing=off", "housing.referral_delay_days.kind=fixed",
                                              field="housing.referral_delay_days", also="needs value"),
    "an option after the overrides": case("-m", "seed=1,2", field="command line", also="-m"),
    "an unknown option": case("--bogus", field="command line", also="--bogus"),
    # -- the output folder and memory ---------------------------------------------------------------
    "output folder forbidden": case("hydra.run.dir=/proc/flowsim_forbidden", field="hydra.run.dir"),
    "output folder under a file": case("hydra.run.dir={dir}/afile/run", field="hydra.run.dir",
                                       files={"afile": b"not a folder"}),
    "memory cannot fit": case("run.horizon_days=36000", "arrivals.rate_per_day=20000",
                              field="run.horizon_days", also="GB"),
    # -- run.initial_census -------------------------------------------------------------------------
    "census path empty": case(*SHORT, f"{CENSUS}=", field=CENSUS, also="is empty"),
    "series path empty": case(*SHORT, f"{SERIES}=''", field=SERIES, also="null for none"),
    "series a list": case(f"{SERIES}=[a.csv]", field=SERIES,  # "Cannot convert 'list' to string" (QA)
                          also="takes one value, not a list (got [a.csv]); fix: give one, e.g. "
                               "arrivals.series_csv=a.csv"),
    "unit pathway listed twice": case(f"{UNIT}.pathways=[P2,P2]", field=f"{UNIT}.pathways", also="twice"),
    "unit contract of 0 days": case(f"{UNIT}.max_stay_days=0", field=f"{UNIT}.max_stay_days",
                                    also=">= 1e-06"),
    "census missing": case(*SHORT, f"{CENSUS}={{dir}}/nowhere.yaml", field=CENSUS, also="does not exist"),
    "census a folder": census("folder.yaml/", b"", also="not a file"),
    "census empty YAML": census("empty.yaml", b"", also="empty"),
    "census binary": census("binary.yaml", b"\x00\x01\x02\xff", also="line 1"),
    "census not UTF-8": census("latin1.yaml", "units:\n  ic_beds: {count: 2} # café\n".encode("latin-1"),
                               also="line 2"),
    "census YAML syntax": census("syntax.yaml", b"units:\n  ic_beds: {count: 2\n", also="line 3"),
    "census duplicate unit": census("dup.yaml", b"units:\n  ic_beds: {count: 2}\n  ic_beds: {count: 3}\n",
                                    also="twice"),
    "census a list": census("list.yaml", b"- 1\n- 2\n", also="mapping"),
    "census units a list": census("units_list.yaml", b"units: [1, 2]\n", also="units"),
    "census days a scalar": census("days.yaml", b"units:\n  ic_beds: {days_stayed: 5}\n",
                                   also="units.ic_beds.days_stayed"),
    "census nested junk": census("junk.yaml", b"units:\n  ic_beds: {days_stayed: [[1, 2], 3]}\n",
                                 also="units.ic_beds.days_stayed[0]"),
    "census days infinite": census("inf.yaml", b"units:\n  ic_beds: {days_stayed: [.inf]}\n",
                                   also="units.ic_beds.days_stayed[0]"),
    "census count huge": census("counth.yaml", b"units:\n  ic_beds: {count: 1000000000000}\n",
                                also="units.ic_beds.count"),
    "census count and days": census("both.yaml", b"units:\n  ic_beds: {count: 2, days_stayed: [1]}\n",
                                    also="units.ic_beds"),
    "census entry key typo": census("typo.yaml", b"units:\n  ic_beds: {cuont: 2}\n", also="cuont"),
    "census top key typo": census("top.yaml", b"unitz:\n  ic_beds: {count: 2}\n", also="units"),
    "census unknown unit": census("unit.yaml", b"units:\n  ic_bedz: {count: 2}\n", also="ic_beds"),
    "census over capacity": census("full.yaml", b"units:\n  ic_beds: {count: 5000}\n",
                                   also="full.yaml: 5,000 patients in ic_beds but it has"),
    "census waiting huge": census("wait.yaml", b"waiting:\n  P2: {count: 100000000}\n",
                                  also="waiting.P2.count"),
    "census above capacity": census("over.yaml", b"units:\n  ic_beds: {count: 40}\n", also="39 places"),
    "census python tag": census("tag.yaml", b"units: !!python/object/apply:os.system ['echo hi']\n",
                                also="line 1"),
    "census CSV empty": census("empty.csv", b"", also="empty"),
    "census CSV header only": census("header.csv", b"kind,name,days\n", also="no rows"),
    "census CSV no header": census("nohdr.csv", b"unit,ic_beds,3\n", also="line 1"),
    "census CSV short line": census("short.csv", b"kind,name,days\nunit,ic_beds\n", also="line 2"),
    "census CSV binary": census("binary.csv", b"kind,name,days\nunit,\x00ic,3\n", also="line 2"),
    "census CSV above capacity": census("over.csv", b"kind,name,days\n" + b"unit,ic_beds,\n" * 40,
                                        also="39 places"),
    # -- arrivals.series_csv ------------------------------------------------------------------------
    "series empty": series("empty.csv", b"", also="empty"),
    "series header only": series("header.csv", b"date,rate_per_day\n", also="no rows"),
    "series duplicate date": series("dup.csv", _rates(30) + b"2025-04-02,4\n", also="line 32"),
    "series infinite rate": series("inf.csv", b"date,rate_per_day\n2025-04-01,inf\n", also="line 2"),
    "series implausible rate": series("huge.csv", b"date,rate_per_day\n2025-04-01,1e9\n", also="line 2"),
    "series binary": series("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00", also="line"),
    "series UTF-16": series("utf16.csv", "date,rate_per_day\n2025-04-01,3\n".encode("utf-16"),
                            also="UTF-16"),
    "series date without dashes": series("nodash.csv", b"date,rate_per_day\n20250401,3\n", also="line 2"),
    "series column named twice": series("twice.csv", b"date,rate_per_day,rate_per_day\n2025-04-01,3,4\n",
                                        also="rate_per_day twice"),
    "series not UTF-8": series("latin1.csv", "date,rate_per_day\n2025-04-01,3 \xe9\n".encode("latin-1"),
                               also="line 2"),
}

_OWN = {"cfg/": b"", "cfg/system/": b""}  # a --config-dir of the user's own systems


def own_system(data: bytes, also: str) -> Case:
    """``system=mine`` from the user's ``--config-dir`` holding ``data``."""
    return case("--config-dir={dir}/cfg", "system=mine", field="cfg/system/mine.yaml", also=also,
                files={**_OWN, "cfg/system/mine.yaml": data})


CASES |= {
    # -- a system file of the user's own (--config-dir) ---------------------------------------------
    "own system YAML syntax": own_system(b"# @package _global_\nrun:\n  start_date: [\n", also="line 4"),
    "own system repeated key": own_system(b"# @package _global_\ndefaults:\n  - default\n  - _self_\n"
                                          b"services:\n  ic_beds:\n    capacity: 3\n    capacity: 4\n",
                                          also="given twice"),
    "own system not UTF-8": own_system("# @package _global_\n# caf\xe9\n".encode("latin-1"), also="line 2"),
    "own system without its package line": own_system(
        b"defaults:\n  - default\n  - _self_\nseed: 3\n",
        also="lacks its first line '# @package _global_', so its settings land under 'system'"),
    # Hydra reads the package line itself, and not behind a byte-order mark: the file "lacked its first
    # line '# @package _global_'" although it had it (QA)
    "own system saved with a byte-order mark": own_system(
        b"\xef\xbb\xbf# @package _global_\ndefaults:\n  - default\n  - _self_\nseed: 3\n",
        also="mine.yaml: starts with a byte-order mark (BOM: it was saved as 'UTF-8 with BOM'), which hides "
             "its first line '# @package _global_' from Hydra, so its settings land under 'system'; fix: "
             "save it as plain UTF-8, without the BOM"),
    "own system with a byte-order mark and no package line": own_system(
        b"\xef\xbb\xbfseed: 3\n", also="starts with a byte-order mark (BOM: it was saved as 'UTF-8 with "
        "BOM'), and lacks the line '# @package _global_' after it"),
    "own system empty": own_system(b"", also="is empty, so system=mine would change nothing"),
    "own system of comments only": own_system(b"# to fill in\n", also="is empty"),
    "own system setting a key named system": own_system(
        b"# @package _global_\ndefaults:\n  - default\n  - _self_\nsystem: 3\n",
        also="sets 'system', which is not a setting; fix: leave it out"),
    "own system with one value for a unit": own_system(
        b"# @package _global_\ndefaults:\n  - default\n  - _self_\nservices:\n  ic_beds: 5\n",
        also="mine.yaml: services.ic_beds: must be a mapping of settings, got 5; fix: write services.ic_beds "
             "as key: value pairs, e.g. capacity: 5 (its settings: pathways, capacity, los_days, "),
    "own system with one value for a length of stay": own_system(
        b"# @package _global_\ndefaults:\n  - default\n  - _self_\nservices:\n  ic_beds:\n    los_days: 9\n",
        also="mine.yaml: services.ic_beds.los_days: must be a mapping of settings, got 9; fix: give its kind "
             "and parameters, e.g. services.ic_beds.los_days: {kind: exponential, mean: 9}"),
    "own system with one value for the shares": own_system(
        b"# @package _global_\ndefaults:\n  - default\n  - _self_\npathways:\n  shares: 0.5\n",
        also="mine.yaml: pathways.shares: holds one entry per name (P0, P1, P2, P3), not one value"),
    "own system with a word for the seed": own_system(
        b"# @package _global_\ndefaults:\n  - default\n  - _self_\nseed: abc\n",
        also="mine.yaml: seed: must be a whole number, got 'abc'"),
    # 3.0 in a file is a whole number written as a decimal: "must be a whole number, got '3.0'" contradicted
    # itself, while replications=3.0 on the command line runs (found by a QA pass)
    "own system with a whole number written as a decimal": own_system(
        b"# @package _global_\ndefaults:\n  - default\n  - _self_\nreplications: 3.0\n",
        also="mine.yaml: replications: must be written as a whole number (3, not 3.0); fix: write 3, e.g. "
             "replications=3"),
    "own system from scratch": case(
        "--config-dir={dir}/cfg", "system=mine", field="services.ic_beds.pathways", also="is not set",
        files={**_OWN,
               "cfg/system/mine.yaml": b"# @package _global_\nservices:\n  ic_beds:\n    capacity: 3\n"}),
    "own system's default hidden by flowsim's": case(
        "--config-dir={dir}/cfg", "system=mine", field="cfg/system/default.yaml",
        also="name my_default in the defaults list of system/mine.yaml",
        files={**_OWN, "cfg/system/default.yaml": b"# @package _global_\nseed: 777\n",
               "cfg/system/mine.yaml": b"# @package _global_\ndefaults:\n  - default\n  - _self_\n"}),
    "own system hidden by flowsim's": case(
        "--config-dir={dir}/cfg", field="cfg/system/default.yaml", also="system=my_default",
        files={**_OWN, "cfg/system/default.yaml": b"# @package _global_\nseed: 777\n"}),
    "own scenario hidden by flowsim's": case(
        "--config-dir={dir}/cfg", field="cfg/scenario/quick.yaml", also="scenario=my_quick",
        files={"cfg/": b"", "cfg/scenario/": b"", "cfg/scenario/quick.yaml": b"# @package _global_\n"}),
    "own primary config hidden by flowsim's": case(
        "--config-dir={dir}/cfg", field="cfg/config.yaml", also="--config-name my_config",
        files={"cfg/": b"", "cfg/config.yaml": b"seed: 777\n"}),
}

SUBPROCESS_CASES = ("acute bed day cost infinite", "unit key typo with +", "census binary",
                    "override with unbalanced braces", "output folder forbidden", "unknown scenario",
                    "own system YAML syntax", "own system saved with a byte-order mark")


def _prepare(spec: Case, folder: Path) -> tuple[list[str], Path]:
    for name, data in spec.files.items():
        path = folder / name
        if name.endswith("/"):
            path.mkdir()
        else:
            path.write_bytes(data)
    out = folder / "out"
    # housing=off halves Hydra's composing time; cases about housing choose their own
    base = ["scenario=quick"] + ([] if any("housing" in a for a in spec.args) else ["housing=off"])
    given = [a.replace("{dir}", str(folder)) for a in spec.args]
    options = [a for a in given if a.startswith("--config-dir=")]  # options go before the overrides
    args = [*options, *base, f"hydra.run.dir={out}", *(a for a in given if a not in options)]
    return args, out


def run_in_process(args: list[str], capsys, monkeypatch) -> tuple[int, str, str]:
    """``flowsim ARGS`` in this process: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["flowsim", *args])
    monkeypatch.setenv("HYDRA_FULL_ERROR", "0")  # the CLI sets it; monkeypatch restores it
    GlobalHydra.instance().clear()
    code = 0
    try:
        main()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    finally:
        GlobalHydra.instance().clear()
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def check_one_line(code: int, out: str, err: str, spec: Case, folder: Path, result_dir: Path) -> str:
    assert code == 2, (code, err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("flowsim: error: ")
    assert spec.field in line, line
    assert "fix:" in line, line
    assert spec.also.replace("{dir}", str(folder)) in line, line
    written = [name for name in RESULT_FILES if (result_dir / name).exists()]
    assert not written, written
    return line


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_exit_2_and_nothing_is_written(name, tmp_path, capsys, monkeypatch):
    spec = CASES[name]
    args, out = _prepare(spec, tmp_path)
    monkeypatch.chdir(tmp_path)  # a case that would write where it starts (hydra.run.dir=) writes here
    code, stdout, stderr = run_in_process(args, capsys, monkeypatch)
    check_one_line(code, stdout, stderr, spec, tmp_path, out)
    assert not out.exists()  # validated before Hydra makes the output folder
    assert not [name for name in RESULT_FILES if (tmp_path / name).exists()]


@pytest.fixture(scope="module", autouse=True)
def started_user_runs(tmp_path_factory) -> Iterator[dict[str, tuple]]:
    """The subprocess cases as real ``python -m flowsim`` commands: (folder, args, output folder,
    process), started with the module so that they run while the in-process cases do."""
    started = {}
    for name in SUBPROCESS_CASES:
        folder = tmp_path_factory.mktemp("user")
        args, out = _prepare(CASES[name], folder)
        started[name] = (folder, args, out, subprocess.Popen(
            [sys.executable, "-m", "flowsim", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True))
    yield started
    for *_, proc in started.values():
        if proc.poll() is None:
            proc.kill()


@pytest.fixture(scope="module")
def user_runs(started_user_runs) -> dict[str, tuple[Path, list[str], Path, subprocess.CompletedProcess]]:
    """The finished subprocess cases."""
    runs = {}
    for name, (folder, args, out, proc) in started_user_runs.items():
        stdout, stderr = proc.communicate(timeout=300)
        runs[name] = (folder, args, out, subprocess.CompletedProcess(proc.args, proc.returncode, stdout,
                                                                     stderr))
    return runs


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_the_harness_sees_what_a_user_sees(name, user_runs, capsys, monkeypatch):
    folder, args, out, proc = user_runs[name]
    line = check_one_line(proc.returncode, proc.stdout, proc.stderr, CASES[name], folder, out)
    assert not out.exists()
    code, stdout, stderr = run_in_process(args, capsys, monkeypatch)
    assert (code, stdout, stderr.strip()) == (proc.returncode, proc.stdout, line)


def test_the_catalogue_is_large_and_covers_every_section():
    assert len(CASES) >= 100
    sections = ("seed", "replications", "n_jobs", "run.", "arrivals.", "pathways.", "services.",
                "after_p2.", "readmission.", "costs.", "housing.", "acute.", "outputs.", "precision.",
                "los_days", CENSUS, SERIES, "hydra.run.dir", "scenario")
    for section in sections:
        assert any(section in spec.field for spec in CASES.values()), section
