"""``flowsim.reporting.board``: figures embedded as real images, parameters injected, code hidden, CLI errors.

Fast: a tiny notebook written here is executed (the board pack itself is executed once, in
``test_notebooks.py``), and the command line is checked with the notebook execution replaced.
"""

from __future__ import annotations

import inspect
import io
import json
import locale
import re
from html import unescape
from pathlib import Path

import matplotlib
import nbclient
import nbformat
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread
from nbclient.exceptions import CellTimeoutError

import flowsim
from flowsim.experiment.pipeline import run_scenario
from flowsim.model.compose import load_config
from flowsim.model.errors import ConfigError
from flowsim.reporting import board
from flowsim.reporting.board import FIGURE_DPI, alt_text, execute_notebook, figure_image, main, notebooks_dir
from flowsim.reporting.pack_files import check_not_others, record_files, recorded
from flowsim.reporting.pdf import with_print_css

TINY_NOTEBOOK = '''# %%
import os

# %% tags=["parameters"]
colour = "red"
size = 1

# %%
print(f"colour={colour} size={size} cwd={os.getcwd()}")

# %%
size * 10
'''


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height))
    fig.subplots().plot([0, 1, 2], [0, 2, 1], color="tab:red")
    return fig


def test_figure_image_is_the_figure_as_png_at_100_dpi():
    assert FIGURE_DPI == 100
    fig = _figure(11, 4.2)
    image = figure_image(fig)
    assert image.format == "png"
    assert image.data.startswith(b"\x89PNG\r\n\x1a\n")
    pixels = imread(io.BytesIO(image.data))
    assert pixels.shape[:2] == (420, 1100)  # 11 x 4.2 in at 100 dpi
    assert pixels[..., :3].var() > 0.001  # something is drawn
    assert fig.axes == []  # cleared once drawn: its artists are freed
    assert imread(io.BytesIO(figure_image(_figure(4, 3), dpi=50).data)).shape[:2] == (150, 200)
    with matplotlib.rc_context({"savefig.format": "svg"}):  # a user's default format: still a PNG
        assert figure_image(_figure(4, 3)).data.startswith(b"\x89PNG\r\n\x1a\n")


def test_notebooks_dir_holds_the_board_pack():
    assert notebooks_dir() == Path(flowsim.__file__).resolve().parent / "notebooks"
    assert (notebooks_dir() / "board_report.py").is_file()


def test_execute_notebook_injects_parameters_after_the_tagged_cell(tmp_path, monkeypatch):
    source = tmp_path / "tiny.py"
    source.write_text(TINY_NOTEBOOK)
    monkeypatch.chdir(tmp_path)
    html = execute_notebook(source, tmp_path / "out" / "deeper" / "tiny.html", {"colour": "blue", "size": 3})
    assert html == tmp_path / "out" / "deeper" / "tiny.html"
    text = html.read_text(encoding="utf-8")
    body = text[text.index("<body"):]
    # what a reader sees: the outputs alone, no code (highlighted code would be split by tags) and no prompts
    visible = " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())
    assert visible == f"colour=blue size=3 cwd={tmp_path} 30"  # run in the caller's folder; 3 x 10
    assert "jp-InputArea" not in body and "jp-InputPrompt" not in body and "jp-OutputPrompt" not in body
    executed = nbformat.read(str(tmp_path / "out" / "deeper" / "tiny.ipynb"), as_version=4)
    assert [c.source for c in executed.cells] == [
        "import os", 'colour = "red"\nsize = 1',
        "# Parameters injected by flowsim.reporting.board\ncolour = 'blue'\nsize = 3",
        'print(f"colour={colour} size={size} cwd={os.getcwd()}")', "size * 10"]
    assert executed.cells[2].metadata["tags"] == ["injected-parameters"]
    assert executed.metadata["kernelspec"] == {"name": "python3", "display_name": "Python 3",
                                               "language": "python"}


def test_execute_notebook_without_a_parameters_cell_or_parameters(tmp_path):
    source = tmp_path / "plain.py"
    source.write_text(TINY_NOTEBOOK.replace(' tags=["parameters"]', ""))
    execute_notebook(source, tmp_path / "plain.html", {"size": 7})
    executed = nbformat.read(str(tmp_path / "plain.ipynb"), as_version=4)
    injected = "# Parameters injected by flowsim.reporting.board\nsize = 7"
    assert executed.cells[0].source == injected  # first, then
    assert "colour=red size=1" in (tmp_path / "plain.html").read_text()  # ... the notebook's own values
    execute_notebook(tmp_path / "plain.ipynb", tmp_path / "again.html")
    again = nbformat.read(str(tmp_path / "again.ipynb"), as_version=4)
    assert len(again.cells) == 5 and "colour=red size=1" in (tmp_path / "again.html").read_text()


def test_execute_notebook_defaults(tmp_path, monkeypatch):
    parameters = inspect.signature(execute_notebook).parameters
    assert parameters["timeout_s"].default == 1200  # 20 minutes a cell: a full-size sweep's pack
    assert parameters["parameters"].default is None
    clients = []

    class Client:
        def __init__(self, notebook, **options):
            clients.append(options)
            raise KeyboardInterrupt  # stop before a kernel starts

    monkeypatch.setattr(nbclient, "NotebookClient", Client)
    source = tmp_path / "tiny.py"
    source.write_text(TINY_NOTEBOOK)
    with pytest.raises(KeyboardInterrupt):
        execute_notebook(source, tmp_path / "tiny.html")
    assert clients[0]["timeout"] == 1200


def test_execute_notebook_writes_utf8_whatever_the_locale(tmp_path):
    source = tmp_path / "pounds.py"
    source.write_text('# %%\nprint("net saving GBP 5 \\u00a3 \\u25b2")\n')  # a pound sign and a triangle
    ctype = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")  # a machine whose default encoding is ASCII
    try:
        html = execute_notebook(source, tmp_path / "pounds.html")
    finally:
        locale.setlocale(locale.LC_CTYPE, ctype)
    assert "net saving GBP 5 £ ▲" in html.read_bytes().decode("utf-8")


def test_execute_notebook_stops_a_cell_at_its_time_limit(tmp_path):
    source = tmp_path / "slow.py"
    source.write_text("# %%\nimport time\ntime.sleep(30)\n")
    with pytest.raises(CellTimeoutError):
        execute_notebook(source, tmp_path / "slow.html", timeout_s=1)


def _finished_sweep(out: Path) -> Path:
    overrides = ["scenario=quick", "run.warm_up_days=10", "run.horizon_days=20", "replications=1",
                 "outputs.summary=false", "outputs.patients=false"]
    run_scenario(load_config(overrides), out / "0", overrides=overrides, progress=False, job=0)
    return out


@pytest.fixture
def prints(monkeypatch) -> list[tuple[Path, Path, str]]:
    """The PDFs main() asks for and the browser found (neither real: test_board_browser.py prints)."""
    seen: list[tuple[Path, Path, str]] = []
    monkeypatch.setattr(board, "find_browser", lambda: "/opt/browser/chromium")
    monkeypatch.setattr(board, "print_pdf", lambda html, pdf, browser: seen.append((html, pdf, browser)))
    return seen


@pytest.fixture
def calls(monkeypatch, prints) -> list[tuple[Path, Path, dict]]:
    """The notebook executions main() asks for (not run: main's own work is what is checked)."""
    seen: list[tuple[Path, Path, dict]] = []
    monkeypatch.setattr(board, "execute_notebook", lambda source, html, parameters: seen.append(
        (source, html, parameters)))
    return seen


def test_main_passes_the_sweep_and_options_to_the_pack(tmp_path, calls, prints, capsys):
    sweep = _finished_sweep(tmp_path / "sweep")
    main([str(sweep)])
    assert calls == [(notebooks_dir() / "board_report.py", sweep / "board_report.html",
                      {"sweep_dir": str(sweep.resolve()), "baseline_job": None, "rule": "within_ci_of_best",
                       "target": None, "config_file": str((sweep / "board_report_config.yaml").resolve())})]
    assert prints == [(sweep / "board_report.html", sweep / "board_report.pdf", "/opt/browser/chromium")]
    assert capsys.readouterr().out == (f"Board pack written to {sweep / 'board_report.html'} and "
                                       f"{sweep / 'board_report.pdf'}\n")
    main([str(sweep), "--output", str(tmp_path / "pack.html"), "--baseline-job", "0", "--title", "Q3 pack",
          "--rule", "cheapest_meeting_target", "--target", "nctr_census_midnight_p95<=40"])
    assert calls[1][1:] == (tmp_path / "pack.html", {
        "sweep_dir": str(sweep.resolve()), "baseline_job": 0, "rule": "cheapest_meeting_target",
        "target": "nctr_census_midnight_p95<=40",
        "config_file": str((tmp_path / "pack_config.yaml").resolve()), "title": "Q3 pack"})
    assert prints[1] == (tmp_path / "pack.html", tmp_path / "pack.pdf", "/opt/browser/chromium")
    capsys.readouterr()
    main([str(sweep), "--output", str(tmp_path / "html_only.htm"), "--no-pdf"])
    assert calls[2][1] == tmp_path / "html_only.htm" and len(prints) == 2
    assert capsys.readouterr().out == f"Board pack written to {tmp_path / 'html_only.htm'}\n"
    with pytest.raises(SystemExit) as exit_:
        main([str(sweep), "--baseline-job", "first"])
    assert exit_.value.code == 2 and len(calls) == 3


def test_main_without_a_browser_stops_before_the_notebook(tmp_path, calls, prints, capsys, monkeypatch):
    sweep = _finished_sweep(tmp_path / "sweep")
    monkeypatch.setattr(board, "find_browser", lambda: None)
    with pytest.raises(SystemExit) as exit_:
        main([str(sweep)])
    assert exit_.value.code == 2 and calls == [] and prints == []
    assert capsys.readouterr().err == (
        "flowsim-board: error: no browser to print the PDF (none of chromium, chromium-browser, "
        "google-chrome is on PATH); fix: install chromium (apt install chromium) or pass --no-pdf\n")
    main([str(sweep), "--no-pdf"])  # the HTML alone needs no browser
    assert len(calls) == 1 and prints == []


@pytest.mark.parametrize("name, options", [
    ("results.parquet", ["--no-pdf"]),  # the sweep's own table, overwritten with HTML
    ("0/metrics.json", ["--no-pdf"]),  # a job's results
    ("board.ipynb", []),  # the page and its executed notebook in one file
    ("pack.pdf", []),  # the page and its PDF in one file
    ("pack.pdf", ["--no-pdf"]),
    ("board_report_config.yaml", ["--no-pdf"]),
    ("notes.txt", ["--no-pdf"]),
    ("board", ["--no-pdf"]),
    (".html", ["--no-pdf"]),  # a hidden name without a suffix: not .html.html as the example
])
def test_main_refuses_an_output_that_is_not_an_html_file(tmp_path, calls, prints, capsys, name, options):
    sweep = _finished_sweep(tmp_path / "sweep")
    output = sweep / name
    before = output.read_bytes() if output.is_file() else None
    with pytest.raises(SystemExit) as exit_:
        main([str(sweep), "--output", str(output), *options])
    assert exit_.value.code == 2 and calls == [] and prints == []
    example = output.with_name("board_report.html") if name == ".html" else output.with_suffix(".html")
    assert capsys.readouterr().err == (
        f"flowsim-board: error: --output: {output} is not an HTML file (its name must end in .html or .htm); "
        f"fix: give e.g. {example}\n")
    assert (output.read_bytes() if output.is_file() else None) == before
    main([str(sweep), "--output", str(tmp_path / "Pack.HTML"), *options])  # the suffix in any case
    assert calls[0][1] == tmp_path / "Pack.HTML"


def test_main_keeps_a_page_of_the_planners_own(tmp_path, calls, prints, capsys):
    sweep = _finished_sweep(tmp_path / "sweep")
    page = tmp_path / "index.html"
    page.write_text("<html><head><title>Our team's page</title></head></html>")
    with pytest.raises(SystemExit) as exit_:
        main([str(sweep), "--output", str(page), "--no-pdf"])
    assert exit_.value.code == 2 and calls == []
    assert capsys.readouterr().err == (
        f"flowsim-board: error: --output: {page} already exists and is not a board pack, so the pack would "
        "replace it; fix: give a new file name, or move index.html away\n")
    assert page.read_text() == "<html><head><title>Our team's page</title></head></html>"


@pytest.mark.parametrize("name, what, options", [
    ("pack.ipynb", "executed notebook", ["--no-pdf"]),
    ("pack.pdf", "PDF", []),
    ("pack_config.yaml", "configuration", ["--no-pdf"]),
])
def test_main_keeps_files_of_the_planners_own_beside_the_page(tmp_path, calls, prints, capsys, name, what,
                                                              options):
    sweep = _finished_sweep(tmp_path / "sweep")
    theirs = tmp_path / name
    theirs.write_text("the planner's own")
    with pytest.raises(SystemExit) as exit_:
        main([str(sweep), "--output", str(tmp_path / "pack.html"), *options])
    assert exit_.value.code == 2 and calls == [] and prints == []
    assert capsys.readouterr().err == (
        f"flowsim-board: error: --output: {theirs} already exists and the pack writes its {what} there "
        f"(beside pack.html, which does not exist); fix: give another --output name, or move {name} away\n")
    assert theirs.read_text() == "the planner's own"


PACK_FILES = ("pack.ipynb", "pack.pdf", "pack_config.yaml")


def _earlier_pack(folder: Path, names: tuple[str, ...] = PACK_FILES) -> Path:
    """A pack as flowsim-board leaves it: its page, the files beside it, and the page's record of them."""
    html = folder / "pack.html"
    html.write_text(with_print_css("<html><head></head><body>last month's pack</body></html>"))
    for name in names:
        (folder / name).write_text(f"last month's {name}")
    record_files(html, [folder / name for name in names])
    return html


def test_main_does_not_write_through_a_link_beside_a_new_page(tmp_path, calls, prints, capsys):
    sweep = _finished_sweep(tmp_path / "sweep")
    (tmp_path / "pack_config.yaml").symlink_to(tmp_path / "elsewhere.yaml")  # to nothing, yet
    with pytest.raises(SystemExit) as exit_:
        main([str(sweep), "--output", str(tmp_path / "pack.html"), "--no-pdf"])
    assert exit_.value.code == 2 and calls == []
    assert "pack_config.yaml already exists" in capsys.readouterr().err
    assert not (tmp_path / "elsewhere.yaml").exists()


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and not p.is_symlink()}


def test_main_replaces_a_pack_it_wrote_before(tmp_path, calls, prints, capsys):
    sweep = _finished_sweep(tmp_path / "sweep")
    html = _earlier_pack(tmp_path)
    main([str(sweep), "--output", str(html)])
    assert [call[1] for call in calls] == [html] and prints == [(html, tmp_path / "pack.pdf",
                                                                 "/opt/browser/chromium")]
    html.unlink()  # a pack's notebook alone, its page deleted: not known to be one
    with pytest.raises(SystemExit):
        main([str(sweep), "--output", str(html)])
    assert len(calls) == 1
    main([str(sweep), "--output", str(tmp_path / "other.html")])  # another name: another pack's files
    assert calls[1][1] == tmp_path / "other.html"


@pytest.mark.parametrize(("change", "options", "kept", "problem"), [
    # the page edited by hand (notes added): replacing it would lose them
    (lambda d: (d / "pack.html").write_text((d / "pack.html").read_text().replace("last", "LAST")), [],
     "pack.html", "is a board pack changed since flowsim-board wrote it"),
    # a file beside it that the pack did not write: the PDF of a --no-pdf pack, a notebook the planner
    # edited, a folder, a link (even to nothing: the pack would write through it)
    (lambda d: (d / "pack.pdf").write_text("the planner's own"), [], "pack.pdf", "is not the PDF"),
    (lambda d: (d / "pack.ipynb").write_text("edited"), ["--no-pdf"], "pack.ipynb",
     "is not the executed notebook"),
    (lambda d: ((d / "pack.ipynb").unlink(), (d / "pack.ipynb").mkdir()), ["--no-pdf"], "pack.ipynb",
     "is not the executed notebook"),
    (lambda d: ((d / "pack_config.yaml").unlink(), (d / "pack_config.yaml").symlink_to(d / "nowhere.yaml")),
     ["--no-pdf"], "pack_config.yaml", "is not the configuration"),
])
def test_main_keeps_what_the_earlier_pack_did_not_write(tmp_path, calls, prints, capsys, change, options,
                                                        kept, problem):
    sweep = _finished_sweep(tmp_path / "sweep")
    _earlier_pack(tmp_path, names=("pack.ipynb", "pack_config.yaml"))  # made with --no-pdf
    change(tmp_path)
    before = _files(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main([str(sweep), "--output", str(tmp_path / "pack.html"), *options])
    assert exit_.value.code == 2 and calls == [] and prints == []
    err = capsys.readouterr().err
    assert err.startswith(f"flowsim-board: error: --output: {tmp_path / kept} {problem}") and "fix:" in err
    assert before == _files(tmp_path)


def test_a_pack_without_its_pdf_keeps_the_earlier_pdf_known_as_the_packs(tmp_path):
    # a pack with its PDF, then one with --no-pdf: the next pack with a PDF replaces the old PDF
    html = _earlier_pack(tmp_path)
    earlier = recorded(html)
    assert set(earlier) == set(PACK_FILES)
    html.write_text(with_print_css("<html><head></head><body>this month's</body></html>"))  # the notebook
    record_files(html, [tmp_path / "pack.ipynb", tmp_path / "pack_config.yaml"], earlier)
    check_not_others(html, [tmp_path / name for name in PACK_FILES])
    (tmp_path / "pack.pdf").write_text("changed since")  # changed: no longer the pack's
    record_files(html, [tmp_path / "pack.ipynb", tmp_path / "pack_config.yaml"], earlier)
    with pytest.raises(ConfigError, match="is not the PDF"):
        check_not_others(html, [tmp_path / name for name in PACK_FILES])


def test_a_pack_keeps_its_record_across_a_pdf_and_another_pack(tmp_path):
    html = _earlier_pack(tmp_path, names=("pack.ipynb", "pack_config.yaml"))
    check_not_others(html, [tmp_path / "pack.ipynb", tmp_path / "pack_config.yaml"])  # its own: replaced
    (tmp_path / "pack.pdf").write_bytes(b"%PDF-1.4 printed")
    record_files(html, [tmp_path / "pack.ipynb", tmp_path / "pack_config.yaml", tmp_path / "pack.pdf"])
    assert html.read_text().count("flowsim-board wrote") == 1  # the record is replaced, not added to
    check_not_others(html, [tmp_path / "pack.ipynb", tmp_path / "pack_config.yaml", tmp_path / "pack.pdf"])


@pytest.fixture
def writes(monkeypatch) -> dict[str, bool]:
    """Stand-ins that write what the notebook and the browser write: the page, its notebook, its
    configuration (``writes["config"]``: a sizing without a recommendation writes none) and the PDF."""
    options = {"config": True}

    def notebook(source, html, parameters):
        html.write_text(with_print_css(f"<html><head></head><body>{parameters}</body></html>"))
        html.with_suffix(".ipynb").write_text("{}")
        if options["config"]:
            Path(parameters["config_file"]).write_text("scenario: {}\n")

    monkeypatch.setattr(board, "execute_notebook", notebook)
    monkeypatch.setattr(board, "find_browser", lambda: "/opt/browser/chromium")
    monkeypatch.setattr(board, "print_pdf", lambda html, pdf, browser: pdf.write_bytes(b"%PDF-1.4"))
    return options


@pytest.mark.parametrize("earlier_pdf", [False, True])  # the planner's own PDF, or the pack's edited
def test_main_without_a_pdf_leaves_a_pdf_of_the_planners_alone(tmp_path, writes, capsys, earlier_pdf):
    sweep = _finished_sweep(tmp_path / "sweep")
    html = tmp_path / "pack.html"
    if earlier_pdf:
        main([str(sweep), "--output", str(html)])
    (tmp_path / "pack.pdf").write_text("the planner's own")
    main([str(sweep), "--output", str(html), "--no-pdf"])  # the PDF is not written, nor taken as the pack's
    assert (tmp_path / "pack.pdf").read_text() == "the planner's own"
    assert set(recorded(html)) == {"pack.ipynb", "pack_config.yaml"}
    with pytest.raises(SystemExit) as exit_:  # a pack with its PDF would replace it
        main([str(sweep), "--output", str(html)])
    assert exit_.value.code == 2 and "pack.pdf is not the PDF" in capsys.readouterr().err
    assert (tmp_path / "pack.pdf").read_text() == "the planner's own"


def test_main_without_a_pdf_removes_the_earlier_packs_pdf(tmp_path, writes, capsys):
    """Beside the new page, the replaced pack's PDF would be sent with other numbers (found by a QA
    pass: the page even recorded it as its own)."""
    sweep = _finished_sweep(tmp_path / "sweep")
    html = tmp_path / "pack.html"
    main([str(sweep), "--output", str(html)])
    assert set(recorded(html)) == set(PACK_FILES)
    capsys.readouterr()
    main([str(sweep), "--output", str(html), "--no-pdf"])
    assert not (tmp_path / "pack.pdf").exists()
    assert set(recorded(html)) == {"pack.ipynb", "pack_config.yaml"}
    assert capsys.readouterr().out == (f"Board pack written to {html} (the earlier pack's pack.pdf removed: "
                                       "it showed the earlier numbers)\n")
    main([str(sweep), "--output", str(html), "--no-pdf"])  # nothing to remove: the usual line
    assert capsys.readouterr().out == f"Board pack written to {html}\n"
    main([str(sweep), "--output", str(html)])  # a pack with its PDF again
    assert set(recorded(html)) == set(PACK_FILES)


def test_main_with_a_pdf_keeps_an_earlier_file_it_did_not_write_again(tmp_path, writes):
    # a sizing pack, then one of a folder with no recommendation (no configuration written): the old
    # configuration stays the pack's, so a later pack replaces it
    sweep = _finished_sweep(tmp_path / "sweep")
    html = tmp_path / "pack.html"
    main([str(sweep), "--output", str(html)])
    writes["config"] = False
    main([str(sweep), "--output", str(html)])
    assert set(recorded(html)) == set(PACK_FILES)
    writes["config"] = True
    main([str(sweep), "--output", str(html)])
    assert set(recorded(html)) == set(PACK_FILES)


def test_main_says_when_the_pdf_was_not_printed(tmp_path, calls, capsys, monkeypatch):
    sweep = _finished_sweep(tmp_path / "sweep")

    def fail(html, pdf, browser):
        raise RuntimeError(f"{browser} exited with code 1 and no PDF: Trace/breakpoint trap\n(core dumped)")

    monkeypatch.setattr(board, "print_pdf", fail)
    with pytest.raises(SystemExit) as exit_:
        main([str(sweep), "--output", str(tmp_path / "pack.html")])
    assert exit_.value.code == 1 and len(calls) == 1
    assert capsys.readouterr().err == (
        "flowsim-board: error: the PDF was not printed (/opt/browser/chromium exited with code 1 and no "
        f"PDF: Trace/breakpoint trap (core dumped)); the HTML is written to {tmp_path / 'pack.html'}; fix: "
        "open it in a browser and print it, or pass --no-pdf\n")


@pytest.mark.parametrize("options, message", [
    (["--rule", "best"], "--rule: unknown rule 'best'; fix: use one of within_ci_of_best, "
                         "cheapest_meeting_target, largest_net_saving"),
    (["--rule", "cheapest_meeting_target"], "--target: is required by --rule cheapest_meeting_target; fix: "
                                            "add e.g. --target 'delay_P2_mean_days<=8.7'"),
    (["--target", "delayed_days_per_year<=1"], "--target: is only used by --rule cheapest_meeting_target, "
                                               "not within_ci_of_best; fix: leave --target out, or add "
                                               "--rule cheapest_meeting_target"),
    (["--rule", "cheapest_meeting_target", "--target", "delayed_days_per_year=1"],
     "--target: 'delayed_days_per_year=1' is not KPI<=VALUE or KPI>=VALUE; fix: give e.g. "
     "--target 'delay_P2_mean_days<=8.7'"),
    (["--rule", "cheapest_meeting_target", "--target", "delayed_days_per_yaer<=1"],
     "--target: delayed_days_per_yaer is not a KPI of this sweep; fix: use a KPI of its summary.csv, e.g. "
     "delayed_days_per_year"),
    *[(["--rule", "cheapest_meeting_target", "--target", f"{column}<=1"],  # the tables' keys, not KPIs
       f"--target: {column} is not a KPI of this sweep") for column in ("job", "replication")],
])
def test_main_refuses_a_rule_or_target_before_the_notebook_runs(tmp_path, calls, capsys, options, message):
    sweep = _finished_sweep(tmp_path / "sweep")
    with pytest.raises(SystemExit) as exit_:
        main([str(sweep), *options])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"flowsim-board: error: {message}") and err.count("\n") == 1
    assert calls == []


def test_main_refuses_a_folder_whose_finished_jobs_are_not_those_its_sweep_lists(tmp_path, calls, capsys):
    sweep = _finished_sweep(tmp_path / "sweep")  # job 0 finished; its sweep.json lists job 1 only
    (sweep / "sweep.json").write_text(json.dumps({"jobs": {"1": {"identity": {"digest": "0" * 64}}}}))
    with pytest.raises(SystemExit) as exit_:
        main([str(sweep)])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        f"flowsim-board: error: {sweep} holds no finished job of the sweep its sweep.json lists; fix: rerun "
        "the sweep's command to finish its jobs\n")
    assert calls == []


def test_main_refuses_a_folder_without_a_sweep(tmp_path, calls, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path)])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        f"flowsim-board: error: {tmp_path} holds no finished flowsim sweep; fix: run the sweep first "
        "(e.g. flowsim experiment=care_home_units)\n")
    assert calls == []


@pytest.mark.parametrize(("name", "what"), [("nowhere", "does not exist"),
                                           ("a_file", "is a file, not a sweep's folder")])
def test_main_says_a_path_that_is_not_a_folder_is_not_a_sweep_to_run(tmp_path, calls, capsys, name, what):
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path / name)])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        f"flowsim-board: error: {tmp_path / name}: {what}; fix: give the sweep's folder (its "
        "hydra.sweep.dir, e.g. multirun/care_home_units)\n")
    assert calls == []


def test_main_refuses_tables_not_gathered_from_the_jobs(tmp_path, calls, capsys):
    sweep = _finished_sweep(tmp_path / "sweep")
    pd.DataFrame({"job": [0]}).to_parquet(sweep / "results.parquet")  # no collected.json records it
    with pytest.raises(SystemExit) as exit_:
        main([str(sweep)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"flowsim-board: error: {sweep / 'results.parquet'}: was not gathered from the "
                          "jobs now in the folder") and err.count("\n") == 1
    assert calls == []
    (sweep / "0" / "metrics.json").unlink()  # only the gathered table is left
    with pytest.raises(SystemExit):
        main([str(sweep)])
    assert "was not gathered from the jobs now in the folder" in capsys.readouterr().err


def test_main_help_names_the_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    raw = capsys.readouterr().out
    # the examples keep their lines (a reflowing formatter would run them into one paragraph)
    assert raw.endswith("\nexamples:\n"
                        "  flowsim-board multirun/care_home_units --output reports/board.html --title "
                        "'Rehab beds'\n"
                        "  flowsim-board multirun/care_home_units --rule cheapest_meeting_target "
                        "--target 'delay_P2_mean_days<=8.7'\n"
                        "  flowsim-board --sizing sizing/winter --output reports/winter_mix.html\n\n"
                        "documentation: docs/how-to/board-pack.md in the flowsim source (make docs builds "
                        "the site)\n")
    text = " ".join(raw.split())
    assert text.startswith("usage: flowsim-board [-h] [--version] [--sizing DIR] [--output OUTPUT] "
                           "[--baseline-job BASELINE_JOB] [--title TITLE] [--rule RULE] "
                           "[--target KPI<=VALUE] [--pdf | --no-pdf] [sweep_dir]")
    assert ("--rule RULE how the option is chosen: within_ci_of_best, cheapest_meeting_target, "
            "largest_net_saving (default: within_ci_of_best)" in text)
    assert ("--target KPI<=VALUE for --rule cheapest_meeting_target: a KPI of summary.csv and the level its "
            "mean must reach, KPI<=VALUE or KPI>=VALUE" in text)
    assert (" [sweep_dir] Build the board pack (HTML, code hidden, and the same as an A4 PDF) of a sweep "
            "directory from notebooks/board_report.py, or of a flowsim-size folder (--sizing DIR: the "
            "recommended capacity mix against today's, the Pareto chart and the evidence) from "
            "notebooks/board_sizing.py. positional arguments: sweep_dir a finished sweep's folder "
            "(hydra.sweep.dir); leave it out with --sizing" in text)
    assert ("--sizing DIR a flowsim-size output folder (with recommendation.json and candidates.csv) instead "
            "of a sweep: the pack presents the recommended mix" in text)
    assert "--output OUTPUT HTML file (default: board_report.html in SWEEP_DIR or the --sizing DIR)" in text
    assert ("--pdf, --no-pdf also print the pack to an A4 PDF beside the HTML (OUTPUT with .pdf), with "
            "Chromium; --no-pdf writes the HTML only (default: --pdf)" in text)
    assert text.endswith(
        "examples: flowsim-board multirun/care_home_units --output reports/board.html --title 'Rehab beds' "
        "flowsim-board multirun/care_home_units --rule cheapest_meeting_target "
        "--target 'delay_P2_mean_days<=8.7' "
        "flowsim-board --sizing sizing/winter --output reports/winter_mix.html "
        "documentation: docs/how-to/board-pack.md in the flowsim source (make docs builds the site)")


def test_the_kernels_own_log_does_not_reach_the_terminal(tmp_path, capfd):
    source = tmp_path / "tiny.py"
    source.write_text(TINY_NOTEBOOK)
    execute_notebook(source, tmp_path / "tiny.html")
    err = capfd.readouterr().err  # file descriptor 2, which the kernel process inherits
    assert "IPKernelApp" not in err and "Kernel" not in err, err


def test_the_page_title_is_the_packs_first_heading(tmp_path):
    source = tmp_path / "titled.py"
    source.write_text("# %% [markdown]\n# Some text first\n\n# %%\nfrom IPython.display import Markdown\n"
                      "display(Markdown('# Rehab beds: how many?'))\n")
    html = execute_notebook(source, tmp_path / "titled.html").read_text(encoding="utf-8")
    assert "<title>Rehab beds: how many?</title>" in html
    # a heading in a markdown cell counts, a one-letter one too; raw cells have no outputs to read
    marked = tmp_path / "marked.py"
    marked.write_text("# %% [raw]\n# raw text\n\n# %% [markdown]\n# Intro\n#\n# # Q\n\n"
                      "# %%\nfrom IPython.display import Markdown\ndisplay(Markdown('# Later'))\n")
    page = execute_notebook(marked, tmp_path / "marked.html").read_text(encoding="utf-8")
    assert "<title>Q</title>" in page
    plain = tmp_path / "plain.py"
    plain.write_text("# %%\nprint(1)\n")
    page = execute_notebook(plain, tmp_path / "plain.html").read_text(encoding="utf-8")
    assert "<title>plain</title>" in page  # no heading: the file's name


def test_the_target_kpis_are_the_replications_columns_without_the_replication_number(tmp_path, calls, prints,
                                                                                      capsys):
    sweep = _finished_sweep(tmp_path / "sweep")
    kpis = board._kpis(sweep)
    assert "replication" not in kpis and {"delayed_days_per_year", "nctr_census_midnight_p95"} <= set(kpis)
    with pytest.raises(SystemExit) as exit_:
        main([str(sweep), "--rule", "cheapest_meeting_target", "--target", "replication<=1"])
    assert exit_.value.code == 2 and calls == []
    assert capsys.readouterr().err.startswith("flowsim-board: error: ")
    main([str(sweep), "--rule", "cheapest_meeting_target", "--target", "delayed_days_per_year<=5"])
    assert calls[0][2]["target"] == "delayed_days_per_year<=5"


def test_an_error_in_a_cell_still_stops_the_pack_with_its_message(tmp_path):
    source = tmp_path / "broken.py"
    source.write_text('# %%\nraise ValueError("no such job")\n')
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="no such job"):
        execute_notebook(source, tmp_path / "broken.html")


FIGURE_NOTEBOOK = '''# %%
from IPython.display import display
from matplotlib.figure import Figure

from flowsim.reporting.board import figure_image

fig = Figure(figsize=(4, 3))
axis = fig.subplots()
axis.plot([0, 1], [1, 2])
axis.set_title("Delays & <costs>\\nby day")
axis.set_xlabel("day")
axis.set_ylabel("beds")
display(figure_image(fig))
'''


def test_the_page_loads_nothing_from_the_internet_and_describes_its_charts(tmp_path):
    """The page asked a CDN for require.js and MathJax (errors offline or behind a filter), and each chart's
    alt text was nbconvert's "No description has been provided for this image" (found by a QA pass)."""
    source = tmp_path / "figure.py"
    source.write_text(FIGURE_NOTEBOOK)
    text = execute_notebook(source, tmp_path / "figure.html").read_text(encoding="utf-8")
    assert not re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"']?(?:https?:)?//", text)
    assert not re.findall(r"import\(\s*[\"'](?:https?:)?//", text)  # a module script's own loading
    images = re.findall(r"<img\b[^>]*>", text)
    assert len(images) == 1 and 'src="data:image/png;base64,' in images[0]
    assert re.findall(r'alt="([^"]*)"', images[0]) == [
        "Chart: Delays &amp; &lt;costs&gt; by day: x axis day, y axis beds."]


def test_alt_text_names_the_titles_and_axes_a_figure_has():
    fig = Figure()
    assert alt_text(fig) == "Chart"
    fig.suptitle("Against the baseline")
    left, right = fig.subplots(1, 2)
    left.set_title("Delayed days")
    left.set_ylabel("days")
    right.set_xlabel("  ")  # blank: not a label
    assert alt_text(fig) == "Chart: Against the baseline. Delayed days: y axis days."
