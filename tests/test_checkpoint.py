"""Checkpoints: finished replications survive interruption and are reused, bit for bit."""

from __future__ import annotations

import hashlib

from flowsim.experiment.checkpoint import Checkpoints
from flowsim.experiment.identity import run_identity
from flowsim.experiment.pipeline import replication_record, run_scenario
from flowsim.model.compose import load_config
from flowsim.model.scenario import build_scenario


def _plain(overrides):
    from omegaconf import OmegaConf

    return OmegaConf.to_container(load_config(overrides), resolve=True)


def _digest(overrides):
    return run_identity(_plain(overrides)).digest


def test_identity_ignores_run_size_but_not_the_system_or_seed():
    base = _digest(["scenario=quick"])
    assert _digest(["scenario=quick", "replications=9", "n_jobs=2", "outputs.patients=false",
                    "precision.adaptive=true"]) == base
    assert _digest(["scenario=quick", "seed=1"]) != base
    assert _digest(["scenario=quick", "services.ic_beds.capacity=40"]) != base


def test_a_half_written_replication_is_not_done(tmp_path):
    identity = run_identity(_plain(["scenario=quick"]))
    store = Checkpoints(tmp_path, identity)
    record = replication_record(build_scenario(load_config(["scenario=quick"])), 0)
    store.save(record)
    assert store.done() == [0]
    assert (tmp_path / identity.digest / "identity.json").is_file()
    (tmp_path / identity.digest / "rep-000000" / "kpis.json").unlink()
    assert store.done() == []
    assert store.load(0, census=True, patients=True) is None


def test_resumed_run_writes_identical_files(tmp_path):
    cfg = load_config(["scenario=quick", "replications=3"])
    first = run_scenario(cfg, tmp_path / "a", progress=False)
    assert first.resumed == 0
    again = run_scenario(cfg, tmp_path / "a", progress=False)
    assert again.resumed == 3
    fresh = run_scenario(cfg, tmp_path / "b", progress=False)
    for name in ("patients.parquet", "census.parquet", "units.parquet", "replications.parquet",
                 "summary.csv"):
        digest = [hashlib.sha256((d / name).read_bytes()).hexdigest()
                  for d in (again.output_dir, fresh.output_dir)]
        assert digest[0] == digest[1], name
    more = run_scenario(load_config(["scenario=quick", "replications=4"]), tmp_path / "a",
                        progress=False)
    assert more.resumed == 3 and len(more.replications) == 4


def test_a_run_resumed_from_damaged_checkpoints_reruns_them_and_writes_identical_files(tmp_path):
    cfg = load_config(["scenario=quick", "replications=3", "run.horizon_days=150", "run.warm_up_days=30"])
    fresh = run_scenario(cfg, tmp_path / "fresh", progress=False)
    run_scenario(cfg, tmp_path / "a", progress=False)
    reps = sorted((tmp_path / "a" / "checkpoints").glob("*/rep-*"))
    (reps[1] / "kpis.json").write_text('{"kpis": {')
    census = reps[2] / "census.parquet"
    census.write_bytes(census.read_bytes()[:100])  # cut short, as by a full disk
    again = run_scenario(cfg, tmp_path / "a", progress=False)
    assert again.resumed == 1
    for name in ("census.parquet", "replications.parquet", "summary.csv", "patients.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (fresh.output_dir / name).read_bytes(), name


def test_replications_saved_without_a_table_now_asked_for_rerun_with_a_note(tmp_path, capsys):
    # it re-simulated every replication without a word (found by a QA pass)
    lean = ["scenario=quick", "replications=2", "outputs.patients=false", "outputs.census=false"]
    run_scenario(load_config(lean), tmp_path / "a", progress=False)
    capsys.readouterr()
    full = run_scenario(load_config([*lean[:2], "outputs.census=false"]), tmp_path / "a", progress=False)
    assert full.resumed == 0
    assert capsys.readouterr().err.splitlines() == [
        "flowsim: note: 2 finished replication(s) were saved without patients.parquet, which "
        "outputs.patients=true asks for: rerunning them"]
    again = run_scenario(load_config(lean[:2]), tmp_path / "a", progress=False)  # census too, now
    assert again.resumed == 0 and ("saved without census.parquet, which outputs.census=true asks for"
                                   in capsys.readouterr().err)
    assert run_scenario(load_config(lean), tmp_path / "a", progress=False).resumed == 2
    assert "saved without" not in capsys.readouterr().err  # tables not wanted: nothing to say
