"""Housing KPIs of a hand-written episode log without coordinators, against hand-worked numbers.

Guards ``flowsim.measures.housing_metrics`` (with ``tests/test_metrics_by_hand.py``, which has a coordinator):
uncoordinated fixes, three flat schemes (one of them with no flats), void turnaround per flat with
occupants listed out of order, gaps outside the window, P2 beds blocked by housing when the fix or the
departure is missing, and a unit serving two pathways. Window [10, 40) (30 days), run stops at 45.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from test_metrics_by_hand import CONFIG, NAMES, REL, _series, episode_table, run_result
from test_metrics_by_hand import ROWS as STORIES

from flowsim import load_scenario, simulate
from flowsim.measures.housing_metrics import (
    _CLOCK_DAYS,
    REASONS,
    delay_reasons,
    housing_kpis,
    iter_delay_reasons,
)
from flowsim.measures.intervals import overlap_days
from flowsim.measures.metrics import compute_metrics

P0, P1, P2 = 0, 1, 2
REPAIR, REHOUSING = 0, 1
UNCOORDINATED = 0
AFTER_HOME, AFTER_HOME_P1, AFTER_P3 = 0, 1, 3
HOME_CARE, SHARED_BEDS, CARE_HOME = 0, 1, 2
# compute_metrics must not warn (e.g. "Mean of empty slice"): users would see it on the console
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")
CENSUS = 2

HOUSING_CONFIG = copy.deepcopy(CONFIG)
HOUSING_CONFIG["services"] = {
    "home_care": CONFIG["services"]["home_care"],
    "shared_beds": {"pathways": ["P2", "P3"], "capacity": 3,
                    "los_days": {"kind": "uniform", "low": 5.0, "high": 15.0}},
    "care_home": {"pathways": ["P3"], "capacity": 1,
                  "los_days": {"kind": "uniform", "low": 10.0, "high": 60.0}},
    "closed_ward": {"pathways": ["P3"], "capacity": 0, "los_days": {"kind": "fixed", "value": 20.0},
                    "cost_per_bed_week": 500.0},
}
HOUSING_CONFIG["services"]["home_care"] = {**CONFIG["services"]["home_care"],
                                           "los_days": {"kind": "uniform", "low": 4.0, "high": 60.0}}
HOUSING_CONFIG["housing"]["coordinators"] = {"fte": 0, "caseload_per_fte": 15, "when_full": "uncoordinated",
                                             "cost_per_fte_year": 36500.0}
HOUSING_CONFIG["housing"]["types"]["repair"]["fix_days_uncoordinated"] = {"kind": "uniform", "low": 1.0,
                                                                           "high": 20.0}
HOUSING_CONFIG["housing"]["types"]["rehousing"]["fix_days_uncoordinated"] = {"kind": "uniform",
                                                                              "low": 1.0, "high": 20.0}
_FLAT = {"reablement_days": {"kind": "fixed", "value": 1.0},
         "turnaround_days": {"kind": "uniform", "low": 0.5, "high": 5.0}}
HOUSING_CONFIG["housing"]["flats"] = {
    # scheme 0: 2 flats for rehousing barriers of P0 patients
    "step_down": {"capacity": 2, "barrier_types": ["rehousing"], "pathways": ["P0"], **_FLAT,
                  "max_stay_days": 7.0, "cost_per_flat_week": 70.0, "cost_per_over_length_day": 20.0},
    # scheme 1: 1 flat for repairs
    "annex": {"capacity": 1, "barrier_types": ["repair"], "pathways": ["P0"], **_FLAT,
              "max_stay_days": 5.0, "cost_per_flat_week": 140.0, "cost_per_over_length_day": 10.0},
    # scheme 2: none commissioned
    "spare": {"capacity": 0, **_FLAT, "cost_per_flat_week": 1000.0},
}
UNITS = ("home_care", "shared_beds", "care_home", "closed_ward")
HOUSING_NAMES = {**NAMES, "unit": UNITS, "onward_unit": UNITS,
                 "flat": ("step_down", "annex", "spare")}


def _in_flat(nctr, barrier, flat, slot, admit, leave, referred, done=math.nan, acute_leave=None):
    """A P0 patient with a barrier who waits for an uncoordinated fix in a step-down flat."""
    return dict(pathway=P0, nctr_day=nctr, acute_leave_day=admit if acute_leave is None else acute_leave,
                barrier=barrier, fix_route=UNCOORDINATED, fix_referred_day=referred,
                fix_start_day=referred, fix_done_day=done, flat=flat, flat_slot=slot, flat_admit_day=admit,
                flat_leave_day=leave, outcome=-1 if math.isnan(leave) else 0, end_day=leave)


# Listed out of order on purpose: the turnaround is measured per flat in order of moving in.
ROWS = [
    # step_down flat 0: R3 [20,30) after R2 [10,17) (NCTR and in exactly at the start of the window;
    # exactly the 7-day maximum stay) after R1 [2,9)
    _in_flat(20.0, REHOUSING, 0, 0, 20.0, 30.0, referred=21.0, done=30.0),  # R3
    _in_flat(2.0, REHOUSING, 0, 0, 2.0, 9.0, referred=3.0, done=9.0),  # R1
    _in_flat(10.0, REHOUSING, 0, 0, 10.0, 17.0, referred=11.0, done=17.0),  # R2
    # step_down flat 1: R4 [5,8); R5 waited in acute 7-9.5 for it, [9.5,10) (leaves exactly at the start
    # of the window); R6 [11,40) (fix done and out exactly at the horizon)
    _in_flat(5.0, REHOUSING, 0, 1, 5.0, 8.0, referred=6.0, done=8.0),  # R4
    _in_flat(11.0, REHOUSING, 0, 1, 11.0, 40.0, referred=12.0, done=40.0),  # R6
    _in_flat(7.0, REHOUSING, 0, 1, 9.5, 10.0, referred=8.0, done=10.0, acute_leave=9.5),  # R5
    # annex flat 0: R7 [15,25), R8 [27,37.5), R9 NCTR and in exactly at the horizon (40)
    _in_flat(15.0, REPAIR, 1, 0, 15.0, 25.0, referred=16.0, done=25.0),  # R7
    _in_flat(27.0, REPAIR, 1, 0, 27.0, 37.5, referred=28.0, done=37.5),  # R8
    _in_flat(40.0, REPAIR, 1, 0, 40.0, math.nan, referred=41.0),  # R9
    # J3: census patient in home care (its one place) from day -2 to after the end
    dict(pathway=P1, nctr_day=-2.0, acute_leave_day=-2.0, unit=HOME_CARE, unit_admit_day=-2.0,
         unit_closed_wait_days=0.0),
    # J2: census patient in the care home (its one place) from day -5 to 33
    dict(pathway=3, nctr_day=-5.0, acute_leave_day=-5.0, unit=CARE_HOME, unit_admit_day=-5.0,
         unit_closed_wait_days=0.0, service_end_day=33.0, unit_leave_day=33.0, outcome=1, end_day=33.0),
    # H1: P1, repair (no flat takes P1): in acute from 22 for the fix (done 31), then for home care
    # (full until after the end): censored
    dict(pathway=P1, nctr_day=22.0, barrier=REPAIR, fix_route=UNCOORDINATED,
         fix_referred_day=23.0, fix_start_day=23.0, fix_done_day=31.0),
    # H2: P2, repair, going home: P2 stay done at 24, fix not done by the end: still in the bed
    dict(pathway=P2, nctr_day=14.0, acute_leave_day=14.0, barrier=REPAIR, fix_route=UNCOORDINATED,
         fix_referred_day=15.0, fix_start_day=15.0, unit=SHARED_BEDS, unit_admit_day=14.0,
         unit_closed_wait_days=0.0, service_end_day=24.0, after_p2=AFTER_HOME, p2_stays=1),
    # H3: P2, repair, home with P1: stay done 26, fix done 21, still waiting for home care at the end
    dict(pathway=P2, nctr_day=16.0, acute_leave_day=16.0, barrier=REPAIR, fix_route=UNCOORDINATED,
         fix_referred_day=17.0, fix_start_day=17.0, fix_done_day=21.0, unit=SHARED_BEDS,
         unit_admit_day=16.0, unit_closed_wait_days=0.0, service_end_day=26.0, after_p2=AFTER_HOME_P1,
         p2_stays=1),
    # H4: P2, rehousing, on to P3 (no need of the home): stay done 28, waits in the bed (the shared beds
    # are full) for the care home, which J2 leaves at 33; the fix 19-35 runs on regardless
    dict(pathway=P2, nctr_day=18.0, acute_leave_day=18.0, barrier=REHOUSING, fix_route=UNCOORDINATED,
         fix_referred_day=19.0, fix_start_day=19.0, fix_done_day=35.0, unit=SHARED_BEDS,
         unit_admit_day=18.0, unit_closed_wait_days=0.0, service_end_day=28.0, unit_leave_day=33.0,
         after_p2=AFTER_P3, p2_stays=1, onward_unit=CARE_HOME, onward_admit_day=33.0,
         onward_closed_wait_days=0.0),
]
for _patient, _row in enumerate(ROWS):
    _row.update(patient=_patient, episode=0, origin=CENSUS if _row["nctr_day"] < 0 else 0)


# Function-scoped on purpose: mutmut links a test to the code it runs, and a module-scoped fixture
# would run (and be linked) only in the first test that asks for it.
@pytest.fixture
def metrics():
    return compute_metrics(run_result(HOUSING_CONFIG, ROWS, {}, HOUSING_NAMES))


# barriers: NCTR in [10, 40): R2 10, R3 20, R6 11, H4 18 (rehousing); R7 15, R8 27, H1 22, H2 14, H3 16
#   (repair); R1 2, R4 5, R5 7 are before the window, R9 (40) after it
# fixes done in [10, 40), all uncoordinated (start - done): R2 11-17 6, R3 21-30 9, R5 8-10 2, H4 19-35 16
#   (rehousing: 33 / 4 = 8.25); R7 16-25 9, R8 28-37.5 9.5, H1 23-31 8, H3 17-21 4 (repair: 30.5 / 4);
#   R6's at 40 is after the window, R1's and R4's before it
#   NCTR to done: R2 7, R3 10, R5 3, H4 17, R7 10, R8 10.5, H1 9, H3 5 = 71.5
EXPECTED = {
    "barriers": 9.0,
    "barriers_repair": 5.0,
    "barriers_rehousing": 4.0,
    "fixes_uncoordinated": 8.0,
    "fix_days_uncoordinated_mean": 7.9375,  # 63.5 / 8
    "fix_days_repair_uncoordinated_mean": 7.625,
    "fix_days_rehousing_uncoordinated_mean": 8.25,
    "fixes_coordinated": 0.0,
    "fix_days_coordinated_mean": math.nan,
    "fix_days_repair_coordinated_mean": math.nan,
    "fix_days_rehousing_coordinated_mean": math.nan,
    "housing_wait_days_mean": 8.9375,  # 71.5 / 8
    "coordinator_caseload_mean": 0.0,
    "coordinator_utilisation": math.nan,  # no coordinators: no caseload capacity
    "coordinator_queue_mean": 0.0,
    "coordinator_wait_days_mean": math.nan,
    # step_down: R2 [10,17) 7 + R3 [20,30) 10 + R6 [11,40) 29 = 46 of 2 flats x 30 days
    "flat_step_down_occupancy": 46 / 60,
    "flat_step_down_stays": 3.0,  # left in the window: R5 (at 10), R2, R3 (R6 at 40 is not)
    "flat_step_down_stay_days_mean": 17.5 / 3,  # (R5 0.5 + R2 7 + R3 10) / 3
    "flat_step_down_over_length_stays": 1.0,  # R3 (10 > 7); R2's 7 days are not over 7
    # voids before a move-in inside the window: flat 0 R1 9 -> R2 10 = 1, R2 17 -> R3 20 = 3;
    # flat 1 R5 10 -> R6 11 = 1 (R4 8 -> R5 9.5 is before the window)
    "flat_step_down_turnaround_days_mean": 5 / 3,
    # annex: R7 [15,25) 10 + R8 [27,37.5) 10.5 = 20.5 of 1 flat x 30 days
    "flat_annex_occupancy": 20.5 / 30,
    "flat_annex_stays": 2.0,
    "flat_annex_stay_days_mean": 10.25,
    "flat_annex_over_length_stays": 2.0,  # 10 and 10.5 > 5
    "flat_annex_turnaround_days_mean": 2.0,  # R7 25 -> R8 27 (R8 37.5 -> R9 40 is after the window)
    "flat_spare_occupancy": math.nan,  # no flats
    "flat_spare_stays": 0.0,
    "flat_spare_stay_days_mean": math.nan,
    "flat_spare_over_length_stays": 0.0,
    "flat_spare_turnaround_days_mean": math.nan,
    # step_down over 7 days: R3 [27,30) 3 + R6 [18,40) 22 = 25; annex over 5: R7 [20,25) 5 + R8 [32,37.5)
    # 5.5 = 10.5
    "flat_over_length_days": 35.5,
    # step_down 2 x 30 / 7 x 70 = 600 + 25 x 20 = 500; annex 1 x 30 / 7 x 140 = 600 + 10.5 x 10 = 105;
    # spare 0
    "cost_flats": 1805.0,
    "cost_coordinators": 0.0,  # 0 FTE
    "cost_housing": 1805.0,
    # H2 [24, 40): neither fix nor departure by the end: 16; H3: fix done (21) before its stay ended (26),
    # so its wait (for home care) is not housing: 0; H4 goes to P3: not counted
    "p2_blocked_by_housing_days": 16.0,
    # reasons: H1 waits in acute 22-31 for the fix (housing 9), then 31-40 for home care (P1 9); nobody
    # else is in acute in the window
    "delayed_days_reason_housing": 9.0,
    "delayed_days_reason_P1": 9.0,
    "delayed_days_reason_admin": 0.0,
    "delayed_days_total": 18.0,
    "delay_P1_mean_days": 23.0,  # H1, still waiting when the run stops: 45 - 22
    "delay_censored_n": 1.0,
    # shared_beds (P2+P3) blocked: H2 [24,40) 16 + H3 [26,40) 14 + H4 [28,33) 5 = 35
    "p2_blocked_bed_days": 35.0,
    # no P3 episode at all (J2 is a census patient)
    "delayed_days_total_P3": 0.0,
    "delay_P3_n": 0.0,
    "delay_P3_mean_days": math.nan,
    "delay_P3_p50_days": math.nan,
    "delay_P3_p90_days": math.nan,
    "delay_P3_p95_days": math.nan,
    "unit_closed_ward_utilisation": math.nan,  # no places commissioned
    "unit_closed_ward_mean_wait_days": math.nan,  # no admissions
    "unit_closed_ward_mean_occupied": 0.0,
    "unit_care_home_mean_wait_days": 5.0,  # H4's onward stay: asked at 28 (end of P2), admitted 33
    # NCTR in [10, 40): R2 (at 10), R3, R6, R7, R8, H1, H2, H3, H4; not R9 (at 40)
    "nctr_episodes": 9.0,
    # ended in [10, 40): home R5 (at 10), R2, R3, R7, R8 (R6 at 40 is not); care home J2 33
    "outcome_home": 5.0,
    "outcome_care_home": 1.0,
}


@pytest.mark.parametrize("key", list(EXPECTED))
def test_housing_kpi_by_hand(metrics, key):
    assert metrics.kpis[key] == pytest.approx(EXPECTED[key], rel=REL, abs=0.0, nan_ok=True), key
    assert type(metrics.kpis[key]) is float, key


# housing_kpis gives only the housing KPIs (not the units', delays' or outcomes')
_HOUSING_ONLY = [k for k in EXPECTED
                 if not k.startswith(("delay", "unit_", "nctr_", "outcome_", "p2_blocked_bed"))]


def test_housing_kpis_of_a_whole_log_by_hand(metrics):
    result = run_result(HOUSING_CONFIG, ROWS, {}, HOUSING_NAMES)
    s = result.scenario
    midnights = np.arange(10.0, 40.0)
    kpis, census = {}, {}
    housing_kpis(s, result.episodes, s.warm_up_days, s.horizon_days, midnights, census, kpis)
    for key in _HOUSING_ONLY:
        assert kpis[key] == pytest.approx(EXPECTED[key], rel=REL, abs=0.0, nan_ok=True), key
    assert census.keys() and {k: v.tolist() for k, v in census.items()} == {
        k: metrics.census[k].tolist() for k in census}  # the daily series compute_metrics gives


def test_a_stay_over_the_maximum_by_the_clock_rounding_alone_is_not_over_length():
    # A stay cut at an enforced maximum ends at admit + max on the clock, which may miss it by a
    # rounding error: up to _CLOCK_DAYS over the maximum is the maximum, anything longer is over.
    def over_length(leave_day):
        rows = copy.deepcopy(ROWS)
        r3 = rows[0]  # step_down (7-day maximum), in at 20
        r3["flat_leave_day"] = r3["end_day"] = r3["fix_done_day"] = leave_day
        return compute_metrics(run_result(HOUSING_CONFIG, rows, {}, HOUSING_NAMES)).kpis[
            "flat_step_down_over_length_stays"]

    at_tolerance = 7.0 + _CLOCK_DAYS
    assert (20.0 + at_tolerance) - 20.0 == at_tolerance  # the stay the metric computes is exactly that
    assert over_length(20.0 + at_tolerance) == 0.0  # R2's 7 days and R3's are both within it
    assert over_length(np.nextafter(20.0 + at_tolerance, np.inf)) == 1.0  # the next day on the clock


def test_units_with_two_pathways_and_with_no_places(metrics):
    shared, care_home, closed = metrics.units[1], metrics.units[2], metrics.units[3]
    assert shared["pathways"] == "P2+P3"
    assert shared["blocked_days"] == 35.0
    assert shared["admissions"] == 3  # H2 14, H3 16, H4 18
    assert shared["occupied_days"] == 65.0  # H2 [14,40) 26 + H3 [16,40) 24 + H4 [18,33) 15
    # H4's onward stay is an admission (J2, a census patient, is not): J2 [10,33) 23 + H4 [33,40) 7
    assert care_home["admissions"] == 1 and care_home["occupied_days"] == 30.0
    assert care_home["p_wait"] == 1.0
    assert closed["admissions"] == 0 and closed["mean_capacity"] == 0.0 and closed["occupied_days"] == 0.0
    assert math.isnan(closed["p_wait"]) and math.isnan(closed["utilisation"])
    assert math.isnan(closed["mean_wait_days"])
    assert closed["cost_block"] == 0.0  # 0 places x 500 a week


def test_housing_series_by_hand(metrics):
    census = metrics.census
    # step_down: R6 [11,40) in flat 1; R2 [10,17) and R3 [20,30) in flat 0 (R5 left at 10)
    np.testing.assert_array_equal(census["flat_occupied_step_down"], _series(
        {10: 1, **dict.fromkeys(range(11, 17), 2), **dict.fromkeys(range(17, 20), 1),
         **dict.fromkeys(range(20, 30), 2), **dict.fromkeys(range(30, 40), 1)}))
    np.testing.assert_array_equal(census["flat_occupied_annex"], _series(
        {**dict.fromkeys(range(15, 25), 1), **dict.fromkeys(range(27, 38), 1)}))
    np.testing.assert_array_equal(census["flat_occupied_spare"], np.zeros(30))
    np.testing.assert_array_equal(census["coordinator_caseload"], np.zeros(30))


def test_delay_reasons_per_episode():
    # delay_reasons gives each episode's acute days in the window by reason, in log order
    rows = [STORIES[name] for name in ("D", "K", "S", "C", "L")]
    reasons = delay_reasons(episode_table(rows), 10.0, 40.0)
    assert tuple(reasons) == ("housing", "calendar", "admin", "P1", "P2", "P3")
    assert set(REASONS) == set(reasons)
    # D: housing 14-17, P1 17-18 | K: P3 12.5-14, calendar 14-14.25 | S: housing 30-39 | C: admin 0.5
    # L: P3 38.5-40
    expected = {"housing": [3.0, 0.0, 9.0, 0.0, 0.0], "calendar": [0.0, 0.25, 0.0, 0.0, 0.0],
                "admin": [0.0, 0.0, 0.0, 0.5, 0.0], "P1": [1.0, 0.0, 0.0, 0.0, 0.0],
                "P2": [0.0] * 5, "P3": [0.0, 1.5, 0.0, 0.0, 1.5]}
    for reason, values in expected.items():
        np.testing.assert_array_equal(reasons[reason], values, err_msg=reason)


def test_a_referral_still_waiting_for_a_coordinator_counts_in_the_queue():
    # One coordinator place. K1 (P0, repair) is referred at 35 and coordinated from 35 until after the
    # end (45); K2 (P0, repair), referred at 36, is still waiting for the place when the run stops: its
    # fix has no start and no route yet, but it has been queuing since 36.
    config = copy.deepcopy(CONFIG)
    config["housing"]["types"]["repair"]["fix_days_coordinated"] = {"kind": "uniform", "low": 1.0,
                                                                    "high": 20.0}
    rows = [dict(patient=0, pathway=P0, nctr_day=34.0, barrier=REPAIR, fix_route=1, fix_referred_day=35.0,
                 fix_start_day=35.0),
            dict(patient=1, pathway=P0, nctr_day=35.0, barrier=REPAIR, fix_referred_day=36.0)]
    kpis = compute_metrics(run_result(config, rows, {})).kpis
    assert kpis["coordinator_queue_mean"] == pytest.approx(4 / 30, rel=REL)  # K2 [36, 40) over 30 days
    assert kpis["coordinator_caseload_mean"] == pytest.approx(5 / 30, rel=REL)  # K1 [35, 40)
    assert kpis["coordinator_wait_days_mean"] == 0.0  # waits of fixes started in the window: K1's 0


def test_delay_reasons_one_at_a_time_are_the_same_arrays_in_the_same_order():
    scenario = load_scenario(["scenario=quick", "housing=step_down_flats", "run.horizon_days=120"])
    log = simulate(scenario, 0).episodes
    for after_days in (0.0, 7.0):
        whole = delay_reasons(log, 30.0, 120.0, after_days)
        assert sorted(whole) == sorted(REASONS)
        # kept without copying: an array handed out is never changed afterwards
        streamed = list(iter_delay_reasons(log, 30.0, 120.0, after_days))
        assert [name for name, _ in streamed] == list(whole)
        for name, values in streamed:
            np.testing.assert_array_equal(values, whole[name])
        total = sum(values for _, values in streamed)
        np.testing.assert_allclose(total, overlap_days(log["nctr_day"] + after_days,
                                                       log["acute_leave_day"], 30.0, 120.0), atol=1e-9)
