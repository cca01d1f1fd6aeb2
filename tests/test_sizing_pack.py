"""``flowsim.reporting.sizing_pack``: a sizing search in a board's words, on made-up searches.

The cases a real search in ``test_board_sizing.py`` does not reach: a mix that costs more than
today's, intervals on either side of zero or missing, targets missed, decisions that are choices, the
recommendation being today's mix. Every expected sentence is written out in full.
"""

from __future__ import annotations

import pandas as pd
import pytest

from flowsim.reporting.sizing_pack import answer, change, evidence_table, mix_table, validation_sentence

AGAINST = {"delayed_days_per_year": {"mean": 1200.4, "ci_low": 800.0, "ci_high": 1600.2, "replications": 10},
           "cost_total_per_year": {"mean": -180000.0, "ci_low": -250000.0, "ci_high": -110000.0,
                                   "replications": 10}}
REC = {"objective": "cost_total_per_year", "constraints": ["nctr_census_winter_p95 <= 330"],
       "confidence": 0.9, "recommended": {"ic_beds": 400, "care_home_7day": "Mon+Tue+Wed+Thu+Fri+Sat+Sun"},
       "today": {"ic_beds": 388, "care_home_7day": "Mon+Tue+Wed+Thu+Fri"},
       "meets_targets_with_confidence": False, "against_today": AGAINST, "validation": None}


@pytest.mark.parametrize("entry, money, up, expected", [
    ({"mean": -180000, "ci_low": -250000, "ci_high": -110000}, True, "saved",
     "GBP 180,000 more (95 % CI GBP 110,000 to GBP 250,000 more)"),
    ({"mean": 143521.3, "ci_low": -2246.1, "ci_high": 289288.7}, True, "saved",
     "GBP 143,521 saved (95 % CI GBP 2,246 more to GBP 289,289 saved)"),
    ({"mean": 459610.1, "ci_low": 457361.7, "ci_high": 461858.6}, True, "saved",
     "GBP 459,610 saved (95 % CI GBP 457,362 to GBP 461,859 saved)"),
    ({"mean": -804.3, "ci_low": -1175.1, "ci_high": -433.4}, False, "fewer",
     "804 more (95 % CI 433 to 1,175 more)"),
    ({"mean": -820.0, "ci_low": -1835.2, "ci_high": 195.1}, False, "fewer",
     "820 more (95 % CI 1,835 more to 195 fewer)"),
    ({"mean": 12.0, "ci_low": None, "ci_high": None}, False, "fewer", "12 fewer"),  # one replication: no CI
    ({"mean": 12.0, "ci_low": float("nan"), "ci_high": float("nan")}, False, "fewer", "12 fewer"),
])
def test_a_difference_reads_in_words_not_with_a_minus_sign(entry, money, up, expected):
    assert change(entry, money, up) == expected


def test_a_mix_that_costs_more_and_misses_a_target_says_so():
    text = answer(REC)
    assert text == (
        "**Answer: ic_beds 400 and care_home_7day Mon+Tue+Wed+Thu+Fri+Sat+Sun (today: ic_beds 388 and "
        "care_home_7day Mon+Tue+Wed+Thu+Fri)**. Against today's mix, on the same simulated patients, it "
        "costs GBP 180,000 a year more in total (95 % CI GBP 110,000 to GBP 250,000 more), with 1,200 "
        "fewer delayed days a year (95 % CI 800 to 1,600 fewer), but does not meet the target with 90 % "
        "confidence: no mix tried did, and this is the nearest miss.")
    assert validation_sentence(REC).startswith("**Checked on new patients:** not done")
    kept = {**REC, "constraints": [], "recommended": REC["today"], "meets_targets_with_confidence": None}
    assert answer(kept) == ("**Answer: keep today's mix, ic_beds 388 and care_home_7day "
                            "Mon+Tue+Wed+Thu+Fri**: no mix tried does better.")


def test_the_mix_table_says_the_change_in_words():
    assert mix_table(REC).values.tolist() == [
        ["ic_beds", "388", "400", "12 more"],
        ["care_home_7day", "Mon+Tue+Wed+Thu+Fri", "Mon+Tue+Wed+Thu+Fri+Sat+Sun", "changed"]]
    fewer = {**REC, "recommended": {"ic_beds": 380, "care_home_7day": REC["today"]["care_home_7day"]}}
    assert mix_table(fewer)["change"].tolist() == ["8 fewer", "no change"]


def test_the_evidence_says_why_each_shortlisted_mix_was_not_chosen():
    candidates = pd.DataFrame({
        "candidate": list("abcdef"), "ic_beds": [400, 404, 396, 392, 408, 412],
        "replications": [20, 8, 20, 20, 20, 30],
        "cost_total_per_year_mean": [1e6, 1.1e6, 0.9e6, 0.95e6, 1.2e6, 1e6],
        "cost_total_per_year_ci_low": [0.9e6] * 6, "cost_total_per_year_ci_high": [1.1e6] * 6,
        "delayed_days_per_year_mean": [1000.0] * 6, "cost_services_per_year_mean": [5e5] * 6,
        "nctr_census_winter_p95_mean": [320.0, 325, 340, 329, 310, 320],
        "meets_targets": [True, True, False, True, True, True],
        "meets_targets_with_confidence": [True, True, False, False, True, True],
        "shortlisted": [True] * 6, "eliminated_at": [None, 8, None, None, None, None],
        "recommended": [True, False, False, False, False, False]})
    table = evidence_table(candidates, {**REC, "recommended": {"ic_beds": 400}})
    assert table["ic_beds"].tolist() == ["396", "392", "400", "412", "404", "408"]  # lowest mean first
    assert table["outcome"].tolist() == [
        "misses a target on average", "meets the targets on average, not with 90 % confidence", "recommended",
        "not ruled out in 30 replications; the same mean", "ruled out after 8 replications",
        "not ruled out in 20 replications; a higher mean"]
    confident = "yes, with 90 % confidence"
    assert table["meets the targets"].tolist() == ["no", "on average only", *[confident] * 4]
    assert table.iloc[2].tolist()[:5] == ["400", "20", "GBP 1,000,000", "GBP 900,000 to GBP 1,100,000",
                                          "1,000"]


def test_a_surge_block_of_no_places_has_no_dates_on_the_page():
    rec = {**REC, "recommended": {"winter.places": 20, "winter.start": "2025-12-01", "beds": 388},
           "today": {"winter.places": 0, "winter.start": "2025-11-03", "beds": 388}}
    assert mix_table(rec).values.tolist() == [
        ["winter.places", "0", "20", "20 more"],
        ["winter.start", "—", "2025-12-01", "changed"],  # today has no block, so no date
        ["beds", "388", "388", "no change"]]
    assert answer(rec).startswith("**Answer: winter.places 20, winter.start 2025-12-01 and beds 388 (today: "
                                  "winter.places 0 and beds 388)**.")
    none = {**rec, "recommended": rec["today"]}
    assert mix_table(none).values.tolist()[1] == ["winter.start", "—", "—", "no change"]
