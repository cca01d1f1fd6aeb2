"""Strict keys: every key of a configuration must exist in the schema (:mod:`flowsim.model.config`).

Hydra lets ``+key=value`` add any key, and a plain dict can hold anything, so a typo such as
``+services.ic_beds.capcity=10`` would otherwise be accepted and silently ignored. :func:`check_keys`
walks a plain configuration alongside the schema dataclasses (through ``dict[str, UnitConfig]`` and
friends) and refuses the first unknown key, suggesting the closest valid name. It also refuses a list
where a mapping belongs and the other way round. Values themselves are checked in
:mod:`flowsim.model.scenario` and the modules it calls.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from flowsim.model.config import FlowsimConfig
from flowsim.model.errors import ConfigError

__all__ = ["WHOLE_EXAMPLES", "check_keys", "closest", "listed", "number_setting", "schema_at", "unknown_key",
           "use_one_of"]

# Hydra's own settings: not part of the flowsim config.
IGNORED_TOP_LEVEL = ("hydra",)


@cache
def _fields(schema: type) -> dict[str, Any]:
    return typing.get_type_hints(schema)


def _unwrap_optional(kind: Any) -> Any:
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        return args[0] if len(args) == 1 else Any
    return kind


# What a new named entry looks like given whole, by its schema class: for the fixes of messages
WHOLE_EXAMPLES = {
    "UnitConfig": "{pathways: [P2], capacity: 10, los_days: {kind: exponential, mean: 30}}",
    "FlatSchemeConfig": ("{capacity: 4, reablement_days: {kind: lognormal, mean: 21, sd: 10}, "
                         "turnaround_days: {kind: fixed, value: 2}}"),
    "BarrierTypeConfig": ("{share: 0.1, fix_days_coordinated: {kind: exponential, mean: 20}, "
                          "fix_days_uncoordinated: {kind: exponential, mean: 40}}"),
    "BedDayBasisConfig": "{per_day: 120, source: 'our 2024/25 costing'}",
}


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option most like ``word`` (typo suggestions), or None if none is close.

    The same name in other letter case comes first (``p2`` is ``P2``, ``mon`` is ``Mon``): difflib
    alone would find two-letter names too far apart.
    """
    options = [str(o) for o in options]
    same = [o for o in options if o.casefold() == str(word).casefold()]
    if same:
        return same[0]
    matches = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return matches[0] if matches else None


def use_one_of(value: object, options: Iterable[str]) -> str:
    """The fix for a name that is not one of ``options``: the likeliest meant, then all of them."""
    options = [str(o) for o in options]
    guess = closest(value, options) if isinstance(value, str) else None
    listed = f"use one of {', '.join(options)}"
    return f"did you mean {guess}? {listed}" if guess is not None else listed


def unknown_key(entry: Mapping[Any, Any], allowed: Iterable[str]) -> tuple[str, str] | None:
    """The first key of ``entry`` (by name) not in ``allowed``, and its fix: the likeliest key meant,
    then every allowed one; None if every key is allowed. For the small files flowsim reads beside its
    config (sizing, calibration targets), whose callers say where the key is."""
    allowed = sorted(allowed)
    unknown = sorted(str(key) for key in entry if key not in allowed)
    if not unknown:
        return None
    guess = closest(unknown[0], allowed)
    fix = f"use {', '.join(allowed)}"
    return unknown[0], f"did you mean {guess}? ({fix})" if guess else fix


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _unknown(path: str, key: object, options: Sequence[str]) -> ConfigError:
    where = _join(path, key)
    guess = closest(str(key), options)
    if guess is not None:
        fix = f"did you mean {_join(path, guess)}?"
    else:
        listed = (", ".join(options) if len(options) <= 16 else
                  "flowsim --cfg job lists them (docs/reference/parameters.md describes them)")
        fix = f"remove it; valid keys under {path or 'the top level'}: {listed}"
    return ConfigError(where, f"unknown key {str(key)!r}", fix)


def listed(names: Sequence[str], shown: int = 8) -> str:
    """``names`` joined by commas, the first ``shown`` of them and ``...`` for the rest."""
    return ", ".join(names[:shown]) + (", ..." if len(names) > shown else "")


def number_setting(kind: Any) -> str | None:
    """The first setting of schema dataclass ``kind`` that takes a number (the likeliest one meant)."""
    for name, field in _fields(kind).items():
        if _unwrap_optional(field) in (int, float, Any):
            return name
    return None


def _mapping_fix(path: str, kind: Any, value: Any) -> str:
    """The fix for one value where the settings of dataclass ``kind`` belong: an example, the settings."""
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else 5
    if getattr(kind, "__name__", "") == "DistributionConfig":
        return f"give its kind and parameters, e.g. {path}: {{kind: exponential, mean: {number}}}"
    setting = number_setting(kind)
    example = f", e.g. {setting}: {number}" if setting else ""
    return f"write {path} as key: value pairs{example} (its settings: {listed(list(_fields(kind)))})"


def _check(value: Any, kind: Any, path: str, entry: bool = False) -> None:
    """Check ``value`` at ``path`` against the schema type ``kind`` (``entry``: an item of a mapping)."""
    if value is None:
        return  # a missing value is reported, with its fix, by the section's validator
    kind = _unwrap_optional(kind)
    origin = typing.get_origin(kind)
    if value == "???" and (dataclasses.is_dataclass(kind) or origin in (dict, list)):
        if entry:  # a named entry (a unit, a flat scheme) can only have been given as ??? by hand
            example = WHOLE_EXAMPLES.get(getattr(kind, "__name__", ""), "{...}")
            raise ConfigError(path, "is not set", f"give it whole, e.g. {path}={example}, or leave it out")
        # OmegaConf's mark of a value never set: a system file written from scratch, usually
        raise ConfigError(path, "is not set", f"give {path} a value; a system of your own can build on "
                          "the default one, its file starting 'defaults: [default, _self_]'")
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, Mapping):
            raise ConfigError(path, f"must be a mapping of settings, got {value!r}",
                              _mapping_fix(path, kind, value))
        fields = _fields(kind)
        for key, item in value.items():
            if key not in fields:
                raise _unknown(path, key, list(fields))
            _check(item, fields[key], _join(path, key))
    elif origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(path, f"must be a mapping (name: value), got {value!r}",
                              f"write {path} as name: value pairs")
        _, item_kind = typing.get_args(kind)
        for key, item in value.items():
            _check(item, item_kind, _join(path, key), entry=True)
    elif origin is list:
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
            raise ConfigError(path, f"must be a list, got {value!r}", f"write {path} as a list: [a, b]")
        (item_kind,) = typing.get_args(kind)
        for index, item in enumerate(value):
            _check(item, item_kind, f"{path}[{index}]")
    elif kind in (int, float, str, bool) and isinstance(value, Mapping | list | tuple):
        raise ConfigError(path, f"must be a single value, got {value!r}",
                          f"give {path} one {kind.__name__} value")


def check_keys(config: Mapping[str, Any]) -> None:
    """Refuse the first key of ``config`` that the schema does not know, and misplaced containers.

    Parameters
    ----------
    config : Mapping
        A plain (resolved) configuration; a top-level ``hydra`` key is ignored.

    Raises
    ------
    ConfigError
        Naming the dotted path of the unknown key and the closest valid name.
    """
    if not isinstance(config, Mapping):
        raise ConfigError("config", f"must be a mapping, got {type(config).__name__}",
                          "compose it with flowsim.model.compose.load_config")
    _check({k: v for k, v in config.items() if k not in IGNORED_TOP_LEVEL}, FlowsimConfig, "")


def schema_at(path: Sequence[str]) -> Any:
    """The schema type at a dotted ``path`` (as a list of keys), or None if the path leaves it.

    ``schema_at(["services", "ic_beds", "los_days"])`` is :class:`~flowsim.model.config.DistributionConfig`.
    """
    kind: Any = FlowsimConfig
    for key in path:
        kind = _unwrap_optional(kind)
        if dataclasses.is_dataclass(kind):
            fields = _fields(kind)
            if key not in fields:
                return None
            kind = fields[key]
        elif typing.get_origin(kind) is dict:
            kind = typing.get_args(kind)[1]
        elif typing.get_origin(kind) is list and str(key).isdigit():
            kind = typing.get_args(kind)[0]
        else:
            return None
    return _unwrap_optional(kind)
