"""The example a one-value-where-several-belong line gives is a line Hydra accepts (flowsim.cli.shape_errors).

Each case is composed, its error turned into the user's line, and every ``e.g.`` example in the fix is
composed in its place: it must compose (the right shape at the right key), whatever its value then
means to the model.
"""

from __future__ import annotations

import re

import pytest

from flowsim.cli.config_errors import describe_error
from flowsim.model.compose import load_config

CASES = [
    "services.ic_beds=5", "run=5", "costs=1", "housing.coordinators=3", "services.ic_beds.los_days=5",
    "services.ic_beds.los_days=exponential", "services=3", "pathways.shares=0.5", "housing.types=2",
    "pathways.arrangement_days=5", "arrivals.day_of_week_multipliers=1", "services.ic_beds.pathways=P2",
    # a list where the config holds a mapping or one value: OmegaConf's words named no fix (QA)
    "pathways.shares=[0.85,0.09,0.035,0.025]", "pathways.shares=[0.5,0.5]", "services.ic_beds=[1,2]",
    "services.ic_beds.los_days=[1,2]", "arrivals.series_csv=[a.csv]", "run.start_date=[2025-05-01]",
    "arrivals.series_csv={a: 1}",
]


def _line(override: str) -> str:
    with pytest.raises(Exception) as error:  # any error: the line is what is checked
        load_config(["scenario=quick", override])
    line = describe_error(error.value)
    assert line is not None, error.value
    return line


def _examples(line: str) -> list[str]:
    fix = line.split("; fix: ", 1)[1]
    examples = re.split(r" or (?=[\w.]+=)", fix.split("e.g. ", 1)[1])
    return [e.strip() for e in examples]


@pytest.mark.parametrize("override", CASES)
def test_the_example_given_composes(override):
    line = _line(override)
    key = override.split("=", 1)[0]
    assert line.startswith(f"{key}: "), line
    examples = _examples(line)
    assert examples, line
    for example in examples:
        assert example.split("=", 1)[0].startswith(key), (line, example)
        load_config(["scenario=quick", example])  # raises if the example has the wrong shape


def test_a_value_that_is_no_number_gets_a_number_in_the_example():
    line = _line("services.ic_beds.los_days=exponential")
    assert "(got exponential)" in line and "mean: 5}" in line


def test_shares_given_as_a_list_are_named_in_the_order_of_the_pathways():
    line = _line("pathways.shares=[0.85,0.09,0.035,0.025]")
    assert line == ("pathways.shares: holds one entry per name (P0, P1, P2, P3), not a list (got "
                    "[0.85,0.09,0.035,0.025]); fix: name each value, e.g. "
                    "pathways.shares={P0:0.85,P1:0.09,P2:0.035,P3:0.025}")
    shares = load_config(["scenario=quick", _examples(line)[0]]).pathways.shares
    assert dict(shares) == {"P0": 0.85, "P1": 0.09, "P2": 0.035, "P3": 0.025}


def test_a_file_given_as_a_list_is_asked_for_once():
    assert _line("arrivals.series_csv=[a.csv]") == (
        "arrivals.series_csv: takes one value, not a list (got [a.csv]); fix: give one, e.g. "
        "arrivals.series_csv=a.csv")
