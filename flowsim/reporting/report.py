"""Board figures for a finished run or sweep: ``flowsim-report DIR [--baseline-job N]``.

A *run* directory (``metrics.json`` at its top) gets the NCTR census fan chart, delayed days by
reason, the weekly utilisation heat map of its units and, when ``patients.parquet`` was written, the
waiting-time distribution by pathway. A *sweep* directory (job folders ``0/``, ``1/``, ... with
``metrics.json``) gets the census fan of the baseline job against the last job, delayed days by
reason for every option, the heat map and waiting times of the last job, and the option charts:
delayed days avoided and net saving against the swept value, what each step buys per added place,
and net saving with the return per £1. A run or job made with ``outputs.census=false`` has no census:
its fan chart and heat map are left out, with a note saying why.

Every figure goes to ``DIR/figures/`` as PNG and SVG, written atomically. The comparison of a sweep
is read from ``comparison.csv`` (so a baseline chosen with ``flowsim-collect --baseline`` holds);
if there is none the sweep is gathered and compared first, as ``flowsim-collect`` would, and the
tables are written. ``--baseline-job`` compares against another job in memory, leaving
``comparison.csv`` as it is; so does a ``comparison.csv`` that cannot be drawn (cut short, damaged, or
of other jobs), with a note saying so and that ``flowsim-collect`` writes it again.

A missing or damaged result file (a truncated ``metrics.json``, a garbled ``census.parquet``) stops
with one line naming it and the command that writes it again (every file is read through
:mod:`flowsim.experiment.result_files`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowsim.experiment.writable import why_not_writable
from flowsim.model.errors import EXIT_CONFIG_ERROR, ArgumentParser, ConfigError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from flowsim.experiment.sweep import SweepTables

# pandas, SciPy and matplotlib (about 1 s) are imported by the functions that draw, not with the
# command: --help, a mistyped folder or one that cannot be written to get their line at once.

__all__ = ["FORMATS", "ReportError", "main", "render_report"]

FORMATS = ("png", "svg")
_FIX_DIR = ("give the folder of a flowsim run (hydra.run.dir, holds metrics.json) or sweep "
            "(hydra.sweep.dir, holds 0/, 1/, ...)")


_NOT_SCENARIO = ("hydra.", "outputs.", "replications=", "n_jobs=", "precision.")
# What the option charts draw from comparison.csv, besides the swept columns.
_COMPARISON_COLUMNS = ("job", "baseline_job", "added_capacity", "delayed_days_avoided_per_year",
                       "delayed_days_avoided_per_added_place", "net_saving_per_year",
                       "net_saving_per_year_ci_low", "net_saving_per_year_ci_high", "return_per_pound")
_NO_CENSUS = ("was made without a census (outputs.census=false): its census figures (NCTR census fan chart, "
              "weekly unit utilisation heat map) are left out")


class ReportError(ValueError):
    """A user's mistake: a problem and its fix, shown as one line."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}; fix: {fix}")


def _save(fig: Figure, folder: Path, name: str, formats: Sequence[str]) -> list[Path]:
    from flowsim.experiment.io import atomic_write

    written = []
    for fmt in formats:
        # no creation date in the SVG, so the same tables give the same file
        metadata = {"Date": None} if fmt == "svg" else None
        written.append(atomic_write(folder / f"{name}.{fmt}", lambda tmp, fmt=fmt, metadata=metadata:
                                    fig.savefig(tmp, format=fmt, dpi=150, metadata=metadata)))
    fig.clear()  # Figures are not registered with pyplot: clearing frees the artists now
    return written


def _manifest(run_dir: Path) -> dict[str, Any]:
    """The run's ``manifest.json``; empty when it is missing or damaged (an older run: still drawn)."""
    from flowsim.experiment.result_files import RUN_FIX, read_json

    try:
        return read_json(run_dir / "manifest.json", RUN_FIX)
    except ConfigError:
        return {}


def _warm_up_days(run_dir: Path) -> float | None:
    """The run's warm-up from its manifest; None if the manifest does not give it (missing, damaged)."""
    try:
        return float(_manifest(run_dir)["config"]["run"]["warm_up_days"])
    except (KeyError, TypeError, ValueError):
        return None  # the census and KPIs are already filtered; only patients.parquet needs it


def _describe(run_dir: Path) -> str:
    overrides = _manifest(run_dir).get("overrides")
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        return run_dir.name
    # what defines the scenario, not how it was run or written
    return " ".join(o for o in overrides if not o.startswith(_NOT_SCENARIO)) or "default scenario"


def _run_figures(run_dir: Path, label: str, census: pd.DataFrame | None, fix: str, notes: list[str]
                 ) -> list[tuple[str, Callable[[], Figure]]]:
    """Heat map (with a census) and waiting times of one run folder (drawn lazily)."""
    from flowsim.experiment.result_files import read_parquet
    from flowsim.measures.aggregate import wait_distribution, weekly_utilisation
    from flowsim.reporting.plots import wait_distribution_plot
    from flowsim.reporting.utilisation_plot import utilisation_heatmap

    figures: list[tuple[str, Callable[[], Figure]]] = []
    if census is not None:
        weekly = weekly_utilisation(census, read_parquet(run_dir / "units.parquet", fix))
        if not weekly.empty:
            figures.append(("unit_utilisation_weekly", lambda: utilisation_heatmap(
                weekly, title=f"Weekly utilisation by unit, mean over replications ({label})")))
    path = run_dir / "patients.parquet"
    if path.is_file():
        # origin marks the patients of a warm-start census, left out (tables before it have none)
        patients = read_parquet(path, fix, ["pathway", "nctr_day", "delayed_days"], optional=("origin",))
        warm_up_days = _warm_up_days(run_dir)
        if warm_up_days is None:
            notes.append(f"{run_dir / 'manifest.json'} does not give the run's warm-up (missing or damaged), "
                         "so the waiting times count the warm-up's patients too")
        table = wait_distribution(patients, warm_up_days or 0.0)
        if (table["n"] > 0).any():
            figures.append(("wait_distribution", lambda: wait_distribution_plot(
                table, title=f"Acute delay per episode by pathway ({label})")))
    return figures


def _render(figures: list[tuple[str, Callable[[], Figure]]], folder: Path, formats: Sequence[str]
            ) -> list[Path]:
    written: list[Path] = []
    for name, draw in figures:
        written += _save(draw(), folder, name, formats)
    return written


def _render_run(root: Path, formats: Sequence[str], notes: list[str]) -> list[Path]:
    from flowsim.experiment.result_files import RUN_FIX, read_census, read_parquet
    from flowsim.measures.aggregate import census_fan, reasons_by_option
    from flowsim.reporting.plots import fan_chart, reasons_stacked

    label = _describe(root)
    census = read_census(root, RUN_FIX)
    reasons = reasons_by_option(read_parquet(root / "replications.parquet", RUN_FIX), [])
    figures: list[tuple[str, Callable[[], Figure]]] = []
    if census is None:
        notes.append(f"this run {_NO_CENSUS}")
    else:
        fan = census_fan(census)
        figures.append(("nctr_census_fan", lambda: fan_chart({"this run": fan},
                                                             title=f"NCTR census at midnight ({label})")))
    figures += [
        ("delay_reasons", lambda: reasons_stacked(reasons, title=f"Acute delayed days per year by "
                                                                   f"reason ({label})")),
        *_run_figures(root, label, census, RUN_FIX, notes),
    ]
    return _render(figures, root / "figures", formats)


def _parse_job(text: str | int | None) -> int | str | None:
    if text is None or isinstance(text, int):
        return text
    return int(text) if text.isdigit() else text


def _comparison(root: Path, tables: SweepTables, baseline_job: int | str | None, notes: list[str]
                ) -> pd.DataFrame:
    """``comparison.csv`` (its baseline may be flowsim-collect's ``--baseline``), else compared afresh.

    A saved table that cannot be drawn (damaged, or of other jobs) is compared afresh in memory and left
    as it is, with a note; without one, the sweep is gathered and compared, and the tables written.
    """
    from flowsim.experiment.compare import compare_to_baseline
    from flowsim.experiment.io import write_table
    from flowsim.experiment.result_files import read_csv
    from flowsim.experiment.sweep import collect_sweep

    path = root / "comparison.csv"
    if not path.exists():
        comparison = compare_to_baseline(collect_sweep(root), baseline_job)  # writes results, summary
        write_table(comparison, path)
        return comparison
    fix = f"run flowsim-collect {root} to write it again (with its --baseline, if one was given)"
    try:
        saved = read_csv(path, fix, [*_COMPARISON_COLUMNS, *tables.swept])
        _check_jobs(saved, path, tables, fix)
    except ConfigError as error:
        comparison = compare_to_baseline(tables, baseline_job)
        notes.append(f"{error.field} {error.problem}, so the options are compared afresh against job "
                     f"{comparison['baseline_job'].iloc[0]}; to keep its baseline, {error.fix}")
        return comparison
    if baseline_job is None or str(saved["baseline_job"].iloc[0]) == str(baseline_job):
        return saved
    return compare_to_baseline(tables, baseline_job)


def _check_jobs(saved: pd.DataFrame, path: Path, tables: SweepTables, fix: str) -> None:
    """Refuse a saved comparison that is not of the sweep's jobs against one of them."""
    jobs = [str(j) for j in dict.fromkeys(tables.results["job"])]
    if saved.empty:
        raise ConfigError(str(path), "holds no row (its header only)", fix)
    if sorted(str(j) for j in saved["job"]) != sorted(jobs):
        raise ConfigError(str(path), f"compares job(s) {', '.join(str(j) for j in saved['job'])}, not the "
                          f"sweep's {', '.join(jobs)}", fix)
    bases = {str(j) for j in saved["baseline_job"]}
    if len(bases) != 1 or not bases <= set(jobs):
        raise ConfigError(str(path), f"has baseline job(s) {', '.join(sorted(bases))}, not one of the "
                          "sweep's jobs", fix)


def _is_numeric(series: pd.Series) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _option_figures(comparison: pd.DataFrame, swept: Sequence[str]
                    ) -> list[tuple[str, Callable[[], Figure]]]:
    """avoided_vs_option / marginal_benefit / cost_vs_saving, as far as the swept columns allow."""
    from flowsim.reporting.plots import avoided_vs_option, cost_vs_saving, marginal_benefit

    if not swept or len(comparison) < 2:
        return []
    figures: list[tuple[str, Callable[[], Figure]]] = []
    x, group = swept[-1], (swept[0] if len(swept) == 2 else None)
    if len(swept) <= 2 and _is_numeric(comparison[x]):
        figures.append(("avoided_vs_option", lambda: avoided_vs_option(comparison, x, group)))
        # a step per added place only means something when the swept value changes capacity
        if comparison["added_capacity"].nunique() > 1:
            figures.append(("marginal_benefit", lambda: marginal_benefit(comparison, x, group)))
    figures.append(("cost_vs_saving", lambda: cost_vs_saving(comparison, list(swept))))
    return figures


def _render_sweep(root: Path, baseline_job: int | str | None, formats: Sequence[str], notes: list[str]
                  ) -> list[Path]:
    from flowsim.experiment.result_files import job_fix, read_census
    from flowsim.experiment.sweep import collect_sweep
    from flowsim.measures.aggregate import census_fan, option_label, reasons_by_option
    from flowsim.reporting.plots import fan_chart, reasons_stacked

    tables = collect_sweep(root, write=False)
    jobs = list(dict.fromkeys(tables.results["job"]))
    if baseline_job is not None and str(baseline_job) not in {str(j) for j in jobs}:
        raise ReportError(f"job {baseline_job} is not a finished job of {root}",
                          f"pick --baseline-job from {', '.join(str(j) for j in jobs)}")
    comparison = _comparison(root, tables, baseline_job, notes)
    base = _parse_job(str(comparison["baseline_job"].iloc[0]))
    first = tables.results.drop_duplicates("job").set_index("job")

    def label(job: int | str) -> str:
        values = {k: first.at[job, k] for k in tables.swept}
        return option_label(values) if values else f"job {job}"

    last = next((j for j in reversed(jobs) if str(j) != str(base)), base)
    censuses = {job: read_census(root / str(job), job_fix(root / str(job)))
                for job in dict.fromkeys([base, last])}
    named = {f"baseline: {label(base)}": base, **({label(last): last} if last != base else {})}
    fans = {name: census_fan(censuses[job]) for name, job in named.items() if censuses[job] is not None}
    notes += [f"job {job} {_NO_CENSUS}" for job, census in censuses.items() if census is None]
    option_columns = list(tables.swept) or ["job"]
    reasons = reasons_by_option(tables.results, option_columns)
    figures: list[tuple[str, Callable[[], Figure]]] = [
        *([("nctr_census_fan", lambda: fan_chart(fans, title="NCTR census at midnight: baseline and "
                                                             f"{label(last)}"))] if fans else []),
        ("delay_reasons", lambda: reasons_stacked(reasons, title="Acute delayed days per year by "
                                                                 "reason and option")),
        *_run_figures(root / str(last), f"job {last}: {label(last)}", censuses[last],
                      job_fix(root / str(last)), notes),
        *_option_figures(comparison, tables.swept),
    ]
    return _render(figures, root / "figures", formats)


def render_report(directory: str | Path, baseline_job: int | str | None = None,
                  formats: Sequence[str] = FORMATS, notes: list[str] | None = None) -> list[Path]:
    """Draw every figure that applies to a run or sweep directory into ``directory/figures/``.

    Parameters
    ----------
    directory : str or pathlib.Path
        A run folder (holds ``metrics.json``) or a sweep folder (holds finished job folders).
    baseline_job : int or str, optional
        For a sweep: the job to compare against (default: the baseline of ``comparison.csv``, else
        the first job).
    formats : sequence of str
        File formats matplotlib can write, one file per figure and format (default PNG and SVG).
    notes : list of str, optional
        Gets a sentence for each figure left out and why (a run made with ``outputs.census=false``).

    Returns
    -------
    list of pathlib.Path
        The files written, one per figure and format.

    Raises
    ------
    ReportError
        If ``directory`` is missing or is neither a run nor a sweep, the baseline job is unknown, the
        sweep's finished jobs come from different runs, its gathered tables are out of date, or a
        result file is missing or damaged.
    """
    notes = [] if notes is None else notes
    try:
        return _render_directory(Path(directory), _parse_job(baseline_job), formats, notes)
    except ConfigError as error:  # a damaged or missing file, jobs of different runs, stale tables
        raise ReportError(f"{error.field}: {error.problem}", error.fix) from None


def _check_writable(root: Path) -> None:
    """Refuse a folder the figures cannot go into, before anything is drawn."""
    figures = root / "figures"
    if figures.exists() and not figures.is_dir():
        raise ReportError(f"{figures} is a file, where the report's figures folder goes",
                          "move that file out of the folder")
    reason = why_not_writable(figures if figures.is_dir() else root)
    if reason is not None:
        raise ReportError(f"{root} is not writable ({reason}), and the figures are written into it",
                          "copy the folder to one you can write to, and give the copy")


def _render_directory(root: Path, baseline_job: int | str | None, formats: Sequence[str], notes: list[str]
                      ) -> list[Path]:
    if not root.is_dir():  # "path: problem; fix: ...", as every command words a path it cannot use
        what = "is a file, not a run's or sweep's folder" if root.exists() else "does not exist"
        raise ReportError(f"{root}: {what}", _FIX_DIR)
    _check_writable(root)
    from flowsim.experiment.result_files import RUN_FIX, read_json
    from flowsim.experiment.sweep import check_collected, find_jobs

    if (root / "metrics.json").is_file():
        if baseline_job is not None:
            raise ReportError(f"{root} is a single run: --baseline-job applies to a sweep",
                              "leave out --baseline-job, or give the sweep directory")
        # the figures do not read it, but it marks a finished run: damaged, the files may not be one run's
        read_json(root / "metrics.json", RUN_FIX)
        return _render_run(root, formats, notes)
    finished, unfinished = find_jobs(root)
    if not finished and not unfinished and (root / "manifest.json").is_file():
        raise ReportError(f"{root} is a flowsim run without its metrics.json: it did not finish, or the "
                          "file was removed", RUN_FIX)
    if not finished:
        problem = (f"{root} has no finished sweep job (unfinished: {', '.join(p.name for p in unfinished)})"
                   if unfinished else f"{root} is not a flowsim run or sweep directory")
        fix = "rerun the sweep command to finish its jobs" if unfinished else _FIX_DIR
        raise ReportError(problem, fix)
    check_collected(root)  # jobs of one sweep, and tables gathered from them as they are now
    return _render_sweep(root, baseline_job, formats, notes)


def main(argv: Sequence[str] | None = None) -> None:
    """``flowsim-report DIR [--baseline-job N]``: figures as PNG and SVG into ``DIR/figures/``."""
    parser = ArgumentParser(
        prog="flowsim-report", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=(
        "examples:\n"
        "  flowsim-report outputs/2026-11-30/10-00-00       figures of one run\n"
        "  flowsim-report multirun/care_home_units          figures of a sweep, against its baseline\n"
        "  flowsim-report multirun/care_home_units --baseline-job 2\n\n"
        "documentation: docs/getting-started/analyst.md in the flowsim source (make docs builds the site)"),
        description=(
        "Draw the board figures of a flowsim run or sweep (census fan chart, delayed days by reason, "
        "weekly unit utilisation, waiting times; for sweeps: delayed days avoided, marginal benefit "
        "per added place, net saving and return per £1) into DIR/figures/ as PNG and SVG."))
    parser.add_argument("directory", help="a run directory (hydra.run.dir) or sweep directory "
                        "(hydra.sweep.dir)")
    parser.add_argument("--baseline-job", metavar="N", help="for a sweep: compare against job N "
                        "(default: the baseline of comparison.csv, else the first job)")
    args = parser.parse_args(argv)
    notes: list[str] = []
    try:
        written = render_report(args.directory, args.baseline_job, notes=notes)
    except ReportError as error:
        print(f"flowsim-report: error: {error}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)
    print(f"Figures written to {Path(args.directory) / 'figures'}/:")
    for path in written:
        print(f"  {path}")
    for note in notes:  # as every command's notes: one line each on standard error
        print(f"flowsim-report: note: {note}", file=sys.stderr)


if __name__ == "__main__":
    main()
