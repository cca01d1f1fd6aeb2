"""Warm-up help: MSER-5, Welch's moving average, the suggestion, the figure and ``flowsim-warmup``."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from flowsim.cli.warmup import _check_options, _parser, _seasonal_note, main
from flowsim.experiment.warmup import (
    mser,
    replication_mean,
    run_for_warm_up,
    suggest_warm_up,
    welch_moving_average,
)
from flowsim.model.compose import load_scenario
from flowsim.reporting.warmup_plots import SUGGESTION_GID, warm_up_figure

TAU = 30.0  # time constant of the synthetic transient (days)
LEVEL, NOISE = 50.0, 2.0
FADED = TAU * math.log(LEVEL / NOISE)  # the bias falls below the noise sd here (~97 days)


def _transient(seed: int, n: int = 1000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return LEVEL * (1.0 - np.exp(-t / TAU)) + rng.normal(0.0, NOISE, n)


def _step(at: int, n: int = 300, level: float = 5.0) -> np.ndarray:
    return np.r_[np.zeros(at), np.full(n - at, level)]


# --- MSER-5 --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_mser_truncates_near_where_the_transient_fades(seed):
    d = mser(_transient(seed))
    assert d % 5 == 0
    assert 0.5 * FADED <= d <= 2.5 * FADED


def test_mser_keeps_almost_everything_of_a_stationary_series():
    cuts = [mser(np.random.default_rng(seed).normal(10.0, 1.0, 1000)) for seed in range(20)]
    assert np.median(cuts) == 0
    assert max(cuts) <= 100  # never more than a tenth of the run


def test_mser_finds_an_exact_step_and_ties_go_to_the_earliest_cut():
    assert mser(_step(20)) == 20
    assert mser(_step(20, level=0.1)) == 20  # rounding in the means of identical values
    assert mser(np.full(100, 3.0)) == 0
    assert mser(_step(22)) == 25  # in whole batches
    assert mser(_step(22), batch=1) == 22


def test_mser_handles_nan_and_short_series():
    series = _step(20)
    series[[50, 51, 52, 53, 54, 120, 299]] = np.nan  # incl. one whole batch
    assert mser(series) == 20
    assert mser(np.full(100, np.nan)) == 0
    assert mser(np.array([1.0, 2.0, 3.0])) == 0  # fewer than two batches
    assert mser(np.array([])) == 0


def test_mser_searches_at_most_max_fraction_of_the_run():
    ramp = np.arange(200.0)  # never settles
    assert mser(ramp) == 100
    assert mser(ramp, max_fraction=0.25) == 50
    with pytest.raises(ValueError, match="batch"):
        mser(ramp, batch=0)
    with pytest.raises(ValueError, match="max_fraction"):
        mser(ramp, max_fraction=1.0)


# --- Welch ---------------------------------------------------------------------------------------------

def test_welch_moving_average_shape_and_shorter_windows_at_the_ends():
    reps = np.vstack([np.array([0.0, 0.0, 3.0, 0.0, 0.0, 6.0]) + c for c in (-1.0, 0.0, 1.0)])
    smoothed = welch_moving_average(reps, 2)
    assert smoothed.shape == (6,)
    # day 0: itself; day 1: days 0-2; days 2-3: 2w+1 = 5 days; then mirrored at the end
    np.testing.assert_allclose(smoothed, [0.0, 1.0, 0.6, 1.8, 2.0, 6.0])
    np.testing.assert_allclose(welch_moving_average(reps, 0), replication_mean(reps))
    rng = np.random.default_rng(0)
    many = rng.normal(size=(4, 50))
    assert welch_moving_average(many, 5).shape == (50,)
    assert welch_moving_average(many[0], 5).shape == (50,)  # one replication as a 1-D array
    np.testing.assert_allclose(welch_moving_average(many, 5)[20], many.mean(axis=0)[15:26].mean())
    with pytest.raises(ValueError, match="window"):
        welch_moving_average(many, -1)


# --- the suggestion ------------------------------------------------------------------------------------

def test_suggestion_is_the_longest_truncation_rounded_up_to_whole_weeks():
    series = {"a": np.vstack([_step(20)] * 3), "b": np.vstack([_step(10)] * 3)}
    suggestion = suggest_warm_up(series)
    assert suggestion.per_series == {"a": 20, "b": 10}
    assert suggestion.days == 21
    assert suggestion.limiting_series == "a"
    assert suggestion.override == "run.warm_up_days=21"
    assert (suggestion.run_days, suggestion.replications, suggestion.unsettled) == (300, 3, ())
    assert suggest_warm_up({"a": np.vstack([_step(35)] * 2)}).days == 35  # already whole weeks
    assert suggest_warm_up({"flat": np.full((2, 300), 4.0)}).days == 0


def test_a_series_still_moving_at_the_search_limit_is_flagged_unsettled():
    suggestion = suggest_warm_up({"ramp": np.arange(200.0)[None, :], "step": _step(20, n=200)[None, :]})
    assert suggestion.unsettled == ("ramp",)
    assert suggestion.days == 105


# --- end to end ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def quick_runs():
    scenario = load_scenario(["scenario=quick", "run.horizon_days=200"])
    series = run_for_warm_up(scenario, 3)
    return scenario, series, suggest_warm_up(series)


def test_runs_start_empty_on_day_zero_whatever_the_configured_warm_up(quick_runs):
    scenario, series, _ = quick_runs
    assert scenario.warm_up_days == 60  # the scenario itself is not changed
    assert list(series) == ["nctr_census", *(f"occupied_{u.name}" for u in scenario.units)]
    for values in series.values():
        assert values.shape == (3, 200)
    for unit in scenario.units:
        occupied = series[f"occupied_{unit.name}"]
        assert (occupied[:, 0] == 0).all()
        assert occupied.max() <= unit.capacity
    assert not np.array_equal(series["nctr_census"][0], series["nctr_census"][1])  # independent reps


def test_suggestion_for_the_quick_system_is_positive_and_inside_the_run(quick_runs):
    _, series, suggestion = quick_runs
    assert 0 < suggestion.days < 200
    assert suggestion.days % 7 == 0
    assert suggestion.days >= max(suggestion.per_series.values())
    assert set(suggestion.per_series) == set(series)


def test_figure_has_one_panel_per_series_with_the_suggestion_marked(quick_runs):
    _, series, suggestion = quick_runs
    fig = warm_up_figure(series, suggestion, window=10)
    assert len(fig.axes) == len(series) == 5
    for axis, name in zip(fig.axes, series, strict=True):
        marks = [line for line in axis.get_lines() if line.get_gid() == SUGGESTION_GID]
        assert len(marks) == 1
        np.testing.assert_array_equal(marks[0].get_xdata(), [suggestion.days, suggestion.days])
        welch = [line for line in axis.get_lines() if line.get_label().startswith("Welch")]
        assert len(welch) == 1
        np.testing.assert_allclose(welch[0].get_ydata(), welch_moving_average(series[name], 10))
        assert axis.get_xlabel() == "day of run"
        assert axis.get_ylabel() == ("patients at midnight" if name == "nctr_census"
                                     else "occupied places")
        assert len(axis.get_lines()) == 3 + 2  # three replications, Welch, the suggestion


def test_figure_draws_at_most_six_panels():
    series = {f"occupied_u{i}": np.vstack([_step(10 * i + 5, n=100)] * 2) for i in range(8)}
    fig = warm_up_figure(series, suggest_warm_up(series))
    assert len(fig.axes) == 6
    assert "first 6 of 8" in fig.get_suptitle()
    assert fig.get_suptitle().startswith("Warm-up from an empty system: 2 replication(s) of 100 days")
    fig = warm_up_figure(series, suggest_warm_up(series), from_census=True)
    assert fig.get_suptitle().startswith("From the census given: 2 replication(s) of 100 days; settled after")
    assert "first 6 of 8" in fig.get_suptitle()


def test_a_census_start_never_suggests_a_warm_up_in_the_figure():
    """As flowsim-warmup prints: a warm start keeps run.warm_up_days=0, so its figure does not suggest
    one either (found by a QA pass: the figure said "suggested run.warm_up_days=154")."""
    series = {"nctr_census": np.vstack([_step(30, n=120)] * 2)}
    suggestion = suggest_warm_up(series)
    assert suggestion.days > 0
    fig = warm_up_figure(series, suggestion, from_census=True)
    title = " ".join(fig.get_suptitle().split())  # wrapped to the figure's width
    assert "suggested" not in title and title.endswith(
        f"settled after {suggestion.days} days (a warm start keeps run.warm_up_days=0)")
    labels = [line.get_label() for line in fig.axes[0].get_lines() if line.get_gid() == SUGGESTION_GID]
    assert labels == [f"settled from the census: {suggestion.days} d"]
    empty = warm_up_figure(series, suggestion)
    assert [line.get_label() for line in empty.axes[0].get_lines() if line.get_gid() == SUGGESTION_GID] == [
        f"suggested warm-up: {suggestion.days} d"]


# --- the command ---------------------------------------------------------------------------------------

def _warmup(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flowsim.cli.warmup", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_cli_bad_override_is_one_line_and_exit_code_2(tmp_path):
    proc = _warmup("--figure", str(tmp_path / "w.png"), "scenario=quick", "services.ic_beds.capacity=-1")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("flowsim-warmup: error: services.ic_beds.capacity:")
    assert "fix:" in lines[0]
    assert not (tmp_path / "w.png").exists()


def test_cli_bad_option_is_one_line_and_exit_code_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--replications", "0", "scenario=quick"])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("flowsim-warmup: error: --replications")


def test_cli_a_config_dir_that_is_not_a_folder_is_one_line_and_exit_code_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--figure", str(tmp_path / "w.png"), "--config-dir", str(tmp_path / "nowhere"), "system=mine"])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("flowsim-warmup: error: --config-dir:"), err


def test_cli_prints_the_suggestion_and_writes_the_figure(tmp_path):
    figure = tmp_path / "warmup"  # no extension: written as PNG, and the path printed says so
    mine = tmp_path / "myconfigs" / "scenario"  # a scenario of the user's own, from --config-dir
    mine.mkdir(parents=True)
    (mine / "mine.yaml").write_text("# @package _global_\ndefaults:\n  - quick\n  - _self_\n"
                                    "run:\n  warm_up_days: 63\n")
    proc = _warmup("--replications", "2", "--horizon-days", "300", "--figure", str(figure),
                   "--config-dir", str(tmp_path / "myconfigs"), "scenario=mine")
    assert proc.returncode == 0, proc.stderr
    assert f"Figure written to {figure}.png\n" in proc.stdout and not figure.exists()
    assert figure.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "nctr_census" in proc.stdout and "occupied_ic_beds" in proc.stdout
    use = [line for line in proc.stdout.splitlines() if line.startswith("Use: run.warm_up_days=")]
    assert len(use) == 1
    assert int(use[0].rsplit("=", 1)[1]) % 7 == 0
    assert "run.warm_up_days=63" in proc.stdout  # what the user's scenario has, for comparison
    assert "Note: arrivals vary by month" in proc.stdout  # the default system is seasonal


def test_cli_from_a_census_says_so_and_suggests_no_warm_up(tmp_path):
    census = tmp_path / "census.yaml"
    census.write_text("units:\n  ic_beds: {count: 30}\n")
    proc = _warmup("--replications", "2", "--horizon-days", "150", "--figure", str(tmp_path / "w.png"),
                   "scenario=quick", f"run.initial_census={census}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("flowsim-warmup: 2 replication(s) of 150 days from the census given "
                                  "(run.initial_census, 30 patients), each series compared with 2 run(s) "
                                  "started 52 weeks earlier, at the same dates\n")
    assert "Settled from the census after: " in proc.stdout
    assert "A warm start keeps run.warm_up_days=0" in proc.stdout
    assert "empty" not in proc.stdout and "Use: run.warm_up_days" not in proc.stdout
    assert "SHORTER" not in proc.stdout  # the configured warm-up is not weighed against the census's


WARMUP_MISTAKES = [
    (["--figure", "{tmp}/warmup.pgn"],
     "--figure: 'pgn' is not a figure format matplotlib writes; fix: end the path in .png, .svg or .pdf"),
    (["--figure", "{tmp}/no_such_folder/w.png"],
     "--figure: folder '{tmp}/no_such_folder' does not exist; fix: create it or give another path"),
    (["--figure", "{tmp}"],
     "--figure: '{tmp}' is a folder, not a file; fix: give a file name, e.g. {tmp}/figure.png"),
    (["--replications", "100000000"],
     "--replications: must be from 1 to 100,000, got 100000000; fix: give 3 to 5 replications"),
    (["--horizon-days", "50000"], "--horizon-days: must be > 0 and <= 36,525, got 50000; fix: give a few "
                                  "times the longest length of stay, e.g. 730"),
    (["--horizon-days", "5"], "--horizon-days: 5 days is under three times the longest mean stay (43 days, "
                              "p3_interim_beds): too short to see the system settle; fix: give at least 129 "
                              "days, e.g. --horizon-days 730"),
    # a unit closed at the start and opened by its capacity schedule fills from empty when it opens
    (["--horizon-days", "400", "run.start_date=2025-04-01", "services.ic_beds.capacity=0",
      "services.ic_beds.capacity_schedule=[{start: 2025-05-01, capacity: 30}]",
      "services.ic_beds.los_days={kind: exponential, mean: 200}"],
     "--horizon-days: 400 days is under three times the longest mean stay (200 days, ic_beds): too short to "
     "see the system settle; fix: give at least 600 days, e.g. --horizon-days 730"),
    (["run.warm_up_days=-3"], "run.warm_up_days: must be >= 0.0 and <= 36,525, got -3.0; fix: set "
                              "run.warm_up_days within that range"),
    (["--replications", "abc"],
     "argument --replications: must be a whole number such as 2, got 'abc'; fix: see flowsim-warmup --help"),
    (["--replications", "2.5"],
     "argument --replications: must be a whole number such as 2, got '2.5'; fix: see flowsim-warmup --help"),
    (["--replications", "0.0"],
     "--replications: must be from 1 to 100,000, got 0; fix: give 3 to 5 replications"),
    (["--replications", "-2"],
     "--replications: must be from 1 to 100,000, got -2; fix: give 3 to 5 replications"),
    (["--n-jobs", "1.5"],
     "argument --n-jobs: must be a whole number such as 2, got '1.5'; fix: see flowsim-warmup --help"),
    (["--n-jobs", "0"],
     "--n-jobs: must not be 0; fix: give 1 (sequential), a number of workers, or -1 (all CPUs)"),
]


@pytest.mark.parametrize(("argv", "line"), WARMUP_MISTAKES)
def test_cli_options_are_checked_before_any_run_in_one_line(tmp_path, capsys, argv, line):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    with pytest.raises(SystemExit) as stop:
        main(["--figure", str(tmp_path / "w.png"), *argv, "scenario=quick"])
    assert stop.value.code == 2
    expected = f"flowsim-warmup: error: {line}".replace("{tmp}", str(tmp_path))
    assert capsys.readouterr().err.splitlines() == [expected]


@pytest.mark.parametrize(("given", "replications", "n_jobs"), [
    (["--replications", "1e0"], 1, 1), (["--replications", "2.0", "--n-jobs", "2.0"], 2, 2),
    (["--replications", "1e1", "--n-jobs", "-1.0"], 10, -1), (["--replications", " 3 "], 3, 1)])
def test_whole_numbers_written_as_decimals_are_taken_as_flowsim_takes_them(tmp_path, given, replications,
                                                                           n_jobs):
    args = _parser().parse_intermixed_args([*given, "--figure", str(tmp_path / "w.png"), "scenario=quick"])
    _check_options(args)
    assert (args.replications, args.n_jobs) == (replications, n_jobs)
    assert type(args.replications) is int and type(args.n_jobs) is int


def test_figure_paths_take_any_format_matplotlib_writes_without_pyplot(tmp_path):
    code = ("import sys; from flowsim.cli.figure_path import check_figure_path, figure_formats; "
            f"print(check_figure_path({str(tmp_path / 'w.SVG')!r}, '--figure'), "
            f"check_figure_path({str(tmp_path / 'w')!r}, '--figure'), "
            "{'png', 'svg', 'pdf'} <= figure_formats(), 'matplotlib.pyplot' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          check=True)
    assert done.stdout.split() == [str(tmp_path / "w.SVG"), str(tmp_path / "w.png"), "True", "False"]


def test_seasonal_caution_only_when_arrivals_vary_over_the_year():
    assert _seasonal_note({"month_multipliers": [1.0] * 12}) is None
    assert _seasonal_note({}) is None
    assert "0.9-1.1" in _seasonal_note({"month_multipliers": [0.9, 1.1] * 6})
    assert "rates.csv" in _seasonal_note({"series_csv": "rates.csv"})


def test_parallel_runs_give_the_same_series():
    scenario = load_scenario(["scenario=quick", "run.horizon_days=80"])
    serial = run_for_warm_up(scenario, 2)
    parallel = run_for_warm_up(scenario, 2, n_jobs=2)
    assert list(serial) == list(parallel)
    for name, values in serial.items():
        np.testing.assert_array_equal(values, parallel[name])


def _suggestion(unsettled: tuple[str, ...]):
    from flowsim.experiment.warmup import WarmUpSuggestion

    return WarmUpSuggestion(days=154, per_series={"nctr_census": 40, "occupied_x": 150}, unsettled=unsettled,
                            run_days=300, replications=2, batch=5)


def test_no_warm_up_to_use_while_a_series_has_not_settled():
    from flowsim.cli.warmup import format_suggestion

    series = {"nctr_census": np.ones((2, 300)), "occupied_x": np.ones((2, 300))}
    text = format_suggestion(_suggestion(("occupied_x",)), series, configured=182)
    assert "Use:" not in text
    assert ("Suggested warm-up: at least 154 days (the longest MSER-5 truncation, occupied_x, rounded up to "
            "whole weeks), not final: occupied_x had not settled by half the run; run longer "
            "(--horizon-days) for a warm-up to use") in text
    assert text.endswith("run.warm_up_days=182, which covers it so far (the suggestion is not final).")
    assert "SHORTER" in format_suggestion(_suggestion(("occupied_x",)), series, configured=60)
    settled = format_suggestion(_suggestion(()), series, configured=182)
    assert "Use: run.warm_up_days=154" in settled and settled.endswith("which covers the suggestion.")


def test_seasonal_caution_names_seasonal_places_and_arrangement_too():
    from flowsim.cli.warmup import seasonal_inputs

    cfg = {"services": {"a": {"month_capacity_factors": [0.88] + [1.0] * 11},
                        "b": {"month_capacity_factors": [1.0] * 12}},
           "pathways": {"arrangement_month_factors": [1.06] * 2 + [1.0] * 10}}
    others = seasonal_inputs(cfg)
    assert others == ["services.<unit>.month_capacity_factors (a)", "pathways.arrangement_month_factors"]
    note = _seasonal_note({"month_multipliers": [1.0] * 12}, others)
    assert note.startswith("Note: services.<unit>.month_capacity_factors (a) vary by month; "
                           "pathways.arrangement_month_factors vary by month, so part of")
    assert note.endswith("compare with each of them flat (twelve 1s).")
    assert seasonal_inputs({"services": {"a": {}}, "pathways": {}}) == []


def test_the_acute_bed_pool_is_a_series_when_it_is_on():
    # the pool starts empty and fills over the clinical stays: its settling counts for the warm-up too
    scenario = load_scenario(["scenario=quick", "acute.enabled=true", "acute.beds=300",
                              "acute.clinical_los_days={kind:fixed,value:4}", "run.horizon_days=90"])
    series = run_for_warm_up(scenario, 2)
    assert list(series)[-1] == "acute_beds_occupied"
    beds = series["acute_beds_occupied"]
    assert (beds[:, 0] == 0).all() and beds.max() <= 300 and beds[:, -1].min() > 0
    fig = warm_up_figure(series, suggest_warm_up(series))
    assert "Acute bed pool: occupied" in [ax.get_title().splitlines()[0] for ax in fig.axes]


def test_a_run_horizon_given_as_an_override_is_named_as_unused(tmp_path, capsys, monkeypatch):
    # flowsim-warmup scenario=quick run.horizon_days=200 ran 730 days without a word (found by a QA pass)
    import flowsim.cli.warmup as warmup

    monkeypatch.setattr(warmup, "run_for_warm_up", lambda *a, **k: (_ for _ in ()).throw(SystemExit(0)))
    with pytest.raises(SystemExit):
        main(["--figure", str(tmp_path / "w.png"), "scenario=quick", "run.horizon_days=200"])
    assert capsys.readouterr().err.splitlines() == [
        "flowsim-warmup: note: run.horizon_days=200 is not used: every run lasts --horizon-days (730 days); "
        "give --horizon-days 200 instead"]


def test_replications_and_n_jobs_given_as_overrides_are_named_as_unused(tmp_path, capsys, monkeypatch):
    # flowsim-warmup scenario=quick replications=3 ran 5 replications without a word (found by a QA pass)
    import flowsim.cli.warmup as warmup

    monkeypatch.setattr(warmup, "run_for_warm_up", lambda *a, **k: (_ for _ in ()).throw(SystemExit(0)))
    with pytest.raises(SystemExit):
        main(["--figure", str(tmp_path / "w.png"), "scenario=quick", "replications=3", "n_jobs=2"])
    assert capsys.readouterr().err.splitlines() == [
        "flowsim-warmup: note: replications=3 is not used: this tool runs --replications (5); give "
        "--replications 3 instead",
        "flowsim-warmup: note: n_jobs=2 is not used: this tool's workers are --n-jobs (1); give --n-jobs 2 "
        "instead"]


def test_a_configured_warm_up_longer_than_the_configured_horizon_is_weighed_not_refused():
    # scenario=quick run.warm_up_days=200 stopped: "run.horizon_days: (180) must exceed run.warm_up_days
    # (200); fix: make the horizon longer", which --horizon-days could not fix (found by a QA pass)
    from flowsim.cli.warmup import _scenario

    setup = _scenario(["scenario=quick", "run.warm_up_days=200"], 400)
    assert setup.configured == 200 and setup.scenario.horizon_days == 400
