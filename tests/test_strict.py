"""The names a typo is most likely meant as (flowsim.model.strict.closest and use_one_of)."""

from __future__ import annotations

import pytest

from flowsim.model.strict import closest, number_setting, use_one_of

PATHWAYS = ("P1", "P2", "P3")


@pytest.mark.parametrize("word, options, expected", [
    ("p2", PATHWAYS, "P2"),  # letter case: difflib alone finds "p2" and "P2" too far apart
    ("MON", ("Mon", "Tue"), "Mon"),
    ("gama", ("exponential", "gamma", "lognormal"), "gamma"),
    ("capcity", ("capacity", "los_days"), "capacity"),
    ("zzz", PATHWAYS, None),
    ("P2", PATHWAYS, "P2"),
])
def test_closest_finds_the_name_meant(word, options, expected):
    assert closest(word, options) == expected


def test_the_same_name_in_other_case_beats_a_nearer_spelling():
    # "wait" is one letter from "waiT" but "WAIT" matches it exactly, ignoring case
    assert closest("WAIT", ("waiT", "wait")) == "waiT"
    assert closest("wait", ("waits", "WAIT")) == "WAIT"


def test_use_one_of_names_the_likeliest_then_all():
    assert use_one_of("p3", PATHWAYS) == "did you mean P3? use one of P1, P2, P3"
    assert use_one_of("hospice", PATHWAYS) == "use one of P1, P2, P3"


def test_use_one_of_takes_any_iterable_of_names_and_a_value_of_any_type():
    assert use_one_of("within_ci", {"within_ci_of_best": "", "max_net_saving": ""}) == (
        "did you mean within_ci_of_best? use one of within_ci_of_best, max_net_saving")
    assert use_one_of(3, PATHWAYS) == "use one of P1, P2, P3"


def test_the_setting_a_single_number_most_likely_meant_is_the_first_numeric_one():
    from flowsim.model.config import CostsConfig, DistributionConfig, RunConfig, UnitConfig

    assert number_setting(UnitConfig) == "capacity"  # after pathways, a list
    assert number_setting(RunConfig) == "horizon_days"  # after start_date, a date string
    assert number_setting(DistributionConfig) == "mean"
    assert number_setting(CostsConfig) == "acute_bed_day"
