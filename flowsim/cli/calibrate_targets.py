"""``flowsim-calibrate targets``: fit what data rarely shows so the model reproduces observed aggregates.

::

    flowsim-calibrate targets TARGETS.yaml [--output DIR] [--max-evaluations 60] [--n-jobs 1]
                              [--check] [--check-replications 20] [--config-dir DIR] [overrides ...]

Fits the targets file's parameters (capacity headroom, arrangement and admin delays, housing barrier
rates, winter capacity, ...) by simulation with common random numbers, then checks the fitted system
on fresh replications (another seed) and prints each target against the model with its 95 % CI.
``--check`` skips the fit: it checks the system as configured. Writes ``targets.csv``,
``parameters.csv``, ``history.csv``, ``fitted_system.yaml`` and the figure ``targets.png`` into
``--output``.
"""

from __future__ import annotations

import argparse
import math
import sys

from flowsim.calibration.target_spec import load_target_spec
from flowsim.cli.output_path import check_output_folder
from flowsim.cli.parser import check_n_jobs, refuse_owned_overrides, whole_number_option
from flowsim.model.bounds import MAX_REPLICATIONS
from flowsim.model.compose import load_config
from flowsim.model.errors import ConfigError

__all__ = ["DESCRIPTION", "EXAMPLES", "HELP", "add_arguments", "run"]

PROG = "flowsim-calibrate targets"
CHECK_SEED_OFFSET = 1_000  # the check runs other random numbers than the fit


HELP = "fit capacities, delays and barrier rates so the model meets observed aggregates"
DESCRIPTION = (
    "Fit the parameters of a targets file (capacity headroom, arrangement and admin delays, housing "
    "barrier rates, winter capacity) by simulation with common random numbers, so that the model "
    "reproduces observed aggregates (midnight NCTR census, same-day share, delay-reason mix, winter "
    "rise). Then check the fitted system on fresh replications and write DIR/targets.csv, "
    "parameters.csv, history.csv, fitted_system.yaml and targets.png (with --check: targets.csv, "
    "parameters.csv and targets.png).")
EXAMPLES = (
    "  flowsim-calibrate targets experiments/calibration_national/targets.yaml --n-jobs 2\n"
    "  flowsim-calibrate targets my_targets.yaml --output calib --config-dir myconfigs system=my_ics\n"
    "  flowsim-calibrate targets experiments/calibration_national/targets.yaml --check")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``targets`` subcommand's arguments."""
    parser.add_argument("targets", metavar="TARGETS.yaml", help="targets and parameters (YAML)")
    parser.add_argument("--output", default="calibration", metavar="DIR",
                        help="folder for the tables, the figure and the fitted system (default: calibration)")
    parser.add_argument("--max-evaluations", type=whole_number_option, default=60, metavar="N",
                        help="budget of model evaluations while fitting (default: 60)")
    parser.add_argument("--check-replications", type=whole_number_option, default=20, metavar="R",
                        help="replications of the final check, on another seed (default: 20)")
    parser.add_argument("--check", action="store_true",
                        help="no fit: check the configured system against the targets (writes no history.csv "
                             "or fitted_system.yaml)")
    parser.add_argument("--n-jobs", type=whole_number_option, default=1,
                        help="parallel worker processes (default: 1; results do not depend on it)")
    parser.add_argument("--config-dir", default=None, metavar="DIR",
                        help="your config folder (with system/NAME.yaml), as flowsim --config-dir")
    parser.add_argument("overrides", nargs="*", default=[], metavar="override",
                        help="Hydra overrides of the system, as for flowsim (e.g. system=my_ics)")


def run(args: argparse.Namespace) -> None:
    """Carry out ``flowsim-calibrate targets`` with parsed ``args``."""
    if args.max_evaluations < 1:
        raise ConfigError("--max-evaluations", f"must be >= 1, got {args.max_evaluations}", "give a budget")
    if not 2 <= args.check_replications <= MAX_REPLICATIONS:
        raise ConfigError("--check-replications", f"must be from 2 to {MAX_REPLICATIONS:,}, got "
                          f"{args.check_replications}", "give 10 to 30 replications")
    check_n_jobs(args.n_jobs)
    spec = load_target_spec(args.targets)
    step = len(spec.parameters) + 2  # the start, one evaluation per parameter for its slopes, the step
    if spec.parameters and not args.check and args.max_evaluations < step:
        raise ConfigError("--max-evaluations", f"{args.max_evaluations} is too few for one step of the fit "
                          f"of {len(spec.parameters)} parameter(s), which takes {step} (the start, one per "
                          "parameter for its slopes, and the step); the fit would return the start values",
                          f"give at least {step}, or leave the default (60)")
    # the targets file sets every evaluation's seed and replications: an override of them would be ignored
    refuse_owned_overrides(args.overrides, {
        "seed": ("the targets file sets the seed", "write seed: {value} in the targets file"),
        "replications": ("the targets file sets the replications", "write replications: {value} in the "
                         "targets file, or use --check-replications {value} for the final check")})
    refuse_owned_overrides(spec.overrides, {
        "seed": ("sets seed, which the targets file's own seed replaces", "write seed: {value} instead"),
        "replications": ("sets replications, which the targets file's own replications replace",
                         "write replications: {value} instead")}, "overrides")
    # The fit's modules (pandas, SciPy, the run) once the targets file has passed its checks, so that
    # --help and a mistake in it are quick; and before any worker forks, so that each starts with them.
    from flowsim.calibration.objective import evaluate, start_values
    from flowsim.calibration.search import fit_targets
    from flowsim.calibration.target_report import (
        format_targets,
        parameter_table,
        target_table,
        write_fitted_system,
        write_results,
    )

    overrides = [*spec.overrides, *args.overrides]
    base = load_config(overrides, search_dir=args.config_dir)
    starts = start_values(base, spec)
    first = evaluate(base, spec, starts, replications=1)  # every KPI named exists, the config is valid
    for label, value in zip(first.labels, first.per_replication[0], strict=True):
        if not math.isfinite(value):  # never computed here: a search could not move it towards its target
            raise ConfigError(f"targets: {label}", "is not computed for this system (not a number at the "
                              "start values: e.g. a housing KPI with housing off, a winter KPI of a run "
                              "without a winter)", "choose a KPI the system reports, or the settings that "
                              "make it")
    output = check_output_folder(args.output, "--output")  # before the fit, not after it
    progress = sys.stderr.isatty()
    if args.check or not spec.parameters:
        values, history = starts, []
        print(f"{PROG}: checking the system as configured against {len(spec.targets)} target(s)")
    else:
        print(f"{PROG}: fitting {len(spec.parameters)} parameter(s) to {len(spec.targets)} target(s), "
              f"{spec.replications} replication(s) per evaluation (seed {spec.seed})")
        fit = fit_targets(base, spec, max_evaluations=args.max_evaluations, n_jobs=args.n_jobs,
                          progress=progress)
        values, history = fit.values, fit.history
        print(f"Fitted in {fit.evaluations} evaluation(s); the fit "
              f"{'meets every target' if fit.met else 'misses some targets'} on its own random numbers.\n")
        print(parameter_table(values, starts, spec).to_string(index=False, columns=[
            "parameter", "value", "start", "low", "high", "at_bound"], float_format=lambda v: f"{v:.4g}"))
        print()
    check = evaluate(base, spec, values, replications=args.check_replications,
                     seed=spec.seed + CHECK_SEED_OFFSET, n_jobs=args.n_jobs)
    table = target_table(check, spec)
    print(f"Check: {args.check_replications} replications on seed {spec.seed + CHECK_SEED_OFFSET}")
    print(format_targets(table))
    written = write_results(output, check, spec, values, starts, history)
    from flowsim.reporting.calibration_plots import targets_figure  # matplotlib once the runs are done

    targets_figure(table).savefig(output / "targets.png", dpi=120)
    written.append(output / "targets.png")
    if spec.parameters and not args.check:
        system = next((o.split("=", 1)[1] for o in overrides if o.startswith("system=")), "default")
        reference = load_config([f"system={system}"], search_dir=args.config_dir)  # the system alone
        written.append(write_fitted_system(base, spec, values, output / "fitted_system.yaml", args.targets,
                                           system, reference, overrides))
    missed = int((~table["within"]).sum())
    print(f"\n{len(table) - missed} of {len(table)} target value(s) within their tolerance.")
    print(f"Written to {output}/: {', '.join(p.name for p in written)}")
