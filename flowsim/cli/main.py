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
import dataclasses
import io
import os
import re
import sys
import traceback
import typing
from collections.abc import Callable, Sequence
from pathlib import Path

import hydra
import yaml
from hydra._internal.utils import get_args_parser
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from flowsim.cli.compose_once import composed_once
from flowsim.cli.figure_path import check_figure_path
from flowsim.cli.help import GROUPS, asks_for_help, print_help
from flowsim.cli.no_effect import no_effect_note
from flowsim.experiment.compare import compare_to_baseline, select_baseline
from flowsim.experiment.pipeline import run_scenario
from flowsim.experiment.sweep import (
    SweepTables,
    check_writable,
    collect_sweep,
    parse_override,
    write_sweep_tables,
)
from flowsim.model.compose import config_dir
from flowsim.model.config import register_configs
from flowsim.model.datafile import read_text, yaml_data
from flowsim.model.errors import EXIT_CONFIG_ERROR, ArgumentParser, ConfigError
from flowsim.model.overrides import normalise_overrides, whole_entry_sweep
from flowsim.model.strict import WHOLE_EXAMPLES, closest, schema_at
from flowsim.reporting.summary import format_comparison, format_summary

if typing.TYPE_CHECKING:
    import pandas as pd

__all__ = ["collect_and_report", "collect_main", "describe_error", "main"]


def _key_problem(omega: OmegaConfBaseException, key: str) -> str | None:
    """A fix for an unknown key: the closest valid name under the same parent, if any."""
    parent = getattr(omega, "parent_node", None)
    name = key.rsplit(".", 1)[-1]
    options = [str(k) for k in parent.keys()] if OmegaConf.is_dict(parent) else []
    if not options:
        kind = schema_at(key.split(".")[:-1])
        options = list(typing.get_type_hints(kind)) if dataclasses.is_dataclass(kind) else []
    guess = closest(name, options)
    if guess is not None:
        return f"did you mean {key.rsplit('.', 1)[0] + '.' if '.' in key else ''}{guess}?"
    if key.startswith("hydra."):  # Hydra's own settings, not the schema's
        return "see flowsim --hydra-help and Hydra's documentation for its settings"
    if options:
        if len(options) > 16:
            return "see flowsim/model/config.py for the valid keys"
        return f"use one of {', '.join(options)}"
    return None


# OmegaConf's words for a value the schema's type refuses, and what the type is in a user's words
_TYPE_REFUSED = (re.compile(r"Value '(.*)' of type '\w+' could not be converted to (\w+)"),
                 re.compile(r"Value '(.*)' is not a valid (bool)"))
_TYPE_WORDS = {"Integer": ("a whole number", "1"), "Float": ("a number", "1.5"),
               "bool": ("true or false", "true")}


def _type_problem(message: str, key: str) -> str | None:
    """``seed: must be a whole number, got 'abc'; fix: ...`` for a value of the wrong type, or None."""
    for pattern in _TYPE_REFUSED:
        match = pattern.search(message)
        if match and match.group(2) in _TYPE_WORDS:
            words, example = _TYPE_WORDS[match.group(2)]
            return (f"{key}: must be {words}, got {match.group(1)!r}; "
                    f"fix: set it to {words}, e.g. {key}={example}")
    return None


def _override_key(chain: list[BaseException]) -> str | None:
    """The key of the override Hydra was applying when it failed, if it says."""
    for error in chain:
        match = re.search(r"(?:override|Could not override) '?\+*~?([\w.\-]+)[=']", str(error))
        if isinstance(error, HydraException) and match:
            return match.group(1)
    return None


def _group_as_prefix(group: str, chain: list[BaseException]) -> str | None:
    """The line for ``system.services.x=3`` on the command line: a group's name used as a key's first part.

    A group chooses a file (``system=NAME``); the settings its files hold are top-level keys, so the
    fix is the same key without the group's name, when that names a setting (the value is left to
    the user: in a sweep Hydra reports one job's).
    """
    override = _override_key(chain)
    if override is None or not override.startswith(f"{group}."):
        return None
    setting = override[len(group) + 1:]
    head = (f"{override}: '{group}' is a config group, chosen whole with {group}=NAME, not a setting; "
            "fix: ")
    if schema_at(setting.split(".")) is not None:
        return head + f"drop '{group}.' from the key: {setting}"
    return head + ("set settings by their own names (e.g. services.ic_beds.capacity=40); "
                   "flowsim --cfg job lists them")


def _field(omega: OmegaConfBaseException, chain: list[BaseException]) -> str:
    """The dotted field an OmegaConf error is about (OmegaConf loses the path of a new node)."""
    full_key = str(getattr(omega, "full_key", None) or "")
    override = _override_key(chain)
    if not override or full_key.startswith(override):
        return full_key or override or "config"
    parts = override.split(".")
    last = full_key.split(".")[-1].split("[")[0]
    if last in parts:  # "step_up" of services.step_up.capacity: the node that could not be made
        return ".".join(parts[:parts.index(last) + 1])
    return full_key or override


def describe_error(error: BaseException) -> str | None:
    """One line for a user's config mistake, or None if ``error`` is not one (a bug)."""
    if isinstance(error, ConfigError):
        return str(error)
    chain = []
    current: BaseException | None = error
    while current is not None:
        chain.append(current)
        current = current.__cause__ or current.__context__
    unreadable = next((e for e in chain if isinstance(e, yaml.YAMLError | UnicodeDecodeError)), None)
    if unreadable is not None:
        line = _config_file_problem(unreadable)
        if line is not None:
            return line
    omega = next((e for e in chain if isinstance(e, OmegaConfBaseException)), None)
    if omega is not None:
        key = _field(omega, chain)
        message = str(getattr(omega, "msg", None) or omega).strip().splitlines()[0]
        if re.search(r"Key '.*' (is )?not in", message):
            fix = _key_problem(omega, key) or "check the spelling against flowsim/model/config.py"
            prefixed = _group_as_prefix(key, chain) if key in GROUPS else None
            if prefixed is not None:
                return prefixed
            if key in GROUPS:  # a group's file without its package line lands under the group's name
                fix = (f"if it comes from a {key} file of your own, make '# @package _global_' its first "
                       f"line, as in flowsim/configs/{key}/")
                read = _group_file(chain, key)
                if read is not None:
                    file, holds = read
                    if holds == "empty":  # the package line would only hide that it sets nothing
                        return (f"config file {file}: is empty, so {key}={file.stem} would change nothing; "
                                f"fix: write in it the settings the {key} changes, after a first line "
                                f"'# @package _global_' (as in flowsim/configs/{key}/)")
                    if holds == "unpackaged":
                        return (f"config file {file}: lacks its first line '# @package _global_', so its "
                                f"settings land under '{key}'; fix: add that line, as in "
                                f"flowsim/configs/{key}/")
                    return (f"config file {file}: sets '{key}', which is not a setting; fix: leave it out "
                            f"(the file is chosen with {key}={file.stem}, and sets settings such as seed)")
            return f"{key}: unknown key; fix: {fix}"
        if "dict is not a subclass of" in message and "value: {}" not in message:
            # a whole mapping where no entry is: only a sweep gets here (overrides.py merges the others)
            return str(whole_entry_sweep(key))
        if "is not a subclass of" in message and "value: {}" in message:
            example = WHOLE_EXAMPLES.get(message.split("subclass of ")[-1].split(".")[0], "{...}")
            return (f"{key}: does not exist, so its settings cannot be set one by one; fix: give it whole, "
                    f"e.g. {key}={example}")
        typed = _type_problem(message, key)
        if typed is not None:
            return typed
        return (f"{key}: {message}; fix: give {key} a value of the type the schema expects "
                "(see flowsim/model/config.py)")
    if isinstance(error, HydraException):
        added = re.match(r"Could not append to config\. An item is already at '([\w.\-]+)'", str(error))
        if added:  # Hydra's own fix would show "+key={...}" as flowsim rewrote it (overrides.py)
            key = added.group(1)
            kind = schema_at(key.split("."))
            kept = (" (a mapping changes the keys it gives and keeps the others)"
                    if dataclasses.is_dataclass(kind) or typing.get_origin(kind) is dict else
                    " (a list replaces the whole list: give every item)" if typing.get_origin(kind) is list
                    else "")
            return (f"{key}: already exists, so +{key} cannot add it; fix: leave out the + to change it"
                    f"{kept}, or give a new name")
        message = " ".join(str(error).split("Config search path")[0].split())
        missing = re.search(r"Could not find '([\w\-]+)/([^']+)' Available options in '\1': (.*)", message)
        if missing:  # an option of a group that has no file of that name: the options, the likeliest first
            group, name, options = missing.group(1), missing.group(2), missing.group(3).split()
            guess = closest(name, options)
            fix = f"did you mean {group}={guess}? " if guess is not None else ""
            return (f"{group}={name}: there is no {group} of that name; "
                    f"fix: {fix}options: {', '.join(options)}")
        return f"{message}; fix: check the command-line overrides and config group names"
    if isinstance(error, ValueError) and _raised_in_hydra(error):
        return (f"{' '.join(str(error).split())}; fix: check the command-line overrides "
                "(key=value, config groups such as scenario=quick)")
    return None


def _group_file(chain: list[BaseException], group: str) -> tuple[Path, str] | None:
    """The file of ``group`` Hydra was merging when it failed, if it says, and what it holds.

    ``"empty"``, ``"unpackaged"`` (settings without a package line, landing under the group's
    name) or ``"packaged"`` (with one: the group's name is a key the file sets itself).

    Hydra's composing loop holds the option's path and what it loaded; a file found in a config
    folder (``file://``) is named, one inside a package is not.
    """
    for error in chain:
        for frame, _ in traceback.walk_tb(error.__traceback__):
            default, loaded = frame.f_locals.get("default"), frame.f_locals.get("loaded")
            config_path = getattr(default, "config_path", None)
            source = getattr(loaded, "path", None)
            if (not isinstance(config_path, str) or not config_path.startswith(f"{group}/")
                    or not isinstance(source, str) or not source.startswith("file://")):
                continue
            file = Path(source.removeprefix("file://")) / f"{config_path}.yaml"
            if not file.is_file():
                return None
            if (getattr(loaded, "header", None) or {}).get("package"):
                return file, "packaged"  # the key is the file's own
            content = getattr(loaded, "config", None)
            inner = content.get(group) if OmegaConf.is_dict(content) or isinstance(content, dict) else content
            return file, "unpackaged" if inner else "empty"
    return None


def _config_file_problem(error: BaseException) -> str | None:
    """One line for a config file (a user's ``--config-dir``) that is not UTF-8 or not valid YAML.

    The file is the one the YAML parser names, or the one Hydra was reading (``full_path`` in its
    file config source); it is read again with the checks every user data file gets, which name the
    line. None if the file cannot be found that way.
    """
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    paths = [getattr(mark, "name", "")]
    paths += [frame.f_locals.get("full_path") for frame, _ in traceback.walk_tb(error.__traceback__)]
    file = next((Path(p) for p in paths if isinstance(p, str) and p.endswith(".yaml") and Path(p).is_file()),
                None)
    if file is None:
        return None
    field = f"config file {file}"
    try:
        _, text = read_text(file, field, "a flowsim config (YAML, UTF-8)")
        yaml_data(text, file, field)
    except ConfigError as problem:
        return str(problem)
    return None


def _raised_in_hydra(error: BaseException) -> bool:
    """Whether ``error`` was raised inside Hydra itself (a malformed override it did not parse)."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and f"{os.sep}hydra{os.sep}" in frames[-1].filename


def _task(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    output_dir = hydra_cfg.runtime.output_dir
    overrides = list(hydra_cfg.overrides.task)
    job = hydra_cfg.job.num if hydra_cfg.mode == RunMode.MULTIRUN else None
    unused = no_effect_note(cfg, overrides)
    if unused is not None:
        print(f"flowsim: note: {unused}", file=sys.stderr)
    try:
        run = run_scenario(cfg, output_dir, overrides, progress=sys.stderr.isatty(), job=job)
    except ConfigError as error:
        # Exit here, not via an exception: Hydra would first print its own "Error executing job".
        print(f"flowsim: error: {error}", file=sys.stderr)
        sys.exit(EXIT_CONFIG_ERROR)
    adaptive = cfg.get("precision") is not None and bool(cfg.precision.get("adaptive"))
    warning = run.precision.warning(int(cfg.precision.max_replications) if adaptive else None)
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
        with composed_once():
            hydra.main(config_path=str(config_dir()), config_name="config", version_base="1.3")(_task)()

    _guarded(entry)


def _baseline_job(tables: SweepTables, baseline: dict[str, object] | None) -> int | str:
    """The job ``--baseline`` names (the first job without it)."""
    try:
        return select_baseline(tables, baseline)
    except KeyError as error:  # a key that is not swept, or a value no job has
        raise ConfigError("--baseline", str(error.args[0]),
                          "give a swept key and a value one job has") from None


def _figure_column(tables: SweepTables, comparison: pd.DataFrame, avoided: str | None) -> str:
    """The comparison column ``--figure`` draws (``--reason`` picks one delay reason's)."""
    if len(tables.swept) not in (1, 2):
        raise ConfigError("--figure", f"draws one or two swept parameters, the sweep has "
                          f"{len(tables.swept)}", "leave out --figure, or plot results.parquet yourself")
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
            raise ConfigError(args.sweep_dir, "is not a directory",
                              "give the sweep directory (hydra.sweep.dir)")
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
