"""Whole mappings on the command line: a new unit, a nested distribution, flats, barrier types."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from hydra.errors import ConfigCompositionException

from flowsim.model.compose import load_config, load_scenario
from flowsim.model.distributions import Exponential, Fixed
from flowsim.model.errors import ConfigError
from flowsim.model.overrides import normalise_overrides

STEP_UP = "{pathways: [P2], capacity: 10, preference: 0, los_days: {kind: exponential, mean: 30}}"
SHORT = ("scenario=quick", "housing=off", "run.horizon_days=40", "run.warm_up_days=10",
         "outputs.summary=false")


def _flowsim(out, *overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flowsim", f"hydra.run.dir={out}", *SHORT, *overrides],
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("prefix", ["+", ""])
def test_a_unit_added_on_the_command_line_runs_with_schema_defaults(tmp_path, prefix):
    proc = _flowsim(tmp_path, f"{prefix}services.step_up={STEP_UP}")
    assert proc.returncode == 0, proc.stderr
    units = pd.read_parquet(tmp_path / "units.parquet").set_index("unit")
    assert units.loc["step_up", "capacity"] == 10
    assert units.loc["step_up", "admissions"] > 0  # preference 0: P2 patients try it first
    config = json.loads((tmp_path / "manifest.json").read_text())["config"]
    step_up = config["services"]["step_up"]
    assert step_up["los_days"]["kind"] == "exponential" and step_up["los_days"]["sd"] is None
    assert step_up["admission"]["days"] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]  # a default
    assert step_up["cost_per_occupied_day"] == 0.0


def test_a_nested_distribution_override_runs(tmp_path):
    proc = _flowsim(tmp_path, "services.ic_beds.closures.outbreaks_per_year=20",
                    "services.ic_beds.closures.duration_days={kind:fixed,value:4}",
                    "services.ic_beds.los_days={kind:exponential,mean:30}")
    assert proc.returncode == 0, proc.stderr
    units = pd.read_parquet(tmp_path / "units.parquet").set_index("unit")
    assert units.loc["ic_beds", "closed_days"] > 0  # the outbreaks happened, each 4 days long
    services = json.loads((tmp_path / "manifest.json").read_text())["config"]["services"]
    assert services["ic_beds"]["closures"]["duration_days"]["value"] == 4.0
    assert services["ic_beds"]["los_days"] == {**dict.fromkeys(services["ic_beds"]["los_days"]),
                                               "kind": "exponential", "mean": 30.0}


@pytest.mark.parametrize(("override", "where", "expected"), [
    ("services.ic_beds.los_days={kind:exponential,mean:30}", lambda s: s.unit("ic_beds").los,
     Exponential(30.0)),
    ("pathways.p0_admin_delay_days={kind:fixed,value:0.5}", lambda s: s.p0_admin_delay, Fixed(0.5)),
    ("housing.types.rehousing.fix_days_coordinated={kind:fixed,value:3}",
     lambda s: s.housing.types[s.housing.type_names.index("rehousing")].fix_coordinated, Fixed(3.0)),
    ("readmission.clinical_los_days={kind:fixed,value:2}", lambda s: s.readmission_clinical_los, Fixed(2.0)),
])
def test_a_distribution_of_another_kind_replaces_the_old_one(override, where, expected):
    assert where(load_scenario(["scenario=quick", override])) == expected


def test_an_unset_optional_distribution_can_be_set_key_by_key():
    scenario = load_scenario(["scenario=quick", "services.ic_beds.closures.outbreaks_per_year=2",
                              "services.ic_beds.closures.duration_days.kind=fixed",
                              "services.ic_beds.closures.duration_days.value=4"])
    assert scenario.unit("ic_beds").availability.outbreak_days == Fixed(4.0)


def test_a_distribution_without_kind_changes_only_its_parameters():
    scenario = load_scenario(["scenario=quick", "services.ic_beds.los_days={mean:40}"])
    assert scenario.unit("ic_beds").los.mean == pytest.approx(40)  # still a lognormal, sd kept
    assert scenario.unit("ic_beds").los.kind == "lognormal"


def test_flats_and_barrier_types_can_be_added_whole():
    scenario = load_scenario([
        "scenario=quick",
        "+housing.types.eviction={share: 0.0, fix_days_coordinated: {kind: fixed, value: 5},"
        " fix_days_uncoordinated: {kind: fixed, value: 50}}",
        "+housing.flats.extra={capacity: 4, reablement_days: {kind: fixed, value: 3},"
        " turnaround_days: {kind: fixed, value: 1}}",
    ])
    assert "eviction" in scenario.housing.type_names
    (flats,) = scenario.housing.flats
    assert (flats.name, flats.capacity, flats.pathways) == ("extra", 4, ("P0", "P1"))
    assert flats.max_stay_days == 42.0  # the schema default


def test_overrides_that_are_not_mappings_are_left_alone():
    untouched = ["seed=3", "scenario=quick", "+seed=3", "~scenario", "hydra.run.dir=out",
                 "services.ic_beds.capacity=4", "services.ic_beds.pathways=[P2,P3]", "hydra.callbacks={}",
                 "~services.ic_beds={}"]
    assert normalise_overrides(untouched) == untouched


@pytest.mark.parametrize(("override", "fix"), [
    ("~seed", "seed=42 (its default)"),
    ("~outputs.patients", "outputs.patients=true (its default)"),
    ("~run", "run.horizon_days"),
    ("~housing", "housing=off"),
    ("~services.ic_beds.los_days.kind", "services.ic_beds.los_days.kind=..."),
    ("~housing.flats", "~housing.flats.NAME"),  # OmegaConf cannot delete it either: entries one by one
    ("~pathways.shares", "pathways.shares.NAME=..."),
])
def test_deleting_a_setting_is_refused(override, fix):
    with pytest.raises(ConfigError) as refused:
        normalise_overrides(["seed=3", override])
    assert refused.value.field == override[1:] and fix in str(refused.value)


def test_entries_the_user_names_can_be_deleted():
    kept = ["~services.ic_beds", "~housing.types.minor_repair", "~scenario", "~hydra.callbacks"]
    assert normalise_overrides(kept) == kept


@pytest.mark.parametrize(("override", "field", "line"), [
    ("services.ic_beds.capacity=010", "services.ic_beds.capacity",
     "a whole number cannot start with 0, got 010; fix: write it without the leading zero, e.g. "
     "services.ic_beds.capacity=10"),
    ("seed=007", "seed", "got 007; fix: write it without the leading zero, e.g. seed=7"),  # ran as seed 7
    ("replications=02", "replications", "e.g. replications=2"),
    ("+services.step_up.capacity=-01", "services.step_up.capacity", "e.g. services.step_up.capacity=-1"),
    ("pathways.shares.P1=00.09", "pathways.shares.P1",
     "a number cannot start with 0 followed by another digit, got 00.09; fix: write it without the leading "
     "zero, e.g. pathways.shares.P1=0.09"),
    ("services.ic_beds={capacity: 010}", "services.ic_beds.capacity", "e.g. services.ic_beds.capacity=10"),
    ("services.ic_beds.capacity=10,020", "services.ic_beds.capacity", "got 020; fix: write 20, not 020"),
    ("services.ic_beds.month_capacity_factors=[1,01]", "services.ic_beds.month_capacity_factors",
     "fix: write 1, not 01"),
])
def test_a_number_with_a_leading_zero_is_refused_for_every_number_setting(override, field, line):
    # Hydra reads 010 as text: a capacity's check called it "a number in quotes" with the input as its fix,
    # while seed=007 and replications=02 ran as 7 and 2 (QA); now one rule for both
    with pytest.raises(ConfigError) as refused:
        normalise_overrides([override])
    assert refused.value.field == field and line in str(refused.value), str(refused.value)


@pytest.mark.parametrize("override", [
    "services.ic_beds.capacity='010'",  # quoted: the setting's own check says so (text, not a number)
    "arrivals.series_csv=007",  # text settings take any text
    "run.start_date=2025-04-01", "seed=0", "pathways.shares.P1=0.09", "services.ic_beds.capacity=0,10",
    "hydra.launcher.n_jobs=02",  # Hydra's own settings are Hydra's to check
    "scenario=quick", "~services.ic_beds",
])
def test_numbers_without_a_leading_zero_and_text_pass(override):
    assert normalise_overrides([override]) == [override]


@pytest.mark.parametrize("override", ["hydra.run.dir=", "hydra.run.dir=''", "hydra.sweep.dir=' '",
                                      "hydra.sweep.subdir="])
def test_an_empty_output_folder_is_refused(override):
    with pytest.raises(ConfigError, match="is empty") as refused:
        normalise_overrides([override])
    assert refused.value.field == override.split("=")[0]


def test_mapping_overrides_become_a_merge_from_the_top():
    new, rewritten = normalise_overrides(["+services.step_up={pathways: [P2], capacity: 10, d: 'it\\'s'}"])
    assert new == "+services.step_up=???" and rewritten.startswith("++services={step_up:{")
    (changed,) = normalise_overrides(["services.ic_beds={capacity: 10}"])  # no "+": no check it is new
    assert changed == "++services={ic_beds:{capacity:10}}"
    assert load_config(["scenario=quick", f"+services.step_up={STEP_UP}"]).services.step_up.capacity == 10


def test_a_list_given_with_plus_is_checked_to_be_new_and_one_without_is_not():
    # Hydra took "+pathways=[P3]" on the existing list and replaced it, dropping P2
    assert normalise_overrides(["+services.ic_beds.pathways=[P3]"]) == [
        "+services.ic_beds.pathways=???", "++services.ic_beds.pathways=[P3]"]
    assert normalise_overrides(["services.ic_beds.pathways=[P2,P3]"]) == ["services.ic_beds.pathways=[P2,P3]"]
    with pytest.raises(ConfigCompositionException, match=r"already at 'services\.ic_beds\.pathways'"):
        load_config(["scenario=quick", "+services.ic_beds.pathways=[P3]"])


def test_a_new_unit_under_the_name_of_one_that_exists_is_refused():
    # the merge alone would update ic_beds, keeping its description, admission days and costs
    with pytest.raises(ConfigCompositionException, match=r"already at 'services\.ic_beds'"):
        load_config(["scenario=quick", f"+services.ic_beds={STEP_UP}"])


def test_values_survive_the_rewrite():
    text = ("services.x={a: 1, b: 2.5, c: -1e-07, d: 'a b', e: [1, 'x', null], f: true, g: {h: inf},"
            " i: 2025-04-01}")
    (rewritten,) = normalise_overrides([text])
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parse = OverridesParser.create().parse_overrides
    assert parse([rewritten])[0].value() == {"x": parse([text])[0].value()}


def test_a_sweep_over_distributions_keeps_its_key_and_completes_each():
    sweep = "services.ic_beds.los_days={kind:fixed,value:1},{kind:exponential,mean:3}"
    (rewritten,) = normalise_overrides([sweep])
    key, options = rewritten.split("=", 1)
    assert key == "services.ic_beds.los_days"
    assert options.count("kind:") == 2 and "sd:null" in options


@pytest.mark.parametrize("text", ["=5", "a={b:1", "a=}", "x"])
def test_a_malformed_override_is_a_config_error(text):
    with pytest.raises(ConfigError) as caught:
        normalise_overrides([text])
    assert text in caught.value.field and "key=value" in caught.value.fix


@pytest.mark.parametrize(("override", "rewritten"), [
    ("replications=1e3", "replications=1000"),
    ("seed=4.2e1", "seed=42"),
    ("+n_jobs=2.0", "+n_jobs=2"),
    ("precision.batch=1E1", "precision.batch=10"),
    ("replications=1e1,2", "replications=10,2"),  # a sweep (-m) of whole numbers, some written as floats
])
def test_a_whole_number_written_as_a_float_is_a_whole_number(override, rewritten):
    # Hydra reads 1e3 as 1000.0, which the schema's integer type refused ("got '1000.0'") while a
    # capacity, checked by flowsim, took it: one rule for every whole-number setting
    assert normalise_overrides([override]) == [rewritten]
    assert load_config(["replications=1e3"]).replications == 1000


@pytest.mark.parametrize("override", [
    "replications=2.5",  # not whole: the schema's own error says so
    "replications=1e400",  # inf
    "seed=12345678901234567.0",  # a float that is not this whole number (it is 12345678901234568)
    "services.ic_beds.capacity=1e3",  # not typed int in the schema: flowsim's check takes it as it is
    "run.horizon_days=3e2",  # a number of days, not a whole number
    "replications=shuffle(1e1,2e1)",
    "replications=range(1,3)",
])
def test_other_numbers_are_left_as_written(override):
    assert normalise_overrides([override]) == [override]
