"""A number YAML reads otherwise than written (010: octal 8; 1:30: base-60 90) is refused, naming its line
(flowsim.model.yaml_numbers): in a user's config file, in a data file, and never in flowsim's own."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flowsim.model.compose import config_dir
from flowsim.model.datafile import yaml_data
from flowsim.model.errors import ConfigError
from flowsim.model.shadowed import check_config_files
from flowsim.model.yaml_numbers import TrapRefusingLoader, check_yaml_numbers, misread
from tests.test_bad_input import run_in_process
from tests.test_shadowed import _hydra, _own

HEADER = "# @package _global_\ndefaults:\n  - default\n  - _self_\n"


@pytest.mark.parametrize(("text", "read_as", "fix"), [
    ("010", 8, "write 10"), ("-0755", -493, "write -755"), ("0_10", 8, "write 10"),
    ("1:30", 90, "without colons"), ("1:30.5", 90.5, "without colons"), ("-2:00:00", -7200, "without colons"),
])
def test_numbers_yaml_misreads_are_named_with_the_value_read(text, read_as, fix):
    assert yaml.load(text, Loader=yaml.SafeLoader) == read_as  # what YAML 1.1 does with them
    problem, advice = misread(text, read_as)
    assert problem.startswith(f"{text} is read by YAML as {read_as:g}") and fix in advice


@pytest.mark.parametrize("text", ["10", "07", "00", "0", "0x1F", "0b101", "1_000", "2.5", "1e3", ".5", "-3"])
def test_numbers_read_as_written_pass(text):
    assert misread(text, yaml.load(text, Loader=yaml.SafeLoader)) is None
    line = f"n: {text}"
    assert yaml.load(line, Loader=TrapRefusingLoader) == yaml.load(line, Loader=yaml.SafeLoader)


def test_quoted_text_is_text_as_meant():
    quoted = yaml.load('code: "010"\ntime: \'1:30\'', Loader=TrapRefusingLoader)
    assert quoted == {"code": "010", "time": "1:30"}


def _user_system(tmp_path: Path, body: str) -> Path:
    return _own(tmp_path, "system/my_ics.yaml", HEADER + body)


@pytest.mark.parametrize(("body", "line", "key", "read_as"), [
    ("services:\n  ic_beds:\n    capacity: 010\n", 7, "services.ic_beds.capacity", "8"),
    ("services:\n  ic_beds:\n    los_days: {kind: lognormal, mean: 1:30, sd: 24}\n", 7,
     "services.ic_beds.los_days.mean", "90"),
    ("arrivals:\n  month_factors: [1, 1, 1, 1, 1, 01.0, 1, 1, 1, 1, 1, 1:00.5]\n", 6,
     "arrivals.month_factors[11]", "60.5"),
])
def test_a_user_config_file_with_a_misread_number_is_refused_with_its_line_and_key(tmp_path, body, line, key,
                                                                                  read_as):
    folder = _user_system(tmp_path, body)
    with pytest.raises(ConfigError) as refused:
        check_config_files(_hydra(folder, choices={"system": "my_ics"}))
    assert refused.value.field == str(folder / "system/my_ics.yaml")
    assert refused.value.problem.startswith(f"line {line} ({key}): ")
    assert f"is read by YAML as {read_as}:" in refused.value.problem


def test_a_user_config_file_of_plain_numbers_passes(tmp_path):
    folder = _user_system(tmp_path, "services:\n  ic_beds:\n    capacity: 10\n    los_days: {mean: 1.5}\n")
    check_config_files(_hydra(folder, choices={"system": "my_ics"}))


def test_the_run_stops_with_one_line_and_exit_code_2_before_anything_runs(tmp_path, capsys, monkeypatch):
    folder = _user_system(tmp_path, "services:\n  ic_beds:\n    capacity: 010\n")
    out = tmp_path / "run"
    code, stdout, stderr = run_in_process([f"--config-dir={folder}", "system=my_ics", "scenario=quick",
                                           f"hydra.run.dir={out}"], capsys, monkeypatch)
    assert code == 2 and stdout == "" and "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines() == [
        f"flowsim: error: {folder / 'system/my_ics.yaml'}: line 7 (services.ic_beds.capacity): 010 is read "
        "by YAML as 8: a number with a leading zero is octal; fix: write 10 without the leading zero"]
    assert not (out / "metrics.json").exists()


def test_a_data_file_with_a_misread_number_is_refused_with_its_line(tmp_path):
    census = tmp_path / "census.yaml"
    with pytest.raises(ConfigError) as refused:
        yaml_data("units:\n  ic_beds: {count: 5}\n  p1_reablement: {count: 030}\n", census,
                  "run.initial_census")
    assert str(refused.value) == (
        "run.initial_census: census.yaml line 3: 030 is read by YAML as 24: a number with a leading zero is "
        "octal; fix: write 30 without the leading zero")


def test_flowsims_own_config_files_have_no_misread_number():
    files = sorted(config_dir().rglob("*.yaml"))
    assert len(files) > 20
    for file in files:
        check_yaml_numbers(file)


def test_the_check_of_flowsims_own_files_can_fail(tmp_path):
    planted = tmp_path / "default.yaml"
    text = (config_dir() / "system/default.yaml").read_text(encoding="utf-8")
    planted.write_text(text.replace("capacity: 20", "capacity: 020", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"020 is read by YAML as 16"):
        check_yaml_numbers(planted)
