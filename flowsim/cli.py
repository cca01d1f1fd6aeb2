"""Command-line entry points (thin: they compose a config and call :mod:`flowsim.pipeline`).

``flowsim [overrides...]`` runs the default scenario with Hydra overrides, e.g.
``flowsim services.care_home_unit.capacity=40 replications=10``; ``flowsim -m ...`` sweeps.
``flowsim-collect SWEEP_DIR`` gathers a sweep and compares every job with a baseline.
A wrong config stops before anything runs with one line naming the field and the fix, and exit
code 2.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from flowsim.compare import compare_to_baseline, select_baseline
from flowsim.compose import config_dir
from flowsim.config import register_configs
from flowsim.errors import EXIT_CONFIG_ERROR, ConfigError
from flowsim.io import write_table
from flowsim.pipeline import run_scenario
from flowsim.summary import format_comparison, format_summary
from flowsim.sweep import collect_sweep, parse_override

__all__ = ["collect_and_report", "collect_main", "describe_error", "main"]



def describe_error(error: BaseException) -> str | None:
    """One line for a user's config mistake, or None if ``error`` is not one (a bug)."""
    if isinstance(error, ConfigError):
        return str(error)
    chain = []
    current: BaseException | None = error
    while current is not None:
        chain.append(current)
        current = current.__cause__ or current.__context__
    omega = next((e for e in chain if isinstance(e, OmegaConfBaseException)), None)
    if omega is not None:
        key = getattr(omega, "full_key", None) or "config"
        message = str(getattr(omega, "msg", None) or omega).strip().splitlines()[0]
        if re.search(r"Key '.*' (is )?not in", message):
            fix = "check the spelling against configs/, or prefix the override with + to add a key"
        else:
            fix = f"give {key} a value of the type the schema expects (see flowsim/config.py)"
        return f"{key}: {message}; fix: {fix}"
    if isinstance(error, HydraException):
        message = " ".join(str(error).split("Config search path")[0].split())
        return f"{message}; fix: check the command-line overrides and config group names"
    return None


def _task(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    output_dir = hydra_cfg.runtime.output_dir
    overrides = list(hydra_cfg.overrides.task)
    job = hydra_cfg.job.num if hydra_cfg.mode == RunMode.MULTIRUN else None
    try:
        run = run_scenario(cfg, output_dir, overrides, progress=sys.stderr.isatty(), job=job)
    except ConfigError as error:
        # Exit here, not via an exception: Hydra would first print its own "Error executing job".
        print(f"flowsim: error: {error}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)
    warning = run.precision.warning()
    if warning:
        print(f"flowsim: warning: {warning}", file=sys.stderr)
    if cfg.outputs.summary:
        if run.resumed:
            print(f"Resumed {run.resumed} finished replication(s) from {run.output_dir}/checkpoints/")
        print(format_summary(run.summary, run.units, run.scenario, len(run.replications)))
        print(f"\nOutputs written to {run.output_dir}/ ("
              + ", ".join(sorted(p.name for p in run.files.values())) + ")")


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


def main() -> None:
    """``flowsim``: run the configured scenario (Hydra overrides on the command line)."""
    register_configs()
    entry = hydra.main(config_path=str(config_dir()), config_name="config", version_base="1.3")(
        _task)
    _guarded(entry)


def collect_and_report(sweep_dir: str, baseline: dict[str, object] | None = None,
                       figure: str | None = None, avoided: str | None = None) -> Path:
    """Gather ``sweep_dir``, write ``results.parquet``, ``summary.csv``, ``comparison.csv``; print.

    Returns
    -------
    pathlib.Path
        The ``comparison.csv`` written.
    """
    tables = collect_sweep(sweep_dir)
    comparison = compare_to_baseline(tables, select_baseline(tables, baseline))
    path = write_table(comparison, Path(sweep_dir) / "comparison.csv")
    print(format_comparison(comparison, tables.swept))
    if figure:
        if len(tables.swept) not in (1, 2):
            raise KeyError(f"--figure needs one or two swept parameters, the sweep has {len(tables.swept)}")
        from flowsim.plots import avoided_vs_option  # matplotlib only when a figure is asked for

        group = tables.swept[0] if len(tables.swept) == 2 else None
        column = (f"{avoided}_delayed_days_avoided_per_year" if avoided
                  else "delayed_days_avoided_per_year")
        if column not in comparison.columns:
            raise KeyError(f"no column {column} in the comparison")
        avoided_vs_option(comparison, tables.swept[-1], group, column).savefig(figure, dpi=120)
        print(f"Figure written to {figure}")
    if tables.incomplete:
        print(f"flowsim: warning: unfinished jobs left out: {', '.join(tables.incomplete)} "
              "(rerun the same command to finish them)", file=sys.stderr)
    if tables.left_out:
        print(f"flowsim: warning: job folders of an earlier sweep left out: {', '.join(tables.left_out)} "
              "(not in this sweep's sweep.json)", file=sys.stderr)
    print(f"\nSweep tables written to {sweep_dir}/ (results.parquet, summary.csv, comparison.csv)")
    return path


def collect_main(argv: Sequence[str] | None = None) -> None:
    """``flowsim-collect SWEEP_DIR [--baseline KEY=VALUE ...]``."""
    parser = argparse.ArgumentParser(prog="flowsim-collect", description=(
        "Gather a flowsim sweep into results.parquet and summary.csv, and compare every job with a "
        "baseline job (delayed days avoided, net saving) into comparison.csv."))
    parser.add_argument("sweep_dir", help="the multirun directory (holds 0/, 1/, ...)")
    parser.add_argument("--baseline", action="append", default=[], metavar="KEY=VALUE",
                        help="swept value(s) of the baseline job (default: the first job)")
    parser.add_argument("--figure", metavar="PATH", help="also draw delayed days avoided and net "
                        "saving against the swept value (PNG/SVG by extension)")
    parser.add_argument("--reason", choices=["admin", "P1", "P2", "P3", "housing"],
                        help="draw delayed days avoided for this delay reason only")
    args = parser.parse_args(argv)
    if not Path(args.sweep_dir).is_dir():
        print(f"flowsim-collect: error: {args.sweep_dir} is not a directory; fix: give the sweep "
              "directory (hydra.sweep.dir)", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)
    try:
        collect_and_report(args.sweep_dir, dict(parse_override(b) for b in args.baseline) or None,
                           args.figure, args.reason)
    except ConfigError as error:  # jobs of different runs mixed in one folder
        print(f"flowsim-collect: error: {error}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)
    except (FileNotFoundError, KeyError) as error:
        print(f"flowsim-collect: error: {str(error).strip(chr(39))}; fix: check the sweep directory "
              "and --baseline", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)
