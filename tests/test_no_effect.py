"""A note for command-line settings the run does not use (flowsim.cli.no_effect)."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from flowsim.cli.no_effect import no_effect_note
from tests.test_bad_input import run_in_process

OFF = OmegaConf.create({"housing": {"enabled": False}})
ON = OmegaConf.create({"housing": {"enabled": True}})


def test_housing_settings_with_housing_off_are_named():
    assert no_effect_note(OFF, ["housing=off", "housing.coordinators.fte=4", "seed=3"]) == (
        "housing is off, so housing.coordinators.fte=4 has no effect (housing=default switches it on)")
    assert no_effect_note(OFF, ["housing.barrier_probability=0.3", "++housing={flats:{x:{capacity:2}}}"]) == (
        "housing is off, so housing.barrier_probability=0.3, housing.flats.x.capacity=2 have no "
        "effect (housing=default switches it on)")


@pytest.mark.parametrize(("override", "named"), [
    # a new entry given whole reaches Hydra rewritten, with every unset field spelt out
    ("++housing={flats:{x:{capacity:2,reablement_days:{kind:fixed,mean:null,value:3}}}}", "housing.flats.x"),
    ("housing.coordinators={fte:3}", "housing.coordinators.fte=3"),
    ("+housing.flats.y={capacity:3,pathways:[P0]}", "housing.flats.y"),
    ("housing.flats.y.pathways=[P0]", "housing.flats.y.pathways=[P0]"),  # as typed
])
def test_a_mapping_is_named_by_the_setting_it_fills(override, named):
    assert no_effect_note(OFF, [override]) == (
        f"housing is off, so {named} has no effect (housing=default switches it on)")


@pytest.mark.parametrize(("cfg", "overrides"), [
    (ON, ["housing.coordinators.fte=4"]),  # housing on: they count
    (OFF, ["housing=off", "seed=3", "services.ic_beds.capacity=30"]),  # nothing under housing
    (OFF, ["housing.enabled=false"]),  # what switches it off is not "no effect"
    (OmegaConf.create({"seed": 1}), ["housing.coordinators.fte=4"]),  # no housing section
])
def test_nothing_is_said_when_every_setting_counts(cfg, overrides):
    assert no_effect_note(cfg, overrides) is None


def test_the_run_says_so_and_goes_on(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    code, _, stderr = run_in_process(["scenario=quick", "housing=off", "housing.coordinators.fte=4",
                                      "outputs.summary=false", "outputs.patients=false",
                                      f"hydra.run.dir={out}"], capsys, monkeypatch)
    assert code == 0 and (out / "metrics.json").exists()
    assert stderr.splitlines() == ["flowsim: note: housing is off, so housing.coordinators.fte=4 has no "
                                   "effect (housing=default switches it on)"]


def _shipped_sources() -> list[dict[str, str]]:
    from flowsim.model.compose import config_dir

    return [{"provider": "main", "schema": "file", "path": str(config_dir())}]


@pytest.mark.parametrize(("scheme", "sets_housing"), [
    ("kettering", True), ("roseberry", True), ("heatherstones", True),  # coordinators, flats
    ("care_home_units", False),  # P2 beds in care homes: a change of services, not of housing
    ("none", False), (None, False), ("no_such_scheme", False),
])
def test_a_scheme_is_judged_by_its_own_file(scheme, sets_housing):
    from flowsim.cli.no_effect import scheme_sets_housing

    assert scheme_sets_housing(scheme, _shipped_sources()) is sets_housing


def test_a_scheme_of_the_users_config_dir_is_read_from_there(tmp_path):
    from flowsim.cli.no_effect import scheme_sets_housing

    (tmp_path / "scheme").mkdir()
    (tmp_path / "scheme" / "ours.yaml").write_text(
        "# @package _global_\nhousing:\n  coordinators:\n    fte: 2\n")
    (tmp_path / "scheme" / "beds.yaml").write_text("# @package _global_\nseed: 3\n")
    sources = [{"provider": "command-line", "schema": "file", "path": str(tmp_path)}, *_shipped_sources()]
    assert scheme_sets_housing("ours", sources) and not scheme_sets_housing("beds", sources)
    assert scheme_sets_housing("kettering", sources)  # flowsim's own, further down the path


def test_a_housing_scheme_is_named_first():
    assert no_effect_note(OFF, ["scheme=kettering", "housing.coordinators.fte=4"], "kettering") == (
        "housing is off, so scheme=kettering, housing.coordinators.fte=4 have no effect "
        "(housing=default switches it on)")
    assert no_effect_note(ON, ["scheme=kettering"], "kettering") is None


@pytest.mark.parametrize(("scheme", "note"), [
    ("kettering", ["flowsim: note: housing is off, so scheme=kettering has no effect (housing=default "
                   "switches it on)"]),
    ("care_home_units", []),  # its beds are used with housing off
])
def test_a_run_with_a_housing_scheme_and_housing_off_says_so(tmp_path, capsys, monkeypatch, scheme, note):
    out = tmp_path / "run"
    code, _, stderr = run_in_process([f"scheme={scheme}", "scenario=quick", "housing=off",
                                      "outputs.summary=false", "outputs.patients=false",
                                      f"hydra.run.dir={out}"], capsys, monkeypatch)
    assert code == 0 and (out / "metrics.json").exists()
    assert [line for line in stderr.splitlines() if "note:" in line] == note


ACUTE_OFF = OmegaConf.create({"housing": {"enabled": True}, "acute": {"enabled": False}})


def test_acute_settings_with_the_pool_off_are_named():
    assert no_effect_note(ACUTE_OFF, ["acute.beds=1600", "acute.clinical_los_days={kind:fixed,value:4}",
                                      "seed=3"]) == (
        "the acute bed pool is off, so acute.beds=1600, acute.clinical_los_days have no effect "
        "(acute.enabled=true or scenario=acute_pool switches it on)")
    assert no_effect_note(ACUTE_OFF, ["acute.enabled=false"]) is None
    on = OmegaConf.create({"acute": {"enabled": True}})
    assert no_effect_note(on, ["acute.beds=1600"]) is None


def test_both_parts_off_give_one_line():
    both = OmegaConf.create({"housing": {"enabled": False}, "acute": {"enabled": False}})
    assert no_effect_note(both, ["housing.coordinators.fte=2", "acute.beds=9"]) == (
        "housing is off, so housing.coordinators.fte=2 has no effect (housing=default switches it on); "
        "the acute bed pool is off, so acute.beds=9 has no effect (acute.enabled=true or "
        "scenario=acute_pool switches it on)")


UNITS = OmegaConf.create({"services": {"ic_beds": {"max_stay_days": None},
                                       "care_home_unit": {"max_stay_days": 56}},
                          "housing": {"enabled": True, "flats": {"step_down": {"enforce_max_stay": False},
                                                                 "enforced": {"enforce_max_stay": True}}}})


def test_a_setting_that_needs_another_unset_is_named():
    assert no_effect_note(UNITS, ["services.ic_beds.cost_per_over_length_day=90", "seed=2",
                                  "housing.flats.step_down.move_on={home:0.5,P3:0.5}"]) == (
        "services.ic_beds.cost_per_over_length_day=90 has no effect without services.ic_beds.max_stay_days "
        "(the contracted maximum stay it charges beyond); housing.flats.step_down.move_on has no effect "
        "without housing.flats.step_down.enforce_max_stay=true (tenants move on only at an enforced "
        "maximum stay)")


@pytest.mark.parametrize("override", [
    "services.care_home_unit.cost_per_over_length_day=90",  # it has a maximum stay
    "services.nowhere.cost_per_over_length_day=90",  # not a unit: the config check names it
    "housing.flats.enforced.move_on.home=1.0",  # enforced
    "services.ic_beds.max_stay_days=30",
])
def test_a_setting_whose_partner_is_set_is_not_named(override):
    assert no_effect_note(UNITS, [override]) is None


def test_move_on_with_housing_off_is_named_once():
    cfg = OmegaConf.merge(UNITS, {"housing": {"enabled": False}})
    assert no_effect_note(cfg, ["housing.flats.step_down.move_on.home=1"]) == (
        "housing is off, so housing.flats.step_down.move_on.home=1 has no effect (housing=default switches "
        "it on)")
