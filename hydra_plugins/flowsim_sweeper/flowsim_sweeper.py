"""Hydra's basic sweeper, without composing every job a second time before launching it.

Hydra's basic sweeper composes each job's config in the launching process, one after another, only
to check that it composes; the launcher then composes it again where the job runs. flowsim's
``ValidateSweep`` callback has already composed and checked every job (in the launcher's own
workers, with joblib) before the sweep starts, so this sweeper leaves that repeat out, and a 20-job
sweep on two cores gains about three seconds of one-at-a-time work. Without that callback in
``hydra.callbacks`` it checks as the basic sweeper does.

It also refuses a sweep of more than ``hydra.sweeper.max_jobs`` jobs (10,000 by default), counted
before the basic sweeper lists them (:mod:`flowsim.cli.sweep_size`): the callback counts first, and
this guards a sweep run without it. Everything else, the jobs and their numbers, is the basic sweeper's.

Hydra loads plugins only from the ``hydra_plugins`` package, hence this module's place.
"""

# No ``from __future__ import annotations``: Hydra executes plugin modules outside sys.modules,
# where a dataclass cannot resolve string annotations.
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser

from flowsim.cli.sweep_size import DEFAULT_MAX_JOBS, check_sweep_size, sweep_limit

VALIDATING_CALLBACK = "flowsim.cli.callbacks.ValidateSweep"


@dataclass
class FlowsimSweeperConf:
    """``hydra/sweeper=flowsim``: the basic sweeper's settings, and the most jobs a sweep may have."""

    _target_: str = "hydra_plugins.flowsim_sweeper.flowsim_sweeper.FlowsimSweeper"
    max_batch_size: Optional[int] = None  # noqa: UP045 (Hydra's structured configs need Optional)
    params: Optional[dict[str, str]] = None  # noqa: UP045
    max_jobs: int = DEFAULT_MAX_JOBS


ConfigStore.instance().store(group="hydra/sweeper", name="flowsim", node=FlowsimSweeperConf,
                             provider="flowsim")


class FlowsimSweeper(BasicSweeper):
    """The basic sweeper, trusting flowsim's callback to have checked every job before the sweep."""

    def __init__(self, max_batch_size: Optional[int] = None,  # noqa: UP045
                 params: Optional[dict[str, str]] = None,  # noqa: UP045
                 max_jobs: int = DEFAULT_MAX_JOBS) -> None:
        super().__init__(max_batch_size, params)
        self.max_jobs = max_jobs

    def sweep(self, arguments: list[str]) -> Any:
        """The basic sweeper's sweep; on Ctrl-C or a job's failure, the folder its finished jobs are in.

        A sweep of more than ``max_jobs`` jobs is refused first (a ConfigError), before any is listed.
        """
        from flowsim.model.errors import Interrupted

        if not self._checked_by_callback():  # else the callback has counted the jobs already
            loader = self.hydra_context.config_loader if self.hydra_context is not None else None
            parser = OverridesParser.create(config_loader=loader)
            parsed = parser.parse_overrides([*self._parse_config(), *arguments])
            check_sweep_size(parsed, sweep_limit(self.max_jobs), loader)
        try:
            return super().sweep(arguments)
        except KeyboardInterrupt:  # wherever the jobs run: in this process or in the launcher's workers
            assert self.config is not None
            raise Interrupted(str(self.config.hydra.sweep.dir), "hydra.sweep.dir") from None
        except Exception as error:  # a job failed: its traceback, then what is kept and how to gather it
            if self.config is not None:
                folder = self.config.hydra.sweep.dir
                error.add_note(f"flowsim: the sweep stopped at a failing job; the jobs that finished are "
                               f"kept in {folder}: flowsim-collect {folder} gathers them, and the same "
                               "command, once the cause is fixed, runs the rest")
            raise

    def _checked_by_callback(self) -> bool:
        """Whether flowsim's ``ValidateSweep`` callback is in ``hydra.callbacks``: it counts the jobs and
        composes each before the sweep starts."""
        callbacks = (self.config.hydra.get("callbacks") if self.config is not None else None) or {}
        return any(str((c or {}).get("_target_")) == VALIDATING_CALLBACK for c in callbacks.values())

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        """Compose each job of ``batch``, unless flowsim's ``ValidateSweep`` callback already has."""
        if not self._checked_by_callback():
            super().validate_batch_is_legal(batch)
