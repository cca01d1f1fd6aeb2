"""The documentation's examples run: every code block marked ``<!-- run -->`` is executed.

A page's marked blocks run in order in one fresh folder, so a later block can read what an earlier
one wrote (a run folder, a CSV). ``bash`` blocks run under ``bash -euo pipefail`` with this
interpreter's ``bin`` first on ``PATH`` (so ``flowsim`` is the installed one); ``python`` blocks run
with this interpreter. Examples that take minutes (a national sweep, a cluster) are left unmarked.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flowsim.reporting.pdf import find_browser

DOCS = Path(__file__).resolve().parents[1] / "docs"
MARKED = re.compile(r"^<!-- run -->\s*\n```(bash|python)[^\n]*\n(.*?)^```", re.M | re.S)


def marked_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) of every block marked to run, in page order."""
    return [(m.group(1), m.group(2)) for m in MARKED.finditer(text)]


PAGES = sorted(p for p in DOCS.rglob("*.md") if marked_blocks(p.read_text(encoding="utf-8")))


def test_the_marker_finds_marked_blocks_only():
    text = ("<!-- run -->\n```bash\nflowsim scenario=quick\n```\n\n```bash\nmake run\n```\n"
            "<!-- run -->\n```python\nprint(1)\n```\n")
    assert marked_blocks(text) == [("bash", "flowsim scenario=quick\n"), ("python", "print(1)\n")]


def test_the_docs_have_runnable_examples():
    assert sum(len(marked_blocks(p.read_text(encoding="utf-8"))) for p in PAGES) >= 10


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_a_pages_examples_run(page, tmp_path):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               MPLBACKEND="Agg", PYTHONHASHSEED="0")
    blocks = marked_blocks(page.read_text(encoding="utf-8"))
    needs_browser = any("flowsim-board" in code and "--no-pdf" not in code for _, code in blocks)
    if needs_browser and find_browser() is None and os.environ.get("FLOWSIM_REQUIRE_BROWSER") != "1":
        pytest.skip("flowsim-board prints a PDF with Chromium, which is not installed (apt install chromium)")
    for number, (language, code) in enumerate(blocks, 1):
        command = ["bash", "-euo", "pipefail", "-c", code] if language == "bash" else [
            sys.executable, "-c", code]
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (f"{page.name} block {number} ({language}) failed:\n{code}\n"
                                      f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}")
