"""The package follows the data flow: each layer imports only from the layers before it.

model (config -> scenario -> SimPy run -> event log) <- measures (KPIs, aggregation) <- experiment
(replications, sweeps, checkpoints, comparison) <- calibration (parameters from data and from observed
aggregates) <- sizing (capacity mixes by simulation optimisation) <- reporting (summaries, plots,
report, board pack) <- cli <- app (the planner's web app, over the CLI). ``flowsim.theory`` stands
alone; the top-level ``flowsim/__init__.py`` and ``__main__.py`` are the facade over all of them.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

import flowsim

PACKAGE = Path(flowsim.__file__).resolve().parent
LAYERS = ("model", "measures", "experiment", "calibration", "sizing", "reporting", "cli", "app")
STANDALONE = {"theory"}  # imports nothing from flowsim
FACADE = {"__init__", "__main__"}


def _imported_modules(tree: ast.Module) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module != "flowsim":
                found.append((node.lineno, node.module))
                continue
            for alias in node.names:  # from flowsim import x: a layer, theory, or a facade name
                known = alias.name in LAYERS or alias.name in STANDALONE
                found.append((node.lineno, f"flowsim.{alias.name}" if known else "flowsim"))
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or "")))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return found


def layering_violations(package: Path) -> list[str]:
    """Every import in ``package`` that goes up the layers, sideways out of theory, or is relative.

    Also every module outside the layers (a new flat module must choose its layer).
    """
    problems = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if parts[0] in {"notebooks", "configs", "data"}:
            continue
        where = "/".join(parts) + ".py"
        if len(parts) == 1:
            if parts[0] in FACADE:
                continue
            if parts[0] not in STANDALONE:
                problems.append(f"{where}: a module outside the layers {LAYERS}; move it into one")
                continue
            own = -1  # theory: may import no flowsim module at all
        elif parts[0] in LAYERS:
            own = LAYERS.index(parts[0])
        else:
            problems.append(f"{where}: package {parts[0]!r} is not one of the layers {LAYERS}")
            continue
        for line, name in _imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            if name.startswith("."):
                problems.append(f"{where}:{line}: relative import {name!r}; import flowsim.<layer>...")
                continue
            bits = name.split(".")
            if bits[0] != "flowsim":
                continue
            if len(bits) == 1:
                problems.append(f"{where}:{line}: imports the facade 'flowsim'; import from its layer")
            elif bits[1] in STANDALONE and own >= 0:
                continue
            elif bits[1] not in LAYERS or LAYERS.index(bits[1]) > own:
                problems.append(f"{where}:{line}: {name} is above {parts[0]} in {' <- '.join(LAYERS)}")
    return problems


def test_imports_only_go_down_the_layers():
    assert layering_violations(PACKAGE) == []


@pytest.mark.parametrize(("module", "line", "expected"), [
    ("model/rng.py", "from flowsim.measures.metrics import compute_metrics",
     "model/rng.py:{n}: flowsim.measures.metrics is above model"),
    ("measures/intervals.py", "import flowsim.experiment.io",
     "measures/intervals.py:{n}: flowsim.experiment.io is above measures"),
    ("experiment/lock.py", "from flowsim.reporting import plots",
     "experiment/lock.py:{n}: flowsim.reporting is above experiment"),
    ("reporting/features.py", "from flowsim.cli.main import main",
     "reporting/features.py:{n}: flowsim.cli.main is above reporting"),
    ("theory.py", "from flowsim.model.rng import stream_key",
     "theory.py:{n}: flowsim.model.rng is above theory"),
    ("model/draws.py", "from flowsim import simulate",
     "model/draws.py:{n}: imports the facade 'flowsim'"),
    ("model/draws.py", "from . import rng", "model/draws.py:{n}: relative import '.'"),
])
def test_a_planted_upward_import_is_found(tmp_path, module, line, expected):
    copy = tmp_path / "flowsim"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    n = len(target.read_text(encoding="utf-8").splitlines()) + 1
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    found = layering_violations(copy)
    assert len(found) == 1 and found[0].startswith(expected.format(n=n + 1)), found


def test_a_new_flat_module_must_choose_a_layer(tmp_path):
    copy = tmp_path / "flowsim"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "helpers.py").write_text("x = 1\n", encoding="utf-8")
    assert layering_violations(copy) == [
        f"helpers.py: a module outside the layers {LAYERS}; move it into one"]


def test_every_layer_states_its_role_and_public_names():
    import importlib

    for layer in LAYERS:
        module = importlib.import_module(f"flowsim.{layer}")
        assert module.__doc__ and len(module.__doc__.split()) > 30, layer
        for name in getattr(module, "__all__", []):
            assert getattr(module, name).__doc__, f"flowsim.{layer}.{name} has no docstring"
