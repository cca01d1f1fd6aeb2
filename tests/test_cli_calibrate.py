"""``flowsim-calibrate``: bad data is one line naming the file line, column and fix (exit 2); the
subcommands run, print what they did and write what they say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from flowsim.calibration.outputs import FITS_COLUMNS
from flowsim.cli.calibrate import _SUBCOMMANDS, build_parser, main

SCRIPT = str(Path(sys.executable).parent / "flowsim-calibrate")
HEADER = ("episode_id,patient_id,nctr_datetime,acute_discharge_datetime,pathway,unit,unit_start_datetime,"
          "unit_end_datetime,after_p2,readmitted_30d")
GOOD = [  # lines 2-5
    "e1,p1,2025-04-01T09:00,2025-04-01T12:00,P0,,,,,0",
    "e2,p2,2025-04-01T10:00,2025-04-03T10:00,P1,Reablement,2025-04-03T10:00,2025-04-20T10:00,,0",
    "e3,p3,2025-04-02T08:00,2025-04-02T15:00,P2,IC beds,2025-04-02T15:00,2025-05-01T12:00,home,1",
    "e4,p3,2025-05-10T08:00,,P3,,,,,",
]


def _with(line: int, column: str, value: str) -> list[str]:
    """The good rows with ``column`` of file line ``line`` set to ``value``."""
    rows = list(GOOD)
    cells = rows[line - 2].split(",")
    cells[HEADER.split(",").index(column)] = value
    rows[line - 2] = ",".join(cells)
    return rows


# (case, file text, file line, column, words the problem or fix must contain)
BAD = [
    ("missing column", HEADER.replace(",unit_end_datetime", "") + "\n" + "\n".join(
        ",".join(r.split(",")[:7] + r.split(",")[8:]) for r in GOOD), 1, "unit_end_datetime",
     "is missing from the header; fix: add the column"),
    ("unparseable date", _with(3, "nctr_datetime", "01/04/2025"), 3, "nctr_datetime",
     "'01/04/2025' is not a date; fix: write it as YYYY-MM-DD"),
    ("compact date", _with(3, "nctr_datetime", "20250401T1000"), 3, "nctr_datetime",
     "'20250401T1000' is not a date; fix: write it as YYYY-MM-DD"),
    ("stay ends before it starts", _with(4, "unit_end_datetime", "2025-04-01T12:00"), 4, "unit_end_datetime",
     "is before unit_start_datetime 2025-04-02T15:00; fix: correct the dates: a stay ends after it starts"),
    ("discharge before NCTR", _with(2, "acute_discharge_datetime", "2025-03-31"), 2,
     "acute_discharge_datetime", "2025-03-31 is before nctr_datetime 2025-04-01T09:00; fix: correct the"),
    ("unknown pathway", _with(3, "pathway", "P5"), 3, "pathway",
     "'P5' is not a pathway; fix: use one of P0, P1"),
    ("duplicate id", _with(5, "episode_id", "e2"), 5, "episode_id",
     "repeats 'e2' (first on line 3); fix: give each NCTR episode one row"),
    ("unknown after_p2", _with(4, "after_p2", "hospice"), 4, "after_p2",
     "'hospice' is not an after-P2 outcome; fix: use one of home, home_p1"),
    ("unit start before NCTR", _with(3, "unit_start_datetime", "2025-03-30T10:00"), 3, "unit_start_datetime",
     "is before nctr_datetime 2025-04-01T10:00; fix: correct the dates: a stay starts after"),
    ("empty file", "", 1, "(file)", "the file is empty; fix: give a CSV with a header line"),
    ("header only", HEADER + "\n", 2, "(row)", "has a header but no episodes"),
    ("bad readmission flag", _with(2, "readmitted_30d", "yes please"), 2, "readmitted_30d", "is not 0 or 1"),
    ("P0 with a unit", _with(2, "unit", "Reablement"), 2, "unit", "is given for a P0 episode"),
    # "still in the acute bed", yet in a unit: fitted without a word (found by a QA pass)
    ("a unit stay without leaving acute", _with(3, "acute_discharge_datetime", ""), 3,
     "acute_discharge_datetime", "is blank but the stay in 'Reablement' has started; fix: give when the "
     "patient left the acute bed"),
    ("blank id", _with(5, "patient_id", ""), 5, "patient_id",
     "is blank; fix: give every episode its patient id"),
    ("a row too short", [*GOOD[:1], "e9,p9,2025-04-01"], 3, "(row)", "has 3 values but the header has 10"),
    ("semicolons", (HEADER + "\n" + "\n".join(GOOD) + "\n").replace(",", ";"), 1, "(header)",
     "separates its columns with ';', not commas; fix: save the file as comma-separated CSV"),
    # the last copy won: a blank second readmitted_30d gave "Readmitted none in the extract" (found by QA)
    ("a column named twice", HEADER + ",readmitted_30d\n" + "\n".join(r + "," for r in GOOD), 1, "(header)",
     "names the column readmitted_30d twice; fix: keep one column of each name"),
    ("the unit named twice", HEADER + ",unit\n" + "\n".join(r + ",Other" for r in GOOD), 1, "(header)",
     "names the column unit twice"),
]


def _write(tmp_path: Path, text: str | list[str], name: str = "bad.csv") -> Path:
    path = tmp_path / name
    body = text if isinstance(text, str) else HEADER + "\n" + "\n".join(text) + "\n"
    path.write_text(body, encoding="utf-8")
    return path


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as stop:
        code = stop.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(("case", "text", "line", "column", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_data_is_one_line_naming_line_column_and_fix(tmp_path, capsys, case, text, line, column, words):
    path = _write(tmp_path, text)
    code, out, err = _run(["fit", str(path), "--output", str(tmp_path / "out")], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"flowsim-calibrate: error: bad.csv line {line}, column {column}: "), err
    assert words in err and "; fix: " in err, err
    assert not (tmp_path / "out").exists()  # nothing written


def test_report_lists_every_problem_of_every_row(tmp_path, capsys):
    rows = _with(3, "pathway", "P5")
    rows[2] = rows[2].replace("2025-05-01T12:00", "2025-04-01T12:00")  # line 4: ends before it starts
    rows[3] = rows[3].replace("e4", "e1").replace("2025-05-10T08:00", "10/05/2025")  # line 5: two problems
    path = _write(tmp_path, rows)
    code, _, err = _run(["fit", str(path), "--report"], capsys)
    lines = err.splitlines()
    assert code == 2 and "Traceback" not in err
    assert [line.split(": ", 3)[2] for line in lines[:-1]] == [
        "bad.csv line 3, column pathway", "bad.csv line 4, column unit_end_datetime",
        "bad.csv line 5, column episode_id", "bad.csv line 5, column nctr_datetime"]
    assert lines[-1] == "flowsim-calibrate: 4 problem(s) in bad.csv; fix them and run again"
    code, _, err = _run(["fit", str(path)], capsys)  # without --report: the first only
    assert code == 2 and err.count("\n") == 1 and "line 3, column pathway" in err


def test_the_installed_command_exits_2_without_a_traceback(tmp_path):
    path = _write(tmp_path, _with(4, "after_p2", "hospice"))
    done = subprocess.run([SCRIPT, "fit", str(path), "--report"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stdout == ""
    first = done.stderr.splitlines()[0]
    assert first.startswith("flowsim-calibrate: error: bad.csv line 4, column after_p2:")
    missing = subprocess.run([SCRIPT, "fit", "no_such.csv"], capture_output=True, text=True, cwd=tmp_path,
                             timeout=120)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "does not exist" in missing.stderr


@pytest.mark.parametrize(("argv", "words"), [
    (["--extract-date", "31/03/2026"], "--extract-date: '31/03/2026' is not a date"),
    (["--extract-date", "20260331"], "--extract-date: '20260331' is not a date"),
    (["--extract-date", "2025-04-15"], "is after the extract date 2025-04-16 00:00"),
    (["--name", "default"], "--name: 'default' cannot name a system file"),
])
def test_bad_options_are_one_line(tmp_path, capsys, argv, words):
    path = _write(tmp_path, GOOD, "good.csv")
    code, _, err = _run(["fit", str(path), *argv], capsys)
    assert code == 2 and err.count("\n") == 1 and words in err, err


def test_example_then_fit_writes_what_it_says(tmp_path, capsys):
    extract = tmp_path / "synthetic_short.csv"
    code, out, _ = _run(["example", str(extract), "--days", "120", "--seed", "3"], capsys)
    assert code == 0 and out.startswith(f"Wrote {extract}: a SYNTHETIC extract simulated by flowsim, not")
    assert (pd.read_csv(extract)["is_synthetic"] == True).all()  # noqa: E712 (a column of booleans)
    # 2025-04-01 + 120 days: taken at midnight ending 2025-07-29, which the fit is told as printed
    hint = f"Fit it as taken: flowsim-calibrate fit {extract} --extract-date 2025-07-29"
    assert out.splitlines()[1] == hint
    output = tmp_path / "cal"
    code, out, err = _run(["fit", str(extract), "--output", str(output), "--name", "mine",
                           "--extract-date", "2025-07-29"], capsys)
    assert code == 0, err
    assert out.startswith("Fitted synthetic_short.csv (SYNTHETIC: made by flowsim, not real patients)\n")
    assert "extract date 2025-07-30 00:00" in out  # a date alone: the end of that day
    assert f"Outputs written to {output}/ (system/mine.yaml, fits.csv, estimates.csv, fit_sheet.png)" in out
    assert out.rstrip().endswith(f"Use: flowsim --config-dir {output} system=mine")
    fits = pd.read_csv(output / "fits.csv")
    assert set(fits.columns) >= {"unit", "distribution", "parameters", "log_likelihood", "aic", "delta_aic",
                                 "km_ks_distance", "n", "n_censored"}
    assert (fits.groupby("unit")["delta_aic"].min() == 0).all()
    assert (fits.groupby("unit").size() == 4).all()
    assert "SYNTHETIC" in (output / "system" / "mine.yaml").read_text(encoding="utf-8")
    assert tuple(fits.columns) == FITS_COLUMNS  # what an extract without unit stays gets as its header


def test_a_fit_beside_an_earlier_fits_system_file_says_whose_tables_these_are(tmp_path, capsys):
    """A second fit under another name left the first's system/fitted.yaml beside tables that no longer
    described it, without a word (found by a QA pass)."""
    lines = [f"e{i},p{i},2025-04-{1 + i % 28:02d}T09:00,2025-04-{1 + i % 28:02d}T12:00,P0,,,,,0"
             for i in range(60)]
    extract, output = _write(tmp_path, lines, "p0.csv"), tmp_path / "cal"
    assert _run(["fit", str(extract), "--output", str(output)], capsys)[0] == 0
    (output / "system" / "mine.yaml").write_text("# a planner's own system\n")  # not a fit: not named
    code, _, err = _run(["fit", str(extract), "--output", str(output), "--name", "second"], capsys)
    assert code == 0 and err == (f"flowsim-calibrate: note: system/fitted.yaml in {output}/ is an earlier "
                                 "fit: fits.csv, estimates.csv and fit_sheet.png now describe "
                                 "system/second.yaml\n")
    assert (output / "system" / "fitted.yaml").is_file()  # kept: the planner may have edited it
    code, _, err = _run(["fit", str(extract), "--output", str(output), "--name", "second"], capsys)
    assert "system/fitted.yaml in" in err  # still there, still said; the refit of second is not
    assert "second.yaml in" not in err


def test_an_extract_without_unit_stays_writes_the_fits_header(tmp_path, capsys):
    lines = [f"e{i},p{i},2025-04-{1 + i % 28:02d}T09:00,2025-04-{1 + i % 28:02d}T12:00,P0,,,,,0"
             for i in range(60)]
    output = tmp_path / "cal"
    code, _, err = _run(["fit", str(_write(tmp_path, lines, "p0.csv")), "--output", str(output)], capsys)
    assert code == 0, err
    fits = pd.read_csv(output / "fits.csv")  # a 1-byte file was no CSV table at all
    assert fits.empty and "distribution" in fits.columns and "delta_aic" in fits.columns


def test_example_refuses_a_name_that_hides_it_is_synthetic_and_bad_overrides(tmp_path, capsys):
    code, _, err = _run(["example", str(tmp_path / "extract.csv")], capsys)
    assert code == 2 and err.count("\n") == 1 and "does not say it is synthetic" in err
    argv = ["example", str(tmp_path / "synthetic.csv"), "--override", "services.ic_beds.capacty=3"]
    code, _, err = _run(argv, capsys)
    assert code == 2 and err.count("\n") == 1 and "did you mean services.ic_beds.capacity?" in err, err


def test_help_has_examples_and_every_subcommand(capsys):
    for argv in (["--help"], ["fit", "--help"], ["example", "--help"]):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 0
        text = capsys.readouterr().out
        examples = text.split("examples:\n")[1]
        assert len([line for line in examples.splitlines() if line.startswith("  flowsim-calibrate ")]) >= 3
        assert "documentation: docs/how-to/calibrate.md" in examples
    commands = build_parser()._subparsers._group_actions[0].choices
    assert list(commands) == list(_SUBCOMMANDS) == ["fit", "example", "targets"]


def test_the_entry_point_is_installed():
    assert os.access(SCRIPT, os.X_OK)


def _one_line(argv: list[str], capsys) -> str:
    """The one stderr line of a ``flowsim-calibrate`` that stops with exit code 2."""
    code, _, err = _run(argv, capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("where", ["a_file", "a_file/sub", "/proc/no_such_folder"])
def test_fit_checks_its_output_folder_before_fitting(tmp_path, capsys, where):
    (tmp_path / "a_file").write_text("not a folder")
    path = _write(tmp_path, GOOD, "good.csv")
    output = where if where.startswith("/") else str(tmp_path / where)
    line = _one_line(["fit", str(path), "--output", output], capsys)
    assert line.startswith("flowsim-calibrate: error: --output: ") and "; fix: " in line, line


@pytest.mark.parametrize(("argv", "words"), [
    (["--scale", "1000"], "--scale: 1000 is out of range (arrivals.rate_per_day: "),
    (["--days", "10000000"], "--days: 10,000,000 is out of range (run.horizon_days: "),
    (["--start", "1900-01-01"], "--start: 1900-01-01 is out of range (run.start_date: "),
    (["--seed", "-1"], "--seed: must be from 0 to "),
    (["--start", "20250401"], "--start: '20250401' is not a date; fix: write it as YYYY-MM-DD"),
    (["--scale", "inf"], "--scale: must be a finite number > 0, got inf; fix: give e.g. 0.1"),  # were
    (["--scale", "1e308"], "--scale: 1e+308 is out of range (services.p1_reablement.capacity: 453 x 1e+308 "
                           "is not a finite number); fix: give a smaller scale"),  # OverflowErrors
    (["--scale", "1e-6", "--days", "30"], "--scale: 1e-06 of the default system gives no NCTR episode in 30 "
                                          "days; fix: give a larger --scale"),
])
def test_example_names_the_option_that_is_out_of_range(tmp_path, capsys, argv, words):
    line = _one_line(["example", str(tmp_path / "synthetic.csv"), *argv], capsys)
    assert line.startswith(f"flowsim-calibrate: error: {words}"), line
    assert not (tmp_path / "synthetic.csv").exists()


def test_example_refuses_a_folder_to_write_before_simulating(tmp_path, capsys):
    (tmp_path / "synthetic_folder").mkdir()
    folder = tmp_path / "synthetic_folder"
    line = _one_line(["example", str(folder), "--days", "5"], capsys)
    assert line == (f"flowsim-calibrate: error: OUT: '{folder}' is a folder, not a file; fix: give a file "
                    f"name, e.g. {folder / 'synthetic_extract.csv'}")


TARGETS = "overrides: [scenario=quick, housing=off]\nreplications: 1\n" \
          "targets: [{kpi: nctr_census_mean, value: 30, tolerance: {relative: 0.5}}]\n"


@pytest.mark.parametrize(("argv", "words"), [
    (["--check-replications", "200000"], "--check-replications: must be from 2 to 100,000, got 200000"),
    (["seed=9"], "seed: the targets file sets the seed; fix: write seed: 9 in the targets file"),
    (["replications=50"], "replications: the targets file sets the replications"),
    (["--n-jobs", "0"], "--n-jobs: must not be 0"),
    (["--output", "{tmp}/a_file"], "--output: '{tmp}/a_file' is a file, not a folder"),
])
def test_targets_options_are_checked_before_the_fit_in_one_line(tmp_path, capsys, argv, words):
    (tmp_path / "a_file").write_text("not a folder")
    path = tmp_path / "targets.yaml"
    path.write_text(TARGETS, encoding="utf-8")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    line = _one_line(["targets", str(path), "--check-replications", "2", *argv], capsys)
    assert line.startswith("flowsim-calibrate: error: " + words.replace("{tmp}", str(tmp_path))), line


def test_a_folder_as_the_targets_file_is_called_a_folder(tmp_path, capsys):
    line = _one_line(["targets", str(tmp_path)], capsys)
    assert line == (f"flowsim-calibrate: error: {tmp_path}: is a folder, not a file; fix: give the path of a "
                    "targets YAML file")


@pytest.mark.parametrize(("argv", "line"), [
    (["fitt"], "flowsim-calibrate: error: argument COMMAND: invalid choice: 'fitt' (choose from 'fit', "
               "'example', 'targets'); fix: see flowsim-calibrate --help"),
    ([], "flowsim-calibrate: error: the following arguments are required: COMMAND; fix: see "
         "flowsim-calibrate --help"),
    (["example", "synthetic.csv", "--days", "x"], "flowsim-calibrate: error: argument --days: must be a "
                                                  "whole number such as 2, got 'x'; fix: see "
                                                  "flowsim-calibrate example --help"),
    (["example", "synthetic.csv", "--days", "90.5"], "flowsim-calibrate: error: argument --days: must be a "
                                                     "whole number such as 2, got '90.5'; fix: see "
                                                     "flowsim-calibrate example --help"),
    (["fit", "e.csv", "--no-such-option"], "flowsim-calibrate: error: unrecognized arguments: "
                                           "--no-such-option; fix: see flowsim-calibrate --help"),
])
def test_usage_errors_are_one_line(capsys, argv, line):
    assert _one_line(argv, capsys) == line


def test_whole_numbers_written_as_decimals_are_taken_as_flowsim_takes_them():
    from flowsim.cli.calibrate import build_parser

    example = build_parser().parse_args(["example", "synthetic.csv", "--days", "1.2e2", "--seed", "3.0"])
    assert (example.days, example.seed) == (120, 3) and type(example.days) is int
    targets = build_parser().parse_args(["targets", "t.yaml", "--max-evaluations", "12.0",
                                         "--check-replications", "2e1", "--n-jobs", "2.0"])
    assert (targets.max_evaluations, targets.check_replications, targets.n_jobs) == (12, 20, 2)


def test_columns_flowsim_does_not_read_may_repeat(tmp_path, capsys):
    # extra columns are ignored, so two of the same name (or two blank names of a spreadsheet) are too
    text = HEADER + ",note,note,,\n" + "\n".join(r + ",a,b,," for r in GOOD) + "\n"
    code, _, err = _run(["fit", str(_write(tmp_path, text, "extra.csv")), "--output", str(tmp_path / "o")],
                        capsys)
    assert code == 0, err


@pytest.mark.parametrize("name", ["No", "null", "yes", "OFF", "True", "1"])
def test_a_unit_named_as_yaml_reads_a_boolean_or_null_is_fitted(tmp_path, capsys, name):
    """A unit named No was written as the key no, which YAML reads as False: the check of the written
    system failed after system/fitted.yaml, fits.csv and estimates.csv were written (found by QA)."""
    from flowsim.calibration.outputs import check_system

    output = tmp_path / "cal"
    path = _write(tmp_path, [row.replace("IC beds", name) for row in GOOD], "units.csv")
    code, out, err = _run(["fit", str(path), "--output", str(output)], capsys)
    key = f"unit_{name.lower()}"  # as a name starting with a digit already was
    assert code == 0 and err == "", err
    assert f"\n{key} " in out and f"\n  {key}:\n" in (output / "system" / "fitted.yaml").read_text()
    assert check_system(output, "fitted").unit(key).pathways == ("P2",)


def test_a_fitted_system_that_fails_its_check_writes_nothing(tmp_path, capsys, monkeypatch):
    from flowsim.calibration import outputs

    def broken(fit, base=None):  # a system file flowsim would refuse
        return text_of(fit).replace("  rate_per_day: ", "  rate_per_day: -")

    text_of = outputs.system_yaml
    monkeypatch.setattr(outputs, "system_yaml", broken)
    output = tmp_path / "cal"
    line = _one_line(["fit", str(_write(tmp_path, GOOD, "good.csv")), "--output", str(output)], capsys)
    assert not [p for p in output.rglob("*") if p.is_file()]  # were system/fitted.yaml and both tables
    system = output / "system" / "fitted.yaml"
    assert line.startswith(f"flowsim-calibrate: error: {system}: the fitted system is not valid: "
                           "arrivals.rate_per_day: must be >= 0"), line
    assert line.count("; fix: ") == 1
    assert line.endswith("; fix: nothing was written; correct the extract where the message points (if it "
                         "points at nothing of yours, report it: a fit should give a valid system)")
