"""Step-down flats as the source schemes ran them: open to patients with no housing barrier, an
enforced maximum stay with a move-on, and effects on the outcomes of the patients a scheme served.

Each test compares with the same run (same seed: common random numbers) with the feature off, so it
fails if the feature does nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

from flowsim import compute_metrics, load_scenario, simulate
from flowsim.model.errors import ConfigError

FLATS = ["scenario=quick", "housing=step_down_flats", "housing.flats.step_down.capacity=6"]
NO_BARRIERS = [*FLATS, "housing.barrier_probability=0"]
OFFER_P1 = "housing.flats.step_down.without_barrier={P1: 0.5}"
LONG_STAYS = "housing.flats.step_down.reablement_days={kind: gamma, mean: 60, sd: 20}"
ENFORCED = ["housing.flats.step_down.enforce_max_stay=true",
            "housing.flats.step_down.move_on={home: 0.5, P1: 0.3, P3: 0.2}"]


def _log(overrides, replication=0):
    return simulate(load_scenario(overrides), replication).episodes


def _pathway_of_unit(log, scenario):
    return np.array([scenario.units[u].pathways[0] if u >= 0 else "" for u in log["unit"]])


def test_flats_without_a_barrier_take_offered_p1_patients_straight_from_nctr():
    off, on = _log(NO_BARRIERS), _log([*NO_BARRIERS, OFFER_P1])
    assert (off["flat"] == -1).all()  # no barrier, no offer: nobody in a flat
    served = on["flat"] == 0
    assert served.sum() > 20
    assert (on["barrier"][served] == -1).all() and (on["pathway"][served] == 1).all()
    # they leave their acute bed the moment they are NCTR, for the flat
    np.testing.assert_array_equal(on["acute_leave_day"][served], on["nctr_day"][served])
    np.testing.assert_array_equal(on["flat_admit_day"][served], on["nctr_day"][served])
    # ... and go on to their P1 package from the flat, not before their flat stay began
    started = served & ~np.isnan(on["unit_admit_day"])
    assert (on["unit_admit_day"][started] >= on["flat_admit_day"][started]).all()
    # with the same patients, P1 delayed days fall
    kpis_off = compute_metrics(simulate(load_scenario(NO_BARRIERS), 0)).kpis
    kpis_on = compute_metrics(simulate(load_scenario([*NO_BARRIERS, OFFER_P1]), 0)).kpis
    assert kpis_on["delayed_days_total_P1"] < 0.9 * kpis_off["delayed_days_total_P1"]
    assert kpis_on["flat_step_down_stays"] > 20


def test_an_offer_is_taken_only_when_a_flat_is_free_and_never_over_capacity():
    log = _log([*NO_BARRIERS, "housing.flats.step_down.without_barrier={P1: 1.0}"])
    used = log["flat"] == 0
    admit = log["flat_admit_day"][used]
    leave = np.where(np.isnan(log["flat_leave_day"][used]), np.inf, log["flat_leave_day"][used])
    in_flats = (admit[None, :] <= admit[:, None]) & (admit[:, None] < leave[None, :])
    assert in_flats.sum(axis=1).max() == 6  # the flats fill, and never hold more than 6
    offered = (log["pathway"] == 1) & (log["barrier"] == -1)
    assert (~used[offered]).sum() > 0  # when all were taken, P1 patients waited for P1 as before


def test_p3_patients_offered_a_flat_go_home_when_the_scheme_avoids_the_care_home():
    overrides = [*NO_BARRIERS, "housing.flats.step_down.without_barrier={P3: 1.0}"]
    scenario = load_scenario([*overrides, "housing.flats.step_down.p3_avoided_share=1.0"])
    avoided = simulate(scenario, 0).episodes
    served = (avoided["flat"] == 0) & ~np.isnan(avoided["unit_admit_day"])
    assert served.sum() > 10 and (avoided["pathway"][served] == 3).all()
    assert set(_pathway_of_unit(avoided, scenario)[served]) == {"P1"}
    assert (avoided["outcome"][served & ~np.isnan(avoided["end_day"])] == 0).all()  # home
    kept = _log(overrides)  # no effect: the flat's P3 patients still go to a care home
    served = (kept["flat"] == 0) & ~np.isnan(kept["unit_admit_day"])
    assert set(_pathway_of_unit(kept, scenario)[served]) == {"P3"}


def test_an_enforced_maximum_stay_is_never_exceeded_and_occupants_move_on():
    loose = _log([*NO_BARRIERS, "housing.flats.step_down.without_barrier={P1: 1.0}", LONG_STAYS])
    stays = loose["flat_leave_day"] - loose["flat_admit_day"]
    assert np.nanmax(stays) > 60  # not enforced: counted, not cut short
    scenario = load_scenario([*NO_BARRIERS, "housing.flats.step_down.without_barrier={P1: 1.0}", LONG_STAYS,
                              *ENFORCED, "housing.flats.step_down.capacity=20"])
    log = simulate(scenario, 0).episodes
    used = (log["flat"] == 0) & ~np.isnan(log["flat_leave_day"])
    stays = (log["flat_leave_day"] - log["flat_admit_day"])[used]
    assert used.sum() > 30
    assert stays.max() <= 42.0 + 1e-9
    at_max = used & np.isclose(log["flat_leave_day"] - log["flat_admit_day"], 42.0)
    assert at_max.sum() > 40  # long re-ablement stays were cut at six weeks
    units = _pathway_of_unit(log, scenario)
    home = at_max & (log["unit"] == -1) & (log["outcome"] == 0)  # (not waiting outside for a place)
    np.testing.assert_array_equal(log["end_day"][home], log["flat_leave_day"][home])  # home at once
    to_p3 = at_max & (units == "P3")
    assert to_p3.sum() > 0 and (log["outcome"][to_p3 & ~np.isnan(log["end_day"])] == 1).all()
    # moved on to a package or a care home: admitted then or later (waiting outside the flat)
    moved = at_max & (log["unit"] >= 0)
    assert (log["unit_admit_day"][moved] >= log["flat_leave_day"][moved]).all()
    shares = np.array([home.sum(), (at_max & (units == "P1")).sum(), to_p3.sum()]) / at_max.sum()
    # the move-on draws follow their shares, give or take sampling error (a few at the maximum had run
    # their course and go on to P1 as planned)
    np.testing.assert_allclose(shares, [0.5, 0.3, 0.2], atol=0.15)


def test_coordinated_and_flat_effects_change_readmissions_of_those_served_only():
    busy = ["scenario=quick", "housing=step_down_flats", "housing.barrier_probability=0.2",
            "housing.coordinators.fte=10"]
    base = _log(busy)
    served = base["flat"] == 0
    assert base["readmitted"][served].sum() > 3  # someone the flats served was readmitted
    none_back = _log([*busy, "housing.flats.step_down.readmission_factor=0"])
    assert none_back["readmitted"][none_back["flat"] == 0].sum() == 0
    not_served = (none_back["flat"] == -1) & (none_back["fix_route"] != 1) & (none_back["episode"] == 0)
    assert none_back["readmitted"][not_served].sum() > 10  # others still come back
    # (a P2 stay that ends in readmission is a clinical outcome, not a readmission after going home)
    coordinated = _log([*busy, "housing.coordinators.readmission_factor=0"])
    went_home = (coordinated["fix_route"] == 1) & (coordinated["outcome"] != 3)
    assert coordinated["readmitted"][went_home].sum() == 0
    assert base["readmitted"][(base["fix_route"] == 1) & (base["outcome"] != 3)].sum() > 3


def test_a_smaller_package_after_the_flat():
    overrides = [*NO_BARRIERS, "housing.flats.step_down.without_barrier={P1: 1.0}"]
    lengths = {}
    for factor in (1.0, 0.5):
        log = _log([*overrides, f"housing.flats.step_down.p1_los_factor={factor}"])
        served = (log["flat"] == 0) & ~np.isnan(log["service_end_day"])
        lengths[factor] = np.mean(log["service_end_day"][served] - log["unit_admit_day"][served])
        assert served.sum() > 30
    assert lengths[0.5] / lengths[1.0] == pytest.approx(0.5, rel=0.2)


@pytest.mark.parametrize(("override", "field"), [
    ("housing.flats.step_down.without_barrier={P2: 0.5}", "housing.flats.step_down.without_barrier.P2"),
    ("housing.flats.step_down.without_barrier={P1: 1.5}", "housing.flats.step_down.without_barrier.P1"),
    ("housing.flats.step_down.move_on={home: 0.5, P1: 0.3}", "housing.flats.step_down.move_on"),
    ("housing.flats.step_down.move_on={home: 0.5, hotel: 0.5}", "housing.flats.step_down.move_on.hotel"),
    ("housing.flats.step_down.p3_avoided_share=2", "housing.flats.step_down.p3_avoided_share"),
    ("housing.flats.step_down.readmission_factor=-1", "housing.flats.step_down.readmission_factor"),
])
def test_bad_scheme_settings_name_the_field(override, field):
    with pytest.raises(ConfigError) as caught:
        load_scenario([*FLATS, override])
    assert caught.value.field == field


def test_stays_cut_at_an_enforced_maximum_are_not_counted_over_length():
    overrides = [*NO_BARRIERS, "housing.flats.step_down.without_barrier={P1: 1.0}", LONG_STAYS, *ENFORCED]
    kpis = compute_metrics(simulate(load_scenario(overrides), 0)).kpis
    assert kpis["flat_step_down_stays"] > 10 and kpis["flat_step_down_over_length_stays"] == 0
    assert kpis["flat_over_length_days"] == pytest.approx(0.0, abs=1e-6)
    loose = compute_metrics(simulate(load_scenario(overrides[:-2]), 0)).kpis
    assert loose["flat_step_down_over_length_stays"] > 5  # not enforced: counted
