"""Light processes (:func:`flowsim.model.process.start_now`): they behave as SimPy's, start at once,
throw failed events in, let errors end the run, and are freed without the garbage collector."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import simpy

from flowsim.model.process import start_now


def test_the_first_step_runs_at_once_and_later_ones_on_the_events_yielded():
    env = simpy.Environment()
    seen = []

    def journey():
        seen.append(("start", env.now))
        value = yield env.timeout(2.5, value="ready")
        seen.append((value, env.now))
        yield env.timeout(1.0)
        seen.append(("end", env.now))

    start_now(journey())
    assert seen == [("start", 0.0)]  # before the run: nothing scheduled to start it
    env.run()
    assert seen == [("start", 0.0), ("ready", 2.5), ("end", 3.5)]


def test_an_event_already_processed_gives_its_value_without_waiting():
    env = simpy.Environment()
    done = env.event()
    done.succeed("kept")
    env.run()  # processed: its callbacks are gone
    seen = []

    def journey():
        seen.append((yield done))
        seen.append((yield env.timeout(1.0, value="later")))

    start_now(journey())
    assert seen == ["kept"]
    env.run()
    assert seen == ["kept", "later"]


def test_a_failed_event_is_thrown_into_the_journey():
    env = simpy.Environment()
    trouble = env.event()
    seen = []

    def journey():
        try:
            yield trouble
        except ValueError as error:
            seen.append((str(error), env.now))

    def breaker():
        yield env.timeout(4.0)
        trouble.fail(ValueError("no place"))

    start_now(journey())
    env.process(breaker())
    env.run()  # handled by the journey: the run goes on
    assert seen == [("no place", 4.0)]


def test_an_error_in_a_journey_ends_the_run():
    env = simpy.Environment()

    def journey():
        yield env.timeout(1.0)
        raise RuntimeError("model bug")

    start_now(journey())
    with pytest.raises(RuntimeError, match="model bug"):
        env.run()


def test_a_finished_journey_is_freed_without_the_garbage_collector():
    # Runs keep the collector off; a journey left in a reference cycle would stay in memory.
    env = simpy.Environment()

    def journey():
        yield env.timeout(1.0)

    generator = journey()
    alive = weakref.ref(generator)
    collecting = gc.isenabled()
    gc.disable()
    try:
        start_now(generator)
        del generator
        env.run()
        assert alive() is None
    finally:
        if collecting:
            gc.enable()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_queue_gives_the_same_waits_as_with_simpy_processes(seed):
    """M/M/3 with FCFS: the same waits, patient by patient, whichever way the patients are started."""
    rng = np.random.default_rng(seed)
    gaps, stays = rng.exponential(1.0, 2000).tolist(), rng.exponential(2.7, 2000).tolist()

    def waits(start) -> list[float]:
        env = simpy.Environment()
        beds = simpy.Resource(env, capacity=3)
        waited = [np.nan] * len(gaps)

        def patient(i):
            arrived = env.now
            with beds.request() as bed:
                yield bed
                waited[i] = env.now - arrived
                yield env.timeout(stays[i])

        def arrivals():
            for i, gap in enumerate(gaps):
                yield env.timeout(gap)
                start(env, patient(i))

        env.process(arrivals())
        env.run()
        return waited

    light = waits(lambda env, generator: start_now(generator))
    assert light == waits(lambda env, generator: env.process(generator))
    assert sum(w > 0 for w in light) > 100  # a queue formed: the comparison is not trivial


def test_a_runs_left_over_cycles_do_not_grow_with_its_length():
    """What a run leaves for the collector is its state at the end (patients in progress), not a
    trace of every patient: runs keep the collector off, so such a trace would be memory held."""
    from flowsim.model.compose import load_scenario
    from flowsim.model.journey import simulate

    def cycles(horizon_days: int) -> tuple[int, int]:
        scenario = load_scenario([f"run.horizon_days={horizon_days}", "run.warm_up_days=30"])
        gc.collect()
        gc.disable()  # until counted: the collector would otherwise take some as soon as the run ends
        try:
            result = simulate(scenario, 0)
            episodes = len(result.episodes)
            del result
            return gc.collect(), episodes
        finally:
            gc.enable()

    short, short_episodes = cycles(40)
    long, long_episodes = cycles(300)
    assert long_episodes > 2.5 * short_episodes
    assert long < 1.5 * short + 1000, (short, long, short_episodes, long_episodes)
