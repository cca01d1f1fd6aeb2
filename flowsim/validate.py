"""Checks shared by every config section: whole numbers and bounded reals, with one-line errors."""

from __future__ import annotations

import math
from typing import Any

from flowsim.errors import ConfigError

__all__ = ["real_number", "whole_number"]


def whole_number(value: Any, field: str, minimum: int = 0) -> int:
    """``value`` as an int >= ``minimum``, or a ConfigError naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or (
        isinstance(value, float) and not value.is_integer()
    ):
        raise ConfigError(field, f"must be a whole number >= {minimum}, got {value!r}",
                          f"set {field} to a whole number such as {max(minimum, 1)}")
    if value < minimum:
        raise ConfigError(field, f"must be >= {minimum}, got {value!r}",
                          f"set {field} to a whole number >= {minimum}")
    return int(value)


def real_number(value: Any, field: str, *, minimum: float = 0.0, maximum: float = math.inf) -> float:
    """``value`` as a float within [``minimum``, ``maximum``], or a ConfigError naming ``field``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(field, f"must be a number, got {value!r}", f"set {field} to a number") from None
    if not (minimum <= number <= maximum) or math.isnan(number):
        upper = "" if maximum == math.inf else f" and <= {maximum}"
        raise ConfigError(field, f"must be >= {minimum}{upper}, got {value!r}",
                          f"set {field} within that range")
    return number
