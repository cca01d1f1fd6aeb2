"""What a sizing search may change, what it minimises, and what it must meet: a ``flowsim-size`` file.

A sizing file is YAML::

    overrides: [scenario=winter_surge]      # optional: Hydra overrides of the system being sized
    seed: 42                                # common random numbers: every candidate sees these patients
    objective: cost_total                   # a KPI to minimise (cost_* KPIs are read per year)
    constraints:                            # optional ("targets mode"): each KPI's mean must meet it
      - nctr_census_winter_p95<=330         #   with 95 % confidence (one-sided upper bound)
    variables:
      ic_beds:                              # a whole number written into a config path
        path: services.ic_beds.capacity
        low: 360
        high: 440
        step: 4
      care_home_7day:                       # a choice among given values
        path: services.care_home_unit.admission.days
        choices: [[Mon, Tue, Wed, Thu, Fri], [Mon, Tue, Wed, Thu, Fri, Sat, Sun]]
      ic_winter:                            # a surge block: extra places in a unit between two dates
        surge: ic_beds
        places: {low: 0, high: 60, step: 5}
        start: {choices: ["2025-11-03", "2025-12-01"]}   # or one date
        weeks: {low: 8, high: 16, step: 4}               # or one number
    search:
      trials: 60                            # candidates proposed by the optimiser (Optuna TPE)
      batch: 4                              # proposed together and run in parallel
      replications: 5                       # per candidate while searching
      polish: true                          # then try every neighbour of the best until none is better
      shortlist: 5                          # best candidates taken into the final selection
      max_replications: 40                  # per shortlisted candidate in the final selection
      indifference: null                    # objective difference not worth telling apart
                                            # (default 0.2 % of the best mean)
    validation:
      replications: 20                      # the recommendation rerun on fresh seeds
      seed_offset: 1000

On the command line, ``sizing.KEY=VALUE`` changes the file (``sizing.search.trials=100``); other
overrides change the system being sized.

A surge block writes ``services.<unit>.capacity_schedule``: the unit has its capacity plus ``places``
from ``start`` for ``weeks`` weeks, then its capacity again; block costs follow the schedule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from flowsim.measures.kpi_target import Target, parse_target
from flowsim.model.bounds import MAX_PLACES, MAX_REPLICATIONS, MAX_SEED
from flowsim.model.datafile import read_yaml_file
from flowsim.model.errors import ConfigError
from flowsim.model.strict import unknown_key
from flowsim.model.validate import date_value

__all__ = ["Dimension", "SearchSettings", "SizingSpec", "Surge", "frozen", "load_sizing_spec",
           "parse_sizing_spec"]

_TOP = {"overrides", "seed", "objective", "constraints", "confidence", "variables", "search", "validation"}
_SEARCH = {"trials", "batch", "replications", "polish", "shortlist", "max_replications", "indifference"}
_VALIDATION = {"replications", "seed_offset"}
# Trials, batch and shortlist: far beyond any search worth running (the default is 60 trials; Optuna's
# TPE slows with every trial), so a larger number is a typo that would run for ever.
MAX_TRIALS = 10_000


@dataclass(frozen=True)
class Dimension:
    """One decision the search makes: a whole number on a grid, or one of several choices."""

    name: str
    low: int = 0
    high: int = 0
    step: int = 1
    choices: tuple[Any, ...] = ()  # non-empty: a choice among these values
    path: str | None = None  # config path written (None: part of a surge block)

    @property
    def values(self) -> tuple[Any, ...]:
        """Every value the dimension may take, in order."""
        return self.choices if self.choices else tuple(range(self.low, self.high + 1, self.step))


@dataclass(frozen=True)
class Surge:
    """Extra places in a unit for a dated block of weeks (a winter surge)."""

    name: str
    unit: str
    places: Dimension
    start: Dimension
    weeks: Dimension


@dataclass(frozen=True)
class SearchSettings:
    """How hard the search works."""

    trials: int = 60
    batch: int = 4
    replications: int = 5
    polish: bool = True
    shortlist: int = 5
    max_replications: int = 40
    indifference: float | None = None


@dataclass(frozen=True)
class SizingSpec:
    """A whole sizing file, validated."""

    overrides: tuple[str, ...]
    seed: int
    objective: str
    constraints: tuple[Target, ...]
    confidence: float
    dimensions: tuple[Dimension, ...]  # every searched dimension, surge parts included
    surges: tuple[Surge, ...]
    search: SearchSettings
    validation_replications: int = 20
    validation_seed_offset: int = 1000

    @property
    def grid_size(self) -> int:
        """How many candidates an exhaustive grid over every dimension would run."""
        size = 1
        for dimension in self.dimensions:
            size *= len(dimension.values)
        return size


def _whole(value: Any, field: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(field, f"must be a whole number, got {value!r}", "give a whole number")
    if low is not None and value < low:
        raise ConfigError(field, f"must be >= {low}, got {value}", f"give a number from {low}")
    if high is not None and value > high:
        raise ConfigError(field, f"must be <= {high:,}, got {value:,}",
                          f"give a number up to {high:,}")
    return value


def _check_keys(entry: Mapping[str, Any], allowed: set[str], field: str, source: str | None = None) -> None:
    """Refuse the first unknown key of ``entry`` (``field``'s; the file's top level when ``source``)."""
    found = unknown_key(entry, allowed)
    if found is not None:
        key, fix = found
        where = f"is not a setting of the sizing file {source}" if source else "is not a setting here"
        raise ConfigError(key if source else f"{field}.{key}", where, fix)


def _dimension(name: str, entry: Any, field: str, path: str | None) -> Dimension:
    if not isinstance(entry, Mapping):
        entry = {"choices": [entry]}  # one fixed value
    if "choices" in entry:
        _check_keys(entry, {"choices", "path"}, field)
        choices = entry["choices"]
        if not isinstance(choices, list) or not choices:
            raise ConfigError(f"{field}.choices", f"must be a non-empty list, got {choices!r}",
                              "list the values the search may choose among")
        return Dimension(name, choices=tuple(frozen(c) for c in choices), path=path)
    _check_keys(entry, {"low", "high", "step", "path"}, field)
    if "low" not in entry or "high" not in entry:
        raise ConfigError(field, "needs low and high (whole numbers), or choices",
                          "write e.g. {path: services.ic_beds.capacity, low: 360, high: 440, step: 4}")
    # MAX_PLACES: every whole-number setting worth sizing is a count of places or staff, far below it
    low = _whole(entry["low"], f"{field}.low", 0, MAX_PLACES)
    high = _whole(entry["high"], f"{field}.high", 0, MAX_PLACES)
    step = _whole(entry.get("step", 1), f"{field}.step", 1)
    if high < low:
        raise ConfigError(f"{field}.high", f"({high}) is below low ({low})", "give low <= high")
    if (high - low) % step:
        raise ConfigError(f"{field}.step", f"{step} does not reach high ({high}) from low ({low})",
                          "make high - low a multiple of step")
    return Dimension(name, low, high, step, path=path)


def frozen(value: Any) -> Any:
    """Lists as tuples, so values can be compared and used as keys."""
    return tuple(frozen(v) for v in value) if isinstance(value, list | tuple) else value


def _surge(name: str, entry: Mapping[str, Any], field: str) -> Surge:
    _check_keys(entry, {"surge", "places", "start", "weeks"}, field)
    for key in ("places", "start", "weeks"):
        if key not in entry:
            raise ConfigError(f"{field}.{key}", "is missing", "a surge block needs places, start and weeks")
    start = _dimension(f"{name}.start", entry["start"], f"{field}.start", None)
    for value in start.values:
        date_value(value, f"{field}.start")
    places = _dimension(f"{name}.places", entry["places"], f"{field}.places", None)
    weeks = _dimension(f"{name}.weeks", entry["weeks"], f"{field}.weeks", None)
    for dimension, key, example in ((places, "places", "{low: 0, high: 60}"), (weeks, "weeks", "12")):
        for v in dimension.values if dimension.choices else ():
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                problem = f"must be whole numbers >= 0, got {v!r}"
                raise ConfigError(f"{field}.{key}", problem, f"give e.g. {field}.{key}: {example}")
    return Surge(name, str(entry["surge"]), places, start, weeks)


def _variables(raw: Any) -> tuple[tuple[Dimension, ...], tuple[Surge, ...]]:
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError("variables", "is missing or empty", "name at least one capacity to size")
    dimensions: list[Dimension] = []
    surges: list[Surge] = []
    for name, entry in raw.items():
        field = f"variables.{name}"
        if not isinstance(entry, Mapping):
            raise ConfigError(field, f"must be a mapping, got {entry!r}",
                              "give path with low/high/step or choices, or a surge block")
        if "surge" in entry:
            surge = _surge(str(name), entry, field)
            surges.append(surge)
            dimensions.extend(d for d in (surge.places, surge.start, surge.weeks) if len(d.values) > 1)
            continue
        path = entry.get("path")
        if not isinstance(path, str) or not path:
            raise ConfigError(f"{field}.path", "is missing", "give the config path the value is written to")
        dimensions.append(_dimension(str(name), entry, field, path))
    return tuple(dimensions), tuple(surges)


def _search(raw: Any) -> SearchSettings:
    raw = raw or {}
    if not isinstance(raw, Mapping):
        raise ConfigError("search", f"must be a mapping, got {raw!r}", "give trials, batch, replications...")
    _check_keys(raw, _SEARCH, "search")
    default = SearchSettings()
    indifference = raw.get("indifference")
    if indifference is not None and (isinstance(indifference, bool)
                                     or not isinstance(indifference, int | float) or indifference <= 0):
        raise ConfigError("search.indifference", f"must be a positive number, got {indifference!r}",
                          "give the smallest objective difference worth telling apart, or null")
    settings = SearchSettings(
        trials=_whole(raw.get("trials", default.trials), "search.trials", 1, MAX_TRIALS),
        batch=_whole(raw.get("batch", default.batch), "search.batch", 1, MAX_TRIALS),
        replications=_whole(raw.get("replications", default.replications), "search.replications", 2,
                            MAX_REPLICATIONS),
        polish=bool(raw.get("polish", default.polish)),
        shortlist=_whole(raw.get("shortlist", default.shortlist), "search.shortlist", 1, MAX_TRIALS),
        max_replications=_whole(raw.get("max_replications", default.max_replications),
                                "search.max_replications", 2, MAX_REPLICATIONS),
        indifference=None if indifference is None else float(indifference))
    if settings.max_replications < settings.replications:
        raise ConfigError("search.max_replications", f"({settings.max_replications}) is below "
                          f"search.replications ({settings.replications})", "give at least as many")
    return settings


def parse_sizing_spec(raw: Any, source: str = "sizing file") -> SizingSpec:
    """Check a parsed sizing file (a mapping as YAML gives it).

    Raises
    ------
    ConfigError
        With the field and the fix, for anything wrong.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(source, "must be a mapping with variables and an objective",
                          "see docs/how-to/size.md for an example")
    _check_keys(raw, _TOP, "", source)
    overrides = raw.get("overrides") or []
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise ConfigError("overrides", f"must be a list of Hydra overrides, got {overrides!r}",
                          "write e.g. [scenario=winter_surge]")
    objective = raw.get("objective", "cost_total")
    if not isinstance(objective, str) or not objective:
        raise ConfigError("objective", f"must be a KPI name, got {objective!r}", "write e.g. cost_total")
    constraints = raw.get("constraints") or []
    if not isinstance(constraints, list):
        raise ConfigError("constraints", f"must be a list, got {constraints!r}",
                          "write e.g. ['nctr_census_winter_p95<=330']")
    confidence = raw.get("confidence", 0.95)
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0.5 <= confidence < 1:
        raise ConfigError("confidence", f"must be in [0.5, 1), got {confidence!r}", "give e.g. 0.95")
    dimensions, surges = _variables(raw.get("variables"))
    validation = raw.get("validation") or {}
    if not isinstance(validation, Mapping):
        raise ConfigError("validation", f"must be a mapping, got {validation!r}", "give replications")
    _check_keys(validation, _VALIDATION, "validation")
    seed = _whole(raw.get("seed", 42), "seed", 0, MAX_SEED)
    seed_offset = _whole(validation.get("seed_offset", 1000), "validation.seed_offset", 1, MAX_SEED - seed)
    return SizingSpec(
        overrides=tuple(overrides),
        seed=seed,
        objective=objective,
        constraints=tuple(parse_target(c, f"constraints[{i}]") for i, c in enumerate(constraints)),
        confidence=float(confidence),
        dimensions=dimensions,
        surges=surges,
        search=_search(raw.get("search")),
        validation_replications=_validation_replications(validation.get("replications", 20)),
        validation_seed_offset=seed_offset,
    )


def _validation_replications(value: Any) -> int:
    """0 (no validation) or from 2: one replication has no confidence interval to report."""
    field = "validation.replications"
    replications = _whole(value, field, 0, MAX_REPLICATIONS)
    if replications == 1:
        raise ConfigError(field, "must be 0 (no validation) or at least 2, got 1",
                          "give 2 or more (a confidence interval needs two replications), or 0 to skip "
                          "the validation")
    return replications


def load_sizing_spec(path: str | Path, overrides: Sequence[str] = ()) -> SizingSpec:
    """Read and check a sizing file (see the module docstring for its form).

    Parameters
    ----------
    path : str or Path
        The YAML file.
    overrides : sequence of str
        Changes to the file in Hydra's dotted form, e.g. ``search.trials=100`` or
        ``variables.ic_beds.high=460`` (the command line gives them as ``sizing.search.trials=100``).

    Raises
    ------
    ConfigError
        With the field and the fix, for anything wrong in the file or an override.
    """
    raw = read_yaml_file(Path(path), "a sizing YAML file")
    if overrides and isinstance(raw, Mapping):
        try:
            merged = OmegaConf.merge(OmegaConf.create(raw), OmegaConf.from_dotlist(list(overrides)))
        except Exception as error:  # OmegaConf's grammar errors
            raise ConfigError(f"sizing.{overrides[0]}", f"cannot be applied ({str(error).splitlines()[0]})",
                              "write sizing.KEY=VALUE, e.g. sizing.search.trials=100") from None
        raw = OmegaConf.to_container(merged)
    return parse_sizing_spec(raw, str(path))
