"""The ``flowsim`` command: a run writes its outputs; bad input is one line and exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pandas as pd
import polars as pl
import pytest


def _flowsim(tmp_path, *overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flowsim", f"hydra.run.dir={tmp_path}", *overrides],
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    proc = _flowsim(out, "scenario=quick", "replications=2")
    return out, proc


def test_run_prints_summary_and_where_outputs_went(quick_run):
    out, proc = quick_run
    assert proc.returncode == 0, proc.stderr
    assert "Delayed days" in proc.stdout
    for pathway in ("P0", "P1", "P2", "P3"):
        assert f"\n{pathway} " in proc.stdout
    assert f"Outputs written to {out}" in proc.stdout
    for name in ("metrics.json", "patients.parquet", "census.parquet", "replications.parquet",
                 "summary.csv", "units.parquet", "manifest.json"):
        assert (out / name).is_file(), name


def test_tables_are_readable_by_pandas_polars_and_duckdb(quick_run):
    out, _ = quick_run
    patients = pd.read_parquet(out / "patients.parquet")
    assert {"replication", "patient", "episode", "pathway", "nctr_day", "acute_leave_day",
            "delayed_days", "unit", "outcome", "nctr_time"} <= set(patients.columns)
    assert set(patients["replication"]) == {0, 1}
    assert set(patients["pathway"].dropna()) == {"P0", "P1", "P2", "P3"}
    assert pl.read_parquet(out / "patients.parquet").height == len(patients)
    count = duckdb.sql(f"select count(*) from '{out / 'census.parquet'}'").fetchall()[0][0]
    assert count == len(pd.read_parquet(out / "census.parquet"))
    assert pl.read_parquet(out / "replications.parquet").height == 2


def test_metrics_json_and_summary_agree(quick_run):
    out, _ = quick_run
    metrics = json.loads((out / "metrics.json").read_text())
    reps = pd.read_parquet(out / "replications.parquet")
    summary = pd.read_csv(out / "summary.csv").set_index("kpi")
    assert metrics["kpis"]["delayed_days_total"] == pytest.approx(reps["delayed_days_total"].mean())
    row = summary.loc["delayed_days_total"]
    assert row["ci_low"] < row["mean"] < row["ci_high"]
    head = metrics["headline"]["delayed_days_per_year"]
    assert head["ci_low"] <= head["mean"] <= head["ci_high"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["overrides"] == ["scenario=quick", "replications=2"]
    assert manifest["config"]["services"]["ic_beds"]["capacity"] == 39


@pytest.mark.parametrize(("override", "field"), [
    ("services.ic_beds.capacity=2.5", "services.ic_beds.capacity"),
    ("services.ic_beds.capacity=-1", "services.ic_beds.capacity"),
    ("pathways.shares.P0=0.5", "pathways.shares"),
    ("services.ic_beds.los_days.kind=banana", "services.ic_beds.los_days.kind"),
    ("services.ic_beds.pathways=[P9]", "services.ic_beds.pathways"),
    ("services.ic_bedz.capacity=10", "services.ic_bedz"),
    ("run.horizon_days=50", "run.horizon_days"),
    ("seed=abc", "seed"),
    ("scenario=does_not_exist", "scenario=does_not_exist"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_runs(tmp_path, override, field):
    proc = _flowsim(tmp_path, override)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("flowsim: error:")
    assert field in lines[0] and "fix:" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "metrics.json").exists()
    assert proc.stdout == ""


def test_cfg_of_a_section_that_is_not_there_is_one_line_with_a_suggestion():
    """Hydra said "package 'housing.coordinatrs' not found in config" and exited 1 (found by a QA pass)."""
    def cfg(package: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "flowsim", "--cfg", "job", "-p", package],
                              capture_output=True, text=True, timeout=120)

    typo = cfg("housing.coordinatrs")
    assert typo.returncode == 2 and typo.stdout == ""
    assert typo.stderr == ("flowsim: error: -p: 'housing.coordinatrs' is not in the configuration; fix: "
                           "did you mean housing.coordinators? flowsim --cfg job prints every section\n")
    found = cfg("housing.coordinators")
    assert found.returncode == 0 and found.stdout.startswith("# @package housing.coordinators\nfte: ")
    null = cfg("arrivals.series_csv")  # there, and null: Hydra called it not found
    assert (null.returncode, null.stdout) == (0, "null\n")


def test_section_names_are_every_dotted_path():
    from omegaconf import OmegaConf

    from flowsim.cli.cfg_package import section_names

    config = OmegaConf.create({"a": {"b": 1, "c": {"d": None}}, "e": [1, 2], "f": "???"})
    assert section_names(config) == ["a", "a.b", "a.c", "a.c.d", "e", "f"]
