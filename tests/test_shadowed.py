"""A user's config file hidden by flowsim's own of the same name is refused (flowsim.model.shadowed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowsim.model.compose import config_dir, load_config
from flowsim.model.errors import ConfigError
from flowsim.model.shadowed import check_config_files
from tests.test_bad_input import run_in_process

OWN_SYSTEM = "# @package _global_\nseed: 777\n"


def _hydra(*folders: Path, choices: dict[str, str | None] | None = None, name: str = "config") -> dict:
    """The parts of a composed ``hydra`` section the check reads: flowsim's folder first, as Hydra's."""
    sources = [{"path": "hydra.conf", "schema": "pkg", "provider": "hydra"},
               {"path": str(config_dir()), "schema": "file", "provider": "main"}]
    sources += [{"path": str(f), "schema": "file", "provider": "command-line"} for f in folders]
    sources.append({"path": "", "schema": "structured", "provider": "schema"})
    chosen = {"system": "default", "housing": "default", "scenario": None, "hydra/launcher": "flowsim"}
    return {"job": {"config_name": name},
            "runtime": {"config_sources": sources, "choices": chosen | (choices or {})}}


def _own(tmp_path: Path, relative: str, text: str = OWN_SYSTEM) -> Path:
    path = tmp_path / "cfg" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return tmp_path / "cfg"


def test_a_chosen_file_hidden_by_flowsims_is_refused(tmp_path):
    folder = _own(tmp_path, "system/default.yaml")
    with pytest.raises(ConfigError) as refused:
        check_config_files(_hydra(folder))
    assert refused.value.field == str(folder / "system/default.yaml")
    assert str(config_dir() / "system/default.yaml") in str(refused.value)
    assert "system=my_default" in str(refused.value)


def test_the_primary_config_hidden_is_refused_and_another_name_is_not(tmp_path):
    folder = _own(tmp_path, "config.yaml", "seed: 7\n")
    with pytest.raises(ConfigError, match="--config-name my_config"):
        check_config_files(_hydra(folder))
    check_config_files(_hydra(folder, name="recommended"))  # config.yaml is then not read


@pytest.mark.parametrize(("relative", "choices"), [
    ("system/my_ics.yaml", {"system": "my_ics"}),  # the user's own name: read, nothing hides it
    ("scenario/winter_surge.yaml", {"scenario": "quick"}),  # same name as flowsim's, but not chosen
    ("hydra/launcher/flowsim.yaml", {}),  # Hydra's own settings are not flowsim's to check
])
def test_files_that_are_read_or_not_chosen_pass(tmp_path, relative, choices):
    check_config_files(_hydra(_own(tmp_path, relative), choices=choices))


def test_a_file_named_in_an_own_files_defaults_list_hidden_by_flowsims_is_refused(tmp_path):
    # the own-data pattern: system/my_ics.yaml builds on "default", beside an edited copy of it
    folder = _own(tmp_path, "system/default.yaml", "# @package _global_\narrivals:\n  rate_per_day: 5\n")
    _own(tmp_path, "system/my_ics.yaml", "# @package _global_\ndefaults:\n  - default\n  - _self_\nseed: 7\n")
    with pytest.raises(ConfigError) as refused:
        check_config_files(_hydra(folder, choices={"system": "my_ics"}))
    assert refused.value.field == str(folder / "system/default.yaml")
    assert refused.value.fix == ("rename it, e.g. to system/my_default.yaml, and name my_default in the "
                                 "defaults list of system/my_ics.yaml")


@pytest.mark.parametrize("entry", ["/scenario/quick", "mine", "optional_but_absent"])
def test_files_named_further_down_are_followed(tmp_path, entry):
    # my_ics -> mine (the user's, read) -> /scenario/quick, hidden by flowsim's scenario/quick.yaml
    folder = _own(tmp_path, "system/my_ics.yaml",
                  f"# @package _global_\ndefaults:\n  - {entry}\n  - _self_\n")
    _own(tmp_path, "system/mine.yaml", "# @package _global_\ndefaults:\n  - /scenario/quick\n  - _self_\n")
    _own(tmp_path, "scenario/quick.yaml", "# @package _global_\nseed: 3\n")
    if entry == "optional_but_absent":  # a name found in no folder: Hydra reports it, not this check
        check_config_files(_hydra(folder, choices={"system": "my_ics"}))
        return
    with pytest.raises(ConfigError) as refused:
        check_config_files(_hydra(folder, choices={"system": "my_ics"}))
    assert refused.value.field == str(folder / "scenario/quick.yaml")
    assert "name my_quick in the defaults list of system/" in refused.value.fix


def test_a_file_of_the_users_own_named_in_a_defaults_list_passes(tmp_path):
    folder = _own(tmp_path, "system/my_ics.yaml", "# @package _global_\ndefaults:\n  - default\n  - _self_\n")
    check_config_files(_hydra(folder, choices={"system": "my_ics"}))  # default: flowsim's, nothing hidden
    _own(tmp_path, "system/broken.yaml", "defaults: [\n")  # unreadable: the loader says so, not this check
    check_config_files(_hydra(folder, choices={"system": "broken"}))


def test_a_value_yaml_would_read_as_an_impossible_date_does_not_stop_the_check(tmp_path):
    # yaml.safe_load raised ValueError on it, and Hydra ran the job on flowsim's default.yaml
    folder = _own(tmp_path, "system/default.yaml")
    _own(tmp_path, "system/my_ics.yaml", "# @package _global_\ndefaults:\n  - default\n  - _self_\n"
                                         "services:\n  ic_beds:\n    description: 2025-02-30\n")
    with pytest.raises(ConfigError, match=r"name my_default in the defaults list of system/my_ics\.yaml"):
        check_config_files(_hydra(folder, choices={"system": "my_ics"}))


def test_a_bug_in_the_checks_before_a_run_stops_it(tmp_path, capsys, monkeypatch):
    # Hydra turns a callback's exception into a warning and runs the job anyway
    import flowsim.cli.callbacks as callbacks

    def broken(hydra):
        raise RuntimeError("a bug")

    monkeypatch.setattr(callbacks, "check_config_files", broken)
    out = tmp_path / "run"
    code, _, stderr = run_in_process(["scenario=quick", f"hydra.run.dir={out}"], capsys, monkeypatch)
    assert code == 1 and "RuntimeError: a bug" in stderr and "Traceback" in stderr
    assert not (out / "metrics.json").exists()


def test_flowsims_own_folder_given_again_is_not_hidden_by_itself():
    check_config_files(_hydra(config_dir()))


def test_a_sweep_stops_before_any_job(tmp_path, capsys, monkeypatch):
    folder = _own(tmp_path, "system/default.yaml")
    out = tmp_path / "sweep"
    code, stdout, stderr = run_in_process(["-m", f"--config-dir={folder}", "scenario=quick", "housing=off",
                                           "seed=1,2", f"hydra.sweep.dir={out}"], capsys, monkeypatch)
    assert code == 2 and stdout == "", stderr
    (line,) = stderr.splitlines()
    assert line.startswith("flowsim: error: sweep job 0") and "system=my_default" in line, line
    assert not out.exists()


def test_composing_in_python_refuses_it_too(tmp_path):
    folder = _own(tmp_path, "system/default.yaml")
    with pytest.raises(ConfigError, match="system=my_default"):
        load_config(["scenario=quick"], search_dir=folder)
    assert "hydra" not in load_config(["scenario=quick"], search_dir=_own(tmp_path / "b", "system/mine.yaml"))
