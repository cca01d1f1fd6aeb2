"""The human help of ``flowsim --help``: what it does, the config groups and scenarios, examples.

Hydra's own ``--help`` prints its generic text and the whole composed config, which tells a planner
little. This help is built from the shipped config folder (each option's first comment line is its
description), so a new scenario appears here without anyone editing the help.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

__all__ = ["GROUPS", "asks_for_help", "describe_option", "human_help", "print_help"]

GROUPS = {
    "system": "the health and care system: units, capacities, costs, pathway shares",
    "housing": "housing barriers to going home, and schemes that clear them",
    "scenario": "a change to the system: one question to ask",
    "scheme": "a published scheme from the source documents, as it was run, on any system",
    "experiment": "a ready-made sweep of options (runs as a sweep)",
}
DOCS = ("docs/ in the flowsim source: Getting started (planner, researcher, analyst), How-to, the model "
        "(STRESS-DES), every parameter and output column. `make docs` builds the site into site/.")


def describe_option(path: Path) -> str:
    """The first comment line of a config file that is not a Hydra directive, without its '#'."""
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if not text.startswith("#"):
            if text:
                break
            continue
        text = text.lstrip("#").strip()
        if text and not text.startswith("@package"):
            return text
    return ""


def human_help(config_dir: Path, prog: str = "flowsim", width: int = 100) -> str:
    """The help text, listing the options of each config group found under ``config_dir``."""
    lines = [
        f"usage: {prog} [GROUP=OPTION ...] [KEY=VALUE ...]        one run",
        f"       {prog} -m KEY=V1,V2,... [...]                    a sweep of options (one job each)",
        "",
        "Simulate patients who are discharge ready (NCTR) waiting in acute beds for simple discharge (P0),",
        "home care (P1), a short-term bed (P2), a care home (P3) or a housing fix; report delayed days,",
        "waits, occupancy and costs with confidence intervals. A run prints a summary and writes its",
        "tables to outputs/<date>/<time>/ (or hydra.run.dir=...).",
        "",
        "Config groups (GROUP=OPTION):",
    ]
    for group, role in GROUPS.items():
        folder = config_dir / group
        if not folder.is_dir():
            continue
        lines.append(f"  {group}: {role}")
        for option in sorted(folder.glob("*.yaml")):
            name = f"    {option.stem:<26} "
            about = textwrap.shorten(describe_option(option), width=max(20, width - len(name)),
                                     placeholder=" ...")
            lines.append((name + about).rstrip())
    lines += [
        "",
        "Main keys: seed, replications, n_jobs, run.warm_up_days, run.horizon_days,",
        "  services.<unit>.capacity, arrivals.rate_per_day, pathways.shares, precision.adaptive",
        "",
        "Examples:",
        f"  {prog} scenario=quick                                   a small system in seconds",
        f"  {prog} services.care_home_unit.capacity=40 replications=20 seed=7",
        f"  {prog} -m services.care_home_unit.capacity=0,20,40 replications=20   delayed days avoided",
        "",
        "More: flowsim-report RUN_OR_SWEEP_DIR (figures), flowsim-board SWEEP_DIR (board pack),",
        "flowsim-collect SWEEP_DIR (gather a sweep), flowsim-warmup (choose a warm-up),",
        "flowsim-calibrate (fit your data), flowsim-size SIZING.yaml (the cheapest capacity mix),",
        "flowsim-app (the web app: edit, run and compare in a browser; make app). All take --version.",
        f"Print the composed config: {prog} [overrides] --cfg job. Hydra's own options: {prog} --hydra-help.",
        "",
        *textwrap.wrap("Documentation: " + DOCS, width=width),
    ]
    return "\n".join(lines) + "\n"


def asks_for_help(argv: Sequence[str]) -> bool:
    """Whether a ``flowsim`` command line (without the program name) asks for the human help."""
    return any(arg in ("-h", "--help") for arg in argv)


def print_help() -> None:
    """``flowsim --help``: print :func:`human_help` for the configuration shipped with flowsim.

    Imports neither Hydra nor the model, so the help comes in a twentieth of a second.
    """
    from flowsim.model.compose import config_dir

    print(human_help(config_dir()), end="")
    sys.stdout.flush()
