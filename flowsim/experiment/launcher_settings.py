"""Launcher settings that would fail only once a sweep has started, refused before it starts.

A sweep's jobs go to a Hydra launcher: flowsim's (forked workers), joblib's, Ray or Slurm (submitit).
Some settings fail only when the launcher starts its jobs, after the sweep has written its record:
joblib's ``n_jobs=0``, and Slurm's launcher where there is no Slurm. :func:`check_launcher` refuses
them first, for ``flowsim -m`` (its sweep callback) and for ``flowsim-size --hydra-launcher``.
"""

from __future__ import annotations

import shutil

from omegaconf import DictConfig

from flowsim.model.errors import ConfigError

__all__ = ["JOBLIB_LAUNCHERS", "check_launcher"]

# Launchers that take joblib's settings (flowsim's is joblib's, its workers forked where it can)
JOBLIB_LAUNCHERS = (".JoblibLauncher", ".FlowsimLauncher")


def check_launcher(config: DictConfig) -> None:
    """Refuse launcher settings that would fail only once the sweep starts (joblib's ``n_jobs=0``, Slurm
    off a Slurm cluster).

    Raises
    ------
    ConfigError
        Naming the ``hydra.launcher`` setting and the fix.
    """
    launcher = config.hydra.get("launcher")
    target = "" if launcher is None else str(launcher.get("_target_", ""))
    if target.endswith(".SlurmLauncher") and shutil.which("srun") is None:
        raise ConfigError("hydra/launcher", "submitit_slurm submits jobs with Slurm's srun, which is not on "
                          "this machine's PATH", "run the sweep from a Slurm login node, or leave out "
                          "hydra/launcher to run it here (hydra/launcher=submitit_local tries the set-up)")
    if not target.endswith(JOBLIB_LAUNCHERS):
        return
    if launcher.get("n_jobs") == 0:
        raise ConfigError("hydra.launcher.n_jobs", "must not be 0",
                          "give 1 (one job at a time), a number of workers, or -1 (all CPUs)")
