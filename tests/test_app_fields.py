"""The app's forms: which settings, with units and help, and checks that say what the CLI says.

Guards :mod:`flowsim.app.fields`: every field the forms show has a unit and a help text, each unit of
the system has its section (capacity, length of stay, costs, admission days) and housing has one with
its coordinators; an edit made in the form gives exactly the configuration the same change gives as a
command-line override; an invalid edit is refused with the very line ``flowsim`` prints for it; and
that line is shown next to the field (or section) it names.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from flowsim.app.fields import apply_edits, as_overrides, error_place, form_groups, get_value, validate
from flowsim.model.compose import load_config

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri"]

# one edit of each kind a planner makes in the forms
EDITS = {
    "capacity": {"services.ic_beds.capacity": 30},
    "los_mean": {"services.ic_beds.los_days.mean": 40.5},
    "los_mu": {"services.p1_reablement.los_days.mu": 2.0},
    "admission_days": {"services.care_home_unit.admission.days": WEEKDAYS},
    "admission_hour": {"services.care_home_unit.admission.open_hour": 8.5},
    "shares": {"pathways.shares.P0": 0.80, "pathways.shares.P1": 0.14},
    "weekday_profile": {"arrivals.day_of_week_multipliers": [1.0, 1.1, 1.1, 1.1, 1.2, 0.75, 0.75]},
    "coordinators": {"housing.coordinators.fte": 2},
    "housing_off": {"housing.enabled": False},
    "start_date": {"run.start_date": "2025-06-01"},
    "small_probability": {"housing.barrier_probability": 5e-05},
    "acute_cost": {"costs.acute_bed_day": 400.0},
}
ALL_EDITS = {path: value for edit in EDITS.values() for path, value in edit.items()}

# invalid edits, as (override, app edit, group key, field path the message goes under)
INVALID = {
    "negative_capacity": ("services.ic_beds.capacity=-1", {"services.ic_beds.capacity": -1},
                          "unit:ic_beds", "services.ic_beds.capacity"),
    "shares_not_1": ("pathways.shares.P0=0.5", {"pathways.shares.P0": 0.5}, "pathways", None),
    "no_admission_days": ("services.ic_beds.admission.days=[]", {"services.ic_beds.admission.days": []},
                          "unit:ic_beds", "services.ic_beds.admission.days"),
    "negative_los": ("services.ic_beds.los_days.mean=-5.0", {"services.ic_beds.los_days.mean": -5.0},
                     "unit:ic_beds", "services.ic_beds.los_days.mean"),
}


def _composed(overrides: list[str]) -> dict:
    return OmegaConf.to_container(load_config(overrides), resolve=True)


@pytest.fixture(scope="module")
def quick():
    return _composed(["scenario=quick"])


@pytest.fixture(scope="module")
def default():
    return _composed([])


@pytest.fixture(scope="module")
def cli_lines(tmp_path_factory):
    """What ``flowsim scenario=quick OVERRIDE`` prints on stderr and exits with, for each invalid edit."""
    root = tmp_path_factory.mktemp("cli")
    procs = {name: subprocess.Popen([sys.executable, "-m", "flowsim", "scenario=quick", override,
                                     f"hydra.run.dir={root / name}"], cwd=root, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env={**os.environ})
             for name, (override, *_) in INVALID.items()}
    out = {}
    for name, proc in procs.items():
        _, stderr = proc.communicate(timeout=120)
        out[name] = (proc.returncode, stderr, (root / name / "metrics.json").exists())
    return out


@pytest.mark.parametrize("which", ["default", "quick"])
def test_every_field_has_a_unit_and_help(request, which):
    groups = form_groups(request.getfixturevalue(which))
    fields = [f for g in groups for f in g.fields]
    assert len(fields) > 40
    for f in fields:
        assert f.unit.strip(), f"{f.path} has no unit"
        assert f.help.strip(), f"{f.path} has no help text"
        assert f.label.strip()
    assert len({f.path for f in fields}) == len(fields), "a field shown twice"


@pytest.mark.parametrize("which", ["default", "quick"])
def test_each_unit_has_a_section_with_capacity_stay_costs_and_admission_days(request, which):
    config = request.getfixturevalue(which)
    groups = {g.key: g for g in form_groups(config)}
    assert set(config["services"]) == {"p1_reablement", "ic_beds", "care_home_unit", "p3_interim_beds"}
    for unit in config["services"]:
        group = groups[f"unit:{unit}"]
        paths = {f.path for f in group.fields}
        base = f"services.{unit}"
        assert f"{base}.capacity" in paths
        assert any(p.startswith(f"{base}.los_days.") for p in paths), f"{unit}: no length of stay"
        assert f"{base}.cost_per_occupied_day" in paths
        assert f"{base}.cost_per_bed_week" in paths
        assert f"{base}.admission.days" in paths
        assert unit in group.title
        assert config["services"][unit]["pathways"][0] in group.note


def test_fields_have_the_widget_and_unit_of_their_setting(quick):
    fields = {f.path: f for g in form_groups(quick) for f in g.fields}
    capacity = fields["services.ic_beds.capacity"]
    assert (capacity.kind, capacity.unit) == ("int", "places")  # whole places: no 2.5 beds
    assert fields["services.ic_beds.los_days.mean"].kind == "float"
    assert fields["services.ic_beds.los_days.mean"].unit == "days"
    # ic_beds' stay is lognormal by mean and sd; p1_reablement's by mu and sigma: the form shows those
    assert {"services.ic_beds.los_days.mean", "services.ic_beds.los_days.sd"} <= set(fields)
    assert {"services.p1_reablement.los_days.mu", "services.p1_reablement.los_days.sigma"} <= set(fields)
    assert "services.ic_beds.los_days.mu" not in fields
    assert fields["services.ic_beds.admission.days"].kind == "days"
    assert fields["arrivals.day_of_week_multipliers"].kind == "numbers"
    assert fields["housing.enabled"].kind == "bool"
    assert fields["run.start_date"].kind == "text"
    assert fields["replications"].kind == "int"
    assert {f"pathways.shares.P{i}" for i in range(4)} <= set(fields)


def test_housing_section_has_the_coordinators(quick):
    groups = {g.key: g for g in form_groups(quick)}
    housing = {f.path: f for f in groups["housing"].fields}
    assert housing["housing.coordinators.fte"].kind == "int"
    assert housing["housing.coordinators.fte"].unit == "FTE"
    assert "housing.coordinators.cost_per_fte_year" in housing
    assert "housing.enabled" in housing


def test_the_capacity_of_a_unit_with_a_dated_schedule_says_until_when_it_holds():
    # winter_surge steps ic_beds and p1_reablement up from 2025-12-01: their capacity holds only until then,
    # and Compare options (which names settings by label) offered it as the unit's size (a QA pass)
    groups = {g.key: g for g in form_groups(_composed(["scenario=winter_surge"]))}
    labels = {g.key: next(f.label for f in g.fields if f.path.endswith(".capacity"))
              for g in groups.values() if g.key.startswith("unit:")}
    assert labels["unit:ic_beds"] == labels["unit:p1_reablement"] == (
        "Capacity before 2025-12-01 (then its dated schedule)")
    assert labels["unit:care_home_unit"] == "Capacity"


def test_step_down_flats_appear_in_the_housing_section_when_the_config_has_them():
    groups = {g.key: g for g in form_groups(_composed(["housing=step_down_flats"]))}
    paths = {f.path for f in groups["housing"].fields}
    assert {"housing.flats.step_down.capacity", "housing.flats.step_down.cost_per_flat_week"} <= paths


@pytest.mark.parametrize("name", [*EDITS, "all"])
def test_an_edit_in_the_form_gives_the_config_the_same_cli_override_gives(quick, name):
    edits = ALL_EDITS if name == "all" else EDITS[name]
    edited = apply_edits(quick, edits)
    via_cli = _composed(["scenario=quick", *as_overrides(edits)])
    assert edited == via_cli
    assert json.dumps(edited, sort_keys=True) == json.dumps(via_cli, sort_keys=True)  # same types too
    for path, value in edits.items():
        assert get_value(via_cli, path) == value  # the override really changed it
    assert validate(edited) is None


def test_apply_edits_leaves_the_starting_config_alone(quick):
    before = json.dumps(quick, sort_keys=True)
    edited = apply_edits(quick, ALL_EDITS)
    edited["services"]["care_home_unit"]["admission"]["days"].append("Sat")
    assert json.dumps(quick, sort_keys=True) == before
    assert ALL_EDITS["services.care_home_unit.admission.days"] == ["Mon", "Tue", "Wed", "Thu", "Fri"]


@pytest.mark.parametrize("which", ["default", "quick"])
def test_valid_configs_pass(request, which):
    assert validate(request.getfixturevalue(which)) is None


@pytest.mark.parametrize("name", list(INVALID))
def test_an_invalid_edit_gets_the_line_the_cli_prints(quick, cli_lines, name):
    _, edit, _, _ = INVALID[name]
    returncode, stderr, ran = cli_lines[name]
    assert returncode == 2, stderr
    assert not ran
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flowsim: error: "), stderr
    error = validate(apply_edits(quick, edit))
    assert error is not None
    assert str(error) == lines[0].removeprefix("flowsim: error: ")


@pytest.mark.parametrize("name", list(INVALID))
def test_the_message_goes_under_the_field_it_names(quick, name):
    _, edit, group, field = INVALID[name]
    groups = form_groups(quick)
    error = validate(apply_edits(quick, edit))
    assert error_place(error.field, groups) == (group, field)
    if field is not None:  # a field the form shows
        assert field in {f.path for g in groups if g.key == group for f in g.fields}


def test_a_message_about_part_of_a_field_goes_under_that_field(quick):
    groups = form_groups(quick)
    assert error_place("arrivals.day_of_week_multipliers[3]", groups) == (
        "arrivals", "arrivals.day_of_week_multipliers")
    assert error_place("services.ic_beds.los_days", groups) == ("unit:ic_beds", None)
    # a setting the forms do not show goes at the top of the section it belongs to
    assert error_place("services.ic_beds.capacity_schedule[0].capacity", groups) == ("unit:ic_beds", None)
    assert error_place("housing.coordinators.when_full", groups) == ("housing", None)
    assert error_place("precision.kpis", groups) == ("run", None)
