"""The line for one value where the config holds several: a group of settings, a mapping or a list.

``services.ic_beds=5`` (meaning its capacity), ``services.ic_beds.los_days=5`` (meaning a mean),
``pathways.shares=0.5`` or ``arrivals.day_of_week_multipliers=1`` reach OmegaConf, which names a
schema class ("int is not a subclass of UnitConfig"). :func:`shape_problem` says instead what the
key holds and gives a line that would work, built from the schema and the config as it stands.
"""

from __future__ import annotations

import dataclasses
import re
import typing

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
    if "is not a ListConfig, list or tuple" in message:
        items = [str(v) for v in node] if isinstance(node, ListConfig) and len(node) else ["1.0", "1.5"]
        return (f"{key}: is a list, not one value{got}; fix: give every item in brackets, "
                f"e.g. {key}=[{','.join(items)}]")
    path = key.split(".")
    kind = schema_at(path)
    if "is not a subclass of" in message and kind is DistributionConfig:
        n = number or "5"
        return (f"{key}: is a distribution of days, not one number{got}; fix: give its kind and parameters, "
                f"e.g. {key}={{kind: exponential, mean: {n}}} or {key}={{kind: fixed, value: {n}}}")
    if "is not a subclass of" in message and dataclasses.is_dataclass(kind):
        setting = number_setting(kind)
        fix = (f"set one of them, e.g. {key}.{setting}={number or 1}" if setting
               else f"set one of them, as {key}.NAME=VALUE")
        return (f"{key}: is a group of settings ({listed([f.name for f in dataclasses.fields(kind)])}), "
                f"not one value{got}; fix: {fix}")
    if message.startswith("Cannot assign") and typing.get_origin(kind) is dict:
        entries = [str(k) for k in node.keys()] if isinstance(node, DictConfig) else []
        entry = entries[0] if entries else "NAME"
        entry_kind = schema_at([*path, entry])
        setting = number_setting(entry_kind) if dataclasses.is_dataclass(entry_kind) else None
        example = f"{key}.{entry}" + (f".{setting}" if setting else "") + f"={number or 1}"
        held = f" ({listed(entries)})" if entries else ""
        return f"{key}: holds one entry per name{held}, not one value{got}; fix: set an entry, e.g. {example}"
    return None
