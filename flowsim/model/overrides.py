"""Command-line overrides that give a whole mapping: a new unit, a distribution, a flat scheme.

Hydra applies ``key={...}`` by merging the mapping into the node at ``key``. Two cases fail with
OmegaConf 2.3, and :func:`normalise_overrides` rewrites them before Hydra sees them:

* **A new entry of a typed mapping** (``+services.step_up={pathways: [P2], ...}``): there is no node
  to merge into, so OmegaConf *assigns* the plain dict to a slot typed ``UnitConfig`` and refuses it
  ("dict is not a subclass of UnitConfig"). Merging ``{step_up: {...}}`` into ``services`` works and
  fills in the schema defaults, so ``a.b.c={...}`` becomes ``++a={b: {c: {...}}}`` (``++`` because
  the merge may add keys; unknown keys are still refused by the schema and :mod:`flowsim.model.strict`).
  ``+a.b.c={...}`` says the entry is new, and Hydra refuses a ``+`` for a key that exists; the merge
  alone would quietly update an existing unit of that name instead, keeping the settings the mapping
  does not give. So it becomes two overrides: ``+a.b.c=???``, Hydra's own check that ``a.b.c`` is
  new (it leaves the entry missing), then the merge.
* **A distribution of another kind** (``services.ic_beds.los_days={kind: exponential, mean: 30}``
  over a lognormal with ``mean`` and ``sd``): merging keeps the old ``sd``, which an exponential does
  not have. A distribution mapping that names its ``kind`` replaces the old one: the parameters it
  does not give are set to null. Without ``kind`` it updates parameters (``{mean: 40}``).

A whole number written as a float (``replications=1e3``, which Hydra reads as 1000.0 and the schema's
integer type would refuse) is written as the whole number for the settings the schema types as whole
numbers, as flowsim's own checks take it for a capacity.

Sweeps over mappings (``-m key={...},{...}``) keep their key, so that sweep tables name the swept
parameter; their distributions are completed the same way. A sweep over whole new entries
(``-m +services.step_up={...},{...}``) would fail in every job as above, so it is refused: the entry
is added once and its settings swept.

Four overrides Hydra would take are refused here, before anything is composed:

* **Deleting a setting** (``~seed``, ``~outputs``, ``~housing``): the run would go on without it,
  on a default the user never sees (``~seed`` ran with seed 0; ``~outputs`` ran the whole simulation
  and then failed). Entries of mappings that are the user's to name (``~services.ic_beds``) can still
  be deleted.
* **An empty mapping** (``pathways.arrangement_days={}``, ``housing.flats={}``): merged into the
  mapping there, it changes nothing, while it reads as emptying it. The message says how: delete the
  entries one by one, or set them.
* **An empty output folder** (``hydra.run.dir=``, e.g. from an unset shell variable): the results
  would land among the files of the folder flowsim was started in.
* **A number with a leading zero** (``services.ic_beds.capacity=010``, ``seed=007``) for a setting
  that takes numbers: Hydra reads it as text, which a capacity's check then called "a number in
  quotes" and the schema's integer type quietly turned into 7. One rule for every such setting,
  in a sweep, a list or a mapping too: the line says to drop the zero.
"""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from collections.abc import Sequence
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, Override, OverrideType
from hydra.errors import OverrideParseException

from flowsim.model.compose import config_dir
from flowsim.model.config import DistributionConfig
from flowsim.model.errors import ConfigError
from flowsim.model.strict import schema_at
from flowsim.model.validate import leading_zero, without_leading_zero

__all__ = ["normalise_overrides", "whole_entry_sweep", "whole_float"]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_PARAMETERS = tuple(f.name for f in dataclasses.fields(DistributionConfig) if f.name != "kind")
_EXAMPLE = "services.ic_beds.capacity=40"
_OUTPUT_FOLDERS = {"hydra.run.dir": "outputs/my_run", "hydra.sweep.dir": "multirun/my_sweep",
                   "hydra.sweep.subdir": "${hydra.job.num}"}  # each with an example for the fix


def _literal(value: Any) -> str | None:
    """``value`` in Hydra's override grammar, or None if it cannot be written back safely."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else
                                                         ("inf" if value > 0 else "-inf"))
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        items = [_literal(v) for v in value]
        return None if None in items else "[" + ",".join(items) + "]"  # type: ignore[arg-type]
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            text = _literal(item)
            if not isinstance(key, str) or not _KEY.fullmatch(key) or text is None:
                return None
            parts.append(f"{key}:{text}")
        return "{" + ",".join(parts) + "}"
    return None


def _complete(value: Any, path: list[str]) -> Any:
    """``value`` with every distribution that names its kind given all its parameters (null if unset)."""
    if not isinstance(value, dict):
        return value
    if schema_at(path) is DistributionConfig and "kind" in value:
        return {"kind": value["kind"], **dict.fromkeys(_PARAMETERS), **value}
    return {k: _complete(v, [*path, str(k)]) for k, v in value.items()}


def _nested(path: list[str], value: Any) -> Any:
    for key in reversed(path):
        value = {key: value}
    return value


def _setting(path: list[str]) -> dataclasses.Field | None:
    """The schema field at ``path`` if its last key is a field of a dataclass (not a mapping's entry)."""
    parent = schema_at(path[:-1])
    if not dataclasses.is_dataclass(parent):
        return None
    return next((f for f in dataclasses.fields(parent) if f.name == path[-1]), None)


def _deletion_fix(key: str, setting: dataclasses.Field) -> str:
    """How to get what deleting ``key`` was meant to do: set it, or choose a group's option."""
    group = config_dir() / key
    if group.is_dir():  # e.g. housing: a config group as well as a section
        options = sorted(p.stem for p in group.glob("*.yaml"))
        return f"choose one of its options instead: {', '.join(f'{key}={o}' for o in options)}"
    kind = schema_at(key.split("."))
    if typing.get_origin(kind) is dict:  # entries by name: units, flats (deleted) or shares (set)
        if dataclasses.is_dataclass(typing.get_args(kind)[1]):
            return f"delete its entries one by one instead, e.g. ~{key}.NAME"
        return f"set its entries instead, e.g. {key}.NAME=..."
    if dataclasses.is_dataclass(kind):  # a section: name what is under it
        names = [f"{key}.{f.name}" for f in dataclasses.fields(kind)]
        listed = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
        return f"set the settings under it instead ({listed})"
    default = setting.default
    if default is dataclasses.MISSING or default == "???":  # "???": no default, the system sets it
        return f"set it to the value you want instead, e.g. {key}=..."
    return f"set it instead, e.g. {key}={_literal(default)} (its default)"


def _emptying_fix(key: str, kind: Any) -> str:
    """How to empty or reset what ``key={}`` was meant to: delete entries by name, or set settings."""
    if typing.get_origin(kind) is dict and dataclasses.is_dataclass(typing.get_args(kind)[1]):
        return f"delete its entries one by one, e.g. ~{key}.NAME"
    if typing.get_origin(kind) is dict:
        return f"set its entries, e.g. {key}.NAME=..."
    return f"set the settings under it, e.g. {key}.{dataclasses.fields(kind)[0].name}=..."


def _check_leading_zero(key: str, path: list[str], value: Any, whole: bool = True) -> None:
    """Refuse a number written with a leading zero (``010``) where the schema takes a number.

    ``value`` is as Hydra parsed it (``Override._value``): quoted text is a ``QuotedString``, not a
    str, and is left to the setting's own check (``'010'`` is text the user wrote as text).
    ``whole``: ``value`` is the override's whole value, not an item of a sweep, a list or a mapping.
    """
    if isinstance(value, ChoiceSweep):
        for item in value.list:
            _check_leading_zero(key, path, item, whole=False)
    elif isinstance(value, list):
        for item in value:
            _check_leading_zero(key, [*path, "0"], item, whole=False)  # "0": any item's type
    elif isinstance(value, dict):
        for name, item in value.items():
            _check_leading_zero(f"{key}.{name}", [*path, str(name)], item, whole=whole)
    elif leading_zero(value) and schema_at(path) in (int, float, Any):  # Any: flowsim checks it (capacity)
        number = without_leading_zero(value)
        rule = ("a whole number cannot start with 0" if re.fullmatch(r"[+-]?[0-9_]+", number)
                else "a number cannot start with 0 followed by another digit")
        raise ConfigError(key, f"{rule}, got {value}",
                          f"write it without the leading zero, e.g. {key}={number}" if whole
                          else f"write {number}, not {value}")


def _refuse(override: Override) -> None:
    """Raise for an override Hydra would take but flowsim refuses (see the module docstring)."""
    key = override.key_or_group
    if (override.type != OverrideType.DEL and override.package is None and key != "hydra"
            and not key.startswith("hydra.")):
        _check_leading_zero(key, key.split("."), override._value)  # as parsed: quotes kept
    if override.type == OverrideType.DEL and override.package is None:
        setting = _setting(key.split("."))
        if setting is not None:
            raise ConfigError(key, "cannot be deleted (~): every setting has a value, and without it "
                              "the run would use one you do not see", _deletion_fix(key, setting))
    if override.type == OverrideType.CHANGE and override.value() == {} and not key.startswith("hydra"):
        kind = schema_at(key.split("."))
        if typing.get_origin(kind) is dict or dataclasses.is_dataclass(kind):
            raise ConfigError(key, "an empty mapping ({}) changes nothing: a mapping on the command line "
                              "is merged into the one there", _emptying_fix(key, kind))
    if key in _OUTPUT_FOLDERS and override.type != OverrideType.DEL:
        value = override.value()
        if isinstance(value, str) and not value.strip():
            where = ("the sweep's folder, every job's into one" if key == "hydra.sweep.subdir"
                     else "the folder flowsim was started in")
            raise ConfigError(key, f"is empty: the results would be written among the files of {where}",
                              f"give a folder, e.g. {key}={_OUTPUT_FOLDERS[key]}")


def whole_entry_sweep(key: str) -> ConfigError:
    """The error for a sweep over whole new entries at ``key``, with how to sweep one's settings.

    Each job would make the entry from a mapping, which OmegaConf refuses (see the module docstring).
    """
    kind = schema_at(key.split("."))
    names = [f.name for f in dataclasses.fields(kind)] if dataclasses.is_dataclass(kind) else []
    setting = "capacity" if "capacity" in names or not names else names[0]  # a unit's, or e.g. a share
    return ConfigError(key, "cannot be swept whole as a new entry",
                       f"add it once and sweep its settings, e.g. flowsim -m +{key}={{...}} "
                       f"{key}.{setting}=A,B")


def _check_not_for_a_list(key: str, path: list[str], value: Any) -> None:
    """Refuse a mapping for a setting that is a list: merged from the top, OmegaConf's error names
    only the section (``services: Cannot merge DictConfig with ListConfig``)."""
    options = value.list if isinstance(value, ChoiceSweep) else [value]
    if any(isinstance(v, dict) for v in options) and typing.get_origin(schema_at(path)) is list:
        raise ConfigError(key, "is a list, not a mapping ({...})", f"give a list in square brackets, "
                          f"e.g. {key}=[...]")


def whole_float(value: Any) -> bool:
    """Whether ``value`` is a float that stands for a whole number exactly (``3.0``, ``1e3``).

    Not beyond 2**53, where a float is not the whole number typed (12345678901234567.0 is ...568).
    """
    return isinstance(value, float) and value.is_integer() and abs(value) < 2.0**53


def _whole_numbers(override: Override, value: Any, path: list[str]) -> str | None:
    """``replications=1e3`` as ``replications=1000``, for a setting the schema types as a whole number.

    Hydra reads ``1e3`` as the float 1000.0, which the schema's integer type refuses ("must be a whole
    number, got '1000.0'") while a capacity (checked by flowsim) takes it: one rule for both. None when
    the override is not such a number, or a sweep of them (``-m replications=1e3,2e3``).
    """
    if schema_at(path) is not int:
        return None
    if isinstance(value, ChoiceSweep):
        if value.shuffle or value.tags:  # shuffle(...) or tagged: left as written
            return None
        values = value.list
        if not values or not any(whole_float(v) for v in values) or not all(
                whole_float(v) or (isinstance(v, int) and not isinstance(v, bool)) for v in values):
            return None
    elif whole_float(value):
        values = [value]
    else:
        return None
    prefix = {OverrideType.ADD: "+", OverrideType.FORCE_ADD: "++"}.get(override.type, "")
    return f"{prefix}{override.key_or_group}={','.join(str(int(v)) for v in values)}"


def _rewrite(override: Override, text: str) -> list[str]:
    key = override.key_or_group
    if (override.type == OverrideType.DEL or override.package is not None or key == "hydra"
            or key.startswith("hydra.")):
        return [text]
    path = key.split(".")
    value = override.value()
    _check_not_for_a_list(key, path, value)
    whole = _whole_numbers(override, value, path)
    if whole is not None:
        return [whole]
    if isinstance(value, ChoiceSweep):
        if not value.list or not all(isinstance(v, dict) for v in value.list):
            return [text]
        if override.type == OverrideType.ADD and dataclasses.is_dataclass(schema_at(path)):
            raise whole_entry_sweep(key)  # each job would make the entry from a mapping (above)
        options = [_literal(_complete(v, path)) for v in value.list]
        if None in options:
            return [text]
        prefix = {OverrideType.ADD: "+", OverrideType.FORCE_ADD: "++"}.get(override.type, "")
        return [f"{prefix}{key}={','.join(options)}"]  # type: ignore[arg-type]
    if isinstance(value, list) and override.type == OverrideType.ADD:
        # Hydra lets "+" through for a list that exists, and replaces it: "+pathways=[P3]" reads as adding
        # P3, and dropped the others. "+" means new, as for a mapping (below): Hydra checks it first.
        return [f"+{key}=???", f"+{text}"]
    if not isinstance(value, dict) or not all(_KEY.fullmatch(p) for p in path):
        return [text]
    merged = _literal(_nested(path[1:], _complete(value, path)))
    if merged is None:
        return [text]
    new = [f"+{key}=???"] if override.type == OverrideType.ADD else []  # "+": Hydra checks it is new
    return [*new, f"++{path[0]}={merged}"]


def normalise_overrides(overrides: Sequence[str]) -> list[str]:
    """Rewrite mapping-valued overrides so that Hydra merges them (see the module docstring).

    Parameters
    ----------
    overrides : sequence of str
        Command-line overrides as typed, e.g. ``["+services.step_up={pathways: [P2], ...}"]``.

    Returns
    -------
    list of str
        The same overrides, with mapping values rewritten (a ``+`` one as two); every other override
        is unchanged.

    Raises
    ------
    ConfigError
        An override that is not ``key=value`` (an empty key, unbalanced braces, ...), one that
        deletes a setting, or an empty output folder.
    """
    parser = OverridesParser.create()
    out = []
    for text in overrides:
        try:
            (override,) = parser.parse_overrides([text])
        except OverrideParseException as error:
            problem = " ".join(str(error).split("See https")[0].split())
            raise ConfigError(f"override {text!r}", f"is not key=value ({problem})",
                              f"write it as key=value, e.g. {_EXAMPLE}; quote a value that holds spaces, "
                              "accented letters or signs such as ~, e.g. key='~/my file.csv'") from None
        if not override.key_or_group:
            raise ConfigError(f"override {text!r}", "has no key before '='",
                              f"write it as key=value, e.g. {_EXAMPLE}")
        _refuse(override)
        out.extend(_rewrite(override, text))
    return out
