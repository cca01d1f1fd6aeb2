"""Board packs: run a parameterised notebook headless and export it as HTML without code.

Notebooks live in ``notebooks/`` as jupytext percent-format ``.py`` files. The cell tagged
``parameters`` holds defaults; :func:`execute_notebook` injects the caller's values in a cell right
after it (as papermill does), executes the notebook with nbclient, and writes a self-contained HTML
file with every code cell's input hidden (what a board reads), plus the executed ``.ipynb``. The HTML
carries print styles (:mod:`flowsim.reporting.pdf`), and ``flowsim-board`` prints it to a PDF beside it.

``flowsim-board SWEEP_DIR`` builds the pack of a sweep (``notebooks/board_report.py``);
``flowsim-board --sizing DIR`` the pack of a ``flowsim-size`` search (``notebooks/board_sizing.py``,
its sentences and tables from :mod:`flowsim.reporting.sizing_pack`). Either folder is checked first,
and so are every job's result tables (read as the pack reads them), ``--baseline-job`` and ``--output``
(an ``.html`` file in a folder that exists), so a missing, damaged or out-of-date input stops with one
line and exit code 2 before the notebook runs and before anything is written. A result file the
notebook finds damaged (the census of the option it chose) stops it with a
:class:`~flowsim.model.errors.ConfigError` (the pack reads every file before it writes one), which
``flowsim-board`` prints as that one line too.

Figures go into a pack through :func:`figure_image`: a bare :class:`matplotlib.figure.Figure` (not
registered with pyplot) would display as its text repr, ``<Figure size 1100x420 with 2 Axes>``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Mapping, Sequence
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from flowsim.experiment.sweep import check_collected, collect_sweep, find_jobs, sweep_job_ids
from flowsim.experiment.writable import check_output_file
from flowsim.model.errors import EXIT_CONFIG_ERROR, ArgumentParser, ConfigError
from flowsim.reporting.decision import DEFAULT_RULE, RULES, check_rule
from flowsim.reporting.pack_files import check_not_others, record_files, recorded, remove_earlier
from flowsim.reporting.pdf import BROWSERS, find_browser, print_pdf, with_print_css
from flowsim.reporting.sizing_folder import check_sizing

if TYPE_CHECKING:
    from IPython.display import Image
    from matplotlib.figure import Figure

__all__ = ["FIGURE_DPI", "alt_text", "execute_notebook", "figure_image", "main", "notebooks_dir"]

# Pixels per inch of a figure in a board pack: a 11 x 4.2 in figure is 1100 x 420 pixels.
FIGURE_DPI = 100
# The names --output may end in: the pack is an HTML page.
_HTML_SUFFIXES = (".html", ".htm")


def notebooks_dir() -> Path:
    """The notebooks shipped inside the package (``notebooks/`` in the repository)."""
    return Path(__file__).resolve().parents[1] / "notebooks"


def figure_image(fig: Figure, dpi: int = FIGURE_DPI) -> Image:
    """A figure as a PNG image for ``IPython.display.display``: it embeds in the exported HTML.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        From :mod:`flowsim.reporting.plots`; cleared once drawn, which frees its artists.
    dpi : int
        Pixels per inch: the image is ``fig`` width x ``dpi`` by height x ``dpi`` pixels.

    Returns
    -------
    IPython.display.Image
        PNG data, displayed as ``<img src="data:image/png;base64,...">`` in the HTML.
    """
    from IPython.display import Image

    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    alt = alt_text(fig)
    fig.clear()
    return Image(data=buffer.getvalue(), alt=alt)  # PNG: IPython reads the format from the data


def alt_text(fig: Figure) -> str:
    """A chart's description for a screen reader: its titles and what its axes show.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    str
        ``"Chart: <title>. <axis title>: x axis <label>, y axis <label>."``, each part only where the
        figure has it; ``"Chart"`` for a figure with no text.
    """
    def flat(text: str) -> str:
        return " ".join(text.split())

    parts = [flat(fig.get_suptitle())] if fig.get_suptitle() else []
    for axis in fig.axes:
        labels = [f"{name} axis {flat(label)}" for name, label in (("x", axis.get_xlabel()),
                                                                  ("y", axis.get_ylabel())) if label.strip()]
        title = flat(axis.get_title())
        if title or labels:
            parts.append(": ".join(p for p in (title, ", ".join(labels)) if p))
    return "Chart: " + ". ".join(parts) + "." if parts else "Chart"


def execute_notebook(source: str | Path, html: str | Path, parameters: Mapping[str, Any] | None = None,
                     timeout_s: int = 1200) -> Path:
    """Execute a jupytext notebook with ``parameters`` and export it to HTML without code.

    Parameters
    ----------
    source : path
        A ``.py`` (jupytext percent format) or ``.ipynb`` notebook.
    html : path
        The HTML file to write; the executed notebook goes next to it as ``.ipynb``.
    parameters : mapping, optional
        Values to inject after the cell tagged ``parameters``.
    timeout_s : int
        Per-cell execution time limit in seconds.

    Returns
    -------
    pathlib.Path
        The HTML file.
    """
    import jupytext
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    notebook = jupytext.read(str(source))
    if parameters:
        lines = ["# Parameters injected by flowsim.reporting.board"]
        lines += [f"{name} = {value!r}" for name, value in parameters.items()]
        injected = nbformat.v4.new_code_cell("\n".join(lines), metadata={"tags": ["injected-parameters"]})
        tagged = [i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", [])]
        notebook.cells.insert(tagged[0] + 1 if tagged else 0, injected)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    out = Path(html)
    # the kernel is the notebook's kernelspec (python3, set above) and runs in the caller's folder; its
    # own log (e.g. ipykernel's "running over TCP" warning) is not for the planner's terminal: an error
    # in a cell still stops the pack, with its traceback, through nbclient
    NotebookClient(notebook, timeout=timeout_s).execute(stderr=subprocess.DEVNULL)
    out.parent.mkdir(parents=True, exist_ok=True)  # once it ran: a failed notebook leaves no empty folder
    nbformat.write(notebook, str(out.with_suffix(".ipynb")))
    # without code cells' input there is no input prompt either; results lose their "Out[n]:"
    # flowsim's page (templates/flowsim_board.html.j2): no scripts from a CDN, and charts' alt text
    exporter = HTMLExporter(exclude_input=True, exclude_output_prompt=True,
                            extra_template_paths=[str(Path(__file__).parent / "templates")],
                            template_file="flowsim_board.html.j2")
    # the page's title (a browser's tab, a PDF's document title) is its first heading, not "Notebook"
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": _heading(notebook, out)}})
    out.write_text(with_print_css(body), encoding="utf-8")
    return out


def _kpis(sweep: Path) -> list[str] | None:
    """The KPIs of the sweep (its replications tables' columns), if it has a finished job.

    Every job's tables are read as the pack reads them, so a damaged or overwritten one stops here, in
    one line, before the notebook (where it would stop a cell).
    """
    finished, _ = find_jobs(sweep)
    if not finished:
        return None
    tables = collect_sweep(sweep, write=False)
    return [c for c in tables.results.columns if c not in ("job", "replication", *tables.swept)]


def _heading(notebook: Any, html: Path) -> str:
    """The first level-1 heading a reader sees (a markdown cell or a displayed Markdown output)."""
    for cell in notebook.cells:
        texts = [cell.source] if cell.cell_type == "markdown" else [
            output.get("data", {}).get("text/markdown", "") for output in cell.get("outputs", [])]
        for text in texts:
            for line in "".join(text).splitlines():
                if line.startswith("# ") and line[2:].strip():
                    return line[2:].strip()
    return html.stem


def _parser() -> argparse.ArgumentParser:
    """The ``flowsim-board`` command-line parser."""
    parser = ArgumentParser(
        prog="flowsim-board", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=(
        "examples:\n"
        "  flowsim-board multirun/care_home_units --output reports/board.html --title 'Rehab beds'\n"
        "  flowsim-board multirun/care_home_units --rule cheapest_meeting_target "
        "--target 'delay_P2_mean_days<=8.7'\n"
        "  flowsim-board --sizing sizing/winter --output reports/winter_mix.html\n\n"
        "documentation: docs/how-to/board-pack.md in the flowsim source (make docs builds the site)"),
        description=(
        "Build the board pack (HTML, code hidden, and the same as an A4 PDF) of a sweep directory from "
        "notebooks/board_report.py, or of a flowsim-size folder (--sizing DIR: the recommended capacity "
        "mix against today's, the Pareto chart and the evidence) from notebooks/board_sizing.py."))
    parser.add_argument("sweep_dir", nargs="?", default=None,
                        help="a finished sweep's folder (hydra.sweep.dir); leave it out with --sizing")
    parser.add_argument("--sizing", default=None, metavar="DIR",
                        help="a flowsim-size output folder (with recommendation.json and candidates.csv) "
                        "instead of a sweep: the pack presents the recommended mix")
    parser.add_argument("--output", default=None,
                        help="HTML file (default: board_report.html in SWEEP_DIR or the --sizing DIR)")
    parser.add_argument("--baseline-job", type=int, default=None)
    parser.add_argument("--title", default=None)
    parser.add_argument("--rule", default=None, metavar="RULE",
                        help=f"how the option is chosen: {', '.join(RULES)} (default: {DEFAULT_RULE})")
    parser.add_argument("--target", default=None, metavar="KPI<=VALUE",
                        help="for --rule cheapest_meeting_target: a KPI of summary.csv and the level its "
                        "mean must reach, KPI<=VALUE or KPI>=VALUE")
    parser.add_argument("--pdf", action=argparse.BooleanOptionalAction, default=True,
                        help="also print the pack to an A4 PDF beside the HTML (OUTPUT with .pdf), with "
                        "Chromium; --no-pdf writes the HTML only (default: --pdf)")
    return parser


def _fail(message: str) -> NoReturn:
    print(f"flowsim-board: error: {message}", file=sys.stderr)
    sys.exit(EXIT_CONFIG_ERROR)


def _sweep_pack(args: argparse.Namespace) -> tuple[Path, Path, dict[str, Any]]:
    """The sweep folder, its notebook and parameters (``config_file`` added once the HTML is known)."""
    sweep = Path(args.sweep_dir)
    if not sweep.is_dir():  # a mistyped path is not a sweep still to run
        what = "is a file, not a sweep's folder" if sweep.exists() else "does not exist"
        _fail(f"{sweep}: {what}; fix: give the sweep's folder (its hydra.sweep.dir, e.g. "
              "multirun/care_home_units)")
    if not (sweep / "results.parquet").is_file() and not any(sweep.glob("*/metrics.json")):
        fix = (f"it is a flowsim-size folder: pass it as --sizing {sweep}" if
               (sweep / "recommendation.json").is_file() else
               "run the sweep first (e.g. flowsim experiment=care_home_units)")
        _fail(f"{sweep} holds no finished flowsim sweep; fix: {fix}")
    rule = DEFAULT_RULE if args.rule is None else args.rule
    try:
        check_collected(sweep)  # before the (slow) notebook: never a pack from out-of-date tables
        check_rule(rule, args.target, _kpis(sweep))
        jobs = sweep_job_ids(sweep)
    except ConfigError as error:
        _fail(str(error))
    except FileNotFoundError:  # finished jobs, but none of those its sweep.json lists
        _fail(f"{sweep} holds no finished job of the sweep its sweep.json lists; fix: rerun the sweep's "
              "command to finish its jobs")
    if args.baseline_job is not None and args.baseline_job not in jobs:  # else a KeyError in a cell
        _fail(f"job {args.baseline_job} is not a finished job of {sweep}; fix: pick --baseline-job from "
              f"{', '.join(str(j) for j in jobs)}")
    return sweep, notebooks_dir() / "board_report.py", {
        "sweep_dir": str(sweep.resolve()), "baseline_job": args.baseline_job, "rule": rule,
        "target": args.target}


def _sizing_pack(args: argparse.Namespace) -> tuple[Path, Path, dict[str, Any]]:
    """The sizing folder, its notebook and parameters, once the folder is checked."""
    if args.sweep_dir is not None:
        _fail(f"--sizing: given with a sweep folder ({args.sweep_dir}); fix: give one folder, "
              "SWEEP_DIR for a sweep's pack or --sizing DIR for a sizing search's")
    for option, value in (("--baseline-job", args.baseline_job), ("--rule", args.rule),
                          ("--target", args.target)):
        if value is not None:
            _fail(f"{option}: is for a sweep's pack, not --sizing (the sizing search chose the mix and "
                  f"compares it with today's); fix: leave {option} out")
    folder = Path(args.sizing)
    try:
        check_sizing(folder)  # before the notebook: a one-line reason, not a traceback from a cell
    except ConfigError as error:
        _fail(str(error))
    return folder, notebooks_dir() / "board_sizing.py", {"sizing_dir": str(folder.resolve())}


def _check_output(html: Path) -> None:
    """Refuse an HTML file that cannot be written, before the notebook runs and writes beside it.

    As for every command's output file, its folder must exist. Only an ``.html`` (``.htm``) name is
    taken: the pack writes the page there and beside it ``.ipynb``, ``.pdf`` and ``_config.yaml`` (or
    ``_recommended.yaml``) files of the same stem, so another name (``results.parquet``, a job's
    ``metrics.json``) would overwrite a finished result, or the page its own notebook or PDF.
    """
    try:
        check_output_file(html, "--output", "board_report.html")
    except ConfigError as error:
        _fail(str(error))
    if html.suffix.lower() not in _HTML_SUFFIXES:
        # ".html" alone is a hidden name without a suffix: its example is not ".html.html"
        example = (html.with_name("board_report.html") if html.name.startswith(".")
                   else html.with_suffix(".html"))
        _fail(f"--output: {html} is not an HTML file (its name must end in .html or .htm); fix: give e.g. "
              f"{example}")


def main(argv: Sequence[str] | None = None) -> None:
    """``flowsim-board SWEEP_DIR [--output F] [--baseline-job N] [--title T] [--rule R] [--target T]``.

    Or ``flowsim-board --sizing DIR [--output F] [--title T]`` for a ``flowsim-size`` folder. The
    folder (and for a sweep, the rule and target) is checked before the notebook runs; beside the HTML
    go the baseline job's full configuration (a sweep, ``<output stem>_config.yaml``) or the
    recommended mix (a sizing, ``<output stem>_recommended.yaml``), and the pack is printed to a PDF
    unless ``--no-pdf``.
    """
    args = _parser().parse_args(argv)
    if args.sweep_dir is None and args.sizing is None:
        _fail("no folder given; fix: give a sweep folder (flowsim-board SWEEP_DIR) or a flowsim-size "
              "folder (flowsim-board --sizing DIR)")
    folder, notebook, parameters = _sizing_pack(args) if args.sizing is not None else _sweep_pack(args)
    html = Path(args.output) if args.output else folder / "board_report.html"
    _check_output(html)
    pdf = html.with_suffix(".pdf")
    beside = "recommended" if args.sizing is not None else "config"
    config_file = html.with_name(f"{html.stem}_{beside}.yaml")
    written = [html.with_suffix(".ipynb"), config_file, pdf]
    try:  # the PDF of a --no-pdf pack is not written, so not checked either
        check_not_others(html, written if args.pdf else written[:2])
    except ConfigError as error:
        _fail(str(error))
    earlier = recorded(html)  # before the notebook writes the page anew
    browser = find_browser() if args.pdf else None
    if args.pdf and browser is None:  # before the (slow) notebook too
        _fail(f"no browser to print the PDF (none of {', '.join(BROWSERS)} is on PATH); fix: install "
              "chromium (apt install chromium) or pass --no-pdf")
    parameters["config_file"] = str(config_file.resolve())
    if args.title:
        parameters["title"] = args.title
    from nbclient.exceptions import CellExecutionError  # with the notebook: not for --help

    try:
        execute_notebook(notebook, html, parameters)
    except CellExecutionError as error:
        if error.ename != ConfigError.__name__:
            raise
        _fail(error.evalue)  # a damaged result file, read before the pack writes anything
    stale = not args.pdf and remove_earlier(pdf, earlier)  # the replaced pack's PDF: other numbers
    record_files(html, written[:2], earlier)  # what the pack wrote, so the next pack of this name replaces it
    if browser is None:
        print(f"Board pack written to {html}" + (f" (the earlier pack's {pdf.name} removed: "
                                                 "it showed the earlier numbers)" if stale else ""))
        return
    try:
        print_pdf(html, pdf, browser)
    except (RuntimeError, OSError) as error:
        print(f"flowsim-board: error: the PDF was not printed ({' '.join(str(error).split())}); the HTML is "
              f"written to {html}; fix: open it in a browser and print it, or pass --no-pdf", file=sys.stderr)
        sys.exit(1)
    record_files(html, written, earlier)
    print(f"Board pack written to {html} and {pdf}")
