"""``flowsim-size`` end to end: outputs, reproducibility across workers and launchers, resume after an
interruption, surge blocks and choices, and one-line errors for bad sizing files."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from omegaconf import OmegaConf

from flowsim.cli.size import main
from flowsim.experiment.pipeline import run_scenario
from flowsim.model.compose import load_config
from flowsim.model.saved import read_saved
from flowsim.model.scenario import build_scenario
from flowsim.sizing.candidates import apply_candidate, hydra_overrides
from flowsim.sizing.outputs import RESULT_FILES
from flowsim.sizing.spec import parse_sizing_spec

SYSTEM = ["scenario=quick", "housing=off", "outputs.patients=false",
          "services.ic_beds.cost_per_bed_week=1050", "services.ic_beds.cost_per_occupied_day=0"]
SURGE = {"surge": "ic_beds", "places": {"low": 0, "high": 8, "step": 4},
         "start": {"choices": ["2025-06-02", "2025-07-07"]}, "weeks": 8}
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri"]
SEVEN_DAY = {"path": "services.care_home_unit.admission.days",
             "choices": [WEEKDAYS, [*WEEKDAYS, "Sat", "Sun"]]}


def _write_spec(folder: Path, **changes) -> Path:
    raw = {"overrides": SYSTEM, "seed": 5, "objective": "cost_total",
           "constraints": ["delay_P2_mean_days<=9"],
           "variables": {"ic_beds": {"path": "services.ic_beds.capacity", "low": 33, "high": 45, "step": 3},
                         "ic_surge": SURGE},
           "search": {"trials": 8, "batch": 4, "replications": 3, "shortlist": 3, "max_replications": 6},
           "validation": {"replications": 4}}
    raw.update(changes)
    path = folder / "sizing.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def _recommendation(folder: Path) -> dict:
    data = json.loads((folder / "recommendation.json").read_text())
    for key in ("replications_simulated", "replications_reused"):
        data["search"].pop(key)
    return data


@pytest.fixture(scope="module")
def sized(tmp_path_factory):
    folder = tmp_path_factory.mktemp("size")
    spec = _write_spec(folder)
    main([str(spec), "--output", str(folder / "out")])
    return spec, folder / "out"


def test_outputs_are_written_and_readable(sized):
    _, out = sized
    for name in ("evaluations.parquet", "candidates.csv", "pareto.csv", "recommendation.json",
                 "recommended.yaml", "pareto.png"):
        assert (out / name).is_file(), name
    evaluations = pd.read_parquet(out / "evaluations.parquet")
    assert {"stage", "candidate", "ic_beds", "ic_surge.places", "ic_surge.start", "seed", "replication",
            "cost_total_per_year", "delay_P2_mean_days"} <= set(evaluations.columns)
    assert set(evaluations["stage"]) >= {"search", "baseline", "validation"}
    candidates = pd.read_csv(out / "candidates.csv")
    assert candidates["recommended"].sum() == 1 and candidates["on_pareto"].any()
    rec = json.loads((out / "recommendation.json").read_text())
    assert rec["validation"]["seed"] == 1005 and rec["validation"]["replications"] == 4
    assert rec["today"] == {"ic_beds": 39, "ic_surge.places": 0, "ic_surge.start": "2025-06-02"}
    with (out / "pareto.png").open("rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_polars_and_duckdb_read_the_evaluations(sized):
    polars = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    _, out = sized
    path = out / "evaluations.parquet"
    assert polars.read_parquet(path).height == len(pd.read_parquet(path))
    assert duckdb.sql(f"select count(*) from '{path}'").fetchall()[0][0] == len(pd.read_parquet(path))


def test_the_recommended_config_is_the_system_the_search_evaluated_with_the_mix_in_it(sized, tmp_path):
    spec_file, out = sized
    spec = parse_sizing_spec(yaml.safe_load(spec_file.read_text()))
    rec = json.loads((out / "recommendation.json").read_text())
    candidate = tuple(rec["recommended"][d.name] for d in spec.dimensions)
    evaluated = apply_candidate(load_config(SYSTEM), spec, candidate)
    # on the search's seed and the replications the recommendation's figures are means of
    evaluated.seed, evaluated.replications = spec.seed, rec["replications"]
    # read as `flowsim --config-dir OUT --config-name recommended` composes it
    saved = read_saved(out / "recommended.yaml")
    assert saved == OmegaConf.to_container(evaluated, resolve=True)
    assert evaluated.services.ic_beds.capacity == rec["recommended"]["ic_beds"]
    # so flowsim on it gives the recommendation's objective again, to the last digit
    run = run_scenario(saved, tmp_path / "run", progress=False)
    per_year = run.replications["cost_total"] * 365 / run.replications["observed_days"]
    assert rec["objective"] == "cost_total_per_year" and rec["replications"] == len(run.replications) > 1
    assert per_year.mean() == pytest.approx(rec["objective_mean"], rel=1e-12)


def test_same_seed_same_recommendation_with_more_workers_and_with_the_hydra_launcher(sized, tmp_path):
    spec, out = sized
    main([str(spec), "--output", str(tmp_path / "two"), "--n-jobs", "2"])
    assert _recommendation(tmp_path / "two") == _recommendation(out)
    main([str(spec), "--output", str(tmp_path / "hydra"), "--hydra-launcher", "hydra.launcher.n_jobs=2"])
    assert _recommendation(tmp_path / "hydra") == _recommendation(out)
    jobs = sorted((tmp_path / "hydra" / "jobs").iterdir(), key=lambda p: int(p.name))
    overrides = yaml.safe_load((jobs[-1] / ".hydra" / "overrides.yaml").read_text())
    assert overrides[:len(SYSTEM)] == SYSTEM and overrides[-1].startswith("seed=")


def test_a_system_of_your_own_is_sized_from_config_dir_on_both_executors(tmp_path):
    mine = tmp_path / "myconfigs" / "system"
    mine.mkdir(parents=True)
    (mine / "mine.yaml").write_text("# @package _global_\ndefaults:\n  - default\n  - _self_\n"
                                    "services:\n  ic_beds:\n    cost_per_bed_week: 1234\n")
    spec = _write_spec(tmp_path, overrides=["scenario=quick", "housing=off", "outputs.patients=false"],
                       variables={"ic_beds": {"path": "services.ic_beds.capacity", "low": 36, "high": 39,
                                              "step": 3}},
                       search={"trials": 2, "batch": 2, "replications": 2, "shortlist": 2,
                               "max_replications": 2},
                       validation={"replications": 2})
    for name, extra in (("local", []), ("hydra", ["--hydra-launcher"])):
        main([str(spec), "--output", str(tmp_path / name), "--config-dir", str(tmp_path / "myconfigs"),
              "system=mine", *extra])
    assert _recommendation(tmp_path / "hydra") == _recommendation(tmp_path / "local")
    recommended = read_saved(tmp_path / "local" / "recommended.yaml")
    assert recommended["services"]["ic_beds"]["cost_per_bed_week"] == 1234  # the user's system was sized


def test_an_interrupted_search_resumes_with_the_same_recommendation(sized, tmp_path):
    spec, out = sized
    folder = tmp_path / "interrupted"
    script = ("import sys; sys.argv[0] = 'flowsim-size'; from flowsim.cli.entry import flowsim_size; "
              "flowsim_size()")
    command = [sys.executable, "-c", script, str(spec), "--output", str(folder)]  # as the console script
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(list(folder.glob("checkpoints/*/rep-*.json"))) < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and not (folder / "recommendation.json").exists()
    assert "Traceback" not in err, err  # one line: where the finished replications are, how to resume
    assert err.strip().splitlines()[-1] == (
        f"flowsim-size: interrupted. Finished replications are kept in {folder}; to resume where it stopped, "
        f"run the same command with --output={folder} (finished replications are loaded, not run again).")
    kept = len(list(folder.glob("checkpoints/*/rep-*.json")))
    assert kept >= 10
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    assert f"Resumed: {kept} replication(s) taken from" in done.stdout
    assert _recommendation(folder) == _recommendation(out)


def test_a_new_search_removes_the_earlier_searchs_results_before_it_runs(sized, tmp_path, monkeypatch,
                                                                         capsys):
    """Interrupted, a search with another seed left the earlier one's recommendation in place, and a
    board pack was built from it (found by a QA pass)."""
    import flowsim.sizing.search as search

    spec, out = sized
    folder = tmp_path / "again"
    shutil.copytree(out, folder)
    capsys.readouterr()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(search, "run_search", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main([str(spec), "sizing.seed=8", "--output", str(folder)])
    assert [name for name in RESULT_FILES if (folder / name).exists()] == []
    assert any(folder.glob("checkpoints/*/rep-*.json"))  # finished replications are kept
    assert capsys.readouterr().err == (
        f"flowsim-size: note: the results of an earlier search in {folder} are removed, to be written anew "
        "by this one (the replications it finished are reused where the mix and seed match)\n")


def test_surge_blocks_and_choices_compose_the_same_through_hydra_overrides():
    spec = parse_sizing_spec({"variables": {"ic_beds": {"path": "services.ic_beds.capacity", "low": 33,
                                                        "high": 45, "step": 3},
                                            "ic_surge": SURGE, "seven_day": SEVEN_DAY}})
    base = load_config(SYSTEM)
    candidate = (36, 8, "2025-07-07", tuple(SEVEN_DAY["choices"][1]))
    config = apply_candidate(base, spec, candidate)
    assert OmegaConf.to_container(config.services.ic_beds.capacity_schedule) == [
        {"start": "2025-07-07", "capacity": 44}, {"start": "2025-09-01", "capacity": 36}]
    scenario = build_scenario(config)
    unit = next(u for u in scenario.units if u.name == "ic_beds")
    assert unit.availability.schedule[0][1] == 44
    assert list(config.services.care_home_unit.admission.days) == SEVEN_DAY["choices"][1]
    overrides = hydra_overrides(spec, candidate, config)
    assert OmegaConf.to_container(load_config([*SYSTEM, *overrides])) == OmegaConf.to_container(config)


@pytest.mark.parametrize(("change", "message"), [
    ({"variables": {}}, "variables: is missing or empty"),
    ({"variables": {"x": {"path": "services.ic_beds.capacity", "low": 40, "high": 30}}},
     "variables.x.high: (30) is below low (40)"),
    ({"variables": {"x": {"path": "services.ic_beds.capacity", "low": 30, "high": 40, "step": 3}}},
     "variables.x.step: 3 does not reach high"),
    ({"variables": {"x": {"path": "services.ic_beds.capacty", "low": 30, "high": 40}}},
     "variables.x.path: services.ic_beds.capacty is not set in the system; fix: did you mean "
     "services.ic_beds.capacity?"),
    ({"variables": {"x": {"surge": "ic_bed", "places": {"low": 0, "high": 4}, "start": "2025-06-02",
                          "weeks": 4}}}, "variables.x.surge: unit 'ic_bed' is not in services"),
    ({"variables": {"x": {"surge": "ic_beds", "places": {"low": 0, "high": 4}, "start": "June",
                          "weeks": 4}}}, "variables.x.start: 'June' is not a date"),
    ({"variables": {"x": {"surge": "ic_beds", "places": {"low": 0, "high": 4}, "start": "20250602",
                          "weeks": 4}}}, "variables.x.start: '20250602' is not a date"),
    ({"objective": "cost_totl"}, "objective: 'cost_totl_per_year' is not a KPI flowsim reports; fix: did you "
     "mean cost_total_per_year?"),
    ({"constraints": ["delay_mean_days<<3"]}, "constraints[0]: 'delay_mean_days<<3' is not KPI<=VALUE"),
    ({"constraints": ["delay_men_days<=3"]}, "constraints[0]: 'delay_men_days' is not a KPI"),
    # a KPI this system never computes (SYSTEM has housing off): it could never be met
    ({"constraints": ["housing_wait_days_mean<=10"]}, "constraints[0]: 'housing_wait_days_mean' is not "
     "computed for this system (not a number on today's mix: e.g. a housing KPI with housing off"),
    ({"search": {"trials": 0}}, "search.trials: must be >= 1"),
    ({"search": {"replications": 4, "max_replications": 3}}, "search.max_replications: (3) is below"),
    ({"search": {"trails": 4}}, "search.trails: is not a setting here; fix: did you mean trials?"),
    ({"serch": {"trials": 4}}, "serch: is not a setting of the sizing file "),  # not "sizing.yaml.serch"
    ({"confidence": 1.5}, "confidence: must be in [0.5, 1)"),
    # counts that would run for ever or fake a confidence interval
    ({"search": {"trials": 1_000_000_000}}, "search.trials: must be <= 10,000, got 1,000,000,000"),
    ({"search": {"replications": 1_000_000, "max_replications": 1_000_000}},
     "search.replications: must be <= 100,000"),
    ({"variables": {"x": {"path": "services.ic_beds.capacity", "low": 30, "high": 1_000_000_000}}},
     "variables.x.high: must be <= 1,000,000"),
    ({"validation": {"replications": 1}}, "validation.replications: must be 0 (no validation) or at least 2"),
    ({"validation": {"replications": 200_000}}, "validation.replications: must be <= 100,000"),
    ({"seed": 2**63}, "seed: must be <="),
    ({"overrides": [*SYSTEM, "seed=9"]}, "overrides: sets seed, which the sizing file's own seed replaces; "
     "fix: write seed: 9 in the sizing file instead"),
])
def test_bad_sizing_files_stop_with_one_line_and_exit_code_2(tmp_path, capsys, change, message):
    spec = _write_spec(tmp_path, **change)
    with pytest.raises(SystemExit) as stop:
        main([str(spec), "--output", str(tmp_path / "out")])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    # nothing written, even for a KPI name found wrong on today's system's first replication (found by
    # a QA pass: its checkpoint and lock were left in a new folder)
    assert not (tmp_path / "out").exists()


def test_an_unquoted_day_the_calendar_lacks_is_named_not_a_traceback(tmp_path, capsys):
    # YAML reads an unquoted date as a date, and PyYAML raised ValueError on 2025-02-29
    spec = _write_spec(tmp_path)
    text = spec.read_text()
    assert "'2025-07-07'" in text
    spec.write_text(text.replace("'2025-07-07'", "2025-02-29"))
    with pytest.raises(SystemExit) as stop:
        main([str(spec), "--output", str(tmp_path / "out")])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        "flowsim-size: error: variables.ic_surge.start: '2025-02-29' is not a day of the calendar "
        "(2025-02 has 28 days); fix: give a day that exists, e.g. 2025-02-28\n")


def test_a_missing_sizing_file_is_named(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main([str(tmp_path / "nope.yaml")])
    assert stop.value.code == 2 and "nope.yaml: does not exist" in capsys.readouterr().err


def test_sizing_overrides_on_the_command_line_change_the_file_not_the_system(tmp_path, capsys):
    spec = _write_spec(tmp_path)
    with pytest.raises(SystemExit):
        main([str(spec), "--output", str(tmp_path / "out"), "sizing.search.trials=0"])
    assert "search.trials: must be >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(spec), "--output", str(tmp_path / "out"), "sizing.variables.ic_beds.high=44"])
    assert "variables.ic_beds.step: 3 does not reach high (44)" in capsys.readouterr().err


def _error(capsys, argv: list[str]) -> str:
    """The one stderr line of a ``flowsim-size`` that stops with exit code 2."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_seed_and_replications_of_the_system_are_refused_for_the_sizing_files_own(tmp_path, capsys):
    spec = _write_spec(tmp_path)
    assert _error(capsys, [str(spec), "--output", str(tmp_path / "out"), "seed=9"]) == (
        "flowsim-size: error: seed: the sizing file sets the seeds; fix: use sizing.seed=9")
    assert _error(capsys, [str(spec), "--output", str(tmp_path / "out"), "++replications=50"]).startswith(
        "flowsim-size: error: replications: the sizing file sets the replications; fix: use "
        "sizing.search.replications=50")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("marker", "what"), [("metrics.json", "a flowsim run"),
                                             ("sweep.json", "a flowsim sweep")])
def test_the_folder_of_a_run_or_sweep_is_refused_as_output(tmp_path, capsys, marker, what):
    spec = _write_spec(tmp_path)
    (tmp_path / "run1").mkdir()
    (tmp_path / "run1" / marker).write_text("{}")
    assert _error(capsys, [str(spec), "--output", str(tmp_path / "run1")]) == (
        f"flowsim-size: error: --output: '{tmp_path / 'run1'}' holds the results of {what} ({marker}); fix: "
        "give the search a folder of its own, e.g. --output sizing/my_search")
    assert sorted(p.name for p in (tmp_path / "run1").iterdir()) == [marker]


@pytest.mark.parametrize("where", ["a_file", "a_file/sub", "/proc/no_such_folder"])
def test_an_output_folder_that_cannot_be_written_stops_before_any_replication(tmp_path, capsys, where):
    (tmp_path / "a_file").write_text("not a folder")
    spec = _write_spec(tmp_path)
    output = where if where.startswith("/") else str(tmp_path / where)
    line = _error(capsys, [str(spec), "--output", output])
    assert line.startswith("flowsim-size: error: --output: ") and "; fix: " in line, line
    assert not list(tmp_path.glob("**/rep-*.json"))  # nothing ran


def test_a_folder_where_a_checkpoint_is_kept_is_one_line(sized, tmp_path, capsys):
    spec, out = sized
    folder = tmp_path / "out"
    shutil.copytree(out / "checkpoints", folder / "checkpoints")
    first = sorted(folder.glob("checkpoints/*/rep-000000.json"))[0]
    first.unlink()
    first.mkdir()  # say, made by hand or by another program
    line = _error(capsys, [str(spec), "--output", str(folder)])
    assert line == (f"flowsim-size: error: --output: '{first}' is not a file, but where a checkpoint is "
                    "kept; fix: remove it, or give the search another --output folder")


def test_a_folder_or_a_file_not_in_utf8_as_the_sizing_file_is_one_line(tmp_path, capsys):
    assert _error(capsys, [str(tmp_path)]) == (
        f"flowsim-size: error: {tmp_path}: is a folder, not a file; fix: give the path of a sizing YAML file")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("seed: 1\nobjective: cost_total\n# costs in \u00a3 a year\n".encode("latin-1"))
    assert _error(capsys, [str(latin1)]) == (
        f"flowsim-size: error: {latin1}: line 3 is not UTF-8 text; fix: save the file as UTF-8 (in Excel: "
        "CSV UTF-8)")


@pytest.mark.parametrize(("argv", "words"), [
    ([], "the following arguments are required: SIZING.yaml; fix: see flowsim-size --help"),
    (["sizing.yaml", "--n-jobs", "two"], "argument --n-jobs: must be a whole number such as 2, got 'two'; "
                                         "fix: see flowsim-size --help"),
    (["sizing.yaml", "--n-jobs", "2.5"], "argument --n-jobs: must be a whole number such as 2, got '2.5'"),
    (["sizing.yaml", "--n-jobs", "0.0"], "--n-jobs: must not be 0"),
    (["sizing.yaml", "--n-jobs", "5000"], "--n-jobs: must be at most 1,024 workers, got 5000"),
    # an option it lacks, as every command says it (was read as an override that "is not key=value")
    (["sizing.yaml", "--bogus", "seed=3"], "unrecognized arguments: --bogus; fix: see flowsim-size --help"),
])
def test_usage_errors_are_one_line(capsys, argv, words):
    line = _error(capsys, argv)
    assert line.startswith("flowsim-size: error: ") and words in line, line


def test_a_whole_number_of_workers_written_as_a_decimal_is_taken():
    from flowsim.cli.size import build_parser

    for given, n_jobs in (("2.0", 2), ("1e0", 1), ("-1.0", -1), ("3", 3)):
        args = build_parser().parse_args(["sizing.yaml", "--n-jobs", given])
        assert args.n_jobs == n_jobs and type(args.n_jobs) is int


def test_the_overrides_are_optional_in_the_usage(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    usage = " ".join(capsys.readouterr().out.split("\n\n")[0].split())
    assert usage.endswith("SIZING.yaml [override ...]"), usage
