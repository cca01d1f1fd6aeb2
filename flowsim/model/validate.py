"""Checks shared by every config section: whole numbers and bounded reals, with one-line errors."""

from __future__ import annotations

import calendar
import datetime as dt
import math
import numbers
import re
from collections.abc import Mapping
from typing import Any

from flowsim.model.errors import ConfigError

__all__ = ["as_float", "flag", "fmt", "leading_zero", "real_number", "whole_number", "without_leading_zero"]


def fmt(number: float) -> str:
    """A bound as people write it: ``1.0``, ``24``, ``36,525``, ``1e-06``."""
    if isinstance(number, int):
        return f"{number:,}"
    if abs(number) >= 1000 and number.is_integer():
        return f"{int(number):,}"
    text = str(number)
    # a bound computed from a value (10 x 1e-06) can carry float noise: 9.999999999999999e-06 is 1e-05
    return f"{number:.12g}" if len(text.replace("-", "").replace(".", "").split("e")[0]) > 12 else text


_MISSING = "???"  # OmegaConf's mark of a value never given, as a plain config holds it


def _given(value: Any, field: str, kind: str) -> None:
    """Refuse a value never given (``???``): say so, rather than show the mark as the value."""
    if isinstance(value, str) and value == _MISSING:
        raise ConfigError(field, "is missing: no value was given", f"set {field} to {kind}")


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only (\d takes any script's)


def iso_date(text: str) -> dt.date:
    """The date ``YYYY-MM-DD`` in ``text``; ValueError for anything else.

    Only the form flowsim's messages ask for: ``date.fromisoformat`` also takes ``20250401`` and week
    dates (``2025-W14-2``) since Python 3.11, which a typo can land on.
    """
    if not _ISO_DATE.fullmatch(text.strip()):
        raise ValueError(f"{text!r} is not YYYY-MM-DD")
    return dt.date.fromisoformat(text.strip())


def date_value(value: Any, field: str) -> dt.date:
    """``value`` (a date, or ``YYYY-MM-DD`` text) as a date, or a ConfigError naming ``field``.

    A day the calendar does not have (``2025-02-30``) is said as such, with the month's last day as
    the example: it is already written as YYYY-MM-DD.
    """
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    text = str(value).strip()
    try:
        return iso_date(text)
    except ValueError:
        if not _ISO_DATE.fullmatch(text):
            raise ConfigError(field, f"{value!r} is not a date", "write it as YYYY-MM-DD") from None
    year, month = int(text[:4]), int(text[5:7])
    if year < 1:
        raise ConfigError(field, f"{value!r} has year 0", "years start at 0001 (YYYY-MM-DD)")
    if not 1 <= month <= 12:
        raise ConfigError(field, f"{value!r} has no month {month}", "months are 01 to 12 (YYYY-MM-DD)")
    last = calendar.monthrange(year, month)[1]
    raise ConfigError(field, f"{value!r} is not a day of the calendar ({text[:7]} has {last} days)",
                      f"give a day that exists, e.g. {text[:7]}-{last:02d}")


def required(mapping: Mapping[str, Any], key: str, field: str) -> Any:
    """``mapping[key]``, or a ConfigError ``<field>.<key>: is missing`` when it is absent, null or ``???``."""
    value = mapping.get(key)
    if value is None or value == _MISSING:
        where = f"{field}.{key}" if field else key
        raise ConfigError(where, "is missing", f"give {where} a value")
    return value


def as_float(text: str) -> float | None:
    """``text`` read as a number (``'10'``, ``'1e3'``, ``' 2.5 '``), or None if it is not one."""
    try:
        return float(text)
    except ValueError:
        return None


def _numeric_text(value: Any) -> bool:
    """Whether ``value`` is text that reads as a finite number (``'10'``: a number written in quotes)."""
    number = as_float(value) if isinstance(value, str) else None
    return number is not None and math.isfinite(number)


# A number written with a leading zero (010, 007, -01, 00.5): Hydra's grammar has no such number and
# reads it as text, as YAML does 09; the fix drops the zero rather than quotes the text never had.
_LEADING_ZERO = re.compile(r"[+-]?0[0-9][0-9_]*(\.[0-9]*)?([eE][+-]?[0-9]+)?")


def leading_zero(text: Any) -> bool:
    """Whether ``text`` is a number written with a leading zero (``'010'``, ``'-01'``, ``'00.5'``)."""
    return isinstance(text, str) and bool(_LEADING_ZERO.fullmatch(text.strip()))


def without_leading_zero(text: str) -> str:
    """``text`` without the zeros that lead its digits: ``'010'`` is ``'10'``, ``'00.5'`` is ``'0.5'``."""
    return re.sub(r"^([+-]?)0+(?=[0-9])", r"\1", text.strip())


def _shown(value: Any) -> str:
    """``value`` as a message shows it: a number in quotes, or with a leading zero, is said to be text."""
    if leading_zero(value):
        return f"{value.strip()!r}, read as text: a number cannot start with 0 followed by another digit"
    return f"the text {value!r} (a number in quotes)" if _numeric_text(value) else repr(value)


def _unquote(value: Any, field: str) -> str | None:
    """The fix for a number given in quotes or with a leading zero (read as text, not as a number)."""
    if leading_zero(value):
        return f"write it without the leading zero, e.g. {field}={without_leading_zero(value)}"
    return f"write the number without quotes, e.g. {field}={value.strip()}" if _numeric_text(value) else None


def whole_number(value: Any, field: str, minimum: int = 0, maximum: int | None = None) -> int:
    """``value`` as an int within [``minimum``, ``maximum``], or a ConfigError naming ``field``."""
    _given(value, field, f"a whole number such as {max(minimum, 1)}")
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
        isinstance(value, numbers.Integral) or (math.isfinite(value) and float(value).is_integer())
    ):
        unquoted = _unquote(value, field) if _numeric_text(value) and float(value).is_integer() else None
        raise ConfigError(field, f"must be a whole number >= {minimum}, got {_shown(value)}",
                          unquoted or f"set {field} to a whole number such as {max(minimum, 1)}")
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
        raise ConfigError(field, f"must be a number, got {_shown(value)}",
                          _unquote(value, field) or f"set {field} to a number")
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
