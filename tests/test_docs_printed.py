"""What the README and the planner's guide show ``flowsim`` printing is what it prints.

Both show the default run's summary. It is run once here, and every line of each page's sample
must appear in the real output in the same order. A ``...`` line in a sample stands for lines left
out, and the output folder, which differs on every machine, is compared as ``FOLDER``. The check
catches a sample left behind when the default system or the summary changes.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "docs" / "getting-started" / "planner.md"]
FIRST_LINE = "flowsim: 1 replication(s), 365 days observed after warm-up"
SAMPLE = re.compile(r"^```(?:text)?\n(" + re.escape(FIRST_LINE) + r"\n.*?)^```", re.M | re.S)


def _comparable(line: str) -> str:
    return re.sub(r"^Outputs written to \S+/ \(", "Outputs written to FOLDER/ (", line.rstrip())


def samples(text: str) -> list[list[str]]:
    """The lines of every sample of the default run's output on a page."""
    return [[_comparable(line) for line in block.splitlines()] for block in SAMPLE.findall(text)]


def differences(sample: list[str], printed: list[str]) -> str | None:
    """None if ``sample`` is ``printed`` in order (``...`` skipping lines), else the first difference."""
    at = 0
    skipping = False
    for line in sample:
        if line == "...":
            skipping = True
            continue
        while skipping and at < len(printed) and printed[at] != line:
            at += 1
        if at >= len(printed) or printed[at] != line:
            return f"shown: {line!r}\nprinted: {printed[at] if at < len(printed) else '(nothing more)'!r}"
        at, skipping = at + 1, False
    return None


def test_the_comparison_finds_a_changed_skipped_or_missing_line():
    printed = ["a", "b 1", "c", "d", "Outputs written to FOLDER/ (x)"]
    assert differences(["a", "b 1", "...", "Outputs written to FOLDER/ (x)"], printed) is None
    assert differences(["a", "b 2"], printed) == "shown: 'b 2'\nprinted: 'b 1'"
    assert differences(["a", "c"], printed) is not None  # a line left out without "..."
    assert differences(["a", "...", "e"], printed) is not None
    assert _comparable("Outputs written to /home/you/out/2026/ (a.csv)") == (
        "Outputs written to FOLDER/ (a.csv)")


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("default_run")
    done = subprocess.run([sys.executable, "-m", "flowsim"], cwd=folder, capture_output=True, text=True,
                          timeout=300, check=True)
    return [_comparable(line) for line in done.stdout.splitlines()]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_default_runs_output_on_the_page_is_what_flowsim_prints(page, printed):
    shown = samples(page.read_text(encoding="utf-8"))
    assert shown, f"{page.name} shows no sample of the default run's output"
    for sample in shown:
        problem = differences(sample, printed)
        assert problem is None, f"{page.name}: the sample of `flowsim`'s output is out of date\n{problem}"
