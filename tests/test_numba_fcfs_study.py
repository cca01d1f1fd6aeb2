"""The numba FCFS study (experiments/numba_fcfs): its recursion reproduces the SimPy engine.

On a plain FCFS multi-server unit the engine's admit and leave times must be the FCFS recursion of
its own random numbers, episode for episode, to the bit. The plain-Python reference is checked here
without numba; the compiled kernel only where numba is installed (it is not a flowsim dependency).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from conftest import load_script

from flowsim.model.compose import load_scenario
from flowsim.model.journey import simulate
from flowsim.model.scenario import build_scenario

STUDY = Path(__file__).resolve().parent.parent / "experiments" / "numba_fcfs"
HORIZON_DAYS, WARM_UP_DAYS, SEED = 200.0, 20.0, 11


@pytest.fixture(scope="module")
def fcfs() -> ModuleType:
    return load_script("numba_fcfs_fcfs", STUDY / "fcfs.py")


@pytest.fixture(scope="module")
def run(fcfs):
    """A short engine run of a busy 5-place unit (rho 0.9): many wait, some are still in at the end."""
    case = fcfs.Case("test", 5, 9.0, 0.5)
    scenario = fcfs.unit_scenario(case, HORIZON_DAYS, WARM_UP_DAYS, SEED)
    return scenario, simulate(scenario, 0)


def test_the_run_exercises_queueing_and_the_end_of_the_run(run) -> None:
    _, result = run
    log = result.episodes
    waited = log["unit_admit_day"] > log["unit_request_day"]
    assert len(log) > 1500
    assert 0.3 < np.mean(waited) < 0.9
    assert np.isnan(log["unit_leave_day"]).sum() >= 3  # in a place, or waiting, when the run stops


def test_python_recursion_gives_the_engines_times_bit_for_bit(fcfs, run) -> None:
    scenario, result = run
    for inputs in (fcfs.inputs_from_streams(scenario), fcfs.inputs_from_table(result)):
        admit, leave = fcfs.fcfs_reference(inputs.request, inputs.stay, inputs.capacity)
        end = scenario.end_days
        assert np.array_equal(fcfs.censor(admit, end), result.episodes["unit_admit_day"], equal_nan=True)
        assert np.array_equal(fcfs.censor(leave, end), result.episodes["unit_leave_day"], equal_nan=True)
        check = fcfs.compare(admit, leave, result)
        assert fcfs.holds(check) and check["max_rel"] == 0.0, check


def test_the_fast_paths_table_counts_are_the_engines(fcfs, run) -> None:
    scenario, result = run
    inputs = fcfs.inputs_from_streams(scenario)
    admit, leave = fcfs.fcfs_reference(inputs.request, inputs.stay, inputs.capacity)
    fast = fcfs.fast_result(scenario, inputs.request, admit, leave)
    assert fcfs.table_differences(fast.episodes, result.episodes) == []
    for count in ("patients_arrived", "patients_left", "patients_in_system", "episodes_in_progress"):
        assert getattr(fast, count) == getattr(result, count), count


def test_recursion_by_hand_with_ties(fcfs) -> None:
    # two places; three ask at 0 (served in order), one asks exactly when a place frees (t = 1)
    request = np.array([0.0, 0.0, 0.0, 1.0, 5.0])
    stay = np.array([1.0, 3.0, 2.0, 1.0, 0.5])
    admit, leave = fcfs.fcfs_reference(request, stay, 2)
    assert admit.tolist() == [0.0, 0.0, 1.0, 3.0, 5.0]
    assert leave.tolist() == [1.0, 3.0, 3.0, 4.0, 5.5]


def test_a_scenario_outside_the_kernels_scope_is_refused(fcfs) -> None:
    case = fcfs.Case("test", 5, 9.0, 0.5)
    config = fcfs.unit_config(case, HORIZON_DAYS, WARM_UP_DAYS)
    config["readmission"]["probability"] = {"P2": 0.1}
    with pytest.raises(ValueError, match="readmissions"):
        fcfs.assert_plain_fcfs(build_scenario(config))


def test_the_default_system_is_out_of_the_kernels_scope(fcfs) -> None:
    problems = fcfs.out_of_scope(load_scenario(["housing=off"]))
    for feature in ("more than one unit", "onward care after P2 (blocking after service)", "readmissions",
                    "arrangement delays", "admission calendars, closures or capacity schedules"):
        assert feature in problems


def test_the_study_exits_2_without_numba(fcfs, monkeypatch, tmp_path, capsys) -> None:
    study = load_script("numba_fcfs_study", STUDY / "study.py")
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    assert study.main(["--quick", "--json", str(tmp_path / "r.json")]) == 2
    assert "numba is not installed" in capsys.readouterr().out
    assert not (tmp_path / "r.json").exists()


def test_numba_kernel_gives_the_engines_times_bit_for_bit(fcfs, run) -> None:
    pytest.importorskip("numba")
    kernel = load_script("numba_fcfs_kernel", STUDY / "kernel.py")
    scenario, result = run
    times, _ = fcfs.stream_draws(scenario)
    assert np.array_equal(kernel.clock_numba(times), fcfs.clock_times(times))
    for inputs in (fcfs.inputs_from_streams(scenario), fcfs.inputs_from_table(result)):
        admit, leave = kernel.fcfs_numba(inputs.request, inputs.stay, inputs.capacity)
        check = fcfs.compare(admit, leave, result)
        assert fcfs.holds(check) and check["max_rel"] == 0.0, check
        assert [a.tolist() for a in fcfs.fcfs_reference(inputs.request, inputs.stay, inputs.capacity)] == [
            admit.tolist(), leave.tolist()]
    admit, leave = kernel.fcfs_numba(np.array([0.0, 0.0, 0.0, 1.0, 5.0]),
                                     np.array([1.0, 3.0, 2.0, 1.0, 0.5]), 2)
    assert admit.tolist() == [0.0, 0.0, 1.0, 3.0, 5.0]
    assert leave.tolist() == [1.0, 3.0, 3.0, 4.0, 5.5]
