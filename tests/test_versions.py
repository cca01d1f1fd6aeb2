"""``--version`` of every command, and the versions a manifest records (flowsim/model/versions.py)."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from flowsim.model.errors import ArgumentParser
from flowsim.model.versions import PACKAGES, package_versions, version_line

SCRIPTS = ["flowsim", "flowsim-collect", "flowsim-board", "flowsim-warmup", "flowsim-report",
           "flowsim-calibrate", "flowsim-size", "flowsim-app"]


def test_the_versions_are_the_installed_packages():
    versions = package_versions()
    assert list(versions) == list(PACKAGES)
    assert versions["flowsim"] == metadata.version("flowsim") and versions["numpy"] == np.__version__


def test_a_missing_package_is_none_and_said_so(uninstall):
    uninstall("scipy")
    assert package_versions()["scipy"] is None
    assert "scipy not installed" in version_line()


def test_the_line_names_flowsim_first_then_python_and_each_library():
    line = version_line()
    assert line.startswith(f"flowsim {metadata.version('flowsim')} (Python {platform.python_version()}; ")
    for name in PACKAGES[1:]:
        assert f"{name} {metadata.version(name)}" in line
    assert "\n" not in line


def test_every_parser_takes_version_and_lists_it(capsys):
    parser = ArgumentParser(prog="flowsim-example")
    parser.add_argument("folder")
    assert "--version" in parser.format_help()
    with pytest.raises(SystemExit) as stop:
        parser.parse_args(["--version"])  # the required folder is not asked for
    assert stop.value.code == 0 and capsys.readouterr().out == version_line() + "\n"


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_command_prints_flowsims_version_not_hydras(script):
    command = Path(sys.executable).parent / script
    if not command.exists():
        pytest.skip(f"{script} is not installed beside this interpreter")
    done = subprocess.run([str(command), "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, version_line() + "\n", "")
