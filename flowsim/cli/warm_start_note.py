"""A note when a run starts from a census but still discards a warm-up.

A census is today's state: the forecast starts at once, so a warm start keeps ``run.warm_up_days=0``.
With the default warm-up left in place, the first weeks of the forecast, the ones a planner asked
about, go uncounted without a word. The run goes on (a user may mean it) with one line saying so.
"""

from __future__ import annotations

from omegaconf import DictConfig

__all__ = ["warm_start_note"]


def warm_start_note(cfg: DictConfig) -> str | None:
    """One line when ``run.initial_census`` is set and ``run.warm_up_days`` is not 0, else None.

    Parameters
    ----------
    cfg : DictConfig
        The run's composed configuration.
    """
    run = cfg.get("run")
    if run is None or not run.get("initial_census"):
        return None
    warm_up_days = run.get("warm_up_days")
    if not isinstance(warm_up_days, int | float) or warm_up_days <= 0:
        return None
    return (f"the run starts from a census (run.initial_census) but discards its first {warm_up_days:g} "
            "days as a warm-up; a forecast from today's census keeps run.warm_up_days=0")
