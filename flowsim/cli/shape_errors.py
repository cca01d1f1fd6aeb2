"""The line for a value of the wrong shape: one value where the config holds several (a group of
settings, a mapping or a list), a list where it holds a mapping, several where it holds one.

``services.ic_beds=5`` (meaning its capacity), ``services.ic_beds.los_days=5`` (meaning a mean),
``pathways.shares=0.5`` or ``arrivals.day_of_week_multipliers=1`` reach OmegaConf, which names a
schema class ("int is not a subclass of UnitConfig"); ``pathways.shares=[0.85,0.09,0.035,0.025]``
(shares in the order of the pathways) gets "Cannot merge DictConfig with ListConfig", and
``arrivals.series_csv=[a.csv]`` "Cannot convert 'list' to string". :func:`shape_problem` says
instead what the key holds and gives a line that would work, built from the schema, the config as
it stands and the value given.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from typing import Any

from omegaconf import DictConfig, ListConfig
from omegaconf.errors import OmegaConfBaseException

from flowsim.model.config import DistributionConfig
from flowsim.model.strict import listed, number_setting, schema_at

__all__ = ["shape_problem"]

_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def shape_problem(key: str, message: str, omega: OmegaConfBaseException, given: str | None) -> str | None:
    """One line for a single value ``given`` at ``key`` where the schema has several, or None.

    Parameters
    ----------
    key
        The dotted key the user set.
    message
        OmegaConf's first line for the error.
    omega
        The OmegaConf error (its ``child_node`` is what the key holds now).
    given
        The value as the user wrote it, if known.
    """
    got = f" (got {given})" if given else ""
    number = given if given and _NUMBER.fullmatch(given) else None
    node = getattr(omega, "child_node", None)
    several = re.match(r"Cannot convert '(list|ListConfig|dict|DictConfig)' to string", message)
    if several:  # a list or a mapping for a setting that takes one value (a file, a date)
        items = _parsed(given)
        first = items[0] if isinstance(items, list) and items and isinstance(items[0], str | int | float) \
            else getattr(node, "_val", None)
        if "list" in several.group(1).lower():
            return f"{key}: takes one value, not a list{got}; fix: give one, e.g. {key}={first or '...'}"
        # a mapping's text is the override as flowsim rewrote it (overrides.py): not shown
        return f"{key}: takes one value, not a mapping; fix: give one, e.g. {key}={first or '...'}"
    if "is not a ListConfig, list or tuple" in message:
        items = [str(v) for v in node] if isinstance(node, ListConfig) and len(node) else ["1.0", "1.5"]
        return (f"{key}: is a list, not one value{got}; fix: give every item in brackets, "
                f"e.g. {key}=[{','.join(items)}]")
    path = key.split(".")
    kind = schema_at(path)
    a_list = "Cannot merge DictConfig with ListConfig" in message  # a list merged into a mapping
    if a_list and typing.get_origin(kind) is dict:
        return _list_for_entries(key, getattr(omega, "parent_node", None), _parsed(given), got)
    if a_list or "is not a subclass of" in message:
        given_as = "a list" if a_list else "one value"
        if kind is DistributionConfig:
            n = number or "5"
            return (f"{key}: is a distribution of days, not {'a list' if a_list else 'one number'}{got}; "
                    f"fix: give its kind and parameters, e.g. {key}={{kind: exponential, mean: {n}}} or "
                    f"{key}={{kind: fixed, value: {n}}}")
        if dataclasses.is_dataclass(kind):
            setting = number_setting(kind)
            fix = (f"set one of them, e.g. {key}.{setting}={number or 1}" if setting
                   else f"set one of them, as {key}.NAME=VALUE")
            return (f"{key}: is a group of settings ({listed([f.name for f in dataclasses.fields(kind)])}), "
                    f"not {given_as}{got}; fix: {fix}")
    if message.startswith("Cannot assign") and typing.get_origin(kind) is dict:
        entries = [str(k) for k in node.keys()] if isinstance(node, DictConfig) else []
        entry = entries[0] if entries else "NAME"
        entry_kind = schema_at([*path, entry])
        setting = number_setting(entry_kind) if dataclasses.is_dataclass(entry_kind) else None
        example = f"{key}.{entry}" + (f".{setting}" if setting else "") + f"={number or 1}"
        held = f" ({listed(entries)})" if entries else ""
        return f"{key}: holds one entry per name{held}, not one value{got}; fix: set an entry, e.g. {example}"
    return None


def _parsed(given: str | None) -> Any:
    """``given`` read as Hydra reads an override's value (``[a.csv]`` is a list), or None."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        return OverridesParser.create().parse_override(f"x={given}").value() if given else None
    except Exception:  # a value Hydra itself could not read: no example from it
        return None


def _list_for_entries(key: str, node: Any, items: Any, got: str) -> str:
    """The line for a list given to a mapping by name (``pathways.shares=[0.85,0.09,0.035,0.025]``).

    With as many items as the mapping has entries, the example names each item by its entry, in order.
    """
    entries = [str(k) for k in node.keys()] if isinstance(node, DictConfig) else []
    held = f" ({listed(entries)})" if entries else ""
    values = items if isinstance(items, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in items) else []
    if entries and len(values) == len(entries):
        example = f"{key}={{{','.join(f'{e}:{v}' for e, v in zip(entries, values, strict=True))}}}"
    else:
        example = f"{key}.{entries[0] if entries else 'NAME'}={values[0] if values else 1}"
    return f"{key}: holds one entry per name{held}, not a list{got}; fix: name each value, e.g. {example}"
