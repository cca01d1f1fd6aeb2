"""Every shipped config composes and validates; defaults carry their sources."""

from __future__ import annotations

import re

import pytest

from flowsim.model.compose import config_dir, load_config
from flowsim.model.scenario import build_scenario

SCENARIOS = sorted(p.stem for p in (config_dir() / "scenario").glob("*.yaml"))


def test_there_are_scenarios():
    assert {"quick", "no_care_home_unit", "winter_surge"} <= set(SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_composes_and_validates(name):
    cfg = load_config([f"scenario={name}"])
    scenario = build_scenario(cfg)
    assert scenario.horizon_days > scenario.warm_up_days


# Scenarios that equal the default system on purpose: the named comparator of another scenario.
SAME_AS_DEFAULT = {"winter_baseline"}  # the default's month profile since its calibration (winter_surge)


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_files_are_global_diffs(name):
    text = (config_dir() / "scenario" / f"{name}.yaml").read_text()
    assert text.splitlines()[0].strip() == "# @package _global_"
    default = load_config([])
    changed = load_config([f"scenario={name}"])
    if name in SAME_AS_DEFAULT:
        assert changed == default  # still the comparator its comment says it is
    else:
        assert changed != default  # a diff that changes something


def test_every_default_parameter_cites_a_source_or_says_assumption():
    # A value line is "key: value"; it must carry a comment, or follow a comment line that does.
    lines = (config_dir() / "system" / "default.yaml").read_text().splitlines()
    previous_comment = False
    missing = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#"):
            previous_comment = True
            continue
        value_line = re.match(r"^\s*[\w]+:\s*\S", line) and not stripped.endswith(":")
        if value_line and "#" not in line and not previous_comment:
            key = stripped.split(":")[0]
            if key not in {"description", "pathways", "preference", "patients", "census",
                           "summary"}:
                missing.append(stripped)
        previous_comment = False
    assert not missing, missing


EXPERIMENTS = sorted(p.stem for p in (config_dir() / "experiment").glob("*.yaml"))


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_composes_and_validates(name):
    from hydra import compose, initialize_config_dir

    from flowsim.cli.callbacks import sweep_job_overrides
    from flowsim.model.config import register_configs

    register_configs()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"experiment={name}"],
                      return_hydra_config=True)
        jobs = sweep_job_overrides(cfg)
        assert len(jobs) >= 2
        for overrides in jobs:
            build_scenario(compose(config_name="config", overrides=[f"experiment={name}", *overrides]))


def test_the_schema_is_registered_once_a_process(monkeypatch):
    # turning the dataclasses into a config took 0.1 s a time, paid by every composition in a process
    from hydra.core.config_store import ConfigStore

    from flowsim.model.config import register_configs

    register_configs()
    stored, store = [], ConfigStore.store

    def counted(self, **kwargs):
        stored.append(kwargs["name"])
        return store(self, **kwargs)

    monkeypatch.setattr(ConfigStore, "store", counted)
    register_configs()
    assert load_config(["scenario=quick"]).services.ic_beds.capacity == 39  # composed with the one stored
    assert "flowsim_schema" not in stored
    monkeypatch.delitem(ConfigStore.instance().repo, "flowsim_schema.yaml")
    register_configs()  # a store without it (cleared by someone) gets it again
    assert stored[-1] == "flowsim_schema" and "flowsim_schema.yaml" in ConfigStore.instance().repo


def test_configs_compose_from_several_threads_at_once():
    # the planner's app serves each session on a thread of one process, and Hydra composes with one
    # state per process: two sessions composing at once failed with "GlobalHydra is already initialized"
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        seeds = list(pool.map(lambda seed: load_config([f"seed={seed}", "scenario=quick"]).seed, range(16)))
    assert seeds == list(range(16))
