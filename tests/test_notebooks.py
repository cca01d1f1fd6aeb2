"""Notebooks run headless: the board pack holds the headline numbers and no code."""

from __future__ import annotations

import subprocess
import sys

import pytest

from flowsim.board import execute_notebook, notebooks_dir
from flowsim.compare import compare_to_baseline
from flowsim.sweep import collect_sweep


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    proc = subprocess.run([sys.executable, "-m", "flowsim", "-m", "scenario=quick", "run.warm_up_days=30",
                           "run.horizon_days=90", "services.care_home_unit.capacity=0,3,6",
                           "replications=3", "outputs.summary=false", f"hydra.sweep.dir={out}"],
                          capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def test_board_report_holds_headline_numbers_and_no_code(small_sweep, tmp_path):
    html = execute_notebook(notebooks_dir() / "board_report.py", tmp_path / "board.html",
                            {"sweep_dir": str(small_sweep), "baseline_job": None, "title": "Test pack"})
    text = html.read_text()
    comparison = compare_to_baseline(collect_sweep(small_sweep, write=False))
    ranked = comparison[comparison["job"] != 0].sort_values("net_saving_per_year")
    best = ranked.iloc[-1]
    assert f"services.care_home_unit.capacity = {ranked['services.care_home_unit.capacity'].iloc[-1]}" in text
    assert f"{best['delayed_days_avoided_per_year']:,.0f}" in text
    assert f"GBP {best['net_saving_per_year']:,.0f}" in text
    assert f"{best['return_per_pound']:.2f}" in text
    assert "Test pack" in text
    # code cells' source is hidden: none of the notebook's code appears
    for fragment in ("collect_sweep(", "compare_to_baseline(", "import pandas", "display(Markdown"):
        assert fragment not in text
    assert "data:image/png;base64" in text  # figures embedded: the file is self-contained
    assert (tmp_path / "board.ipynb").is_file()


def test_board_cli_rejects_a_directory_without_a_sweep(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "from flowsim.board import main; main()", str(tmp_path)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1


def test_explore_scenario_runs_in_process(tmp_path):
    html = execute_notebook(notebooks_dir() / "explore_scenario.py", tmp_path / "explore.html", {
        "overrides": ["scenario=quick", "run.warm_up_days=30", "run.horizon_days=90"],
        "replications": 2, "output_dir": str(tmp_path / "run")})
    text = html.read_text()
    assert "Delayed days (NCTR to leaving the acute bed) by pathway" in text
    assert (tmp_path / "run" / "metrics.json").is_file()
    assert "data:image/png;base64" in text
