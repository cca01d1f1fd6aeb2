"""A run folder's metrics.json marks finished results: run_scenario writes it last, so a crash while
writing any earlier table leaves a folder without it (never a mix of old and new tables that looks
finished), and a rerun completes with the same files a clean run writes. Also flowsim.experiment.run_folder's
helpers: which files are results, which are leftovers, what the earlier results were."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

import flowsim.experiment.checkpoint as checkpoint_module
import flowsim.experiment.pipeline as pipeline_module
from flowsim.experiment.checkpoint import Checkpoints
from flowsim.experiment.identity import RunIdentity, run_identity
from flowsim.experiment.io import (
    ParquetConcat,
    write_arrow,
    write_frames,
    write_json,
    write_rows_csv,
    write_table,
)
from flowsim.experiment.pipeline import run_scenario
from flowsim.experiment.run_folder import (
    MARKER,
    RESULT_FILES,
    earlier_results,
    remove_results,
    remove_temporary,
)
from flowsim.model.compose import load_config

QUICK = ["scenario=quick", "run.warm_up_days=10", "run.horizon_days=40"]
TABLES = ["replications.parquet", "summary.csv", "units.parquet", "census.parquet", "patients.parquet"]


def _run(out: Path, replications: int = 2):
    return run_scenario(load_config([*QUICK, f"replications={replications}"]), out, progress=False)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    """Three replications run into an empty folder, uninterrupted."""
    out = tmp_path_factory.mktemp("clean")
    _run(out, 3)
    return out


def _same_results(out: Path, clean: Path) -> None:
    for name in [*TABLES, MARKER]:
        assert (out / name).is_file(), name
    for name in TABLES:
        assert _sha(out / name) == _sha(clean / name), name
    ours, theirs = (json.loads((d / MARKER).read_text()) for d in (out, clean))
    assert ours == theirs


def test_metrics_json_is_written_last_and_removed_first(tmp_path, monkeypatch):
    _run(tmp_path, 2)  # earlier finished results of the same identity
    assert (tmp_path / MARKER).is_file()
    order: list[str] = []

    def table(real):  # a writer of tables: the path is its last argument
        def write(*args):
            order.append(Path(args[-1]).name)
            assert not (tmp_path / MARKER).exists(), f"{MARKER} present while writing {Path(args[-1]).name}"
            return real(*args)

        return write

    def parts(name):  # census and patients: written as replications finish, put in place at close
        order.append(name)
        assert not (tmp_path / MARKER).exists(), f"{MARKER} present while writing {name}"

    def json_file(data, path):
        order.append(Path(path).name)
        if Path(path).name != MARKER:
            assert not (tmp_path / MARKER).exists()
        return write_json(data, path)

    monkeypatch.setattr(pipeline_module, "write_arrow", table(write_arrow))
    monkeypatch.setattr(pipeline_module, "write_rows_csv", table(write_rows_csv))
    monkeypatch.setattr(pipeline_module, "ParquetConcat", _closing(parts))
    monkeypatch.setattr(pipeline_module, "write_json", json_file)
    _run(tmp_path, 3)
    assert order == [*TABLES, "manifest.json", MARKER]
    assert RESULT_FILES == (*TABLES, "manifest.json", MARKER)


def _closing(check):
    """A ParquetConcat that calls ``check(file name)`` as it puts its file in place."""

    class Checked(ParquetConcat):
        def close(self) -> Path:
            check(self.path.name)
            return super().close()

    return Checked


def _crash_on(call: int, real, calls: list[str] | None = None):
    calls = [] if calls is None else calls  # shared: count the writes of several writers together

    def write(*args):  # the path is a writer's last argument
        calls.append(Path(args[-1]).name)
        if len(calls) == call:
            raise OSError("disk full")
        return real(*args)

    return write, calls


@pytest.mark.parametrize("call", [1, 2, 3, 4, 5, 6])
def test_a_crash_while_writing_the_results_leaves_no_marker(tmp_path, monkeypatch, clean, call):
    first = _run(tmp_path, 2)  # a finished run; now ask for one more replication
    if call <= 5:
        failing, calls = _crash_on(call, write_arrow)
        monkeypatch.setattr(pipeline_module, "write_arrow", failing)
        monkeypatch.setattr(pipeline_module, "write_rows_csv", _crash_on(call, write_rows_csv, calls)[0])
        crash = _crash_on(call, lambda data, path: None, calls)[0]
        monkeypatch.setattr(pipeline_module, "ParquetConcat", _closing(lambda name: crash(None, name)))
    else:  # manifest.json, the last file before the marker
        failing, calls = _crash_on(1, write_json)
        monkeypatch.setattr(pipeline_module, "write_json", failing)
    with pytest.raises(OSError, match="disk full"):
        _run(tmp_path, 3)
    assert calls[-1] == [*TABLES, "manifest.json"][call - 1]
    assert not (tmp_path / MARKER).exists()
    assert not list(tmp_path.glob(".*.tmp"))  # the tables written as replications finished: discarded
    assert earlier_results(tmp_path) is None  # the folder holds no finished results
    # the replications themselves were checkpointed before the crash
    assert Checkpoints(tmp_path / "checkpoints", first.identity).done() == [0, 1, 2]
    monkeypatch.undo()
    again = _run(tmp_path, 3)
    assert again.resumed == 3
    _same_results(tmp_path, clean)


@pytest.mark.parametrize("call", [1, 3])  # the first replication's units table; the second's
def test_a_crash_while_checkpointing_a_replication_is_resumed(tmp_path, monkeypatch, clean, call):
    failing, calls = _crash_on(call, write_arrow)
    monkeypatch.setattr(checkpoint_module, "write_arrow", failing)
    monkeypatch.setattr(checkpoint_module, "write_table", _crash_on(call, write_table, calls)[0])
    monkeypatch.setattr(checkpoint_module, "write_frames", _crash_on(call, write_frames, calls)[0])
    with pytest.raises(OSError, match="disk full"):
        _run(tmp_path, 3)
    assert calls[-1] == "units.parquet"
    assert not (tmp_path / MARKER).exists()
    assert not any((tmp_path / name).exists() for name in TABLES)
    assert Checkpoints(tmp_path / "checkpoints", _identity(3)).done() == list(range(call // 2))
    monkeypatch.undo()
    again = _run(tmp_path, 3)
    assert again.resumed == call // 2  # 0, or the one finished replication
    _same_results(tmp_path, clean)


def _identity(replications: int) -> RunIdentity:
    return run_identity(OmegaConf.to_container(load_config([*QUICK, f"replications={replications}"]),
                                               resolve=True))


# --- flowsim.experiment.run_folder helpers ------------------------------------------------------------------


def test_remove_temporary_takes_only_leftovers_of_killed_writers(tmp_path):
    leftovers = [tmp_path / ".metrics.json.1a2b3c4d.tmp", tmp_path / ".x.tmp",
                 tmp_path / "checkpoints" / "d" / "rep-000001" / ".kpis.json.ffffffff.tmp"]
    kept = [tmp_path / "notes.tmp", tmp_path / "sub" / ".a.tmp", tmp_path / ".hidden",
            tmp_path / "checkpoints" / "d" / "rep-000001" / "kpis.json", tmp_path / "metrics.json"]
    for path in leftovers + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    assert sorted(remove_temporary(str(tmp_path))) == sorted(leftovers)
    assert not any(p.exists() for p in leftovers)
    assert all(p.exists() for p in kept)
    assert remove_temporary(tmp_path) == []
    assert remove_temporary(tmp_path / "sub") == [tmp_path / "sub" / ".a.tmp"]  # the top of the folder given


def test_remove_temporary_without_checkpoints(tmp_path):
    (tmp_path / ".a.tmp").write_text("x")
    assert remove_temporary(tmp_path) == [tmp_path / ".a.tmp"]


def test_remove_results_keeps_what_is_asked_and_other_files(tmp_path):
    for name in [*RESULT_FILES, "notes.txt"]:
        (tmp_path / name).write_text("x")
    (tmp_path / "checkpoints").mkdir()
    remove_results(str(tmp_path), keep=["summary.csv", "manifest.json"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoints", "manifest.json", "notes.txt",
                                                          "summary.csv"]
    remove_results(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoints", "notes.txt"]
    remove_results(tmp_path)  # nothing left to remove: no error


def test_remove_results_deletes_the_marker_first(tmp_path, monkeypatch):
    for name in RESULT_FILES:
        (tmp_path / name).write_text("x")
    removed: list[str] = []
    real = Path.unlink

    def unlink(self, missing_ok=False):
        removed.append(self.name)
        return real(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    remove_results(tmp_path)
    assert removed[0] == MARKER


def test_earlier_results(tmp_path):
    assert earlier_results(tmp_path) is None  # no metrics.json
    (tmp_path / MARKER).write_text("{half written")
    assert earlier_results(tmp_path) is None
    (tmp_path / MARKER).write_text(json.dumps({"identity": {"digest": "d" * 64}}))
    assert earlier_results(str(tmp_path)) == ({"digest": "d" * 64}, None)  # no manifest.json
    (tmp_path / "manifest.json").write_text(json.dumps({"config": {"seed": 3}}))
    assert earlier_results(tmp_path) == ({"digest": "d" * 64}, {"seed": 3})
    (tmp_path / "manifest.json").write_text("[1, 2]")  # not a mapping
    assert earlier_results(tmp_path) == ({"digest": "d" * 64}, None)
    (tmp_path / "manifest.json").write_text("{bad")
    assert earlier_results(tmp_path) == ({"digest": "d" * 64}, None)
    (tmp_path / MARKER).write_text(json.dumps({"kpis": {}}))  # before runs had identities
    assert earlier_results(tmp_path) == ({}, None)
    (tmp_path / MARKER).write_text(json.dumps({"identity": "not a mapping"}))
    assert earlier_results(tmp_path) == ({}, None)
    (tmp_path / MARKER).write_text("[]")
    assert earlier_results(tmp_path) == ({}, None)
