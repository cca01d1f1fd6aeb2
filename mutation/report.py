"""Mutation-testing report of the modules that produce what users read (``make mutate``).

``mutmut run`` (configured in ``pyproject.toml``: which modules, which tests) plants one small fault at
a time in those modules and runs the tests that reach it. This script reads mutmut's results from
``mutants/`` and writes ``mutation/REPORT.md``: per module, how many mutants the tests killed, how many
survived, and which survivors were judged *equivalent* (the program behaves the same, so no test can
kill them), each with its reason from ``mutation/equivalent.toml``.

Score = killed / (mutants - equivalent). Exit code 1 when a module scores under the target or a
survivor is neither killed nor explained; an explanation whose mutated line no longer matches the
mutant of that name (the code moved) is reported as stale.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_PCT = 90.0
KILLED = {1, 3, 24, -24, 36, 152, 255, 37}  # test failure, pytest internal error, timeouts, type check
SURVIVED = {0, 5, 33}  # tests passed, or no test reached the mutant


@dataclass(frozen=True)
class Mutant:
    """One mutant: its name, module, status and the line it changed."""

    name: str
    module: str
    killed: bool
    line: str


def _modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return sorted(config["only_mutate"])


def _changed_line(name: str, path: Path) -> str:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    added = [line[1:].strip() for line in get_diff_for_mutant(name, path=path).splitlines()
             if line.startswith("+") and not line.startswith("+++")]
    return " | ".join(added) if added else "(line removed)"


def collect(modules: list[str]) -> list[Mutant]:
    """Every mutant of ``modules`` that mutmut has checked."""
    mutants = []
    for module in modules:
        meta = ROOT / "mutants" / f"{module}.meta"
        if not meta.is_file():
            raise SystemExit(f"mutation/report.py: no mutmut results for {module}; run make mutate first "
                             "(or name the modules to report: mutation/report.py flowsim/x.py ...)")
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in sorted(codes.items()):
            if code is None:
                continue  # not checked yet (an interrupted run)
            killed = code in KILLED
            line = "" if killed else _changed_line(name, Path(module))
            mutants.append(Mutant(name, module, killed, line))
    return mutants


def load_equivalent(path: Path) -> dict[str, dict[str, str]]:
    """Explanations of equivalent mutants: name -> {"mutated": line, "why": reason}."""
    if not path.is_file():
        return {}
    return {m["name"]: m for m in tomllib.loads(path.read_text()).get("mutant", [])}


def render(mutants: list[Mutant], equivalent: dict[str, dict[str, str]]) -> tuple[str, bool]:
    """The report as Markdown, and whether every module meets the target with nothing unexplained."""
    by_module: dict[str, list[Mutant]] = defaultdict(list)
    for m in mutants:
        by_module[m.module].append(m)
    rows, unexplained, explained, stale = [], [], [], []
    ok = True
    for module, items in sorted(by_module.items()):
        killed = sum(m.killed for m in items)
        equal = [m for m in items if not m.killed and m.name in equivalent
                 and equivalent[m.name].get("mutated", "").strip() == m.line]
        stale += [m for m in items if not m.killed and m.name in equivalent and m not in equal]
        open_ = [m for m in items if not m.killed and m not in equal]
        denominator = len(items) - len(equal)
        score = 100.0 * killed / denominator if denominator else 100.0
        ok &= score >= TARGET_PCT and not open_
        rows.append(f"| `{module}` | {len(items)} | {killed} | {len(equal)} | {len(open_)} | "
                    f"{score:.1f} % |")
        unexplained += open_
        explained += equal
    total = len(mutants)
    killed = sum(m.killed for m in mutants)
    lines = [
        "# Mutation testing report",
        "",
        f"Written by `make mutate` on {dt.date.today().isoformat()} (mutmut "
        f"{metadata.version('mutmut')}). Each mutant is one small fault planted in a module; the tests "
        "listed under `[tool.mutmut]` in `pyproject.toml` ran against it. Score = killed / (mutants - "
        f"equivalent); target {TARGET_PCT:g} % per module, and every survivor killed or explained.",
        "",
        "| module | mutants | killed | equivalent | survived, unexplained | score |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        f"| all | {total} | {killed} | {len(explained)} | {len(unexplained)} | "
        f"{100.0 * killed / max(1, total - len(explained)):.1f} % |",
        "",
    ]
    if unexplained:
        lines += ["## Survivors to kill or explain", ""]
        lines += [f"- `{m.name}`: `{m.line}`" for m in unexplained]
        lines.append("")
    if stale:
        lines += ["## Stale explanations (the mutant of that name now changes another line)", ""]
        lines += [f"- `{m.name}`: now `{m.line}`" for m in stale]
        lines.append("")
    lines += ["## Equivalent mutants", "",
              "Survivors that cannot be killed because the program behaves the same; reasons from "
              "`mutation/equivalent.toml`.", ""]
    lines += [f"- `{m.name}`: `{m.line}` — {equivalent[m.name]['why']}" for m in explained]
    return "\n".join(lines) + "\n", ok and not stale


def main(argv: list[str]) -> None:
    """Write ``mutation/REPORT.md``; exit 1 if a module misses the target or a survivor is unexplained.

    ``argv``: module paths to report (default: every module of ``[tool.mutmut] only_mutate``).
    """
    modules = argv or _modules()
    text, ok = render(collect(modules), load_equivalent(ROOT / "mutation" / "equivalent.toml"))
    (ROOT / "mutation" / "REPORT.md").write_text(text, encoding="utf-8")
    print(text.split("\n## ")[0])
    print("mutation/REPORT.md written")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
