"""Candidates: their names, neighbours, the one name of equal systems, and Hydra's reading of them."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from flowsim.model.errors import ConfigError
from flowsim.sizing.candidates import (
    apply_candidate,
    canonical,
    describe,
    hydra_value,
    label,
    neighbours,
    render,
    surge_schedule,
)
from flowsim.sizing.spec import parse_sizing_spec

SPEC = parse_sizing_spec({"variables": {
    "beds": {"path": "services.u.capacity", "low": 10, "high": 20, "step": 5},
    "days": {"path": "services.u.admission.days", "choices": [["Mon"], ["Mon", "Sat"]]},
    "winter": {"surge": "u", "places": {"low": 0, "high": 8, "step": 4},
               "start": {"choices": ["2025-12-01", "2025-11-03"]}, "weeks": {"choices": [4, 8]}}}})
BASE = OmegaConf.create({"services": {"u": {"capacity": 15, "admission": {"days": ["Mon"]},
                                             "capacity_schedule": []}}})


def test_dimensions_of_a_surge_block_are_searched_only_when_they_vary():
    names = ["beds", "days", "winter.places", "winter.start", "winter.weeks"]
    assert [d.name for d in SPEC.dimensions] == names
    assert SPEC.grid_size == 3 * 2 * 3 * 2 * 2
    fixed = parse_sizing_spec({"variables": {"w": {"surge": "u", "places": {"low": 0, "high": 4},
                                                   "start": "2025-12-01", "weeks": 6}}})
    assert [d.name for d in fixed.dimensions] == ["w.places"]


@pytest.mark.parametrize(("key", "value", "message"), [
    # -3 is a whole number: the problem is its sign (found by a QA pass: "must be whole numbers")
    ("weeks", -3,
     "variables.w.weeks: must be whole numbers >= 0, got -3; fix: give e.g. variables.w.weeks: 12"),
    ("weeks", {"choices": [4, 2.5]}, "variables.w.weeks: must be whole numbers >= 0, got 2.5; fix: give e.g. "
                                     "variables.w.weeks: 12"),
    ("places", {"choices": [0, True]}, "variables.w.places: must be whole numbers >= 0, got True; fix: give "
                                       "e.g. variables.w.places: {low: 0, high: 60}"),
])
def test_a_surge_count_that_is_not_a_whole_number_from_0_is_named(key, value, message):
    block = {"surge": "u", "places": {"low": 0, "high": 4}, "start": "2025-12-01", "weeks": 6, key: value}
    with pytest.raises(ConfigError) as error:
        parse_sizing_spec({"variables": {"w": block}})
    assert str(error.value) == message


def test_apply_adds_a_path_the_system_does_not_have_yet_to_a_struct_config():
    base = OmegaConf.create({"services": {"u": {"capacity": 15, "capacity_schedule": []}}})
    OmegaConf.set_struct(base, True)  # as Hydra composes the system
    config = apply_candidate(base, SPEC, (10, ("Mon", "Sat"), 0, "2025-12-01", 4))
    assert list(config.services.u.admission.days) == ["Mon", "Sat"]


def test_a_surge_on_a_unit_the_system_lacks_names_the_units_it_has():
    spec = parse_sizing_spec({"variables": {"winter": {"surge": "v", "places": {"low": 0, "high": 4},
                                                       "start": "2025-12-01", "weeks": 6}}})
    base = OmegaConf.create({"services": {"u": {"capacity": 15}, "w": {"capacity": 3}}})
    with pytest.raises(ConfigError) as error:
        apply_candidate(base, spec, (4,))
    assert str(error.value) == "variables.winter.surge: unit 'v' is not in services; fix: use one of u, w"


def test_a_candidate_with_a_value_too_few_is_refused_not_named_in_part():
    with pytest.raises(ValueError):
        label(SPEC, (10, ("Mon",), 0, "2025-12-01"))


def test_apply_writes_paths_and_the_surge_schedule_on_the_new_capacity():
    config = apply_candidate(BASE, SPEC, (20, ("Mon", "Sat"), 4, "2025-11-03", 8))
    assert config.services.u.capacity == 20 and list(config.services.u.admission.days) == ["Mon", "Sat"]
    assert OmegaConf.to_container(config.services.u.capacity_schedule) == [
        {"start": "2025-11-03", "capacity": 24}, {"start": "2025-12-29", "capacity": 20}]
    assert BASE.services.u.capacity == 15  # the base is not changed


def test_a_surge_of_no_places_has_one_name_and_no_schedule():
    a = canonical(SPEC, (10, ("Mon",), 0, "2025-11-03", 8))
    assert a == (10, ("Mon",), 0, "2025-12-01", 4)
    assert surge_schedule(SPEC.surges[0], {"winter.places": 0}, 10) == []
    assert canonical(SPEC, (10, ("Mon",), 4, "2025-11-03", 8)) == (10, ("Mon",), 4, "2025-11-03", 8)


def test_neighbours_are_one_step_away_distinct_and_inside_the_bounds():
    around = list(neighbours(SPEC, (10, ("Mon",), 0, "2025-12-01", 4)))
    # beds 15 (10 - 5 is out of bounds); the other days; 4 places; start and weeks do not matter at 0
    assert around == [(15, ("Mon",), 0, "2025-12-01", 4), (10, ("Mon", "Sat"), 0, "2025-12-01", 4),
                      (10, ("Mon",), 4, "2025-12-01", 4)]
    around = list(neighbours(SPEC, (15, ("Mon",), 4, "2025-12-01", 4)))
    assert len(around) == 2 + 1 + 2 + 1 + 1 and len(set(around)) == len(around)
    # from a mix not yet in its one name, another start and other weeks are the same system: once
    around = list(neighbours(SPEC, (10, ("Mon",), 0, "2025-11-03", 8)))
    assert around == [(15, ("Mon",), 0, "2025-12-01", 4), (10, ("Mon", "Sat"), 0, "2025-12-01", 4),
                      (10, ("Mon",), 4, "2025-11-03", 8), (10, ("Mon",), 0, "2025-12-01", 4)]


def test_labels_and_table_values_read_as_people_write_them():
    candidate = (10, ("Mon", "Sat"), 4, "2025-12-01", 8)
    assert label(SPEC, candidate) == ("beds=10, days=Mon+Sat, winter.places=4, winter.start=2025-12-01, "
                                      "winter.weeks=8")
    assert describe(SPEC, candidate) == {"beds": 10, "days": "Mon+Sat", "winter.places": 4,
                                         "winter.start": "2025-12-01", "winter.weeks": 8}
    assert render(("Mon", "Tue", "Wed", "Thu", "Fri")) == "Mon-Fri"
    assert render(("Fri", "Sat", "Sun")) == "Fri-Sun" and render(("Mon", "Wed", "Thu")) == "Mon+Wed+Thu"
    assert render(("Sat", "Sun")) == "Sat+Sun"  # a run of two days is written out
    # values that are not weekdays are joined, even beside a run of days
    assert render(("2025-11-03", "2025-12-01")) == "2025-11-03+2025-12-01"
    assert render(("bank holidays", "Wed", "Thu")) == "bank holidays+Wed+Thu"


@pytest.mark.parametrize(("value", "text"), [
    (3, "3"), (2.5, "2.5"), (True, "true"), (False, "false"), (None, "null"),
    ("2025-12-01", "'2025-12-01'"), (["Mon", "Sat"], "['Mon','Sat']"),
    ({"start": "2025-12-01", "capacity": 4}, "{start:'2025-12-01',capacity:4}"),
    ("it's", "'it\\'s'"),
    # Hydra reads a backslash as an escape only in a run before a quote or the end of the value
    ("C:\\units\\beds", "'C:\\units\\beds'"), ("ends\\", "'ends\\\\'"), ("a\\'b", "'a\\\\\\'b'")])
def test_hydra_values_round_trip_through_the_override_grammar(value, text):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    assert hydra_value(value) == text
    parsed = OverridesParser.create().parse_override(f"key={text}").value()
    assert parsed == value
