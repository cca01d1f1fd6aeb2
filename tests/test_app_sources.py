"""The app's starting points compose as the command line composes them.

Guards :mod:`flowsim.app.sources`: the picker lists the default system first, every shipped scenario
with the description from its file, a planner's own system (``system/NAME.yaml`` in a config folder;
"calibrated" when ``flowsim-calibrate``'s ``fits.csv`` is beside it) and their saved scenarios; each
composes to the configuration the CLI composes; the command shown with each runs that same
configuration when pasted into a shell; and a saved file with a mistake raises an error the CLI's
one-line message names.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from flowsim.app.sources import compose_source, list_sources
from flowsim.cli.config_errors import describe_error
from flowsim.model.compose import config_dir, load_config
from flowsim.model.saved import write_saved

SHIPPED = config_dir()
QUICK_TEXT = ("A small, fast variant of the default system for smoke tests and notebooks: a tenth of the "
              "arrivals and capacity, 60 days warm-up, 120 days observed and a 20-day cool-down.")


def _composed(overrides: list[str]) -> dict:
    return OmegaConf.to_container(load_config(overrides), resolve=True)


def _leading_comments(path: Path) -> str:
    """The file's first comment lines as words (the @package directive left out)."""
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if "@package" not in line:
            words += line.lstrip("#").split()
    return " ".join(words)


def _own_system(folder: Path, calibrated: bool = False) -> Path:
    """A config folder holding system/my_ics.yaml: the default system with other capacities."""
    text = (SHIPPED / "system" / "default.yaml").read_text(encoding="utf-8")
    text = text.replace("# The default system: a BNSSG-sized", "# My ICS: a smaller", 1)
    text = text.replace("capacity: 388", "capacity: 300", 1).replace("capacity: 453", "capacity: 400", 1)
    (folder / "system").mkdir(parents=True)
    (folder / "system" / "my_ics.yaml").write_text(text, encoding="utf-8")
    if calibrated:
        (folder / "fits.csv").write_text("parameter,family,aic\nlos,lognormal,1.0\n", encoding="utf-8")
    return folder


def _by_label(sources) -> dict:
    return {s.label: s for s in sources}


def _cli_config(cwd: Path, command: str) -> dict:
    """The job config the CLI composes for ``command`` (as typed into a shell), via ``--cfg job``."""
    words = shlex.split(command)
    assert words[0] == "flowsim"
    proc = subprocess.run([sys.executable, "-m", "flowsim", *words[1:], "--cfg", "job"], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return OmegaConf.to_container(OmegaConf.create(proc.stdout), resolve=True)


def test_default_system_comes_first():
    sources = list_sources()
    first = sources[0]
    assert (first.kind, first.label, first.overrides) == ("system", "Default system", ())
    assert first.description.startswith("The default system: a BNSSG-sized integrated care system")
    assert "@package" not in first.description
    assert first.command == "flowsim"


def test_every_shipped_scenario_is_listed_with_its_description():
    listed = _by_label(list_sources())
    files = sorted((SHIPPED / "scenario").glob("*.yaml"))
    assert len(files) >= 8
    for path in files:
        source = listed[f"Scenario: {path.stem}"]
        assert source.overrides == (f"scenario={path.stem}",)
        assert source.description == _leading_comments(path)
        assert source.description and "@package" not in source.description
    assert listed["Scenario: quick"].description == QUICK_TEXT


def test_every_published_scheme_is_a_starting_point_composing_as_the_cli_does():
    listed = _by_label(list_sources())
    files = sorted(p for p in (SHIPPED / "scheme").glob("*.yaml") if p.stem != "none")
    assert len(files) >= 8 and "Published scheme: none" not in listed  # none is the default system
    for path in files:
        source = listed[f"Published scheme: {path.stem}"]
        assert source.overrides == (f"scheme={path.stem}",)
        assert source.command == f"flowsim scheme={path.stem}"
        assert source.description == _leading_comments(path) and "@package" not in source.description
    roseberry = compose_source(listed["Published scheme: roseberry"])
    assert roseberry == _composed(["scheme=roseberry"])
    assert roseberry["housing"]["flats"]["roseberry"]["capacity"] == 10


def test_a_shipped_scenario_composes_as_the_cli_override_does():
    quick = _by_label(list_sources())["Scenario: quick"]
    assert compose_source(quick) == _composed(["scenario=quick"])
    assert compose_source(quick)["services"]["ic_beds"]["capacity"] == 39


def test_own_system_is_listed_and_composes_as_the_cli_does(tmp_path):
    folder = _own_system(tmp_path / "configs")
    listed = _by_label(list_sources([folder]))
    own = listed["Own system: my_ics"]
    assert own.kind == "own"
    assert own.description.startswith("My ICS: a smaller")
    assert "Calibrated system: my_ics" not in listed
    config = compose_source(own)
    assert config == _composed([f"hydra.searchpath=[file://{folder.resolve()}]", "system=my_ics"])
    assert config["services"]["ic_beds"]["capacity"] == 300
    assert config["services"]["p1_reablement"]["capacity"] == 400
    assert config["services"]["p3_interim_beds"]["capacity"] == 373  # the rest as the default system


def test_a_calibration_output_folder_is_a_calibrated_system(tmp_path):
    folder = _own_system(tmp_path / "calibrated", calibrated=True)
    listed = _by_label(list_sources([folder]))
    assert listed["Calibrated system: my_ics"].kind == "calibrated"
    assert "Own system: my_ics" not in listed
    assert compose_source(listed["Calibrated system: my_ics"])["services"]["ic_beds"]["capacity"] == 300


def test_a_config_folder_scenario_is_listed_unless_it_shadows_a_shipped_one(tmp_path):
    folder = _own_system(tmp_path / "configs")
    (folder / "scenario").mkdir()
    (folder / "scenario" / "more_beds.yaml").write_text(
        "# @package _global_\n# Ten more IC beds.\nservices:\n  ic_beds: {capacity: 49}\n", encoding="utf-8")
    (folder / "scenario" / "quick.yaml").write_text("# @package _global_\n# Not the shipped quick.\n",
                                                     encoding="utf-8")
    sources = list_sources([folder])
    labels = [s.label for s in sources]
    assert labels.count("Scenario: quick") == 1
    mine = _by_label(sources)["Scenario: more_beds"]
    assert mine.description == "Ten more IC beds."
    assert compose_source(mine)["services"]["ic_beds"]["capacity"] == 49


def test_saved_scenarios_are_listed_and_compose_to_what_was_saved(tmp_path):
    saved = tmp_path / "saved"
    config = _composed(["scenario=quick", "services.ic_beds.capacity=33"])
    write_saved(config, saved / "plan_a.yaml", "thirty-three IC beds")
    write_saved(_composed(["scenario=quick"]), saved / "plan_b.yaml")
    sources = list_sources((), [saved])
    listed = _by_label(sources)
    assert [s.label for s in sources][-2:] == ["Saved scenario: plan_a", "Saved scenario: plan_b"]
    plan_a = listed["Saved scenario: plan_a"]
    assert plan_a.kind == "saved" and plan_a.overrides == ()
    assert plan_a.description.startswith("A flowsim scenario: thirty-three IC beds, saved by flowsim-app.")
    assert compose_source(plan_a) == config


@pytest.mark.parametrize("which", ["default", "scenario", "own", "saved"])
def test_the_command_shown_composes_the_same_config_in_a_shell(tmp_path, which):
    # a folder name with a space, as "My Documents" has: the command must still paste into a shell
    base = tmp_path / "my configs"
    folder = _own_system(base / "ics")
    write_saved(_composed(["scenario=quick", "services.ic_beds.capacity=33"]), base / "saved" / "plan.yaml")
    listed = _by_label(list_sources([folder], [base / "saved"]))
    source = listed[{"default": "Default system", "scenario": "Scenario: quick", "own": "Own system: my_ics",
                     "saved": "Saved scenario: plan"}[which]]
    run_dir = tmp_path / "elsewhere"  # the command does not depend on where it is run
    run_dir.mkdir()
    assert _cli_config(run_dir, source.command) == compose_source(source)


def _bad_saved_file(folder: Path) -> Path:
    path = write_saved(_composed(["scenario=quick"]), folder / "typo.yaml")
    text = path.read_text(encoding="utf-8")
    assert text.count("  capacity: 39\n") == 1
    path.write_text(text.replace("  capacity: 39\n", "  capacityy: 39\n"), encoding="utf-8")
    return path


def test_a_saved_file_with_an_unknown_key_gives_the_clis_one_line(tmp_path):
    path = _bad_saved_file(tmp_path / "saved")
    source = _by_label(list_sources((), [path.parent]))["Saved scenario: typo"]
    with pytest.raises(Exception) as caught:  # whatever Hydra raises: the line is the contract
        compose_source(source)
    line = describe_error(caught.value)
    assert line is not None
    assert "\n" not in line
    assert line.startswith("services.ic_beds.capacityy: unknown key")
    assert "services.ic_beds.capacity?" in line  # the fix names the key meant
    # the same line the command line prints for the same file
    proc = subprocess.run([sys.executable, "-m", "flowsim", "--config-dir", str(path.parent), "--config-name",
                           "typo", f"hydra.run.dir={tmp_path / 'never'}"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"flowsim: error: {line}"


def test_an_opened_file_never_replaces_another_of_the_same_name(tmp_path):
    """Every download is scenario.yaml: a second one opened replaced the first, and the page kept showing
    the first's settings under the name it knew (found by a QA pass)."""
    from flowsim.app.sources import free_name

    target = tmp_path / "saved" / "scenario.yaml"
    assert free_name(target, b"a") == target  # a new name
    target.parent.mkdir()
    target.write_bytes(b"a")
    assert free_name(target, b"a") == target  # the same file opened again: its own name
    assert free_name(target, b"b") == tmp_path / "saved" / "scenario_2.yaml"
    (tmp_path / "saved" / "scenario_2.yaml").write_bytes(b"b")
    assert free_name(target, b"c") == tmp_path / "saved" / "scenario_3.yaml"
    assert free_name(target, b"b") == tmp_path / "saved" / "scenario_2.yaml"


def test_an_opened_file_that_is_not_a_scenario_is_reported_and_not_kept(tmp_path):
    """A failed upload stayed listed under Start from for the rest of the session, though it could
    never be a starting point (found by a QA pass)."""
    from flowsim.app.sources import keep_upload

    folder = tmp_path / "saved"
    kept, problem = keep_upload(folder, "notes.yml", b"hello: world\n")
    assert kept is None and problem == (
        "services: is not set: the file is not a flowsim scenario (it sets no unit); fix: open a scenario "
        "saved from this app, or a flowsim system file (flowsim --cfg job prints one)")
    typo = b"defaults:\n  - flowsim_schema\n  - _self_\nservices_typo: 3\n"
    kept, problem = keep_upload(folder, "typo.yaml", typo)
    assert kept is None and "services_typo: unknown key" in problem and "\n" not in problem
    assert list_sources((), [folder])[-1].kind != "saved"  # neither file is offered as a starting point
    assert not list(folder.glob("*.yaml"))

    good = tmp_path / "plan.yaml"
    write_saved(_composed(["scenario=quick"]), good)
    kept, problem = keep_upload(folder, "plan.yaml", good.read_bytes())
    assert problem is None and kept == folder / "plan.yaml" and kept.read_bytes() == good.read_bytes()
    # a broken file opened under the name of one kept: the kept one stays, and is still listed
    kept_again, problem = keep_upload(folder, "plan.yaml", b"hello: world\n")
    assert kept_again is None and problem.startswith("services: is not set")
    assert [s.label for s in list_sources((), [folder])][-1] == "Saved scenario: plan"
    assert not (folder / "plan_2.yaml").exists()


def test_an_opened_file_does_not_take_the_name_of_a_shared_scenario(tmp_path):
    """A file opened under the name of a scenario in the workspace's saved/ folder was listed under the
    same label, and picking it opened the shared one instead (found by a QA pass)."""
    from flowsim.app.sources import free_name, keep_upload

    shared, folder = tmp_path / "shared", tmp_path / "session"
    shared.mkdir()
    write_saved(_composed(["scenario=quick"]), shared / "plan.yaml")
    good = tmp_path / "plan.yaml"
    write_saved(_composed(["scenario=quick", "services.ic_beds.capacity=35"]), good)
    kept, problem = keep_upload(folder, "plan.yaml", good.read_bytes(), [shared])
    assert problem is None and kept == folder / "plan_2.yaml"
    labels = [s.label for s in list_sources((), [shared, folder])]
    assert len(labels) == len(set(labels)) and "Saved scenario: plan_2" in labels
    # saved again under its own name: it replaces its own file, never takes a shared name
    assert free_name(folder / "plan_2.yaml", None, [shared]) == folder / "plan_2.yaml"
    assert free_name(folder / "plan.yaml", None, [shared]) == folder / "plan_2.yaml"
