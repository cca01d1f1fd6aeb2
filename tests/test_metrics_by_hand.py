"""Every KPI of a small episode log written by hand, against numbers worked out by hand.

Guards ``flowsim.measures.metrics``, ``flowsim.measures.housing_metrics`` and
``flowsim.measures.intervals``: what users read in
``metrics.json``, ``units.parquet``, ``census.parquet`` and the printed summary. The log below is what
the model would write for a tiny system (codes as ``flowsim.model.journey._Run.finish`` names them); every
expected value is a literal with its arithmetic in a comment. Nothing here calls the code under test
to compute an expected value.

The system: start Monday 2025-01-06 (day 0), warm-up 10, horizon 40, cool-down 5 (the run stops at
45), so the observation window is [10, 40): 30 days, midnights 10..39.

* unit 0 ``home_care`` (P1): 1 place, GBP 100 per occupied day, contracted maximum stay 6 days,
  GBP 30 per over-length day;
* unit 1 ``rehab_beds`` (P2): 2 beds, 3 from day 20 (2025-01-26), GBP 10 per occupied day, a 7-day
  admission premium of GBP 14 per bed-week and a block
  contract of GBP 70 per bed-week;
* unit 2 ``care_home`` (P3): 1 place, GBP 50 per occupied day, admits Monday to Friday 06:00-18:00;
* housing: barrier types ``repair`` (code 0) and ``rehousing`` (code 1); one coordinator FTE with a
  caseload of 1 at GBP 36,500 a year, policy ``wait``; step-down flats ``step_down``: 1 flat taking
  rehousing barriers of P0 patients, GBP 70 per flat-week, maximum stay 7 days, GBP 20 per
  over-length day;
* an acute bed-day costs GBP 400.

The episodes (times in days; "acute" = leaving the acute bed):

====  ======================================================================================
row   story
====  ======================================================================================
A     P2, NCTR 5 (warm-up), waits, rehab bed 12-22 (done 22), back to acute: readmitted
A1    A's next episode (origin readmission), P1, NCTR 28, home care 28-33 at once
B     P1, NCTR 2, home care 3-18: a warm-up straggler in a unit, over its maximum stay
C     P0, NCTR 11, home 11.5; readmitted later (after the run)
D     P1 with a repair barrier: NCTR 14, referred 15, coordinated fix 15-17, then asks for home care
      and waits (B leaves at 18), home care 18-24
E     P0 with a rehousing barrier: NCTR 20, into the flat at once (20), referred 21, waits for the
      coordinator until 27, fix 27-37, leaves the flat at 37 (17 days: over its 7-day maximum)
F     P2 with a rehousing barrier: NCTR 15.5, rehab bed 15.5, referred 16.5, coordinator 17-27,
      P2 stay done 25.5 but home only after the fix: leaves the bed at 27 (blocked by housing)
G     P2, NCTR 17.5, waits until the third bed opens at 20, stay done 30, goes home with P1:
      blocked in the rehab bed until home care frees at 33, home care 33-39.5
J     census patient (origin census) in the care home since day -3, leaves 14
K     P3, NCTR 12.5 (Saturday), the care-home place frees at 14.0 (Monday 00:00) but the unit
      opens at 14.25: waits 1.5 for a place and 0.25 for the calendar; still there at the end
L     P3, NCTR 38.5, still waiting when the run stops at 45: censored, delay 6.5 so far
P     P0, NCTR 39.75, home 40.25: waiting at the horizon, delay followed into the cool-down
S     P0 with a rehousing barrier: NCTR 30, referred 31, coordinator from 37 (after E), waits in
      acute for the flat (void after E 37-39), flat from 39; fix not done by the end
Z     P3, NCTR 42: began in the cool-down, counts nowhere
====  ======================================================================================
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from flowsim.measures.metrics import compute_metrics
from flowsim.model.eventlog import FINAL_OUTCOMES, FIX_ROUTES, ORIGINS, SCHEMA, EpisodeTable, RunResult
from flowsim.model.scenario import AFTER_P2_OUTCOMES, PATHWAYS, build_scenario

NAN = math.nan
REL = 1e-12
# compute_metrics must not warn (e.g. "Mean of empty slice"): users would see it on the console
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

CONFIG = {
    "seed": 1,
    "replications": 1,
    "n_jobs": 1,
    "run": {"start_date": "2025-01-06", "warm_up_days": 10, "horizon_days": 40, "cool_down_days": 5},
    "arrivals": {"rate_per_day": 0.5},
    "pathways": {"shares": {"P0": 0.4, "P1": 0.2, "P2": 0.2, "P3": 0.2},
                 "p0_admin_delay_days": {"kind": "uniform", "low": 0.0, "high": 1.0}},
    "services": {
        "home_care": {"pathways": ["P1"], "capacity": 1,
                      "los_days": {"kind": "uniform", "low": 4.0, "high": 16.0},
                      "cost_per_occupied_day": 100.0, "max_stay_days": 6.0,
                      "cost_per_over_length_day": 30.0},
        "rehab_beds": {"pathways": ["P2"], "capacity": 2,
                       "los_days": {"kind": "uniform", "low": 5.0, "high": 15.0},
                       "cost_per_occupied_day": 10.0, "cost_per_bed_week": 70.0,
                       "weekend_admission_premium_per_bed_week": 14.0,
                       "capacity_schedule": [{"start": "2025-01-26", "capacity": 3}]},
        "care_home": {"pathways": ["P3"], "capacity": 1,
                      "los_days": {"kind": "uniform", "low": 10.0, "high": 60.0},
                      "cost_per_occupied_day": 50.0,
                      # admits on weekdays only, so its premium is never paid
                      "weekend_admission_premium_per_bed_week": 500.0,
                      "admission": {"days": ["Mon", "Tue", "Wed", "Thu", "Fri"],
                                    "open_hour": 6.0, "close_hour": 18.0}},
    },
    "after_p2": {"shares": {"home": 0.4, "home_p1": 0.4, "readmission": 0.2}},
    "readmission": {"probability": {"P0": 0.1},
                    "time_to_readmission_days": {"kind": "uniform", "low": 0.0, "high": 30.0},
                    "clinical_los_days": {"kind": "fixed", "value": 6.0}},
    "costs": {"acute_bed_day": 400.0},
    "housing": {
        "enabled": True,
        "barrier_probability": 0.2,
        "referral_delay_days": {"kind": "fixed", "value": 1.0},
        "types": {
            "repair": {"share": 0.5, "fix_days_coordinated": {"kind": "fixed", "value": 2.0},
                       "fix_days_uncoordinated": {"kind": "fixed", "value": 8.0}},
            "rehousing": {"share": 0.5, "fix_days_coordinated": {"kind": "fixed", "value": 10.0},
                          "fix_days_uncoordinated": {"kind": "fixed", "value": 30.0}},
        },
        "coordinators": {"fte": 1, "caseload_per_fte": 1, "when_full": "wait",
                         "cost_per_fte_year": 36500.0},
        "flats": {"step_down": {"capacity": 1, "barrier_types": ["rehousing"], "pathways": ["P0"],
                                "reablement_days": {"kind": "fixed", "value": 3.0},
                                "turnaround_days": {"kind": "fixed", "value": 2.0},
                                "max_stay_days": 7.0, "cost_per_flat_week": 70.0,
                                "cost_per_over_length_day": 20.0}},
    },
}

# Codes as the model writes them.
ARRIVAL, READMISSION, CENSUS = 0, 1, 2
P0, P1, P2, P3 = 0, 1, 2, 3
HOME_CARE, REHAB, CARE_HOME = 0, 1, 2
AFTER_HOME, AFTER_HOME_P1, AFTER_READMISSION = 0, 1, 4
END_HOME, END_CARE_HOME, END_READMISSION = 0, 1, 3
REPAIR, REHOUSING = 0, 1
COORDINATED = 1

ROWS: dict[str, dict[str, float]] = {
    "A": dict(patient=0, episode=0, origin=ARRIVAL, pathway=P2, nctr_day=5.0, acute_leave_day=12.0,
              unit=REHAB, unit_request_day=5.0, unit_admit_day=12.0, unit_closed_wait_days=0.0,
              service_end_day=22.0,
              unit_leave_day=22.0, after_p2=AFTER_READMISSION, p2_stays=1, outcome=END_READMISSION,
              end_day=22.0, readmitted=1),
    # back at 22 + 6 (clinical stay)
    "A1": dict(patient=0, episode=1, origin=READMISSION, pathway=P1, nctr_day=28.0, acute_leave_day=28.0,
               unit=HOME_CARE, unit_request_day=28.0, unit_admit_day=28.0, unit_closed_wait_days=0.0,
               service_end_day=33.0,
               unit_leave_day=33.0, outcome=END_HOME, end_day=33.0),
    "B": dict(patient=1, episode=0, origin=ARRIVAL, pathway=P1, nctr_day=2.0, acute_leave_day=3.0,
              unit=HOME_CARE, unit_request_day=2.0, unit_admit_day=3.0, unit_closed_wait_days=0.0,
              service_end_day=18.0,
              unit_leave_day=18.0, outcome=END_HOME, end_day=18.0),
    "C": dict(patient=2, episode=0, origin=ARRIVAL, pathway=P0, nctr_day=11.0, acute_leave_day=11.5,
              outcome=END_HOME, end_day=11.5, readmitted=1),
    "D": dict(patient=3, episode=0, origin=ARRIVAL, pathway=P1, nctr_day=14.0, acute_leave_day=18.0,
              unit=HOME_CARE, unit_request_day=17.0, unit_admit_day=18.0, unit_closed_wait_days=0.0,
              service_end_day=24.0,
              unit_leave_day=24.0, outcome=END_HOME, end_day=24.0, barrier=REPAIR, fix_route=COORDINATED,
              fix_referred_day=15.0, fix_start_day=15.0, fix_done_day=17.0),
    "E": dict(patient=4, episode=0, origin=ARRIVAL, pathway=P0, nctr_day=20.0, acute_leave_day=20.0,
              outcome=END_HOME, end_day=37.0, barrier=REHOUSING, fix_route=COORDINATED,
              fix_referred_day=21.0, fix_start_day=27.0, fix_done_day=37.0, flat=0, flat_slot=0,
              flat_admit_day=20.0, flat_leave_day=37.0),
    "F": dict(patient=5, episode=0, origin=ARRIVAL, pathway=P2, nctr_day=15.5, acute_leave_day=15.5,
              unit=REHAB, unit_request_day=15.5, unit_admit_day=15.5, unit_closed_wait_days=0.0,
              service_end_day=25.5,
              unit_leave_day=27.0, after_p2=AFTER_HOME, p2_stays=1, outcome=END_HOME, end_day=27.0,
              barrier=REHOUSING, fix_route=COORDINATED, fix_referred_day=16.5, fix_start_day=17.0,
              fix_done_day=27.0),
    "G": dict(patient=6, episode=0, origin=ARRIVAL, pathway=P2, nctr_day=17.5, acute_leave_day=20.0,
              unit=REHAB, unit_request_day=17.5, unit_admit_day=20.0, unit_closed_wait_days=0.0,
              service_end_day=30.0,
              unit_leave_day=33.0, after_p2=AFTER_HOME_P1, p2_stays=1, onward_unit=HOME_CARE,
              onward_admit_day=33.0, onward_closed_wait_days=0.0, onward_leave_day=39.5,
              outcome=END_HOME, end_day=39.5),
    "J": dict(patient=13, episode=0, origin=CENSUS, pathway=P3, nctr_day=-3.0, acute_leave_day=-3.0,
              unit=CARE_HOME, unit_request_day=-3.0, unit_admit_day=-3.0, unit_closed_wait_days=0.0,
              service_end_day=14.0,
              unit_leave_day=14.0, outcome=END_CARE_HOME, end_day=14.0),
    "K": dict(patient=7, episode=0, origin=ARRIVAL, pathway=P3, nctr_day=12.5, acute_leave_day=14.25,
              unit=CARE_HOME, unit_request_day=12.5, unit_admit_day=14.25, unit_closed_wait_days=0.25),
    "L": dict(patient=9, episode=0, origin=ARRIVAL, pathway=P3, nctr_day=38.5),
    "P": dict(patient=10, episode=0, origin=ARRIVAL, pathway=P0, nctr_day=39.75, acute_leave_day=40.25,
              outcome=END_HOME, end_day=40.25),
    "S": dict(patient=8, episode=0, origin=ARRIVAL, pathway=P0, nctr_day=30.0, acute_leave_day=39.0,
              barrier=REHOUSING, fix_route=COORDINATED, fix_referred_day=31.0, fix_start_day=37.0,
              flat=0, flat_slot=0, flat_admit_day=39.0),
    "Z": dict(patient=11, episode=0, origin=ARRIVAL, pathway=P3, nctr_day=42.0),
}

NAMES = {
    "pathway": PATHWAYS,
    "unit": ("home_care", "rehab_beds", "care_home"),
    "onward_unit": ("home_care", "rehab_beds", "care_home"),
    "after_p2": AFTER_P2_OUTCOMES,
    "outcome": FINAL_OUTCOMES,
    "barrier": ("repair", "rehousing"),
    "fix_route": FIX_ROUTES,
    "flat": ("step_down",),
    "origin": ORIGINS,
}

# Admission calendar of the care home: open Mon-Fri (days d with d % 7 < 5) from d + 0.25 to d + 0.75,
# written out to the end of the run (45), starting closed at 0:00 on day 0.
CARE_HOME_CHANGES = [(0.0, False, 1)] + [
    change for d in range(45) if d % 7 < 5 for change in ((d + 0.25, True, 1), (d + 0.75, False, 1))]
REHAB_CHANGES = [(0.0, True, 2), (20.0, True, 3)]


def episode_table(rows: list[dict[str, float]], names: dict[str, tuple[str, ...]] = NAMES) -> EpisodeTable:
    """An :class:`EpisodeTable` of ``rows``; columns not given take the model's "not reached" value,
    except ``case_closed_day``: a case with no follow-up given closes when its fix is done."""
    default = {"f": NAN, "i": 0, "c": -1, "n": -1}
    columns = {}
    for name, kind in SCHEMA.items():
        values = [row.get(name, row.get("fix_done_day", NAN) if name == "case_closed_day" else default[kind])
                  for row in rows]
        columns[name] = np.asarray(values, dtype=float if kind == "f" else np.int64)
    return EpisodeTable(columns, names)


def run_result(config: dict, rows: list[dict[str, float]],
               availability: dict[str, list[tuple[float, bool, int]]],
               names: dict[str, tuple[str, ...]] = NAMES) -> RunResult:
    """``rows`` of a run of ``config`` as the model returns them (the counts are not used by metrics)."""
    scenario = build_scenario(config)
    log = episode_table(rows, names)
    return RunResult(scenario, 0, log, patients_arrived=14, patients_left=9, patients_in_system=5,
                     episodes_in_progress=5, availability=availability)


# Function-scoped on purpose: mutmut links a test to the code it runs, and a module-scoped fixture
# would run (and be linked) only in the first test that asks for it.
@pytest.fixture
def metrics():
    result = run_result(CONFIG, list(ROWS.values()),
                        {"rehab_beds": REHAB_CHANGES, "care_home": CARE_HOME_CHANGES})
    return compute_metrics(result)


def test_the_hand_written_availability_is_what_the_model_walks_through():
    from flowsim.model.availability import timeline

    scenario = build_scenario(CONFIG)
    for name, changes in (("rehab_beds", REHAB_CHANGES), ("care_home", CARE_HOME_CHANGES)):
        spec = scenario.unit(name)
        assert timeline(spec.availability, spec.capacity, scenario.start_date, scenario.end_days,
                        lambda _: np.random.default_rng(0)) == changes


# Every KPI of metrics.kpis, by hand. Delayed days are the parts of [NCTR, acute leave) inside [10, 40):
#   A [5,12) 2 (P2) | C [11,11.5) 0.5 (admin) | D [14,18) 4: housing 14-17 3, P1 17-18 1
#   G [17.5,20) 2.5 (P2) | K [12.5,14.25) 1.75: P3 12.5-14 1.5, calendar 14-14.25 0.25
#   L [38.5,40) 1.5 (P3) | P [39.75,40) 0.25 (admin) | S [30,39) 9 (housing: in acute until the flat)
#   A1, B, E, F, J: no time in acute inside the window; Z: after the horizon
# total 2 + 0.5 + 4 + 2.5 + 1.75 + 1.5 + 0.25 + 9 = 21.5
# Per episode (NCTR in [10, 40), not census): A1 0, C 0.5, D 4, E 0, F 0, G 2.5, K 1.75,
#   L 45 - 38.5 = 6.5 (censored: the run stops at 45), P 40.25 - 39.75 = 0.5, S 9 -> 10 episodes
#   sorted 0 0 0 0.5 0.5 1.75 2.5 4 6.5 9, sum 24.75
EXPECTED_KPIS: dict[str, float] = {
    "observed_days": 30.0,
    "nctr_episodes": 10.0,
    "nctr_arrivals_per_day": 10 / 30,
    "delayed_days_total": 21.5,
    "delayed_days_per_year": 21.5 * 365 / 30,  # 261.58333...
    "waiting_at_end": 2.0,  # L (still waiting) and P (leaves at 40.25): NCTR before 40, not left by 40
    "delay_censored_n": 1.0,  # L; Z is still waiting too but began in the cool-down
    "delay_n": 10.0,
    "delay_mean_days": 2.475,  # 24.75 / 10
    "delay_p50_days": 1.125,  # position 4.5 of 0..9: (0.5 + 1.75) / 2
    "delay_p90_days": 6.75,  # position 8.1: 6.5 + 0.1 * (9 - 6.5)
    "delay_p95_days": 7.875,  # position 8.55: 6.5 + 0.55 * 2.5
    # P0: C 0.5 + P 0.25 + S 9 = 9.75 delayed days; episodes C 0.5, E 0, P 0.5, S 9 (sorted 0 .5 .5 9)
    "delayed_days_total_P0": 9.75,
    "delay_P0_n": 4.0,
    "delay_P0_mean_days": 2.5,  # 10 / 4
    "delay_P0_p50_days": 0.5,  # position 1.5: (0.5 + 0.5) / 2
    "delay_P0_p90_days": 6.45,  # position 2.7: 0.5 + 0.7 * 8.5
    "delay_P0_p95_days": 7.725,  # position 2.85: 0.5 + 0.85 * 8.5
    # P1: D 4; episodes A1 0, D 4
    "delayed_days_total_P1": 4.0,
    "delay_P1_n": 2.0,
    "delay_P1_mean_days": 2.0,
    "delay_P1_p50_days": 2.0,
    "delay_P1_p90_days": 3.6,  # 0 + 0.9 * 4
    "delay_P1_p95_days": 3.8,  # 0 + 0.95 * 4
    # P2: A 2 + G 2.5 = 4.5; episodes F 0, G 2.5
    "delayed_days_total_P2": 4.5,
    "delay_P2_n": 2.0,
    "delay_P2_mean_days": 1.25,
    "delay_P2_p50_days": 1.25,
    "delay_P2_p90_days": 2.25,  # 0.9 * 2.5
    "delay_P2_p95_days": 2.375,  # 0.95 * 2.5
    # P3: K 1.75 + L 1.5 = 3.25; episodes K 1.75, L 6.5
    "delayed_days_total_P3": 3.25,
    "delay_P3_n": 2.0,
    "delay_P3_mean_days": 4.125,  # (1.75 + 6.5) / 2
    "delay_P3_p50_days": 4.125,
    "delay_P3_p90_days": 6.025,  # 1.75 + 0.9 * 4.75
    "delay_P3_p95_days": 6.2625,  # 1.75 + 0.95 * 4.75
    # reasons: admin C 0.5 + P 0.25; P1 D 1; P2 A 2 + G 2.5; P3 K 1.5 + L 1.5; housing D 3 + S 9;
    # calendar K 0.25. (E's flat stay and F's bed blocking are not acute days.) 0.75+1+4.5+3+12+0.25 = 21.5
    "delayed_days_reason_admin": 0.75,
    "delayed_days_reason_P1": 1.0,
    "delayed_days_reason_P2": 4.5,
    "delayed_days_reason_P3": 3.0,
    "delayed_days_reason_housing": 12.0,
    "delayed_days_reason_calendar": 0.25,
    # census: time-average 21.5 / 30; midnight counts (below) sum to 21 over 30 midnights: 11 zeros,
    # 17 ones, 2 twos; p95 at position 0.95 * 29 = 27.55 between the last 1 and the first 2: 1.55
    "nctr_census_mean": 21.5 / 30,
    "nctr_census_midnight_mean": 0.7,
    "nctr_census_midnight_p95": 1.55,
    # window Jan 16 - Feb 15, 2025: no July-August to compare with
    "nctr_census_winter_rise": NAN,
    # every midnight of the window is a winter day (Jan-Feb): as nctr_census_midnight_p95
    "nctr_census_winter_p95": 1.55,
    # left acute on their NCTR day: A1 (28), C (11 -> 11.5), E (20, to the flat), F (15.5) of the ten new
    # episodes A1, C, D, E, F, G, K, L, P, S
    "same_day_share": 0.4,
    # waits beyond 7 days: only S (NCTR 30, in acute until 39 waiting for its rehousing fix): [37, 39)
    "nctr_census_7plus_mean": 2 / 30,
    "nctr_census_7plus_share_admin": 0.0,
    "nctr_census_7plus_share_P1": 0.0,
    "nctr_census_7plus_share_P2": 0.0,
    "nctr_census_7plus_share_P3": 0.0,
    "nctr_census_7plus_share_housing": 1.0,
    "nctr_census_7plus_share_homeless": 0.0,
    "nctr_census_7plus_share_calendar": 0.0,
    # rehab_beds blocked: F 25.5-27 (housing) 1.5 + G 30-33 (waiting for home care) 3
    "p2_blocked_bed_days": 4.5,
    # home_care: occupied B [10,18) 8 + D [18,24) 6 + A1 [28,33) 5 + G [33,39.5) 6.5 = 25.5 of 1 x 30
    "unit_home_care_mean_occupied": 0.85,  # 25.5 / 30
    "unit_home_care_utilisation": 0.85,  # 25.5 / 30 place-days
    # from asking for the place: D 18-17 = 1 (after its fix), A1 0, G 33-30 = 3 (B admitted in warm-up)
    "unit_home_care_mean_wait_days": 4 / 3,
    "unit_home_care_blocked_days": 0.0,
    "unit_home_care_closed_days": 0.0,
    "unit_home_care_over_length_stays": 2.0,  # ended in the window over 6 days: B 15, G 6.5 (D 6 is not)
    # rehab_beds: occupied A [12,22) 10 + F [15.5,27) 11.5 + G [20,33) 13 = 34.5;
    # commissioned 2 x 10 (days 10-20) + 3 x 20 (days 20-40) = 80 bed-days
    "unit_rehab_beds_mean_occupied": 1.15,  # 34.5 / 30
    "unit_rehab_beds_utilisation": 0.43125,  # 34.5 / 80
    "unit_rehab_beds_mean_wait_days": 9.5 / 3,  # A 12-5 = 7, F 0, G 20-17.5 = 2.5
    "unit_rehab_beds_blocked_days": 4.5,
    "unit_rehab_beds_closed_days": 0.0,
    "unit_rehab_beds_over_length_stays": 0.0,  # no contracted maximum
    # care_home: occupied J [10,14) 4 + K [14.25,40) 25.75 = 29.75; closed: the window has 22 weekdays
    # (open 0.5 day each) and 8 weekend days: 30 - 22 x 0.5 = 19
    "unit_care_home_mean_occupied": 29.75 / 30,
    "unit_care_home_utilisation": 29.75 / 30,
    "unit_care_home_mean_wait_days": 1.75,  # K only (J is a census patient, not an admission)
    "unit_care_home_blocked_days": 0.0,
    "unit_care_home_closed_days": 19.0,
    "unit_care_home_over_length_stays": 0.0,
    # outcomes of episodes ending in [10, 40): home A1 33, B 18, C 11.5, D 24, E 37, F 27, G 39.5;
    # care home J 14; readmission A 22 (P ends at 40.25, after the horizon)
    "outcome_home": 7.0,
    "outcome_care_home": 1.0,
    "outcome_death": 0.0,
    "outcome_readmission": 1.0,
    "readmissions": 2.0,  # A (from the bed) and C (readmitted after a P0 discharge)
    # housing: barriers with NCTR in the window: D (repair), F, E, S (rehousing)
    "barriers": 4.0,
    "barriers_repair": 1.0,
    "barriers_rehousing": 3.0,
    # fixes done in the window, all coordinated: D 17-15 = 2 (repair), F 27-17 = 10, E 37-27 = 10
    "fixes_uncoordinated": 0.0,
    "fix_days_uncoordinated_mean": NAN,
    "fix_days_repair_uncoordinated_mean": NAN,
    "fix_days_rehousing_uncoordinated_mean": NAN,
    "fixes_coordinated": 3.0,
    "fix_days_coordinated_mean": 22 / 3,  # (2 + 10 + 10) / 3
    "fix_days_repair_coordinated_mean": 2.0,
    "fix_days_rehousing_coordinated_mean": 10.0,
    "housing_wait_days_mean": 10.5,  # NCTR to fix done: D 3, F 11.5, E 17 -> 31.5 / 3
    # caseload: D [15,17) 2 + F [17,27) 10 + E [27,37) 10 + S [37,40) 3 = 25 over 30 days, capacity 1
    "coordinator_caseload_mean": 25 / 30,
    "coordinator_utilisation": 25 / 30,
    # queue: F [16.5,17) 0.5 + E [21,27) 6 + S [31,37) 6 = 12.5 over 30 days
    "coordinator_queue_mean": 12.5 / 30,
    "coordinator_wait_days_mean": 3.125,  # starts in the window: D 0, F 0.5, E 6, S 6 -> 12.5 / 4
    # flat: E [20,37) 17 + S [39,40) 1 = 18 flat-days of 1 flat x 30 days
    "flat_step_down_occupancy": 0.6,
    "flat_step_down_stays": 1.0,  # E left at 37; S is still there
    "flat_step_down_stay_days_mean": 17.0,
    "flat_step_down_over_length_stays": 1.0,  # 17 > 7
    "flat_step_down_turnaround_days_mean": 2.0,  # void 37-39 before S moved in
    "flat_over_length_days": 10.0,  # E from 20 + 7 = 27 to 37
    "cost_flats": 500.0,  # 1 flat x 30 / 7 weeks x 70 = 300, + 10 over-length days x 20 = 200
    "cost_coordinators": 3000.0,  # 1 FTE x 36,500 x 30 / 365
    "cost_housing": 3500.0,
    "p2_blocked_by_housing_days": 1.5,  # F: P2 done 25.5, fix done 27
    "cost_delayed_days": 8600.0,  # 21.5 x 400
    # home_care 25.5 x 100 + 8.5 over-length days x 30 = 2,805; rehab_beds 34.5 x 10 + 80 / 7 x 70
    # + 80 / 7 x 14 (weekend premium, both days) = 1,305; care_home 29.75 x 50 = 1,487.5
    "cost_units": 5597.5,
    "cost_services": 9097.5,  # 5,597.5 + 3,500
    "cost_total": 17697.5,  # 8,600 + 9,097.5
}


def test_every_kpi_is_reported_and_nothing_else(metrics):
    assert sorted(metrics.kpis) == sorted(EXPECTED_KPIS)


@pytest.mark.parametrize("key", list(EXPECTED_KPIS))
def test_kpi_by_hand(metrics, key):
    expected = EXPECTED_KPIS[key]
    assert metrics.kpis[key] == pytest.approx(expected, rel=REL, abs=0.0, nan_ok=True), key
    assert type(metrics.kpis[key]) is float  # JSON-ready plain floats


EXPECTED_UNITS = [
    {"unit": "home_care", "pathways": "P1", "capacity": 1, "admissions": 3, "mean_occupied": 0.85,
     "utilisation": 0.85, "mean_capacity": 1.0, "closed_days": 0.0,
     "over_length_stays": 2.0,
     "over_length_days": 8.5,  # B [10,18) beyond 3 + 6 = 9: 8; G [39,39.5) beyond 33 + 6: 0.5
     "occupied_days": 25.5, "blocked_days": 0.0, "mean_wait_days": 4 / 3,
     "p_wait": 2 / 3,  # D and G waited, A1 did not
     "cost_occupied": 2550.0, "cost_block": 0.0, "cost_weekend_premium": 0.0,
     "cost_over_length": 255.0},  # 25.5 x 100; 8.5 x 30
    {"unit": "rehab_beds", "pathways": "P2", "capacity": 2, "admissions": 3,  # A 12, F 15.5, G 20
     "mean_occupied": 1.15, "utilisation": 0.43125,
     "mean_capacity": 80 / 30,  # (2 x 10 + 3 x 20) / 30
     "closed_days": 0.0, "over_length_stays": 0.0, "over_length_days": 0.0,
     "occupied_days": 34.5, "blocked_days": 4.5, "mean_wait_days": 9.5 / 3, "p_wait": 2 / 3,
     "cost_occupied": 345.0, "cost_block": 800.0,  # 80 / 7 x 70 = 800
     "cost_weekend_premium": 160.0, "cost_over_length": 0.0},  # 80 / 7 x 14 = 160
    {"unit": "care_home", "pathways": "P3", "capacity": 1, "admissions": 1, "mean_occupied": 29.75 / 30,
     "utilisation": 29.75 / 30, "mean_capacity": 1.0, "closed_days": 19.0, "over_length_stays": 0.0,
     "over_length_days": 0.0, "occupied_days": 29.75, "blocked_days": 0.0, "mean_wait_days": 1.75,
     "p_wait": 1.0, "cost_occupied": 1487.5, "cost_block": 0.0,
     "cost_weekend_premium": 0.0, "cost_over_length": 0.0},  # weekdays only: no premium
]


@pytest.mark.parametrize("index", range(3))
def test_unit_table_by_hand(metrics, index):
    got, expected = metrics.units[index], EXPECTED_UNITS[index]
    assert list(got) == list(expected)  # the columns of units.parquet, in order
    for key, value in expected.items():
        if isinstance(value, str):
            assert got[key] == value, key
        else:
            assert got[key] == pytest.approx(value, rel=REL, abs=0.0), key
            assert type(got[key]) is type(value), key


def _series(counts: dict[int, int]) -> list[int]:
    """Counts at midnights 10..39: the days given, zero elsewhere."""
    return [counts.get(day, 0) for day in range(10, 40)]


# Midnight t counts an interval [start, end) when start <= t < end.
EXPECTED_CENSUS = {
    # A [5,12): 10 11 | C [11,11.5): 11 | K [12.5,14.25): 13 14 | D [14,18): 14-17 | G [17.5,20): 18 19
    # S [30,39): 30-38 | L [38.5, end): 39 | P [39.75, 40.25): no midnight before 40
    "nctr_census": _series({10: 1, 11: 2, 13: 1, 14: 2, 15: 1, 16: 1, 17: 1, 18: 1, 19: 1,
                            **dict.fromkeys(range(30, 40), 1)}),
    "nctr_census_P0": _series({11: 1, **dict.fromkeys(range(30, 39), 1)}),
    "nctr_census_P1": _series(dict.fromkeys(range(14, 18), 1)),
    "nctr_census_P2": _series({10: 1, 11: 1, 18: 1, 19: 1}),
    "nctr_census_P3": _series({13: 1, 14: 1, 39: 1}),
    # B [3,18) | D [18,24) | A1 [28,33) | G (onward) [33,39.5)
    "occupied_home_care": _series({**dict.fromkeys(range(10, 24), 1), **dict.fromkeys(range(28, 40), 1)}),
    # A [12,22) | F [15.5,27) | G [20,33)
    "occupied_rehab_beds": _series({12: 1, 13: 1, 14: 1, 15: 1, 16: 2, 17: 2, 18: 2, 19: 2, 20: 3, 21: 3,
                                    **dict.fromkeys(range(22, 27), 2), **dict.fromkeys(range(27, 33), 1)}),
    # J [-3,14) | K [14.25, end): the place is empty at midnight 14
    "occupied_care_home": _series({**dict.fromkeys(range(10, 14), 1), **dict.fromkeys(range(15, 40), 1)}),
    # D [15,17) | F [17,27) | E [27,37) | S [37, end)
    "coordinator_caseload": _series(dict.fromkeys(range(15, 40), 1)),
    # E [20,37) | S [39, end)
    "flat_occupied_step_down": _series({**dict.fromkeys(range(20, 37), 1), 39: 1}),
}


def test_census_series_by_hand(metrics):
    census = metrics.census
    assert list(census) == ["day", "date", "nctr_census", "nctr_census_P0", "nctr_census_P1",
                            "nctr_census_P2", "nctr_census_P3", "occupied_home_care", "places_home_care",
                            "occupied_rehab_beds", "places_rehab_beds", "occupied_care_home",
                            "places_care_home", "coordinator_caseload", "flat_occupied_step_down"]
    # places in force at midnights 10..39: rehab_beds 2, then 3 from its step on day 20 (a change at
    # midnight counts at that midnight); care_home's weekday calendar closes it to admissions only
    np.testing.assert_array_equal(census["places_home_care"], [1] * 30)
    np.testing.assert_array_equal(census["places_rehab_beds"], [2] * 10 + [3] * 20)
    np.testing.assert_array_equal(census["places_care_home"], [1] * 30)
    np.testing.assert_array_equal(census["day"], np.arange(10.0, 40.0))
    assert census["day"].dtype == np.float64
    assert census["date"].dtype == np.dtype("datetime64[D]")
    assert census["date"][0] == np.datetime64("2025-01-16")  # 2025-01-06 + 10 days
    assert census["date"][-1] == np.datetime64("2025-02-14")  # + 39 days
    np.testing.assert_array_equal(census["date"], np.arange("2025-01-16", "2025-02-15",
                                                            dtype="datetime64[D]"))
    for name, expected in EXPECTED_CENSUS.items():
        np.testing.assert_array_equal(census[name], expected, err_msg=name)
    assert sum(EXPECTED_CENSUS["nctr_census"]) == 21  # the midnight mean above is 21 / 30



# -- the acute bed pool --------------------------------------------------------------------------------
# With acute.enabled, arrivals ask for one of 2 acute beds (admission_request_day), are admitted
# (admission_day), become NCTR after the clinical stay and keep the bed until acute_leave_day.
ACUTE_CONFIG = {**CONFIG, "acute": {"enabled": True, "beds": 2,
                                    "clinical_los_days": {"kind": "uniform", "low": 1.0, "high": 5.0}}}
ACUTE_ROWS = [
    # Q1: in a bed 5-12 | Q2: 11-15 (a bed was free) | Q3 asks at 11.5, boards until Q1 leaves at 12
    dict(patient=0, origin=ARRIVAL, pathway=P0, admission_request_day=5.0, admission_day=5.0,
         nctr_day=8.0, acute_leave_day=12.0, outcome=END_HOME, end_day=12.0),
    dict(patient=1, origin=ARRIVAL, pathway=P0, admission_request_day=11.0, admission_day=11.0,
         nctr_day=13.0, acute_leave_day=15.0, outcome=END_HOME, end_day=15.0),
    dict(patient=2, origin=ARRIVAL, pathway=P0, admission_request_day=11.5, admission_day=12.0,
         nctr_day=14.0, acute_leave_day=20.0, outcome=END_HOME, end_day=20.0),
    # Q4 asks at 14, boards until Q2 leaves at 15, in a bed 15-25
    dict(patient=3, origin=ARRIVAL, pathway=P0, admission_request_day=14.0, admission_day=15.0,
         nctr_day=18.0, acute_leave_day=25.0, outcome=END_HOME, end_day=25.0),
    # Q6 from 30, NCTR 33, still in the bed at the end | Q7 from 31, leaves at 41 (cool-down)
    dict(patient=4, origin=ARRIVAL, pathway=P3, admission_request_day=30.0, admission_day=30.0,
         nctr_day=33.0),
    dict(patient=5, origin=ARRIVAL, pathway=P0, admission_request_day=31.0, admission_day=31.0,
         nctr_day=35.0, acute_leave_day=41.0, outcome=END_HOME, end_day=41.0),
    # Q5 asks at 39, admitted at 41 (after the horizon) | Q8 asks at 39.5, never admitted
    dict(patient=6, origin=ARRIVAL, pathway=-1, admission_request_day=39.0, admission_day=41.0),
    dict(patient=7, origin=ARRIVAL, pathway=-1, admission_request_day=39.5),
    # a census patient in the care home from the start: never took a pool bed (no admission_day)
    dict(patient=8, origin=CENSUS, pathway=P3, nctr_day=-3.0, acute_leave_day=-3.0, unit=CARE_HOME,
         unit_request_day=-3.0, unit_admit_day=-3.0, unit_closed_wait_days=0.0),
]


def test_acute_bed_pool_kpis_by_hand():
    result = run_result(ACUTE_CONFIG, ACUTE_ROWS, {})
    metrics = compute_metrics(result)
    kpis = metrics.kpis
    # beds occupied in [10, 40): Q1 [10,12) 2 + Q2 [11,15) 4 + Q3 [12,20) 8 + Q4 [15,25) 10
    #   + Q6 [30,40) 10 + Q7 [31,40) 9 = 43 bed-days of 2 beds x 30 days
    expected = {
        "acute_bed_occupancy": 43 / 60,
        "acute_admissions": 5.0,  # admitted in the window: Q2 11, Q3 12, Q4 15, Q6 30, Q7 31
        "acute_admissions_delayed": 2.0,  # Q3 and Q4 boarded
        "ed_boarding_hours_total": 36.0,  # Q3 0.5 d = 12 h, Q4 1 d = 24 h
        "ed_boarding_hours_mean": 7.2,  # (0 + 12 + 24 + 0 + 0) / 5
        "ed_boarding_hours_p95": 21.6,  # sorted 0 0 0 12 24, position 3.8: 12 + 0.8 x 12
        "ed_boarding_at_end": 2.0,  # asked before 40, not admitted by 40: Q5, Q8
    }
    acute_keys = [k for k in kpis if k.startswith(("acute_", "ed_"))]
    assert acute_keys == list(expected)
    for key, value in expected.items():
        assert kpis[key] == pytest.approx(value, rel=REL, abs=0.0), key
        assert type(kpis[key]) is float, key
    # midnight counts of occupied beds: Q1 10 11 | Q2 11-14 | Q3 12-19 | Q4 15-24 | Q6 30-39 | Q7 31-39
    beds = _series({10: 1, 11: 2, **dict.fromkeys(range(12, 20), 2), **dict.fromkeys(range(20, 25), 1),
                    30: 1, **dict.fromkeys(range(31, 40), 2)})
    np.testing.assert_array_equal(metrics.census["acute_beds_occupied"], beds)
    # the rest of the metrics do not change with the acute pool: delays still run from NCTR
    # (Q1 [10,12) 2 + Q2 [13,15) 2 + Q3 [14,20) 6 + Q4 [18,25) 7 + Q6 [33,40) 7 + Q7 [35,40) 5 = 29)
    assert kpis["delayed_days_total"] == pytest.approx(29.0, rel=REL)


def test_acute_kpis_with_nobody_admitted_in_the_window():
    # one request at 39.5 never admitted: no admissions, so the mean and p95 of boarding are NaN
    rows = [dict(patient=0, origin=ARRIVAL, pathway=-1, admission_request_day=39.5)]
    kpis = compute_metrics(run_result(ACUTE_CONFIG, rows, {})).kpis
    assert kpis["acute_admissions"] == 0.0 and kpis["ed_boarding_hours_total"] == 0.0
    assert math.isnan(kpis["ed_boarding_hours_mean"]) and math.isnan(kpis["ed_boarding_hours_p95"])
    assert kpis["ed_boarding_at_end"] == 1.0
    assert kpis["acute_bed_occupancy"] == 0.0


def test_acute_kpis_at_the_window_edges():
    rows = [
        # Y1 asks at 9.5 and is admitted exactly at the start of the window (10): an admission, 12 h boarding
        dict(patient=0, origin=ARRIVAL, pathway=P0, admission_request_day=9.5, admission_day=10.0,
             nctr_day=12.0, acute_leave_day=15.0, outcome=END_HOME, end_day=15.0),
        # Y4 boards for 1/64 day = 22.5 minutes (0.375 h): delayed, if briefly
        dict(patient=1, origin=ARRIVAL, pathway=P0, admission_request_day=20.0, admission_day=20.015625,
             nctr_day=22.0, acute_leave_day=24.0, outcome=END_HOME, end_day=24.0),
        # Y2 asks at 39.5, admitted exactly at the horizon (40): not an admission of the window, and still
        # boarding at the end of it
        dict(patient=2, origin=ARRIVAL, pathway=-1, admission_request_day=39.5, admission_day=40.0),
        # Y3 asks exactly at the horizon: after the window
        dict(patient=3, origin=ARRIVAL, pathway=-1, admission_request_day=40.0, admission_day=40.25),
    ]
    kpis = compute_metrics(run_result(ACUTE_CONFIG, rows, {})).kpis
    expected = {
        "acute_admissions": 2.0,  # Y1, Y4
        "acute_admissions_delayed": 2.0,
        "ed_boarding_hours_total": 12.375,  # 12 + 0.375
        "ed_boarding_hours_mean": 6.1875,
        "ed_boarding_hours_p95": 11.41875,  # 0.375 + 0.95 x (12 - 0.375)
        "ed_boarding_at_end": 1.0,  # Y2
        "acute_bed_occupancy": 8.984375 / 60,  # Y1 [10,15) 5 + Y4 [20.015625,24) 3.984375 of 2 x 30
    }
    for key, value in expected.items():
        assert kpis[key] == pytest.approx(value, rel=REL, abs=0.0), key


def test_commissioned_capacity_counts_from_the_first_day():
    # warm-up 0.5: the window [0.5, 40) starts before the first whole day; rehab_beds has 2 beds until
    # day 20, then 3: 2 x 19.5 + 3 x 20 = 99 bed-days over 39.5 days, at GBP 70 a bed-week
    config = {**CONFIG, "run": {**CONFIG["run"], "warm_up_days": 0.5}}
    rehab = compute_metrics(run_result(config, [], {"rehab_beds": REHAB_CHANGES})).units[1]
    assert rehab["mean_capacity"] == pytest.approx(99 / 39.5, rel=REL)
    assert rehab["cost_block"] == pytest.approx(99 / 7 * 70, rel=REL)  # 990
    assert rehab["closed_days"] == 0.0


# -- events exactly on the edges of the window ---------------------------------------------------------
# One place of home care (closed to admissions 20-22 by an outbreak), two coordinator places (policy
# wait), the step-down flat also taking P1 patients. Every story below has a step exactly at 10 (the
# start of the window, inside it) or at 40 (the horizon, outside it).
EDGE_CONFIG = copy.deepcopy(CONFIG)
EDGE_CONFIG["services"]["home_care"]["closures"] = {"outbreaks_per_year": 5.0,
                                                    "duration_days": {"kind": "fixed", "value": 2.0}}
EDGE_CONFIG["housing"]["coordinators"].update(fte=2, caseload_per_fte=1)
for _kind in EDGE_CONFIG["housing"]["types"].values():
    _kind["fix_days_coordinated"] = {"kind": "uniform", "low": 1.0, "high": 30.0}
EDGE_CONFIG["housing"]["flats"]["step_down"]["pathways"] = ["P0", "P1"]
HOME_CARE_OUTBREAK = [(0.0, True, 1), (20.0, False, 1), (22.0, True, 1)]


def _p0(patient, nctr, leave, **more):
    row = dict(patient=patient, origin=ARRIVAL, pathway=P0, nctr_day=nctr, acute_leave_day=leave,
               outcome=-1 if math.isnan(leave) else END_HOME, end_day=leave)
    row.update(more)
    return row


def _repair(referred, start, done=NAN):
    return dict(barrier=REPAIR, fix_route=-1 if math.isnan(start) else COORDINATED,
                fix_referred_day=referred, fix_start_day=start, fix_done_day=done)


def _home_care(patient, nctr, admit, leave, **more):
    row = dict(patient=patient, origin=ARRIVAL, pathway=P1, nctr_day=nctr, acute_leave_day=admit,
               unit=HOME_CARE, unit_request_day=nctr, unit_admit_day=admit, unit_closed_wait_days=0.0,
               service_end_day=leave,
               unit_leave_day=leave, outcome=-1 if math.isnan(leave) else END_HOME, end_day=leave)
    row.update(more)
    return row


EDGE_ROWS = [
    _p0(0, 10.0, 10.5),  # N1: NCTR exactly at 10
    _p0(1, 40.0, 40.5),  # N2: NCTR exactly at 40
    _p0(2, 39.5, 40.0),  # N3: leaves acute exactly at 40: still waiting at the horizon
    # coordinated repairs (P0, in acute until the fix is done): C6 [3,10) and C7 [5,11) hold both
    # places, so C1 (referred 9) starts exactly at 10 when C6 is done exactly at 10
    _p0(3, 2.0, 10.0, **_repair(3.0, 3.0, 10.0)),  # C6
    _p0(4, 4.0, 11.0, **_repair(5.0, 5.0, 11.0)),  # C7
    _p0(5, 8.0, 12.0, **_repair(9.0, 10.0, 12.0)),  # C1
    # V: P1 with a rehousing barrier, in the flat from 17; coordinated fix 18-20.5; home care is free but
    # closed by the outbreak until 22 (closed wait 22 - 20.5 = 1.5), home care 22-28: a closed wait
    # spent in a flat, not in acute
    dict(patient=6, origin=ARRIVAL, pathway=P1, nctr_day=17.0, acute_leave_day=17.0, barrier=REHOUSING,
         fix_route=COORDINATED, fix_referred_day=18.0, fix_start_day=18.0, fix_done_day=20.5, flat=0,
         flat_slot=0, flat_admit_day=17.0, flat_leave_day=22.0, unit=HOME_CARE, unit_request_day=20.5,
         unit_admit_day=22.0,
         unit_closed_wait_days=1.5, service_end_day=28.0, unit_leave_day=28.0, outcome=END_HOME,
         end_day=28.0),
    _p0(7, 20.0, NAN, **_repair(21.0, 21.0)),  # C4: coordinated from 21 to after the end
    _p0(8, 25.0, 40.0, **_repair(26.0, 26.0, 40.0)),  # C5: fix done exactly at 40
    _p0(9, 37.0, NAN, **_repair(38.0, 40.0)),  # C2: queued 38, starts exactly at 40 (C5's place)
    _p0(10, 37.5, NAN, **_repair(38.5, NAN)),  # C3: queued from 38.5 to the end
    # home care: U1 [3.5,10) leaves exactly at 10, U3 admitted exactly at 10 after waiting 0.5;
    # U2 [33.5,40) leaves exactly at 40, U4 admitted exactly at 40 after waiting 1
    _home_care(11, 3.0, 3.5, 10.0),  # U1: 6.5 days, over the 6-day maximum
    _home_care(12, 9.5, 10.0, 16.0),  # U3: 6 days, not over
    _home_care(13, 33.5, 33.5, 40.0),  # U2: 6.5 days
    _home_care(14, 39.0, 40.0, NAN),  # U4
]


def test_kpis_of_events_exactly_on_the_window_edges():
    metrics = compute_metrics(run_result(EDGE_CONFIG, EDGE_ROWS, {"home_care": HOME_CARE_OUTBREAK}))
    kpis, home_care = metrics.kpis, metrics.units[HOME_CARE]
    expected = {
        # NCTR in [10, 40): N1 (10), N3, V, C4, C5, C2, C3, U2, U4; not N2 (40)
        "nctr_episodes": 9.0,
        # NCTR before 40 and not out of acute before 40: N3 (40), C4, C5 (40), C2, C3, U4 (40)
        "waiting_at_end": 6.0,
        # ended in [10, 40): N1 10.5, C6 10, C7 11, C1 12, V 28, U1 10, U3 16 (N3, C5, U2 at 40 are not)
        "outcome_home": 7.0,
        # home care: admitted in [10, 40): U3 (10, waited 0.5), V (22, asked at its fix 20.5: 1.5),
        # U2 (0); not U4 (40)
        "unit_home_care_mean_wait_days": 2 / 3,
        # stays ended in [10, 40) over 6 days: U1 (ends at 10, 6.5); not U3 (6), V (6), U2 (ends at 40)
        "unit_home_care_over_length_stays": 1.0,
        "unit_home_care_closed_days": 2.0,  # the outbreak 20-22
        # caseload: C7 [10,11) 1 + C1 [10,12) 2 + V [18,20.5) 2.5 + C4 [21,40) 19 + C5 [26,40) 14 = 38.5
        # (C6 ended at 10, C2 starts at 40), of 2 places
        "coordinator_caseload_mean": 38.5 / 30,
        "coordinator_utilisation": 38.5 / 60,
        "coordinator_queue_mean": 3.5 / 30,  # C2 [38,40) 2 + C3 [38.5,40) 1.5 (C1's [9,10) is before)
        # fixes started in [10, 40): C1 (10, waited 1), V, C4, C5 (0); not C2 (40)
        "coordinator_wait_days_mean": 0.25,
        # done in [10, 40): C6 (10) 7, C7 6, C1 2 (repair), V 2.5 (rehousing); not C5 (40)
        "fixes_coordinated": 4.0,
        "fix_days_coordinated_mean": 4.375,  # 17.5 / 4
        "fix_days_repair_coordinated_mean": 5.0,
        "fix_days_rehousing_coordinated_mean": 2.5,
        # acute days: housing C7 [10,11) 1 + C1 [10,12) 2 + C4 [20,40) 20 + C5 [25,40) 15 + C2 [37,40) 3
        # + C3 [37.5,40) 2.5 = 43.5; admin N1 0.5 + N3 0.5; P1 U4 [39,40) 1; V's closed wait was spent in
        # the flat: no calendar days
        "delayed_days_reason_housing": 43.5,
        "delayed_days_reason_admin": 1.0,
        "delayed_days_reason_P1": 1.0,
        "delayed_days_reason_calendar": 0.0,
        "delayed_days_total": 45.5,
    }
    for key, value in expected.items():
        assert kpis[key] == pytest.approx(value, rel=REL, abs=0.0), key
    assert home_care["admissions"] == 3
    assert home_care["p_wait"] == pytest.approx(2 / 3, rel=REL)  # U3 (0.5 day) and V waited; U2 did not
