"""``flowsim-board --sizing DIR``: the board pack of a ``flowsim-size`` search, as a board reads it.

A small search is run once per module with ``flowsim-size`` (the quick system, a 4 x 4 grid of
intermediate-care and P3 interim beds, 8 trials of 3 replications, a target on the mean delay), and
its pack is built once with ``flowsim-board --sizing``. What the page shows is checked against
``recommendation.json`` and ``candidates.csv`` read here with ``json`` and ``pandas``: the question
and the answer, the mix against today's, the Pareto chart as a PNG of its size, the shortlist as
evidence, how the mix was found; then that a folder without a finished search is refused in one line
(exit code 2) before any notebook runs. In the system's headless Chromium (through Selenium, as
``test_board_browser.py``) the chart must load and be drawn; without Chromium and ChromeDriver that
test skips, or fails under ``FLOWSIM_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.image import imread

from flowsim.cli.size import main as size_main
from flowsim.model.saved import read_saved
from flowsim.reporting import board
from flowsim.reporting.board import main, notebooks_dir
from flowsim.reporting.pdf import find_browser

TITLE = "Intermediate-care and P3 beds: which mix?"
SPEC = """overrides: [scenario=quick, housing=off, services.ic_beds.cost_per_bed_week=1050,
  services.ic_beds.cost_per_occupied_day=0, services.p3_interim_beds.cost_per_bed_week=1150,
  services.p3_interim_beds.cost_per_occupied_day=0, outputs.patients=false]
seed: 7
objective: cost_total
constraints: ["delay_mean_days<=1.5"]
variables:
  ic_beds: {path: services.ic_beds.capacity, low: 31, high: 43, step: 4}
  p3: {path: services.p3_interim_beds.capacity, low: 29, high: 41, step: 4}
search: {trials: 8, batch: 4, replications: 3, shortlist: 3, max_replications: 6}
validation: {replications: 3}
"""
PARETO = "Service cost against delayed days: every mix tried"
EVIDENCE_HEADER = ["ic_beds", "p3", "replications", "total cost a year, mean", "95 % CI",
                   "delayed days a year, mean", "service cost a year, mean", "delay_mean_days, mean",
                   "meets the targets", "outcome"]
# Never on a board's page: Python's complaints, a figure as its repr, missing values, a minus before money.
FORBIDDEN = re.compile(r"Traceback|Warning|Error|Exception|<Figure size|\b(?:NaN|nan|None|inf)\b|-GBP|"
                       r"GBP -|minus GBP|−")
MACHINE_PATHS = ("/tmp/", "/work/", "/home/", "/root/", "/var/", "/Users/", "C:\\")


@pytest.fixture(scope="module")
def sizing(tmp_path_factory) -> Path:
    """A finished flowsim-size folder (about 5 s)."""
    folder = tmp_path_factory.mktemp("sizing")
    spec = folder.parent / "sizing.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    size_main([str(spec), "--output", str(folder), "--n-jobs", "1"])
    return folder


@pytest.fixture(scope="module")
def rec(sizing) -> dict:
    return json.loads((sizing / "recommendation.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def candidates(sizing) -> pd.DataFrame:
    return pd.read_csv(sizing / "candidates.csv")


@pytest.fixture(scope="module")
def pack(sizing, tmp_path_factory) -> Path:
    """The pack's HTML through flowsim-board --sizing, with its PDF when Chromium is installed."""
    html = tmp_path_factory.mktemp("pack") / "mix.html"
    main(["--sizing", str(sizing), "--output", str(html), "--title", TITLE,
          *([] if find_browser() else ["--no-pdf"])])
    return html


class _Page(HTMLParser):
    """The visible text of the exported pack, its images and table rows, and the section each sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.images: list[tuple[str, str]] = []  # (section, src)
        self.tables: list[list[list[str]]] = []  # each table's rows of cells
        self.links: list[str] = []
        self.headings: list[str] = []  # h1 and h2, in order
        self.section = ""
        self._skip = 0
        self._heading = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "title"):
            self._skip += 1
        elif tag in ("h1", "h2"):
            self._heading, self.section = True, ""
        elif tag == "img":
            self.images.append((self.section, dict(attrs)["src"]))
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "a" and not dict(attrs).get("href", "").startswith("#"):  # not a heading's anchor
            self.links.append(dict(attrs).get("href", ""))

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self._skip -= 1
        elif tag in ("h1", "h2"):
            self._heading = False
            self.headings.append(self.section)
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._heading:
            self.section += data.strip().rstrip("¶")


@pytest.fixture(scope="module")
def page(pack) -> tuple[_Page, str]:
    parsed = _Page()
    parsed.feed(pack.read_text(encoding="utf-8"))
    return parsed, " ".join(" ".join(parsed.text).split())


def _table(parsed: _Page, first_header: str) -> list[list[str]]:
    found = [t for t in parsed.tables if t and t[0] and t[0][0] == first_header]
    assert len(found) == 1, [t[0] for t in parsed.tables]
    return found[0]


# By hand: a difference from today (today minus recommended) said in words, never with a minus sign.
def _amount(value: float, money: bool) -> str:
    return f"GBP {abs(value):,.0f}" if money else f"{abs(value):,.0f}"


def _ci(entry: dict, money: bool, up: str, down: str) -> str:
    low, high = entry["ci_low"], entry["ci_high"]
    if round(low) >= 0:
        return f"95 % CI {_amount(low, money)} to {_amount(high, money)} {up}"
    if round(high) <= 0:
        return f"95 % CI {_amount(high, money)} to {_amount(low, money)} {down}"
    return f"95 % CI {_amount(low, money)} {down} to {_amount(high, money)} {up}"


def _cost(entry: dict) -> str:
    verb = (f"saves {_amount(entry['mean'], True)} a year in total cost" if round(entry["mean"]) >= 0 else
            f"costs {_amount(entry['mean'], True)} a year more in total")
    return f"{verb} ({_ci(entry, True, 'saved', 'more')})"


def _days(entry: dict) -> str:
    word = "fewer" if round(entry["mean"]) >= 0 else "more"
    ci = _ci(entry, False, "fewer", "more")
    return f"with {_amount(entry['mean'], False)} {word} delayed days a year ({ci})"


def _mix(values: dict) -> str:
    return f"ic_beds {values['ic_beds']} and p3 {values['p3']}"


def test_the_search_is_a_real_question(rec):
    # the fixture's search recommends a change from today, and some difference is against it (the
    # recommended mix has more delayed days): so the pack must say a negative amount in words
    assert rec["recommended"] != rec["today"] and rec["today_on_grid"]
    assert any(rec["against_today"][k]["mean"] < 0 for k in rec["against_today"])
    assert rec["validation"] is not None and rec["constraints"] == ["delay_mean_days <= 1.50"]


def test_the_pack_opens_with_the_question_and_the_answer(page, rec):
    _, text = page
    against, validation = rec["against_today"], rec["validation"]
    question = ("Question: Which mix of ic_beds and p3 has the lowest total cost a year (acute delayed days "
                "and services), while keeping the mean delay per patient in days (delay_mean_days) at or "
                "below 1.50, with 95 % confidence?")
    targets = (", and meets the target with 95 % confidence" if rec["meets_targets_with_confidence"] else
               ", but does not meet the target with 95 % confidence: no mix tried did, and this is the "
               "nearest miss")
    answer_ = (f"Answer: {_mix(rec['recommended'])} (today: {_mix(rec['today'])}) . Against today's mix, on "
               f"the same simulated patients, it {_cost(against['cost_total_per_year'])}, "
               f"{_days(against['delayed_days_per_year'])}{targets}.")
    assert text.startswith(f"{TITLE} ¶ {question} {answer_} ")  # bold, then "."
    target = validation["targets"][0]
    verdict = ("met with 95 % confidence" if target["met_with_confidence"] else
               "met on average but not with 95 % confidence" if target["met"] else "NOT met")
    checked = (f"Checked on new patients: rerun with {validation['replications']} fresh replications (seed "
               f"{validation['seed']}) that the search never saw, it "
               f"{_cost(validation['against_today']['cost_total_per_year'])}, "
               f"{_days(validation['against_today']['delayed_days_per_year'])}; the mean delay per patient "
               f"in days (delay_mean_days) averaged {target['mean']:.2f} against a target of at most 1.50: "
               f"{verdict}.")
    assert f"{answer_} {checked} " in text


def test_the_mix_table_sets_the_recommended_mix_beside_todays(page, rec):
    parsed, _ = page
    rows = _table(parsed, "decision")
    steps = {name: rec["recommended"][name] - rec["today"][name] for name in rec["recommended"]}
    assert rows == [["decision", "today", "recommended", "change"]] + [
        [name, str(rec["today"][name]), str(rec["recommended"][name]),
         "no change" if step == 0 else f"{step} more" if step > 0 else f"{-step} fewer"]
        for name, step in steps.items()]
    # what it changes, a year: in the search and on new patients
    against = _table(parsed, "recommended against today, a year")
    n, m = rec["replications"], rec["validation"]["replications"]
    assert against[0] == ["recommended against today, a year", f"on the search's patients ({n} replications)",
                          f"on new patients ({m} replications)"]
    for row, kpi, money, up in zip(against[1:], ("cost_total_per_year", "cost_services_per_year",
                                                 "cost_delayed_days_per_year", "delayed_days_per_year"),
                                   (True, True, True, False), ("saved", "saved", "saved", "fewer"),
                                   strict=True):
        for cell, block in zip(row[1:], (rec["against_today"], rec["validation"]["against_today"]),
                               strict=True):
            entry = block[kpi]
            word = up if round(entry["mean"]) >= 0 else "more"
            assert cell == f"{_amount(entry['mean'], money)} {word} ({_ci(entry, money, up, 'more')})"
    assert [row[0] for row in against[1:]] == ["Total cost (acute delayed days and services)", "Service cost",
                                               "Cost of acute delayed days", "Delayed days"]


def test_the_pareto_chart_is_an_image_of_its_size(page, candidates):
    parsed, text = page
    # what the points are: the means over the replications every mix has, as the figure draws them
    shared = int(candidates["replications"].min())
    assert shared < int(candidates["replications"].max())  # the shortlist has more
    assert f"means over the {shared} replications every mix was simulated on" in text
    assert [section for section, _ in parsed.images] == [PARETO]
    src = parsed.images[0][1]
    assert src.startswith("data:image/png;base64,")
    data = base64.b64decode(src.removeprefix("data:image/png;base64,"))
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    pixels = imread(io.BytesIO(data))
    assert pixels.shape[:2] == (500, 750)  # 7.5 x 5 in at 100 dpi
    assert pixels[..., :3].var() > 0.001  # something is drawn
    assert "<Figure size" not in text and "the black square today's" in text


def test_the_evidence_is_the_shortlist_with_its_replications(page, rec, candidates):
    parsed, text = page
    columns = _table(parsed, "")  # one column per mix, one row per fact
    assert columns[0][1:] == [f"mix {i}" for i in range(1, len(columns[0]))]
    assert [row[0] for row in columns[1:]] == EVIDENCE_HEADER
    rows = [[row[i] for row in columns[1:]] for i in range(1, len(columns[0]))]  # back to one row a mix
    shortlist = candidates[candidates["shortlisted"]].sort_values("cost_total_per_year_all_mean")
    assert len(shortlist) == len(rec["search"]["shortlist"]) == len(rows) >= 2
    assert shortlist["recommended"].sum() == 1
    chosen = f"GBP {shortlist.loc[shortlist['recommended'], 'cost_total_per_year_all_mean'].iloc[0]:,.0f}"
    for row, (_, mix) in zip(rows, shortlist.iterrows(), strict=True):
        if mix["recommended"]:
            outcome = "recommended"
        elif pd.notna(mix["eliminated_at"]):
            outcome = f"ruled out after {int(mix['eliminated_at'])} replications"
        elif not mix["meets_targets_with_confidence"]:
            outcome = ("meets the targets on average, not with 95 % confidence" if mix["meets_targets"] else
                       "misses a target on average")
        else:
            same = f"GBP {mix['cost_total_per_year_all_mean']:,.0f}" == chosen
            outcome = (f"not ruled out in {mix['replications']} replications; "
                       f"{'the same mean' if same else 'a higher mean'}")
        assert row == [
            str(mix["ic_beds"]), str(mix["p3"]), str(mix["replications"]),
            f"GBP {mix['cost_total_per_year_all_mean']:,.0f}",
            f"GBP {mix['cost_total_per_year_all_ci_low']:,.0f} to "
            f"GBP {mix['cost_total_per_year_all_ci_high']:,.0f}",
            f"{mix['delayed_days_per_year_all_mean']:,.0f}",
            f"GBP {mix['cost_services_per_year_all_mean']:,.0f}",
            f"{mix['delay_mean_days_mean']:.2f}",
            "yes, with 95 % confidence" if mix["meets_targets_with_confidence"] else
            "on average only" if mix["meets_targets"] else "no", outcome]
    search = rec["search"]
    assert (f"The search simulated {search['candidates_tried']} of the {search['grid_size']} possible mixes, "
            f"in {search['replications_simulated']} replications; the {len(search['shortlist'])} best went "
            "on to the final comparison shown here.") in text
    assert search["candidates_tried"] == len(candidates) and search["replications_reused"] == 0


def test_the_pack_says_how_the_mix_was_found_and_where_from(page, rec, pack, sizing):
    parsed, text = page
    assert parsed.headings == [TITLE, "The recommended mix against today's", PARETO,
                        "The evidence: the shortlisted mixes", "What the simulated system assumes",
                        "How this was found", "Where these numbers came from"]
    method = text.split("How this was found ¶", 1)[1]
    for words in ("common random numbers", "Optuna's TPE sampler",
                  f"proposed {rec['search']['trials']} mixes", "local polish", "ranking and selection",
                  "Kim and Nelson, 2001",
                  f"rerun on {rec['validation']['replications']} fresh replications",
                  f"mixes closer than GBP {rec['indifference']:,.0f} a year are treated as equally good",
                  "not a forecast of any one year"):
        assert words in method, words
    # the recommended mix as a config, beside the page, linked by its name
    assert parsed.links == ["mix_recommended.yaml"]
    copy = (pack.parent / "mix_recommended.yaml").read_text()
    original = (sizing / "recommended.yaml").read_text()
    assert copy == original.replace("--config-name recommended", "--config-name mix_recommended")
    assert read_saved(pack.parent / "mix_recommended.yaml") == read_saved(sizing / "recommended.yaml")
    assert f"in the folder {sizing.name};" in text and f"in the folder {sizing.name} (search seed 7)" in text


def test_the_pack_states_the_systems_assumptions_with_the_recommended_places(page, rec, sizing):
    parsed, _ = page
    rows = _table(parsed, "assumption")
    config = read_saved(sizing / "recommended.yaml")
    units = {row[0].split(":")[0]: row[1] for row in rows if row[0].split(":")[0] in config["services"]}
    assert set(units) == set(config["services"])
    recommended = {"ic_beds": rec["recommended"]["ic_beds"], "p3_interim_beds": rec["recommended"]["p3"]}
    for unit, places in recommended.items():
        assert f"; {places} places;" in units[unit], units[unit]
    # what changes the places is stated, not hidden behind the capacity (the winter cut of every unit)
    assert all("12 % fewer places in Jan, Feb, Dec" in value for value in units.values())
    assert ["random seed", str(config["seed"])] in rows


def test_nothing_a_board_should_not_read(pack, page, sizing):
    _, text = page
    html = pack.read_text(encoding="utf-8")
    assert "application/vnd.jupyter.stderr" not in html.split("</style>")[-1]  # no output on stderr
    assert FORBIDDEN.findall(text) == []
    for path in (*MACHINE_PATHS, str(sizing), str(pack.parent)):
        assert path not in text
    compact = "".join(text.split())  # no code: highlighting splits it into tags, so look without spaces
    for fragment in ("check_sizing(", "pareto_figure(", "importpandas", "display(Markdown", "figure_image("):
        assert fragment not in compact
    assert "<title>Intermediate-care and P3 beds: which mix?</title>" in html


def test_main_runs_the_sizing_notebook_with_the_folder(sizing, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(board, "execute_notebook", lambda source, html, parameters: calls.append(
        (source, html, parameters)))
    main(["--sizing", str(sizing), "--no-pdf"])
    assert calls == [(notebooks_dir() / "board_sizing.py", sizing / "board_report.html",
                      {"sizing_dir": str(sizing.resolve()),
                       "config_file": str((sizing / "board_report_recommended.yaml").resolve())})]
    assert capsys.readouterr().out == f"Board pack written to {sizing / 'board_report.html'}\n"
    assert (notebooks_dir() / "board_sizing.py").is_file()


RERUN = "rerun flowsim-size SIZING.yaml --output DIR (it resumes from DIR/checkpoints)"


def _copy(sizing: Path, to: Path) -> Path:
    to.mkdir()
    for name in ("recommendation.json", "candidates.csv", "recommended.yaml"):
        shutil.copyfile(sizing / name, to / name)
    return to


def _refused(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1, err
    return err.removeprefix("flowsim-board: error: ").rstrip("\n")


@pytest.fixture
def no_notebook(monkeypatch) -> list:
    calls: list = []
    monkeypatch.setattr(board, "execute_notebook", lambda *a: calls.append(a))
    return calls


def test_a_folder_without_a_search_is_refused_in_one_line(tmp_path, sizing, capsys, no_notebook):
    assert _refused(["--sizing", str(tmp_path), "--no-pdf"], capsys) == (
        f"{tmp_path / 'recommendation.json'}: is missing: the folder holds no finished flowsim-size search; "
        "fix: run flowsim-size SIZING.yaml --output DIR first, then flowsim-board --sizing DIR (for a sweep "
        "folder, leave out --sizing)")
    # a folder that is not there is named as such, not as missing its recommendation (found by a QA pass)
    assert _refused(["--sizing", str(tmp_path / "nowhere"), "--no-pdf"], capsys) == (
        f"{tmp_path / 'nowhere'}: does not exist; fix: give the folder flowsim-size wrote (its --output DIR)")
    half = _copy(sizing, tmp_path / "half")
    (half / "candidates.csv").unlink()
    assert _refused(["--sizing", str(half), "--no-pdf"], capsys).startswith(
        f"{half / 'candidates.csv'}: is missing: ")
    assert no_notebook == []


def test_files_of_different_searches_are_refused(tmp_path, sizing, capsys, no_notebook):
    folder = _copy(sizing, tmp_path / "mixed")
    table = pd.read_csv(folder / "candidates.csv")
    table["recommended"] = table["today"]  # another search's recommendation
    table.to_csv(folder / "candidates.csv", index=False)
    today = table.loc[table["today"], "candidate"].iloc[0]
    rec = json.loads((folder / "recommendation.json").read_text())
    assert _refused(["--sizing", str(folder), "--no-pdf"], capsys) == (
        f"{folder / 'candidates.csv'}: and recommendation.json come from different searches (it recommends "
        f"{today} of {len(table)} mixes; recommendation.json {rec['recommended_label']} of {len(table)}); "
        "fix: rerun flowsim-size SIZING.yaml --output DIR (it resumes from DIR/checkpoints)")
    (folder / "recommendation.json").write_text('{"objective": ')  # cut short
    assert _refused(["--sizing", str(folder), "--no-pdf"], capsys) == (
        f"{folder / 'recommendation.json'}: is not valid JSON (Expecting value: line 1 column 15 (char 14)); "
        f"fix: {RERUN}")
    (folder / "recommendation.json").write_text('{"objective": "cost_total_per_year"}')
    assert _refused(["--sizing", str(folder), "--no-pdf"], capsys) == (
        f"{folder / 'recommendation.json'}: lacks constraints, confidence, seed, recommended, "
        "recommended_label, today, objective_mean, replications, meets_targets_with_confidence, "
        f"against_today, search, validation; fix: {RERUN} with this flowsim")
    assert no_notebook == []


def test_a_candidates_table_the_pack_cannot_read_is_refused_with_the_fix(tmp_path, capsys, no_notebook):
    # a folder written by hand: two mixes, ic_beds=40 recommended
    rec = {"objective": "cost_total_per_year", "constraints": [], "confidence": 0.95, "seed": 1,
           "recommended": {"ic_beds": 40}, "recommended_label": "ic_beds=40", "today": {"ic_beds": 36},
           "objective_mean": 1.0, "replications": 3, "meets_targets_with_confidence": None,
           "against_today": {}, "search": {"candidates_tried": 2}, "validation": None}
    (tmp_path / "recommendation.json").write_text(json.dumps(rec))
    table = pd.DataFrame({"candidate": ["ic_beds=36", "ic_beds=40"], "ic_beds": [36, 40], "replications": 3,
                          "shortlisted": True, "eliminated_at": None, "recommended": [False, True],
                          "today": [True, False], "meets_targets": True,
                          "meets_targets_with_confidence": True, "on_pareto": True,
                          "cost_services_per_year_mean": 1.0, "delayed_days_per_year_mean": 1.0,
                          "cost_total_per_year_mean": 1.0})
    csv = tmp_path / "candidates.csv"

    def refused(frame=None, text=None):
        csv.write_text(text) if text is not None else frame.to_csv(csv, index=False)
        return _refused(["--sizing", str(tmp_path), "--no-pdf"], capsys)

    assert refused(text="a,b\n1,2\n3,4,5,6\n") == (  # pandas' message is one line, without its newline
        f"{csv}: is not a readable table (Error tokenizing data. C error: Expected 2 fields in line 3, "
        f"saw 4); fix: {RERUN}")
    assert refused(text="") == f"{csv}: is not a readable table (No columns to parse from file); fix: {RERUN}"
    assert refused(table.drop(columns=["on_pareto", "ic_beds"])) == (
        f"{csv}: lacks the columns on_pareto, ic_beds; fix: {RERUN} with this flowsim")
    different = f"{csv}: and recommendation.json come from different searches (it recommends "
    assert refused(table.assign(recommended=False)) == (
        f"{different}nothing of 2 mixes; recommendation.json ic_beds=40 of 2); fix: {RERUN}")
    assert refused(table.assign(recommended=True)) == (
        f"{different}ic_beds=36, ic_beds=40 of 2 mixes; recommendation.json ic_beds=40 of 2); fix: {RERUN}")
    assert no_notebook == []


@pytest.mark.parametrize("options, message", [
    (["--rule", "largest_net_saving"], "--rule: is for a sweep's pack, not --sizing (the sizing search chose "
                                       "the mix and compares it with today's); fix: leave --rule out"),
    (["--baseline-job", "1"], "--baseline-job: is for a sweep's pack, not --sizing"),
    (["--target", "delay_mean_days<=1"], "--target: is for a sweep's pack, not --sizing"),
    (["multirun/chu"], "--sizing: given with a sweep folder (multirun/chu); fix: give one folder, SWEEP_DIR "
                       "for a sweep's pack or --sizing DIR for a sizing search's"),
])
def test_sweep_options_are_refused_with_sizing(sizing, capsys, no_notebook, options, message):
    assert _refused(["--sizing", str(sizing), "--no-pdf", *options], capsys).startswith(message)
    assert no_notebook == []


def test_a_sizing_folder_given_as_a_sweep_says_to_use_sizing(sizing, capsys, no_notebook):
    assert _refused([str(sizing), "--no-pdf"], capsys) == (
        f"{sizing} holds no finished flowsim sweep; fix: it is a flowsim-size folder: pass it as --sizing "
        f"{sizing}")
    assert _refused(["--no-pdf"], capsys) == (
        "no folder given; fix: give a sweep folder (flowsim-board SWEEP_DIR) or a flowsim-size folder "
        "(flowsim-board --sizing DIR)")


PLAIN = """overrides: [scenario=quick, housing=off, outputs.patients=false]
seed: 3
objective: cost_total
variables:
  ic_beds: {path: services.ic_beds.capacity, low: 41, high: 49, step: 4}
search: {trials: 3, batch: 3, replications: 2, shortlist: 2, max_replications: 3}
validation: {replications: 0}
"""


def test_a_search_without_targets_or_validation_and_today_off_the_grid(tmp_path):
    (tmp_path / "plain.yaml").write_text(PLAIN, encoding="utf-8")
    size_main([str(tmp_path / "plain.yaml"), "--output", str(tmp_path / "plain"), "--n-jobs", "1"])
    rec = json.loads((tmp_path / "plain" / "recommendation.json").read_text(encoding="utf-8"))
    assert not rec["today_on_grid"] and rec["validation"] is None and rec["constraints"] == []
    main(["--sizing", str(tmp_path / "plain"), "--output", str(tmp_path / "plain.html"), "--no-pdf"])
    parsed = _Page()
    parsed.feed((tmp_path / "plain.html").read_text(encoding="utf-8"))
    text = " ".join(" ".join(parsed.text).split())
    against = rec["against_today"]
    assert (f"Question: Which mix of ic_beds has the lowest total cost a year (acute delayed days and "
            f"services)? Answer: ic_beds {rec['recommended']['ic_beds']} (today: ic_beds "
            f"{rec['today']['ic_beds']}) . Against today's mix, on the same simulated patients, it "
            f"{_cost(against['cost_total_per_year'])}, {_days(against['delayed_days_per_year'])}. Checked on "
            "new patients: not done (the sizing file set validation.replications to 0)") in text
    assert [row[0] for row in _table(parsed, "decision")] == ["decision", "ic_beds"]
    assert len(_table(parsed, "recommended against today, a year")[0]) == 2  # the search's column alone
    assert [row[0] for row in _table(parsed, "")[1:]] == [h for h in EVIDENCE_HEADER if h not in (
        "p3", "delay_mean_days, mean", "meets the targets")]
    assert "today's mix was outside the range searched, so it is not drawn" in text
    assert "a cross" not in text and "Targets count as met" not in text
    assert [section for section, _ in parsed.images] == [PARETO] and FORBIDDEN.findall(text) == []


def test_in_a_browser_the_chart_loads_and_the_pdf_is_printed(pack, driver):
    from pypdf import PdfReader
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(pack.resolve().as_uri())
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && "
        "Array.from(document.images).every(i => i.complete)"))
    assert driver.title == TITLE
    images = driver.execute_script("return Array.from(document.images, i => ({natural: i.naturalWidth, "
                                   "width: i.getBoundingClientRect().width}));")
    assert len(images) == 1 and images[0]["natural"] == 750 and images[0]["width"] > 0  # decoded, drawn
    assert all(image.is_displayed() for image in driver.find_elements(By.TAG_NAME, "img"))
    body = driver.find_element(By.TAG_NAME, "body").text
    assert body.startswith(f"{TITLE}\nQuestion: Which mix of ic_beds and p3 ")
    pdf = pack.with_suffix(".pdf")  # printed by flowsim-board, as every pack is
    reader = PdfReader(pdf)
    first = reader.pages[0].extract_text()
    assert reader.metadata.title == TITLE and "Answer: " in first and FORBIDDEN.findall(first) == []
