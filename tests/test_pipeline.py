"""End to end in-process: reproducibility of the written tables, parallel = sequential."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from flowsim.experiment.pipeline import run_scenario
from flowsim.model.compose import load_config


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_identical_patients_parquet(tmp_path):
    cfg = load_config(["scenario=quick", "seed=11"])
    a = run_scenario(cfg, tmp_path / "a", progress=False)
    b = run_scenario(cfg, tmp_path / "b", progress=False)
    pd.testing.assert_frame_equal(pd.read_parquet(a.files["patients"]),
                                  pd.read_parquet(b.files["patients"]))
    assert _sha(a.files["patients"]) == _sha(b.files["patients"])
    assert _sha(a.files["census"]) == _sha(b.files["census"])
    c = run_scenario(load_config(["scenario=quick", "seed=12"]), tmp_path / "c", progress=False)
    assert _sha(a.files["patients"]) != _sha(c.files["patients"])


def test_parallel_replications_equal_sequential(tmp_path):
    seq = run_scenario(load_config(["scenario=quick", "replications=3", "n_jobs=1"]),
                       tmp_path / "seq", progress=False)
    par = run_scenario(load_config(["scenario=quick", "replications=3", "n_jobs=2"]),
                       tmp_path / "par", progress=False)
    pd.testing.assert_frame_equal(seq.replications, par.replications)
    assert _sha(seq.files["patients"]) == _sha(par.files["patients"])


def test_outputs_can_be_switched_off(tmp_path):
    run = run_scenario(load_config(["scenario=quick", "outputs.patients=false",
                                    "outputs.census=false"]), tmp_path, progress=False)
    assert "patients" not in run.files and "census" not in run.files
    assert not (tmp_path / "patients.parquet").exists()
    assert (tmp_path / "metrics.json").exists()


def test_tables_are_written_in_replication_order_while_the_run_goes_on(tmp_path, monkeypatch):
    import flowsim.experiment.pipeline as pipeline_module
    from flowsim.experiment.io import ParquetConcat

    log: list[str] = []
    real_record = pipeline_module.replication_record

    def record(scenario, replication, **kwargs):
        log.append(f"run {replication}")
        return real_record(scenario, replication, **kwargs)

    class Logged(ParquetConcat):
        def append(self, part) -> None:
            log.append(f"{self.path.stem} {int(Path(part).parent.name.split('-')[1])}")
            super().append(part)

    monkeypatch.setattr(pipeline_module, "replication_record", record)
    monkeypatch.setattr(pipeline_module, "ParquetConcat", Logged)
    run = run_scenario(load_config(["scenario=quick", "replications=3", "n_jobs=1"]), tmp_path / "s",
                       progress=False)
    # each replication's parts go in as soon as it is checkpointed, before the next one runs
    assert log == [entry for r in range(3) for entry in (f"run {r}", f"census {r}", f"patients {r}")]
    whole = pd.read_parquet(run.files["patients"])
    assert whole["replication"].tolist() == sorted(whole["replication"].tolist())
    assert set(whole["replication"]) == {0, 1, 2}


def test_parts_finishing_out_of_order_are_written_in_order(tmp_path):
    from flowsim.experiment.pipeline import _TablesInOrder

    appended: list[int] = []

    class Store:
        def path(self, replication, name):
            appended.append(replication)
            return tmp_path / f"{name}-{replication}.parquet"

    for r in range(4):
        pd.DataFrame({"replication": [r, r]}).to_parquet(tmp_path / f"census-{r}.parquet")
    tables = _TablesInOrder(tmp_path, Store(), ["census"])
    for r, expected in ((2, []), (3, []), (0, [0]), (1, [0, 1, 2, 3])):
        tables.finished(r)
        assert appended == expected
    files = tables.close()
    assert pd.read_parquet(files["census"])["replication"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
