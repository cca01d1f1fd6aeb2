"""``flowsim-report``: every applicable figure of a run or a sweep, as PNG and SVG; bad input exits 2."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from flowsim.report import ReportError, render_report

TINY = ["scenario=quick", "run.warm_up_days=30", "run.horizon_days=90", "replications=2",
        "outputs.summary=false"]
RUN_FIGURES = {"nctr_census_fan", "delay_reasons", "unit_utilisation_weekly", "wait_distribution"}
SWEEP_FIGURES = RUN_FIGURES | {"avoided_vs_option", "marginal_benefit", "cost_vs_saving"}


def _python(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300,
                          check=False)


def _report(*args: str) -> subprocess.CompletedProcess:
    """The installed console script (next to this interpreter), as a user would call it."""
    script = Path(sys.executable).with_name("flowsim-report")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "flowsim.report"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    proc = _python("-m", "flowsim", *TINY, f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sweep")
    # the basic launcher runs the jobs in this process: a third of joblib's start-up time here, and
    # test_sweep.py checks that launchers agree
    proc = _python("-m", "flowsim", "-m", *TINY, "services.care_home_unit.capacity=0,3",
                   "hydra/launcher=basic", f"hydra.sweep.dir={out}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _figures(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (folder / "figures").iterdir():
        found.setdefault(path.stem, set()).add(path.suffix)
    return found


def _check_files(folder: Path, expected: set[str]) -> None:
    found = _figures(folder)
    assert set(found) == expected
    for stem, suffixes in found.items():
        assert suffixes == {".png", ".svg"}, stem
        png = (folder / "figures" / f"{stem}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000, stem
        svg = (folder / "figures" / f"{stem}.svg").read_text(encoding="utf-8")
        assert "<svg" in svg and svg.rstrip().endswith("</svg>"), stem


def test_report_of_a_run(run_dir):
    proc = _report(str(run_dir))
    assert proc.returncode == 0, proc.stderr
    _check_files(run_dir, RUN_FIGURES)
    listed = {line.strip() for line in proc.stdout.splitlines()[1:]}
    assert listed == {str(p) for p in (run_dir / "figures").iterdir()}


def test_report_of_a_sweep_against_another_baseline_job(sweep_dir):
    saved = (sweep_dir / "comparison.csv").read_bytes()
    proc = _report(str(sweep_dir), "--baseline-job", "1")
    assert proc.returncode == 0, proc.stderr
    _check_files(sweep_dir, SWEEP_FIGURES)
    assert len(proc.stdout.splitlines()) == 1 + 2 * len(SWEEP_FIGURES)
    # the other baseline is drawn, not saved over the comparison flowsim-collect wrote
    assert (sweep_dir / "comparison.csv").read_bytes() == saved


def test_sweep_without_comparison_is_gathered_and_compared_first(sweep_dir, tmp_path):
    copy = tmp_path / "sweep"
    shutil.copytree(sweep_dir, copy, ignore=shutil.ignore_patterns("figures", "checkpoints"))
    for name in ("comparison.csv", "results.parquet", "summary.csv"):
        (copy / name).unlink()
    written = render_report(copy, formats=("png",))
    assert sorted(p.name for p in written) == sorted(f"{stem}.png" for stem in SWEEP_FIGURES)
    comparison = pd.read_csv(copy / "comparison.csv")  # written, as flowsim-collect would
    assert set(comparison["baseline_job"]) == {0} and (copy / "results.parquet").is_file()
    with pytest.raises(ReportError, match="pick --baseline-job from 0, 1"):
        render_report(copy, baseline_job=7)


def test_bad_directory_is_one_line_and_exit_2(tmp_path):
    proc = _report(str(tmp_path / "nowhere"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("flowsim-report: error: ") and "; fix: " in lines[0]


def test_not_a_flowsim_directory(tmp_path, run_dir):
    (tmp_path / "notes").mkdir()
    with pytest.raises(ReportError, match="not a flowsim run or sweep directory; fix: "):
        render_report(tmp_path)
    with pytest.raises(ReportError, match="--baseline-job applies to a sweep"):
        render_report(run_dir, baseline_job=1)
    assert not (tmp_path / "figures").exists()
