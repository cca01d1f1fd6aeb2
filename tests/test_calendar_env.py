"""The two-tier event calendar processes events in exactly SimPy's order, so runs are the same to the bit."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from flowsim.model import calendar_env
from flowsim.model.calendar_env import BUCKET_DAYS, CalendarEnvironment, environment_for
from flowsim.model.compose import load_scenario
from flowsim.model.journey import simulate


def _trace(environment: type[simpy.Environment], seed: int, until: float | None = None) -> list[tuple]:
    """Processes that wait random times (ties, zeros, weeks ahead), start others and trigger events;
    the order in which everything happened."""
    env = environment()
    rng = np.random.default_rng(seed)
    # delays drawn up front, so both environments see the same ones in the same order of use
    delays = iter(np.concatenate([rng.choice([0.0, 0.25, 0.5, 1.0], 400),  # ties on bucket bounds too
                                  rng.exponential(3.0, 400), rng.uniform(0, 60, 400)])[rng.permutation(1200)])
    seen: list[tuple] = []
    shared = env.event()

    def patient(name: int, hops: int):
        for hop in range(hops):
            yield env.timeout(float(next(delays)))
            seen.append((env.now, name, hop, env.peek()))
            if name % 7 == 0 and hop == 0:
                env.process(patient(1000 + name, 2))  # started from within a step
        if name == 13 and not shared.triggered:
            shared.succeed(name)

    def waiter():
        value = yield shared
        seen.append((env.now, "shared", value))

    env.process(waiter())
    for name in range(120):
        env.process(patient(name, 1 + name % 4))
    env.run(until=until)
    seen.append(("end", env.now, env.peek()))
    return seen


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("until", [None, 7.25, 30.1])
def test_events_come_in_simpys_order(seed, until):
    assert _trace(CalendarEnvironment, seed, until) == _trace(simpy.Environment, seed, until)


def test_a_far_event_waits_in_its_bucket_and_the_clock_never_goes_back():
    env = CalendarEnvironment()
    times: list[float] = []
    for delay in (100.0, BUCKET_DAYS, 3.0, 0.0, 100.0, 2 * BUCKET_DAYS - 1e-12, 2 * BUCKET_DAYS):
        env.timeout(delay).callbacks.append(lambda _: times.append(env.now))
    # the heap holds [0, 0.25); each later event is in its quarter-day's bucket, a bound in the next one
    assert [entry[0] for entry in env._queue] == [0.0] and sorted(env._far) == [1.0, 2.0, 12.0, 400.0]
    assert env.peek() == 0.0
    env.run()
    assert times == [0.0, BUCKET_DAYS, 2 * BUCKET_DAYS - 1e-12, 2 * BUCKET_DAYS, 3.0, 100.0, 100.0]
    assert env.peek() == float("inf")
    with pytest.raises(simpy.core.EmptySchedule):
        env.step()


def test_a_failure_nobody_handles_ends_the_run_as_in_simpy():
    def failing(env):
        yield env.timeout(40.0)
        raise ValueError("a bug")

    for environment in (simpy.Environment, CalendarEnvironment):
        env = environment()
        env.process(failing(env))
        with pytest.raises(ValueError, match="a bug"):
            env.run()
        assert env.now == 40.0


def test_a_run_is_the_same_to_the_bit_with_simpys_own_environment(monkeypatch):
    scenario = load_scenario(["scenario=acute_pool", "scheme=roseberry", "run.warm_up_days=30",
                              "run.horizon_days=120", "run.cool_down_days=10"])
    monkeypatch.setattr(calendar_env, "CALENDAR_MIN_PLACES", 0)  # the calendar for any system
    calendar = simulate(scenario, 1).episodes
    monkeypatch.setattr(calendar_env, "CALENDAR_MIN_PLACES", 10**9)  # SimPy's own for any
    plain = simulate(scenario, 1).episodes
    assert len(calendar) == len(plain) > 1000
    for name, column in plain.columns.items():
        np.testing.assert_array_equal(calendar[name], column, err_msg=name)



def test_large_systems_get_the_calendar_and_small_ones_simpys_own():
    assert type(environment_for(calendar_env.CALENDAR_MIN_PLACES)) is CalendarEnvironment
    assert type(environment_for(calendar_env.CALENDAR_MIN_PLACES - 1)) is simpy.Environment
