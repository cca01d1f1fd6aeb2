"""Arrangement delays (``pathways.arrangement_days``): time from NCTR until a place can be taken."""

from __future__ import annotations

import numpy as np
import pytest

from flowsim.measures.metrics import compute_metrics
from flowsim.model.errors import ConfigError
from flowsim.model.journey import simulate
from flowsim.model.scenario import build_scenario


def _mixed(single_unit, *, capacity=200, arrangement=None, horizon=400.0, rate=10.0):
    """P0/P1/P2 patients; one unit serving P1 and P2 (so both pathways share its places)."""
    config = single_unit(rate_per_day=rate, capacity=capacity, horizon_days=horizon, warm_up_days=50.0,
                         los={"kind": "exponential", "mean": 5.0})
    config["pathways"]["shares"] = {"P0": 0.5, "P1": 0.3, "P2": 0.2, "P3": 0.0}
    config["services"]["unit"]["pathways"] = ["P1", "P2"]
    if arrangement is not None:
        config["pathways"]["arrangement_days"] = arrangement
    return config


def _with_p0_delays(single_unit, admin: dict, other_probability: float, other: dict) -> dict:
    """:func:`_mixed` with P0's admin delay and its delay for other reasons (with that probability)."""
    config = _mixed(single_unit)
    config["pathways"]["p0_admin_delay_days"] = admin
    config["pathways"]["p0_other_reasons"] = {"probability": other_probability, "delay_days": other}
    return config


def test_with_room_to_spare_each_delay_is_the_arrangement_exactly(single_unit):
    config = _mixed(single_unit, arrangement={"P1": {"kind": "fixed", "value": 2.0},
                                              "P2": {"kind": "fixed", "value": 3.5}})
    log = simulate(build_scenario(config)).episodes
    delay = log["acute_leave_day"] - log["nctr_day"]
    done = ~np.isnan(delay)
    for code, expected in ((0, 0.0), (1, 2.0), (2, 3.5)):
        mine = done & (log["pathway"] == code)
        assert mine.sum() > 300
        np.testing.assert_allclose(delay[mine], expected, atol=1e-9)
    served = ~np.isnan(log["unit_admit_day"])
    # asked for the place when the arrangement was done, and got it at once
    np.testing.assert_allclose(log["unit_request_day"][served] - log["nctr_day"][served],
                               np.where(log["pathway"][served] == 1, 2.0, 3.5), atol=1e-9)
    np.testing.assert_allclose(log["unit_admit_day"][served], log["unit_request_day"][served], atol=1e-12)


def test_unit_waits_count_from_the_request_not_from_nctr(single_unit):
    config = _mixed(single_unit, capacity=12, arrangement={"P1": {"kind": "fixed", "value": 4.0}})
    result = simulate(build_scenario(config))
    log, kpis = result.episodes, compute_metrics(result).kpis
    w0, w1 = 50.0, 400.0
    admitted = (log["unit_admit_day"] >= w0) & (log["unit_admit_day"] < w1) & (log["unit"] == 0)
    waits = (log["unit_admit_day"] - log["unit_request_day"])[admitted]
    assert kpis["unit_unit_mean_wait_days"] == pytest.approx(waits.mean(), rel=1e-12)
    p1 = admitted & (log["pathway"] == 1)
    # delay = arrangement + queue: the unit wait leaves the 4 days out
    np.testing.assert_allclose((log["acute_leave_day"] - log["nctr_day"])[p1],
                               4.0 + (log["unit_admit_day"] - log["unit_request_day"])[p1], atol=1e-9)
    assert waits.mean() > 0.1  # a queue formed: the test is not about an idle unit


def test_an_infinite_server_unit_delay_is_the_arrangement_mean(single_unit):
    """Little's law on the acute wait: with room to spare the NCTR census is lambda x E[arrangement]."""
    config = _mixed(single_unit, capacity=400, horizon=3000.0,
                    arrangement={"P1": {"kind": "lognormal", "mean": 3.0, "sd": 2.0},
                                 "P2": {"kind": "gamma", "mean": 6.0, "sd": 3.0}})
    kpis = compute_metrics(simulate(build_scenario(config))).kpis
    assert kpis["delay_P1_mean_days"] == pytest.approx(3.0, rel=0.03)
    assert kpis["delay_P2_mean_days"] == pytest.approx(6.0, rel=0.03)
    # census = 10/day x (0.3 x 3 + 0.2 x 6) = 21
    assert kpis["nctr_census_mean"] == pytest.approx(21.0, rel=0.03)


def test_patients_still_being_arranged_at_the_end_are_conserved(single_unit):
    config = _mixed(single_unit, horizon=120.0, arrangement={"P1": {"kind": "fixed", "value": 30.0}})
    result = simulate(build_scenario(config))  # raises ConservationError if they were lost
    log = result.episodes
    waiting = (log["pathway"] == 1) & np.isnan(log["acute_leave_day"])
    assert waiting.sum() > 50 and np.isnan(log["unit_request_day"][waiting]).all()


def test_more_arrangement_time_never_shortens_delays_with_common_random_numbers(single_unit):
    totals = []
    for mean in (1.0, 2.0, 4.0):
        config = _mixed(single_unit, capacity=20, arrangement={"P1": {"kind": "exponential",
                                                                       "mean": mean}})
        totals.append(compute_metrics(simulate(build_scenario(config))).kpis["delayed_days_total"])
    assert totals[0] < totals[1] < totals[2]


def test_an_arrangement_delay_changes_no_other_random_number(single_unit):
    plain = simulate(build_scenario(_mixed(single_unit))).episodes
    arranged = simulate(build_scenario(_mixed(single_unit, arrangement={
        "P2": {"kind": "fixed", "value": 1.0}}))).episodes
    n = min(len(plain), len(arranged))
    np.testing.assert_array_equal(plain["nctr_day"][:n], arranged["nctr_day"][:n])
    np.testing.assert_array_equal(plain["pathway"][:n], arranged["pathway"][:n])


@pytest.mark.parametrize(("arrangement", "field", "words"), [
    ({"P0": {"kind": "fixed", "value": 1.0}}, "pathways.arrangement_days.P0", "p0_admin_delay_days"),
    ({"P4": {"kind": "fixed", "value": 1.0}}, "pathways.arrangement_days.P4", "P1, P2, P3"),
    ({"P1": {"kind": "gamma", "mean": 1.0}}, "pathways.arrangement_days.P1", "needs"),
])
def test_a_wrong_arrangement_is_named(single_unit, arrangement, field, words):
    with pytest.raises(ConfigError) as error:
        build_scenario(_mixed(single_unit, arrangement=arrangement))
    assert error.value.field == field and words in str(error.value)


# -- P0 patients held for other reasons (pathways.p0_other_reasons) ----------------------------------
def test_p0_patients_held_for_other_reasons_take_the_other_delay(single_unit):
    config = _mixed(single_unit, horizon=1000.0)
    config["pathways"]["p0_admin_delay_days"] = {"kind": "fixed", "value": 0.1}
    config["pathways"]["p0_other_reasons"] = {"probability": 0.2,
                                              "delay_days": {"kind": "uniform", "low": 5.0, "high": 9.0}}
    log = simulate(build_scenario(config)).episodes
    p0 = (log["pathway"] == 0) & ~np.isnan(log["acute_leave_day"])
    delay = (log["acute_leave_day"] - log["nctr_day"])[p0]
    held = delay > 1.0
    np.testing.assert_allclose(delay[~held], 0.1, atol=1e-9)
    assert delay[held].min() >= 5.0 and delay[held].max() <= 9.0
    assert delay[held].mean() == pytest.approx(7.0, abs=0.15)
    n = p0.sum()
    assert abs(held.mean() - 0.2) < 3 * np.sqrt(0.2 * 0.8 / n)


def test_the_p0_delay_splits_one_uniform_between_the_two_laws(single_unit):
    config = _with_p0_delays(single_unit, {"kind": "uniform", "low": 0.0, "high": 1.0},
                             0.25, {"kind": "uniform", "low": 10.0, "high": 20.0})
    scenario = build_scenario(config)
    u = np.array([0.0, 0.375, 0.749, 0.75, 0.875])
    np.testing.assert_allclose(scenario.p0_delay_days(u), [0.0, 0.5, 0.749 / 0.75, 10.0, 15.0])
    assert scenario.p0_delay_days(0.375) == pytest.approx(0.5)
    config["pathways"]["p0_other_reasons"]["probability"] = 0.0  # off: the admin delay alone
    assert build_scenario(config).p0_delay_days(0.875) == pytest.approx(0.875)


def test_one_patients_p0_delay_is_exactly_the_array_one(single_unit):
    # The event loop asks one float at a time, on a path of its own: it must give the same numbers.
    config = _with_p0_delays(single_unit, {"kind": "lognormal", "mean": 0.6, "sd": 0.9},
                             0.3, {"kind": "gamma", "mean": 6.0, "sd": 4.0})
    scenario = build_scenario(config)
    u = np.concatenate([np.random.default_rng(3).random(500), [0.0, 0.7 - 1e-12, 0.7, 1.0 - 1e-16]])
    one_by_one = [scenario.p0_delay_days(float(x)) for x in u]
    assert all(type(days) is float for days in one_by_one)
    np.testing.assert_array_equal(one_by_one, scenario.p0_delay_days(u))


@pytest.mark.parametrize(("other", "field"), [
    ({"probability": 1.0, "delay_days": {"kind": "fixed", "value": 1.0}},
     "pathways.p0_other_reasons.probability"),
    ({"probability": 0.1}, "pathways.p0_other_reasons.delay_days"),
])
def test_wrong_other_reasons_are_named(single_unit, other, field):
    config = _mixed(single_unit)
    config["pathways"]["p0_other_reasons"] = other
    with pytest.raises(ConfigError) as error:
        build_scenario(config)
    assert error.value.field == field


def test_arrangement_month_factors_scale_the_delay_by_the_month_of_nctr(single_unit):
    import datetime as dt

    config = _mixed(single_unit, arrangement={"P1": {"kind": "fixed", "value": 2.0}}, horizon=200.0)
    config["pathways"]["arrangement_month_factors"] = [1.5] + [1.0] * 11  # January
    scenario = build_scenario(config)  # starts 2025-01-06
    log = simulate(scenario).episodes
    p1 = (log["pathway"] == 1) & ~np.isnan(log["acute_leave_day"])
    nctr = log["nctr_day"][p1]
    january = np.array([(scenario.start_date + dt.timedelta(days=int(d))).month == 1 for d in nctr])
    assert january.sum() > 50 and (~january).sum() > 50
    delay = (log["acute_leave_day"] - log["nctr_day"])[p1]
    np.testing.assert_allclose(delay[january], 3.0, atol=1e-9)
    np.testing.assert_allclose(delay[~january], 2.0, atol=1e-9)
    config["pathways"]["arrangement_month_factors"] = [1.0] * 11
    with pytest.raises(ConfigError) as error:
        build_scenario(config)
    assert error.value.field == "pathways.arrangement_month_factors"


def test_an_arrangement_of_always_zero_switches_the_pathway_off(single_unit):
    config = _mixed(single_unit, arrangement={"P1": {"kind": "fixed", "value": 0.0},
                                              "P2": {"kind": "fixed", "value": 1.0}})
    arrangement = build_scenario(config).arrangement
    assert arrangement[1] is None and arrangement[2].mean == 1.0
