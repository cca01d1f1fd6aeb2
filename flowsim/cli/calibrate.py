"""``flowsim-calibrate``: model parameters from your own data.

Subcommands (one entry each in :data:`_SUBCOMMANDS`: a new one is a function adding its arguments,
a function running it, and a line here)::

    flowsim-calibrate fit EXTRACT.csv [--output DIR] [--name NAME] [--extract-date DATE] [--report]
    flowsim-calibrate example OUT.csv [--days N] [--seed S] [--scale F] [--start DATE] [--override K=V ...]
    flowsim-calibrate targets TARGETS.yaml [--output DIR] [--check] [--n-jobs N] [overrides ...]

``fit`` checks a patient-level extract (:mod:`flowsim.calibration.extract`), fits it
(:mod:`flowsim.calibration.fit`) and writes a system config, tables and a sheet of figures.
``example`` writes a SYNTHETIC extract simulated by flowsim (:mod:`flowsim.calibration.example`).
``targets`` fits what data rarely shows to observed aggregates (:mod:`flowsim.cli.calibrate_targets`).
A mistake in the input stops with one line naming the file line, the column and the fix, and exit
code 2 (``--report`` lists every problem).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flowsim.calibration.extract_checks import ExtractError, parse_time
from flowsim.calibration.extract_dates import in_calendar
from flowsim.cli import calibrate_targets as targets
from flowsim.cli.config_errors import describe_error
from flowsim.cli.output_path import check_output_file, check_output_folder
from flowsim.cli.parser import whole_number_option
from flowsim.model.errors import EXIT_CONFIG_ERROR, ArgumentParser, ConfigError
from flowsim.model.validate import date_value

__all__ = ["build_parser", "main"]

PROG = "flowsim-calibrate"
DOCS = "documentation: docs/how-to/calibrate.md in the flowsim source (make docs builds the site)"
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Subcommand:
    """One subcommand: its one-line help, examples, arguments and what it runs."""

    help: str
    description: str
    examples: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], None]


def _moment(text: str, option: str) -> dt.datetime:
    """A command-line date or date-time; a date alone means the end of that day."""
    try:
        value, date_only = parse_time(text)
    except ValueError:
        raise ConfigError(option, f"{text!r} is not a date",
                          "write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if not in_calendar(value):  # 9999-12-31: a day later is past any date Python has
        raise ConfigError(option, f"{text} is outside the years 1900 to 2100",
                          "give the date the extract was taken, e.g. 2026-03-31")
    return value + dt.timedelta(days=1) if date_only else value


# -- fit --------------------------------------------------------------------------------------------
def _fit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("extract", metavar="EXTRACT.csv",
                        help="the patient-level extract, one row per NCTR episode")
    parser.add_argument("--output", default="calibration", metavar="DIR",
                        help="folder for the outputs (default: calibration; created if needed)")
    parser.add_argument("--name", default="fitted",
                        help="name of the system config written to DIR/system/NAME.yaml (default: fitted)")
    parser.add_argument("--extract-date", metavar="DATE",
                        help="when the extract was taken: stays open then are censored (YYYY-MM-DD means "
                             "the end of that day; default: the latest date-time in the file)")
    parser.add_argument("--report", action="store_true",
                        help="list every problem in the file (all rows) instead of stopping at the first")


def _fit(args: argparse.Namespace) -> None:
    # pandas with the work, not with the command (--help and a mistyped argument are quick), and
    # SciPy's fitting once the extract has passed its checks
    from flowsim.calibration.extract import read_extract

    if not _NAME.fullmatch(args.name) or args.name == "default":
        raise ConfigError("--name", f"{args.name!r} cannot name a system file",
                          "use letters, digits, _ and -, and not 'default' (the system it builds on)")
    extract_date = _moment(args.extract_date, "--extract-date") if args.extract_date else None
    extract = read_extract(args.extract, extract_date, report=args.report)
    from flowsim.calibration.fit import fit_extract
    from flowsim.calibration.outputs import checked_system, format_fit_summary, write_outputs

    out = check_output_folder(args.output, "--output")  # once the extract is good, before the fit
    fit = fit_extract(extract)
    try:  # before anything is written: no system file that would not run, no tables beside it
        system = checked_system(fit, args.name)
    except Exception as error:  # a ConfigError, or OmegaConf's or Hydra's own; a bug is re-raised
        line = describe_error(error)
        if line is None:
            raise
        what = line.split("; fix: ")[0]  # its own fix is for a file written by hand
        raise ConfigError(str(out / "system" / f"{args.name}.yaml"),
                          f"the fitted system is not valid: {what}",
                          "nothing was written; correct the extract where the message points (if it points "
                          "at nothing of yours, report it: a fit should give a valid system)") from None
    paths = write_outputs(fit, out, args.name, system)
    from flowsim.reporting.fit_plots import fit_sheet  # matplotlib only once the fit is done

    paths["figure"] = out / "fit_sheet.png"
    fit_sheet(fit).savefig(paths["figure"], dpi=100)
    print(format_fit_summary(fit))
    names = ", ".join(p.relative_to(out).as_posix() for p in paths.values())
    print(f"\nOutputs written to {out}/ ({names})")
    print(f"Use: flowsim --config-dir {out} system={args.name}")
    earlier = _earlier_fits(out, paths["system"])
    if earlier:  # left as they were (a planner's own edits may be in them), but no longer of these tables
        print(f"flowsim-calibrate: note: {', '.join(earlier)} in {out}/ "
              f"{'are earlier fits' if len(earlier) > 1 else 'is an earlier fit'}: fits.csv, estimates.csv "
              f"and fit_sheet.png now describe system/{args.name}.yaml", file=sys.stderr)


def _earlier_fits(out: Path, written: Path) -> list[str]:
    """The other system files of ``out/system`` that flowsim-calibrate fit wrote (by their first lines)."""
    from flowsim.calibration.system_config import FITTED_HEADER

    found = []
    for path in sorted((out / "system").glob("*.yaml")):
        if path == written:
            continue
        with contextlib.suppress(OSError, UnicodeDecodeError), path.open(encoding="utf-8") as file:
            if any(file.readline().startswith(FITTED_HEADER) for _ in range(2)):
                found.append(path.relative_to(out).as_posix())
    return found


# -- example ----------------------------------------------------------------------------------------
def _example_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUT.csv", help="file to write; its name must say 'synthetic'")
    parser.add_argument("--days", type=whole_number_option, default=365,
                        help="days of NCTR episodes in the extract (default: 365)")
    parser.add_argument("--seed", type=whole_number_option, default=1,
                        help="seed of the simulation (default: 1)")
    parser.add_argument("--scale", type=float, default=0.1,
                        help="fraction of the default system's arrivals and capacity (default: 0.1)")
    parser.add_argument("--start", default="2025-04-01", metavar="DATE",
                        help="first day of the extract (default: 2025-04-01)")
    parser.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                        help="a flowsim override of the simulated system, e.g. "
                             "'services.ic_beds.los_days={kind: gamma, mean: 30, sd: 15}' (repeatable)")


def _example(args: argparse.Namespace) -> None:
    from flowsim.calibration.example import write_synthetic_extract  # pandas and the model: see _fit

    start = date_value(args.start, "--start")
    check_output_file(args.out, "OUT", "synthetic_extract.csv")  # before the simulation, not after it
    made = write_synthetic_extract(args.out, args.days, args.seed, args.scale, start, args.override)
    rows = made.rows
    in_units = int(((rows["unit_start_datetime"] != "") & (rows["unit_end_datetime"] == "")).sum()
                   + ((rows["onward_start_datetime"] != "") & (rows["onward_end_datetime"] == "")).sum())
    print(f"Wrote {args.out}: a SYNTHETIC extract simulated by flowsim, not real patients "
          f"({len(rows):,} NCTR episodes from {start.isoformat()} over {args.days} days; default system x "
          f"{args.scale:g}, seed {args.seed}; {in_units:,} patients still in a unit at the extract date "
          f"{made.extract_date.isoformat(sep=' ', timespec='minutes')})")
    # Without --extract-date a fit takes the file's latest moment, hours before the extract was taken:
    # the stays still open would be cut short by those hours.
    last_day = (made.extract_date - dt.timedelta(days=1)).date() if made.extract_date.time() == dt.time() \
        else None
    if last_day is not None:
        print(f"Fit it as taken: flowsim-calibrate fit {args.out} --extract-date {last_day.isoformat()}")


_SUBCOMMANDS: dict[str, Subcommand] = {
    "fit": Subcommand(
        help="fit a patient-level extract and write a system config, tables and figures",
        description=("Check a patient-level extract (one row per NCTR episode), fit arrivals, pathway and "
                     "outcome shares, readmission and each unit's length of stay (censored maximum "
                     "likelihood, 4 families ranked by AIC), and write DIR/system/NAME.yaml, fits.csv, "
                     "estimates.csv and fit_sheet.png."),
        examples=("  flowsim-calibrate fit extract.csv\n"
                  "  flowsim-calibrate fit extract.csv --report        list every problem in the file\n"
                  "  flowsim-calibrate fit extract.csv --output calibration --name my_ics "
                  "--extract-date 2026-03-31\n"
                  "  flowsim --config-dir calibration system=my_ics    then run the fitted system"),
        add_arguments=_fit_arguments, run=_fit),
    "example": Subcommand(
        help="write a SYNTHETIC extract simulated by flowsim (to try fit on)",
        description=("Simulate the default system (scaled) and write its NCTR episodes as an extract, cut "
                     "at the end so some stays are open. Every row is marked is_synthetic=true."),
        examples=("  flowsim-calibrate example synthetic_extract.csv\n"
                  "  flowsim-calibrate example synthetic_short.csv --days 90 --seed 7\n"
                  "  flowsim-calibrate example synthetic_gamma.csv "
                  "--override 'services.ic_beds.los_days={kind: gamma, mean: 30, sd: 15}'"),
        add_arguments=_example_arguments, run=_example),
    "targets": Subcommand(help=targets.HELP, description=targets.DESCRIPTION, examples=targets.EXAMPLES,
                          add_arguments=targets.add_arguments, run=targets.run),
}


def build_parser() -> argparse.ArgumentParser:
    """The ``flowsim-calibrate`` parser, one subparser per entry of :data:`_SUBCOMMANDS`."""
    # The first example of each subcommand.
    examples = "\n".join(s.examples.splitlines()[0] for s in _SUBCOMMANDS.values())
    parser = ArgumentParser(
        prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=("Model parameters from your own data: fit a patient-level extract into a flowsim "
                     "system config, write a synthetic extract to try it on, or fit capacities and "
                     "delays so the model meets observed aggregates (targets)."),
        epilog=f"examples:\n{examples}\n\n{DOCS}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, sub in _SUBCOMMANDS.items():
        child = commands.add_parser(name, help=sub.help, description=sub.description,
                                    formatter_class=argparse.RawDescriptionHelpFormatter,
                                    epilog=f"examples:\n{sub.examples}\n\n{DOCS}")
        sub.add_arguments(child)
        child.set_defaults(run=sub.run)
    return parser


def _fail(line: str) -> None:
    print(f"{PROG}: error: {line}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> None:
    """``flowsim-calibrate``: run a subcommand; a user's mistake is one line and exit code 2."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # overrides may follow options (flowsim-calibrate targets T.yaml --n-jobs 2 system=my_ics)
    if extra and hasattr(args, "overrides") and not any(e.startswith("-") for e in extra):
        args.overrides = [*args.overrides, *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        args.run(args)
    except ExtractError as error:  # --report: every problem, one line each
        for line in error.lines:
            _fail(line)
        print(f"{PROG}: {len(error.lines):,} problem(s) in {Path(args.extract).name}; fix them and run again",
              file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)
    except Exception as error:  # only a user's mistakes are caught; bugs are re-raised
        line = describe_error(error)
        if line is None:
            raise
        _fail(line)
        sys.exit(EXIT_CONFIG_ERROR)


if __name__ == "__main__":
    main()
