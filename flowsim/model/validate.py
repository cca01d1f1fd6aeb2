"""Checks shared by every config section: whole numbers and bounded reals, with one-line errors."""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Mapping
from typing import Any

from flowsim.model.errors import ConfigError

__all__ = ["flag", "fmt", "real_number", "whole_number"]


def fmt(number: float) -> str:
    """A bound as people write it: ``1.0``, ``24``, ``36,525``, ``1e-06``."""
    if isinstance(number, int):
        return f"{number:,}"
    if abs(number) >= 1000 and number.is_integer():
        return f"{int(number):,}"
    return str(number)


_MISSING = "???"  # OmegaConf's mark of a value never given, as a plain config holds it


def _given(value: Any, field: str, kind: str) -> None:
    """Refuse a value never given (``???``): say so, rather than show the mark as the value."""
    if isinstance(value, str) and value == _MISSING:
        raise ConfigError(field, "is missing: no value was given", f"set {field} to {kind}")


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(text: str) -> dt.date:
    """The date ``YYYY-MM-DD`` in ``text``; ValueError for anything else.

    Only the form flowsim's messages ask for: ``date.fromisoformat`` also takes ``20250401`` and week
    dates (``2025-W14-2``) since Python 3.11, which a typo can land on.
    """
    if not _ISO_DATE.fullmatch(text.strip()):
        raise ValueError(f"{text!r} is not YYYY-MM-DD")
    return dt.date.fromisoformat(text.strip())


def required(mapping: Mapping[str, Any], key: str, field: str) -> Any:
    """``mapping[key]``, or a ConfigError ``<field>.<key>: is missing`` when it is absent, null or ``???``."""
    value = mapping.get(key)
    if value is None or value == _MISSING:
        where = f"{field}.{key}" if field else key
        raise ConfigError(where, "is missing", f"give {where} a value")
    return value


def whole_number(value: Any, field: str, minimum: int = 0, maximum: int | None = None) -> int:
    """``value`` as an int within [``minimum``, ``maximum``], or a ConfigError naming ``field``."""
    _given(value, field, f"a whole number such as {max(minimum, 1)}")
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
        isinstance(value, numbers.Integral) or (math.isfinite(value) and float(value).is_integer())
    ):
        raise ConfigError(field, f"must be a whole number >= {minimum}, got {value!r}",
                          f"set {field} to a whole number such as {max(minimum, 1)}")
    number = int(value)
    if number < minimum:
        raise ConfigError(field, f"must be >= {minimum}, got {value!r}",
                          f"set {field} to a whole number >= {minimum}")
    if maximum is not None and number > maximum:
        raise ConfigError(field, f"must be <= {fmt(maximum)}, got {value!r}",
                          f"set {field} to a whole number <= {fmt(maximum)} (see README, Configuration)")
    return number


def real_number(value: Any, field: str, *, minimum: float = 0.0, maximum: float = math.inf) -> float:
    """``value`` as a finite float within [``minimum``, ``maximum``], or a ConfigError naming ``field``.

    Infinity and NaN are refused whatever the bounds: no quantity in a flowsim config is infinite.
    """
    _given(value, field, "a number")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(field, f"must be a number, got {value!r}", f"set {field} to a number")
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(field, f"must be a finite number, got {value!r}",
                          f"set {field} to a finite number >= {fmt(minimum)}")
    if not minimum <= number <= maximum:
        upper = "" if maximum == math.inf else f" and <= {fmt(maximum)}"
        raise ConfigError(field, f"must be >= {fmt(minimum)}{upper}, got {value!r}",
                          f"set {field} within that range")
    return number


def flag(value: Any, field: str, default: bool = False) -> bool:
    """``value`` as a bool (None means ``default``), or a ConfigError: "no" is not false."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConfigError(field, f"must be true or false, got {value!r}",
                          f"set {field}=true or {field}=false")
    return value
