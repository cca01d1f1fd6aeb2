"""Who gets a freed place: the dispatcher of ``flowsim.model.services``.

A unit serving several pathways offers a freed place to the patient who has waited longest across
all their queues (first come, first served across pathways), not to the newest patient and not to
one pathway before another. Checked on the dispatcher itself with hand-placed patients, and on the
whole model with a warm-start census of waiting patients; admission order and times exactly.
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np
import simpy

from flowsim.model.distributions import Fixed
from flowsim.model.journey import simulate
from flowsim.model.scenario import SERVICE_PATHWAYS, UnitSpec, build_scenario
from flowsim.model.services import Dispatcher

STAY = 10.0


def _unit(name: str, pathways: tuple[str, ...], capacity: int, preference: int = 1) -> UnitSpec:
    return UnitSpec(name=name, pathways=pathways, capacity=capacity, los=Fixed(STAY), preference=preference,
                    cost_per_occupied_day=0.0, cost_per_bed_week=0.0)


def _admissions(units: list[UnitSpec], patients: list[tuple[str, str, float]]
                ) -> list[tuple[str, float, str]]:
    """Run ``patients`` (name, pathway, time needing a place) through a dispatcher; each stays STAY days.

    Returns (patient, admission time, unit) in admission order.
    """
    env = simpy.Environment()
    dispatcher = Dispatcher(env, units, SERVICE_PATHWAYS)
    admitted: list[tuple[str, float, str]] = []

    def patient(episode: int, name: str, pathway: str, at: float) -> Generator[simpy.Event, object, None]:
        yield env.timeout(at)
        unit = dispatcher.take(pathway)
        if unit is None:
            unit = yield dispatcher.wait(episode, pathway)
        admitted.append((name, env.now, unit.name))
        yield env.timeout(STAY)
        dispatcher.release(unit)

    for episode, (name, pathway, at) in enumerate(patients):
        env.process(patient(episode, name, pathway, at))
    env.run()
    return admitted


def test_a_freed_place_goes_to_the_longest_waiting_patient_across_pathways():
    # One place for P1 and P3. O holds it 0-10; then X (P3) waits from 1, Y (P1) from 2, W (P3) from 3,
    # V (P1) from 4. FCFS across the two queues: X at 10, Y at 20, W at 30, V at 40.
    # (P1 before P3 would give Y, V, X, W; the newest queue head first would give Y at 10.)
    order = _admissions([_unit("shared", ("P1", "P3"), 1)],
                        [("O", "P1", 0.0), ("X", "P3", 1.0), ("Y", "P1", 2.0), ("W", "P3", 3.0),
                         ("V", "P1", 4.0)])
    assert order == [("O", 0.0, "shared"), ("X", 10.0, "shared"), ("Y", 20.0, "shared"),
                     ("W", 30.0, "shared"), ("V", 40.0, "shared")]


def test_fcfs_across_pathways_whichever_pathway_is_listed_first():
    # the same with the pathways listed the other way round, and the oldest patient on P1
    order = _admissions([_unit("shared", ("P3", "P1"), 1)],
                        [("O", "P3", 0.0), ("Y", "P1", 1.0), ("X", "P3", 2.0), ("V", "P1", 3.0),
                         ("W", "P3", 4.0)])
    assert [(name, t) for name, t, _ in order] == [("O", 0.0), ("Y", 10.0), ("X", 20.0), ("V", 30.0),
                                                   ("W", 40.0)]


def test_patients_queued_at_the_same_time_keep_their_order():
    # X, Y and W all need the place at 1: they are served in the order they asked, across pathways
    order = _admissions([_unit("shared", ("P1", "P3"), 1)],
                        [("O", "P1", 0.0), ("X", "P3", 1.0), ("Y", "P1", 1.0), ("W", "P3", 1.0)])
    assert [(name, t) for name, t, _ in order] == [("O", 0.0), ("X", 10.0), ("Y", 20.0), ("W", 30.0)]


def test_free_places_by_preference_and_a_freed_place_to_the_oldest_eligible_patient():
    # "home" (P1 only, preferred) and "shared" (P1 + P3), one place each. A takes home, B shared (both
    # P1, at 0). C (P3, 1) and D (P1, 2) wait. At 10 both places free at once: home (freed first, by A)
    # can only take D; shared then takes C.
    order = _admissions([_unit("shared", ("P1", "P3"), 1, preference=2), _unit("home", ("P1",), 1)],
                        [("A", "P1", 0.0), ("B", "P1", 0.0), ("C", "P3", 1.0), ("D", "P1", 2.0)])
    assert order == [("A", 0.0, "home"), ("B", 0.0, "shared"), ("D", 10.0, "home"),
                     ("C", 10.0, "shared")]


def test_the_model_admits_waiting_census_patients_oldest_first_across_pathways(tmp_path):
    # A care-home unit with one place serving P1 and P3; no arrivals. At the start it holds a patient
    # who has stayed 5 of a fixed 10 days (leaves at 5), and four are waiting: P1 for 3 and 1 days,
    # P3 for 4 and 2. Oldest NCTR first: P3 (-4) at 5, P1 (-3) at 15, P3 (-2) at 25, P1 (-1) at 35.
    census = tmp_path / "census.yaml"
    census.write_text("units:\n  shared: {days_stayed: [5]}\n"
                      "waiting:\n  P1: {days_waited: [3, 1]}\n  P3: {days_waited: [2, 4]}\n")
    config = {
        "seed": 3,
        "run": {"start_date": "2025-01-06", "warm_up_days": 0, "horizon_days": 60,
                "initial_census": str(census)},
        "arrivals": {"rate_per_day": 0.0},
        "pathways": {"shares": {"P1": 0.5, "P3": 0.5}, "p0_admin_delay_days": {"kind": "fixed", "value": 0}},
        "services": {"shared": {"pathways": ["P1", "P3"], "capacity": 1,
                                "los_days": {"kind": "fixed", "value": STAY}}},
        "after_p2": {"shares": {"home": 1.0}},
        "readmission": {"probability": {}, "time_to_readmission_days": {"kind": "fixed", "value": 1},
                        "clinical_los_days": {"kind": "fixed", "value": 1}},
        "costs": {"acute_bed_day": 1.0},
    }
    log = simulate(build_scenario(config), 0).episodes
    waiting = log["nctr_day"] < 0
    waiting &= log["unit_admit_day"] != -5.0  # the patient already in the unit
    order = np.argsort(log["unit_admit_day"][waiting])
    np.testing.assert_array_equal(log["nctr_day"][waiting][order], [-4.0, -3.0, -2.0, -1.0])
    np.testing.assert_array_equal(log["unit_admit_day"][waiting][order], [5.0, 15.0, 25.0, 35.0])
    np.testing.assert_array_equal(log.decoded("pathway")[waiting][order], ["P3", "P1", "P3", "P1"])
    np.testing.assert_array_equal(log["unit_closed_wait_days"][waiting][order], [0.0, 0.0, 0.0, 0.0])
