"""flowsim.experiment.io: the files users open (tables, JSON, the episode log, the manifest) are written
whole,
with the permissions of any new file, and hold exactly the columns, types and values documented."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import single_unit_config

import flowsim.experiment.io as io_module
from flowsim import load_scenario, simulate
from flowsim.experiment.io import (
    PARQUET_OPTIONS,
    ParquetConcat,
    ParquetParts,
    atomic_write,
    concat_parquet,
    manifest,
    write_arrow,
    write_frames,
    write_json,
    write_table,
)
from flowsim.experiment.run_tables import (
    PatientRecords,
    census_frame,
    episodes_frame,
    episodes_frames,
    episodes_tables,
)
from flowsim.experiment.runner import run_replication
from flowsim.measures.metrics import RunMetrics
from flowsim.model.eventlog import SCHEMA, EpisodeTable, code_names, whole_log
from flowsim.model.scenario import build_scenario

# --- atomic_write -----------------------------------------------------------------------------------


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_creates_missing_folders_and_leaves_no_temporary_file(tmp_path):
    seen: list[Path] = []

    def writer(tmp: Path) -> None:
        seen.append(tmp)
        tmp.write_text("hello")

    target = tmp_path / "a" / "b" / "out.txt"
    returned = atomic_write(str(target), writer)
    assert returned == target and isinstance(returned, Path)
    assert target.read_text() == "hello"
    assert os.listdir(target.parent) == ["out.txt"]
    # the writer wrote a hidden temporary file beside the target: .<name>.<8 hex digits>.tmp
    (tmp,) = seen
    assert isinstance(tmp, Path) and tmp.parent == target.parent
    assert re.fullmatch(r"\.out\.txt\.[0-9a-f]{8}\.tmp", tmp.name), tmp.name


def test_atomic_write_replaces_the_target_by_renaming(tmp_path):
    target = tmp_path / "kpis.json"
    target.write_text("old")
    with target.open() as reader:  # a reader that opened the old file keeps reading it whole
        old_inode = os.fstat(reader.fileno()).st_ino
        atomic_write(target, lambda tmp: tmp.write_text("new"))
        assert reader.read() == "old"
    assert target.read_text() == "new"
    assert target.stat().st_ino != old_inode  # a new file renamed into place, not rewritten in place
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path, error):
    target = tmp_path / "summary.csv"
    target.write_text("old")

    def writer(tmp: Path) -> None:
        tmp.write_text("half")
        raise error

    with pytest.raises(type(error)):
        atomic_write(target, writer)
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_a_writer_that_removed_its_file_before_failing_keeps_its_error(tmp_path):
    def writer(tmp: Path) -> None:
        tmp.unlink()  # e.g. a library that cleans up its partial output
        raise RuntimeError("could not write")

    with pytest.raises(RuntimeError, match="could not write"):
        atomic_write(tmp_path / "x.parquet", writer)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600),
                                             (0o002, 0o664)])
def test_atomic_write_gives_the_permissions_of_a_new_file(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        path = atomic_write(tmp_path / "x.txt", lambda tmp: tmp.write_text("x"))
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == mode  # 0o666 & ~umask


def test_a_taken_temporary_name_is_skipped(tmp_path, monkeypatch):
    tokens = iter(["aaaaaaaa", "bbbbbbbb"])
    monkeypatch.setattr(io_module.secrets, "token_hex", lambda n: next(tokens))
    taken = tmp_path / ".out.txt.aaaaaaaa.tmp"
    taken.write_text("another writer's")
    used: list[str] = []
    atomic_write(tmp_path / "out.txt", lambda tmp: (used.append(tmp.name), tmp.write_text("mine")))
    assert used == [".out.txt.bbbbbbbb.tmp"]
    assert taken.read_text() == "another writer's"
    assert (tmp_path / "out.txt").read_text() == "mine"


def test_no_free_temporary_name_after_100_tries(tmp_path, monkeypatch):
    calls: list[int] = []

    def token(n: int) -> str:
        calls.append(n)
        return "cafe0000"

    monkeypatch.setattr(io_module.secrets, "token_hex", token)
    (tmp_path / ".out.txt.cafe0000.tmp").write_text("taken")
    with pytest.raises(FileExistsError) as refused:
        atomic_write(tmp_path / "out.txt", lambda tmp: tmp.write_text("never"))
    assert str(refused.value) == f"no free temporary name beside {tmp_path / 'out.txt'}"
    assert calls == [4] * 100  # 4 random bytes = 8 hex digits, 100 tries
    assert not (tmp_path / "out.txt").exists()


# --- write_table --------------------------------------------------------------------------------------


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"kpi": ["a", "b"], "n": [3, 4], "mean": [1.5, -0.25]}, index=[7, 9])


def test_write_table_parquet_round_trip_without_the_index(tmp_path):
    path = write_table(_frame(), str(tmp_path / "t.parquet"))
    assert path == tmp_path / "t.parquet"
    back = pd.read_parquet(path)
    assert list(back.columns) == ["kpi", "n", "mean"]  # no __index_level_0__
    assert back["kpi"].tolist() == ["a", "b"]
    assert back["n"].tolist() == [3, 4] and back["n"].dtype == np.int64
    assert back["mean"].tolist() == [1.5, -0.25]
    assert list(back.index) == [0, 1]
    assert _leftovers(tmp_path) == []


def test_write_table_csv_exact_text(tmp_path):
    path = write_table(_frame(), tmp_path / "t.csv")
    assert path == tmp_path / "t.csv"
    assert path.read_text() == "kpi,n,mean\na,3,1.5\nb,4,-0.25\n"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("name", ["t.txt", "t.xlsx", "t"])
def test_write_table_refuses_other_formats(tmp_path, name):
    suffix = Path(name).suffix
    with pytest.raises(ValueError) as refused:
        write_table(_frame(), tmp_path / name)
    assert str(refused.value) == f"unsupported table format: {suffix}"
    assert list(tmp_path.iterdir()) == []


# --- write_json ---------------------------------------------------------------------------------------


def test_write_json_exact_text_nan_and_inf_become_null(tmp_path):
    data = {"z": 1, "a": [1.5, float("nan")], "b": {"inf": float("inf"), "minus": float("-inf")},
            "t": (1, "x"), 3: None}
    path = write_json(data, str(tmp_path / "m.json"))
    assert path == tmp_path / "m.json"
    # indent 2, keys in the order given (not sorted), int key as a string, tuple as a list, newline at end
    assert path.read_text(encoding="utf-8") == (
        '{\n  "z": 1,\n  "a": [\n    1.5,\n    null\n  ],\n  "b": {\n    "inf": null,\n    "minus": null\n'
        '  },\n  "t": [\n    1,\n    "x"\n  ],\n  "3": null\n}\n')
    assert _leftovers(tmp_path) == []


def test_write_json_converts_numpy_scalars_at_any_depth(tmp_path):
    data = {"f": np.float64(2.5), "i": np.int64(7), "b": np.bool_(True), "nan": np.float32("nan"),
            "deep": [{"x": (np.int32(-3), np.float64("inf"))}], "s": "text"}
    back = json.loads(write_json(data, tmp_path / "n.json").read_text())
    assert back == {"f": 2.5, "i": 7, "b": True, "nan": None, "deep": [{"x": [-3, None]}], "s": "text"}
    assert type(back["i"]) is int and type(back["b"]) is bool


def test_write_json_keeps_finite_floats_and_non_ascii_text(tmp_path):
    back = json.loads(write_json({"x": 0.1, "y": -1e300, "name": "Hôpital"}, tmp_path / "j.json")
                      .read_text(encoding="utf-8"))
    assert back == {"x": 0.1, "y": -1e300, "name": "Hôpital"}


# --- episodes_frame -----------------------------------------------------------------------------------

NAMES = {
    "origin": ("arrival", "readmission", "census"),
    "pathway": ("P0", "P1", "P2", "P3"),
    "unit": ("ic_beds", "care_home"),
    "onward_unit": ("ic_beds", "care_home"),
    "after_p2": ("home", "p1", "p3"),
    "outcome": ("home", "care_home", "death", "readmission"),
    "barrier": ("minor_repair", "rehousing"),
    "fix_route": ("uncoordinated", "coordinated"),
    "flat": ("flats_a",),
}
NAN = float("nan")


def _scenario():
    config = single_unit_config(horizon_days=10.0, warm_up_days=2.0)  # starts 2025-01-06
    config["run"]["cool_down_days"] = 5.0  # the simulation stops at day 15
    return build_scenario(config)


def _table() -> EpisodeTable:
    """Seven episodes: kept ones (0, 1, 3, 6) and ones that began at or after the horizon (2, 4, 5)."""
    rows = [
        # 0: an arrival, P2, left acute on day 5.5, through a unit, readmitted, in flat slot 0
        dict(patient=10, episode=0, origin=0, pathway=2, admission_request_day=NAN, admission_day=NAN,
             nctr_day=3.0, acute_leave_day=5.5, unit=0, unit_request_day=4.75, unit_admit_day=5.5,
             unit_closed_wait_days=0.5,
             service_end_day=8.0, unit_leave_day=8.25, after_p2=1, p2_stays=1, onward_unit=1,
             onward_admit_day=8.25, onward_closed_wait_days=0.0, onward_leave_day=9.0, outcome=3,
             end_day=9.0, readmitted=1, barrier=1, fix_route=1, fix_referred_day=3.5,
             fix_start_day=4.0, fix_done_day=5.0, flat=0, flat_slot=0, flat_admit_day=4.5,
             flat_leave_day=5.5, case_closed_day=6.0),
        # 1: a warm-start patient already NCTR at the start (day -2), still in acute at the end
        dict(patient=11, episode=0, origin=2, pathway=1, nctr_day=-2.0),
        # 2: became NCTR on day 12, in the cool-down: left out
        dict(patient=12, episode=0, origin=0, pathway=0, nctr_day=12.0, acute_leave_day=12.5),
        # 3: not NCTR yet (acute pool), asked for admission on day 4: kept, no delay
        dict(patient=13, episode=1, origin=1, pathway=3, admission_request_day=4.0, admission_day=4.5),
        # 4: not NCTR, asked for admission on day 11 (cool-down): left out
        dict(patient=14, episode=0, origin=0, pathway=3, admission_request_day=11.0),
        # 5: NCTR exactly at the horizon (day 10): the window is [.., 10), left out
        dict(patient=15, episode=0, origin=0, pathway=0, nctr_day=10.0, acute_leave_day=10.5),
        # 6: asked for an acute bed on day 8 (acute pool), NCTR on day 11 in the cool-down: kept, as
        # its acute stay began before the horizon (the acute KPIs count it)
        dict(patient=16, episode=0, origin=0, pathway=0, admission_request_day=8.0, admission_day=8.5,
             nctr_day=11.0, acute_leave_day=11.5, outcome=0, end_day=11.5),
    ]
    default = {"f": NAN, "i": 0, "c": -1, "n": -1}
    columns = {}
    for name, kind in SCHEMA.items():
        dtype = float if kind == "f" else np.int64
        columns[name] = np.array([row.get(name, default[kind]) for row in rows], dtype=dtype)
    return EpisodeTable(columns, NAMES)


def test_episodes_frame_columns_and_dtypes():
    frame = episodes_frame(_table(), _scenario(), replication=4)
    assert list(frame.columns) == ["replication", *SCHEMA, "delayed_days", "delay_censored", "nctr_time"]
    expected = {"f": "float64", "i": "int64", "c": "string", "n": "Int64"}
    dtypes = {name: str(frame[name].dtype) for name in frame.columns}
    assert dtypes == {"replication": "int64",
                      **{name: ("bool" if name == "readmitted" else expected[kind])
                         for name, kind in SCHEMA.items()},
                      "delayed_days": "float64", "delay_censored": "bool",
                      "nctr_time": "datetime64[us]"}


def test_episodes_frame_every_value(tmp_path):
    frame = episodes_frame(_table(), _scenario(), replication=4)
    na = pd.NA

    def f(*values):
        return pd.Series(values, dtype="float64")

    def s(*values):
        return pd.array(values, dtype="string")

    expected = pd.DataFrame({  # rows: patients 10, 11 (census, censored), 13 (not NCTR yet) and 16
        "replication": np.array([4, 4, 4, 4], dtype=np.int64),  # (NCTR in the cool-down)
        "patient": np.array([10, 11, 13, 16], dtype=np.int64),
        "episode": np.array([0, 0, 1, 0], dtype=np.int64),
        "origin": s("arrival", "census", "readmission", "arrival"),
        "pathway": s("P2", "P1", "P3", "P0"),
        "admission_request_day": f(NAN, NAN, 4.0, 8.0),
        "admission_day": f(NAN, NAN, 4.5, 8.5),
        "nctr_day": f(3.0, -2.0, NAN, 11.0),
        "acute_leave_day": f(5.5, NAN, NAN, 11.5),
        "unit": s("ic_beds", na, na, na),
        "unit_request_day": f(4.75, NAN, NAN, NAN),
        "unit_admit_day": f(5.5, NAN, NAN, NAN),
        "unit_closed_wait_days": f(0.5, NAN, NAN, NAN),
        "service_end_day": f(8.0, NAN, NAN, NAN),
        "unit_leave_day": f(8.25, NAN, NAN, NAN),
        "after_p2": s("p1", na, na, na),
        "p2_stays": np.array([1, 0, 0, 0], dtype=np.int64),
        "onward_unit": s("care_home", na, na, na),
        "onward_admit_day": f(8.25, NAN, NAN, NAN),
        "onward_closed_wait_days": f(0.0, NAN, NAN, NAN),
        "onward_leave_day": f(9.0, NAN, NAN, NAN),
        "outcome": s("readmission", na, na, "home"),
        "end_day": f(9.0, NAN, NAN, 11.5),
        "readmitted": np.array([True, False, False, False]),
        "barrier": s("rehousing", na, na, na),
        "fix_route": s("coordinated", na, na, na),
        "fix_referred_day": f(3.5, NAN, NAN, NAN),
        "fix_start_day": f(4.0, NAN, NAN, NAN),
        "fix_done_day": f(5.0, NAN, NAN, NAN),
        "flat": s("flats_a", na, na, na),
        "flat_slot": pd.array([0, na, na, na], dtype="Int64"),
        "flat_admit_day": f(4.5, NAN, NAN, NAN),
        "flat_leave_day": f(5.5, NAN, NAN, NAN),
        "case_closed_day": f(6.0, NAN, NAN, NAN),  # after a day's follow-up
        "delayed_days": f(2.5, 17.0, NAN, 0.5),  # 5.5 - 3; censored: (10 + 5) - (-2); not NCTR; 11.5 - 11
        "delay_censored": np.array([False, True, False, False]),
        "nctr_time": pd.Series([pd.Timestamp("2025-01-09"), pd.Timestamp("2025-01-04"), pd.NaT,
                                pd.Timestamp("2025-01-17")],
                               dtype="datetime64[us]"),  # 2025-01-06 + 3 d, - 2 d, + 11 d
    })
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    # The file is written from Arrow tables built without pandas: pandas reads back the expected frame
    # (its metadata gives the types), and other readers get plain Arrow types, nulls for NaN.
    table = pa.concat_tables(episodes_tables(_table(), _scenario(), replication=4))
    pd.testing.assert_frame_equal(pd.read_parquet(write_arrow(table, tmp_path / "p.parquet")), expected,
                                  check_exact=True)
    assert {field.type for field in table.schema} == {pa.large_string(), pa.int64(), pa.float64(), pa.bool_(),
                                                      pa.timestamp("us")}
    assert table["nctr_day"].null_count == 1 and table["unit"].null_count == 3


def test_episodes_frame_keeps_episodes_that_began_before_the_horizon():
    frame = episodes_frame(_table(), _scenario(), replication=4)
    assert frame["patient"].tolist() == [10, 11, 13, 16]  # 16: asked for its acute bed before it
    assert frame["replication"].tolist() == [4, 4, 4, 4]
    assert list(frame.index) == [0, 1, 2, 3]


@pytest.mark.filterwarnings("error")  # users would see any warning pandas gives
def test_episodes_frame_values_of_a_finished_episode():
    row = episodes_frame(_table(), _scenario(), replication=4).iloc[0]
    assert (row["origin"], row["pathway"], row["unit"], row["onward_unit"], row["after_p2"],
            row["outcome"], row["barrier"], row["fix_route"], row["flat"]) == (
        "arrival", "P2", "ic_beds", "care_home", "p1", "readmission", "rehousing", "coordinated",
        "flats_a")
    assert row["readmitted"] is np.True_
    assert row["flat_slot"] == 0  # slot 0 is a slot; only -1 means none
    assert (row["patient"], row["episode"], row["p2_stays"]) == (10, 0, 1)
    assert (row["nctr_day"], row["acute_leave_day"], row["unit_admit_day"], row["unit_closed_wait_days"],
            row["service_end_day"], row["unit_leave_day"], row["onward_admit_day"],
            row["onward_leave_day"], row["end_day"], row["fix_referred_day"], row["fix_start_day"],
            row["fix_done_day"], row["flat_admit_day"], row["flat_leave_day"]) == (
        3.0, 5.5, 5.5, 0.5, 8.0, 8.25, 8.25, 9.0, 9.0, 3.5, 4.0, 5.0, 4.5, 5.5)
    assert row["delayed_days"] == 2.5  # left acute on day 5.5, NCTR on day 3: 5.5 - 3 = 2.5
    assert row["delay_censored"] is np.False_
    assert row["nctr_time"] == pd.Timestamp("2025-01-09")  # 2025-01-06 + 3 days


def test_episodes_frame_censored_delay_runs_to_the_end_of_the_cool_down():
    frame = episodes_frame(_table(), _scenario(), replication=4)
    row = frame.iloc[1]
    assert (row["origin"], row["pathway"]) == ("census", "P1")
    # still in acute when the simulation stopped at day 10 + 5 = 15; NCTR on day -2: 15 - (-2) = 17
    assert row["delayed_days"] == 17.0
    assert row["delay_censored"] is np.True_
    assert row["nctr_time"] == pd.Timestamp("2025-01-04")  # 2025-01-06 - 2 days
    # codes of -1 are nulls, not names
    for name in ("unit", "onward_unit", "after_p2", "outcome", "barrier", "fix_route", "flat"):
        assert row[name] is pd.NA, name
    assert row["flat_slot"] is pd.NA
    assert row["readmitted"] is np.False_
    assert np.isnan(row["acute_leave_day"]) and np.isnan(row["end_day"])


def test_episodes_frame_episode_not_yet_nctr_has_no_delay():
    row = episodes_frame(_table(), _scenario(), replication=4).iloc[2]
    assert (row["patient"], row["episode"], row["origin"], row["pathway"]) == (13, 1, "readmission", "P3")
    assert (row["admission_request_day"], row["admission_day"]) == (4.0, 4.5)
    assert np.isnan(row["nctr_day"]) and np.isnan(row["delayed_days"])
    assert row["delay_censored"] is np.False_  # not NCTR: nothing censored
    assert row["nctr_time"] is pd.NaT


def test_episodes_frame_of_an_empty_log():
    columns = {name: np.array([], dtype=float if kind == "f" else np.int64) for name, kind in SCHEMA.items()}
    frame = episodes_frame(EpisodeTable(columns, NAMES), _scenario(), replication=0)
    assert len(frame) == 0
    assert list(frame.columns) == ["replication", *SCHEMA, "delayed_days", "delay_censored", "nctr_time"]
    # the same column types as a full log, so the parquet schema does not depend on the data
    assert (str(frame["pathway"].dtype), str(frame["flat_slot"].dtype), str(frame["replication"].dtype)) == (
        "string", "Int64", "int64")


def test_episodes_frame_column_types_do_not_depend_on_the_values():
    table = _table()
    for name in ("flat", "barrier", "fix_route"):
        table.columns[name][:] = -1  # nobody had a housing barrier or a flat
    table.columns["flat_slot"][:] = -1
    frame = episodes_frame(table, _scenario(), replication=np.int32(2))  # any integer type
    assert (str(frame["flat"].dtype), str(frame["barrier"].dtype), str(frame["flat_slot"].dtype)) == (
        "string", "string", "Int64")
    assert frame["flat"].isna().all() and frame["flat_slot"].isna().all()
    assert str(frame["replication"].dtype) == "int64" and frame["replication"].tolist() == [2, 2, 2, 2]


# --- census_frame -------------------------------------------------------------------------------------


def test_census_frame_puts_replication_and_date_first():
    census = {"day": np.array([2.0, 3.0]),
              "date": np.array(["2025-01-08", "2025-01-09"], dtype="datetime64[D]"),
              "nctr_census": np.array([5, 7]), "occupied_ic_beds": np.array([1, 0])}
    frame = census_frame(RunMetrics(kpis={}, units=[], census=census), replication=3)
    assert list(frame.columns) == ["replication", "date", "day", "nctr_census", "occupied_ic_beds"]
    assert frame["replication"].tolist() == [3, 3]
    assert str(frame["date"].dtype) == "datetime64[us]"
    assert frame["date"].tolist() == [pd.Timestamp("2025-01-08"), pd.Timestamp("2025-01-09")]
    assert frame["day"].tolist() == [2.0, 3.0]
    assert frame["nctr_census"].tolist() == [5, 7]
    assert frame["occupied_ic_beds"].tolist() == [1, 0]


# --- manifest -----------------------------------------------------------------------------------------


def test_manifest_records_what_reproduces_a_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not a git checkout: the SHA is flowsim's own
    scenario = _scenario()
    config = {"seed": 1, "run": {"horizon_days": 10.0}}
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    record = manifest(config, ("seed=1", "run.horizon_days=10"), scenario)
    after = dt.datetime.now(dt.UTC)
    assert list(record) == ["created", "seed", "replications", "overrides", "config", "versions",
                            "python", "platform", "git_sha"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", record["created"]), record["created"]
    assert before <= dt.datetime.fromisoformat(record["created"]) <= after
    assert (record["seed"], record["replications"]) == (1, 1)  # single_unit_config: seed 1, 1 replication
    assert record["overrides"] == ["seed=1", "run.horizon_days=10"]
    assert record["config"] is config
    import hydra
    import scipy
    import simpy

    assert record["versions"] == {"flowsim": "0.1.0", "simpy": simpy.__version__, "numpy": np.__version__,
                                  "scipy": scipy.__version__, "pandas": pd.__version__,
                                  "hydra-core": hydra.__version__}
    assert record["python"] == "{}.{}.{}".format(*sys.version_info[:3])
    assert record["platform"] == platform.platform()
    head = subprocess.run(["git", "-C", str(Path(io_module.__file__).parent), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert record["git_sha"] == head and re.fullmatch(r"[0-9a-f]{40}", head)


def test_manifest_without_a_package_or_git(monkeypatch, uninstall):
    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")

    uninstall("simpy")
    monkeypatch.setattr(io_module.subprocess, "run", no_git)
    record = manifest({}, [], _scenario())
    assert record["versions"]["simpy"] is None and record["versions"]["numpy"] == np.__version__
    assert record["git_sha"] is None


def test_git_sha_of_a_repository_without_commits_is_none(tmp_path, monkeypatch):
    # flowsim's sources in a repository with no commit yet: git prints "HEAD" and fails
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "flowsim").mkdir()
    monkeypatch.setattr(io_module, "__file__", str(tmp_path / "flowsim" / "io.py"))
    assert manifest({}, [], _scenario())["git_sha"] is None


def test_a_stuck_git_does_not_hold_up_the_manifest(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "git"
    fake.parent.mkdir()
    # a git that takes 5.5 s to answer (a hung network drive, a lock): flowsim waits 5 s at most
    fake.write_text("#!/bin/sh\nsleep 5.5\necho 0123456789abcdef0123456789abcdef01234567\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    assert manifest({}, [], _scenario())["git_sha"] is None


@pytest.mark.parametrize("outcome", ["timeout", "empty"])
def test_git_sha_is_none_when_git_says_nothing(monkeypatch, outcome):
    def run(args, **kwargs):
        if outcome == "timeout":
            raise subprocess.TimeoutExpired(args, 5)
        return subprocess.CompletedProcess(args, 128, stdout="\n", stderr="not a git repository")

    monkeypatch.setattr(io_module.subprocess, "run", run)
    assert manifest({}, [], _scenario())["git_sha"] is None


def test_concat_parquet_streams_parts_into_one_file_a_row_group_each(tmp_path):
    import pyarrow.parquet as pq

    frames = [pd.DataFrame({"replication": [r] * (r + 2), "day": np.arange(r + 2, dtype=float),
                            "unit": pd.array([None] * (r + 2) if r == 1 else ["a"] * (r + 2),
                                             dtype="string")}) for r in range(3)]
    parts = [write_table(f, tmp_path / f"part{r}.parquet") for r, f in enumerate(frames)]
    target = concat_parquet(parts, tmp_path / "all.parquet")
    back = pd.read_parquet(target)
    pd.testing.assert_frame_equal(back, pd.concat(frames, ignore_index=True), check_exact=True)
    assert pq.ParquetFile(target).num_row_groups == 3
    one = concat_parquet(parts[:1], tmp_path / "one.parquet")
    assert one.read_bytes() == parts[0].read_bytes()  # a single part is copied as it is
    with pytest.raises(ValueError, match="no parts"):
        concat_parquet([], tmp_path / "none.parquet")


def test_episodes_in_parts_equal_the_whole_table_and_write_the_same_row_groups(tmp_path):
    scenario = load_scenario(["scenario=quick", "run.horizon_days=90", "run.warm_up_days=30"])
    table = simulate(scenario, 0).episodes
    whole = episodes_frame(table, scenario, 2)
    parts = list(episodes_frames(table, scenario, 2, rows_per_frame=500))
    assert [len(p) for p in parts[:-1]] == [500] * (len(parts) - 1) and 0 < len(parts[-1]) <= 500
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole, check_exact=True)
    # written part by part: the bytes pandas writes for the whole table in row groups of that size
    streamed = write_frames(iter(parts), tmp_path / "parts.parquet")
    whole.to_parquet(tmp_path / "whole.parquet", index=False, row_group_size=500, **PARQUET_OPTIONS)
    assert streamed.read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    assert write_frames([whole], tmp_path / "one.parquet").read_bytes() == write_table(
        whole, tmp_path / "table.parquet").read_bytes()
    # a run that kept no episode still gives one (empty) part with every column
    empty = list(episodes_frames(table, dataclasses.replace(scenario, horizon_days=-1.0), 2))
    assert len(empty) == 1 and empty[0].empty and list(empty[0].columns) == list(whole.columns)
    for rows in (1, 2, 500):  # one empty part, whatever the size of a part
        assert [len(t) for t in episodes_tables(table, dataclasses.replace(scenario, horizon_days=-1.0), 2,
                                                rows_per_table=rows)] == [0]
    with pytest.raises(ValueError, match="no frames"):
        write_frames([], tmp_path / "none.parquet")


def test_parquet_parts_appear_whole_at_close_and_an_error_leaves_nothing(tmp_path):
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    target = tmp_path / "out" / "t.parquet"
    parts = ParquetParts(target)
    parts.write(frame)
    parts.write(frame)
    assert not target.exists()  # being written: only a temporary beside it
    assert parts.close() == target
    pd.testing.assert_frame_equal(pd.read_parquet(target), pd.concat([frame, frame], ignore_index=True))
    # abort: the partial file and its temporary are gone, and the folder holds only what it had
    aborted = ParquetParts(tmp_path / "out" / "a.parquet")
    aborted.write(frame)
    aborted.abort()
    aborted.abort()  # twice is harmless
    assert sorted(p.name for p in target.parent.iterdir()) == ["t.parquet"]
    with pytest.raises(RuntimeError, match="stop"), ParquetParts(tmp_path / "out" / "c.parquet") as failing:
        failing.write(frame)
        raise RuntimeError("stop")
    assert sorted(p.name for p in target.parent.iterdir()) == ["t.parquet"]
    with ParquetParts(tmp_path / "out" / "d.parquet") as ok:
        ok.write(frame)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "d.parquet"), frame)
    # a later frame is stored with the first's column types (here a column all missing, no type of its own)
    with ParquetParts(tmp_path / "out" / "e.parquet") as typed:
        typed.write(frame)
        typed.write(frame.assign(b=None))
    back = pd.read_parquet(tmp_path / "out" / "e.parquet")
    assert back["b"].tolist()[:2] == ["x", "y"] and back["b"].iloc[2:].isna().all()


def test_discarding_twice_or_after_the_temporary_vanished_is_harmless(tmp_path):
    # e.g. a clean-up of the folder removed the temporary, then the error came and the with-block left
    frame = pd.DataFrame({"a": [1, 2]})
    first, second = write_table(frame, tmp_path / "a.parquet"), write_table(frame, tmp_path / "b.parquet")
    out = tmp_path / "out"
    parts, joined = ParquetParts(out / "p.parquet"), ParquetConcat(out / "j.parquet")
    parts.write(frame)
    joined.append(first)
    joined.append(second)
    temporaries = sorted(out.glob(".*.tmp"))
    assert len(temporaries) == 2
    for temporary in temporaries:
        temporary.unlink()
    for writer in (parts, joined):
        writer.abort()
        writer.abort()
    assert list(out.iterdir()) == []


def test_joined_parts_go_to_a_new_folder_and_discarding_after_closing_keeps_the_file(tmp_path):
    # a run's table goes to a folder that may not exist yet, parents and all; a with-block whose
    # error comes after the file is in place (or a clean-up that discards anyway) must not touch it
    frame = pd.DataFrame({"a": [1, 2]})
    first, second = write_table(frame, tmp_path / "a.parquet"), write_table(frame, tmp_path / "b.parquet")
    target = tmp_path / "new" / "deeper" / "j.parquet"
    joined = ParquetConcat(target)
    joined.append(first)
    joined.append(second)
    assert joined.close() == target
    joined.abort()
    joined.abort()
    assert pd.read_parquet(target)["a"].tolist() == [1, 2, 1, 2]
    assert sorted(p.name for p in target.parent.iterdir()) == ["j.parquet"]


def test_a_part_that_cannot_be_stored_as_the_first_is_refused_and_nothing_is_left(tmp_path):
    import pyarrow.parquet as pq

    # parts from another writer: Parquet format 1.0, and a column with no type (all missing); rewritten
    # with the first part's types it is still a format-2.6 file, which cannot be joined to a 1.0 one
    pq.write_table(pa.table({"a": [1, 2], "b": ["x", "y"]}), tmp_path / "first.parquet", version="1.0")
    pq.write_table(pa.table({"a": [3], "b": pa.array([None], pa.null())}), tmp_path / "second.parquet",
                   version="1.0")
    with pytest.raises(ValueError) as error:
        concat_parquet([tmp_path / "first.parquet", tmp_path / "second.parquet"], tmp_path / "out.parquet")
    assert str(error.value) == (f"{tmp_path / 'second.parquet'}: its columns cannot be stored as those of "
                                f"{tmp_path / 'first.parquet'}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.parquet", "second.parquet"]


def test_parquet_files_are_written_without_dictionary_encoding(tmp_path):
    import pyarrow.parquet as pq

    # the patient records' costly part to write; every flowsim Parquet file is written the same way
    frame = pd.DataFrame({"unit": ["ic_beds", "care_home_unit"] * 50, "days": np.arange(100.0)})
    # a part whose unit column is all missing is stored as Arrow nulls: joining rewrites it as strings
    blank = write_table(frame.assign(unit=None), tmp_path / "blank.parquet")
    assert pq.read_schema(blank).field("unit").type == pa.null()
    written = [write_table(frame, tmp_path / "table.parquet"),
               write_frames([frame, frame], tmp_path / "frames.parquet"),
               concat_parquet([tmp_path / "table.parquet", tmp_path / "frames.parquet", blank],
                              tmp_path / "joined.parquet")]
    assert pq.ParquetFile(written[-1]).metadata.num_row_groups == 4  # the rewritten part's too
    for path in written:
        meta = pq.ParquetFile(path).metadata
        for group in range(meta.num_row_groups):
            for column in range(meta.num_columns):
                chunk = meta.row_group(group).column(column)
                assert chunk.dictionary_page_offset is None, (path.name, chunk.path_in_schema)
        assert pd.read_parquet(path)["unit"].iloc[:2].tolist() == ["ic_beds", "care_home_unit"]


def _group_sizes(path: Path) -> list[int]:
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]


@pytest.fixture(scope="module")
def streamed_log():
    """A run's log as the run sends it (parts of its own sizes), and its scenario."""

    scenario = load_scenario(["run.horizon_days=150", "run.warm_up_days=30"])
    parts: list[EpisodeTable] = []
    run_replication(scenario, 3, keep_episodes=False, on_part=parts.append)
    return scenario, parts


def _recut(parts: list[EpisodeTable], rows: int) -> list[EpisodeTable]:
    """The same records in parts of ``rows`` rows (the last shorter), as a run with other batches sends."""
    whole = {name: np.concatenate([p[name] for p in parts]) for name in parts[0].columns}
    return [EpisodeTable({name: column[first:first + rows] for name, column in whole.items()}, parts[0].names)
            for first in range(0, len(whole["row"]), rows)]


@pytest.mark.parametrize("part_rows, rows_per_group", [
    (None, 6000),  # the run's own parts: some fill a group alone, some wait for the next
    (1000, 2000),  # a group's worth exactly: written at once
    (1000, 2001),  # then counted afresh from none
    (1000, 2500),
])
def test_patient_records_write_a_row_group_whenever_a_group_of_rows_has_come(tmp_path, streamed_log,
                                                                           part_rows, rows_per_group):

    scenario, parts = streamed_log
    parts = parts if part_rows is None else _recut(parts, part_rows)
    assert len(parts) > 4 and sum(map(len, parts)) > 3 * rows_per_group
    # by hand: parts are gathered until a group's worth of rows, then written in groups of at most
    # that many rows (the patients a run kept: those ready, or asked for, before the horizon)
    gathered: list[list[EpisodeTable]] = [[]]
    for part in parts:
        gathered[-1].append(part)
        if sum(map(len, gathered[-1])) >= rows_per_group:
            gathered.append([])
    expected_sizes: list[int] = []
    frames = []
    for group in filter(None, gathered):
        frame = episodes_frame(whole_log(group, code_names(scenario)), scenario, 3)
        frames.append(frame)
        expected_sizes += [min(rows_per_group, len(frame) - first)
                           for first in range(0, len(frame), rows_per_group)]
    writer = PatientRecords(tmp_path / "patients.parquet", scenario, 3, rows_per_group=rows_per_group)
    for part in parts:
        writer(part)
    written = writer.close()
    assert _group_sizes(written) == expected_sizes
    pd.testing.assert_frame_equal(pd.read_parquet(written), pd.concat(frames, ignore_index=True),
                                  check_exact=True)
    # one group's worth or fewer: the file of the whole table, byte for byte
    small = PatientRecords(tmp_path / "small.parquet", scenario, 3)
    for part in parts:
        small(part)
    whole = pa.concat_tables(episodes_tables(whole_log(parts, code_names(scenario)), scenario, 3))
    assert small.close().read_bytes() == write_arrow(whole, tmp_path / "whole.parquet").read_bytes()


def test_patient_records_of_a_run_that_kept_no_patient_have_every_column(tmp_path):

    scenario = load_scenario(["scenario=quick", "run.horizon_days=60", "run.warm_up_days=30"])
    columns = list(episodes_frame(simulate(scenario, 0).episodes, scenario, 0).columns)
    nothing = PatientRecords(tmp_path / "none.parquet", scenario, 0).close()  # no part sent at all
    parts: list[EpisodeTable] = []
    run_replication(scenario, 0, keep_episodes=False, on_part=parts.append)
    late = PatientRecords(tmp_path / "late.parquet", dataclasses.replace(scenario, horizon_days=-1.0), 0,
                          rows_per_group=50)  # parts sent, none kept: still one empty group
    for part in parts:
        late(part)
    for path in (nothing, late.close()):
        back = pd.read_parquet(path)
        assert back.empty and list(back.columns) == columns
        assert _group_sizes(path) == [0]
