"""The event log: typed columns that grow, keep every row written, and freeze to exact tables."""

from __future__ import annotations

import numpy as np
import pytest

from flowsim import load_scenario, simulate
from flowsim.experiment.run_tables import episodes_frame
from flowsim.model.eventlog import (
    ARRIVAL,
    CENSUS,
    READMISSION,
    SCHEMA,
    EventLog,
    code_names,
    unused_columns,
    whole_log,
)


def _log(parts: list, **kwargs) -> EventLog:
    return EventLog({}, parts.append, **kwargs)


def test_finished_records_leave_in_parts_and_slots_are_reused():
    parts: list = []
    log = _log(parts, part_rows=3)
    log.reserve_rows(10)  # rows 0..9 are given explicitly
    slots = [log.add(100 + i, 0, 1, float(i), ARRIVAL, row=i) for i in range(4)]
    log.unit_admit_day[slots[1]] = 7.25
    log.end_day[slots[1]] = 8.0
    for slot in slots[:3]:
        log.finish(slot)
    assert len(parts) == 1 and sorted(parts[0]["row"].tolist()) == [0, 1, 2]
    first = parts[0]
    assert first["unit_admit_day"][first["row"] == 1][0] == 7.25
    assert np.isnan(first["unit_admit_day"][first["row"] == 0][0])
    reused = log.add(200, 1, 2, 9.5, READMISSION)  # a freed slot, clean, with the next row: 10
    assert reused in slots[:3] and log.row[reused] == 10 and np.isnan(log.unit_admit_day[reused])
    assert np.isnan(log.end_day[reused]) and log.outcome[reused] == -1
    log.close()  # the rest, finished or not
    assert sorted(parts[-1]["row"].tolist()) == [3, 10]
    assert (log.rows_out, log.ended_out) == (5, 1)
    whole = whole_log(parts, {})
    assert whole["patient"].tolist() == [100, 101, 102, 103, 200]
    assert whole["nctr_day"].tolist() == [0.0, 1.0, 2.0, 3.0, 9.5]
    assert {name: whole[name].size for name in SCHEMA} == dict.fromkeys(SCHEMA, 5)


def test_slots_keep_their_values_when_the_log_grows():
    parts: list = []
    log = _log(parts)
    slots = [log.add(i, 0, 1, float(i), ARRIVAL) for i in range(5000)]  # more than one growth step
    log.service_end_day[slots[0]] = 1.5
    more = [log.add(i, 0, 1, float(i), ARRIVAL) for i in range(5000, 10000)]
    log.service_end_day[more[-1]] = 2.5
    log.close()
    whole = whole_log(parts, {})
    assert whole["patient"].tolist() == list(range(10000))
    assert whole["service_end_day"][0] == 1.5 and whole["service_end_day"][-1] == 2.5
    assert np.isnan(whole["service_end_day"][1:-1]).all()


def test_finished_bulk_records_and_unused_columns():
    parts: list = []
    log = _log(parts, unused=("admission_day", "flat_slot"))
    assert log.admission_day is None
    log.add_finished({"row": np.array([1, 0]), "patient": np.array([1, 0]), "end_day": [3.0, np.nan],
                      "pathway": np.array([0, 0])})
    slot = log.add(2, 0, 1, 3.0, CENSUS)
    log.close()
    whole = whole_log(parts, {})
    assert whole["patient"].tolist() == [0, 1, 2] and whole["origin"][2] == CENSUS
    assert np.isnan(whole["admission_day"]).all() and (whole["flat_slot"] == -1).all()
    assert (log.rows_out, log.ended_out, log.p0_open_out) == (3, 1, 2)  # P0, not left acute
    assert slot == 0


def test_name_tables_must_fit_the_narrow_code_columns():
    with pytest.raises(ValueError, match="'pathway'"):
        EventLog({"pathway": tuple(f"P{i}" for i in range(200))}, print)


def test_a_scenario_without_acute_module_or_flats_stores_neither():
    scenario = load_scenario(["scenario=quick"])
    unused = unused_columns(scenario)
    assert "admission_day" in unused and "flat_admit_day" in unused
    assert "fix_done_day" not in unused  # housing is on by default
    assert not {"fix_done_day", "flat_admit_day"} & set(unused_columns(load_scenario(
        ["scenario=quick", "housing=step_down_flats"])))
    assert EventLog(code_names(scenario), print, unused).fix_done_day is not None


def test_vectorised_barriers_equal_the_per_patient_draw():
    from flowsim.model.journey import _Run

    housing = _Run(load_scenario(["scenario=quick"]), 0, print).housing
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


def test_a_streamed_run_holds_only_its_episodes_in_progress(monkeypatch):
    import flowsim.model.journey as journey

    logs: list[EventLog] = []

    class Recorded(EventLog):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            logs.append(self)

    monkeypatch.setattr(journey, "EventLog", Recorded)
    scenario = load_scenario(["run.horizon_days=400"])  # ~100,000 episodes
    parts: list = []
    result = simulate(scenario, 0, sink=parts.append)
    slots = logs[0].row.size  # the most episodes it ever held
    rows = sum(len(part) for part in parts)
    assert result.episodes is None and rows == logs[0].rows_out
    assert len(parts) > 3 and slots < rows / 5, (slots, rows)
    whole = simulate(scenario, 0).episodes  # the same run, put together
    assert len(whole) == rows
    np.testing.assert_array_equal(np.sort(np.concatenate([p["row"] for p in parts])), np.arange(rows))
    np.testing.assert_array_equal(np.sort(np.concatenate([p["patient"] for p in parts])),
                                  np.sort(whole["patient"]))


def test_streamed_measures_and_patient_records_equal_those_of_the_whole_log(tmp_path):
    import pandas as pd

    from flowsim.experiment.run_tables import PatientRecords
    from flowsim.experiment.runner import run_replication

    scenario = load_scenario(["scenario=quick", "housing=step_down_flats"])
    whole = run_replication(scenario, 1, keep_episodes=True)
    writer = PatientRecords(tmp_path / "patients.parquet", scenario, 1, rows_per_group=1000)
    streamed = run_replication(scenario, 1, keep_episodes=False, on_part=writer)
    written = writer.close()
    assert streamed.episodes is None
    for key, value in whole.metrics.kpis.items():
        assert streamed.metrics.kpis[key] == pytest.approx(value, rel=1e-9, abs=1e-9, nan_ok=True), key
    for name, series in whole.metrics.census.items():
        np.testing.assert_array_equal(streamed.metrics.census[name], series)
    expected = episodes_frame(whole.episodes, scenario, 1)
    back = pd.read_parquet(written).sort_values(["patient", "episode"], ignore_index=True)
    pd.testing.assert_frame_equal(back, expected.sort_values(["patient", "episode"], ignore_index=True))
