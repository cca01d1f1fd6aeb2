"""The console scripts: each sets up its process, then imports its command and runs it.

One setting has to be made before numpy is imported, because it cannot be changed after. OpenBLAS
(the linear algebra of numpy and of SciPy, each with its own copy) starts a thread per CPU as it is
imported, and those threads spin while they wait: about 0.25 s of CPU in every ``flowsim`` process,
a sixth of a default run's, and more where worker processes share the cores. flowsim does no
linear algebra large enough to gain from threads, so its commands limit OpenBLAS to one thread
unless ``OPENBLAS_NUM_THREADS`` is already set. Importing flowsim as a library changes nothing, and
``flowsim-app`` (above this layer) runs its work as ``flowsim`` commands.

The garbage collector pauses while the command is imported, and what the import made is frozen out of
its later collections (:func:`gc.freeze`): 0.08 s less CPU in a default run (1.57 s to 1.50 s).

Every command's ``--version`` prints flowsim's version and its main libraries'
(:func:`flowsim.model.versions.version_line`) without importing the command; Hydra's own would print
only Hydra's.

``flowsim --help`` prints the human help (:mod:`flowsim.cli.help`) without importing the run: 0.05 s
instead of 0.7 s.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import NoReturn

__all__ = ["EXIT_BROKEN_PIPE", "EXIT_INTERRUPTED", "flowsim", "flowsim_board", "flowsim_calibrate",
           "flowsim_collect", "flowsim_report", "flowsim_size", "flowsim_warmup", "stop_on_broken_pipe"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT: what a shell reports for a command stopped by Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a writer whose reader stopped reading


def stop_on_broken_pipe() -> NoReturn:
    """Exit quietly once stdout's reader has gone (``flowsim | head -3``), as command-line tools do.

    The files are written by then; only the rest of the printed text is lost, which the reader did not
    want. Python would meet the closed pipe again flushing stdout at exit, so stdout goes to
    ``os.devnull`` first.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(EXIT_BROKEN_PIPE)


def _run(module: str, function: str = "main", *, prog: str = "flowsim") -> None:
    if "--version" in sys.argv[1:]:  # anywhere on the line, as argparse takes it; answered at once
        from flowsim.model.versions import version_line  # light: the standard library only

        print(version_line())
        return
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # Importing a command makes some 90,000 objects for the cyclic garbage collector to track, and
    # they live as long as the process. It would walk them again and again (about 320 collections
    # in a default run instead of 80: 0.09 s of CPU, not 0.015 s), so it pauses while the command is
    # imported, and what the import made is frozen: left out of every later collection.
    gc.disable()
    try:
        command = getattr(importlib.import_module(module), function)
    finally:
        gc.freeze()
        gc.enable()
    try:
        command()
    except BrokenPipeError:
        stop_on_broken_pipe()
    except KeyboardInterrupt as stop:  # Ctrl-C: one line, and how to resume where the command can
        from flowsim.model.errors import Interrupted

        hint = f" {stop}" if isinstance(stop, Interrupted) else ""
        print(f"\n{prog}: interrupted.{hint}", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)


def flowsim() -> None:
    """``flowsim``: one run, or a sweep with ``-m`` (:func:`flowsim.cli.main.main`).

    ``--help`` goes straight to :func:`flowsim.cli.help.print_help`, without importing the run.
    """
    from flowsim.cli.help import asks_for_help  # light: the standard library only

    if asks_for_help(sys.argv[1:]):
        _run("flowsim.cli.help", "print_help")
    else:
        _run("flowsim.cli.main")


def flowsim_collect() -> None:
    """``flowsim-collect``: gather a sweep's tables again (:func:`flowsim.cli.main.collect_main`)."""
    _run("flowsim.cli.main", "collect_main", prog="flowsim-collect")


def flowsim_board() -> None:
    """``flowsim-board``: the board pack (:func:`flowsim.reporting.board.main`)."""
    _run("flowsim.reporting.board", prog="flowsim-board")


def flowsim_warmup() -> None:
    """``flowsim-warmup``: warm-up detection (:func:`flowsim.cli.warmup.main`)."""
    _run("flowsim.cli.warmup", prog="flowsim-warmup")


def flowsim_report() -> None:
    """``flowsim-report``: a run's figures (:func:`flowsim.reporting.report.main`)."""
    _run("flowsim.reporting.report", prog="flowsim-report")


def flowsim_calibrate() -> None:
    """``flowsim-calibrate``: parameters from data (:func:`flowsim.cli.calibrate.main`)."""
    _run("flowsim.cli.calibrate", prog="flowsim-calibrate")


def flowsim_size() -> None:
    """``flowsim-size``: the cheapest mix of capacities meeting a target (:func:`flowsim.cli.size.main`)."""
    _run("flowsim.cli.size", prog="flowsim-size")

