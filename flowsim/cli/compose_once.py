"""Hydra composing the configuration of a run, or of a sweep, once instead of twice.

Before it runs an app, Hydra 1.3 composes the whole configuration only to read ``hydra.mode`` (does
the configuration ask for a sweep?), throws it away, and composes it again for the run or the
sweep: 0.14 s of CPU, a tenth of a default run and all of it before any work starts. Within
:func:`composed_once` the first composition is kept, and the run (or sweep) takes it instead of
composing again, with what Hydra would have done differently the second time done here as Hydra
does it: the override it adds in between (``hydra.mode=RUN`` or ``hydra.mode=MULTIRUN``) applied
and recorded, and the sweep overrides checked. Anything else (overrides Hydra cannot parse, a
configuration that does not compose as a sweep either) goes Hydra's own way.

A configuration that does not compose (a bad value, an unknown key or group option) Hydra composed
three times: to read the mode, as a sweep; and, that failing, for the run, to raise its error.
Composed for a run first, it fails once here; a sweep's composition differs from a run's only in
leaving a default missing (``You must specify ...``) and in the sweep overrides it allows, so
without those it would fail the same way, and the run's composition takes the error kept here.
A config error's line costs one composition, not three.

A plain command line is composed for a run, as the run will be; one that sweeps is composed as
Hydra composes it to read the mode. A configuration composed for a run serves a sweep as well (a
sweep only allows more: defaults left missing), not the other way round.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hydra._internal import hydra as hydra_internal
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.core.utils import configure_log
from hydra.types import RunMode
from omegaconf import DictConfig

__all__ = ["composed_once"]


_MISSING_DEFAULT = "You must specify"  # Hydra's words for a default a run needs and a sweep may skip


@dataclass
class _Failed:
    """A run's composition that raised, and what it was made of."""

    config_name: str | None
    overrides: list[str]
    error: Exception


@dataclass
class _Kept:
    """The composition made to read the mode, and what it was made of."""

    config_name: str | None
    overrides: list[str]
    parsed: list[Override]  # the overrides as Hydra parsed them
    run_mode: RunMode  # as which it was composed
    cfg: DictConfig


def _parsed(overrides: list[str]) -> list[Override] | None:
    """``overrides`` parsed, or None if Hydra cannot parse them (it reports that in its own words)."""
    try:
        return OverridesParser.create().parse_overrides(overrides=overrides)
    except Exception:
        return None


@contextlib.contextmanager
def composed_once() -> Iterator[None]:
    """Within the block, a Hydra app composes its configuration once before it runs or sweeps.

    The configuration the run or sweep gets is the one Hydra would compose for it, node for node
    (``tests/test_compose_once.py`` compares them).
    """
    hydra_class = hydra_internal.Hydra
    get_mode, compose_config = hydra_class.get_mode, hydra_class.compose_config
    kept: list[_Kept] = []  # at most one, taken by the next composition
    failed: list[_Failed] = []  # at most one, raised again by the run's composition

    def mode_of_kept(self: Any, config_name: str | None, overrides: list[str]) -> Any:
        kept.clear()
        failed.clear()
        parsed = _parsed(overrides)
        if parsed is None:
            return get_mode(self, config_name, overrides)
        sweeps = any(override.is_sweep_override() for override in parsed)
        run_mode = RunMode.MULTIRUN if sweeps else RunMode.RUN
        try:  # a sweep is composed as Hydra's get_mode composes it; anything else as for a run
            cfg = compose_config(self, config_name=config_name, overrides=overrides, run_mode=run_mode,
                                 with_log_configuration=False, validate_sweep_overrides=not sweeps)
        except Exception as error:
            if sweeps:  # composed as get_mode composes it, which would fail the same way
                return None
            if _MISSING_DEFAULT in str(error):  # a default left missing, which only a sweep allows
                return get_mode(self, config_name, overrides)
            failed.append(_Failed(config_name, list(overrides), error))
            return None  # as get_mode returns for a configuration that does not compose
        kept.append(_Kept(config_name, list(overrides), parsed, run_mode, cfg))
        return cfg.hydra.mode

    def compose_or_take(self: Any, config_name: str | None, overrides: list[str], run_mode: RunMode,
                        with_log_configuration: bool = False, from_shell: bool = True,
                        validate_sweep_overrides: bool = True) -> DictConfig:
        error = _failed_again(failed, config_name, overrides, run_mode)
        if error is not None:
            raise error
        cfg = _take(kept, config_name, overrides, run_mode, validate_sweep_overrides, from_shell)
        if cfg is None:
            return compose_config(self, config_name=config_name, overrides=overrides, run_mode=run_mode,
                                  with_log_configuration=with_log_configuration, from_shell=from_shell,
                                  validate_sweep_overrides=validate_sweep_overrides)
        if with_log_configuration:  # as Hydra's compose_config ends
            configure_log(cfg.hydra.hydra_logging, cfg.hydra.verbose)
            hydra_internal.log = logging.getLogger(hydra_internal.__name__)
            self._print_debug_info(config_name, overrides, run_mode)
        return cfg

    hydra_class.get_mode, hydra_class.compose_config = mode_of_kept, compose_or_take
    try:
        yield
    finally:
        hydra_class.get_mode, hydra_class.compose_config = get_mode, compose_config
        kept.clear()
        failed.clear()


def _failed_again(failed: list[_Failed], config_name: str | None, overrides: list[str],
                  run_mode: RunMode) -> Exception | None:
    """The kept error if this is the run's composition of what failed, else None; kept no longer."""
    if not failed:
        return None
    first = failed.pop()
    asked_again = _added(first.config_name, first.overrides, config_name, overrides, run_mode) is not None
    return first.error if run_mode == RunMode.RUN and asked_again else None


def _added(first_name: str | None, first_overrides: list[str], config_name: str | None,
           overrides: list[str], run_mode: RunMode) -> list[str] | None:
    """What Hydra added to the first composition's overrides, when this is the same composition asked
    again: nothing, or the mode override it adds when no configuration sets the mode. Else None."""
    added = overrides[len(first_overrides):]
    if (config_name != first_name or overrides[:len(first_overrides)] != first_overrides
            or added not in ([], [f"hydra.mode={run_mode.name}"])):
        return None
    return added


def _take(kept: list[_Kept], config_name: str | None, overrides: list[str], run_mode: RunMode,
          validate: bool, from_shell: bool) -> DictConfig | None:
    """The kept configuration if it is the one asked for, else None; either way it is kept no longer."""
    if not kept:
        return None
    first = kept.pop()
    added = _added(first.config_name, first.overrides, config_name, overrides, run_mode)
    if added is None or (first.run_mode == RunMode.MULTIRUN and run_mode == RunMode.RUN):
        return None
    if validate:  # raises, as Hydra's composition would, e.g. for a sweep over Hydra's own settings
        # (the mode override that may have been added sweeps nothing: the kept overrides are the ones)
        ConfigLoaderImpl.validate_sweep_overrides_legal(first.parsed, run_mode, from_shell)
    cfg = first.cfg
    if added:  # applied, and recorded among the Hydra overrides, as Hydra's composition does
        cfg.hydra.mode = run_mode
        cfg.hydra.overrides.hydra.extend(added)
    return cfg
