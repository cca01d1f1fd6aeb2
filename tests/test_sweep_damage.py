"""flowsim-collect on a damaged sweep: one line naming the file and the fix, and the earlier tables kept.

A job file holding another table, a ``manifest.json`` without its overrides, a ``sweep.json`` or
``collected.json`` that is not what flowsim writes, a folder where a table goes, a folder that cannot
be written: each stops with one line and exit code 2, and leaves ``results.parquet``, ``summary.csv``,
``comparison.csv`` and ``collected.json`` as the last good collect wrote them (all are written together,
at the end). Shared readers give flowsim-report the same line.

The sweep is made in this process (``run_scenario``, two tiny jobs), once per module.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from flowsim.cli import main as cli_main
from flowsim.cli.main import collect_and_report, collect_main
from flowsim.experiment import sweep as sweep_module
from flowsim.experiment.pipeline import run_scenario
from flowsim.experiment.sweep import check_collected
from flowsim.model.compose import load_config
from flowsim.model.errors import ConfigError
from flowsim.reporting import report
from tests.test_damaged_outputs import OPTION, TINY, _error_line, _unwritable

TABLES = ("results.parquet", "summary.csv", "comparison.csv", "collected.json")
JOB_FIX = "fix: rerun the sweep's command, which redoes job 0"
SWEEP_FIX = "fix: rerun the sweep's command (it writes sweep.json again)"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """Jobs 0 and 1 (10 and 20 intermediate-care beds), gathered once by flowsim-collect."""
    out = tmp_path_factory.mktemp("built") / "sweep"
    jobs = {}
    for job, beds in enumerate((10, 20)):
        overrides = [*TINY, f"{OPTION}={beds}"]
        run_scenario(load_config(overrides), out / str(job), overrides=overrides, progress=False, job=job)
        identity = json.loads((out / str(job) / "metrics.json").read_text())["identity"]
        jobs[str(job)] = {"overrides": overrides, "identity": identity}
    (out / "sweep.json").write_text(json.dumps({"jobs": jobs}))  # as flowsim -m writes it (the parts read)
    collect_main([str(out)])
    return out


@pytest.fixture
def sweep(built, tmp_path) -> Path:
    """A copy of the gathered sweep for one test."""
    return Path(shutil.copytree(built, tmp_path / "sweep", ignore=shutil.ignore_patterns("checkpoints")))


def _tables(sweep: Path) -> dict[str, bytes]:
    return {name: (sweep / name).read_bytes() for name in TABLES}


@pytest.mark.parametrize("name", ["units.parquet", "replications.parquet"])
def test_a_job_table_of_other_columns_is_named_and_the_earlier_tables_are_kept(sweep, capsys, name):
    before = _tables(sweep)
    pd.DataFrame({"a": [1, 2]}).to_parquet(sweep / "0" / name)
    line = _error_line(capsys, collect_main, [str(sweep)])
    assert line.startswith(f"flowsim-collect: error: {sweep / '0' / name}: lacks the column"), line
    assert line.endswith(JOB_FIX)
    assert _tables(sweep) == before


def test_a_baseline_no_job_has_leaves_the_earlier_tables_as_they_were(sweep, capsys):
    before = _tables(sweep)
    line = _error_line(capsys, collect_main, [str(sweep), f"--baseline={OPTION}=99"])
    assert line.startswith(f"flowsim-collect: error: --baseline: baseline {OPTION}=99 matches 0 jobs, not "
                           f"exactly one ({OPTION} takes ")  # the values it could be (found by a QA pass)
    assert line.endswith("); fix: give a swept key and a value one job has")
    assert _tables(sweep) == before


def test_a_failure_while_writing_leaves_the_earlier_tables_and_no_temporary_files(sweep, monkeypatch):
    before, names = _tables(sweep), sorted(p.name for p in sweep.iterdir())
    written = sweep_module.write_table

    def disk_full(frame, path):
        if Path(path).name.endswith("comparison.csv"):
            raise OSError(28, "No space left on device")
        return written(frame, path)

    monkeypatch.setattr(sweep_module, "write_table", disk_full)
    monkeypatch.setattr(cli_main, "write_table", disk_full, raising=False)  # (where flowsim wrote it before)
    with pytest.raises(OSError, match="No space left"):
        collect_and_report(str(sweep))
    assert _tables(sweep) == before
    assert sorted(p.name for p in sweep.iterdir()) == names


def test_tables_written_again_are_consistent_and_leave_no_temporary_files(sweep):
    names = sorted(p.name for p in sweep.iterdir())
    (sweep / "comparison.csv").unlink()
    collect_and_report(str(sweep))
    assert sorted(p.name for p in sweep.iterdir()) == names
    check_collected(sweep)


def test_a_job_table_with_a_replication_twice_is_named(sweep, capsys):
    table = pd.read_parquet(sweep / "0" / "replications.parquet")
    pd.concat([table, table]).to_parquet(sweep / "0" / "replications.parquet")
    assert _error_line(capsys, collect_main, [str(sweep)]) == (
        f"flowsim-collect: error: {sweep / '0' / 'replications.parquet'}: has more than one row for a "
        f"replication; {JOB_FIX}")


@pytest.mark.parametrize("older", [False, True])
def test_a_manifest_without_its_overrides_is_named(sweep, capsys, older):
    if older:
        (sweep / "sweep.json").unlink()  # as a sweep of a flowsim before sweep.json: checked from manifests
    (sweep / "0" / "manifest.json").write_text("{}")
    assert _error_line(capsys, collect_main, [str(sweep)]) == (
        f"flowsim-collect: error: {sweep / '0' / 'manifest.json'}: lacks overrides; {JOB_FIX}")


def test_a_manifest_whose_overrides_are_not_texts_is_named(sweep, capsys):
    (sweep / "0" / "manifest.json").write_text('{"overrides": 5}')
    assert _error_line(capsys, collect_main, [str(sweep)]) == (
        f"flowsim-collect: error: {sweep / '0' / 'manifest.json'}: is damaged: its overrides entry is not a "
        f"list of key=value texts; {JOB_FIX}")


@pytest.mark.parametrize(("text", "problem"), [
    ("[1, 2]", "is damaged: it holds an array, not a JSON object"),
    ("{}", "is damaged: it lists no jobs"),
    ('{"jobs": {"0": 5}}', "is damaged: its job '0' is not a job number with an identity"),
    ("{bad", "is not readable JSON, damaged or cut short"),
])
def test_a_damaged_sweep_json_is_named(sweep, capsys, text, problem):
    before = _tables(sweep)
    (sweep / "sweep.json").write_text(text)
    line = _error_line(capsys, collect_main, [str(sweep)])
    assert line.startswith(f"flowsim-collect: error: {sweep / 'sweep.json'}: {problem}"), line
    assert line.endswith(SWEEP_FIX)
    assert _tables(sweep) == before


def test_flowsim_report_names_a_damaged_sweep_json_too(sweep, capsys):
    (sweep / "sweep.json").write_text("[1, 2]")
    assert _error_line(capsys, report.main, [str(sweep)]) == (
        f"flowsim-report: error: {sweep / 'sweep.json'}: is damaged: it holds an array, not a JSON object; "
        f"{SWEEP_FIX}")


@pytest.mark.parametrize(("text", "problem"), [
    ("[1]", "is damaged: it holds an array, not a JSON object"),
    ("{bad", "is not readable JSON, damaged or cut short"),
    ("{}", "is damaged: it lacks the jobs and results digest flowsim-collect records"),
])
def test_a_damaged_collected_json_is_named_not_called_missing(sweep, text, problem):
    (sweep / "collected.json").write_text(text)
    with pytest.raises(ConfigError) as refused:
        check_collected(sweep)
    assert str(refused.value).startswith(f"{sweep / 'collected.json'}: {problem}")
    assert str(refused.value).endswith(f"fix: run flowsim-collect {sweep} to gather the jobs again, or rerun "
                                       "the sweep's command")


def test_flowsim_report_names_a_damaged_collected_json(sweep, capsys):
    (sweep / "collected.json").write_text("[1]")
    line = _error_line(capsys, report.main, [str(sweep)])
    assert line.startswith(f"flowsim-report: error: {sweep / 'collected.json'}: is damaged: it holds an "
                           "array, not a JSON object; fix: run flowsim-collect"), line


@pytest.mark.parametrize("name", TABLES)
def test_a_folder_where_a_table_goes_is_refused_before_anything_is_written(sweep, capsys, name):
    (sweep / name).unlink()
    (sweep / name).mkdir()
    before = {n: (sweep / n).read_bytes() for n in TABLES if n != name}
    assert _error_line(capsys, collect_main, [str(sweep)]) == (
        f"flowsim-collect: error: {sweep / name}: is a folder, where the sweep's table of that name goes; "
        "fix: move that folder out of the sweep directory")
    assert {n: (sweep / n).read_bytes() for n in TABLES if n != name} == before


def test_a_sweep_folder_that_cannot_be_written_is_refused_before_gathering(sweep, capsys, monkeypatch):
    before = _tables(sweep)
    _unwritable(monkeypatch, sweep, OSError(30, "Read-only file system"))
    assert _error_line(capsys, collect_main, [str(sweep)]) == (
        f"flowsim-collect: error: {sweep}: is not writable (Read-only file system), and the sweep's tables "
        "are written there; fix: copy the sweep directory to a folder you can write to, and give the copy")
    assert _tables(sweep) == before


def test_collect_warnings_name_the_command_that_was_run(sweep, capsys):
    (sweep / "0" / "metrics.json").unlink()  # job 0 unfinished
    collect_main([str(sweep)])
    err = capsys.readouterr().err
    assert err.startswith("flowsim-collect: warning: unfinished jobs left out: 0 "), err
    collect_and_report(str(sweep))  # as flowsim -m calls it when the sweep ends
    assert capsys.readouterr().err.startswith("flowsim: warning: unfinished jobs left out: 0 ")
