"""Command-line entry points (thin: they compose a config and call :mod:`flowsim.experiment.pipeline`).

``flowsim [overrides...]`` runs the default scenario with Hydra overrides, e.g.
``flowsim services.care_home_unit.capacity=40 replications=10``; ``flowsim -m ...`` sweeps.
``flowsim-collect SWEEP_DIR`` gathers a sweep and compares every job with a baseline.
A wrong config stops before anything runs with one line naming the field and the fix, and exit
code 2.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import typing
from collections.abc import Callable, Sequence
from pathlib import Path

import hydra
from hydra._internal.utils import get_args_parser
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from flowsim.cli.cfg_package import package_checked
from flowsim.cli.compose_once import composed_once
from flowsim.cli.config_errors import describe_error
from flowsim.cli.entry import stop_on_broken_pipe
from flowsim.cli.figure_path import check_figure_path
from flowsim.cli.help import asks_for_help, print_help
from flowsim.cli.no_effect import no_effect_note, scheme_sets_housing
from flowsim.cli.warm_start_note import warm_start_note
from flowsim.experiment.lock import folder_lock
from flowsim.model.compose import config_dir
from flowsim.model.compose_store import kept_on_disk
from flowsim.model.config import register_configs
from flowsim.model.errors import EXIT_CONFIG_ERROR, ArgumentParser, ConfigError, Interrupted
from flowsim.model.kept_parses import parsed_once
from flowsim.model.overrides import normalise_overrides

if typing.TYPE_CHECKING:
    import pandas as pd

    from flowsim.experiment.sweep import SweepTables
    from flowsim.measures.kpi_table import ReplicationKpis

__all__ = ["EXIT_WORKER_LOST", "collect_and_report", "collect_main", "import_run_modules", "main"]

EXIT_WORKER_LOST = 1  # a run that could not finish, not a mistake in its input (exit code 2)


def import_run_modules() -> None:
    """Import what a sweep needs beyond the command: the pipeline and summary, and pandas (a run does
    without it, but the sweep's tables and comparison are frames). Not ``scipy.special``: the
    confidence intervals' Student-t quantiles are flowsim's own; a job with a warm start imports it.

    Not with the command, so that a config error (found by Hydra or by the checks before the run) is
    reported without them, in half the time. A sweep calls this before its workers fork; a run's
    task imports the pipeline and summary as it starts.
    """
    import pandas  # noqa: F401

    import flowsim.experiment.pipeline
    import flowsim.reporting.summary  # noqa: F401


def _task(cfg: DictConfig) -> None:
    from flowsim.experiment.pipeline import run_scenario  # the modules import_run_modules names
    from flowsim.reporting.summary import format_summary

    hydra_cfg = HydraConfig.get()
    output_dir = hydra_cfg.runtime.output_dir
    overrides = list(hydra_cfg.overrides.task)
    job = hydra_cfg.job.num if hydra_cfg.mode == RunMode.MULTIRUN else None
    scheme = hydra_cfg.runtime.choices.get("scheme")
    housing_off = cfg.get("housing") is not None and not cfg.housing.get("enabled")
    unused = no_effect_note(cfg, overrides, scheme if housing_off and scheme_sets_housing(
        scheme, hydra_cfg.runtime.config_sources) else None)  # the scheme's file is read only then
    for note in (unused, warm_start_note(cfg)):
        if note is not None:
            print(f"flowsim: note: {note}", file=sys.stderr)
    try:
        progress = sys.stderr.isatty() and not _beside_other_jobs(hydra_cfg)
        run = run_scenario(cfg, output_dir, overrides, progress=progress, job=job)
    except ConfigError as error:
        # Exit here, not via an exception: Hydra would first print its own "Error executing job".
        print(f"flowsim: error: {error}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)
    except KeyboardInterrupt:  # Ctrl-C: the folder to resume from (a sweep names its own)
        raise Interrupted(str(output_dir), "hydra.run.dir") from None
    except Exception as error:
        if job is not None or not _worker_lost(error):  # a sweep's job: the sweeper says what is kept
            raise
        # a worker killed from outside (the out-of-memory killer, kill -9): not flowsim's traceback
        print(f"flowsim: error: a worker process stopped before its replication finished (killed from "
              f"outside, e.g. when memory ran out); finished replications are kept in {output_dir}: to "
              f"resume, run the same command with hydra.run.dir={output_dir} (and a lower n_jobs if memory "
              "ran out)", file=sys.stderr)
        sys.exit(EXIT_WORKER_LOST)
    adaptive = cfg.get("precision") is not None and bool(cfg.precision.get("adaptive"))
    warning = run.precision.warning(int(cfg.precision.max_replications) if adaptive else None)
    if warning:  # in a sweep, the job it is about: its jobs' warnings arrive one after another
        print(f"flowsim: warning: {'' if job is None else f'job {job}: '}{warning}", file=sys.stderr)
    added = run.precision.adaptive_note(int(cfg.replications)) if adaptive else None
    if added:
        print(f"flowsim: note: {'' if job is None else f'job {job}: '}{added}", file=sys.stderr)
    empty = _empty_run_note(run.replication_kpis)
    if empty:
        print(f"flowsim: note: {'' if job is None else f'job {job}: '}{empty}", file=sys.stderr)
    if cfg.outputs.summary:
        try:
            if run.resumed:
                print(f"Resumed {run.resumed} finished replication(s) from {run.output_dir}/checkpoints/")
            print(format_summary(run.summary_rows, run.unit_rows, run.scenario, len(run.replication_kpis)))
            print(f"\nOutputs written to {run.output_dir}/ ("
                  + ", ".join(sorted(p.name for p in run.files.values())) + ")", flush=True)
        except BrokenPipeError:  # flowsim | head: here, before Hydra reports it as the job's error
            stop_on_broken_pipe()


def _worker_lost(error: Exception) -> bool:
    """Whether ``error`` says a worker process of the run's pool died (``BrokenProcessPool``)."""
    pools = sys.modules.get("concurrent.futures.process")  # imported with the workers, not before
    return pools is not None and isinstance(error, pools.BrokenProcessPool)


def _empty_run_note(kpis: ReplicationKpis) -> str | None:
    """A note for a run in which, in every replication, no patient became discharge ready (NCTR) while it
    was observed and no delayed day was counted (no arrivals, or a window too short for them): a summary
    of zeros does not say why by itself. None otherwise."""
    if any(name not in kpis or any(value > 0 for value in kpis[name].tolist())
           for name in ("nctr_episodes", "delayed_days_total")):
        return None
    return ("no patient became discharge ready (NCTR) in the observed window of any replication, and none "
            "waited in an acute bed, so the run counts no delayed day: check arrivals.rate_per_day (or "
            "arrivals.series_csv) and the run's length (run.horizon_days after run.warm_up_days)")


def _beside_other_jobs(hydra_cfg: DictConfig) -> bool:
    """A sweep's job running while others do (a launcher with several workers): its progress bar would
    overwrite theirs on the one terminal line, so the sweep shows one bar of jobs instead."""
    launcher = hydra_cfg.launcher
    if hydra_cfg.mode != RunMode.MULTIRUN or "n_jobs" not in launcher:  # e.g. the basic one: one by one
        return False
    from joblib import effective_n_jobs

    return effective_n_jobs(-1 if launcher.n_jobs is None else int(launcher.n_jobs)) > 1


def _guarded(entry: Callable[[], None]) -> None:
    # Hydra prints its own traceback-ish report and exits 1 unless HYDRA_FULL_ERROR is set; with it
    # set, errors reach us and a user's mistake becomes one line and exit 2.
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        entry()
    except Exception as error:  # only config mistakes are caught; bugs are re-raised below
        line = describe_error(error)
        if line is None:
            raise
        print(f"flowsim: error: {line}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)


def _normalised_argv(argv: list[str]) -> list[str]:
    """``argv`` with its Hydra overrides passed through :func:`normalise_overrides`."""
    report = io.StringIO()
    try:
        with contextlib.redirect_stderr(report):
            overrides = get_args_parser().parse_args(argv[1:]).overrides
    except SystemExit as stop:
        if not stop.code:
            return argv  # --version and the like: Hydra does it again and exits
        lines = report.getvalue().strip().splitlines() or ["the command line could not be read"]
        problem = lines[-1].split("error:", 1)[-1].strip()  # argparse's usage lines are left out
        raise ConfigError("command line", problem, "see flowsim --help; options such as -m go before the "
                          "overrides, e.g. flowsim -m services.ic_beds.capacity=30,40") from None
    rewritten = iter([normalise_overrides([override]) for override in overrides])  # "+key={...}": two
    pending = list(overrides)
    out = [argv[0]]
    for arg in argv[1:]:
        if pending and arg == pending[0]:
            pending.pop(0)
            out.extend(next(rewritten))
        else:
            out.append(arg)
    return out


def main() -> None:
    """``flowsim``: run the configured scenario (Hydra overrides on the command line).

    ``-h``/``--help`` prints the human help (:mod:`flowsim.cli.help`); ``--hydra-help`` is Hydra's.
    """
    if asks_for_help(sys.argv[1:]):
        print_help()
        return
    register_configs()

    def entry() -> None:
        sys.argv = _normalised_argv(sys.argv)
        with parsed_once(), kept_on_disk(), composed_once(), package_checked():
            hydra.main(config_path=str(config_dir()), config_name="config", version_base="1.3")(_task)()

    _guarded(entry)


def _baseline_job(tables: SweepTables, baseline: dict[str, object] | None) -> int | str:
    """The job ``--baseline`` names (the first job without it)."""
    from flowsim.experiment.compare import select_baseline

    try:
        return select_baseline(tables, baseline)
    except KeyError as error:  # a key that is not swept, a value no job has, or several jobs have
        several = len(error.args) > 1 and error.args[1] > 1  # select_baseline: (message, jobs matched)
        raise ConfigError("--baseline", str(error.args[0]),
                          "give --baseline once for each swept key (--baseline KEY=VALUE --baseline ...)"
                          if several else "give a swept key and a value one job has") from None


def _figure_column(tables: SweepTables, comparison: pd.DataFrame, avoided: str | None) -> str:
    """The comparison column ``--figure`` draws (``--reason`` picks one delay reason's)."""
    if len(tables.swept) not in (1, 2):
        raise ConfigError("--figure", f"draws one or two swept parameters, the sweep has "
                          f"{len(tables.swept)}", "leave out --figure, or plot results.parquet yourself")
    from pandas.api.types import is_numeric_dtype  # pandas is loaded by now: the comparison is a frame

    if not is_numeric_dtype(comparison[tables.swept[-1]]):
        raise ConfigError("--figure", f"draws against a numeric swept value, and {tables.swept[-1]} "
                          "is not a number", "leave out --figure, or plot comparison.csv yourself")
    column = f"{avoided}_delayed_days_avoided_per_year" if avoided else "delayed_days_avoided_per_year"
    if column not in comparison.columns:
        raise ConfigError("--reason", f"the comparison has no column {column}",
                          "leave out --reason to draw every delay reason")
    return column


def collect_and_report(sweep_dir: str, baseline: dict[str, object] | None = None,
                       figure: str | None = None, avoided: str | None = None, prog: str = "flowsim") -> Path:
    """Gather ``sweep_dir``, write ``results.parquet``, ``summary.csv``, ``comparison.csv``; print.

    Every table is made, and the options checked, before any is written: a failure leaves the earlier
    tables as they were. Warnings go to stderr prefixed with ``prog``, the command that was run.

    Returns
    -------
    pathlib.Path
        The ``comparison.csv`` written.
    """
    from flowsim.experiment.compare import compare_to_baseline, valuations_only
    from flowsim.experiment.sweep import check_writable, collect_sweep, write_sweep_tables
    from flowsim.reporting.summary import format_comparison

    check_writable(sweep_dir)
    tables = collect_sweep(sweep_dir, write=False)
    comparison = compare_to_baseline(tables, _baseline_job(tables, baseline))
    column = _figure_column(tables, comparison, avoided) if figure else None
    write_sweep_tables(sweep_dir, tables, comparison)
    print(format_comparison(comparison, tables.swept))
    if figure is not None and column is not None:
        from flowsim.reporting.plots import avoided_vs_option  # matplotlib only when a figure is asked for

        group = tables.swept[0] if len(tables.swept) == 2 else None
        avoided_vs_option(comparison, tables.swept[-1], group, column).savefig(figure, dpi=120)
        print(f"Figure written to {figure}")
    if valuations_only(tables.swept):
        print(f"{prog}: note: every swept setting is a price ({', '.join(tables.swept)}): the jobs simulate "
              "one system, so their net savings differ by how it is valued, not by an option; a run's "
              "metrics.json values its delayed days on every basis (acute_bed_day_cost)", file=sys.stderr)
    if tables.incomplete:
        print(f"{prog}: warning: unfinished jobs left out: {', '.join(tables.incomplete)} "
              "(rerun the same command to finish them)", file=sys.stderr)
    if tables.left_out:
        print(f"{prog}: warning: job folders of an earlier sweep left out: {', '.join(tables.left_out)} "
              "(not in this sweep's sweep.json)", file=sys.stderr)
    print(f"\nSweep tables written to {sweep_dir}/ (results.parquet, summary.csv, comparison.csv)")
    return Path(sweep_dir) / "comparison.csv"


def collect_main(argv: Sequence[str] | None = None) -> None:
    """``flowsim-collect SWEEP_DIR [--baseline KEY=VALUE ...]``."""
    parser = ArgumentParser(
        prog="flowsim-collect", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=(
        "examples:\n"
        "  flowsim-collect multirun/care_home_units\n"
        "  flowsim-collect multirun/care_home_units --baseline services.care_home_unit.capacity=20\n"
        "  flowsim-collect multirun/care_home_units --figure avoided.png --reason P2\n\n"
        "documentation: docs/how-to/sweeps.md in the flowsim source (make docs builds the site)"),
        description=(
        "Gather a flowsim sweep into results.parquet and summary.csv, and compare every job with a "
        "baseline job (delayed days avoided, net saving) into comparison.csv."))
    parser.add_argument("sweep_dir", help="the multirun directory (holds 0/, 1/, ...)")
    parser.add_argument("--baseline", action="append", default=[], metavar="KEY=VALUE",
                        help="swept value(s) of the baseline job (default: the first job)")
    parser.add_argument("--figure", metavar="PATH", help="also draw delayed days avoided and net "
                        "saving against the swept value (PNG/SVG by extension)")
    parser.add_argument("--reason", choices=["admin", "P1", "P2", "P3", "housing", "calendar"],
                        help="draw delayed days avoided for this delay reason only")
    args = parser.parse_args(argv)
    try:
        if not Path(args.sweep_dir).is_dir():
            what = "is a file, not a sweep's folder" if Path(args.sweep_dir).exists() else "does not exist"
            raise ConfigError(args.sweep_dir, what, "give the sweep's folder (its hydra.sweep.dir, e.g. "
                              "multirun/care_home_units)")
        # Held while gathering: a live sweep gathers its own tables at its end, and a second
        # flowsim-collect would remove this one's staged tables as a killed gathering's leftovers
        with folder_lock(args.sweep_dir, "sweep folder"):
            from flowsim.experiment.sweep import parse_override  # with pandas: once the folder is there

            baseline = dict(parse_override(b) for b in args.baseline)
            if len(baseline) < len(args.baseline):
                raise ConfigError("--baseline", "gives the same key twice", "give each swept key once")
            if args.reason and not args.figure:
                raise ConfigError("--reason", "chooses what the figure draws, and no --figure is asked for",
                                  "add --figure PATH, or leave out --reason")
            # checked before gathering: the tables are written first, the figure last
            figure = str(check_figure_path(args.figure, "--figure")) if args.figure else None
            collect_and_report(args.sweep_dir, baseline or None, figure, args.reason, prog="flowsim-collect")
    except ConfigError as error:  # a damaged job file, jobs of different runs mixed in one folder, ...
        print(f"flowsim-collect: error: {error}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)
    except FileNotFoundError as error:  # a folder with no finished job
        print(f"flowsim-collect: error: {args.sweep_dir}: {error}; fix: give the sweep directory "
              "(hydra.sweep.dir), or rerun the sweep to finish its jobs", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)
