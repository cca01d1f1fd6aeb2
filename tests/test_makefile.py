"""The Makefile byte-compiles flowsim's own modules before each command that runs it.

pip compiles what it installs but not an editable project's sources. Where PYTHONDONTWRITEBYTECODE is
set (this sandbox, some CI machines) Python never writes them either, so every process (a run, a sweep
job, a notebook kernel, a test's subprocess) would compile about 150 modules again: 0.3 s of CPU each.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"run": "bin/flowsim", "test": "-m pytest", "app": "bin/flowsim-app",
           "report": "bin/flowsim experiment=care_home_units", "bench": "benchmarks/bench_targets.py"}


def _dry_run(target: str) -> list[str]:
    """The commands ``make -n TARGET`` would run, once the environment is installed."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    done = subprocess.run(["make", "-n", "-C", str(ROOT), target], capture_output=True, text=True,
                          check=True)
    return [line for line in done.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("target", TARGETS)
def test_each_command_compiles_the_project_before_it_starts(target):
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("no .venv: make would install it first")
    lines = _dry_run(target)
    compiling = [i for i, line in enumerate(lines) if "-m compileall" in line]
    running = [i for i, line in enumerate(lines) if TARGETS[target] in line]
    assert compiling and running, lines
    assert compiling[0] < running[0]
    assert lines[compiling[0]].split()[-2:] == ["flowsim", "hydra_plugins"]


def test_compileall_writes_cached_modules_even_where_python_would_not(tmp_path):
    copy = tmp_path / "flowsim"
    shutil.copytree(ROOT / "flowsim" / "model", copy, ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", str(copy)], env=env, check=True)
    sources = sorted(copy.rglob("*.py"))
    assert sources
    missing = [p.name for p in sources if not Path(importlib.util.cache_from_source(str(p))).exists()]
    assert not missing


def test_make_test_hands_out_the_longest_files_first():
    from conftest import LONGEST_FIRST, pytest_collection_modifyitems

    assert not [name for name in LONGEST_FIRST if not (ROOT / "tests" / name).is_file()]
    if (ROOT / ".venv" / "bin" / "python").exists():
        (command,) = [line for line in _dry_run("test") if "-m pytest" in line]
        assert "--dist loadfile --no-loadscope-reorder" in command  # xdist's own order: most tests first

    class Item:
        def __init__(self, name: str, number: int) -> None:
            self.path, self.number = ROOT / "tests" / name, number

    first, second = LONGEST_FIRST[:2]
    items = [Item("test_a.py", 0), Item(second, 1), Item("test_b.py", 2), Item(first, 3), Item(second, 4)]
    pytest_collection_modifyitems(items)
    assert [(item.path.name, item.number) for item in items] == [
        (first, 3), (second, 1), (second, 4), ("test_a.py", 0), ("test_b.py", 2)]


def test_the_installed_packages_are_byte_compiled():
    # make installs with pip's --no-compile and then compiles site-packages on every core: without that
    # step each process would compile the libraries it imports (PYTHONDONTWRITEBYTECODE keeps it from
    # writing them), seconds of CPU in every run, sweep job and test subprocess
    sources = [importlib.util.find_spec(name).origin for name in ("simpy", "yaml", "hydra.compose")]
    missing = [p for p in sources if not Path(importlib.util.cache_from_source(p)).exists()]
    assert not missing, "make's install left these uncompiled (compileall of site-packages skipped?)"


def test_pytest_keeps_this_module_rewritten():
    # tests/conftest.py lets pytest write the test modules it rewrites even under PYTHONDONTWRITEBYTECODE:
    # rewriting them is most of collecting the suite, in each worker of every run
    kept = Path(__file__).parent / "__pycache__" / (
        f"{Path(__file__).stem}.{sys.implementation.cache_tag}-pytest-{pytest.__version__}.pyc")
    assert kept.is_file()
