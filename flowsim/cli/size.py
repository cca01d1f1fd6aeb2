"""``flowsim-size``: the cheapest capacity mix (that meets your targets), found by simulation.

::

    flowsim-size SIZING.yaml [--output DIR] [--n-jobs N] [--config-dir DIR] [overrides ...]

Reads a sizing file (:mod:`flowsim.sizing.spec`: the capacities to size with their bounds, surge
blocks, the objective and any targets), searches the grid on common random numbers
(:mod:`flowsim.sizing.search`), compares the recommended mix with today's on the same patients,
reruns both on fresh seeds, and writes ``evaluations.parquet``, ``candidates.csv``, ``pareto.csv``,
``recommendation.json``, ``recommended.yaml`` and ``pareto.png`` into ``--output``. Every finished
replication is kept under ``DIR/checkpoints/``: rerun the same command after an interruption and the
search resumes where it stopped, with the same result.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig, OmegaConf

from flowsim.cli.config_errors import describe_error
from flowsim.cli.output_path import check_output_folder
from flowsim.cli.parser import check_n_jobs, refuse_owned_overrides, whole_number_option
from flowsim.experiment.lock import folder_lock
from flowsim.model.compose import load_config
from flowsim.model.errors import EXIT_CONFIG_ERROR, ArgumentParser, ConfigError, Interrupted
from flowsim.model.scenario import build_scenario
from flowsim.model.strict import closest
from flowsim.reporting.sizing_summary import format_sizing
from flowsim.sizing.candidates import apply_candidate
from flowsim.sizing.spec import SizingSpec, load_sizing_spec

if TYPE_CHECKING:
    from flowsim.sizing.evaluations import Evaluator

__all__ = ["build_parser", "main"]

PROG = "flowsim-size"
EXAMPLES = (
    "  flowsim-size experiments/surge_capacity/sizing.yaml --n-jobs 2\n"
    "  flowsim-size experiments/surge_capacity/sizing.yaml --output sizing/winter costs.acute_bed_day=300\n"
    "  flowsim-size my_sizing.yaml --config-dir myconfigs system=my_ics\n"
    "  flowsim-size experiments/surge_capacity/sizing.yaml sizing.search.trials=100 sizing.seed=7")


def build_parser() -> argparse.ArgumentParser:
    """The ``flowsim-size`` command-line parser."""
    parser = ArgumentParser(
        prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=("Find the cheapest mix of capacities (P1 packages, P2 beds, care-home unit beds, P3 "
                     "beds, flats, coordinators, 7-day admission, winter surge blocks) that meets your "
                     "targets, by simulation on common random numbers: Optuna's TPE search, a local "
                     "polish, then ranking and selection (Kim-Nelson) of a shortlist. Compares the "
                     "recommendation with today's mix and validates it on fresh seeds."),
        epilog=f"examples:\n{EXAMPLES}\n\nhow-to: docs/how-to/size.md in the flowsim source")
    parser.add_argument("sizing", metavar="SIZING.yaml", help="capacities to size, objective, targets")
    parser.add_argument("--output", default=None, metavar="DIR",
                        help="folder for the results and checkpoints (default: sizing/<file name>); "
                             "rerun with the same folder to resume")
    parser.add_argument("--n-jobs", type=whole_number_option, default=1,
                        help="parallel worker processes (default: 1; results do not depend on it)")
    parser.add_argument("--hydra-launcher", action="store_true",
                        help="run each batch's candidates as jobs of the Hydra launcher (hydra/launcher: "
                             "joblib by default, hydra.launcher.n_jobs workers; ray or submitit_slurm on a "
                             "cluster); job folders go in DIR/jobs/")
    parser.add_argument("--config-dir", default=None, metavar="DIR",
                        help="your config folder (with system/NAME.yaml), as flowsim --config-dir")
    parser.add_argument("overrides", nargs="*", default=[], metavar="override",
                        help="Hydra overrides of the system being sized, as for flowsim; sizing.KEY=VALUE "
                             "changes the sizing file (e.g. sizing.search.trials=100)")
    return parser


def _check_paths(base: OmegaConf, spec: SizingSpec) -> None:
    """Every variable writes a setting the system has, and every corner of the grid is a valid config."""
    for dimension in spec.dimensions:
        if dimension.path is not None and OmegaConf.select(base, dimension.path) is None:
            parent, _, leaf = dimension.path.rpartition(".")
            node = OmegaConf.select(base, parent) if parent else base
            options = [str(k) for k in node] if OmegaConf.is_dict(node) else []
            guess = closest(leaf, options)
            raise ConfigError(f"variables.{dimension.name}.path",
                              f"{dimension.path} is not set in the system",
                              f"did you mean {parent}.{guess}?" if guess else "give the path of a setting "
                              "the system has, e.g. services.ic_beds.capacity")
    for corner in ([d.values[0] for d in spec.dimensions], [d.values[-1] for d in spec.dimensions]):
        build_scenario(apply_candidate(base, spec, tuple(corner)))


class _KpiMistake(Exception):
    """A KPI named in the sizing file that the system does not compute (carries the ConfigError)."""

    def __init__(self, error: ConfigError) -> None:
        super().__init__(str(error))
        self.error = error


def _check_kpis(evaluator: Evaluator) -> None:
    """The objective and every constraint name a KPI this system computes (checked on one replication of
    today's system): a KPI that is not a number there (a housing KPI with housing off, a winter KPI of
    a run without a winter) could never be met or ranked."""
    from flowsim.sizing.evaluations import BASELINE
    from flowsim.sizing.ranking import objective_kpi

    spec = evaluator.spec
    evaluator.run([(BASELINE, spec.seed, [0])], "baseline")
    kpis = evaluator.kpis(BASELINE, spec.seed, 0)
    named = [("objective", objective_kpi(spec.objective))]
    named += [(f"constraints[{i}]", t.kpi) for i, t in enumerate(spec.constraints)]
    for field, kpi in named:
        if kpi not in kpis:
            guess = closest(kpi, list(kpis))
            raise ConfigError(field, f"{kpi!r} is not a KPI flowsim reports",
                              f"did you mean {guess}?" if guess else "use a key of metrics.json")
        if not math.isfinite(float(kpis[kpi])):
            raise ConfigError(field, f"{kpi!r} is not computed for this system (not a number on today's "
                              "mix: e.g. a housing KPI with housing off, a winter KPI of a run without a "
                              "winter)", "choose a KPI the system reports, or the settings that make it")


def _refuse_seeds_and_replications(spec: SizingSpec, overrides: list[str]) -> None:
    """The sizing file sets every run's seed and replications: a system override of them would be ignored."""
    owned = {"seed": ("the sizing file sets the seeds", "use sizing.seed={value}"),
             "replications": ("the sizing file sets the replications",
                              "use sizing.search.replications={value} (or sizing.validation.replications)")}
    refuse_owned_overrides(overrides, owned)
    in_file = {"seed": ("sets seed, which the sizing file's own seed replaces", "write seed: {value} in the "
                        "sizing file instead"),
               "replications": ("sets replications, which search.replications replaces",
                                "write search: {{replications: {value}}} in the sizing file instead")}
    refuse_owned_overrides(spec.overrides, in_file, "overrides")


def run(args: argparse.Namespace) -> None:
    """Carry out ``flowsim-size`` with parsed ``args``."""
    check_n_jobs(args.n_jobs)
    own = [o.removeprefix("sizing.") for o in args.overrides if o.startswith("sizing.")]
    args.overrides = [o for o in args.overrides if not o.startswith("sizing.")]
    spec = load_sizing_spec(args.sizing, own)
    _refuse_seeds_and_replications(spec, args.overrides)
    base = load_config([*spec.overrides, *args.overrides], search_dir=args.config_dir)
    build_scenario(base)
    _check_paths(base, spec)
    # before the lock and the first replication: a path that cannot hold the results fails now
    output = Path(args.output or Path("sizing") / Path(args.sizing).stem)
    _refuse_results_folder(output)
    fresh = not (output.exists() or output.is_symlink())  # (made by this command if the search makes it)
    output = check_output_folder(output, "--output")
    progress = sys.stderr.isatty()
    try:
        written, reused = _search(args, spec, base, output, progress)
    except KeyboardInterrupt:  # every finished replication is in output/checkpoints/: say how to resume
        raise Interrupted(str(output), "--output") from None
    except _KpiMistake as mistake:  # found on today's system's first replication, before any search
        if fresh:  # a mistake leaves nothing behind: the folder this command made goes with it
            shutil.rmtree(output, ignore_errors=True)
        raise mistake.error from None
    if reused:
        print(f"Resumed: {reused:,} replication(s) taken from {output / 'checkpoints'}")
    print(format_sizing(output / "recommendation.json"))
    print(f"\nWritten to {output}/: {', '.join(p.name for p in written)}")


def _search(args: argparse.Namespace, spec: SizingSpec, base: DictConfig, output: Path, progress: bool
            ) -> tuple[list[Path], int]:
    """The search, the validation and the files, under the folder's lock: (files written, replications
    taken from checkpoints)."""
    # The search's modules (pandas, SciPy, the run) once the input is checked, so that --help and a
    # mistake in it are quick; and before the workers fork, so that they start with them.
    from flowsim.sizing.evaluations import Evaluator
    from flowsim.sizing.executor import LocalExecutor
    from flowsim.sizing.outputs import remove_results, write_sizing
    from flowsim.sizing.search import run_search, validate

    with folder_lock(output, "--output"):
        overrides = [*spec.overrides, *args.overrides]
        if args.hydra_launcher:
            from flowsim.sizing.launcher import HydraLauncherExecutor

            executor = HydraLauncherExecutor(overrides, output / "jobs", args.config_dir)
        else:
            executor = LocalExecutor(args.n_jobs, progress)
        evaluator = Evaluator(base, spec, executor, output / "checkpoints")
        try:
            _check_kpis(evaluator)
        except ConfigError as error:
            raise _KpiMistake(error) from None
        if remove_results(output):  # until this search finishes, no other search's results show here
            print(f"{PROG}: note: the results of an earlier search in {output} are removed, to be written "
                  "anew by this one (the replications it finished are reused where the mix and seed match)",
                  file=sys.stderr)
        print(f"{PROG}: {len(spec.dimensions)} decision(s), a grid of {spec.grid_size:,} "
              f"{'mix' if spec.grid_size == 1 else 'mixes'}; "
              f"{spec.search.trials} trials of {spec.search.replications} replications (seed {spec.seed}), "
              f"{'targets: ' + ', '.join(map(str, spec.constraints)) if spec.constraints else 'no targets'}")
        bar = _progress_bar(spec, progress)
        result = run_search(evaluator, lambda stage, done, total: bar.update(done - bar.n))
        bar.close()
        validation = validate(evaluator, result.recommended.candidate)
        written = write_sizing(output, evaluator, result, validation)
        from flowsim.reporting.sizing_plots import pareto_figure  # matplotlib once the runs are done

        figure = pareto_figure(output / "candidates.csv", output / "recommendation.json")
        figure.savefig(output / "pareto.png", dpi=120)
        written.append(output / "pareto.png")
    return written, evaluator.reused


def _progress_bar(spec: SizingSpec, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=spec.search.trials, desc="search", unit="trial", disable=not enabled)


def _refuse_results_folder(folder: Path) -> None:
    """Refuse the folder of a flowsim run or sweep: the search's files would mix with its results."""
    from flowsim.experiment.run_folder import MARKER
    from flowsim.experiment.sweep_jobs import SWEEP_FILE

    for name, what in ((MARKER, "a flowsim run"), (SWEEP_FILE, "a flowsim sweep")):
        if (folder / name).is_file():
            raise ConfigError("--output", f"{str(folder)!r} holds the results of {what} ({name})",
                              "give the search a folder of its own, e.g. --output sizing/my_search")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``flowsim-size``: one line and exit code 2 for a mistake in the input."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)  # overrides may follow options (--n-jobs 2 seed=...)
    options = [u for u in unknown if u.startswith("-")]
    if options:  # an option it does not have, named as the other commands name it
        parser.error(f"unrecognized arguments: {' '.join(options)}")
    args.overrides = [*args.overrides, *unknown]
    try:
        run(args)
    except Exception as error:  # only a user's mistakes are caught; bugs are re-raised
        line = describe_error(error)
        if line is None:
            raise
        print(f"{PROG}: error: {line}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)


if __name__ == "__main__":
    main()
