"""Notebooks run headless: the board pack shows its figures as images and the headline numbers, no code.

The headline numbers are computed here from the jobs' ``replications.parquet`` (paired differences,
t-quantile interval), not with :mod:`flowsim.experiment.compare`.
"""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from flowsim.experiment.pipeline import run_scenario
from flowsim.model.compose import load_config
from flowsim.reporting.board import execute_notebook, notebooks_dir

OPTION = "services.ic_beds.capacity"  # P2 beds: few enough that the number of places matters
T_975_2 = 4.302652729749462  # scipy.stats.t.ppf(0.975, 2): 3 replications
# The pack's sections and how many figures each shows (a sweep of one numeric capacity).
SECTIONS = {"Delayed days avoided and net saving": 3,
            "The NCTR census over the year: baseline and recommended option": 1,
            "Why patients wait, by option": 1, "Unit utilisation by week under the recommended option": 1,
            "Options": 0, "Assumptions and the configuration used": 0}


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    """Jobs 0, 1, 2 with 12, 16 and 20 P2 beds, three replications each, run in this process."""
    out = tmp_path_factory.mktemp("sweep")
    for job, places in enumerate((12, 16, 20)):
        overrides = ["scenario=quick", "run.warm_up_days=30", "run.horizon_days=90", "replications=3",
                     "outputs.summary=false", "outputs.patients=false", f"{OPTION}={places}"]
        run_scenario(load_config(overrides), out / str(job), overrides=overrides, progress=False, job=job)
    return out


class _Page(HTMLParser):
    """The visible text of an exported notebook, its images and the section each sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.images: list[tuple[str, str]] = []  # (section, src)
        self.section = ""
        self._skip = 0
        self._heading = False

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "title"):
            self._skip += 1
        elif tag == "h2":
            self._heading, self.section = True, ""
        elif tag == "img":
            self.images.append((self.section, dict(attrs)["src"]))

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self._skip -= 1
        elif tag == "h2":
            self._heading = False

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._heading:
            self.section += data.strip().rstrip("¶")


def _per_year(sweep, job: int) -> pd.DataFrame:
    table = pd.read_parquet(sweep / str(job) / "replications.parquet").set_index("replication").sort_index()
    return table.mul(365.0 / table["observed_days"], axis=0)


def _mean_ci(values: np.ndarray) -> tuple[float, float, float]:
    mean = values.sum() / values.size
    half = T_975_2 * np.sqrt(((values - mean) ** 2).sum() / (values.size - 1) / values.size)
    return mean, mean - half, mean + half


def test_board_pack_shows_real_figures_and_the_headline_numbers(small_sweep, tmp_path):
    html = execute_notebook(notebooks_dir() / "board_report.py", tmp_path / "board.html",
                            {"sweep_dir": str(small_sweep), "baseline_job": 1, "title": "Test pack"})
    page = _Page()
    page.feed(html.read_text(encoding="utf-8"))
    text = " ".join(" ".join(page.text).split())

    # headline, by hand: paired differences against job 1 (16 beds) per replication and year
    base = _per_year(small_sweep, 1)
    options = {}
    for job, places in ((0, 12), (2, 20)):
        option = _per_year(small_sweep, job)
        avoided = (base["delayed_days_total"] - option["delayed_days_total"]).to_numpy()
        acute = (base["cost_delayed_days"] - option["cost_delayed_days"]).to_numpy()
        added = (option["cost_services"] - base["cost_services"]).to_numpy()
        options[places] = (_mean_ci(avoided), _mean_ci(acute - added), acute.mean(), added.mean())
    best = max(options, key=lambda places: options[places][1][0])
    (days, days_low, days_high), (net, net_low, net_high), acute, added = options[best]
    assert text.startswith("Test pack ¶ Recommended option: ")  # the title, then the headline: no warning
    assert (f"Recommended option: {OPTION} = {best} (largest net saving against the baseline, {OPTION} = 16)."
            in text)
    assert (f"Delayed days avoided per year: {days:,.0f} (95 % CI {days_low:,.0f} to {days_high:,.0f})"
            in text)
    assert f"Net saving per year: GBP {net:,.0f} (95 % CI {net_low:,.0f} to {net_high:,.0f})" in text
    assert f"Return per GBP 1 spent: {acute / added if added > 0 else float('nan'):.2f}" in text
    assert "Paired over 3 replications with common random numbers" in text
    assert days_high - days_low > 1.0  # the interval is not degenerate: its limits are checked

    # every figure is an image, in the section it belongs to, of its size, and not blank
    assert "<Figure size" not in text
    assert [section for section, _ in page.images] == [s for s, n in SECTIONS.items() for _ in range(n)]
    sizes = []
    for _, src in page.images:
        assert src.startswith("data:image/png;base64,")
        pixels = imread(io.BytesIO(base64.b64decode(src.removeprefix("data:image/png;base64,"))))
        assert pixels[..., :3].var() > 0.001
        sizes.append(pixels.shape[1::-1])
    # figure sizes in inches x 100 dpi: avoided 11 x 4.2, steps 9 x 4.5, net saving 9 x 4.5, fan 10 x 4.5,
    # reasons (1.1 x 3 options + 4) x 4.8, heat map 7 x (1 + 0.45 x 4 units)
    assert sizes == [(1100, 420), (900, 450), (900, 450), (1000, 450), (730, 480), (700, 280)]

    # code cells' source is hidden: none of the notebook's code appears (highlighting splits code into
    # tags, so look in the text without spaces)
    compact = "".join(text.split())
    for fragment in ("collect_sweep(", "compare_to_baseline(", "importpandas", "display(Markdown",
                     "figure_image("):
        assert fragment not in compact
    # and every code cell is exported without its input area (markdown cells keep theirs: it is their text)
    code_cells = re.findall(r'<div class="(jp-Cell jp-CodeCell[^"]*)"', html.read_text(encoding="utf-8"))
    assert len(code_cells) >= len(page.images)
    assert all("jp-mod-noInput" in classes.split() for classes in code_cells)
    assert (tmp_path / "board.ipynb").is_file()


def test_board_cli_rejects_a_directory_without_a_sweep(tmp_path):
    board_main = "from flowsim.reporting.board import main; main()"
    proc = subprocess.run([sys.executable, "-c", board_main, str(tmp_path)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1


def test_explore_scenario_runs_in_process(tmp_path):
    html = execute_notebook(notebooks_dir() / "explore_scenario.py", tmp_path / "explore.html", {
        "overrides": ["scenario=quick", "run.warm_up_days=30", "run.horizon_days=90"],
        "replications": 2, "output_dir": str(tmp_path / "run")})
    text = html.read_text()
    assert "Delayed days (NCTR to leaving the acute bed) by pathway" in text
    assert (tmp_path / "run" / "metrics.json").is_file()
    images = re.findall(r'<img[^>]* src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == 4 and "&lt;Figure size" not in text  # fan, reasons, heat map, waits: as images
    for data in images:
        assert imread(io.BytesIO(base64.b64decode(data)))[..., :3].var() > 0.001
