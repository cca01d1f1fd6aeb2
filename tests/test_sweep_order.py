"""Sweeps of 11+ jobs keep numeric job order (job 10 after job 9, never 1, 10, 11, 2) in every table
users read: results.parquet, summary.csv, collected.json, the comparison and its printed table; and
each job's rows carry that job's own swept value and numbers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from flowsim.cli.main import collect_and_report
from flowsim.experiment.compare import compare_to_baseline
from flowsim.experiment.pipeline import run_scenario
from flowsim.experiment.sweep import check_collected, collect_sweep
from flowsim.experiment.sweep_jobs import find_jobs, job_order, select_jobs, write_sweep_record
from flowsim.model.compose import load_config
from flowsim.model.errors import ConfigError

BASE = ["scenario=quick", "run.warm_up_days=10", "run.horizon_days=40", "replications=2",
        "outputs.patients=false", "outputs.census=false"]
KEY = "services.care_home_unit.capacity"
JOBS = 12
ORDER = list(range(JOBS))


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """A 12-job sweep of the care-home unit's capacity (job k: capacity k), assembled in-process.

    The job folders are written in a scrambled order, so no test passes by creation order.
    """
    root = tmp_path_factory.mktemp("sweep")
    overrides = {k: [*BASE, f"{KEY}={k}"] for k in ORDER}
    identities = {}
    for k in (11, 2, 10, 0, 9, 1, 5, 3, 8, 4, 7, 6):
        run = run_scenario(load_config(overrides[k]), root / str(k), overrides[k], progress=False, job=k)
        identities[k] = run.identity
    write_sweep_record(root, [(overrides[k], identities[k], 2) for k in ORDER], [*BASE, f"{KEY}=0,1,2"])
    return root


def _job_rows(sweep: Path, k: int) -> pd.DataFrame:
    return pd.read_parquet(sweep / str(k) / "replications.parquet")


def test_results_are_in_numeric_job_order(sweep):
    tables = collect_sweep(sweep)
    for results in (tables.results, pd.read_parquet(sweep / "results.parquet")):
        assert results["job"].tolist() == [k for k in ORDER for _ in range(2)]
        assert results["replication"].tolist() == [0, 1] * JOBS
        assert results[KEY].tolist() == results["job"].tolist()  # job k ran capacity k
        assert list(results.columns[:3]) == ["job", KEY, "replication"]
        for k in ORDER:  # each job's rows hold that job's own numbers
            mine = results[results["job"] == k]
            assert mine["delayed_days_total"].tolist() == _job_rows(sweep, k)["delayed_days_total"].tolist()
    assert tables.swept == (KEY,)
    assert tables.units["job"].drop_duplicates().tolist() == ORDER


def test_summary_is_in_numeric_job_order(sweep):
    tables = collect_sweep(sweep)
    for summary in (tables.summary, pd.read_csv(sweep / "summary.csv")):
        jobs = summary["job"].tolist()
        n_kpis = len(jobs) // JOBS
        assert jobs == [k for k in ORDER for _ in range(n_kpis)]  # each job's block whole, in order
        assert summary[KEY].tolist() == jobs
        row = summary[(summary["job"] == 10) & (summary["kpi"] == "delayed_days_total")].iloc[0]
        a, b = _job_rows(sweep, 10)["delayed_days_total"]
        assert row["n"] == 2
        assert row["mean"] == pytest.approx((a + b) / 2, rel=1e-12)  # job 10's two replications


def test_collected_json_lists_jobs_in_numeric_order(sweep):
    collect_sweep(sweep)
    collected = json.loads((sweep / "collected.json").read_text())
    assert list(collected["jobs"]) == [str(k) for k in ORDER]
    assert {k: v["replications"] for k, v in collected["jobs"].items()} == {str(k): 2 for k in ORDER}
    check_collected(sweep)  # current


def test_comparison_is_in_numeric_job_order(sweep, capsys):
    tables = collect_sweep(sweep, write=False)
    comparison = compare_to_baseline(tables)
    assert comparison["job"].tolist() == ORDER
    assert comparison[KEY].tolist() == ORDER
    assert comparison["added_capacity"].tolist() == [float(k) for k in ORDER]  # capacity k - 0
    assert (comparison["baseline_job"] == 0).all()
    path = collect_and_report(str(sweep))
    written = pd.read_csv(path)
    assert written["job"].tolist() == ORDER and written["added_capacity"].tolist() == ORDER
    printed = [line.split()[0] for line in capsys.readouterr().out.splitlines()
               if line.startswith("care_home_unit=")]
    assert printed == [f"care_home_unit={k}" for k in ORDER]
    assert comparison.loc[comparison["job"] == 11, "delayed_days_avoided_per_year"].item() == pytest.approx(
        (_job_rows(sweep, 0)["delayed_days_total"] - _job_rows(sweep, 11)["delayed_days_total"]).mean()
        * 365 / 30, rel=1e-12)  # paired with job 0, scaled from 30 observed days to a year


def test_without_sweep_json_the_order_is_numeric_too(sweep, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(sweep, old)
    (old / "sweep.json").unlink()  # as written by a flowsim before sweep.json
    tables = collect_sweep(old, write=False)
    assert tables.results["job"].drop_duplicates().tolist() == ORDER
    assert tables.summary["job"].drop_duplicates().tolist() == ORDER


def test_unfinished_and_changed_jobs_are_named_in_numeric_order(sweep, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(sweep, copy)
    collect_sweep(copy)
    collected = json.loads((copy / "collected.json").read_text())
    for k in ("10", "2"):
        collected["jobs"][k]["replications"] = 1  # gathered from fewer replications than there are now
    (copy / "collected.json").write_text(json.dumps(collected))
    with pytest.raises(ConfigError, match=r"is out of date: job\(s\) 2, 10 changed since it was gathered"):
        check_collected(copy)
    for k in (10, 9):
        (copy / str(k) / "metrics.json").unlink()
    finished, unfinished = find_jobs(copy)
    assert [p.name for p in finished] == [str(k) for k in ORDER if k not in (9, 10)]
    assert [p.name for p in unfinished] == ["9", "10"]
    jobs = select_jobs(copy)
    assert jobs.unfinished == ("9", "10")
    assert [j.name for j in jobs.finished] == [str(k) for k in ORDER if k not in (9, 10)]
    assert collect_sweep(copy, write=False).incomplete == ("9", "10")


def test_job_order_numbers_before_names():
    names = ["10", "2", "b", "1", "a", "11", "0", "9"]
    assert [p.name for p in sorted(map(Path, names), key=job_order)] == [
        "0", "1", "2", "9", "10", "11", "a", "b"]
