"""Mutation-testing report of the modules that produce what users read (``make mutate``).

``mutmut run`` (configured in ``pyproject.toml``: which modules, which tests) plants one small fault at
a time in those modules and runs the tests that reach it. This script reads mutmut's results from
``mutants/`` and writes ``mutation/REPORT.md``: per module, how many mutants the tests killed, how many
survived, and which survivors were judged *equivalent* (the program behaves the same, so no test can
kill them), each with its reason from ``mutation/equivalent.toml``.

Score = killed / (mutants - equivalent). Exit code 1 when a module scores under the target or a
survivor is neither killed nor explained; an explanation whose mutated line no longer matches the
mutant of that name (the code moved) is reported as stale.

Each module's row says the date and commit its mutants were run at. A module with no results in
``mutants/`` (``make mutate MUTANTS=...`` ran only others) keeps its row and its lines from the previous
report as they were, with their date and commit, marked when the module's code has changed since. A
module whose results in ``mutants/`` match its previous row on unchanged code keeps that row's date and
commit too: they are the results of that earlier run, not of this one.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
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
            continue  # not run here: the previous report's row is kept (see previous_rows)
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


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def provenance() -> str:
    """Today's date and the commit the mutants ran at (``+ uncommitted changes`` when code differs)."""
    commit = _git("rev-parse", "--short", "HEAD") or "no git"
    dirty = _git("status", "--porcelain", "--", "flowsim", "tests", "pyproject.toml")
    return f"{dt.date.today().isoformat()}, {commit}" + (" + uncommitted changes" if dirty else "")


@dataclass(frozen=True)
class Previous:
    """A module's entry in the previous report: its table cells and its listed mutants."""

    cells: tuple[str, ...]  # mutants, killed, equivalent, unexplained, score, results of
    lines: dict[str, list[str]]  # section heading -> its bullet lines of this module


_SURVIVORS = "## Survivors to kill or explain"
_STALE = "## Stale explanations (the mutant of that name now changes another line)"
_EQUIVALENT = "## Equivalent mutants"
_ROW = re.compile(r"^\| `(?P<module>[^`]+)` \|(?P<cells>.*)\|$")
_CHANGED = " (module changed since)"  # appended to a kept row's date and commit
_WRITTEN = re.compile(r"^Written by `make mutate` on (\d{4}-\d{2}-\d{2})")


def _dotted(module: str) -> str:
    return module.removesuffix(".py").replace("/", ".") + "."


def previous_rows(path: Path, modules: list[str]) -> dict[str, Previous]:
    """The rows of ``modules`` in the report at ``path`` (an older report without a column of dates
    and commits gets its own date and the commit that last wrote the file)."""
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8").splitlines()
    written = next((m.group(1) for m in map(_WRITTEN.match, text) if m), "date unknown")
    commit = _git("log", "-1", "--format=%h", "--", str(path.relative_to(ROOT))) or "commit unknown"
    rows: dict[str, Previous] = {}
    section = ""
    for line in text:
        if line.startswith("## "):
            section = line
        row = _ROW.match(line)
        if row and row.group("module") in modules and row.group("cells").split("|")[0].strip().isdigit():
            cells = tuple(c.strip() for c in row.group("cells").split("|"))
            if len(cells) == 5:
                cells += (f"{written}, {commit}",)
            rows[row.group("module")] = Previous(cells, {})
        elif line.startswith("- `") and section:
            name = line[3:].split("`")[0]
            module = next((m for m in rows if name.startswith(_dotted(m))), None)
            if module:
                rows[module].lines.setdefault(section, []).append(line)
    for module, entry in rows.items():
        then = entry.cells[5].split(", ")[1].split(" ")[0]
        if _CHANGED not in entry.cells[5] and _git("diff", "--stat", then, "--", module):
            rows[module] = Previous((*entry.cells[:5], f"{entry.cells[5]}{_CHANGED}"),
                                    entry.lines)
    return rows


def render(mutants: list[Mutant], equivalent: dict[str, dict[str, str]], modules: list[str],
           previous: dict[str, Previous], measured: str) -> tuple[str, bool]:
    """The report as Markdown, and whether every module meets the target with nothing unexplained.

    Modules with results in ``mutants`` get a new row dated ``measured`` (or their previous row's date
    and commit, when the results match that row on unchanged code); the others keep their row and
    lines from ``previous``; a module in neither is listed as not run (and fails the target).
    """
    by_module: dict[str, list[Mutant]] = defaultdict(list)
    for m in mutants:
        by_module[m.module].append(m)
    rows: list[str] = []
    sections: dict[str, dict[str, list[str]]] = defaultdict(dict)  # heading -> module -> lines
    totals = [0, 0, 0, 0]  # mutants, killed, equivalent, unexplained
    ok = True
    for module in sorted(modules):
        items = by_module.get(module)
        if not items:
            if module not in previous:
                rows.append(f"| `{module}` | - | - | - | - | not run | not run |")
                ok = False
                continue
            entry = previous[module]
            counts = [int(c) for c in entry.cells[:4]]
            ok &= float(entry.cells[4].split()[0]) >= TARGET_PCT and counts[3] == 0
            rows.append(f"| `{module}` | {' | '.join(entry.cells)} |")
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
            for heading, lines in entry.lines.items():
                sections[heading][module] = lines
            continue
        killed = sum(m.killed for m in items)
        equal = [m for m in items if not m.killed and m.name in equivalent
                 and equivalent[m.name].get("mutated", "").strip() == m.line]
        stale = [m for m in items if not m.killed and m.name in equivalent and m not in equal]
        open_ = [m for m in items if not m.killed and m not in equal]
        denominator = len(items) - len(equal)
        score = 100.0 * killed / denominator if denominator else 100.0
        ok &= score >= TARGET_PCT and not open_ and not stale
        counts = [len(items), killed, len(equal), len(open_)]
        cells = (*map(str, counts), f"{score:.1f} %")
        earlier = previous.get(module)
        # results kept in mutants/ from an earlier run (only other modules were rerun) keep that run's
        # date and commit, as long as the module's code is the code they were measured on
        same = earlier is not None and earlier.cells[:5] == cells and _CHANGED not in earlier.cells[5]
        rows.append(f"| `{module}` | {' | '.join(cells)} | {earlier.cells[5] if same else measured} |")
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        sections[_SURVIVORS][module] = [f"- `{m.name}`: `{m.line}`" for m in open_]
        sections[_STALE][module] = [f"- `{m.name}`: now `{m.line}`" for m in stale]
        sections[_EQUIVALENT][module] = [f"- `{m.name}`: `{m.line}` — {equivalent[m.name]['why']}"
                                         for m in equal]
    total, killed, equal, open_ = totals
    lines = [
        "# Mutation testing report",
        "",
        f"Written by `make mutate` on {dt.date.today().isoformat()} (mutmut "
        f"{metadata.version('mutmut')}). Each mutant is one small fault planted in a module; the tests "
        "listed under `[tool.mutmut]` in `pyproject.toml` ran against it. Score = killed / (mutants - "
        f"equivalent); target {TARGET_PCT:g} % per module, and every survivor killed or explained. "
        "*Results of* gives the date and commit each module's mutants were run at: a rerun of some "
        "modules (`make mutate MUTANTS=...`) keeps the others' rows and lines from the report before, "
        "marked *module changed since* when that module's code is no longer the code measured.",
        "",
        "| module | mutants | killed | equivalent | survived, unexplained | score | results of |",
        "|---|---:|---:|---:|---:|---:|---|",
        *rows,
        f"| all | {total} | {killed} | {equal} | {open_} | "
        f"{100.0 * killed / max(1, total - equal):.1f} % | |",
        "",
    ]
    for heading, intro in ((_SURVIVORS, []), (_STALE, []), (_EQUIVALENT, [
            "Survivors that cannot be killed because the program behaves the same; reasons from "
            "`mutation/equivalent.toml`.", ""])):
        listed = [line for module in sorted(sections[heading]) for line in sections[heading][module]]
        if listed or heading == _EQUIVALENT:
            lines += [heading, "", *intro, *listed, ""]
    return "\n".join(lines).rstrip("\n") + "\n", ok


def main(argv: list[str]) -> None:
    """Write ``mutation/REPORT.md``; exit 1 if a module misses the target or a survivor is unexplained.

    ``argv``: module paths to report (default: every module of ``[tool.mutmut] only_mutate``).
    """
    modules = argv or _modules()
    report = ROOT / "mutation" / "REPORT.md"
    text, ok = render(collect(modules), load_equivalent(ROOT / "mutation" / "equivalent.toml"), modules,
                      previous_rows(report, modules), provenance())
    report.write_text(text, encoding="utf-8")
    print(text.split("\n## ")[0])
    print("mutation/REPORT.md written")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
