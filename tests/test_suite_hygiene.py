"""The suite's own rule: no test computes its expected value with flowsim code.

An expected value worked out by the function under test makes a test that cannot fail (a planted
fault changes both sides). Every variable a test names as its expectation (``expected``, ``want``,
``truth``, ``reference``, ``by_hand``, ``exact`` ...) must come from numbers, numpy/pandas/scipy or the
test's own helpers, never from a call into ``flowsim``. The exceptions are listed below, each with why
it is independent of what the test checks.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
EXPECTATION = re.compile(r"^_?(expected|expect|want|wanted|truth|reference|by_hand|hand|exact)", re.I)

# (test file, test function, flowsim name) -> why the call is not the code under test
INDEPENDENT = {
    ("test_queueing.py", "test_ample_capacity_occupancy_is_poisson_whatever_the_los", "theory"):
        "flowsim.theory holds closed-form queueing results checked against published tables in "
        "test_theory.py; here they are the reference the simulation is measured against",
    ("test_queueing.py", "test_tandem_with_ample_p2_beds_makes_p1_an_mmc_queue", "theory"):
        "the same closed-form Erlang-C reference",
    ("test_seasonality.py", "test_winter_month_multipliers_are_the_sitrep_ones", "month_multipliers"):
        "the test checks the shipped scenario YAML against the data; month_multipliers itself is "
        "checked against sums by hand in the same file",
    ("test_seasonality.py", "test_winter_month_multipliers_are_the_sitrep_ones", "sitrep_csv"):
        "the path of the shipped data file, not a computation",
    ("test_eventlog.py", "test_streamed_measures_and_patient_records_equal_those_of_the_whole_log",
     "episodes_frame"):
        "the test checks that two ways give one table (written part by part while the run streams, and "
        "from the whole log); episodes_frame itself is checked value by value in test_io.py",
}


def _flowsim_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "flowsim":
            names |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith("flowsim")}
    return names


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    while isinstance(func, ast.Attribute):
        func = func.value
    return func.id if isinstance(func, ast.Name) else None


def _targets(node: ast.Assign | ast.AnnAssign) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names = []
    for target in targets:
        elements = target.elts if isinstance(target, ast.Tuple | ast.List) else [target]
        names += [e.id for e in elements if isinstance(e, ast.Name)]
    return names


def expectations_from_flowsim(source: str, filename: str) -> list[tuple[str, int, str]]:
    """(test function, line, flowsim name) of every expectation computed by a call into flowsim."""
    tree = ast.parse(source)
    flowsim = _flowsim_names(tree)
    found = []
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        for node in ast.walk(function):
            if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
                continue
            if not any(EXPECTATION.match(name) for name in _targets(node)):
                continue
            for call in (c for c in ast.walk(node.value) if isinstance(c, ast.Call)):
                name = _called_name(call)
                if name in flowsim and (filename, function.name, name) not in INDEPENDENT:
                    found.append((function.name, node.lineno, name))
    return found


def test_the_check_finds_an_expectation_computed_by_the_code_under_test():
    source = ("from flowsim.measures.metrics import compute_metrics\nimport numpy as np\n"
              "def test_x(log):\n    expected = compute_metrics(log)['a']\n    want_b = np.mean([1, 2])\n"
              "    hand = 3\n    got = compute_metrics(log)\n    assert got['a'] == expected\n")
    assert expectations_from_flowsim(source, "test_x.py") == [("test_x", 4, "compute_metrics")]


@pytest.mark.parametrize("path", sorted(TESTS.glob("test_*.py")), ids=lambda p: p.name)
def test_no_expected_value_is_computed_by_flowsim(path):
    found = expectations_from_flowsim(path.read_text(encoding="utf-8"), path.name)
    assert not found, "; ".join(f"{path.name}:{line} {test} computes its expectation with {name}()"
                                for test, line, name in found)
