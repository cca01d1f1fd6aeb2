"""Dotted config paths (``services.ic_beds.capacity``) looked up in a plain config tree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ABSENT", "lookup"]

ABSENT = object()  # a default that no config value can be: tells "not there" from "there, null"


def lookup(config: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    """The value at ``dotted`` in ``config``, or ``default`` where a step of the path is missing."""
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node
