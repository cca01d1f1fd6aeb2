"""The two-tier event calendar processes events in SimPy's order, so runs are the same to the bit."""

from __future__ import annotations

import random

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


DELAYS = (0.0, 0.0, BUCKET_DAYS, 0.5, 1.0, 1e-12, BUCKET_DAYS - 1e-15, 0.1, 0.3, 7.0, 100.0)


def _busy_trace(environment: type[simpy.Environment], seed: int, start: float) -> list[tuple]:
    """What SimPy offers a model, at random: timeouts (ties on bucket bounds, weeks ahead), a resource,
    a store, any-of and all-of conditions, events that succeed or fail long after they were made,
    interrupts, processes started from within a step, a "never" timeout, and a run stopped and resumed
    several times (at numbers on bucket bounds, and at an event). The order of all that happened."""
    rng = random.Random(seed)
    env = environment(initial_time=start)
    resource, store = simpy.Resource(env, capacity=2), simpy.Store(env)
    seen: list[tuple] = []
    processes: list[simpy.Process] = []
    shared = [env.event() for _ in range(6)]

    def delay() -> float:
        return rng.choice(DELAYS) if rng.random() < 0.7 else rng.expovariate(1 / 3)

    def worker(name: int, hops: int):
        for hop in range(hops):
            draw = rng.random()
            try:
                if draw < 0.3:
                    yield env.timeout(delay())
                elif draw < 0.45:
                    with resource.request() as request:
                        yield request
                        yield env.timeout(delay())
                elif draw < 0.55:
                    yield env.any_of([env.timeout(delay()), env.timeout(delay()), rng.choice(shared)])
                elif draw < 0.62:
                    yield env.all_of([env.timeout(delay()), env.timeout(0)])
                elif draw < 0.7:
                    event = rng.choice(shared)
                    if not event.triggered:
                        if rng.random() < 0.5:
                            event.succeed(name)
                        else:
                            event.fail(ValueError(name))
                            event.defused = True
                elif draw < 0.78:
                    victim = rng.choice(processes)
                    if victim.is_alive and victim is not env.active_process:
                        victim.interrupt(name)
                    yield env.timeout(0)
                elif draw < 0.85:
                    processes.append(env.process(worker(1000 + len(processes), rng.randint(1, 3))))
                elif draw < 0.92:
                    yield store.put(name)
                    yield store.get()
                else:
                    yield rng.choice(shared)
            except ValueError:
                seen.append(("failed", name, hop, env.now))
            except simpy.Interrupt as interrupt:
                seen.append(("interrupted", name, hop, interrupt.cause, env.now))
            seen.append((name, hop, env.now))

    for name in range(30):
        processes.append(env.process(worker(name, rng.randint(1, 8))))
    env.timeout(float("inf")).callbacks.append(lambda _: seen.append(("never", env.now)))

    def run(until=None) -> None:  # a failure nobody waits for any more ends a run, as in SimPy: noted;
        try:  # and so does a process waited for that waits for ever (a store, say)
            env.run(until=until)
        except (ValueError, RuntimeError) as error:
            seen.append(("stopped by", type(error).__name__, str(error)[:20], env.now))

    at = start
    for _ in range(rng.randint(1, 5)):
        at += rng.choice([BUCKET_DAYS, 0.5, 1.0, 0.3, 2.0])
        if rng.random() < 0.3 and processes[0].is_alive:
            run(processes[0])
        elif at > env.now:
            run(at)
        seen.append(("stopped", env.now, env.peek()))
    for _ in range(50):  # to the end (the "never" timeout), past any failure nobody handled
        if any(step[0] == "never" for step in seen):
            break
        run()
    seen.append(("end", env.now, env.peek()))
    return seen


@pytest.mark.parametrize("start", [0.0, 0.1, -3.3, 1e9 + 0.125, 2.0**51])
def test_a_busy_model_runs_in_simpys_order(start):
    for seed in range(25):
        calendar = _busy_trace(CalendarEnvironment, seed, start)
        assert len(calendar) > 60 and ("never", float("inf")) in calendar  # a model run to its end
        assert calendar == _busy_trace(simpy.Environment, seed, start), seed


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
