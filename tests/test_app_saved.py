"""The app's saved scenario: one YAML file that the command line runs as it is.

Guards :mod:`flowsim.model.saved`: reading a saved file back gives exactly the configuration that was
saved, for the default system, every shipped scenario and every housing option; the file says in its
header how to run it; ``flowsim --config-dir DIR --config-name NAME`` makes the same results as the
overrides that composed it; and a sweep over a saved file (``flowsim -m --config-name NAME``) finishes
and writes its comparison (the sweep's validation composes the saved file, not the root config).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from omegaconf import OmegaConf

from flowsim.model.compose import config_dir, load_config
from flowsim.model.saved import read_saved, saved_text, write_saved

SCENARIOS = sorted(p.stem for p in (config_dir() / "scenario").glob("*.yaml"))
HOUSING = ["step_down_flats", "coordinator_scheme", "off"]
QUICK_30 = ["scenario=quick", "services.ic_beds.capacity=30", "replications=2"]


def _composed(overrides: list[str]) -> dict:
    return OmegaConf.to_container(load_config(overrides), resolve=True)


def _flowsim(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flowsim", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)


def _header(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return lines


def test_there_are_shipped_scenarios_to_check():
    assert "quick" in SCENARIOS and "winter_surge" in SCENARIOS and len(SCENARIOS) >= 8


@pytest.mark.parametrize("overrides", [[], *([f"scenario={s}"] for s in SCENARIOS),
                                       *([f"housing={h}"] for h in HOUSING)],
                         ids=lambda o: o[0] if o else "default")
def test_saved_file_reads_back_as_the_config_that_was_saved(tmp_path, overrides):
    config = _composed(overrides)
    path = write_saved(config, tmp_path / "plan.yaml", "a plan")
    back = read_saved(path)
    assert back == config
    # and with the same types (30 is not 30.0): the run's identity hashes the JSON of the config
    assert json.dumps(back, sort_keys=True) == json.dumps(config, sort_keys=True)


def test_an_edited_value_survives_the_round_trip(tmp_path):
    config = _composed(["scenario=quick"])
    config["services"]["ic_beds"]["capacity"] = 31
    config["services"]["care_home_unit"]["admission"]["days"] = ["Mon", "Wed"]
    back = read_saved(write_saved(config, tmp_path / "edited.yaml"))
    assert back["services"]["ic_beds"]["capacity"] == 31
    assert back["services"]["care_home_unit"]["admission"]["days"] == ["Mon", "Wed"]
    assert back["run"]["horizon_days"] == 180  # still the quick scenario, not the root config


def test_header_names_the_command_that_runs_the_file(tmp_path):
    path = write_saved(_composed(["scenario=quick"]), tmp_path / "winter_plan.yaml", "Winter plan for ward 7")
    header = _header(path.read_text(encoding="utf-8"))
    assert header, "the file starts with comment lines"
    text = "\n".join(header)
    assert "flowsim --config-dir FOLDER --config-name winter_plan" in text
    assert "Winter plan for ward 7" in text
    # the text saved_text gives is the file's, under the name it is given
    assert "--config-name other" in saved_text(_composed(["scenario=quick"]), "other")


def test_saved_file_is_a_primary_config_with_the_root_hydra_block(tmp_path):
    path = write_saved(_composed(["scenario=quick"]), tmp_path / "plan.yaml")
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert document["defaults"][0] == "flowsim_schema"
    assert {"override hydra/launcher": "flowsim"} in document["defaults"]
    assert {"override hydra/sweeper": "flowsim"} in document["defaults"]
    callbacks = document["hydra"]["callbacks"]
    assert callbacks["validate"]["_target_"] == "flowsim.cli.callbacks.ValidateSweep"
    assert callbacks["collect"]["_target_"] == "flowsim.cli.callbacks.CollectSweep"


@pytest.fixture(scope="module")
def saved_quick_30(tmp_path_factory):
    """The saved file of scenario=quick with 30 IC beds and 2 replications, and its folder."""
    folder = tmp_path_factory.mktemp("saved")
    write_saved(_composed(QUICK_30), folder / "quick30.yaml", "quick, 30 IC beds")
    return folder


def test_running_the_saved_file_gives_the_same_results_as_the_overrides(tmp_path, saved_quick_30):
    by_file = _flowsim(tmp_path, "--config-dir", str(saved_quick_30), "--config-name", "quick30",
                       "hydra.run.dir=A")
    assert by_file.returncode == 0, by_file.stderr
    by_overrides = _flowsim(tmp_path, *QUICK_30, "hydra.run.dir=B")
    assert by_overrides.returncode == 0, by_overrides.stderr
    a, b = tmp_path / "A", tmp_path / "B"
    assert (a / "metrics.json").read_bytes() == (b / "metrics.json").read_bytes()
    assert (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes()
    assert json.loads((a / "metrics.json").read_text())["replications"] == 2


def test_a_sweep_of_the_saved_file_finishes_and_writes_its_comparison(tmp_path, saved_quick_30):
    proc = _flowsim(tmp_path, "-m", "--config-dir", str(saved_quick_30), "--config-name", "quick30",
                    "services.ic_beds.capacity=30,40", "hydra.sweep.dir=S")
    assert proc.returncode == 0, proc.stderr
    assert "error" not in proc.stderr
    sweep = tmp_path / "S"
    comparison = pd.read_csv(sweep / "comparison.csv")
    assert sorted(comparison["services.ic_beds.capacity"]) == [30, 40]
    # each job ran the saved scenario (quick, 2 replications), not the root config
    for job in ("0", "1"):
        manifest = json.loads((sweep / job / "manifest.json").read_text())
        assert manifest["config"]["replications"] == 2
        assert manifest["config"]["run"]["horizon_days"] == 180
