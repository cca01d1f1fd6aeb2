"""``flowsim.reporting.decision``: the decision rules on small hand-built comparison tables.

Every expected value here is written by hand from the tables below, never computed by the functions
under test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from flowsim.measures.aggregate import marginal_benefit_steps
from flowsim.model.errors import ConfigError
from flowsim.reporting.decision import (
    DEFAULT_RULE,
    RULES,
    Target,
    check_rule,
    decide,
    diminishing_step,
    kpi_levels,
    option_text,
    parse_target,
    returns_sentence,
    yearly_spread,
)

CAP = "cap"
RULE_WITHIN = ("Decision rule: recommend the cheapest option whose mean net saving is within the 95 % "
               "confidence interval of the best option's and not below the baseline's")


def _comparison(rows: list[tuple], baseline_job: int = 0) -> pd.DataFrame:
    """(job, cap, added places, added cost, net, net CI low, net CI high, days avoided) per option."""
    table = pd.DataFrame(rows, columns=["job", CAP, "added_capacity", "added_cost_per_year",
                                        "net_saving_per_year", "net_saving_per_year_ci_low",
                                        "net_saving_per_year_ci_high", "delayed_days_avoided_per_year"])
    table.insert(2, "baseline_job", baseline_job)
    places = table["added_capacity"].where(table["added_capacity"] != 0)  # NaN per place at the baseline
    table["delayed_days_avoided_per_added_place"] = table["delayed_days_avoided_per_year"] / places
    return table


# A care-home-unit study: 0 (baseline) to 40 beds; the last beds buy little and the intervals overlap.
CARE_HOME = _comparison([
    (0, 0, 0, 0, 0, 0, 0, 0),
    (1, 10, 10, 600_000, 6_000_000, 5_000_000, 7_000_000, 17_600),
    (2, 20, 20, 1_100_000, 9_500_000, 7_800_000, 11_200_000, 27_000),
    (3, 30, 30, 1_500_000, 11_000_000, 8_500_000, 13_500_000, 31_900),
    (4, 40, 40, 2_000_000, 11_200_000, 8_400_000, 14_000_000, 33_600),
])


def test_the_rules_and_the_default():
    assert list(RULES) == ["within_ci_of_best", "cheapest_meeting_target", "largest_net_saving"]
    assert DEFAULT_RULE == "within_ci_of_best"


def test_within_ci_of_best_takes_the_cheapest_option_the_best_cannot_be_told_apart_from():
    # best by mean: 40 beds (11.2 m, CI low 8.4 m); 20, 30 and 40 beds have means >= 8.4 m; 20 is cheapest
    decision = decide(CARE_HOME, swept=[CAP])
    assert decision.rule == "within_ci_of_best"
    assert decision.chosen["job"] == 2 and decision.chosen[CAP] == 20
    assert decision.best["job"] == 4
    assert not decision.is_baseline
    assert decision.sentence == (
        f"{RULE_WITHIN} (a net saving of at least GBP 8,400,000 a year). cap = 20 is the cheapest such "
        "option, with a mean net saving of GBP 9,500,000 a year at an added cost of GBP 1,100,000. The "
        "largest mean net saving is cap = 40, GBP 11,200,000 a year (95 % CI GBP 8,400,000 to "
        "GBP 14,000,000), but the further GBP 900,000 a year it costs buys no net saving the simulation "
        "can tell apart from the recommended option's.")


def test_within_ci_of_best_is_the_best_when_nothing_cheaper_comes_close():
    narrow = CARE_HOME.copy()
    narrow.loc[narrow["job"] == 4, "net_saving_per_year_ci_low"] = 11_100_000  # 30 beds (11.0 m) now out
    decision = decide(narrow, swept=[CAP])
    assert decision.chosen["job"] == 4 and decision.best["job"] == 4
    assert decision.sentence == (
        f"{RULE_WITHIN} (a net saving of at least GBP 11,100,000 a year). cap = 40 is the cheapest such "
        "option: it also has the largest mean net saving, cap = 40, GBP 11,200,000 a year (95 % CI "
        "GBP 11,100,000 to GBP 14,000,000), and no cheaper option comes within its interval.")


def test_within_ci_of_best_keeps_the_baseline_when_the_best_may_lose_money():
    doubtful = _comparison([
        (0, 0, 0, 0, 0, 0, 0, 0),
        (1, 4, 4, 200_000, 150_000, -60_000, 360_000, 900),
        (2, 8, 8, 400_000, 180_000, -120_000, 480_000, 1_500),
    ])
    decision = decide(doubtful, swept=[CAP])
    assert decision.chosen["job"] == 0 and decision.is_baseline
    assert decision.best["job"] == 2
    assert decision.sentence.startswith(
        f"{RULE_WITHIN} (a net saving of at least GBP 0 a year: within that interval, which reaches down to "
        "-GBP 120,000, and no worse than the baseline's). cap = 0 (the baseline) is the cheapest such "
        "option, with a mean net saving of GBP 0 a year at an added cost of GBP 0.")


def test_when_no_option_saves_more_than_it_costs_the_baseline_is_kept_in_plain_words():
    # the unit nobody is sent to (UNUSED, below): every option's mean net saving is below zero
    decision = decide(UNUSED, swept=[CAP])
    assert decision.is_baseline and decision.best["job"] == 0
    assert decision.sentence == (
        f"{RULE_WITHIN}. No option saves more than it costs: every option's mean net saving is below the "
        "baseline's, so the rule keeps cap = 0 (the baseline). The closest is cap = 10, -GBP 600,000 a "
        "year (95 % CI -GBP 600,000 to -GBP 600,000).")
    largest = decide(UNUSED, "largest_net_saving", swept=[CAP])
    assert largest.is_baseline
    assert largest.sentence == (
        "Decision rule: recommend the option with the largest mean net saving. No option saves more than "
        "it costs: every option's mean net saving is below the baseline's, so the rule keeps cap = 0 (the "
        "baseline). The closest is cap = 10, -GBP 600,000 a year (95 % CI -GBP 600,000 to -GBP 600,000).")


def test_within_ci_of_best_can_choose_an_option_cheaper_than_the_baseline():
    # baseline 16 beds (job 1); 12 beds saves more on the units than its delays cost, on average
    table = _comparison([
        (0, 12, -4, -300_000, 50_000, -150_000, 250_000, -200),
        (1, 16, 0, 0, 0, 0, 0, 0),
        (2, 20, 4, 300_000, 500_000, -200_000, 1_200_000, 2_000),
    ], baseline_job=1)
    decision = decide(table, swept=[CAP])
    assert decision.chosen["job"] == 0 and decision.best["job"] == 2


def test_within_ci_of_best_never_recommends_a_cut_that_loses_money_on_average():
    # 12 beds saves GBP 300,000 on the units but loses GBP 400,000 in delays: its mean (-100,000) lies in
    # the best option's wide interval (down to -200,000), yet it does worse than keeping 16 beds
    table = _comparison([
        (0, 12, -4, -300_000, -100_000, -250_000, 50_000, -700),
        (1, 16, 0, 0, 0, 0, 0, 0),
        (2, 20, 4, 300_000, 500_000, -200_000, 1_200_000, 2_000),
    ], baseline_job=1)
    decision = decide(table, swept=[CAP])
    assert decision.chosen["job"] == 1 and decision.is_baseline and decision.best["job"] == 2
    assert "no worse than the baseline's). cap = 16 (the baseline) is the cheapest such option" in \
        decision.sentence


def test_ties_in_added_cost_go_to_the_fewest_added_places_then_the_first_job():
    table = _comparison([
        (0, 0, 0, 0, 0, 0, 0, 0),
        (1, 6, 6, 500_000, 900_000, 700_000, 1_100_000, 3_000),
        (2, 4, 4, 500_000, 950_000, 750_000, 1_150_000, 3_100),
        (3, 8, 4, 500_000, 1_000_000, 800_000, 1_200_000, 3_200),
        (4, 10, 10, 800_000, 1_000_000, 800_000, 1_200_000, 3_300),
    ])
    # best by mean: job 3 (first of the 1.0 m; CI low 0.8 m): jobs 2, 3, 4 qualify (job 1's 0.9 m does
    # too); cost 500,000 for jobs 1-3, 4 added places for jobs 2 and 3: job 2 comes first
    assert decide(table, swept=[CAP]).chosen["job"] == 2
    assert decide(table, swept=[CAP]).best["job"] == 3


def test_cost_decides_before_places_and_a_mean_on_the_floor_qualifies():
    # two swept units: job 1 adds 10 cheap places, job 2 adds 6 dearer ones; job 3 is the best (CI low
    # 700,000), job 2's mean is exactly on that floor, job 1's just under it
    table = _comparison([
        (0, 0, 0, 0, 0, 0, 0, 0),
        (1, 1, 10, 400_000, 699_999, 500_000, 900_000, 3_000),
        (2, 2, 6, 500_000, 700_000, 500_000, 900_000, 3_000),
        (3, 3, 12, 900_000, 1_000_000, 700_000, 1_300_000, 4_000),
    ])
    assert decide(table, swept=[CAP]).chosen["job"] == 2  # job 1 is under the floor by GBP 1
    table.loc[table["job"] == 1, "net_saving_per_year"] = 700_000
    assert decide(table, swept=[CAP]).chosen["job"] == 1  # now both qualify: cheaper beats fewer places


def test_a_single_replication_falls_back_to_the_largest_mean():
    table = _comparison([(0, 0, 0, 0, 0, float("nan"), float("nan"), 0),
                         (1, 4, 4, 100, 900, float("nan"), float("nan"), 10),
                         (2, 8, 8, 200, 1_000, float("nan"), float("nan"), 12)])
    decision = decide(table, swept=[CAP])
    assert decision.chosen["job"] == 2
    assert decision.sentence == (
        f"{RULE_WITHIN}. With a single replication there is no interval, so the rule falls back to the "
        "largest mean: cap = 8, GBP 1,000 a year.")


def test_largest_net_saving_is_todays_rule_and_names_the_options_it_cannot_tell_apart():
    decision = decide(CARE_HOME, "largest_net_saving", swept=[CAP])
    assert decision.chosen["job"] == 4 and decision.best["job"] == 4
    assert decision.sentence == (
        "Decision rule: recommend the option with the largest mean net saving. That is cap = 40, "
        "GBP 11,200,000 a year (95 % CI GBP 8,400,000 to GBP 14,000,000). cap = 20; cap = 30 have means "
        "within that interval: the simulation cannot tell them apart from it.")


LEVELS = {0: 40_000.0, 1: 33_000.0, 2: 29_000.0, 3: 27_500.0, 4: 27_000.0}


def test_cheapest_meeting_target():
    target = Target("delayed_days_per_year", "<=", 30_000)
    decision = decide(CARE_HOME, "cheapest_meeting_target", target, LEVELS, [CAP])
    assert decision.chosen["job"] == 2 and decision.target == target
    assert decision.sentence == (
        "Decision rule: recommend the cheapest option that meets the target: a mean delayed_days_per_year "
        "<= 30,000. cap = 20 is the cheapest of the 3 of 5 options that do, with delayed_days_per_year "
        "29,000 at an added cost of GBP 1,100,000 a year. The largest mean net saving is cap = 40, "
        "GBP 11,200,000 a year (95 % CI GBP 8,400,000 to GBP 14,000,000).")
    stricter = decide(CARE_HOME, "cheapest_meeting_target", Target("delayed_days_per_year", "<=", 28_000),
                      LEVELS, [CAP])
    assert stricter.chosen["job"] == 3
    met_by_all = decide(CARE_HOME, "cheapest_meeting_target", Target("delayed_days_per_year", "<=", 40_000),
                        LEVELS, [CAP])
    assert met_by_all.chosen["job"] == 0 and met_by_all.is_baseline  # on the target exactly counts
    at_least = decide(CARE_HOME, "cheapest_meeting_target", Target("utilisation", ">=", 0.8),
                      {0: 0.0, 1: 0.95, 2: 0.85, 3: 0.79, 4: 0.7}, [CAP])
    assert at_least.chosen["job"] == 1


def test_cheapest_meeting_target_says_when_no_option_meets_it():
    decision = decide(CARE_HOME, "cheapest_meeting_target", Target("delayed_days_per_year", "<=", 20_000),
                      LEVELS, [CAP])
    assert decision.chosen is None and not decision.is_baseline
    assert decision.sentence == (
        "Decision rule: recommend the cheapest option that meets the target: a mean delayed_days_per_year "
        "<= 20,000. No option meets it: the closest is cap = 40, with delayed_days_per_year 27,000. The "
        "largest mean net saving is cap = 40, GBP 11,200,000 a year (95 % CI GBP 8,400,000 to "
        "GBP 14,000,000).")
    with pytest.raises(ConfigError, match="required"):
        decide(CARE_HOME, "cheapest_meeting_target", swept=[CAP])
    with pytest.raises(ConfigError, match="unknown rule"):
        decide(CARE_HOME, "cheapest", swept=[CAP])


@pytest.mark.parametrize("rule", list(RULES))
def test_a_sweep_of_prices_only_recommends_nothing(rule):
    # the same system valued at three bed-day prices: the "options" are valuations, none is a choice
    prices = CARE_HOME.rename(columns={CAP: "costs.acute_bed_day"})
    target = Target("delayed_days_per_year", "<=", 30_000)
    decision = decide(prices, rule, target, LEVELS, ["costs.acute_bed_day"])
    assert decision.valuations and decision.chosen is None and not decision.is_baseline
    assert decision.best["job"] == 4
    assert decision.sentence == (
        "Every swept setting is a price (costs.acute_bed_day): the jobs simulate one system, and their net "
        "savings differ only by how its delayed days and places are valued, not by anything a board could "
        "choose, so no option is recommended. The largest net saving is at costs.acute_bed_day = 40, "
        "GBP 11,200,000 a year (95 % CI GBP 8,400,000 to GBP 14,000,000).")
    # a price swept with an option is an option: the rule decides as before
    both = CARE_HOME.assign(**{"services.ic_beds.cost_per_occupied_day": 200})
    assert not decide(both, swept=[CAP, "services.ic_beds.cost_per_occupied_day"]).valuations


def test_kpi_levels_reads_the_summary():
    summary = pd.DataFrame({"job": [0, 0, 1, 1], "kpi": ["a", "b", "a", "b"], "mean": [1.0, 2.0, 3.0, 4.0]})
    assert kpi_levels(summary, "b").to_dict() == {0: 2.0, 1: 4.0}


def test_parse_target_and_check_rule():
    assert parse_target("delayed_days_per_year<=30000") == Target("delayed_days_per_year", "<=", 30000.0)
    # the example the help and the error hints give (met by 20-40 unit beds in the care-home study)
    assert parse_target("delay_P2_mean_days<=8.7") == Target("delay_P2_mean_days", "<=", 8.7)
    assert parse_target(" nctr_census_midnight_p95 >= 1,200.5 ") == Target("nctr_census_midnight_p95", ">=",
                                                                            1200.5)
    assert str(Target("nctr_census_midnight_p95", "<=", 400)) == "nctr_census_midnight_p95 <= 400"
    for bad in ("delayed_days_per_year<30000", "delayed_days_per_year<=", "<=5", "x<=ten", "x<=nan"):
        with pytest.raises(ConfigError) as error:
            parse_target(bad)
        assert str(error.value) == (f"--target: {bad!r} is not KPI<=VALUE or KPI>=VALUE; fix: give e.g. "
                                    "--target 'delay_P2_mean_days<=8.7'")
    assert check_rule("within_ci_of_best", None) is None
    assert check_rule("cheapest_meeting_target", "a<=1", ["a", "b"]) == Target("a", "<=", 1.0)
    cases = {("best", None): "--rule: unknown rule 'best'; fix: use one of within_ci_of_best, "
                             "cheapest_meeting_target, largest_net_saving",
             ("largest_net_saving", "a<=1"): "--target: is only used by --rule cheapest_meeting_target, "
                                             "not largest_net_saving; fix: leave --target out, or add "
                                             "--rule cheapest_meeting_target",
             ("cheapest_meeting_target", None): "--target: is required by --rule cheapest_meeting_target; "
                                                "fix: add e.g. --target 'delay_P2_mean_days<=8.7'",
             ("within_ci_of_bet", None): "--rule: unknown rule 'within_ci_of_bet'; fix: did you mean "
                                         "within_ci_of_best? use one of within_ci_of_best, "
                                         "cheapest_meeting_target, largest_net_saving",
             ("cheapest_meeting_target", "delayed_days<=1"): "--target: delayed_days is not a KPI of this "
                                                             "sweep; fix: use a KPI of its summary.csv, "
                                                             "e.g. delayed_days_per_year",
             # nothing like it: two KPIs of the sweep as examples
             ("cheapest_meeting_target", "zzz<=1"): "--target: zzz is not a KPI of this sweep; fix: use a "
                                                    "KPI of its summary.csv, e.g. delayed_days_per_year, "
                                                    "nctr_census_midnight_p95, ..."}
    for (rule, target), message in cases.items():
        with pytest.raises(ConfigError) as error:
            check_rule(rule, target, ["delayed_days_per_year", "nctr_census_midnight_p95"])
        assert str(error.value) == message
    # at most three near names, the nearest first
    with pytest.raises(ConfigError) as error:
        check_rule("cheapest_meeting_target", "delay_P2_days<=1",
                   ["delay_P1_days", "delay_P2_day", "delay_P3_days", "delay_P2_days_x", "other"])
    assert error.value.fix == ("use a KPI of its summary.csv, e.g. delay_P2_day, delay_P2_days_x, "
                               "delay_P3_days")


def test_option_text():
    assert option_text({"job": 3, "a.b": 10, "c": "x"}, ["a.b", "c"]) == "a.b = 10, c = x"
    assert option_text({"job": 3}, []) == "job 3"


def test_returns_diminish_at_the_first_step_below_half_the_first():
    steps = marginal_benefit_steps(CARE_HOME, CAP)
    # per added place: 0->10 1,760; 10->20 940; 20->30 490; 30->40 170. Half of 1,760 is 880.
    assert steps["delayed_days_avoided_per_added_place"].tolist() == pytest.approx([1760, 940, 490, 170])
    step = diminishing_step(steps)
    assert (step["option_from"], step["option_to"]) == (20, 30)
    assert diminishing_step(steps, fraction=0.25)["option_to"] == 40  # 170 < 440
    assert diminishing_step(steps, fraction=0.05) is None  # 88: never
    assert returns_sentence(steps, CAP) == (
        "Going from cap = 0 to 10, each added place avoids about 1,760 delayed days a year. From 20 to 30 "
        "each added place avoids about 490, less than half that: returns diminish there.")
    assert returns_sentence(steps, CAP, 0.05) == (
        "Going from cap = 0 to 10, each added place avoids about 1,760 delayed days a year. No later step "
        "falls below 5% of that over the options swept.")


def test_diminishing_step_skips_steps_that_add_no_place_and_a_first_step_that_buys_nothing():
    steps = pd.DataFrame({"option_from": [0, 5, 10, 15], "option_to": [5, 10, 15, 20],
                          "delayed_days_avoided_per_added_place": [float("nan"), 100.0, 60.0, 40.0]})
    assert diminishing_step(steps)["option_to"] == 20  # first valid step 100: 60 is not < 50, 40 is
    flat = steps.assign(delayed_days_avoided_per_added_place=[0.0, -5.0, -10.0, -20.0])
    assert diminishing_step(flat) is None


# A unit nobody is sent to: every size avoids (about) no delayed days and costs its block contract.
UNUSED = _comparison([
    (0, 0, 0, 0, 0, 0, 0, 0),
    (1, 10, 10, 600_000, -600_000, -600_000, -600_000, 0),
    (2, 20, 20, 1_200_000, -1_200_000, -1_200_000, -1_200_000, 0),
    (3, 30, 30, 1_800_000, -1_803_000, -1_810_000, -1_796_000, -3),
])
NO_OPTION_PAYS = ("No option that adds places avoids enough delayed days to pay for itself: on average, "
                  "each costs more a year than the delayed days it avoids are worth.")


def test_returns_sentence_when_the_added_places_avoid_nothing():
    steps = marginal_benefit_steps(UNUSED, CAP)
    assert steps["delayed_days_avoided_per_added_place"].tolist() == pytest.approx([0, 0, -0.3])
    net = UNUSED["net_saving_per_year"][1:]
    assert returns_sentence(steps, CAP, net_savings=net) == (
        "Going from cap = 0 to 10, the added places avoid no delayed days a year on average, and no later "
        f"step does either over the options swept. {NO_OPTION_PAYS}")
    assert returns_sentence(steps, CAP) == (
        "Going from cap = 0 to 10, the added places avoid no delayed days a year on average, and no later "
        "step does either over the options swept.")
    # nothing at first, then a later step that does avoid some
    late = UNUSED.assign(delayed_days_avoided_per_year=[0, 0, 400, 700])
    assert returns_sentence(marginal_benefit_steps(late, CAP), CAP) == (
        "Going from cap = 0 to 10, the added places avoid no delayed days a year on average. From 10 to 20 "
        "each added place avoids about 40.")


def test_returns_sentence_says_when_no_option_pays_for_itself():
    # some delayed days avoided, too few for the block contract: 49, then 28, then 12 per added place
    costly = UNUSED.assign(delayed_days_avoided_per_year=[0, 490, 770, 890],
                           net_saving_per_year=[0, -406_000, -896_000, -1_448_000])
    steps = marginal_benefit_steps(costly, CAP)
    assert returns_sentence(steps, CAP, net_savings=costly["net_saving_per_year"][1:]) == (
        "Going from cap = 0 to 10, each added place avoids about 49 delayed days a year. From 20 to 30 "
        f"each added place avoids about 12, less than half that: returns diminish there. {NO_OPTION_PAYS}")
    # one option that pays is enough to leave the clause out, breaking even (0) or a pound more included
    assert NO_OPTION_PAYS not in returns_sentence(steps, CAP, net_savings=[-406_000, 5_000, -1_448_000])
    for even in (0.0, 0.5):
        assert NO_OPTION_PAYS not in returns_sentence(steps, CAP, net_savings=[-406_000, even])
    assert NO_OPTION_PAYS not in returns_sentence(marginal_benefit_steps(CARE_HOME, CAP), CAP,
                                                  net_savings=CARE_HOME["net_saving_per_year"][1:])


def _paired(differences: list[float]) -> pd.DataFrame:
    """Two jobs whose paired differences (job 0 - job 1) are ``differences``, replications listed out of
    order (pairing is by replication number)."""
    n = len(differences)
    base = [100.0 + 10 * r for r in range(n)]
    option = [base[r] - differences[r] for r in reversed(range(n))]
    return pd.DataFrame({"job": [0] * n + [1] * n, "replication": [*range(n), *reversed(range(n))],
                         "delayed_days_total": [*base, *option]})


def test_yearly_spread_of_many_replications_is_the_percentile_range_of_paired_differences():
    differences = [float(d) for d in range(10, 50)]  # 40 replications: 10 .. 49
    # 2.5th percentile: position 0.975 -> 10.975; 97.5th: position 38.025 -> 48.025
    assert yearly_spread(_paired(differences), 0, 1, 365.0) == pytest.approx((10.975, 48.025))
    assert yearly_spread(_paired(differences), 0, 1, 182.5) == pytest.approx((21.95, 96.05))  # twice a year
    assert yearly_spread(_paired(differences), 0, 1, 365.0, level=0.5) == pytest.approx((19.75, 39.25))
    assert all(math.isnan(v) for v in yearly_spread(_paired(differences), 0, 2, 365.0))  # no job 2


def test_yearly_spread_of_few_replications_is_a_prediction_interval_wider_than_the_means():
    """Five replications: percentiles sat between the five values, narrower than the mean's own interval,
    which the page says the yearly range is not (found by a QA pass)."""
    results = _paired([10.0, 15.0, 20.0, 30.0, 35.0])
    mean, sd, n = 22.0, float(np.std([10, 15, 20, 30, 35], ddof=1)), 5
    half = 2.7764451051977987 * sd * math.sqrt(1 + 1 / n)  # scipy.stats.t.ppf(0.975, 4)
    assert yearly_spread(results, 0, 1, 365.0) == pytest.approx((mean - half, mean + half))
    ci_half = 2.7764451051977987 * sd / math.sqrt(n)
    assert half > ci_half * 2  # wider than the interval of the mean, as single years are
    # jobs of different windows (a sweep of the run's length): each scaled by its own observed_days
    mixed = results.assign(observed_days=[365.0] * 5 + [730.0] * 5)
    per_year = np.array([100, 110, 120, 130, 140]) - (np.array([90, 95, 100, 100, 105]) / 2)
    spread = 2.7764451051977987 * per_year.std(ddof=1) * math.sqrt(1.2)
    assert yearly_spread(mixed, 0, 1, float("nan")) == pytest.approx((per_year.mean() - spread,
                                                                      per_year.mean() + spread))
    assert yearly_spread(_paired([12.0]), 0, 1, 365.0) == (12.0, 12.0)  # one: nothing to spread


# -- edges each rule must get right (each test below was written against a planted fault that survived) --

def test_every_branch_returns_its_rule_best_and_target():
    # no option saves more than it costs (the closest is not the first other option: cap = 20)
    closest_later = _comparison([(0, 0, 0, 0, 0, 0, 0, 0),
                                 (1, 10, 10, 600_000, -900_000, -950_000, -850_000, 100),
                                 (2, 20, 20, 700_000, -100_000, -150_000, -50_000, 900)])
    kept = decide(closest_later, swept=[CAP])
    assert (kept.rule, kept.best["job"], kept.chosen["job"]) == ("within_ci_of_best", 0, 0)
    assert kept.sentence.endswith("The closest is cap = 20, -GBP 100,000 a year (95 % CI -GBP 150,000 to "
                                  "-GBP 50,000).")
    largest = decide(CARE_HOME, "largest_net_saving", swept=[CAP])
    assert (largest.rule, largest.best["job"]) == ("largest_net_saving", 4)
    single = _comparison([(0, 0, 0, 0, 0, float("nan"), float("nan"), 0),
                          (1, 4, 4, 100, 900, float("nan"), float("nan"), 10)])
    one = decide(single, swept=[CAP])
    assert (one.rule, one.best["job"], one.chosen["job"]) == ("within_ci_of_best", 1, 1)
    narrow = CARE_HOME.assign(net_saving_per_year_ci_low=[0, 5e6, 7.8e6, 8.5e6, 11.1e6])
    best = decide(narrow, swept=[CAP])
    assert (best.rule, best.best["job"], best.chosen["job"]) == ("within_ci_of_best", 4, 4)
    target = Target("delayed_days_per_year", "<=", 20_000)
    none = decide(CARE_HOME, "cheapest_meeting_target", target, LEVELS, [CAP])
    assert (none.rule, none.best["job"], none.target) == ("cheapest_meeting_target", 4, target)
    met = decide(CARE_HOME, "cheapest_meeting_target", Target("delayed_days_per_year", "<=", 30_000),
                 LEVELS, [CAP])
    assert (met.rule, met.best["job"], met.chosen["job"]) == ("cheapest_meeting_target", 4, 2)


def test_the_chosen_row_is_the_comparisons_row_whatever_its_index():
    shuffled = CARE_HOME.iloc[::-1].set_axis([10, 11, 12, 13, 14])  # rows in another order, other labels
    decision = decide(shuffled, swept=[CAP])
    assert list(decision.chosen.index) == list(CARE_HOME.columns)  # no column added (such as "index")
    assert decision.chosen["job"] == 2 and decision.best["job"] == 4


def test_a_target_rule_is_not_overruled_when_the_baseline_has_the_largest_net_saving():
    # every option loses money on average, but the target asks for fewer delays than the baseline has
    levels = {0: 900.0, 1: 700.0, 2: 400.0, 3: 300.0}
    decision = decide(UNUSED, "cheapest_meeting_target", Target("delayed_days_per_year", "<=", 500),
                      levels, [CAP])
    assert decision.chosen["job"] == 2 and decision.best["job"] == 0
    assert decision.sentence.startswith("Decision rule: recommend the cheapest option that meets the target: "
                                        "a mean delayed_days_per_year <= 500. cap = 20 is the cheapest")


def test_an_option_that_ties_the_baseline_is_not_an_option_that_saves_less():
    # a cut that saves on the units exactly what its delays cost: as good as the baseline, and cheaper
    table = _comparison([(0, 16, 0, 0, 0, 0, 0, 0),
                         (1, 12, -4, -100_000, 0, 0, 0, -50),
                         (2, 20, 4, 300_000, -200_000, -300_000, -100_000, 20)])
    decision = decide(table, swept=[CAP])
    assert decision.chosen["job"] == 1 and decision.best["job"] == 0


def test_largest_net_saving_counts_a_mean_exactly_on_the_interval_and_says_has_for_one():
    table = _comparison([(0, 0, 0, 0, 0, 0, 0, 0),
                         (1, 10, 10, 100, 800, 700, 900, 5),
                         (2, 20, 20, 200, 1_000, 800, 1_200, 8)])  # cap = 10's 800 is the best's CI low
    assert decide(table, "largest_net_saving", swept=[CAP]).sentence == (
        "Decision rule: recommend the option with the largest mean net saving. That is cap = 20, GBP 1,000 "
        "a year (95 % CI GBP 800 to GBP 1,200). cap = 10 has a mean within that interval: the simulation "
        "cannot tell them apart from it.")


def test_without_the_baselines_row_its_net_saving_counts_as_zero():
    # the floor is max(CI low -50, the baseline's 0) = 0: cap = 4's 0.5 a year qualifies (and is cheapest)
    table = _comparison([(1, 4, 4, 100, 0.5, -10, 10, 1),
                         (2, 8, 8, 200, 40, -50, 130, 3)])
    assert decide(table, swept=[CAP]).chosen["job"] == 1
    assert decide(table.assign(net_saving_per_year=[-0.5, 40]), swept=[CAP]).chosen["job"] == 2


def test_decide_names_the_field_and_the_fix():
    with pytest.raises(ConfigError) as unknown:
        decide(CARE_HOME, "cheapest", swept=[CAP])
    assert (unknown.value.field, unknown.value.problem, unknown.value.fix) == (
        "rule", "unknown rule 'cheapest'",
        "use one of within_ci_of_best, cheapest_meeting_target, largest_net_saving")
    with pytest.raises(ConfigError) as near:
        decide(CARE_HOME, "largest_net_savings", swept=[CAP])
    assert near.value.fix == ("did you mean largest_net_saving? use one of within_ci_of_best, "
                              "cheapest_meeting_target, largest_net_saving")
    for target, levels in ((None, LEVELS), (Target("delayed_days_per_year", "<=", 1), None)):
        with pytest.raises(ConfigError) as missing:
            decide(CARE_HOME, "cheapest_meeting_target", target, levels, [CAP])
        assert (missing.value.field, missing.value.problem, missing.value.fix) == (
            "--target", "is required by --rule cheapest_meeting_target",
            "add e.g. --target 'delay_P2_mean_days<=8.7'")


def test_a_job_without_a_level_does_not_meet_the_target_and_the_closest_is_by_distance():
    levels = {0: 0.5, 2: 0.7, 3: 0.6, 4: 0.65}  # job 1 has no level (its summary lacks the KPI)
    decision = decide(CARE_HOME, "cheapest_meeting_target", Target("utilisation", ">=", 0.9), levels, [CAP])
    assert decision.chosen is None
    assert "No option meets it: the closest is cap = 20, with utilisation 0.70." in decision.sentence
    met = decide(CARE_HOME, "cheapest_meeting_target", Target("utilisation", ">=", 0.6), levels, [CAP])
    assert met.chosen["job"] == 2  # job 1 is cheaper but has no level


def test_kpi_levels_is_a_float_series_by_job_named_by_its_kpi():
    summary = pd.DataFrame({"job": [3, 3, 5, 5], "kpi": ["a", "b", "a", "b"], "mean": [1, 2, 3, 4]})
    levels = kpi_levels(summary, "b")
    assert list(levels.index) == [3, 5] and levels.name == "b" and levels.dtype == "float64"
    assert levels.tolist() == [2.0, 4.0]


def _steps(per_place: list[float]) -> pd.DataFrame:
    """Steps up an option of 10 places each, with these delayed days avoided per added place."""
    return pd.DataFrame({"option_from": [10 * i for i in range(len(per_place))],
                         "option_to": [10 * (i + 1) for i in range(len(per_place))],
                         "delayed_days_avoided_per_added_place": per_place}).astype(object)


@pytest.mark.parametrize(("per_place", "step"), [
    ([40.0, -5.0], 1),        # two steps are enough; a second step that avoids nothing is below half
    ([0.8, 0.1], 1),          # a first step of less than a day a place still sets the bar
    ([40.0, 10.0, 30.0], 1),  # the first step below, not the first after it
    ([40.0, 20.0], None),     # exactly half is not below half
    ([-10.0, 50.0, -20.0], None),  # a first step that buys nothing: no returns to diminish
    ([float("nan")], None),
])
def test_diminishing_step_edges(per_place, step):
    found = diminishing_step(_steps(per_place))
    assert (None if found is None else int(found.name)) == step


@pytest.mark.parametrize(("per_place", "sentence"), [
    ([float("nan")], ""),
    ([0.0], "Going from cap = 0 to 10, the added places avoid no delayed days a year on average."),
    ([0.0, 0.2], "Going from cap = 0 to 10, the added places avoid no delayed days a year on average, and no "
                 "later step does either over the options swept."),
    ([0.0, 0.5], "Going from cap = 0 to 10, the added places avoid no delayed days a year on average. From "
                 "10 to 20 each added place avoids about 0.50."),
    ([0.0, 1.0], "Going from cap = 0 to 10, the added places avoid no delayed days a year on average. From "
                 "10 to 20 each added place avoids about 1."),
    ([0.5], "Going from cap = 0 to 10, each added place avoids about 0.50 delayed days a year."),
    ([1.0, 0.8], "Going from cap = 0 to 10, each added place avoids about 1 delayed days a year. No later "
                 "step falls below half that over the options swept."),
])
def test_returns_sentence_edges(per_place, sentence):
    assert returns_sentence(_steps(per_place), CAP) == sentence
