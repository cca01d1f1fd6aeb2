"""The printed recommendation of flowsim-size, from a recommendation.json written by hand."""

from __future__ import annotations

import json

import pytest

from flowsim.reporting.sizing_summary import format_sizing, money, shown


def _paired(mean, low, high):
    return {"mean": mean, "ci_low": low, "ci_high": high, "replications": 30}


REC = {
    "objective": "cost_services_per_year",
    "constraints": ["nctr_census_winter_p95 <= 340", "delayed_days_per_year <= 30,000"],
    "confidence": 0.95, "seed": 2025,
    "recommended": {"ic_surge.places": 0, "ic_surge.start": "2025-11-03", "p1_surge.places": 30,
                    "care_home_admission": "Mon-Fri"},
    "recommended_label": "ic_surge.places=0, ...",
    "today": {"ic_surge.places": 0, "ic_surge.start": "2025-11-03", "p1_surge.places": 0,
              "care_home_admission": "Mon-Sun"},
    "today_on_grid": True, "objective_mean": 57123456.4, "objective_ci_low": 56900000.0,
    "objective_ci_high": 57300000.0, "replications": 30, "meets_targets_with_confidence": True,
    "against_today": {"delayed_days_per_year": _paired(3466.2, 2541.0, 4390.4),
                      "cost_services_per_year": _paired(-98071.0, -141868.0, -54275.0),
                      "cost_total_per_year": _paired(1270815.0, 865234.0, 1676397.0)},
    "indifference": 1000.0,
    "search": {"trials": 48, "candidates_tried": 54, "grid_size": 10976, "shortlist": [],
               "replications_simulated": 380, "replications_reused": 20, "candidates": 54},
    "validation": {"seed": 3025, "replications": 20, "objective_mean": 57000000.0,
                   "targets": [{"target": "nctr_census_winter_p95 <= 340", "mean": 331.24, "met": True,
                                "met_with_confidence": False},
                               {"target": "delayed_days_per_year <= 30,000", "mean": 31204.56, "met": False,
                                "met_with_confidence": False}],
                   "against_today": {"delayed_days_per_year": _paired(3605.0, 2457.0, 4754.0)}},
}


@pytest.fixture
def text(tmp_path):
    path = tmp_path / "recommendation.json"
    path.write_text(json.dumps(REC))
    return format_sizing(path)


def test_the_mix_is_set_against_today(text):
    lines = text.splitlines()
    assert lines[0] == ""
    assert lines[1] == ("Recommended mix (cost_services_per_year minimised; targets nctr_census_winter_p95 "
                        "<= 340, delayed_days_per_year <= 30,000 at 95% confidence)")
    assert lines[2] == " " * 23 + " recommended" + " " * 9 + "today"  # two spaces, a 19-wide name column
    rows = {line.split()[0]: line.split()[1:] for line in lines[3:7]}
    assert rows == {"ic_surge.places": ["0", "0"], "ic_surge.start": ["-", "-"],
                    "p1_surge.places": ["30", "0"], "care_home_admission": ["Mon-Fri", "Mon-Sun"]}


def test_money_days_and_confidence_intervals_read_as_written(text):
    assert ("  cost_services_per_year: 57,123,456 (95 % CI 56,900,000 to 57,300,000) over 30 replications"
            in text)
    assert "  targets met with confidence: yes" in text
    assert "\nAgainst today (same patients, baseline minus recommended):\n" in text
    assert ("  total cost a year (acute + services), saved: 1,270,815 (95 % CI 865,234 to 1,676,397) GBP"
            in text)
    assert "  delayed days avoided a year: 3,466 (95 % CI 2,541 to 4,390)" in text
    assert ("  service cost a year, saved (negative: added): -98,071 (95 % CI -141,868 to -54,275) GBP"
            in text)
    assert "Validation on new seeds (seed 3025, 20 replications):" in text
    assert "  delayed days avoided a year: 3,605 (95 % CI 2,457 to 4,754)" in text
    # met on average only: the CLI says so as the board pack does (found by a QA pass: it said "met")
    assert "  nctr_census_winter_p95 <= 340: mean 331.2 - met on average, not with 95% confidence\n" in text
    assert "  delayed_days_per_year <= 30,000: mean 31,204.6 - NOT met\n" in text
    assert "Search: 54 of 10,976 mixes tried, 400 replications in all (20 taken from checkpoints)" in text


def test_a_selection_that_ran_out_of_replications_says_so(tmp_path, text):
    assert "selection:" not in text  # told apart (recommendation.json of earlier searches: no entry)
    path = tmp_path / "undecided.json"
    path.write_text(json.dumps({**REC, "selection_undecided": 3}))
    lines = format_sizing(path).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  cost_services_per_year: "))
    assert lines[at + 1] == ("  selection: stopped at search.max_replications with 3 mixes too close to tell "
                             "apart; the lowest mean is kept, not a proven best")


def test_a_missed_target_is_said_plainly(tmp_path):
    path = tmp_path / "recommendation.json"
    path.write_text(json.dumps({**REC, "meets_targets_with_confidence": False}))
    assert "targets met with confidence: NO - the nearest miss is shown" in format_sizing(path)


def test_a_search_without_targets_or_validation_prints_no_verdicts(tmp_path):
    # today off the grid (null), and an objective without an interval
    plain = {**REC, "constraints": [], "meets_targets_with_confidence": None, "today": None,
             "recommended": {"ic_beds": 400, "w.places": 0, "w.weeks": 8},
             "objective_ci_low": None, "objective_ci_high": None, "validation": None,
             "against_today": {"cost_total_per_year": _paired(1270815.0, 865234.0, 1676397.0)}}
    path = tmp_path / "recommendation.json"
    path.write_text(json.dumps(plain))
    assert format_sizing(path) == "\n".join([
        "",
        "Recommended mix (cost_services_per_year minimised)",
        " " * 13 + "recommended" + " " * 9 + "today",  # an 8-wide name column between 2 and 2 spaces
        "  ic_beds            400              ",
        "  w.places             0              ",
        "  w.weeks              -              ",
        "  cost_services_per_year: 57,123,456 over 30 replications",
        "Against today (same patients, baseline minus recommended):",
        "  total cost a year (acute + services), saved: 1,270,815 (95 % CI 865,234 to 1,676,397) GBP",
        "Search: 54 of 10,976 mixes tried, 400 replications in all (20 taken from checkpoints)"])


def test_a_target_met_with_confidence_says_so(tmp_path):
    validation = {**REC["validation"], "targets": [{"target": "delay_mean_days <= 9", "mean": 8.04,
                                                    "met": True, "met_with_confidence": True}]}
    path = tmp_path / "recommendation.json"
    path.write_text(json.dumps({**REC, "validation": validation}))
    assert "\n  delay_mean_days <= 9: mean 8.04 - met with confidence\n" in format_sizing(path)


def test_a_small_objective_keeps_its_decimals_and_one_of_each_is_singular(tmp_path):
    # a mean delay of 1.91 days printed as "2 (95 % CI -0 to 4)": found by a QA pass
    small = {**REC, "objective": "delay_mean_days", "objective_mean": 1.914, "objective_ci_low": -0.0912,
             "objective_ci_high": 3.919, "replications": 1,
             "search": {**REC["search"], "grid_size": 1, "candidates_tried": 1, "replications_simulated": 1,
                        "replications_reused": 0}}
    path = tmp_path / "recommendation.json"
    path.write_text(json.dumps(small))
    text = format_sizing(path)
    assert "\n  delay_mean_days: 1.91 (95 % CI -0.09 to 3.92) over 1 replication\n" in text
    assert text.endswith("\nSearch: 1 of 1 mix tried, 1 replication in all (0 taken from checkpoints)")
    near_zero = {**small, "objective_mean": 250.0, "objective_ci_low": -0.4, "objective_ci_high": 500.2}
    path.write_text(json.dumps(near_zero))
    assert "delay_mean_days: 250 (95 % CI 0 to 500) over" in format_sizing(path)  # no "-0"


def test_numbers_no_replication_gave_read_n_a(tmp_path):
    # a mean over no patients is NaN, which recommendation.json holds as null: it printed a traceback
    validation = {**REC["validation"], "targets": [{"target": "delay_P2_mean_days <= 9", "mean": None,
                                                    "met": False, "met_with_confidence": False}]}
    path = tmp_path / "recommendation.json"
    path.write_text(json.dumps({**REC, "objective": "delay_P2_mean_days", "objective_mean": None,
                                "objective_ci_low": None, "objective_ci_high": None, "validation": validation,
                                "against_today": {"delayed_days_per_year": _paired(None, None, None),
                                                  "cost_total_per_year": _paired(12.0, None, None)}}))
    text = format_sizing(path)
    assert "\n  delay_P2_mean_days: n/a over 30 replications\n" in text
    assert "\n  delay_P2_mean_days <= 9: mean n/a - NOT met\n" in text
    assert "\n  total cost a year (acute + services), saved: 12 GBP\n" in text
    assert "delayed days avoided a year: n/a" in text


@pytest.mark.parametrize("low, high", [(56_900_000.0, None), (None, 57_300_000.0)])
def test_half_an_interval_prints_the_mean_alone(tmp_path, low, high):
    # a hand-edited or foreign recommendation.json: an interval with one end is no interval
    path = tmp_path / "recommendation.json"
    path.write_text(json.dumps({**REC, "objective_ci_low": low, "objective_ci_high": high,
                                "against_today": {"delayed_days_per_year": _paired(3466.2, low, high)}}))
    text = format_sizing(path)
    assert "\n  cost_services_per_year: 57,123,456 over 30 replications\n" in text
    assert "\n  delayed days avoided a year: 3,466\n" in text
    assert "CI n/a" not in text


def test_a_block_of_no_places_shows_no_dates():
    values = {"ic.winter.places": 0, "ic.winter.start": "2025-12-01", "ic.winter.weeks": 8}
    assert shown(values, "ic.winter.start") == "-" and shown(values, "ic.winter.weeks") == "-"
    assert shown(values, "ic.winter.places") == "0"
    assert shown({**values, "ic.winter.places": 4}, "ic.winter.start") == "2025-12-01"
    assert shown(values, "p3_beds") == ""  # a decision today's mix does not have


def test_money():
    assert money(1234567.8) == "GBP 1,234,568"
    assert money(-5000) == "minus GBP 5,000"
    assert money(0) == "GBP 0" and money(0.4) == "GBP 0"
    assert money(float("nan")) == "n/a" and money(None) == "n/a"
