"""SitRep-style measures (flowsim.measures.sitrep) of a small hand-written log, worked out by hand.

Window [0, 30) (no warm-up, no cool-down). Long delays are the part of each wait beyond 7 days.

====  ===========================================================================================
row   story
====  ===========================================================================================
a     P0, NCTR 1.2, home 1.5: the same day
b     P0, NCTR 2.9, home 3.1: past midnight, not the same day
c     P1, NCTR 5, waits for a place until 15: long part [12, 15) = 3 days P1
d     P0 homeless: NCTR 4, fix done 20, home 20.5: long part [11, 20) = 9 homeless + [20, 20.5) admin
e     P2, NCTR 25, still waiting at the end: its long part starts at 32, outside the window
f     P1 with a repair barrier: NCTR 10, fix done 19, asks for a place at 19, admitted 21: long part
      [17, 19) = 2 housing + [19, 21) = 2 P1
g     census patient (P0) waiting since -5, home 3: long part [2, 3) = 1 admin; not a new episode
h     P3, NCTR 0.5, admitted 9 after 3 days closed to admissions ([6, 9)): long part [7.5, 9) = 1.5
      calendar, no P3
====  ===========================================================================================

Long-delay days: P1 3 + 2 = 5, homeless 9, admin 0.5 + 1 = 1.5, housing 2, calendar 1.5: 19 in all.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from flowsim.measures.sitrep import (
    SITREP_REASONS,
    seasonal_rise,
    sitrep_from_tally,
    sitrep_kpis,
    winter_quantile,
)
from flowsim.measures.tally import Tally
from flowsim.model.eventlog import FINAL_OUTCOMES, FIX_ROUTES, ORIGINS, SCHEMA, EpisodeTable
from flowsim.model.scenario import AFTER_P2_OUTCOMES, PATHWAYS, build_scenario

NAN = math.nan
ARRIVAL, CENSUS = 0, 2
P0, P1, P2, P3 = range(4)
REPAIR, HOMELESS = 0, 1
UNIT = {"P1": 0, "P2": 1, "P3": 2}


def _config():
    unit = {"capacity": 2, "los_days": {"kind": "fixed", "value": 5.0}}
    fix = {"fix_days_coordinated": {"kind": "fixed", "value": 2.0},
           "fix_days_uncoordinated": {"kind": "fixed", "value": 9.0}}
    return {
        "seed": 1, "replications": 1, "n_jobs": 1,
        "run": {"start_date": "2025-01-06", "warm_up_days": 0, "horizon_days": 30},
        "arrivals": {"rate_per_day": 1.0},
        "pathways": {"shares": {"P0": 0.4, "P1": 0.2, "P2": 0.2, "P3": 0.2},
                     "p0_admin_delay_days": {"kind": "fixed", "value": 0.3}},
        "services": {name: {"pathways": [name], **unit} for name in ("P1", "P2", "P3")},
        "after_p2": {"shares": {"home": 1.0}},
        "readmission": {"probability": {},
                        "time_to_readmission_days": {"kind": "fixed", "value": 1.0},
                        "clinical_los_days": {"kind": "fixed", "value": 1.0}},
        "costs": {"acute_bed_day": 400.0},
        "housing": {"enabled": True, "barrier_probability": 0.1,
                    "types": {"repair": {"share": 0.5, **fix}, "homelessness": {"share": 0.5, **fix}}},
    }


ROWS = [
    dict(pathway=P0, nctr_day=1.2, acute_leave_day=1.5),  # a
    dict(pathway=P0, nctr_day=2.9, acute_leave_day=3.1),  # b
    dict(pathway=P1, nctr_day=5.0, acute_leave_day=15.0, unit=UNIT["P1"], unit_request_day=5.0,
         unit_admit_day=15.0, unit_closed_wait_days=0.0),  # c
    dict(pathway=P0, nctr_day=4.0, acute_leave_day=20.5, barrier=HOMELESS, fix_done_day=20.0),  # d
    dict(pathway=P2, nctr_day=25.0),  # e
    dict(pathway=P1, nctr_day=10.0, acute_leave_day=21.0, barrier=REPAIR, fix_done_day=19.0,
         unit=UNIT["P1"], unit_request_day=19.0, unit_admit_day=21.0, unit_closed_wait_days=0.0),  # f
    dict(pathway=P0, nctr_day=-5.0, acute_leave_day=3.0, origin=CENSUS),  # g
    dict(pathway=P3, nctr_day=0.5, acute_leave_day=9.0, unit=UNIT["P3"], unit_request_day=0.5,
         unit_admit_day=9.0, unit_closed_wait_days=3.0),  # h
]
NAMES = {"pathway": PATHWAYS, "unit": ("P1", "P2", "P3"), "onward_unit": ("P1", "P2", "P3"),
         "after_p2": AFTER_P2_OUTCOMES, "outcome": FINAL_OUTCOMES, "barrier": ("repair", "homelessness"),
         "fix_route": FIX_ROUTES, "flat": (), "origin": ORIGINS}


def _kpis(rows=ROWS, config=None, names=NAMES):
    default = {"f": NAN, "i": 0, "c": -1, "n": -1}
    rows = [{"origin": ARRIVAL, "patient": i, **row} for i, row in enumerate(rows)]
    columns = {name: np.asarray([row.get(name, default[kind]) for row in rows],
                                dtype=float if kind == "f" else np.int64)
               for name, kind in SCHEMA.items()}
    kpis: dict[str, float] = {}
    sitrep_kpis(build_scenario(config or _config()), EpisodeTable(columns, names), 0.0, 30.0, kpis)
    return kpis


EXPECTED = {
    "same_day_share": 1 / 7,  # a of a, b, c, d, e, f, h (g is a census patient)
    "nctr_census_7plus_mean": 19 / 30,
    "nctr_census_7plus_share_admin": 1.5 / 19,
    "nctr_census_7plus_share_P1": 5 / 19,
    "nctr_census_7plus_share_P2": 0.0,
    "nctr_census_7plus_share_P3": 0.0,
    "nctr_census_7plus_share_housing": 2 / 19,
    "nctr_census_7plus_share_homeless": 9 / 19,
    "nctr_census_7plus_share_calendar": 1.5 / 19,
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_sitrep_kpi_by_hand(key):
    assert _kpis()[key] == pytest.approx(EXPECTED[key], rel=1e-12, abs=1e-15)


def test_the_reason_shares_cover_every_reason_and_add_up_to_one():
    kpis = _kpis()
    shares = [kpis[f"nctr_census_7plus_share_{r}"] for r in SITREP_REASONS]
    assert len(shares) == 7 and sum(shares) == pytest.approx(1.0)
    assert {k for k in kpis if k.startswith("nctr_census_7plus_share_")} == {
        f"nctr_census_7plus_share_{r}" for r in SITREP_REASONS}


def test_homelessness_is_told_by_the_barrier_type_name_not_its_position():
    config = _config()
    types = config["housing"]["types"]
    config["housing"]["types"] = {"homelessness": types["homelessness"], "repair": types["repair"]}
    names = dict(NAMES, barrier=("homelessness", "repair"))
    rows = [dict(row, barrier={REPAIR: 1, HOMELESS: 0}[row["barrier"]]) if "barrier" in row else row
            for row in ROWS]
    kpis = _kpis(rows, config, names)
    assert kpis["nctr_census_7plus_share_homeless"] == pytest.approx(9 / 19)
    assert kpis["nctr_census_7plus_share_housing"] == pytest.approx(2 / 19)


def test_no_long_delays_and_no_new_episodes_give_missing_values_not_errors():
    kpis = _kpis([ROWS[6]])  # only the census patient: no new episode; 1 long-delay day
    assert math.isnan(kpis["same_day_share"])
    assert kpis["nctr_census_7plus_share_admin"] == 1.0
    kpis = _kpis([ROWS[0]])
    assert kpis["nctr_census_7plus_mean"] == 0.0 and math.isnan(kpis["nctr_census_7plus_share_P1"])


def test_seasonal_rise_is_january_february_over_july_august():
    dates = np.arange("2025-01-01", "2026-01-01", dtype="datetime64[D]")
    months = dates.astype("datetime64[M]").astype(int) % 12 + 1
    census = np.select([np.isin(months, (1, 2)), np.isin(months, (7, 8))], [120.0, 100.0], 500.0)
    assert seasonal_rise(dates, census) == pytest.approx(0.2)
    summerless = ~np.isin(months, (7, 8))
    assert math.isnan(seasonal_rise(dates[summerless], census[summerless]))
    # a quiet summer: below one patient a night is still a rise; none at all gives no ratio
    quiet = np.select([np.isin(months, (1, 2)), np.isin(months, (7, 8))], [1.0, 0.5], 500.0)
    assert seasonal_rise(dates, quiet) == 1.0
    assert math.isnan(seasonal_rise(dates, np.where(np.isin(months, (7, 8)), 0.0, quiet)))


def test_winter_quantile_reads_december_to_february_only():
    dates = np.arange("2025-06-01", "2026-06-01", dtype="datetime64[D]")
    months = dates.astype("datetime64[M]").astype(int) % 12 + 1
    # winter days count 0..89 in turn (Dec 31 + Jan 31 + Feb 28 = 90 days); other days 1,000
    census = np.full(dates.size, 1000.0)
    winter = np.isin(months, (12, 1, 2))
    census[winter] = np.arange(winter.sum())
    assert winter.sum() == 90
    assert winter_quantile(dates, census, 0.95) == pytest.approx(0.95 * 89)
    assert math.isnan(winter_quantile(dates[~winter], census[~winter], 0.95))


def test_a_new_episode_is_one_that_becomes_ready_in_the_window_from_its_first_instant():
    # window [0, 30): ready at 0 is new (and leaves the same day); ready at 30 belongs to the next window
    rows = [dict(pathway=P0, nctr_day=0.0, acute_leave_day=0.5), ROWS[1],
            dict(pathway=P0, nctr_day=30.0, acute_leave_day=30.2)]
    assert _kpis(rows)["same_day_share"] == 1 / 2


def test_long_delay_days_are_summed_in_the_order_of_earlier_releases():
    # reasons in order, then housing and homeless: 1 + 1 + 1e16 is 1e16 + 2 exactly, while 1e16 + 1 + 1
    # rounds to 1e16 at each step; the order keeps a fixed seed's results to the bit
    tally = Tally()
    for reason, days in (("housing", 1e16), ("calendar", 1.0), ("admin", 1.0)):
        tally.add(f"sitrep/7plus_days_{reason}", days)
    kpis: dict[str, float] = {}
    sitrep_from_tally(tally, 0.0, 1.0, kpis)
    assert kpis["nctr_census_7plus_mean"] == 1e16 + 2
