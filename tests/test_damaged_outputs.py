"""Runs and sweeps with a file left out or damaged: flowsim-report, flowsim-board and flowsim-collect.

A run made with ``outputs.census=false`` has no ``census.parquet``: the report and the board pack leave the
census figures out and say why. A damaged result file (a ``metrics.json`` cut short, a garbled
``units.parquet``) stops each command with one line naming the file and the command that writes it
again, exit code 2, never a traceback; so do a ``--baseline-job`` that is not a job of the sweep and an
``--output`` that cannot be written (a folder, not an ``.html`` file, in a folder that does not exist or is
read-only), before the board's notebook runs and with nothing left behind.

The run and sweep folders are made in this process (``run_scenario``), tiny and once per module.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from flowsim.cli.main import collect_main
from flowsim.experiment import writable
from flowsim.experiment.lock import LOCK_NAME
from flowsim.experiment.pipeline import run_scenario
from flowsim.model.compose import load_config
from flowsim.reporting import board, report

TINY = ["scenario=quick", "run.warm_up_days=10", "run.horizon_days=40", "replications=2",
        "outputs.summary=false"]
OPTION = "services.ic_beds.capacity"
NO_CENSUS = "outputs.census=false"
RUN_FIX = "fix: rerun the run's command (it writes the run's files again)"


def _run(out: Path, overrides: list[str], job: int | None = None) -> Path:
    run_scenario(load_config(overrides), out, overrides=overrides, progress=False, job=job)
    return out


def _sweep(out: Path, extra: list[str]) -> Path:
    """Jobs 0 and 1 with 10 and 20 intermediate-care beds, as the basic launcher leaves them."""
    for job, beds in enumerate((10, 20)):
        _run(out / str(job), [*TINY, *extra, f"{OPTION}={beds}"], job)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("built")
    return {"sweep": _sweep(root / "sweep", []),
            "nocensus_sweep": _sweep(root / "nocensus_sweep", [NO_CENSUS]),
            "run": _run(root / "run", TINY),
            "nocensus_run": _run(root / "nocensus_run", [*TINY, NO_CENSUS])}


@pytest.fixture
def folder(built, tmp_path):
    """A copy of a built folder for one test (commands write figures and tables into it)."""
    return lambda name: Path(shutil.copytree(built[name], tmp_path / name,
                                             ignore=shutil.ignore_patterns("checkpoints")))


@pytest.fixture
def notebooks(monkeypatch) -> list[tuple[Path, Path, dict]]:
    """The notebook executions flowsim-board asks for, not run (its checks are what is tested)."""
    seen: list[tuple[Path, Path, dict]] = []
    monkeypatch.setattr(board, "execute_notebook", lambda source, html, parameters: seen.append(
        (source, html, parameters)))
    return seen


def _unwritable(monkeypatch, folder: Path, error: OSError) -> None:
    """Make the writability check find ``folder`` unwritable with ``error``.

    Tests may run as root, whom no permission bit stops: the check is what is tested.
    """
    made = writable.tempfile.TemporaryFile

    def refuse(dir):
        if Path(dir) == folder:
            raise error
        return made(dir=dir)

    monkeypatch.setattr(writable.tempfile, "TemporaryFile", refuse)


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def _garble(path: Path) -> None:
    """Overwrite bytes after the start: a JSON file's first key, a Parquet file's first page header."""
    data = path.read_bytes()
    path.write_bytes(data[:4] + b"\xff" * 40 + data[44:])


def _kpis_only(path: Path) -> None:
    """A metrics.json of valid JSON holding little of what flowsim writes (edited, or another tool's)."""
    path.write_text('{"kpis": "x"}')


def _no_replications(path: Path) -> None:
    """metrics.json saying the job ran -1 replications (edited by hand)."""
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "replications": -1}))


def _error_line(capsys, command, argv: list[str]) -> str:
    """The one stderr line of a refused command (exit code 2)."""
    with pytest.raises(SystemExit) as exit_:
        command(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    return err.rstrip("\n")


# -- outputs.census=false ------------------------------------------------------------------------------

def test_report_of_a_run_without_its_census_leaves_the_census_figures_out(folder, capsys):
    run = folder("nocensus_run")
    report.main([str(run)])
    printed = capsys.readouterr()
    out = printed.out.splitlines()
    assert {Path(line.strip()).stem for line in out[1:]} == {"delay_reasons", "wait_distribution"}
    assert printed.err.splitlines() == [  # a note, as every command's: on standard error
        "flowsim-report: note: this run was made without a census (outputs.census=false): its census "
        "figures (NCTR census fan chart, weekly unit utilisation heat map) are left out"]
    assert sorted(p.name for p in (run / "figures").iterdir()) == [
        "delay_reasons.png", "delay_reasons.svg", "wait_distribution.png", "wait_distribution.svg"]


def test_report_of_a_sweep_without_its_census_leaves_the_census_figures_out(folder, capsys):
    sweep = folder("nocensus_sweep")
    report.main([str(sweep)])
    printed = capsys.readouterr()
    out = printed.out.splitlines()
    stems = {Path(line.strip()).stem for line in out if line.startswith("  ")}
    assert "delay_reasons" in stems and "avoided_vs_option" in stems
    assert not stems & {"nctr_census_fan", "unit_utilisation_weekly"}
    assert printed.err.splitlines() == [
        f"flowsim-report: note: job {job} was made without a census (outputs.census=false): its census "
        "figures (NCTR census fan chart, weekly unit utilisation heat map) are left out" for job in (0, 1)]


def test_a_census_missing_from_a_run_that_wrote_one_is_named(folder, capsys):
    run = folder("run")
    (run / "census.parquet").unlink()
    assert _error_line(capsys, report.main, [str(run)]) == (
        f"flowsim-report: error: {run / 'census.parquet'}: is missing; {RUN_FIX}")


def _sections(html: Path) -> dict[str, str]:
    """Heading -> the page between it and the next level-2 heading."""
    parts = re.split(r"<h2[^>]*>(.*?)</h2>", html.read_text(encoding="utf-8"), flags=re.S)
    return {re.sub(r"<[^>]+>|¶", "", title).strip(): body
            for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def test_board_pack_of_a_sweep_without_its_census_says_why_its_census_figures_are_missing(folder, tmp_path,
                                                                                       capsys):
    sweep = folder("nocensus_sweep")
    html = tmp_path / "pack.html"
    board.main([str(sweep), "--output", str(html), "--no-pdf"])
    assert capsys.readouterr().out == f"Board pack written to {html}\n"
    sections = _sections(html)
    # no option is recommended here: the sections show the largest mean net saving, and say so
    census = sections["The NCTR census day by day: baseline and option with the largest mean net saving"]
    heat_map = sections["Unit utilisation by week under the option with the largest mean net saving"]
    for body in (census, heat_map):
        assert "<img" not in body
        assert "made without a census (<code>outputs.census=false</code>)" in body
    assert "job 0 and job 1 were made without a census" in census
    assert sections["Why patients wait, by option"].count("<img") == 1


# -- damaged result files ------------------------------------------------------------------------------

SWEEP_DAMAGE = [("0/metrics.json", _truncate, "is not readable JSON, damaged or cut short"),
                ("0/metrics.json", _garble, "is not readable JSON, damaged or cut short"),
                ("0/manifest.json", _truncate, "is not readable JSON, damaged or cut short"),
                ("0/replications.parquet", _truncate, "is not a readable Parquet file, damaged or cut short"),
                ("0/units.parquet", _garble, "is not a readable Parquet file, damaged or cut short"),
                # not "a job of another flowsim", as a file without an identity used to be called
                ("0/metrics.json", _kpis_only, "is damaged: it lacks its replications entry"),
                ("0/metrics.json", _no_replications,
                 "is damaged: its replications entry is not a whole number >= 1")]


@pytest.mark.parametrize("name, damage, problem", SWEEP_DAMAGE)
def test_collect_names_a_damaged_job_file(folder, capsys, name, damage, problem):
    sweep = folder("sweep")
    damage(sweep / name)
    line = _error_line(capsys, collect_main, [str(sweep)])
    # a JSON file's problem goes on with where the reader stopped, e.g. "(Expecting value: line 1, column 5)"
    assert line.startswith(f"flowsim-collect: error: {sweep / name}: {problem}")
    assert line.endswith(f"; fix: rerun the sweep's command, which redoes job {name.split('/')[0]}")
    assert not (sweep / "results.parquet").exists()


@pytest.mark.parametrize("name, damage, problem", [
    *SWEEP_DAMAGE, ("1/census.parquet", _truncate, "is not a readable Parquet file, damaged or cut short"),
    ("1/patients.parquet", _truncate, "is not a readable Parquet file, damaged or cut short")])
def test_report_names_a_damaged_job_file(folder, capsys, name, damage, problem):
    sweep = folder("sweep")
    damage(sweep / name)
    line = _error_line(capsys, report.main, [str(sweep)])
    assert line.startswith(f"flowsim-report: error: {sweep / name}: {problem}")
    assert line.endswith(f"; fix: rerun the sweep's command, which redoes job {name.split('/')[0]}")


@pytest.mark.parametrize("name, damage", [("replications.parquet", _truncate), ("units.parquet", _garble),
                                          ("census.parquet", _garble), ("patients.parquet", _truncate)])
def test_report_names_a_damaged_file_of_a_run(folder, capsys, name, damage):
    run = folder("run")
    damage(run / name)
    assert _error_line(capsys, report.main, [str(run)]) == (f"flowsim-report: error: {run / name}: is not a "
                                                           "readable Parquet file, damaged or cut short; "
                                                           f"{RUN_FIX}")


def _other_table(path: Path) -> None:
    """A readable Parquet file of another table saved over ``path``."""
    pd.DataFrame({"a": [1, 2]}).to_parquet(path)


@pytest.mark.parametrize("name, missing", [
    ("census.parquet", "replication, date, day, nctr_census"),
    ("units.parquet", "replication, unit, capacity"),
    ("replications.parquet", "replication, observed_days, delayed_days_total, cost_delayed_days"),
    ("patients.parquet", "pathway, nctr_day, delayed_days"),
])
def test_report_names_a_file_of_a_run_with_other_columns(folder, capsys, name, missing):
    run = folder("run")
    _other_table(run / name)
    assert _error_line(capsys, report.main, [str(run)]) == (
        f"flowsim-report: error: {run / name}: lacks the column(s) {missing} (it holds a): it is not the "
        f"table flowsim writes there; {RUN_FIX}")
    assert not (run / "figures").exists()


@pytest.mark.parametrize("main", [report.main, collect_main, lambda argv: board.main([*argv, "--no-pdf"])])
@pytest.mark.parametrize("name, problem", [("nowhere", "does not exist"), ("a_file", "is a file, not a ")])
def test_a_folder_that_is_not_there_is_worded_alike_by_each_command(tmp_path, capsys, notebooks, main, name,
                                                                    problem):
    # "path: problem; fix: ...", as flowsim words every input it cannot use
    (tmp_path / "a_file").write_text("x")
    line = _error_line(capsys, main, [str(tmp_path / name)])
    assert line.split(": error: ")[1].startswith(f"{tmp_path / name}: {problem}")
    assert "; fix: give the " in line and "hydra.sweep.dir" in line
    assert notebooks == [] and sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


@pytest.mark.parametrize("main", [report.main, collect_main, lambda argv: board.main([*argv, "--no-pdf"])])
def test_a_job_table_with_other_columns_is_named_before_anything_is_written(folder, capsys, notebooks, main):
    sweep = folder("sweep")
    _other_table(sweep / "1" / "units.parquet")
    line = _error_line(capsys, main, [str(sweep)])
    assert line.split(": error: ")[1] == (
        f"{sweep / '1' / 'units.parquet'}: lacks the column(s) replication, unit, capacity (it holds a): it "
        "is not the table flowsim writes there; fix: rerun the sweep's command, which redoes job 1")
    assert notebooks == [] and sorted(p.name for p in sweep.iterdir() if p.name != LOCK_NAME) == ["0", "1"]


@pytest.mark.parametrize("name, damage, problem", SWEEP_DAMAGE)
def test_board_names_a_damaged_job_file_before_the_notebook_runs(folder, capsys, notebooks, name, damage,
                                                                 problem):
    sweep = folder("sweep")
    damage(sweep / name)
    line = _error_line(capsys, board.main, [str(sweep), "--no-pdf"])
    assert line.startswith(f"flowsim-board: error: {sweep / name}: {problem}")
    assert line.endswith(f"; fix: rerun the sweep's command, which redoes job {name.split('/')[0]}")
    assert notebooks == []


@pytest.mark.parametrize("name", ["0/census.parquet", "1/census.parquet"])
def test_board_names_a_file_the_notebook_finds_damaged_and_writes_nothing(folder, tmp_path, capsys, name):
    sweep = folder("sweep")
    _garble(sweep / name)
    out = tmp_path / "pack"
    out.mkdir()
    line = _error_line(capsys, board.main, [str(sweep), "--output", str(out / "pack.html"), "--no-pdf"])
    assert line == (f"flowsim-board: error: {(sweep / name).resolve()}: is not a readable Parquet file, "
                    f"damaged or cut short; fix: rerun the sweep's command, which redoes job {name[0]}")
    assert list(out.iterdir()) == []  # no page, notebook or config file


def test_installed_scripts_name_a_damaged_file_in_one_line(folder, tmp_path):
    sweep = folder("sweep")
    _truncate(sweep / "0" / "metrics.json")
    for name, extra in (("flowsim-collect", []), ("flowsim-report", []), ("flowsim-board", ["--no-pdf"])):
        script = Path(sys.executable).with_name(name)
        proc = subprocess.run([str(script), str(sweep), *extra], capture_output=True, text=True, timeout=300,
                              check=False)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.startswith(f"{name}: error: {sweep / '0' / 'metrics.json'}: is not readable JSON")
    assert sorted(p.name for p in sweep.iterdir() if p.name != LOCK_NAME) == ["0", "1"]  # no tables or pack


# -- flowsim-board: --baseline-job and --output --------------------------------------------------------

@pytest.mark.parametrize("job", ["5", "-1"])
def test_board_refuses_a_baseline_job_that_is_not_a_finished_job(folder, capsys, notebooks, job):
    sweep = folder("sweep")
    assert _error_line(capsys, board.main, [str(sweep), "--baseline-job", job, "--no-pdf"]) == (
        f"flowsim-board: error: job {job} is not a finished job of {sweep}; fix: pick --baseline-job from "
        "0, 1")
    assert notebooks == []
    board.main([str(sweep), "--baseline-job", "1", "--no-pdf"])
    assert notebooks[0][2]["baseline_job"] == 1


def test_board_refuses_an_output_that_is_a_folder_and_leaves_nothing_behind(folder, tmp_path, capsys):
    sweep = folder("sweep")
    existing = tmp_path / "reports"
    existing.mkdir()
    before = sorted(tmp_path.rglob("*"))
    assert _error_line(capsys, board.main, [str(sweep), "--output", str(existing), "--no-pdf"]) == (
        f"flowsim-board: error: --output: '{existing}' is a folder, not a file; fix: give a file name, e.g. "
        f"{existing / 'board_report.html'}")
    assert sorted(tmp_path.rglob("*")) == before  # no reports.ipynb, reports_config.yaml


def test_board_refuses_an_output_it_cannot_write_before_the_notebook_runs(folder, tmp_path, capsys, notebooks,
                                                                       monkeypatch):
    sweep = folder("sweep")
    (tmp_path / "notes.txt").write_text("a file")
    inside_a_file = tmp_path / "notes.txt" / "b.html"
    assert _error_line(capsys, board.main, [str(sweep), "--output", str(inside_a_file), "--no-pdf"]) == (
        f"flowsim-board: error: --output: '{tmp_path / 'notes.txt'}' is a file, not a folder; fix: give a "
        "path in a folder, e.g. board_report.html")
    locked = tmp_path / "locked"
    locked.mkdir()
    _unwritable(monkeypatch, locked, PermissionError(13, "Permission denied"))
    assert _error_line(capsys, board.main, [str(sweep), "--output", str(locked / "b.html"), "--no-pdf"]) == (
        f"flowsim-board: error: --output: cannot write '{locked / 'b.html'}' (Permission denied); fix: "
        "give a path you can write to")
    assert notebooks == [] and sorted(p.name for p in tmp_path.iterdir()) == ["locked", "notes.txt", "sweep"]


@pytest.mark.parametrize("folder_name", ["new", "new/deeper", "/proc/x"])
def test_board_refuses_an_output_in_a_folder_that_does_not_exist(folder, tmp_path, capsys, notebooks,
                                                                   folder_name):
    sweep = folder("sweep")
    missing = tmp_path / folder_name  # /proc/x stays itself
    before = sorted(tmp_path.rglob("*"))
    assert _error_line(capsys, board.main, [str(sweep), "--output", str(missing / "b.html"), "--no-pdf"]) == (
        f"flowsim-board: error: --output: folder '{missing}' does not exist; fix: create it or give another "
        "path")
    assert notebooks == [] and sorted(tmp_path.rglob("*")) == before  # no folder made


@pytest.mark.parametrize(("args", "expected"), [
    (["--figure", "{dir}/nowhere/a.png"], "flowsim-collect: error: --figure: folder "),
    (["--figure", "{dir}/a.pgn"], "flowsim-collect: error: --figure: 'pgn' is not a figure format"),
    (["--reason", "P2"], "flowsim-collect: error: --reason: chooses what the figure draws"),
    ([f"--baseline={OPTION}=10", f"--baseline={OPTION}=20"], "flowsim-collect: error: --baseline: gives the "
     "same key twice"),
    (["--baseline=nope=3"], "flowsim-collect: error: --baseline: nope is not a swept parameter"),
    (["--bogus"], "flowsim-collect: error: unrecognized arguments: --bogus; fix: see flowsim-collect --help"),
])
def test_collect_options_are_checked_before_anything_is_written(folder, capsys, args, expected):
    sweep = folder("sweep")
    before = sorted(p.name for p in sweep.iterdir() if p.name != LOCK_NAME)  # (collect holds the lock)
    with pytest.raises(SystemExit) as stop:
        collect_main([str(sweep), *(a.replace("{dir}", str(sweep)) for a in args)])
    assert stop.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), lines
    if "--baseline" not in expected:  # (a baseline is known only once the sweep is gathered)
        assert sorted(p.name for p in sweep.iterdir() if p.name != LOCK_NAME) == before


@pytest.mark.parametrize(("main", "args", "expected"), [
    (lambda argv: report.main(argv), ["--bogus"],
     "flowsim-report: error: unrecognized arguments: --bogus; fix: see flowsim-report --help"),
    (lambda argv: board.main(argv), ["--baseline-job", "abc", "--no-pdf"],
     "flowsim-board: error: argument --baseline-job: invalid int value: 'abc'; "
     "fix: see flowsim-board --help"),
])
def test_a_mistyped_option_of_report_or_board_is_one_line(folder, capsys, main, args, expected):
    with pytest.raises(SystemExit) as stop:
        main([str(folder("sweep")), *args])
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [expected]
