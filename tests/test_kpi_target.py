"""``flowsim.measures.kpi_target``: how a target is met, how far it is missed, and how a level reads.

The board pack's decision rule and ``flowsim-size`` constraints share these; reading ``--target`` text
is checked with the decision rules in ``tests/test_decision.py``. Expected values are written by hand.
"""

from __future__ import annotations

import math

import pytest

from flowsim.measures.kpi_target import Target, format_level, parse_target
from flowsim.model.errors import ConfigError

AT_MOST = Target("delayed_days_per_year", "<=", 30_000.0)
AT_LEAST = Target("utilisation", ">=", 0.8)


def test_a_level_on_the_target_meets_it_from_either_side():
    assert AT_MOST.met(30_000.0) and AT_MOST.met(29_999.0) and not AT_MOST.met(30_000.5)
    assert AT_LEAST.met(0.8) and AT_LEAST.met(0.95) and not AT_LEAST.met(0.79)
    assert not AT_MOST.met(math.nan) and not AT_LEAST.met(math.nan)


def test_excess_is_how_far_the_level_is_on_the_wrong_side():
    assert AT_MOST.excess(31_200.0) == 1_200.0  # 1,200 delayed days too many
    assert AT_MOST.excess(28_000.0) == -2_000.0  # met, with 2,000 to spare
    assert AT_LEAST.excess(0.7) == pytest.approx(0.1)  # 10 points short
    assert AT_LEAST.excess(0.85) == pytest.approx(-0.05)


@pytest.mark.parametrize(("value", "text"), [
    (3.0, "3"), (-4.0, "-4"), (8.7, "8.70"), (0.05, "0.05"), (-2.5, "-2.50"),
    (10.25, "10"), (-12.75, "-13"), (12_345.6, "12,346"), (30_000.0, "30,000"),
    (float("nan"), "n/a"), (None, "n/a"), (float("inf"), "inf")])  # NaN: a mean over no patients
def test_levels_read_whole_from_ten_and_when_whole_else_with_two_decimals(value, text):
    assert format_level(value) == text


def test_a_target_that_is_not_text_is_refused_in_words():
    # a YAML constraint written as a number (``constraints: [30000]``) reaches parse_target as an int
    with pytest.raises(ConfigError) as error:
        parse_target(30000, "constraints[0]")
    assert str(error.value) == ("constraints[0]: 30000 is not KPI<=VALUE or KPI>=VALUE; fix: write e.g. "
                                "'delay_P2_mean_days<=8.7'")
