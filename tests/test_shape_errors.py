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
