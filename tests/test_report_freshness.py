"""``make report``'s two commands keep the board pack fresh: a changed system config reruns the sweep, an
unchanged one reuses it, and the pack states which run it was built from.

The commands are those of the Makefile's ``report`` target (``flowsim experiment=care_home_units``, then
``mkdir -p reports``, as ``flowsim-board`` makes no folder, then ``flowsim-board``), run through the same
entry points with a tiny sweep: two unit sizes, two short replications, and a copy of the default system
in a config folder of the test's own, edited between runs as a user edits ``configs/system/default.yaml``.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import yaml

from flowsim.model.compose import config_dir

MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"


def _run(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _sweep(conf: Path, sweep: Path) -> subprocess.CompletedProcess:
    return _run("-m", "flowsim", "--config-dir", str(conf), "experiment=care_home_units", "system=tiny",
                "scenario=quick", "run.warm_up_days=30", "run.horizon_days=90",
                "services.care_home_unit.capacity=0,3", "replications=2", f"hydra.sweep.dir={sweep}",
                "hydra/launcher=basic")


def _board(sweep: Path, html: Path) -> str:
    _run("-c", "import sys; sys.argv[0] = 'flowsim-board'; from flowsim.reporting.board import main; main()",
         str(sweep), "--output", str(html), "--no-pdf")  # the page is read here, not its PDF
    text = re.sub(r"<[^>]+>", " ", html.read_text(encoding="utf-8").split("<body", 1)[1])
    return " ".join(unescape(text).split())


def _checkpoints(sweep: Path) -> dict[str, int]:
    found = sorted(sweep.glob("*/checkpoints/*/*/kpis.json"))
    return {str(p.relative_to(sweep)): p.stat().st_mtime_ns for p in found}


def _sweep_identity(sweep: Path) -> str:
    """By hand: SHA-256 over "job:digest" lines of the jobs' metrics.json, in job order."""
    lines = [f"{job}:{json.loads((sweep / str(job) / 'metrics.json').read_text())['identity']['digest']}"
             for job in (0, 1)]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def test_make_report_reruns_the_sweep_when_the_system_config_changes_and_reuses_it_otherwise(tmp_path):
    recipe = MAKEFILE.read_text().split("\nreport:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/flowsim experiment=care_home_units\n" in recipe and "$(BIN)/flowsim-board " in recipe
    assert "\tmkdir -p reports\n" in recipe  # flowsim-board, as every command, makes no output folder
    conf = tmp_path / "conf"
    (conf / "system").mkdir(parents=True)
    system = conf / "system" / "tiny.yaml"
    system.write_text((config_dir() / "system" / "default.yaml").read_text())
    sweep, html = tmp_path / "multirun" / "care_home_units", tmp_path / "reports" / "board_report.html"

    html.parent.mkdir()
    first = _sweep(conf, sweep)
    assert "rerunning" not in first.stderr
    done = _checkpoints(sweep)
    assert len(done) == 4  # 2 jobs x 2 replications

    again = _sweep(conf, sweep)  # unchanged: every replication is reused, none simulated
    assert "rerunning" not in again.stderr and "earlier results" not in again.stderr
    assert _checkpoints(sweep) == done
    page = _board(sweep, html)
    identity = _sweep_identity(sweep)
    assert f"sweep identity {identity[:12]}." in page and identity in page
    assert "valued at GBP 395 a bed-day" in page
    assert yaml.safe_load(html.with_name("board_report_config.yaml").read_text())["costs"][
        "acute_bed_day"] == "full_cost"  # GBP 395, a named basis of costs.bed_day_bases

    system.write_text(system.read_text().replace("acute_bed_day: full_cost", "acute_bed_day: 420"))
    changed = _sweep(conf, sweep)
    for job in (0, 1):
        assert (f"flowsim: note: earlier results in {sweep / str(job)} were made with a different "
                "costs.acute_bed_day; rerunning 2 replication(s)") in changed.stderr
    rerun = _checkpoints(sweep)
    assert len(rerun) == 4 and not set(rerun) & set(done)  # new identities; the old checkpoints are gone
    page = _board(sweep, html)
    new_identity = _sweep_identity(sweep)
    assert new_identity != identity
    assert f"sweep identity {new_identity[:12]}." in page and identity[:12] not in page
    assert "valued at GBP 420 a bed-day" in page
    assert yaml.safe_load(html.with_name("board_report_config.yaml").read_text())["costs"][
        "acute_bed_day"] == 420
