"""Notebooks run headless: the board pack shows its figures as images and the headline numbers, no code.

The headline numbers, and which option the stated decision rule recommends, are computed here from the
jobs' ``replications.parquet`` (paired differences, t-quantile interval), not with
:mod:`flowsim.experiment.compare` or :mod:`flowsim.reporting.decision`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.image import imread

from flowsim.experiment.pipeline import run_scenario
from flowsim.model.compose import load_config
from flowsim.reporting.board import execute_notebook, notebooks_dir

OPTION = "services.care_home_unit.capacity"  # a care-home rehab unit: 0 (baseline), 4 or 8 beds
PLACES = (0, 4, 8)
T_975_2 = 4.302652729749462  # scipy.stats.t.ppf(0.975, 2): 3 replications
# The pack's sections and how many figures each shows (a sweep of one numeric capacity).
SECTIONS = {"What was modelled": 1, "Delayed days avoided and net saving": 3,
            "The NCTR census day by day: baseline and recommended option": 1,
            "Why patients wait, by option": 1, "Unit utilisation by week under the recommended option": 1,
            "Options": 0, "Where these numbers came from": 0}


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    """Jobs 0, 1, 2 with 0, 4 and 8 care-home unit beds, three replications each, run in this process.

    The quick system with 29 rather than 39 intermediate-care beds: P2 patients queue, so unit beds
    avoid enough delayed days to pay for themselves, and 8 beds have the largest mean net saving while
    4 beds come within its confidence interval (the default rule and the largest mean disagree).
    """
    return run_sweep(tmp_path_factory.mktemp("sweep"), ["scenario=quick", "services.ic_beds.capacity=29",
                                                         "replications=3"],
                     [f"{OPTION}={places}" for places in PLACES])


def run_sweep(out, common: list[str], options: list[str]):
    """A sweep in ``out`` assembled in this process as ``flowsim -m`` does: job i runs ``common`` and
    ``options[i]`` (summary and patient records off); the first job is the baseline."""
    for job, option in enumerate(options):
        overrides = [*common, "outputs.summary=false", "outputs.patients=false", option]
        run_scenario(load_config(overrides), out / str(job), overrides=overrides, progress=False, job=job)
    return out


class _Page(HTMLParser):
    """The visible text of an exported notebook, its images, table cells and the section each sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.images: list[tuple[str, str]] = []  # (section, src)
        self.rows: list[list[str]] = []  # every table row's cells
        self.links: list[str] = []
        self.section = ""
        self._skip = 0
        self._heading = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "title"):
            self._skip += 1
        elif tag == "h2":
            self._heading, self.section = True, ""
        elif tag == "img":
            self.images.append((self.section, dict(attrs)["src"]))
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "a":
            self.links.append(dict(attrs).get("href", ""))

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self._skip -= 1
        elif tag == "h2":
            self._heading = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._heading:
            self.section += data.strip().rstrip("¶")


def _pack(sweep, html, **parameters) -> tuple[_Page, str]:
    execute_notebook(notebooks_dir() / "board_report.py", html, {"sweep_dir": str(sweep), **parameters})
    page = _Page()
    page.feed(html.read_text(encoding="utf-8"))
    return page, " ".join(" ".join(page.text).split())


def _per_year(sweep, job: int) -> pd.DataFrame:
    table = pd.read_parquet(sweep / str(job) / "replications.parquet").set_index("replication").sort_index()
    return table.mul(365.0 / table["observed_days"], axis=0)


def _mean_ci(values: np.ndarray) -> tuple[float, float, float]:
    mean = values.sum() / values.size
    half = T_975_2 * np.sqrt(((values - mean) ** 2).sum() / (values.size - 1) / values.size)
    return mean, mean - half, mean + half


def _gbp(value: float) -> str:
    return f"GBP {value:,.0f}" if value >= 0 else f"-GBP {-value:,.0f}"


def _by_hand(sweep, base_job: int) -> dict[int, dict]:
    """Every job against ``base_job``: paired differences per replication and year, t-quantile intervals."""
    base = _per_year(sweep, base_job)
    options = {}
    for job, places in enumerate(PLACES):
        option = _per_year(sweep, job)
        avoided = (base["delayed_days_total"] - option["delayed_days_total"]).to_numpy()
        acute = (base["cost_delayed_days"] - option["cost_delayed_days"]).to_numpy()
        added = (option["cost_services"] - base["cost_services"]).to_numpy()
        options[job] = {"places": places, "avoided": avoided, "days": _mean_ci(avoided),
                        "net": _mean_ci(acute - added), "acute": acute.mean(), "added": added.mean(),
                        "added_places": places - PLACES[base_job],
                        "level": pd.read_parquet(sweep / str(job) / "replications.parquet")[
                            "delayed_days_per_year"].mean()}
    return options


def _cheapest(options: dict[int, dict], jobs: list[int]) -> int:
    return min(jobs, key=lambda j: (options[j]["added"], options[j]["added_places"], j))


def _headline(options: dict[int, dict], chosen: int, base_job: int) -> str:
    if chosen == base_job:
        return f"Recommendation: keep the baseline, {OPTION} = {PLACES[base_job]}."
    return (f"Recommendation: {OPTION} = {PLACES[chosen]} (against the baseline, "
            f"{OPTION} = {PLACES[base_job]}).")


def test_board_pack_recommends_by_the_stated_rule_and_shows_real_figures(small_sweep, tmp_path):
    page, text = _pack(small_sweep, tmp_path / "board.html", baseline_job=None, title="Test pack",
                       config_file=str(tmp_path / "board_config.yaml"))
    # the default rule, by hand: the largest mean net saving (the baseline's is 0 exactly) sets a floor, the
    # lower end of its 95 % CI; of the options whose mean reaches it, the one with the smallest added cost
    options = _by_hand(small_sweep, 0)
    best = max(options, key=lambda j: options[j]["net"][0])
    floor = options[best]["net"][1]
    chosen = _cheapest(options, [j for j in options if options[j]["net"][0] >= floor])
    assert text.startswith(f"Test pack ¶ {_headline(options, chosen, 0)} ")  # title, then headline
    rule = ("Decision rule: recommend the cheapest option whose mean net saving is within the 95 % "
            "confidence interval of the best option's and not below the baseline's (a net saving of at "
            f"least {_gbp(floor)} a year).")
    assert rule in text
    if chosen != best:
        largest = options[best]["net"]
        assert (f"The largest mean net saving is {OPTION} = {PLACES[best]}, {_gbp(largest[0])} a year "
                f"(95 % CI {_gbp(floor)} to {_gbp(largest[2])})") in text
    assert (chosen, best) == (1, 2)  # the sweep was chosen so that the rules disagree (see small_sweep)
    assert "Not every option of this sweep is here" not in text  # every job finished
    # the recommended option's delayed days avoided, valued on each other cost basis of the config
    days = options[chosen]["days"][0]
    assert (f"the recommended option's delayed days avoided would be worth, a year: ipacs_2017_18 (GBP 346 a "
            f"day: IPACS technical guide, 2017/18 prices) {_gbp(days * 346)};") in text
    focus = chosen
    (days, days_low, days_high), (net, net_low, net_high) = options[focus]["days"], options[focus]["net"]
    assert (f"Delayed days avoided: {days:,.0f} on average (95 % confidence interval of the average: "
            f"{days_low:,.0f} to {days_high:,.0f}).") in text
    # single years, from three paired differences: the prediction interval of one more year, mean ± t(2)
    # sd √(1 + 1/3) (percentiles of three values sat inside the mean's own interval: a QA pass)
    d = options[focus]["avoided"]
    half = T_975_2 * np.std(d, ddof=1) * np.sqrt(1 + 1 / 3)
    low, high = np.mean(d) - half, np.mean(d) + half
    assert (f"Year to year: between {low:,.0f} and {high:,.0f} delayed days avoided in 95 of 100 simulated "
            "120-day runs, scaled to a year (a 95 % prediction interval for one more year from the 3 paired "
            "replications, assuming years vary about normally; with so few, a rough range).") in text
    assert f"Net saving: {_gbp(net)} (95 % CI {_gbp(net_low)} to {_gbp(net_high)})" in text
    added = options[focus]["added"]
    assert f"Return per GBP 1 spent: {options[focus]['acute'] / added:.2f} ." in text  # bold, then "."
    assert "Each option was simulated 3 times (replications: each 120 days after a 60-day warm-up)" in text
    first, second = options[1]["days"][0] / 4, (options[2]["days"][0] - options[1]["days"][0]) / 4
    assert (f"Going from {OPTION} = 0 to 4, each added place avoids about {first:,.0f} delayed days a year."
            in text)
    assert (f"From 4 to 8 each added place avoids about {second:,.0f}, less than half that" in text) == (
        second < first / 2)
    assert "one simulated year" not in text
    assert days_high - days_low > 1.0  # the interval is not degenerate: its limits are checked

    # the options table: the baseline row says so instead of NaN or 0.00; the recommendation is marked
    table = next(i for i, row in enumerate(page.rows) if "delayed days avoided / yr" in row)
    header, body = page.rows[table], page.rows[table + 1:table + 4]
    assert header == ["care_home_unit", "delayed days avoided / yr", "± (95 % CI)", "added cost / yr",
                      "net saving / yr", "net saving 95 % CI", "return per GBP 1", "note"]
    assert body[0][:7] == ["0", "baseline", "—", "—", "—", "—", "—"]
    assert [row[-1] for row in body] == ["recommended" if j == chosen else
                                         "largest mean net saving" if j == best else "" for j in options]
    assert body[2][3] == _gbp(options[2]["added"]) and body[2][1] == f"{options[2]['days'][0]:,.0f}"
    assert "nan" not in text.lower()

    # assumptions in words, the full config in a file beside the page (no YAML in the page)
    manifest = json.loads((small_sweep / "0" / "manifest.json").read_text())
    assert yaml.safe_load((tmp_path / "board_config.yaml").read_text()) == manifest["config"]
    assert "board_config.yaml" in page.links
    assert "rate_per_day:" not in text and "warm_up_days:" not in text
    assert "cost of a delayed acute bed-day GBP 395" in text
    assert "It is not cash released unless beds or staff are actually taken out." in text
    assert "Not counted: primary care" in text

    # freshness, by hand from the job folders
    digests = [json.loads((small_sweep / str(j) / "metrics.json").read_text())["identity"]["digest"]
               for j in options]
    sweep_id = hashlib.sha256("\n".join(f"{j}:{d}" for j, d in zip(options, digests, strict=True))
                              .encode()).hexdigest()
    assert (f"Built from the sweep {small_sweep.name}, 3 jobs whose results were written on "
            f"{manifest['created'][:10]} (UTC) by flowsim {manifest['versions']['flowsim']} "
            f"(git {(manifest['git_sha'] or 'unknown')[:12]}); sweep identity {sweep_id[:12]}.") in text
    assert all(digest in text for digest in digests)

    # every figure is an image, in the section it belongs to, of its size, and not blank
    assert "<Figure size" not in text
    assert [section for section, _ in page.images] == [s for s, n in SECTIONS.items() for _ in range(n)]
    sizes = []
    for _, src in page.images:
        assert src.startswith("data:image/png;base64,")
        pixels = imread(io.BytesIO(base64.b64decode(src.removeprefix("data:image/png;base64,"))))
        assert pixels[..., :3].var() > 0.001
        sizes.append(pixels.shape[1::-1])
    # figure sizes in inches x 100 dpi: network 11 x (1 + 0.85 x 5 boxes + 0.3 x 3 notes), avoided 11 x 4.2,
    # steps 9 x 4.5, net saving 9 x 4.5, fan 10 x 4.5, reasons (1.1 x 3 options + 4) x 4.8,
    # heat map 7 x (1 + 0.45 x 4 units)
    assert sizes == [(1100, 615), (1100, 420), (900, 450), (900, 450), (1000, 450), (730, 480), (700, 280)]

    # code cells' source is hidden: none of the notebook's code appears (highlighting splits code into
    # tags, so look in the text without spaces)
    compact = "".join(text.split())
    for fragment in ("collect_sweep(", "compare_to_baseline(", "importpandas", "display(Markdown",
                     "figure_image(", "decide("):
        assert fragment not in compact
    # and every code cell is exported without its input area (markdown cells keep theirs: it is their text)
    html = (tmp_path / "board.html").read_text(encoding="utf-8")
    code_cells = re.findall(r'<div class="(jp-Cell jp-CodeCell[^"]*)"', html)
    assert len(code_cells) >= len(page.images)
    assert all("jp-mod-noInput" in classes.split() for classes in code_cells)
    assert (tmp_path / "board.ipynb").is_file()


def test_board_pack_other_rules_and_baseline(small_sweep, tmp_path):
    # largest mean net saving (the rule before decision rules), against job 1 (3 beds)
    _, text = _pack(small_sweep, tmp_path / "largest.html", baseline_job=1, rule="largest_net_saving")
    options = _by_hand(small_sweep, 1)
    best = max(options, key=lambda j: options[j]["net"][0])
    assert f"{_headline(options, best, 1)} " in text
    assert "Decision rule: recommend the option with the largest mean net saving." in text
    assert f"The full configuration of the baseline job is in {small_sweep / '1' / 'manifest.json'}" in text

    # the cheapest option whose mean delayed days per year are at most halfway between the two lowest
    options = _by_hand(small_sweep, 0)
    levels = sorted(options[j]["level"] for j in options)
    target = round((levels[0] + levels[1]) / 2)
    meeting = [j for j in options if options[j]["level"] <= target]
    chosen = _cheapest(options, meeting)
    _, text = _pack(small_sweep, tmp_path / "target.html", baseline_job=None, rule="cheapest_meeting_target",
                    target=f"delayed_days_per_year<={target}")
    assert f"{_headline(options, chosen, 0)} " in text
    assert (f"a mean delayed_days_per_year <= {target:,}. {OPTION} = {PLACES[chosen]} is the cheapest of the "
            f"{len(meeting)} of 3 options that do, with delayed_days_per_year "
            f"{options[chosen]['level']:,.0f}") in text
    # a target the baseline already meets: keep it, without the warning that no option pays for itself
    # (the best option's net saving interval is above zero)
    assert options[2]["net"][1] > 0
    loose = round(max(levels)) + 1
    _, text = _pack(small_sweep, tmp_path / "loose.html", baseline_job=None, rule="cheapest_meeting_target",
                    target=f"delayed_days_per_year<={loose}")
    assert f"{_headline(options, 0, 0)} " in text
    assert f"{OPTION} = 0 (the baseline) is the cheapest of the 3 of 3 options that do" in text
    assert "pays for itself" not in text
    # the census and heat-map sections show the option with the largest saving, and say so (their headings
    # said "recommended option" when the recommendation was to keep the baseline: a QA pass)
    assert ("The NCTR census day by day: baseline and option with the largest mean net saving" in text
            and "Unit utilisation by week under the option with the largest mean net saving" in text)
    assert "recommended option" not in text.replace("recommended option's", "")


def test_a_pack_of_a_sweep_cut_short_says_which_options_are_not_in_it(small_sweep, tmp_path):
    sweep = tmp_path / "sweep"
    shutil.copytree(small_sweep, sweep)
    (sweep / "2" / "metrics.json").unlink()  # job 2 stopped before it finished
    _, text = _pack(sweep, tmp_path / "board.html")
    assert ("Not every option of this sweep is here. Job(s) 2 have not finished, so this page compares only "
            "the options that did.") in text


def test_a_pack_that_keeps_the_baseline_as_the_best_option_does_not_value_it_against_itself(tmp_path):
    # unit beds at GBP 100,000 a week: no option pays, the baseline has the largest mean net saving (0)
    common = ["scenario=quick", "services.ic_beds.capacity=29", "replications=2",
              "services.care_home_unit.cost_per_bed_week=100000"]
    sweep = run_sweep(tmp_path / "sweep", common, [f"{OPTION}={places}" for places in (0, 8)])
    _, text = _pack(sweep, tmp_path / "board.html")
    assert "Recommendation: keep the baseline" in text
    assert "would be worth, a year" not in text  # was every basis at GBP 0: the baseline against itself

    # against the 8 dear beds, cutting them is recommended: said in words, not as a negative added cost
    cut, kept = _per_year(sweep, 0), _per_year(sweep, 1)
    _, text = _pack(sweep, tmp_path / "cut.html", baseline_job=1)
    assert f"Recommendation: {OPTION} = 0 (against the baseline, {OPTION} = 8)." in text
    more_days = (cut["delayed_days_total"] - kept["delayed_days_total"]).mean()
    assert more_days > 0.5
    assert (f"Delayed days avoided: {-more_days:,.0f} on average, that is {more_days:,.0f} more delayed "
            "days") in text
    less = (kept["cost_services"] - cut["cost_services"]).mean()
    assert f"services cost {_gbp(less)} less than the baseline's." in text
    assert "Return per GBP 1 spent: not applicable (it spends less than the baseline)." in text
    assert "added cost -GBP" not in text and "(no added cost)" not in text


def test_a_pack_of_a_sweep_of_prices_recommends_no_option(tmp_path):
    # one system valued at two bed-day prices: its net savings differ by the price, which no board chooses
    common = ["scenario=quick", "run.warm_up_days=30", "run.horizon_days=120", "replications=2"]
    sweep = run_sweep(tmp_path / "sweep", common, [f"costs.acute_bed_day={price}" for price in (300, 400)])
    page, text = _pack(sweep, tmp_path / "board.html")
    assert "No option to recommend: this sweep values one system at several prices." in text
    assert "Every swept setting is a price (costs.acute_bed_day)" in text
    assert "no option is recommended" in text
    assert "Recommendation:" not in text
    assert not any(row and row[-1] == "recommended" for row in page.rows)


def test_a_pack_of_one_replication_says_it_has_no_interval_not_nan(tmp_path):
    common = ["scenario=quick", "services.ic_beds.capacity=29", "replications=1"]
    sweep = run_sweep(tmp_path / "sweep", common, [f"{OPTION}={places}" for places in (0, 8)])
    page, text = _pack(sweep, tmp_path / "board.html")
    assert "nan to" not in text and "GBP nan" not in text  # "interval of the average: nan to nan" before
    assert text.count("(one replication gives no confidence interval)") == 2  # delayed days, net saving
    table = next(row for row in page.rows if row and row[-1] in ("recommended", "largest mean net saving"))
    assert "—" in table


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
