"""flowsim.experiment.checkpoint: a replication is 'done' only once all its tables are on disk (kpis.json, the
marker, goes last), it loads back exactly as saved, and checkpoints of other identities are found,
described and removed as the resume logic expects."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path

import pandas as pd
import pytest

import flowsim.experiment.checkpoint as checkpoint_module
from flowsim.experiment.checkpoint import IDENTITY_FILE, Checkpoints, ReplicationRecord
from flowsim.experiment.identity import RunIdentity
from flowsim.experiment.io import write_arrow, write_json, write_table

IDENTITY = RunIdentity(config={"run": {"horizon_days": 40}}, inputs={"arrivals.series_csv": None},
                       flowsim_version="0.1.0", source_sha256="ab" * 32, seed=5)


def _record(replication: int = 3, *, census: bool = True, patients: bool = True) -> ReplicationRecord:
    units = [{"replication": replication, "unit": "ic_beds", "capacity": 10, "utilisation": 0.5},
             {"replication": replication, "unit": "p1", "capacity": 4, "utilisation": float("nan")}]
    census_table = pd.DataFrame({"replication": [replication], "date": pd.to_datetime(["2025-04-01"]),
                                 "nctr_census": [12]})
    patients_table = pd.DataFrame({"replication": [replication], "patient": [7], "pathway": ["P2"],
                                   "delayed_days": [2.5]})
    return ReplicationRecord(replication, {"delayed_days_total": 120.5, "p95": float("nan"), "n": 4},
                             units, census_table if census else None, patients_table if patients else None)


def _assert_same(loaded: ReplicationRecord, saved: ReplicationRecord, *, census: bool, patients: bool):
    assert loaded.replication == saved.replication
    assert loaded.kpis.keys() == saved.kpis.keys()
    assert loaded.kpis["delayed_days_total"] == 120.5 and loaded.kpis["n"] == 4
    assert math.isnan(loaded.kpis["p95"])  # stored as null, read back as NaN
    assert [u["unit"] for u in loaded.units] == [u["unit"] for u in saved.units]
    assert [u["capacity"] for u in loaded.units] == [10, 4]  # whole numbers stay whole
    assert loaded.units[0]["utilisation"] == 0.5 and math.isnan(loaded.units[1]["utilisation"])  # NaN
    if census:
        pd.testing.assert_frame_equal(loaded.census, saved.census)
    else:
        assert loaded.census is None
    if patients:
        pd.testing.assert_frame_equal(loaded.patients, saved.patients)
    else:
        assert loaded.patients is None


def test_save_writes_the_tables_identity_and_marker(tmp_path):
    store = Checkpoints(str(tmp_path), IDENTITY)
    assert store.root == tmp_path and store.folder == tmp_path / IDENTITY.digest
    store.save(_record(3))
    rep = tmp_path / IDENTITY.digest / "rep-000003"
    assert sorted(p.name for p in rep.iterdir()) == ["census.parquet", "kpis.json", "patients.parquet",
                                                     "units.parquet"]
    assert json.loads((rep / "kpis.json").read_text()) == {
        "replication": 3, "kpis": {"delayed_days_total": 120.5, "p95": None, "n": 4}}
    assert IDENTITY_FILE == "identity.json"
    stored = json.loads((tmp_path / IDENTITY.digest / "identity.json").read_text())
    assert stored == {"digest": IDENTITY.digest, "seed": 5, "flowsim_version": "0.1.0",
                      "source_sha256": "ab" * 32, "inputs": {"arrivals.series_csv": None},
                      "config_sha256": IDENTITY.config_sha256, "config": {"run": {"horizon_days": 40}}}
    assert RunIdentity.from_json(stored) == IDENTITY


def test_the_identity_file_is_written_once(tmp_path):
    store = Checkpoints(tmp_path, IDENTITY)
    store.save(_record(0))
    path = tmp_path / IDENTITY.digest / IDENTITY_FILE
    path.write_text('{"kept": true}')
    store.save(_record(1))
    assert path.read_text() == '{"kept": true}'


@pytest.mark.parametrize(("census", "patients"), [(True, True), (True, False), (False, True),
                                                  (False, False)])
def test_round_trip(tmp_path, census, patients):
    store = Checkpoints(tmp_path, IDENTITY)
    saved = _record(3, census=census, patients=patients)
    store.save(saved)
    assert store.done() == [3]
    loaded = store.load(3, census=census, patients=patients)
    _assert_same(loaded, saved, census=census, patients=patients)
    # fewer tables than were saved are wanted: the others are not read
    lean = store.load(3, census=False, patients=False)
    _assert_same(lean, saved, census=False, patients=False)
    # tables=False: wanted tables are checked for and left on disk, where path() finds them
    unread = store.load(3, census=census, patients=patients, tables=False)
    _assert_same(unread, saved, census=False, patients=False)
    for name, wanted in (("census", census), ("patients", patients)):
        if wanted:
            pd.testing.assert_frame_equal(pd.read_parquet(store.path(3, name)), getattr(saved, name))
    # a wanted table that was not saved: the replication must be run again
    assert (store.load(3, census=True, patients=patients) is None) is not census
    assert (store.load(3, census=True, patients=patients, tables=False) is None) is not census
    assert (store.load(3, census=census, patients=True) is None) is not patients


def test_a_missing_units_table_or_marker_means_not_loaded(tmp_path):
    store = Checkpoints(tmp_path, IDENTITY)
    store.save(_record(0))
    store.save(_record(1))
    (tmp_path / IDENTITY.digest / "rep-000000" / "units.parquet").unlink()
    assert store.load(0, census=False, patients=False) is None
    (tmp_path / IDENTITY.digest / "rep-000001" / "kpis.json").unlink()
    assert store.done() == [0]  # by its marker; load refuses it all the same (above)
    assert store.load(1, census=False, patients=False) is None
    assert store.load(2, census=False, patients=False) is None  # never saved


@pytest.mark.parametrize(("name", "damage"), [
    ("kpis.json", b'{"kpis": {'),              # cut short
    ("kpis.json", b'{"replication": 0}'),      # not a marker
    ("units.parquet", b"PAR1 not a table"),
    ("census.parquet", b"PAR1"),               # read only as a footer (tables=False)
    ("patients.parquet", b"\x00" * 64),
])
def test_a_damaged_replication_is_not_loaded_and_is_removed_to_run_again(tmp_path, name, damage):
    store = Checkpoints(tmp_path, IDENTITY)
    for replication in (0, 1):
        store.save(_record(replication))
    (tmp_path / IDENTITY.digest / "rep-000000" / name).write_bytes(damage)
    assert store.load(0, census=True, patients=True, tables=False) is None
    assert not (tmp_path / IDENTITY.digest / "rep-000000").exists()
    assert store.done() == [1]
    _assert_same(store.load(1, census=True, patients=True), _record(1), census=True, patients=True)


def _refuse_to_delete(monkeypatch, suffix: str) -> None:
    """Make ``os.unlink`` (what ``shutil.rmtree`` calls) fail for files ending with ``suffix``."""
    real = os.unlink

    def unlink(path, *args, **kwargs):
        if os.fspath(path).endswith(suffix):
            raise PermissionError(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)


def test_a_damaged_replication_that_cannot_be_deleted_is_still_not_loaded(tmp_path, monkeypatch):
    store = Checkpoints(tmp_path, IDENTITY)
    store.save(_record(0))
    rep = tmp_path / IDENTITY.digest / "rep-000000"
    (rep / "kpis.json").write_bytes(b'{"kpis": {')
    _refuse_to_delete(monkeypatch, "units.parquet")
    assert store.load(0, census=True, patients=True) is None  # run again, not a crash
    monkeypatch.undo()
    assert (rep / "units.parquet").is_file()


def test_patients_given_as_parts_are_saved_as_one_table(tmp_path):
    whole = _record(2)
    parts = [whole.patients.assign(patient=[7]), whole.patients.assign(patient=[8], delayed_days=[0.5])]
    store = Checkpoints(tmp_path, IDENTITY)
    store.save(dataclasses.replace(whole, patients=iter(parts)))  # read one part at a time
    loaded = store.load(2, census=True, patients=True)
    pd.testing.assert_frame_equal(loaded.patients, pd.concat(parts, ignore_index=True))
    pd.testing.assert_frame_equal(pd.read_parquet(store.path(2, "patients")), loaded.patients)


def test_done_lists_replications_in_numeric_order(tmp_path):
    store = Checkpoints(tmp_path, IDENTITY)
    assert store.done() == []  # no folder yet
    for replication in (11, 2, 100000, 0):
        store.save(_record(replication, census=False, patients=False))
    assert store.done() == [0, 2, 11, 100000]
    assert sorted(p.name for p in store.folder.iterdir()) == [
        "identity.json", "rep-000000", "rep-000002", "rep-000011", "rep-100000"]
    (store.folder / "rep-000007").mkdir()  # begun, nothing written
    assert store.done() == [0, 2, 11, 100000]


def test_another_identity_does_not_see_these_checkpoints(tmp_path):
    Checkpoints(tmp_path, IDENTITY).save(_record(0))
    other = Checkpoints(tmp_path, dataclasses.replace(IDENTITY, seed=6))
    assert other.done() == []
    assert other.load(0, census=False, patients=False) is None


# --- a crash between writes leaves nothing marked done -------------------------------------------------


def _failing_on(call: int, monkeypatch, writers: tuple[str, ...] = ("write_table", "write_arrow")
                ) -> list[str]:
    """Make the ``call``-th file a checkpoint writes with ``writers`` fail (by default a table: a frame or an
    Arrow table); the names of the files tried."""
    calls: list[str] = []

    def failing(real):
        def write(*args, **kwargs):
            calls.append(Path(args[1]).name)
            if len(calls) == call:
                raise OSError("disk full")
            return real(*args, **kwargs)

        return write

    for writer in writers:
        monkeypatch.setattr(checkpoint_module, writer, failing(getattr(checkpoint_module, writer)))
    return calls


def test_kpis_json_is_written_last(tmp_path, monkeypatch):
    order: list[str] = []

    def writing(real):
        def write(table, path):
            order.append(Path(path).name)
            assert not (Path(path).parent / "kpis.json").exists()
            return real(table, path)

        return write

    def json_file(data, path):
        order.append(Path(path).name)
        return write_json(data, path)

    monkeypatch.setattr(checkpoint_module, "write_table", writing(write_table))  # a frame (the test's)
    monkeypatch.setattr(checkpoint_module, "write_arrow", writing(write_arrow))  # the units, a run's census
    monkeypatch.setattr(checkpoint_module, "write_json", json_file)
    Checkpoints(tmp_path, IDENTITY).save(_record(0))
    assert order == ["identity.json", "units.parquet", "census.parquet", "patients.parquet", "kpis.json"]


@pytest.mark.parametrize("call", [1, 2, 3])
def test_a_crash_while_writing_a_table_leaves_the_replication_not_done(tmp_path, monkeypatch, call):
    store = Checkpoints(tmp_path, IDENTITY)
    calls = _failing_on(call, monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        store.save(_record(4))
    assert calls[-1] == ["units.parquet", "census.parquet", "patients.parquet"][call - 1]
    assert store.done() == []
    assert store.load(4, census=True, patients=True) is None
    assert store.load(4, census=False, patients=False) is None
    monkeypatch.undo()
    store.save(_record(4))  # the rerun completes it
    assert store.done() == [4]
    _assert_same(store.load(4, census=True, patients=True), _record(4), census=True, patients=True)


@pytest.mark.parametrize("call", [1, 2])  # identity.json, then kpis.json
def test_a_crash_while_writing_json_leaves_the_replication_not_done(tmp_path, monkeypatch, call):
    store = Checkpoints(tmp_path, IDENTITY)
    calls = _failing_on(call, monkeypatch, ("write_json",))
    with pytest.raises(OSError, match="disk full"):
        store.save(_record(4))
    assert calls[-1] == ["identity.json", "kpis.json"][call - 1]
    assert store.done() == []
    assert store.load(4, census=False, patients=False) is None
    monkeypatch.undo()
    store.save(_record(4))
    assert store.done() == [4]


# --- checkpoints of other identities -----------------------------------------------------------------


def _other_folder(root: Path, name: str, mtime_ns: int, identity: dict | str | None) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    if isinstance(identity, dict):
        (folder / IDENTITY_FILE).write_text(json.dumps(identity))
    elif isinstance(identity, str):
        (folder / IDENTITY_FILE).write_text(identity)
    os.utime(folder, ns=(mtime_ns, mtime_ns))
    return folder


def test_no_other_checkpoints(tmp_path):
    assert Checkpoints(tmp_path / "missing", IDENTITY).others() == []
    assert Checkpoints(tmp_path / "missing", IDENTITY).latest_other_identity() is None
    store = Checkpoints(tmp_path, IDENTITY)
    store.save(_record(0))
    (tmp_path / "notes.txt").write_text("a file, not a checkpoint folder")
    assert store.others() == []
    assert store.latest_other_identity() is None


def test_others_newest_first_and_the_latest_identity(tmp_path):
    store = Checkpoints(tmp_path, IDENTITY)
    store.save(_record(0))
    old = _other_folder(tmp_path, "a" * 64, 1_000_000_000_000_000_000, {"digest": "a" * 64, "seed": 1})
    new = _other_folder(tmp_path, "b" * 64, 1_700_000_000_000_000_000, {"digest": "b" * 64, "seed": 2})
    mid = _other_folder(tmp_path, "c" * 64, 1_500_000_000_000_000_000, None)
    assert store.others() == [new, mid, old]
    assert store.latest_other_identity() == {"digest": "b" * 64, "seed": 2}
    os.utime(mid, ns=(1_800_000_000_000_000_000,) * 2)  # the newest has no identity.json: unknown
    assert store.latest_other_identity() == {}


def test_an_unreadable_latest_identity_is_unknown(tmp_path):
    store = Checkpoints(tmp_path, IDENTITY)
    _other_folder(tmp_path, "old", 1_000_000_000_000_000_000, {"digest": "a" * 64})
    _other_folder(tmp_path, "new", 1_700_000_000_000_000_000, "{not json")
    assert store.latest_other_identity() == {}


def test_remove_others_keeps_this_identity_and_files(tmp_path):
    store = Checkpoints(tmp_path, IDENTITY)
    store.save(_record(0))
    _other_folder(tmp_path, "a" * 64, 1_000_000_000_000_000_000, {"digest": "a" * 64})
    nested = _other_folder(tmp_path, "rep-000001", 1_100_000_000_000_000_000, None)
    (nested / "deep").mkdir()
    (nested / "deep" / "kpis.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("kept")
    store.remove_others()
    assert sorted(p.name for p in tmp_path.iterdir()) == [IDENTITY.digest, "notes.txt"]
    assert store.done() == [0]
    Checkpoints(tmp_path / "missing", IDENTITY).remove_others()  # nothing to do, no error


def test_a_checkpoint_folder_that_cannot_be_deleted_does_not_fail_the_run(tmp_path, monkeypatch):
    store = Checkpoints(tmp_path, IDENTITY)
    store.save(_record(0))
    locked = _other_folder(tmp_path, "a" * 64, 1_000_000_000_000_000_000, {"digest": "a" * 64})
    (locked / "locked.parquet").write_text("x")
    _other_folder(tmp_path, "b" * 64, 1_100_000_000_000_000_000, {"digest": "b" * 64})
    _refuse_to_delete(monkeypatch, "locked.parquet")
    store.remove_others()  # best effort: the finished run's results stand
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([IDENTITY.digest, "a" * 64])
    assert store.done() == [0]
