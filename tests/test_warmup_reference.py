"""Warm-up against runs started 52 weeks earlier, at the same dates: the season is not start-up."""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from flowsim.experiment.warmup import (
    REFERENCE_LEAD_DAYS,
    reference_days,
    resampled_range,
    run_for_warm_up,
    suggest_warm_up,
)
from flowsim.model.compose import load_scenario
from flowsim.reporting.warmup_plots import REFERENCE_GID, warm_up_figure

TAU, LEVEL, NOISE, REPLICATIONS = 30.0, 50.0, 1.0, 5
# the start-up bias falls below the noise of the difference of two means of five runs here (~131 days)
FADED = TAU * math.log(LEVEL / (NOISE * math.sqrt(2 / REPLICATIONS)))
DAYS = 730
_T = np.arange(DAYS)
SEASONS = {  # what a calendar can do to a ward's census over two years
    "low at the start": -10.0 * np.cos(2 * np.pi * _T / 365),
    "high at the start": 10.0 * np.cos(2 * np.pi * _T / 365),
    "a winter peak": 12.0 * np.exp(-0.5 * (((_T % 365) - 265) / 35.0) ** 2),
}


def _runs(seed: int, season: np.ndarray, empty: bool) -> np.ndarray:
    start_up = LEVEL * (1.0 - np.exp(-_T / TAU)) if empty else np.full(DAYS, LEVEL)
    return start_up + season + np.random.default_rng(seed).normal(0.0, NOISE, (REPLICATIONS, DAYS))


@pytest.mark.parametrize("seed", range(3))
def test_the_season_is_taken_out_and_the_start_up_kept(seed):
    alone, compared = {}, {}
    for kind, season in SEASONS.items():
        series = {"census": _runs(seed, season, empty=True)}
        alone[kind] = suggest_warm_up(series).per_series["census"]
        suggestion = suggest_warm_up(series, reference={"census": _runs(seed + 100, season, empty=False)})
        compared[kind] = suggestion.per_series["census"]
        assert suggestion.reference_lead_days == REFERENCE_LEAD_DAYS == 364
        assert suggestion.days % 7 == 0 and suggestion.days >= compared[kind]
        assert 0.9 * FADED <= compared[kind] <= 1.3 * FADED, (kind, compared[kind])
    # on the series alone, the answer is the season's as much as the start-up's: 30 to 90 days here
    assert len(set(alone.values())) == 3 and max(alone.values()) < 0.9 * FADED, alone
    assert len(set(compared.values())) == 1, compared  # against the reference, the season has gone
    assert suggest_warm_up({"census": _runs(seed, SEASONS["a winter peak"], True)}).reference_lead_days == 0


def test_a_reference_of_other_days_is_refused():
    with pytest.raises(ValueError, match="reference of census has 100 days, the series 730"):
        suggest_warm_up({"census": _runs(0, SEASONS["a winter peak"], True)},
                        reference={"census": np.ones((2, 100))})


def test_reference_days_are_those_at_the_same_dates():
    earlier = {"a": np.arange(20.0).reshape(2, 10)}
    same = reference_days(earlier, 4, 5)
    np.testing.assert_array_equal(same["a"], [[4, 5, 6, 7, 8], [14, 15, 16, 17, 18]])


def test_reference_replications_are_numbered_after_the_compared_ones():
    scenario = load_scenario(["scenario=quick", "run.horizon_days=80"])
    four = run_for_warm_up(scenario, 4)
    later = run_for_warm_up(scenario, 2, first_replication=2)
    for name, values in later.items():
        np.testing.assert_array_equal(values, four[name][2:])
    assert not np.array_equal(later["nctr_census"], four["nctr_census"][:2])  # not the compared runs again


def test_the_figure_draws_the_reference_in_every_panel():
    season = SEASONS["a winter peak"]
    series = {"nctr_census": _runs(1, season, True), "occupied_x": _runs(2, season, True)}
    reference = {name: _runs(3, season, False) for name in series}
    suggestion = suggest_warm_up(series, reference=reference)
    fig = warm_up_figure(series, suggestion, window=10, reference=reference)
    from flowsim.experiment.warmup import welch_moving_average

    for axis, name in zip(fig.axes, series, strict=True):
        lines = [line for line in axis.get_lines() if line.get_gid() == REFERENCE_GID]
        assert len(lines) == 1 and lines[0].get_label() == "runs started 52 weeks earlier"
        np.testing.assert_allclose(lines[0].get_ydata(), welch_moving_average(reference[name], 10))
    plain = warm_up_figure(series, suggest_warm_up(series))
    assert not [line for axis in plain.axes for line in axis.get_lines() if line.get_gid() == REFERENCE_GID]


def _warmup(tmp_path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "flowsim.cli.warmup", "--replications", "2", "--horizon-days", "250",
               "--figure", str(tmp_path / "w.png"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


FLAT = "[1,1,1,1,1,1,1,1,1,1,1,1]"
UNITS = ("p1_reablement", "ic_beds", "care_home_unit", "p3_interim_beds")
NOT_SEASONAL = ["scenario=quick", f"arrivals.month_multipliers={FLAT}",
                f"pathways.arrangement_month_factors={FLAT}",
                *(f"services.{unit}.month_capacity_factors={FLAT}" for unit in UNITS)]


def test_cli_compares_a_seasonal_system_with_earlier_runs_by_default(tmp_path):
    proc = _warmup(tmp_path, "scenario=quick")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("flowsim-warmup: 2 replication(s) of 250 days from an empty system (no "
                                  "warm-up), each series compared with 2 run(s) started 52 weeks earlier, at "
                                  "the same dates\n")
    assert "truncation of the difference from runs started 52 weeks earlier" in proc.stdout
    assert "Note: arrivals vary by month (multipliers 0.976-1.04); " in proc.stdout
    assert "so each series was compared with runs started 52 weeks earlier, at the same dates" in proc.stdout
    assert "MSER can take a seasonal peak" not in proc.stdout

    alone = _warmup(tmp_path, "scenario=quick", "--reference", "none")
    assert alone.returncode == 0, alone.stderr
    assert "compared with" not in alone.stdout and "difference" not in alone.stdout
    assert "MSER can take a seasonal peak for a transient" in alone.stdout


def test_cli_compares_a_flat_system_only_when_asked(tmp_path):
    proc = _warmup(tmp_path, *NOT_SEASONAL)
    assert proc.returncode == 0, proc.stderr
    assert "compared with" not in proc.stdout and "Note:" not in proc.stdout
    asked = _warmup(tmp_path, *NOT_SEASONAL, "--reference", "year")
    assert asked.returncode == 0, asked.stderr
    assert "each series compared with 2 run(s) started 52 weeks earlier" in asked.stdout
    assert "Note:" not in asked.stdout  # nothing varies with the date to report


def test_cli_a_schedule_of_places_by_date_asks_for_the_comparison(tmp_path):
    schedule = "services.ic_beds.capacity_schedule=[{start: 2025-10-01, capacity: 20}]"
    proc = _warmup(tmp_path, *NOT_SEASONAL, schedule)
    assert proc.returncode == 0, proc.stderr
    assert "Note: services.<unit>.capacity_schedule (ic_beds) change on dates: so each series" in proc.stdout


def test_cli_without_earlier_runs_keeps_the_caution_or_stops_in_one_line(tmp_path):
    early = ["scenario=quick", "run.start_date=1900-06-01"]  # a year earlier is before the first date allowed
    proc = _warmup(tmp_path, *early)
    assert proc.returncode == 0, proc.stderr
    assert "compared with" not in proc.stdout
    assert "MSER can take a seasonal peak for a transient" in proc.stdout
    assert ("(Runs started 52 weeks earlier, which would take the season out, cannot be built: "
            "run.start_date: 1899-06-02 is outside") in proc.stdout
    asked = _warmup(tmp_path, *early, "--reference", "year")
    assert asked.returncode == 2
    lines = asked.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "flowsim-warmup: error: --reference: runs started 364 days earlier cannot be built (run.start_date: "
        "1899-06-02 is outside"), lines
    assert lines[0].endswith("; fix: give --reference none")


# --- how firm the suggestion is ------------------------------------------------------------------------

def test_resampling_identical_replications_gives_the_suggestion_itself():
    step = np.r_[np.zeros(20), np.full(280, 5.0)]
    series = {"census": np.vstack([step] * 4)}
    assert resampled_range(series, np.random.default_rng(0)) == (21, 21)
    assert suggest_warm_up(series).days == 21
    assert resampled_range({"census": np.vstack([step] * 2)}, np.random.default_rng(0)) is None  # too few


def test_resampling_says_how_far_the_noise_moves_the_suggestion():
    season = SEASONS["a winter peak"]
    series = {"census": _runs(5, season, True)}
    reference = {"census": _runs(105, season, False)}
    low, high = resampled_range(series, np.random.default_rng(3), reference)
    assert low % 7 == 0 and high % 7 == 0 and low < high
    assert low <= suggest_warm_up(series, reference=reference).days <= high
    assert 0.7 * FADED <= low and high <= 1.6 * FADED  # the start-up's, not the season's
    again = resampled_range(series, np.random.default_rng(3), reference)
    assert again == (low, high)  # the same draws, the same range


def test_the_printed_range_and_verdict():
    from flowsim.cli.warmup import format_suggestion
    from flowsim.experiment.warmup import WarmUpSuggestion

    series = {"nctr_census": np.ones((5, 730))}
    firm = WarmUpSuggestion(days=154, per_series={"nctr_census": 150}, unsettled=(), run_days=730,
                            replications=5, batch=5, resampled_days=(147, 168))
    text = format_suggestion(firm, series, configured=150)
    assert ("Suggested warm-up: 154 days (22 weeks; the longest MSER-5 truncation, nctr_census, rounded up "
            "to whole weeks)\nResampling the replications 200 times, 80 % of the suggestions lie between 147 "
            "and 168 days: a firm answer\nUse: run.warm_up_days=154\n") in text
    assert text.endswith("run.warm_up_days=150, which is shorter than the suggestion, but inside the range "
                         "resampling gives it.")
    loose = format_suggestion(replace(firm, resampled_days=(98, 287)), series, configured=91)
    assert "lie between 98 and 287 days: add replications (--replications) for a firmer answer" in loose
    assert loose.endswith("run.warm_up_days=91, which is SHORTER than the suggestion.")
    alone = format_suggestion(replace(firm, resampled_days=None), series)
    assert "Resampling" not in alone
    fig = warm_up_figure(series, firm)
    title = " ".join(fig.get_suptitle().split())  # wrapped to the figure's width
    assert title.endswith("suggested run.warm_up_days=154 (147-168 d resampled)")


def test_cli_prints_how_firm_its_suggestion_is(tmp_path):
    proc = _warmup(tmp_path, "scenario=quick", "--replications", "3", "--reference", "none")
    assert proc.returncode == 0, proc.stderr
    firm = [line for line in proc.stdout.splitlines()
            if line.startswith("Resampling the replications 200 times")]
    assert len(firm) == 1, proc.stdout
    again = _warmup(tmp_path, "scenario=quick", "--replications", "3", "--reference", "none")
    assert firm[0] in again.stdout.splitlines()  # keyed by the seed: the same command, the same range


# --- found by a QA pass ---------------------------------------------------------------------------------

def _firm(**changes) -> tuple:
    from flowsim.experiment.warmup import WarmUpSuggestion

    suggestion = WarmUpSuggestion(days=140, per_series={"nctr_census": 135}, unsettled=(), run_days=300,
                                  replications=4, batch=5, resampled_days=(126, 140))
    return replace(suggestion, **changes), {"nctr_census": np.ones((4, 300))}


def test_a_range_that_reaches_the_search_limit_is_not_called_firm():
    # "not final: ... run longer" then "80 % ... between 140 and 154 days: a firm answer"
    from flowsim.cli.warmup import format_suggestion
    from flowsim.experiment.warmup import search_limit_days

    assert [search_limit_days(days) for days in (730, 300, 250, 129)] == [371, 154, 126, 63]
    capped = format_suggestion(*_firm(resampled_days=(140, 154)))
    assert ("80 % of the suggestions lie between 140 and 154 days: 154 days is the longest a run of 300 days "
            "can suggest (half of it): run longer (--horizon-days) for a firm answer") in capped
    assert ": a firm answer" not in capped
    stuck = format_suggestion(*_firm(days=126, run_days=250, unsettled=("nctr_census",),
                                     resampled_days=(126, 126)))
    assert "80 % of the suggestions are 126 days: 126 days is the longest a run of 250 days" in stuck
    assert "lie between 126 and 126" not in stuck
    assert "lie between 126 and 140 days: a firm answer" in format_suggestion(*_firm())


def test_inside_the_range_only_when_the_configured_warm_up_is():
    from flowsim.cli.warmup import format_suggestion

    above = format_suggestion(*_firm(days=154), configured=147)  # the range (126-140) ends below it
    assert above.endswith("run.warm_up_days=147, which is SHORTER than the suggestion.")
    not_final = format_suggestion(*_firm(days=154, unsettled=("nctr_census",), resampled_days=(126, 154)),
                                  configured=130)
    assert not_final.endswith("run.warm_up_days=130, which is SHORTER than the suggestion.")
    inside = format_suggestion(*_firm(days=154), configured=133)
    assert inside.endswith("inside the range resampling gives it.")


def test_fewer_than_three_replications_say_why_there_is_no_range():
    from flowsim.cli.warmup import format_suggestion

    text = format_suggestion(*_firm(replications=2, resampled_days=None))
    assert ("How firm this is cannot be told from 2 replication(s): give --replications 3 or more to see"
            in text.splitlines())


def test_a_census_run_not_settled_says_at_least():
    from flowsim.cli.warmup import format_suggestion

    text = format_suggestion(*_firm(days=154, unsettled=("nctr_census",)), from_census=True)
    assert "Settled from the census after: at least 154 days (" in text
    assert "not final: nctr_census had not settled by half the run; run longer (--horizon-days)" in text


def test_the_figure_of_a_suggestion_not_final_says_at_least_and_fits():
    suggestion, series = _firm(days=154, unsettled=("nctr_census",), resampled_days=(140, 154))
    fig = warm_up_figure(series, suggestion)
    title = fig.get_suptitle()
    assert " ".join(title.split()).endswith(
        "suggested warm-up of at least 154 days (140-154 d resampled; not final: run longer)")
    assert "run.warm_up_days=154" not in title
    # one panel is 4.6 inches wide: the title is wrapped, not cut off at both sides
    assert max(len(line) for line in title.splitlines()) <= 46
    labels = [line.get_label() for line in fig.axes[0].get_lines() if line.get_gid() == "suggested_warm_up"]
    assert labels == ["suggested warm-up: at least 154 d"]


def test_places_changing_on_dates_are_cautioned_when_not_compared():
    # a capacity_schedule alone: with --reference none, or earlier runs that cannot be built, nothing was said
    from flowsim.cli.warmup import _reference_note, _scenario

    schedule = "services.ic_beds.capacity_schedule=[{start: 1900-10-01, capacity: 20}]"
    early = _scenario([*NOT_SEASONAL, schedule, "run.start_date=1900-06-01"], 250, reference="auto")
    assert early.reference is None
    note = _reference_note(early)
    assert note is not None and note.startswith(
        "Note: services.<unit>.capacity_schedule (ic_beds) change on dates, so part of what the series show "
        "is the change of places on a date, not start-up, and MSER can take it for a transient.")
    assert "compare with no capacity_schedule." in note and "cannot be built: run.start_date" in note
    later = "services.ic_beds.capacity_schedule=[{start: 2025-10-01, capacity: 20}]"
    alone = _reference_note(_scenario([*NOT_SEASONAL, later], 250, reference="none"))
    assert alone is not None and alone.endswith(
        "(Or leave out --reference none: runs started 52 weeks earlier take that out.)")


def test_the_caution_with_an_arrivals_series_advises_what_works():
    # arrivals.month_multipliers do nothing when arrivals.series_csv is set
    from flowsim.cli.warmup import _seasonal_note

    note = _seasonal_note({"series_csv": "rates.csv", "month_multipliers": [1.0] * 12})
    assert note.endswith("compare with a constant rate in rates.csv.") and "month_multipliers" not in note
    both = _seasonal_note({"series_csv": "rates.csv"}, ["pathways.arrangement_month_factors"])
    assert both.endswith("compare with a constant rate in rates.csv and the month factors flat (twelve 1s).")


def test_the_legend_is_below_the_panels_not_over_the_first_ones_data():
    # it sat in the NCTR panel's lower right, over the first winter of the runs
    suggestion, series = _firm()
    fig = warm_up_figure(series, suggestion)
    assert fig.axes[0].get_legend() is None and len(fig.legends) == 1
    assert [text.get_text() for text in fig.legends[0].get_texts()] == [
        "each replication", "Welch moving average (±10 d)", "suggested warm-up: 140 d"]


def test_a_suggestion_as_long_as_the_earlier_runs_head_start_is_cautioned():
    from flowsim.cli.warmup import format_suggestion
    from flowsim.experiment.warmup import WarmUpSuggestion

    series = {"nctr_census": np.ones((5, 1095))}
    long = WarmUpSuggestion(days=427, per_series={"nctr_census": 425}, unsettled=(), run_days=1095,
                            replications=5, batch=5, reference_lead_days=364, resampled_days=(210, 511))
    caution = ("Caution: the suggestion reaches 52 weeks, the head start of the runs it was compared with: "
               "they may still have been settling at the first dates compared, so the days needed may be "
               "more still.")
    assert caution in format_suggestion(long, series, configured=182).splitlines()
    assert caution in format_suggestion(long, series, from_census=True).splitlines()
    assert "Caution" not in format_suggestion(replace(long, days=357), series)
    assert "Caution" not in format_suggestion(replace(long, reference_lead_days=0), series)  # none compared


def test_a_unit_without_places_at_any_time_is_no_series():
    """It stays empty, so it looked settled from day 0 and took a row and a panel (found by a QA pass)."""
    closed = load_scenario(["scenario=quick", "run.horizon_days=80", "services.care_home_unit.capacity=0"])
    assert "occupied_care_home_unit" not in run_for_warm_up(closed, 1)
    later = load_scenario(["scenario=quick", "run.horizon_days=80", "services.care_home_unit.capacity=0",
                           "services.care_home_unit.capacity_schedule=[{start: 2025-05-01, capacity: 2}]"])
    assert "occupied_care_home_unit" in run_for_warm_up(later, 1)  # it opens, and fills from empty then


def test_cli_a_series_too_short_for_the_earlier_runs_offers_to_extend_it(tmp_path):
    series = tmp_path / "rates.csv"
    series.write_text("date,rate_per_day\n" + "".join(
        f"{day},22\n" for day in np.arange(np.datetime64("2025-04-01"), np.datetime64("2026-03-01"))))
    proc = _warmup(tmp_path, "scenario=quick", f"arrivals.series_csv={series}", "--reference", "year")
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("flowsim-warmup: error: --reference: runs started 364 days earlier cannot be "
                           "built (arrivals.series_csv: "), line
    fix = "; fix: extend arrivals.series_csv back to 2024-04-02, or give --reference none"
    assert line.endswith(fix), line
