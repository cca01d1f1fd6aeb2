"""The C library's ``exp``, ``log``, ``log1p``, ``expm1`` and ``pow``, for a number or element by element.

Durations are drawn by inverse transform, one patient at a time (a Python float) or in bulk (an
array), and the same uniform number must give the same duration either way, on every machine.
numpy's own versions do not: where the CPU has AVX-512, numpy computes ``exp`` and ``log`` with
vector code that differs from the C library's in the last bit for some arguments (``exp`` for about
one value in twenty), and a single number takes a different loop from an array of them. Python's
:mod:`math` calls the C library, so these functions apply it to each element: the numbers are those
of the scalar path everywhere, at about 60 ns an element against numpy's 4 (a default year draws
some 280,000 in bulk: under 0.02 s).

The results follow numpy's conventions where :mod:`math` raises instead: ``exp`` overflows to inf,
``log(0)`` and ``log1p(-1)`` are -inf, ``pow`` overflows to inf, and arguments outside the domain give
NaN.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["exp", "expm1", "log", "log1p", "power"]


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _expm1(x: float) -> float:
    try:
        return math.expm1(x)
    except OverflowError:
        return math.inf


def _log(x: float) -> float:
    try:
        return math.log(x)
    except ValueError:  # 0 or below
        return -math.inf if x == 0.0 else math.nan


def _log1p(x: float) -> float:
    try:
        return math.log1p(x)
    except ValueError:  # -1 or below
        return -math.inf if x == -1.0 else math.nan


def _pow(x: float, exponent: float) -> float:
    try:
        return math.pow(x, exponent)
    except OverflowError:
        return math.inf
    except ValueError:  # a negative base with a fractional exponent
        return math.nan


def _each(fast: Callable[..., float], safe: Callable[..., float], x: Any, *more: float) -> Any:
    """``safe`` of a number (a float back), or of each element of an array (an array back).

    ``fast`` is the bare :mod:`math` function, three times quicker over an array without a Python
    frame per element; where it raises (an overflow, a value outside its domain), ``safe`` goes again.
    ``more`` are further arguments, the same for every element.
    """
    if isinstance(x, float):
        return safe(x, *more)
    values = np.asarray(x, dtype=float)
    if values.ndim == 0:
        return safe(float(values), *more)
    flat = values.ravel().tolist()
    extra = [itertools.repeat(value) for value in more]
    try:
        out = np.fromiter(map(fast, flat, *extra), dtype=float, count=len(flat))
    except (OverflowError, ValueError):
        out = np.fromiter(map(safe, flat, *extra), dtype=float, count=len(flat))
    return out.reshape(values.shape)


def exp(x: Any) -> Any:
    """``e ** x``, inf where it overflows."""
    return _each(math.exp, _exp, x)


def expm1(x: Any) -> Any:
    """``e ** x - 1``, accurate near 0; inf where it overflows."""
    return _each(math.expm1, _expm1, x)


def log(x: Any) -> Any:
    """Natural logarithm: -inf at 0, NaN below."""
    return _each(math.log, _log, x)


def log1p(x: Any) -> Any:
    """``log(1 + x)``, accurate near 0: -inf at -1, NaN below."""
    return _each(math.log1p, _log1p, x)


def power(x: Any, exponent: float) -> Any:
    """``x ** exponent`` for one exponent: inf where it overflows, NaN for a negative ``x`` and a
    fractional exponent."""
    return _each(math.pow, _pow, x, float(exponent))
