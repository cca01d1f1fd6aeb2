"""A run's identity: results are reused only by a run with the same config, input files, code and seed;
one run writes a folder at a time; a finished folder holds only its own run's files."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import flowsim.experiment.identity as identity_module
from flowsim.experiment.identity import input_files, package_fingerprint, run_identity
from flowsim.experiment.lock import folder_lock
from flowsim.experiment.pipeline import run_scenario
from flowsim.experiment.run_folder import RESULT_FILES
from flowsim.model.compose import load_config
from flowsim.model.errors import ConfigError

QUICK = ["scenario=quick", "run.warm_up_days=10", "run.horizon_days=40", "replications=2"]
START = dt.date(2025, 4, 1)  # run.start_date of the default system


def _run(out: Path, *overrides: str):
    return run_scenario(load_config([*QUICK, *overrides]), out, progress=False)


def _series(path: Path, rate_per_day: float) -> None:
    days = [START + dt.timedelta(days=d) for d in range(45)]
    path.write_text("date,rate_per_day\n" + "".join(f"{d.isoformat()},{rate_per_day}\n" for d in days))


def _notes(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("flowsim: note:")]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("field", "first", "edited"), [
    ("arrivals.series_csv", 25.0, 40.0),
    ("run.initial_census", "units: {ic_beds: {count: 5}}\n", "units: {ic_beds: {count: 30}}\n"),
])
def test_editing_an_input_file_reruns_and_gives_the_new_numbers(tmp_path, monkeypatch, capsys, field,
                                                                first, edited):
    monkeypatch.chdir(tmp_path)  # the config names the file relative to the working directory
    name = "series.csv" if field == "arrivals.series_csv" else "census.yaml"

    def write(content):
        if field == "arrivals.series_csv":
            _series(tmp_path / name, content)
        else:
            (tmp_path / name).write_text(content)

    write(first)
    before = _run(Path("out"), f"{field}={name}")
    same = _run(Path("out"), f"{field}={name}")
    assert (before.resumed, same.resumed, same.note) == (0, 2, None)  # unchanged contents resume
    capsys.readouterr()

    write(edited)
    after = _run(Path("out"), f"{field}={name}")
    assert after.resumed == 0
    notes = _notes(capsys.readouterr().err)
    assert len(notes) == 1 and f"{field} (contents changed)" in notes[0], notes
    assert "rerunning 2 replication(s)" in notes[0]
    fresh = _run(Path("fresh"), f"{field}={name}")
    pd.testing.assert_frame_equal(after.replications, fresh.replications)  # the new numbers
    assert not after.replications.equals(before.replications)
    assert _sha(Path("out/replications.parquet")) == _sha(Path("fresh/replications.parquet"))
    metrics = json.loads(Path("out/metrics.json").read_text())
    assert metrics["identity"]["inputs"][field] == hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
    assert metrics["identity"]["digest"] == after.identity.digest
    assert json.loads(Path("out/manifest.json").read_text())["identity"] == metrics["identity"]


def test_input_files_resolve_relative_paths_against_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = {"arrivals": {"series_csv": "a.csv"}, "run": {"initial_census": str(tmp_path / "c.yaml")}}
    assert input_files(config) == [("arrivals.series_csv", tmp_path / "a.csv"),
                                   ("run.initial_census", tmp_path / "c.yaml")]
    assert input_files({"arrivals": {"series_csv": None}, "run": {}}) == []


@pytest.mark.parametrize(("function", "value", "named"), [
    ("flowsim_version", "9.9.9", "flowsim version"),
    ("source_fingerprint", "0" * 64, "flowsim code"),
])
def test_new_flowsim_code_or_version_invalidates_checkpoints(tmp_path, monkeypatch, capsys, function,
                                                            value, named):
    first = _run(tmp_path)
    capsys.readouterr()
    monkeypatch.setattr(identity_module, function, lambda: value)
    again = _run(tmp_path)
    assert again.resumed == 0
    assert again.identity.digest != first.identity.digest
    notes = _notes(capsys.readouterr().err)
    assert len(notes) == 1 and named in notes[0], notes
    pd.testing.assert_frame_equal(again.replications, first.replications)  # same model, rerun
    assert [p.name for p in (tmp_path / "checkpoints").iterdir()] == [again.identity.digest]


def test_the_source_fingerprint_sees_an_edited_module(tmp_path):
    package = Path(identity_module.__file__).resolve().parents[1]  # flowsim/, above experiment/
    copy = tmp_path / "flowsim"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert package_fingerprint(copy) == identity_module.source_fingerprint()
    (copy / "notebooks" / "board_report.py").write_text("# reports only\n")
    assert package_fingerprint(copy) == identity_module.source_fingerprint()
    model = copy / "model" / "journey.py"
    model.write_text(model.read_text() + "\n# edited\n")
    assert package_fingerprint(copy) != identity_module.source_fingerprint()


def test_seed_and_config_changes_are_named_and_rerun(tmp_path, capsys):
    _run(tmp_path)
    capsys.readouterr()
    run = _run(tmp_path, "seed=5", "services.ic_beds.capacity=30")
    assert run.resumed == 0
    (note,) = _notes(capsys.readouterr().err)
    assert f"earlier results in {tmp_path} were made with a different services.ic_beds.capacity, " \
           "seed (42 -> 5); rerunning 2 replication(s)" in note


def test_back_to_a_configuration_whose_checkpoints_are_all_there(tmp_path, capsys):
    """Another configuration tried in between (found by a QA pass: "rerunning 0 replication(s)")."""
    first = _run(tmp_path)
    kept = tmp_path.parent / f"{tmp_path.name}_kept"
    shutil.copytree(tmp_path / "checkpoints", kept)
    _run(tmp_path, "services.ic_beds.capacity=30")  # finished: it removes the first's checkpoints
    shutil.copytree(kept, tmp_path / "checkpoints", dirs_exist_ok=True)  # as an interrupted one keeps them
    capsys.readouterr()
    again = _run(tmp_path)
    assert again.resumed == 2
    (note,) = _notes(capsys.readouterr().err)
    assert note == (f"flowsim: note: earlier results in {tmp_path} were made with a different "
                    "services.ic_beds.capacity; replaced by this configuration's 2 replication(s) kept in "
                    "its checkpoints, none rerun")
    pd.testing.assert_frame_equal(again.replications, first.replications)


def test_a_run_leaves_only_the_files_it_produced(tmp_path):
    full = _run(tmp_path)
    assert {"patients", "census"} <= set(full.files)
    lean = _run(tmp_path, "outputs.patients=false", "outputs.census=false")
    assert lean.resumed == 2  # the same identity: what to write does not change results
    assert not (tmp_path / "patients.parquet").exists()
    assert not (tmp_path / "census.parquet").exists()
    on_disk = {p.name for p in tmp_path.iterdir() if p.name in RESULT_FILES}
    assert on_disk == {p.name for p in lean.files.values()}
    assert json.loads((tmp_path / "metrics.json").read_text())["identity"]["digest"] == lean.identity.digest


def test_a_run_of_another_identity_that_crashes_leaves_no_results(tmp_path, monkeypatch):
    first = _run(tmp_path)

    def crash(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr("flowsim.experiment.pipeline.iter_replications", crash)
    with pytest.raises(RuntimeError):
        _run(tmp_path, "services.ic_beds.capacity=30")
    # the earlier run's metrics.json must not pass for the result of the new config
    assert not any((tmp_path / name).exists() for name in RESULT_FILES)
    monkeypatch.undo()
    again = _run(tmp_path)  # the earlier config's checkpoints are kept until another run finishes
    assert again.resumed == 2
    pd.testing.assert_frame_equal(again.replications, first.replications)


def test_files_respect_the_umask(tmp_path):
    for umask, mode in ((0o022, 0o644), (0o027, 0o640)):
        out = tmp_path / oct(umask)
        previous = os.umask(umask)
        try:
            _run(out)
        finally:
            os.umask(previous)
        files = [p for p in out.rglob("*") if p.is_file() and ".hydra" not in p.parts]
        assert {p.relative_to(out).parts[0] for p in files} >= {"metrics.json", "checkpoints"}
        modes = {oct(p.stat().st_mode & 0o777) for p in files}
        assert modes == {oct(mode)}, (umask, modes)


def test_stale_temporary_files_are_removed_and_others_kept(tmp_path):
    run = _run(tmp_path)
    rep = tmp_path / "checkpoints" / run.identity.digest / "rep-000000"
    stale = [tmp_path / ".x.tmp", tmp_path / ".metrics.json.k3j2.tmp", rep / ".kpis.json.ab12.tmp"]
    for path in stale:
        path.write_text("half written by a killed run")
    mine = tmp_path / "notes.txt"
    mine.write_text("a user's own file")
    _run(tmp_path)
    assert not any(p.exists() for p in stale)
    assert mine.read_text() == "a user's own file"


def test_a_folder_in_use_is_refused(tmp_path):
    with folder_lock(tmp_path):
        with pytest.raises(ConfigError) as refused:
            _run(tmp_path)
    assert str(refused.value) == (f"{tmp_path}: another flowsim run (pid {os.getpid()}) is writing here; "
                                  "fix: wait for it to finish or choose another hydra.run.dir")
    assert not (tmp_path / "metrics.json").exists()
    assert _run(tmp_path).resumed == 0  # released with the block


def _flowsim(out: Path, *overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flowsim", f"hydra.run.dir={out}", *QUICK,
                           "outputs.summary=false", *overrides],
                          capture_output=True, text=True, timeout=300, check=False)


def test_a_second_flowsim_into_a_busy_folder_exits_2_and_leaves_the_first_intact(tmp_path):
    first = _flowsim(tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    before = {p: _sha(p) for p in tmp_path.rglob("*") if p.is_file() and p.name != ".flowsim.lock"}
    with folder_lock(tmp_path):  # the first run, still writing
        second = _flowsim(tmp_path, "services.ic_beds.capacity=30")
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert lines == [f"flowsim: error: {tmp_path}: another flowsim run (pid {os.getpid()}) is writing "
                     "here; fix: wait for it to finish or choose another hydra.run.dir"], second.stderr
    # nothing of the second run got in: not its results, nor Hydra's record of its overrides
    after = {p: _sha(p) for p in tmp_path.rglob("*") if p.is_file() and p.name != ".flowsim.lock"}
    assert after == before


def test_a_killed_run_leaves_no_stale_lock(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom flowsim.experiment.lock import folder_lock\n"
        f"with folder_lock({str(tmp_path)!r}):\n    print('held', flush=True)\n    time.sleep(120)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ConfigError, match=rf"pid {holder.pid}\)"):
            _run(tmp_path)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert _run(tmp_path).resumed == 0


def test_identity_is_computed_after_validation(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"arrivals\.series_csv"):
        _run(tmp_path / "out", "arrivals.series_csv=missing.csv")
    assert not (tmp_path / "out").exists()
    plain = {"seed": 1, "arrivals": {"series_csv": "missing.csv"}}
    assert run_identity(plain).inputs == {"arrivals.series_csv": None}  # no crash on a missing file
