"""Housing barriers, coordinators and step-down flats."""

from __future__ import annotations

import numpy as np
import pytest

from flowsim import compute_metrics, load_scenario, simulate
from flowsim.model.errors import ConfigError
from flowsim.model.scenario import build_scenario

# A small busy system with many barriers, so that a short run exercises every housing path.
BUSY = ["scenario=quick", "housing.barrier_probability=0.1"]


def _log(overrides, replication=0):
    return simulate(load_scenario(overrides), replication).episodes


def test_housing_off_and_zero_barriers_leave_the_core_untouched():
    off = _log(["scenario=quick", "housing=off"])
    none = _log(["scenario=quick", "housing.barrier_probability=0"])
    for column in ("nctr_day", "acute_leave_day", "unit_admit_day", "end_day", "outcome", "pathway"):
        np.testing.assert_array_equal(off[column], none[column])
    assert (none["barrier"] == -1).all()


def test_nobody_goes_home_before_the_fix():
    log = _log([*BUSY, "housing=step_down_flats", "housing.barrier_probability=0.1"])
    barrier = log["barrier"] >= 0
    done = np.where(np.isnan(log["fix_done_day"]), np.inf, log["fix_done_day"])
    pathway = log["pathway"]
    in_flat = ~np.isnan(log["flat_admit_day"])
    # P0: home when leaving the acute bed, or the flat
    p0 = barrier & (pathway == 0)
    home = np.where(in_flat, log["flat_leave_day"], log["acute_leave_day"])
    gone = p0 & ~np.isnan(home)
    assert gone.sum() > 20
    assert np.all(home[gone] >= done[gone])
    # P1: the package (at home) starts only after the fix
    p1 = barrier & (pathway == 1) & ~np.isnan(log["unit_admit_day"])
    assert np.all(log["unit_admit_day"][p1] >= done[p1])
    # P2 going home (with or without P1): the bed is left only after the fix
    p2 = barrier & (pathway == 2) & np.isin(log["after_p2"], [0, 1]) & ~np.isnan(log["unit_leave_day"])
    assert np.all(log["unit_leave_day"][p2] >= done[p2])
    # P3 patients do not go home: no fix is started for them
    assert np.isnan(log["fix_referred_day"][barrier & (pathway == 3)]).all()


def test_caseload_caps_are_never_exceeded():
    scenario = load_scenario([*BUSY, "housing.coordinators.fte=1", "housing.coordinators.caseload_per_fte=3",
                              "housing.coordinators.when_full=wait"])
    log = simulate(scenario, 0).episodes
    coordinated = log["fix_route"] == 1
    start, done = log["fix_start_day"][coordinated], log["fix_done_day"][coordinated]
    done = np.where(np.isnan(done), np.inf, done)
    assert coordinated.sum() > 20
    at = np.sort(start)
    open_cases = (start[None, :] <= at[:, None]) & (at[:, None] < done[None, :])
    assert open_cases.sum(axis=1).max() == 3  # the cap binds and is never exceeded
    waited = log["fix_start_day"] > log["fix_referred_day"]
    assert waited.sum() > 0  # with policy "wait" some referrals queue


def test_when_full_uncoordinated_never_queues():
    log = _log([*BUSY, "housing.coordinators.fte=1", "housing.coordinators.caseload_per_fte=2"])
    started = ~np.isnan(log["fix_start_day"])
    np.testing.assert_array_equal(log["fix_start_day"][started], log["fix_referred_day"][started])
    assert set(log["fix_route"][started]) == {0, 1}


def test_flats_respect_capacity_and_turnaround():
    log = _log([*BUSY, "housing=step_down_flats", "housing.barrier_probability=0.15",
                "housing.flats.step_down.capacity=3",
                "housing.flats.step_down.turnaround_days={kind:fixed,value:2.5,low:null,high:null}"])
    used = log["flat"] == 0
    assert used.sum() > 10
    slots, admit = log["flat_slot"][used], log["flat_admit_day"][used]
    leave = np.where(np.isnan(log["flat_leave_day"][used]), np.inf, log["flat_leave_day"][used])
    assert set(slots) <= {0, 1, 2}
    for slot in set(slots):
        mine = np.argsort(admit[slots == slot])
        a, lv = admit[slots == slot][mine], leave[slots == slot][mine]
        assert np.all(a[1:] >= lv[:-1] + 2.5 - 1e-9)  # next occupant only after the void
    at = np.sort(admit)
    assert ((admit[None, :] <= at[:, None]) & (at[:, None] < leave[None, :])).sum(axis=1).max() <= 3


def test_flats_take_only_eligible_patients():
    log = _log([*BUSY, "housing=step_down_flats", "housing.flats.step_down.barrier_types=[rehousing]",
                "housing.flats.step_down.pathways=[P0]"])
    used = log["flat"] == 0
    assert used.sum() > 0
    rehousing = list(load_scenario(["housing=step_down_flats"]).housing.type_names).index("rehousing")
    assert (log["barrier"][used] == rehousing).all()
    assert (log["pathway"][used] == 0).all()


def test_more_coordinators_never_raise_housing_delayed_days():
    means = {}
    for fte in (0, 1, 2, 4):
        scenario = load_scenario([*BUSY, f"housing.coordinators.fte={fte}",
                                  "housing.coordinators.caseload_per_fte=4",
                                  "housing.coordinators.when_full=uncoordinated"])
        means[fte] = [compute_metrics(simulate(scenario, r)).kpis["delayed_days_reason_housing"]
                      for r in range(4)]
    pairs = [(0, 1), (1, 2), (2, 4)]
    for low, high in pairs:
        diff = np.subtract(means[high], means[low])
        assert diff.mean() <= 0, (low, high, diff)


def test_unlimited_coordinators_give_the_coordinated_fix_time():
    overrides = ["scenario=quick", "housing.barrier_probability=0.5", "housing.coordinators.fte=100",
                 "housing.coordinators.caseload_per_fte=100", "run.horizon_days=700"]
    scenario = load_scenario(overrides)
    names = scenario.housing.type_names
    by_type: dict[str, list[float]] = {n: [] for n in names}
    for replication in range(3):
        log = simulate(scenario, replication).episodes
        # only fixes referred long before the horizon: all of them are done, so long ones are not
        # under-represented (censoring would bias the mean low)
        early = log["fix_referred_day"] < 700 - 400
        done = early & ~np.isnan(log["fix_done_day"])
        assert done.sum() == early.sum()
        assert (log["fix_route"][done] == 1).all()
        np.testing.assert_array_equal(log["fix_start_day"][done], log["fix_referred_day"][done])
        for code, name in enumerate(names):
            mine = done & (log["barrier"] == code)
            by_type[name].extend((log["fix_done_day"] - log["fix_start_day"])[mine].tolist())
    for kind in scenario.housing.types:
        values = np.asarray(by_type[kind.name])
        assert values.size > 100
        # durations are sampled per patient, independently: the standard error is sd / sqrt(n)
        half = 3.3 * values.std(ddof=1) / np.sqrt(values.size)  # 99.9 %
        assert abs(values.mean() - kind.fix_coordinated.mean) <= half, kind.name


def test_housing_metrics_agree_with_the_log():
    # Each housing KPI recomputed from the log with plain numpy (not with flowsim's interval helpers),
    # and the costs from the config's prices: 1 coordinator at 42,000 a year; 12 flats at 350 a week,
    # 42-day maximum stay, 50 per over-length day; window [60, 180): 120 days.
    result = simulate(load_scenario([*BUSY, "housing=step_down_flats"]), 0)
    log, kpis = result.episodes, compute_metrics(result).kpis
    nctr, leave, pathway = log["nctr_day"], log["acute_leave_day"], log["pathway"]
    barrier, done = log["barrier"], log["fix_done_day"]

    def inside(start, end):  # days of [start, end) inside [60, 180); NaN end: still open at 180
        end = np.where(np.isnan(end), 180.0, end)
        return np.maximum(0.0, np.minimum(end, 180.0) - np.maximum(start, 60.0))

    # housing: a P0/P1 patient with a barrier, in acute from NCTR until the fix or leaving acute
    home = (barrier >= 0) & (pathway <= 1)
    housing_end = np.fmin(done, leave)
    expected_housing = inside(nctr[home], housing_end[home]).sum()
    assert expected_housing > 1000
    assert kpis["delayed_days_reason_housing"] == pytest.approx(expected_housing, rel=1e-12)
    # ... and every other delayed day of those patients is theirs by pathway, never housing
    p1_home = home & (pathway == 1)
    p1 = pathway == 1
    p1_total = inside(nctr[p1], leave[p1]).sum()
    p1_housing = inside(nctr[p1_home], housing_end[p1_home]).sum()
    assert p1_housing > 0
    assert kpis["delayed_days_reason_P1"] == pytest.approx(p1_total - p1_housing, rel=1e-12)

    arrived = (nctr >= 60) & (nctr < 180)
    for code, name in enumerate(result.scenario.housing.type_names):
        assert kpis[f"barriers_{name}"] == np.count_nonzero(arrived & (barrier == code)) > 0, name
    assert kpis["barriers"] == np.count_nonzero(arrived & (barrier >= 0)) == 302

    flat = log["flat"] == 0
    flat_days = inside(log["flat_admit_day"][flat], log["flat_leave_day"][flat]).sum()
    over = inside(log["flat_admit_day"][flat] + 42.0, log["flat_leave_day"][flat]).sum()
    assert over > 0
    assert kpis["flat_step_down_occupancy"] == pytest.approx(flat_days / (12 * 120), rel=1e-12)
    assert kpis["flat_over_length_days"] == pytest.approx(over, rel=1e-12)
    assert kpis["cost_flats"] == pytest.approx(12 * 120 / 7 * 350 + over * 50, rel=1e-12)
    assert kpis["cost_coordinators"] == pytest.approx(42000 * 120 / 365, rel=1e-12)  # 13,808.22
    assert kpis["cost_housing"] == pytest.approx(12 * 120 / 7 * 350 + over * 50 + 42000 * 120 / 365,
                                                 rel=1e-12)


@pytest.mark.parametrize(("override", "field"), [
    ("housing.types.rehousing.share=0.5", "housing.types"),
    ("housing.coordinators.when_full=sometimes", "housing.coordinators.when_full"),
    ("housing.coordinators.fte=-1", "housing.coordinators.fte"),
    # a post with no room: every fix would go uncoordinated, or wait for ever, while it is paid for
    ("housing.coordinators.caseload_per_fte=0", "housing.coordinators.caseload_per_fte"),
    ("housing.barrier_probability=1.5", "housing.barrier_probability"),
    ("housing.flats.step_down.barrier_types=[moat]", "housing.flats.step_down.barrier_types"),
    ("housing.flats.step_down.pathways=[P3]", "housing.flats.step_down.pathways"),
    ("housing.flats.step_down.pathways=[]", "housing.flats.step_down.pathways"),  # read as P0 and P1
    ("housing.flats.step_down.capacity=2.5", "housing.flats.step_down.capacity"),
    ("housing.types.rehousing.fix_days_coordinated.kind=magic",
     "housing.types.rehousing.fix_days_coordinated.kind"),
])
def test_bad_housing_config_names_the_field(override, field):
    from flowsim.model.compose import load_config

    with pytest.raises(ConfigError) as caught:
        build_scenario(load_config(["housing=step_down_flats", override]))
    assert caught.value.field == field
