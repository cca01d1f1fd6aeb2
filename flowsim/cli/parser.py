"""What flowsim's console scripts share on the command line besides their parser: owned overrides, the
number of workers, and whole-number options written as decimals too. (Their parser, one line for a
usage error, is :class:`flowsim.model.errors.ArgumentParser`, below the reporting commands that use it
too.)
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable, Mapping

from flowsim.model.bounds import MAX_N_JOBS
from flowsim.model.errors import ConfigError
from flowsim.model.validate import as_float

__all__ = ["check_n_jobs", "refuse_owned_overrides", "whole_number_option"]


def _key(override: str) -> str:
    """The config key an override sets: ``seed`` for ``seed=9``, ``+seed=9``, ``++seed=9`` or ``~seed``."""
    return override.split("=", 1)[0].lstrip("+~").strip()


def refuse_owned_overrides(overrides: Iterable[str], owned: Mapping[str, tuple[str, str]],
                           field: str | None = None) -> None:
    """Refuse an override of a setting the tool sets itself (it would be silently ignored).

    Parameters
    ----------
    overrides : iterable of str
        Hydra overrides of the system, e.g. ``["scenario=quick", "seed=9"]``.
    owned : mapping
        Each key the tool sets, with the problem and the fix; ``{value}`` in the fix stands for the
        override's value, e.g. ``{"seed": ("the sizing file sets the seeds", "use sizing.seed={value}")}``.
    field : str, optional
        The field to name (e.g. ``overrides`` for a file's list); default: the key overridden.

    Raises
    ------
    ConfigError
        On the first owned key overridden.
    """
    for override in overrides:
        key = _key(override)
        if key in owned:
            problem, fix = owned[key]
            value = override.split("=", 1)[1].strip() if "=" in override else "VALUE"
            raise ConfigError(field or key, problem, fix.format(value=value))


def check_n_jobs(n_jobs: int, option: str = "--n-jobs") -> int:
    """Refuse 0 workers and more than :data:`~flowsim.model.bounds.MAX_N_JOBS` (a typo, not a machine)."""
    if n_jobs == 0 or abs(n_jobs) > MAX_N_JOBS:
        problem = "must not be 0" if n_jobs == 0 else f"must be at most {MAX_N_JOBS:,} workers, got {n_jobs}"
        raise ConfigError(option, problem, "give 1 (sequential), a number of workers, or -1 (all CPUs)")
    return n_jobs


def whole_number_option(text: str) -> int:
    """An option's whole number (argparse's ``type``), written as a decimal too (``2.0``, ``1e1``), as
    ``flowsim replications=1e1`` takes it; ``2.5`` or ``abc`` is a usage error naming the option."""
    try:
        return int(text)
    except ValueError:
        number = as_float(text)
    if number is not None and math.isfinite(number) and number.is_integer():
        return int(number)
    raise argparse.ArgumentTypeError(f"must be a whole number such as 2, got {text!r}")
