"""How many jobs a sweep makes, counted before any job is listed, and the limit on that number.

Hydra's basic sweeper (and flowsim's, which is the basic one) lists every job of the cartesian
product of the sweep overrides, and flowsim's ``ValidateSweep`` callback then composes every job
before any runs: ``'services.ic_beds.capacity=range(0,10000000)'`` took 21 GB of memory in nine
minutes without a word. Here the number of jobs is the product of each override's number of values,
found without listing them (a range's length is arithmetic; a glob's, the group's options it
matches), and a sweep of more than ``hydra.sweeper.max_jobs`` jobs (default
:data:`DEFAULT_MAX_JOBS`) stops with one line naming the overrides that make it so big and how to
narrow them or raise the limit.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Sequence
from typing import Any

from hydra.core.object_type import ObjectType
from hydra.core.override_parser.types import ChoiceSweep, FloatRange, Glob, Override, RangeSweep

from flowsim.model.errors import ConfigError
from flowsim.model.validate import fmt, whole_number

__all__ = ["DEFAULT_MAX_JOBS", "LIMIT", "check_sweep_size", "sweep_limit", "sweep_size", "value_count"]

# Far above any sweep worth running on one machine (the built-in studies have 5 to 18 jobs; 10,000
# jobs of the quick scenario take hours), far below what fills the memory listing them.
DEFAULT_MAX_JOBS = 10_000
LIMIT = "hydra.sweeper.max_jobs"
_EXACT_UP_TO = 100_000  # a float range this short is counted by stepping through it, as Hydra does
_SHOWN = 40  # characters of an override's values shown in the line


def _range_count(sweep: RangeSweep) -> int | None:
    """The number of values of ``range(start,stop[,step])``; None for a step of 0 (Hydra's own error)."""
    if sweep.start is None or sweep.stop is None or not sweep.step:
        return None
    values = sweep.range()
    if isinstance(values, range):
        return len(values)
    # Hydra steps a float range in Decimals: the closed form, then the exact count where it is cheap
    start, stop, step = (decimal.Decimal(v) for v in (sweep.start, sweep.stop, sweep.step))
    estimate = max(0, math.ceil((stop - start) / step))
    if estimate > _EXACT_UP_TO:
        return estimate
    return sum(1 for _ in FloatRange(sweep.start, sweep.stop, sweep.step))


def value_count(override: Override, loader: Any = None) -> int | None:
    """How many values ``override`` gives its key in a sweep, without listing them.

    Parameters
    ----------
    override : hydra Override
        One parsed override (``seed=1,2,3``, ``x=range(0,10)``, ``scenario=glob(*)``, ``seed=3``).
    loader : hydra ConfigLoader, optional
        The running Hydra's config loader: a glob counts the group's options it matches.

    Returns
    -------
    int or None
        1 for a single value; None for a sweep the basic sweeper cannot list (an interval, a glob
        without a loader, a range with a step of 0), which Hydra reports itself.
    """
    if not override.is_sweep_override():
        return 1
    value = override.value()
    if isinstance(value, ChoiceSweep):
        return len(value.list)
    if isinstance(value, RangeSweep):
        return _range_count(value)
    if isinstance(value, Glob) and loader is not None:
        options = loader.get_group_options(override.key_or_group, results_filter=ObjectType.CONFIG)
        return len(value.filter(options))
    return None


def sweep_size(overrides: Sequence[Override], loader: Any = None) -> tuple[int, list[tuple[Override, int]]]:
    """The number of jobs the basic sweeper makes of ``overrides``, and the overrides that multiply it.

    A key given twice counts once, with its last override (the basic sweeper keeps that one).

    Returns
    -------
    tuple
        The number of jobs, and each override with more than one value with its count, largest first.
    """
    last: dict[str, tuple[Override, int | None]] = {}
    for override in overrides:
        last[override.get_key_element()] = (override, value_count(override, loader))
    counts = [(override, count) for override, count in last.values() if count is not None]
    total = math.prod(count for _, count in counts)
    return total, sorted(((o, c) for o, c in counts if c > 1), key=lambda pair: -pair[1])


def sweep_limit(value: Any) -> int:
    """The largest sweep allowed, from ``hydra.sweeper.max_jobs`` (None, e.g. on Hydra's basic sweeper,
    which has no such setting: :data:`DEFAULT_MAX_JOBS`); a ConfigError below 1."""
    return DEFAULT_MAX_JOBS if value is None else whole_number(value, LIMIT, minimum=1)


def _shown(override: Override) -> str:
    """The override as typed, a long list of values cut after a few dozen characters (at a comma)."""
    key, value = override.get_key_element(), override.get_value_string()
    if len(value) > _SHOWN:
        head = value[:_SHOWN]
        value = (head.rsplit(",", 1)[0] + ",..." if "," in head else head + "...")
    return f"{key}={value}"


def _narrower(override: Override, count: int, allowed: int) -> str:
    """How to give ``override`` at most ``allowed`` of its ``count`` values."""
    key, value = override.get_key_element(), override.value()
    if isinstance(value, RangeSweep):
        example = ""
        if isinstance(value.range(), range) and allowed >= 1:  # a step that keeps the range's ends
            step = int(value.step) * math.ceil(count / allowed)
            example = f", e.g. {key}=range({value.start},{value.stop},{step})"
        return f"narrow the range of {key} or give it a larger step{example}"
    if isinstance(value, Glob):
        return f"match fewer options of {key}"
    return f"sweep fewer values of {key}"


def check_sweep_size(overrides: Sequence[Override], limit: int, loader: Any = None, *,
                     limit_key: str = LIMIT) -> int:
    """The number of jobs of the sweep of ``overrides``; a ConfigError if it is more than ``limit``.

    Parameters
    ----------
    overrides : sequence of hydra Override
        The sweep's overrides (``hydra.sweeper.params`` first, then the command line's), parsed.
    limit : int
        The largest number of jobs allowed (``hydra.sweeper.max_jobs``).
    loader : hydra ConfigLoader, optional
        To count the options a glob matches.
    limit_key : str
        How the fix names the limit: ``+hydra.sweeper.max_jobs`` for a sweeper without that setting.

    Raises
    ------
    ConfigError
        Naming the number of jobs, the overrides that make it, and the fix: fewer values, a step,
        or a higher limit.
    """
    total, swept = sweep_size(overrides, loader)
    if total <= limit:
        return total
    factors = " times ".join(f"{fmt(count)} values of {_shown(o)}" for o, count in swept[:3])
    factors += " times ..." if len(swept) > 3 else ""
    biggest, count = swept[0]
    others = total // count  # the jobs each of its values makes with the other overrides
    raise ConfigError("sweep", f"{fmt(total)} jobs ({factors}), more than {LIMIT} allows ({fmt(limit)})",
                      f"{_narrower(biggest, count, limit // others)}; or raise the limit, e.g. "
                      f"{limit_key}={total}")
