"""Coordinators who hold a case after its fix, and community referrals sharing coordinators and flats.

Each test compares with the same run (same seed) with the feature off, so it fails if the feature
does nothing.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from flowsim import compute_metrics, load_scenario, simulate
from flowsim.measures.intervals import overlap_days
from flowsim.model.errors import ConfigError

# one coordinator with room for 12 cases, about 70 % used; referrals wait for room
TIGHT = ["scenario=quick", "housing=coordinator_scheme", "housing.barrier_probability=0.02",
         "housing.coordinators.fte=1", "housing.coordinators.caseload_per_fte=12"]
FOLLOW_UP = "housing.coordinators.follow_up_days={kind: fixed, value: 20}"
COMMUNITY = ["housing.community_referrals.rate_per_day=0.2"]
FLATS = ["housing=step_down_flats", "housing.flats.step_down.capacity=10",
         "housing.flats.step_down.community=true"]


def _run(overrides, replication=0):
    return simulate(load_scenario(overrides), replication)


def _open_cases(start, closed):
    """Most cases (or stays) open at once, counted at each one's start."""
    closed = np.where(np.isnan(closed), np.inf, closed)
    return ((start[None, :] <= start[:, None]) & (start[:, None] < closed[None, :])).sum(axis=1).max()


def test_a_case_is_held_for_its_follow_up_after_the_fix():
    log = _run([*TIGHT, FOLLOW_UP]).episodes
    coordinated = (log["fix_route"] == 1) & ~np.isnan(log["case_closed_day"])
    assert coordinated.sum() > 20
    np.testing.assert_allclose(log["case_closed_day"][coordinated] - log["fix_done_day"][coordinated], 20.0)
    uncoordinated = log["fix_route"] == 0
    np.testing.assert_array_equal(log["case_closed_day"][uncoordinated], log["fix_done_day"][uncoordinated])
    start = log["fix_start_day"][log["fix_route"] == 1]
    assert _open_cases(start, log["case_closed_day"][log["fix_route"] == 1]) == 12  # the cap still binds


def test_holding_cases_longer_makes_referrals_wait_longer_for_a_coordinator():
    without, with_follow_up = (compute_metrics(_run(o)).kpis for o in (TIGHT, [*TIGHT, FOLLOW_UP]))
    assert with_follow_up["coordinator_caseload_mean"] > 1.2 * without["coordinator_caseload_mean"]
    assert with_follow_up["coordinator_wait_days_mean"] > without["coordinator_wait_days_mean"] + 5
    assert with_follow_up["delayed_days_reason_housing"] > without["delayed_days_reason_housing"]


def test_community_referrals_arrive_as_poisson_and_share_the_caseload():
    result = _run([*TIGHT, *COMMUNITY])
    table, scenario = result.community, result.scenario
    expected = 0.2 * scenario.end_days
    assert abs(table["fix_referred_day"].size - expected) < 4 * np.sqrt(expected)
    assert _run(TIGHT).community is None  # off: no table at all
    # hospital and community cases together never exceed the caseload
    log = result.episodes
    hospital = log["fix_route"] == 1
    community = table["fix_route"] == 1
    start = np.concatenate([log["fix_start_day"][hospital], table["fix_start_day"][community]])
    closed = np.concatenate([log["case_closed_day"][hospital], table["case_closed_day"][community]])
    assert _open_cases(start, closed) == 12
    kpis = compute_metrics(result).kpis
    w0, w1 = scenario.warm_up_days, scenario.horizon_days
    referred = table["fix_referred_day"]
    assert kpis["community_referrals"] == ((referred >= w0) & (referred < w1)).sum()
    assert "community_referrals" not in compute_metrics(_run(TIGHT)).kpis


def test_community_referrals_make_hospital_patients_wait_longer():
    without, with_community = (compute_metrics(_run(o)).kpis for o in (TIGHT, [*TIGHT, *COMMUNITY]))
    assert with_community["coordinator_wait_days_mean"] > without["coordinator_wait_days_mean"] + 1
    assert with_community["delayed_days_reason_housing"] > without["delayed_days_reason_housing"]
    # the hospital patients are the same people (common random numbers): only their waits changed
    a, b = _run(TIGHT).episodes, _run([*TIGHT, *COMMUNITY]).episodes
    np.testing.assert_array_equal(a["barrier"][:2000], b["barrier"][:2000])


def test_community_referrals_use_the_flats_too():
    overrides = [*TIGHT, *FLATS, *COMMUNITY, "housing.community_referrals.flat_share=0.8",
                 "housing.community_referrals.reablement_days={kind: fixed, value: 30}"]
    result = _run(overrides)
    table = result.community
    in_flat = table["flat"] == 0
    assert in_flat.sum() > 10
    left = in_flat & ~np.isnan(table["flat_leave_day"])
    stays = table["flat_leave_day"][left] - table["flat_admit_day"][left]
    assert (stays >= 30.0 - 1e-9).all()  # the re-ablement stay, or until the fix, if longer
    assert (table["flat_leave_day"][left] >= table["fix_done_day"][left] - 1e-9).all()
    # hospital and community occupants together never exceed the 10 flats
    log = result.episodes
    mine = log["flat"] == 0
    admit = np.concatenate([log["flat_admit_day"][mine], table["flat_admit_day"][in_flat]])
    leave = np.concatenate([log["flat_leave_day"][mine], table["flat_leave_day"][in_flat]])
    assert _open_cases(admit, leave) == 10
    kpis, alone = compute_metrics(result).kpis, compute_metrics(_run([*TIGHT, *FLATS])).kpis
    assert kpis["community_flat_stays"] >= 5
    assert kpis["flat_step_down_occupancy"] > alone["flat_step_down_occupancy"]
    # occupancy counts the flat-days of both, in the window
    w0, w1 = result.scenario.warm_up_days, result.scenario.horizon_days
    occupied_days = overlap_days(admit, leave, w0, w1).sum()
    assert kpis["flat_step_down_occupancy"] == pytest.approx(occupied_days / (10 * (w1 - w0)), rel=1e-12)


def test_replications_of_community_referrals_are_reproducible():
    a, b = _run([*TIGHT, *COMMUNITY], 3), _run([*TIGHT, *COMMUNITY], 3)
    for name, values in a.community.items():
        np.testing.assert_array_equal(values, b.community[name])


@pytest.mark.parametrize(("override", "field"), [
    ("housing.community_referrals.rate_per_day=-1", "housing.community_referrals.rate_per_day"),
    ("housing.community_referrals.flat_share=0.5", "housing.community_referrals.flat_share"),
    ("housing.coordinators.follow_up_days={kind: fixed, value: -3}", "housing.coordinators.follow_up_days"),
])
def test_bad_community_settings_name_the_field(override, field):
    with pytest.raises(ConfigError) as caught:
        load_scenario([*TIGHT, *COMMUNITY, override])
    assert caught.value.field.startswith(field)


def test_community_kpis_by_hand_at_the_edges_of_the_window():
    # six referrals of a hand-written table, at the window's edges [w0, w1) = [60, 180)
    result = _run([*TIGHT, *FLATS, *COMMUNITY])
    w0, w1 = result.scenario.warm_up_days, result.scenario.horizon_days
    nan = np.nan
    referred = np.array([w0 - 2, w0 - 1, w0, w1 - 2.5, w1, w1 - 1])
    start = np.array([w0 - 0.5, w0, w0 + 3, w1, nan, w1 - 0.5])  # waits 1.5, 1, 3, 2.5, -, 0.5
    admit = np.array([nan, w0 - 1, w0, w1 - 1, w1, nan])
    table = {"barrier": np.zeros(6, dtype=np.int64), "fix_route": np.where(np.isnan(start), -1, 1),
             "fix_referred_day": referred, "fix_start_day": start, "fix_done_day": start + 5.0,
             "case_closed_day": start + 5.0, "flat": np.where(np.isnan(admit), -1, 0),
             "flat_slot": np.where(np.isnan(admit), -1, np.arange(6)), "flat_admit_day": admit,
             "flat_leave_day": admit + 10.0}
    kpis = compute_metrics(dataclasses.replace(result, community=table)).kpis
    assert kpis["community_referrals"] == 3.0  # at w0, w1 - 2.5 and w1 - 1; not before w0, not at w1
    assert kpis["community_coordinator_wait_days_mean"] == pytest.approx(1.5)  # started in it: 1, 3, 0.5
    assert kpis["community_flat_stays"] == 2.0  # moved in at w0 and w1 - 1
