"""The event log: typed columns that grow, keep every row written, and freeze to exact tables."""

from __future__ import annotations

import numpy as np
import pytest

from flowsim import load_scenario, simulate
from flowsim.experiment.io import episodes_frame
from flowsim.model.eventlog import CENSUS, READMISSION, SCHEMA, EventLog, code_names, unused_columns


def test_rows_written_before_growth_survive_it():
    log = EventLog()
    log.add_many({"patient": np.arange(3), "nctr_day": np.array([0.5, 1.5, 2.5])})
    log.unit_admit_day[1] = 7.25
    first_capacity = log.patient.size
    rows = [log.add(100 + i, 1, 2, 10.0 + i, READMISSION) for i in range(first_capacity)]
    assert log.patient.size > first_capacity  # it grew
    log.end_day[rows[-1]] = 99.0
    table = log.freeze({})
    assert len(table) == 3 + first_capacity
    assert table["nctr_day"][:3].tolist() == [0.5, 1.5, 2.5]
    assert table["unit_admit_day"][1] == 7.25 and np.isnan(table["unit_admit_day"][0])
    assert table["patient"][rows[0]] == 100 and table["episode"][rows[0]] == 1
    assert table["origin"][rows[0]] == READMISSION and table["pathway"][rows[0]] == 2
    assert table["end_day"][-1] == 99.0
    # every column trimmed to the rows in use, defaults where nothing was written
    assert {name: table[name].size for name in SCHEMA} == dict.fromkeys(SCHEMA, len(table))
    assert (table["outcome"] == -1).all() and (table["p2_stays"] == 0).all()


def test_unused_columns_are_not_stored_and_read_back_as_not_reached():
    log = EventLog(unused=("admission_day", "flat_slot"))
    assert log.admission_day is None
    row = log.add(1, 0, 1, 3.0, CENSUS)
    log.add_many({"patient": np.array([2]), "admission_day": np.array([5.0])})  # dropped: unused
    table = log.freeze({})
    assert np.isnan(table["admission_day"]).all() and table["admission_day"].size == 2
    assert (table["flat_slot"] == -1).all()
    assert table["nctr_day"][row] == 3.0


def test_name_tables_must_fit_the_narrow_code_columns():
    with pytest.raises(ValueError, match="'pathway'"):
        EventLog({"pathway": tuple(f"P{i}" for i in range(200))})


def test_a_scenario_without_acute_module_or_flats_stores_neither():
    scenario = load_scenario(["scenario=quick"])
    unused = unused_columns(scenario)
    assert "admission_day" in unused and "flat_admit_day" in unused
    assert "fix_done_day" not in unused  # housing is on by default
    assert not {"fix_done_day", "flat_admit_day"} & set(unused_columns(load_scenario(
        ["scenario=quick", "housing=step_down_flats"])))
    assert EventLog(code_names(scenario), unused).fix_done_day is not None


def test_vectorised_barriers_equal_the_per_patient_draw():
    from flowsim.model.journey import _Run

    housing = _Run(load_scenario(["scenario=quick"]), 0).housing
    rng = np.random.default_rng(5)
    u_barrier, u_type = rng.random(5000), rng.random(5000)
    u_barrier[:3] = 0.0
    u_type[:3] = [0.0, np.nextafter(1.0, 0.0), housing.type_cum[0]]  # edges: a share's boundary
    expected = [housing.barrier(a, b) for a, b in zip(u_barrier.tolist(), u_type.tolist(), strict=True)]
    assert housing.barriers(u_barrier, u_type).tolist() == expected
    assert -1 in expected and len(set(expected)) >= 4  # "none" and several types drawn


def test_a_run_log_is_narrow_in_memory_and_64_bit_in_files():
    scenario = load_scenario(["scenario=quick", "run.horizon_days=120"])
    result = simulate(scenario, 0)
    table = result.episodes
    ended = int((~np.isnan(table["end_day"])).sum())
    assert ended + result.episodes_in_progress == len(table)
    assert table["episode"].dtype == np.int32 and table["unit"].dtype == np.int16
    frame = episodes_frame(table, scenario, 0)
    assert {str(frame[name].dtype) for name, kind in SCHEMA.items() if kind == "i"
            and name != "readmitted"} == {"int64"}
