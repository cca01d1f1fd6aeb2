"""``flowsim.reporting.sizing_pack``: a sizing search in a board's words, on made-up searches.

The cases a real search in ``test_board_sizing.py`` does not reach: a mix that costs more than
today's, intervals on either side of zero or missing, targets missed, decisions that are choices, the
recommendation being today's mix. Every expected sentence is written out in full.
"""

from __future__ import annotations

import pandas as pd
import pytest

from flowsim.model.errors import ConfigError
from flowsim.reporting.sizing_pack import (
    against_table,
    answer,
    change,
    evidence_table,
    method_text,
    mix_table,
    question,
    search_sentence,
    validation_sentence,
)

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
    ({"mean": 12.0, "ci_low": 3.0, "ci_high": None}, False, "fewer", "12 fewer"),  # half an interval: none
    ({"mean": 12.0, "ci_low": None, "ci_high": 20.0}, False, "fewer", "12 fewer"),
    # amounts that round to 0 are on the saved side; an end that rounds to 0 keeps the interval on one side
    ({"mean": 0.4, "ci_low": None, "ci_high": None}, True, "saved", "GBP 0 saved"),
    ({"mean": -0.4, "ci_low": None, "ci_high": None}, False, "fewer", "0 fewer"),
    ({"mean": 100.0, "ci_low": -0.4, "ci_high": 200.0}, False, "fewer", "100 fewer (95 % CI 0 to 200 fewer)"),
    ({"mean": -100.0, "ci_low": -200.0, "ci_high": 0.4}, False, "fewer", "100 more (95 % CI 0 to 200 more)"),
    ({"mean": -100.0, "ci_low": -200.0, "ci_high": 1.2}, False, "fewer",
     "100 more (95 % CI 200 more to 1 fewer)"),
])
def test_a_difference_reads_in_words_not_with_a_minus_sign(entry, money, up, expected):
    assert change(entry, money, up) == expected


def test_money_saved_is_the_default_word():
    assert change({"mean": 5000.0, "ci_low": None, "ci_high": None}, True) == "GBP 5,000 saved"


def test_the_question_names_the_decisions_the_objective_and_the_targets():
    assert question(REC) == (
        "Which mix of ic_beds and care_home_7day has the lowest total cost a year (acute delayed days and "
        "services), while keeping the 95th percentile of the winter midnight count of patients ready to "
        "leave (nctr_census_winter_p95) at or below 330, with 90 % confidence?")
    several = {"objective": "delay_P2_mean_days", "recommended": {"a": 1, "b": 2, "c": 3}, "confidence": 0.95,
               "constraints": ["delayed_days_per_year <= 30,000", "utilisation >= 0.85"]}
    assert question(several) == (
        "Which mix of a, b and c has the lowest delay_P2_mean_days, while keeping the delayed days a year "
        "(delayed_days_per_year) at or below 30,000 and utilisation at or above 0.85, with 95 % confidence?")
    plain = {"objective": "cost_services_per_year", "recommended": {"ic_beds": 400}, "constraints": []}
    assert question(plain) == "Which mix of ic_beds has the lowest service cost a year?"


def test_a_target_the_pack_cannot_read_is_named_as_a_constraint():
    with pytest.raises(ConfigError) as error:
        question({**REC, "constraints": ["nctr_census_winter_p95 < 330"]})
    assert str(error.value) == ("constraints: 'nctr_census_winter_p95 < 330' is not KPI<=VALUE or "
                                "KPI>=VALUE; fix: write e.g. 'delay_P2_mean_days<=8.7'")


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
    unknown = mix_table({**REC, "today": {"ic_beds": 388}})  # today's mix without a decision's value
    assert unknown.columns.tolist() == ["decision", "today", "recommended", "change"]
    assert unknown.values.tolist()[1] == ["care_home_7day", "—", "Mon+Tue+Wed+Thu+Fri+Sat+Sun", "—"]


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
    assert table.columns.tolist() == ["ic_beds", "replications", "total cost a year, mean", "95 % CI",
                                      "delayed days a year, mean", "service cost a year, mean",
                                      "nctr_census_winter_p95, mean", "meets the targets", "outcome"]
    assert table["nctr_census_winter_p95, mean"].tolist() == ["340", "329", "320", "320", "325", "310"]


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


def test_the_evidence_reads_every_replication_a_mix_has_when_the_table_gives_them():
    # delay_P2_mean_days (no board words, not money) over all replications (the _all_ columns): the
    # order, means and intervals are theirs; the first three replications' (2, 1, 3, 4) are not shown
    nan = float("nan")
    candidates = pd.DataFrame({
        "candidate": list("vwxyz"), "p3": [26, 28, 30, 32, 34], "replications": [5, 12, 20, 20, 20],
        "delay_P2_mean_days_mean": [1.0, 2.0, 1.0, 3.0, 4.0],
        "delay_P2_mean_days_ci_low": [1.0] * 5, "delay_P2_mean_days_ci_high": [2.0] * 5,
        "delay_P2_mean_days_all_mean": [7.0, 8.5, 8.04, 8.043, 9.1],
        "delay_P2_mean_days_all_ci_low": [6.0, 8.2, 7.9, nan, 8.8],
        "delay_P2_mean_days_all_ci_high": [8.0, 8.8, 8.18, nan, 9.4],
        "delayed_days_per_year_mean": [900.0, 1000.0, 1100.0, 1200.0, 1300.0],
        "cost_services_per_year_mean": [1.0] * 5,
        "cost_services_per_year_all_mean": [4.8e5, 4.9e5, 5e5, 5.1e5, nan],
        "meets_targets": True, "meets_targets_with_confidence": True,
        "shortlisted": [False, True, False, True, True], "eliminated_at": [None, 12, None, None, None],
        "recommended": [False, False, True, False, False]})
    rec = {"objective": "delay_P2_mean_days", "constraints": [], "confidence": 0.95,
           "recommended": {"p3": 30}}
    table = evidence_table(candidates, rec)
    assert table.columns.tolist() == ["p3", "replications", "delay_P2_mean_days, mean", "95 % CI",
                                      "delayed days a year, mean", "service cost a year, mean", "outcome"]
    assert table.values.tolist() == [
        ["30", "20", "8.04", "7.90 to 8.18", "1,100", "GBP 500,000", "recommended"],
        ["32", "20", "8.04", "—", "1,200", "GBP 510,000", "not ruled out in 20 replications; the same mean"],
        ["28", "12", "8.50", "8.20 to 8.80", "1,000", "GBP 490,000", "ruled out after 12 replications"],
        ["34", "20", "9.10", "8.80 to 9.40", "1,300", "—", "not ruled out in 20 replications; a higher mean"]]


def test_mixes_with_the_same_mean_keep_the_order_of_the_candidates_table():
    # 18 mixes (more than a sort leaves in order by chance), their means alternating between two values
    candidates = pd.DataFrame({
        "candidate": [f"m{i}" for i in range(18)], "ic_beds": range(400, 418), "replications": 10,
        "cost_total_per_year_mean": [1.1e6 if i % 2 else 1.0e6 for i in range(18)],
        "delayed_days_per_year_mean": 1000.0, "cost_services_per_year_mean": 5e5,
        "shortlisted": True, "eliminated_at": None, "recommended": [i == 4 for i in range(18)]})
    table = evidence_table(candidates, {**REC, "constraints": [], "recommended": {"ic_beds": 404}})
    assert table["ic_beds"].tolist() == [str(b) for b in [*range(400, 418, 2), *range(401, 418, 2)]]
    assert table["outcome"].tolist()[2] == "recommended"


SAVES = {"delayed_days_per_year": {"mean": -804.3, "ci_low": -1175.1, "ci_high": -433.4,
                                   "replications": 30},
         "cost_total_per_year": {"mean": 143521.3, "ci_low": -2246.1, "ci_high": 289288.7,
                                 "replications": 30},
         "cost_services_per_year": {"mean": -180000.0, "ci_low": -250000.0, "ci_high": -110000.0,
                                    "replications": 30}}
TWO_TARGETS = ["nctr_census_winter_p95 <= 330", "utilisation >= 0.80"]


def test_an_answer_that_saves_money_and_meets_every_target():
    rec = {**REC, "against_today": SAVES, "constraints": TWO_TARGETS, "meets_targets_with_confidence": True}
    assert answer(rec) == (
        "**Answer: ic_beds 400 and care_home_7day Mon+Tue+Wed+Thu+Fri+Sat+Sun (today: ic_beds 388 and "
        "care_home_7day Mon+Tue+Wed+Thu+Fri)**. Against today's mix, on the same simulated patients, it "
        "saves GBP 143,521 a year in total cost (95 % CI GBP 2,246 more to GBP 289,289 saved), with 804 "
        "more delayed days a year (95 % CI 433 to 1,175 more), and meets the targets with 90 % confidence.")
    one = {**rec, "constraints": TWO_TARGETS[:1]}
    assert answer(one).endswith(", and meets the target with 90 % confidence.")
    missed = {**rec, "meets_targets_with_confidence": False}
    assert answer(missed).endswith(", but does not meet every target with 90 % confidence: no mix tried did, "
                                   "and this is the nearest miss.")


def test_an_answer_without_todays_mix_or_intervals_says_the_mix_alone():
    rec = {**REC, "today": None, "constraints": [], "meets_targets_with_confidence": None,
           "against_today": {"cost_total_per_year": {"mean": 0.4, "ci_low": None, "ci_high": None},
                             "delayed_days_per_year": {"mean": 0.4, "ci_low": None, "ci_high": None}}}
    assert answer(rec) == (  # amounts that round to 0 are said on the saved (fewer) side
        "**Answer: ic_beds 400 and care_home_7day Mon+Tue+Wed+Thu+Fri+Sat+Sun**. Against today's mix, on the "
        "same simulated patients, it saves GBP 0 a year in total cost, with 0 fewer delayed days a year.")


def test_the_check_on_new_patients_gives_each_target_its_verdict():
    validation = {"seed": 1025, "replications": 20, "against_today": {
        "cost_total_per_year": {"mean": 100000.0, "ci_low": 50000.0, "ci_high": 150000.0, "replications": 20},
        "delayed_days_per_year": {"mean": 1000.0, "ci_low": 500.0, "ci_high": 1500.0, "replications": 20}},
        "targets": [
            {"target": "nctr_census_winter_p95 <= 330", "mean": 331.24, "met": False,
             "met_with_confidence": False},
            {"target": "delay_mean_days <= 9", "mean": 8.04, "met": True, "met_with_confidence": False},
            {"target": "utilisation >= 0.80", "mean": 0.87, "met": True, "met_with_confidence": True}]}
    assert validation_sentence({**REC, "validation": validation}) == (
        "**Checked on new patients:** rerun with 20 fresh replications (seed 1025) that the search never "
        "saw, it saves GBP 100,000 a year in total cost (95 % CI GBP 50,000 to GBP 150,000 saved), with "
        "1,000 fewer delayed days a year (95 % CI 500 to 1,500 fewer); the 95th percentile of the winter "
        "midnight count of patients ready to leave (nctr_census_winter_p95) averaged 331 against a target of "
        "at most 330: NOT met; the mean delay per patient in days (delay_mean_days) averaged 8.04 against a "
        "target of at most 9: met on average but not with 90 % confidence; utilisation averaged 0.87 against "
        "a target of at least 0.80: met with 90 % confidence.")
    plain = {**REC, "validation": {**validation, "targets": []}}
    assert validation_sentence(plain).endswith("with 1,000 fewer delayed days a year (95 % CI 500 to 1,500 "
                                               "fewer).")
    assert validation_sentence(REC) == (
        "**Checked on new patients:** not done (the sizing file set validation.replications to 0); the "
        "figures above are from the search's own replications.")
    bad = {**validation, "targets": [{**validation["targets"][0], "target": "p95 = 330"}]}
    with pytest.raises(ConfigError, match=r"^constraints: 'p95 = 330' is not KPI<=VALUE"):
        validation_sentence({**REC, "validation": bad})


def test_the_difference_table_has_a_column_per_set_of_replications():
    validation = {"against_today": {"delayed_days_per_year": {"mean": 1000.0, "ci_low": 500.0,
                                                              "ci_high": 1500.0, "replications": 20}}}
    table = against_table({**REC, "against_today": SAVES, "validation": validation})
    assert table.columns.tolist() == ["recommended against today, a year",
                                      "on the search's patients (30 replications)",
                                      "on new patients (20 replications)"]
    assert table.values.tolist() == [
        ["Total cost (acute delayed days and services)",
         "GBP 143,521 saved (95 % CI GBP 2,246 more to GBP 289,289 saved)", "—"],
        ["Service cost", "GBP 180,000 more (95 % CI GBP 110,000 to GBP 250,000 more)", "—"],
        ["Cost of acute delayed days", "—", "—"],
        ["Delayed days", "804 more (95 % CI 433 to 1,175 more)", "1,000 fewer (95 % CI 500 to 1,500 fewer)"]]
    empty = against_table({**REC, "against_today": {}})
    assert empty.columns.tolist()[1:] == ["on the search's patients (0 replications)"]
    assert empty.iloc[:, 1].tolist() == ["—"] * 4


def test_the_size_of_the_search_in_one_sentence():
    search = {"candidates_tried": 1054, "grid_size": 10976, "replications_simulated": 3800,
              "replications_reused": 1200, "shortlist": ["a", "b", "c"]}
    assert search_sentence({"search": search}) == (
        "The search simulated 1,054 of the 10,976 possible mixes, in 5,000 replications (1,200 of them kept "
        "from an earlier, interrupted run of the same search); the 3 best went on to the final comparison "
        "shown here.")
    fresh = {**search, "replications_reused": 0, "shortlist": ["a", "b"]}
    assert search_sentence({"search": fresh}) == (
        "The search simulated 1,054 of the 10,976 possible mixes, in 3,800 replications; the 2 best went on "
        "to the final comparison shown here.")


METHOD_END = ("\n\nThese are averages for a simulated system with the model's assumptions, not a forecast "
              "of any one year. The cost of acute delayed days is hospital capacity freed or used, valued "
              "per bed-day: it is not cash unless beds or staff are actually taken out.")


def test_the_method_says_how_the_mix_was_found_and_what_the_numbers_are_not():
    rec = {**REC, "seed": 2025, "indifference": 1000.0, "search": {"trials": 48},
           "validation": {"replications": 20, "seed": 3025}}
    assert method_text(rec) == (
        "Every mix was simulated on **common random numbers**: replication *r* of every mix sees the same "
        "patients (search seed 2025), so differences between mixes come from the capacities, not from luck. "
        "An optimiser (Optuna's **TPE** sampler, a tree-structured Parzen estimator) proposed 48 mixes in "
        "batches, learning from the results where the cheaper mixes lie. A **local polish** then tried every "
        "neighbouring mix of the best one found (one step up or down in one decision) until none was better. "
        "The best mixes were shortlisted and compared by **ranking and selection** (the fully sequential "
        "procedure of Kim and Nelson, 2001): replications are added and a mix is ruled out once it is worse "
        "than another by more than chance explains, so the one kept is the best with 95 % probability (mixes "
        "closer than GBP 1,000 a year are treated as equally good). Targets count as met when the one-sided "
        "90 % confidence bound of the mean meets them, not just the mean. Finally the recommended mix and "
        "today's were **rerun on 20 fresh replications** (seed 3025), which the search never saw, to check "
        "that the result is not an accident of the replications it was chosen on." + METHOD_END)


def test_the_method_says_when_the_selection_stopped_before_it_could_tell_the_mixes_apart():
    # a pack claimed "the best with 95 % probability" though the selection had run out of replications
    # with three mixes in the running (found by a QA pass)
    rec = {**REC, "constraints": [], "seed": 7, "indifference": 1000.0, "search": {"trials": 8},
           "validation": None, "selection_undecided": 3}
    assert method_text(rec).endswith(
        "so the one kept would be the best with 95 % probability (mixes closer than GBP 1,000 a year are "
        "treated as equally good). Here the procedure reached its limit of replications "
        "(search.max_replications) with 3 mixes still too close to tell apart: the one kept has the lowest "
        "mean of them, not a proven best (more replications would separate them)." + METHOD_END)
    assert "proven best" not in method_text({**rec, "selection_undecided": 0})


@pytest.mark.parametrize("objective, indifference", [
    ("delayed_days_per_year", 5.0),  # the indifference zone is said for costs only
    ("cost_total_per_year", None), ("cost_total_per_year", float("nan"))])
def test_the_method_without_targets_validation_or_a_zone_to_state(objective, indifference):
    rec = {**REC, "objective": objective, "constraints": [], "seed": 7, "indifference": indifference,
           "search": {"trials": 8}, "validation": None}
    assert method_text(rec).endswith("so the one kept is the best with 95 % probability." + METHOD_END)
