"""``flowsim-warmup``: how long a warm-up does this system need?

Runs a few long replications from an empty system (no warm-up; from the census when
``run.initial_census`` gives one), suggests ``run.warm_up_days`` from the NCTR census, every unit's
occupancy and the acute bed pool's (MSER-5, :mod:`flowsim.experiment.warmup`) and draws them with
Welch's moving average::

    flowsim-warmup [--replications 5] [--horizon-days 730] [--figure warmup.png] [--n-jobs 1]
                   [--reference auto|year|none] [--config-dir DIR] [overrides ...]

When arrivals, places or arrangement times vary over the year (or places change on dates), each
series is compared with runs started 52 weeks earlier, at the same dates: MSER is applied to the
difference, which holds the start-up and not the season (``--reference``).

Overrides are the ``flowsim`` ones (``scenario=quick``, ``services.ic_beds.capacity=400``). A wrong
value stops before anything runs with one line naming the field and the fix, and exit code 2.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
from omegaconf import OmegaConf

from flowsim.cli.config_errors import describe_error
from flowsim.cli.figure_path import check_figure_path
from flowsim.cli.parser import check_n_jobs, whole_number_option
from flowsim.experiment.warmup import (
    DAYS_PER_WEEK,
    MIN_RESAMPLED,
    REFERENCE_LEAD_DAYS,
    RESAMPLED_SHARE,
    RESAMPLES,
    WarmUpSuggestion,
    has_places,
    reference_days,
    replication_mean,
    resampled_range,
    run_for_warm_up,
    search_limit_days,
    suggest_warm_up,
)
from flowsim.model.bounds import MAX_HORIZON_DAYS, MAX_REPLICATIONS
from flowsim.model.compose import load_config
from flowsim.model.errors import EXIT_CONFIG_ERROR, ArgumentParser, ConfigError
from flowsim.model.rng import make_generator
from flowsim.model.scenario import Scenario, build_scenario

__all__ = ["format_suggestion", "main"]

PROG = "flowsim-warmup"


def _fail(message: str) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(EXIT_CONFIG_ERROR)


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter, epilog=(
        "examples:\n"
        "  flowsim-warmup                                   the default system, 5 x 730 days\n"
        "  flowsim-warmup scenario=quick --horizon-days 300\n"
        "  flowsim-warmup --n-jobs 2 --figure warmup.svg --config-dir calibration system=my_ics"
        "   (your own system)\n\n"
        "documentation: docs/model.md (Experimentation) in the flowsim source"),
        description=(
        "Run a few long replications of a flowsim system from empty (no warm-up), suggest "
        "run.warm_up_days from when the NCTR census and the occupancy of units (and of the acute bed pool) "
        "settle (MSER-5; when arrivals or places vary over the year, against runs started 52 weeks earlier "
        "at the same dates), say how firm that is (from resampled replications), and draw them (Welch's "
        "moving average)."))
    parser.add_argument("--replications", type=whole_number_option, default=5,
                        help="replications to run (default: 5)")
    parser.add_argument("--horizon-days", type=float, default=730.0,
                        help="days per replication, from empty (default: 730; sets run.horizon_days)")
    parser.add_argument("--figure", default="warmup.png", metavar="PATH",
                        help="where to write the figure, PNG/SVG/PDF by extension (default: warmup.png)")
    parser.add_argument("--n-jobs", type=whole_number_option, default=1,
                        help="parallel worker processes (default: 1; results do not depend on it)")
    parser.add_argument("--reference", choices=("auto", "year", "none"), default="auto",
                        help="compare each run with one started 52 weeks earlier, at the same dates, so "
                             "that what varies over the year is not taken for start-up: auto (default) "
                             "when arrivals, places or arrangement times vary over the year or places "
                             "change on dates; year: always; none: never")
    parser.add_argument("--config-dir", default=None, metavar="DIR",
                        help="your config folder (with system/NAME.yaml), as flowsim --config-dir")
    parser.add_argument("overrides", nargs="*", metavar="override",
                        help="Hydra overrides as for flowsim, e.g. scenario=quick seed=7")
    return parser


def _varies(factors: Sequence[float] | None) -> bool:
    return bool(factors) and max(factors) - min(factors) > 1e-9  # type: ignore[arg-type, type-var]


def seasonal_inputs(cfg: Mapping[str, Any]) -> list[str]:
    """The settings besides arrivals that vary by month in a composed config (as a plain mapping)."""
    units = [name for name, unit in (cfg.get("services") or {}).items()
             if _varies((unit or {}).get("month_capacity_factors"))]
    found = [f"services.<unit>.month_capacity_factors ({', '.join(units)})"] if units else []
    if _varies((cfg.get("pathways") or {}).get("arrangement_month_factors")):
        found.append("pathways.arrangement_month_factors")
    return found


def _seasonal_found(arrivals: Mapping[str, Any], others: Sequence[str] = ()) -> list[str]:
    """What varies over the year: the arrivals (``arrivals``, the config's section) and ``others``."""
    found = []
    if arrivals.get("series_csv"):
        found.append(f"arrivals follow {arrivals['series_csv']}")
    else:
        months = [float(m) for m in (arrivals.get("month_multipliers") or [])]
        if _varies(months):
            found.append(f"arrivals vary by month (multipliers {min(months):g}-{max(months):g})")
    return found + [f"{name} vary by month" for name in others]


def _seasonal_note(arrivals: Mapping[str, Any], others: Sequence[str] = (),
                   dated: Sequence[str] = ()) -> str | None:
    """A caution when arrivals, places or arrangement times vary over the year, or places change on
    dates: MSER can take a seasonal peak (or the change) for start-up. ``others``: the other settings
    that vary by month (:func:`seasonal_inputs`); ``dated``: those that change on dates
    (:func:`dated_inputs`)."""
    seasonal = _seasonal_found(arrivals, others)
    if not seasonal and not dated:
        return None
    csv = arrivals.get("series_csv")
    steps = [f"a constant rate in {csv}"] if csv else []
    if others and csv:
        steps.append("the month factors flat (twelve 1s)")
    elif others or (seasonal and not csv):
        steps.append("arrivals.month_multipliers=[1,1,1,1,1,1,1,1,1,1,1,1]" if not others
                     else "each of them flat (twelve 1s)")
    if dated:
        steps.append("no capacity_schedule")
    what, peak = (("seasonal", "a seasonal peak") if not dated
                  else ("the change of places on a date", "it") if not seasonal
                  else ("seasonal or a change of places on a date", "either"))
    return (f"Note: {'; '.join([*seasonal, *dated])}, so part of what the series show is {what}, not "
            f"start-up, and MSER can take {peak} for a transient. Check the figure, add replications, or "
            f"compare with {' and '.join(steps)}.")


def dated_inputs(cfg: Mapping[str, Any]) -> list[str]:
    """The units whose places change on dates (``capacity_schedule``) in a composed config (plain)."""
    names = [name for name, unit in (cfg.get("services") or {}).items()
             if (unit or {}).get("capacity_schedule")]
    return [f"services.<unit>.capacity_schedule ({', '.join(names)}) change on dates"] if names else []


def _number(value: Any) -> float | None:
    """``value`` as a float, or None when it is not a number (the config check then says why)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class _Setup:
    """What ``flowsim-warmup`` runs, and what it says about it."""

    scenario: Scenario  # the runs whose settling is measured, without warm-up
    configured: float | None  # the run.warm_up_days the composed config asked for
    caution: str | None  # arrivals, places or arrangement vary over the year (:func:`_seasonal_note`)
    calendar: list[str]  # what varies with the date, if anything
    reference: Scenario | None = None  # the same started REFERENCE_LEAD_DAYS earlier, if compared
    no_reference: str | None = None  # why there is none although the calendar asked for one


def _scenario(overrides: Sequence[str], horizon_days: float, search_dir: str | None = None,
              reference: str = "none") -> _Setup:
    """The no-warm-up scenario, the warm-up the composed config asked for, a seasonal caution and,
    as ``reference`` asks (``auto``: when something varies with the date), the reference scenario."""
    cfg = load_config(overrides, search_dir=search_dir)
    configured = None if OmegaConf.is_missing(cfg.run, "warm_up_days") else cfg.run.warm_up_days
    # The config as composed first: a wrong run.warm_up_days is the user's mistake even though the runs
    # below start empty (only what this tool sets itself may be missing).
    given = copy.deepcopy(cfg)
    if OmegaConf.is_missing(given.run, "horizon_days"):
        given.run.horizon_days = float(horizon_days)
    if configured is None:
        given.run.warm_up_days = 0.0
    warm, length = _number(configured), _number(given.run.horizon_days)
    if warm is not None and length is not None and length <= warm:
        # weighed against the suggestion only: the runs last --horizon-days, whatever the config's
        given.run.horizon_days = warm + float(horizon_days)
    build_scenario(given)
    cfg.run.horizon_days = float(horizon_days)
    cfg.run.warm_up_days = 0.0
    scenario = build_scenario(cfg)
    plain = {key: OmegaConf.to_container(cfg[key], resolve=True)
             for key in ("arrivals", "services", "pathways") if key in cfg}
    arrivals, others = plain.get("arrivals") or {}, seasonal_inputs(plain)
    dated = dated_inputs(plain)
    caution = _seasonal_note(arrivals, others, dated)
    calendar = [*_seasonal_found(arrivals, others), *dated]
    setup = _Setup(scenario, float(configured) if configured is not None else None, caution, calendar)
    if reference == "none" or (reference == "auto" and not calendar):
        return setup
    earlier = copy.deepcopy(cfg)
    earlier.run.start_date = (scenario.start_date - dt.timedelta(days=REFERENCE_LEAD_DAYS)).isoformat()
    earlier.run.horizon_days = float(horizon_days) + REFERENCE_LEAD_DAYS
    try:
        return replace(setup, reference=build_scenario(earlier))
    except ConfigError as error:  # e.g. an arrivals series that does not reach back a year
        why = f"{error.field}: {error.problem}"
        if reference == "year":
            fix = "give --reference none"
            if error.field == "arrivals.series_csv":  # the series could reach back instead
                fix = f"extend {error.field} back to {earlier.run.start_date}, or {fix}"
            raise ConfigError("--reference", f"runs started {REFERENCE_LEAD_DAYS} days earlier cannot be "
                              f"built ({why})", fix) from None
        return replace(setup, no_reference=why)


def format_suggestion(suggestion: WarmUpSuggestion, series_by_name: dict[str, np.ndarray],
                      configured: float | None = None, from_census: bool = False) -> str:
    """The table printed by ``flowsim-warmup``: per series, its truncation and its settled level.

    ``from_census``: the runs started from a census (a warm start), so the truncations say how long the
    system takes to forget it, not a warm-up the configured ``run.warm_up_days`` should cover.
    """
    width = max(len("series"), *(len(n) for n in suggestion.per_series))
    header = f"{'series':<{width}}  suggested days  settled mean"
    lines = [header, "-" * len(header)]
    for name, days in suggestion.per_series.items():
        mean = replication_mean(series_by_name[name])[days:]
        level = float(np.nanmean(mean)) if np.isfinite(mean).any() else float("nan")
        flag = "  (not settled: run longer)" if name in suggestion.unsettled else ""
        lines.append(f"{name:<{width}}  {days:>14,d}  {level:>12,.1f}{flag}")
    limiting = suggestion.limiting_series
    against = (f" of the difference from runs started {suggestion.reference_lead_days // 7} weeks earlier"
               if suggestion.reference_lead_days else "")
    how = (f"the longest MSER-{suggestion.batch} truncation{against}{f', {limiting}' if limiting else ''}, "
           "rounded up to whole weeks")
    firmness = _firmness(suggestion)
    lead = suggestion.reference_lead_days
    caution = [] if not lead or suggestion.days < lead else [  # the earlier runs' start-up is then compared
        f"Caution: the suggestion reaches {lead // 7} weeks, the head start of the runs it was compared "
        "with: they may still have been settling at the first dates compared, so the days needed may be "
        "more still."]
    if from_census:
        after = (f"{suggestion.days} days ({suggestion.days // 7} weeks; {how})" if not suggestion.unsettled
                 else f"at least {suggestion.days} days ({how}), not final: "
                 f"{', '.join(suggestion.unsettled)} had not settled by half the run; run longer "
                 "(--horizon-days)")
        return "\n".join([
            *lines, "",
            f"Settled from the census after: {after}",
            *firmness, *caution,
            "These are the days each series takes to leave the census behind (near zero: that unit's census "
            "is close to its usual state). A warm start keeps run.warm_up_days=0: its first days are the "
            "forecast, not a transient to discard."])
    if suggestion.unsettled:  # a truncation at half the run is where the search stopped, not an answer
        lines += ["", f"Suggested warm-up: at least {suggestion.days} days ({how}), not final: "
                  f"{', '.join(suggestion.unsettled)} had not settled by half the run; run longer "
                  "(--horizon-days) for a warm-up to use", *firmness]
    else:
        lines += ["", f"Suggested warm-up: {suggestion.days} days ({suggestion.days // 7} weeks; {how})",
                  *firmness, f"Use: {suggestion.override}"]
    lines += caution
    if configured is not None:
        spread = suggestion.resampled_days
        verdict = ("is shorter than the suggestion, but inside the range resampling gives it"
                   if spread is not None and not suggestion.unsettled
                   and spread[0] <= configured <= spread[1] and configured < suggestion.days
                   else "is SHORTER than the suggestion" if configured < suggestion.days
                   else "covers the suggestion" if not suggestion.unsettled
                   else "covers it so far (the suggestion is not final)")
        lines.append(f"The composed config has run.warm_up_days={configured:g}, which {verdict}.")
    return "\n".join(lines)


FIRM_DAYS = 28  # a range of suggestions wider than four weeks calls for more replications


def _firmness(suggestion: WarmUpSuggestion) -> list[str]:
    """The line on how firm the suggestion is (:func:`resampled_range`), if it was resampled."""
    if suggestion.resampled_days is None:
        if 0 < suggestion.replications < MIN_RESAMPLED:
            return [f"How firm this is cannot be told from {suggestion.replications} replication(s): give "
                    f"--replications {MIN_RESAMPLED} or more to see"]
        return []
    low, high = suggestion.resampled_days
    limit = search_limit_days(suggestion.run_days, suggestion.batch)
    if suggestion.unsettled or high >= limit:  # the search stopped there: not a settling to be firm about
        advice = (f"{limit} days is the longest a run of {suggestion.run_days} days can suggest (half of "
                  "it): run longer (--horizon-days) for a firm answer")
    elif high - low > FIRM_DAYS:
        advice = "add replications (--replications) for a firmer answer"
    else:
        advice = "a firm answer"
    share = f"{RESAMPLED_SHARE * 100:.0f} %"
    spread = f"are {low} days" if low == high else f"lie between {low} and {high} days"
    return [f"Resampling the replications {RESAMPLES} times, {share} of the suggestions {spread}: {advice}"]


def _check_options(args: argparse.Namespace) -> Path:
    """Check the options before anything runs; the figure's path (with its extension)."""
    if not 1 <= args.replications <= MAX_REPLICATIONS:
        raise ConfigError("--replications", f"must be from 1 to {MAX_REPLICATIONS:,}, got "
                          f"{args.replications}", "give 3 to 5 replications")
    if not 0 < args.horizon_days <= MAX_HORIZON_DAYS:  # NaN fails too
        raise ConfigError("--horizon-days", f"must be > 0 and <= {MAX_HORIZON_DAYS:,.0f}, got "
                          f"{args.horizon_days:g}", "give a few times the longest length of stay, e.g. 730")
    check_n_jobs(args.n_jobs)
    return check_figure_path(args.figure, "--figure")


def _check_horizon(scenario: Scenario, horizon_days: float) -> None:
    """Refuse runs too short to show a warm-up: under three of the longest mean stays of a unit.

    A unit filling from empty takes about its mean stay to turn its first patients over; in a
    shorter run every series looks settled and the suggestion (0 days) would be wrong.
    """
    # a unit that opens later in the run (a capacity step from 0) fills from empty then, too
    stays = [(unit.los.mean, unit.name) for unit in scenario.units if has_places(unit)]
    if not stays:
        return
    longest, name = max(stays)
    if horizon_days < 3 * longest:
        raise ConfigError("--horizon-days", f"{horizon_days:g} days is under three times the longest mean "
                          f"stay ({longest:g} days, {name}): too short to see the system settle",
                          f"give at least {math.ceil(3 * longest)} days, e.g. --horizon-days 730")


def _reference_note(setup: _Setup) -> str | None:
    """What the comparison with earlier runs did, or the seasonal caution when there was none."""
    weeks = REFERENCE_LEAD_DAYS // DAYS_PER_WEEK
    if setup.reference is None:
        if setup.caution is None:
            return None
        if setup.no_reference is None:  # --reference none on a system with a calendar
            return (f"{setup.caution} (Or leave out --reference none: runs started {weeks} weeks earlier "
                    "take that out.)")
        return (f"{setup.caution} (Runs started {weeks} weeks earlier, which would take the season out, "
                f"cannot be built: {setup.no_reference}.)")
    if not setup.calendar:  # --reference year on a system without a calendar
        return None
    return (f"Note: {'; '.join(setup.calendar)}: so each series was compared with runs started {weeks} "
            "weeks earlier, at the same dates, and MSER applied to the difference, which holds the start-up "
            "and not the season (the figure's dashed line). --reference none applies it to the series alone.")


def main(argv: Sequence[str] | None = None) -> None:
    """``flowsim-warmup``: suggest ``run.warm_up_days`` for the configured system."""
    args = _parser().parse_intermixed_args(argv)
    try:
        figure = _check_options(args)
        setup = _scenario(args.overrides, args.horizon_days, args.config_dir, args.reference)
        scenario = setup.scenario
        _check_horizon(scenario, args.horizon_days)
    except Exception as error:  # only config mistakes are caught; bugs are re-raised
        line = describe_error(error)
        if line is None:
            raise
        _fail(line)

    own = {"run.horizon_days": ("--horizon-days", f"every run lasts --horizon-days ({args.horizon_days:g} "
                                                  "days)"),
           "replications": ("--replications", f"this tool runs --replications ({args.replications})"),
           "n_jobs": ("--n-jobs", f"this tool's workers are --n-jobs ({args.n_jobs})")}
    for key, (option, used) in own.items():  # this tool's options: the override ran without a word
        ignored = [o.lstrip("+") for o in args.overrides if o.lstrip("+").partition("=")[0] == key]
        if ignored:
            print(f"{PROG}: note: {ignored[-1]} is not used: {used}; give {option} "
                  f"{ignored[-1].partition('=')[2]} instead", file=sys.stderr)
    progress = sys.stderr.isatty()
    series = run_for_warm_up(scenario, args.replications, args.n_jobs, progress=progress)
    reference = None
    if setup.reference is not None:  # numbered after the runs compared: independent random numbers
        reference = reference_days(run_for_warm_up(
            setup.reference, args.replications, args.n_jobs, progress=progress,
            first_replication=args.replications, description="reference replications"),
            REFERENCE_LEAD_DAYS, series["nctr_census"].shape[1])
    suggestion = suggest_warm_up(series, reference=reference)
    draws = make_generator(scenario.seed, 0, "warm-up/resampling")  # the same range for the same command
    suggestion = replace(suggestion, resampled_days=resampled_range(series, draws, reference))
    census = scenario.initial_census.patients
    start = (f"the census given (run.initial_census, {census:,} patients)" if census
             else "an empty system (no warm-up)")
    compared = ("" if reference is None else f", each series compared with {args.replications} run(s) "
                f"started {REFERENCE_LEAD_DAYS // DAYS_PER_WEEK} weeks earlier, at the same dates")
    print(f"{PROG}: {args.replications} replication(s) of {suggestion.run_days} days from {start}"
          f"{compared}\n")
    print(format_suggestion(suggestion, series, setup.configured, from_census=census > 0))
    note = _reference_note(setup)
    if note:
        print(note)
    if suggestion.unsettled:
        print(f"{PROG}: warning: {', '.join(suggestion.unsettled)} had not settled by half the run; "
              "fix: run longer with --horizon-days", file=sys.stderr)

    from flowsim.reporting.warmup_plots import warm_up_figure  # matplotlib only once the runs are done

    # the path checked, extension included
    warm_up_figure(series, suggestion, from_census=census > 0, reference=reference).savefig(figure, dpi=120)
    print(f"Figure written to {figure}")


if __name__ == "__main__":
    main()
