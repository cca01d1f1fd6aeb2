"""The mutation report's rows: which run each module's results are dated by (mutation/report.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "mutation" / "report.py"


@pytest.fixture(scope="module")
def report():
    spec = importlib.util.spec_from_file_location("mutation_report", _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def _row(text: str, module: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"| `{module}` |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def _render(report, stamp: str | None, killed: int = 2):
    module = "flowsim/x.py"
    mutants = [report.Mutant(f"flowsim.x.f__mutmut_{i}", module, i < killed, "" if i < killed else "y = 1")
               for i in range(3)]
    previous = {} if stamp is None else {
        module: report.Previous(("3", "2", "0", "1", "66.7 %", stamp), {})}
    text, _ = report.render(mutants, {}, [module], previous, "2026-12-02, new")
    return _row(text, module)


def test_results_that_match_the_previous_row_keep_its_date_and_commit(report):
    assert _render(report, "2026-11-30, old")[1:] == ["3", "2", "0", "1", "66.7 %", "2026-11-30, old"]


@pytest.mark.parametrize("stamp, killed", [
    (None, 2),  # no previous row
    ("2026-11-30, old", 3),  # other results: this run's
    ("2026-11-30, old (module changed since)", 2),  # the same counts, but on other code
])
def test_new_or_changed_results_are_dated_by_this_run(report, stamp, killed):
    assert _render(report, stamp, killed)[-1] == "2026-12-02, new"
