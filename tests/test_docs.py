"""The documentation stays true to the configs and self-contained (it cannot drift silently)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from flowsim.model.compose import config_dir, load_config

ROOT = Path(__file__).resolve().parents[1]
MODEL_DOC = ROOT / "docs" / "model.md"
# What users read: the README, docs, configs, the shipped data note, notebooks' and experiments' notes.
USER_FACING = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")),
               *sorted(config_dir().rglob("*.yaml")), ROOT / "flowsim" / "data" / "README.md",
               *sorted((ROOT / "flowsim" / "notebooks").glob("*")),
               *sorted((ROOT / "experiments").rglob("README.md"))]
OUTSIDE = ("MODEL.md", "../shared", "/work/shared", "shared/data", "seeds/")


def test_user_facing_text_points_only_inside_the_repository():
    offending = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                 for path in USER_FACING if path.is_file()
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if any(marker in line for marker in OUTSIDE)]
    assert not offending, "\n".join(offending)


def test_relative_links_in_the_docs_resolve():
    broken = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
            if "://" not in target and not (path.parent / target).exists():
                broken.append(f"{path.relative_to(ROOT)} -> {target}")
    assert not broken, broken


def test_every_scenario_and_experiment_is_documented():
    text = MODEL_DOC.read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in sorted(p.stem for p in (config_dir() / "scenario").glob("*.yaml")):
        assert f"| `{name}` |" in text, name
        assert name in readme, name
    for name in sorted(p.stem for p in (config_dir() / "experiment").glob("*.yaml")):
        assert f"| `experiment={name}` |" in text, name


def _parameter_rows() -> list[tuple[str, list[str], list[str], str]]:
    """(parameter, overrides, config keys, default cell) of each row of the default-parameters table."""
    text = MODEL_DOC.read_text(encoding="utf-8")
    section = text.split("### 3.3 Input parameters", 1)[1]
    table = section[section.index("| parameter |"):].split("\n\n", 1)[0]
    rows = []
    for line in table.splitlines()[2:]:
        parameter, config, default, _ = (cell.strip() for cell in line.strip("|").split("|"))
        tokens = re.findall(r"`([^`]+)`", config)
        rows.append((parameter, [t for t in tokens if "=" in t], [t for t in tokens if "=" not in t],
                     default))
    return rows


def _shows(default: str, value: float) -> bool:
    forms = {f"{value:g}", f"{value:,g}"}
    return any(re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d])", default) for form in forms)


def test_default_parameter_table_matches_the_configs():
    rows = _parameter_rows()
    checked = 0
    for parameter, overrides, keys, default in rows:
        cfg = load_config(overrides)
        for key in keys:
            value = OmegaConf.select(cfg, key)
            assert value is not None, f"{parameter}: {key} is not a config value"
            assert isinstance(value, int | float), f"{parameter}: {key} is not a number"
            assert _shows(default, value), f"{parameter}: {key} = {value} but the table says {default!r}"
            checked += 1
    assert len(rows) >= 25 and checked >= 50, (len(rows), checked)


@pytest.mark.parametrize("term", ["NCTR", "Delayed day", "P0–P3", "P2 blocking", "Admin delay",
                                  "p50, p90, p95", "Blocked bed-days", "Utilisation",
                                  "Common random numbers (CRN)", "Replication", "Warm-up"])
def test_glossary_defines_the_terms_planners_meet(term):
    assert f"**{term}" in (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("layer", ["model", "measures", "experiment", "calibration", "sizing", "reporting",
                                   "cli", "app"])
def test_every_module_has_its_api_reference(layer):
    page = (ROOT / "docs" / "reference" / "api" / f"{layer}.md").read_text(encoding="utf-8")
    modules = sorted(p.stem for p in (ROOT / "flowsim" / layer).glob("*.py") if p.stem != "__init__")
    missing = [m for m in modules if f"::: flowsim.{layer}.{m}\n" not in page]
    assert not missing, f"add to docs/reference/api/{layer}.md: " + ", ".join(missing)


def test_sphinx_roles_become_code_on_the_api_pages():
    import importlib.util

    spec = importlib.util.spec_from_file_location("sphinx_roles", ROOT / "docs" / "_ext" / "sphinx_roles.py")
    roles = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(roles)
    text = "Uses :func:`~flowsim.measures.metrics.compute_metrics` and :mod:`flowsim.model`, :class:`X`."
    assert roles.plain(text) == "Uses `compute_metrics` and `flowsim.model`, `X`."


def test_the_cluster_pages_slurm_settings_are_accepted():
    """Each ``hydra.launcher`` setting in the cluster page's table composes with the Slurm launcher, and
    every key it names exists (``additional_parameters={...}`` was refused: found by a QA pass)."""
    page = (ROOT / "docs" / "how-to" / "cluster.md").read_text(encoding="utf-8")
    rows = [line for line in page.splitlines() if line.startswith("| `") and "hydra.launcher." in line]
    overrides = [m.group(1) for line in rows
                 for m in re.finditer(r"`'(\+?hydra\.launcher\.[^`]*=[^`]*)'`", line)]
    keys = [m.group(1) for line in rows for m in re.finditer(r"`hydra\.launcher\.(\w+)", line)]
    keys += [m.group(1) for line in rows for m in re.finditer(r"(?<=`, `)(\w+)(?=`)", line)]
    assert len(overrides) >= 2 and {"partition", "account", "qos", "mem_gb", "timeout_min"} <= set(keys)
    proc = subprocess.run([sys.executable, "-m", "flowsim", "--cfg", "hydra", "-p", "hydra.launcher",
                           "hydra/launcher=submitit_slurm", *overrides],
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    launcher = yaml.safe_load(proc.stdout)
    assert set(keys) <= set(launcher)
    assert launcher["additional_parameters"] == {"mail-type": "END"}
    assert launcher["setup"][0] == "module load python/3.11"
