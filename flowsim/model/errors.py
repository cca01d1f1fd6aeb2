"""Errors a user can act on.

A planner who mistypes a share or a capacity should get one line that names the field and says how to
fix it, not a traceback. Every validation failure in flowsim raises :class:`ConfigError`; the CLI turns
it into that line and exit code 2. A mistyped option gets the same from :class:`ArgumentParser`, which
every console script uses (those of :mod:`flowsim.reporting` too, hence here, in the lowest layer).
"""

from __future__ import annotations

import argparse
from typing import NoReturn

__all__ = ["EXIT_CONFIG_ERROR", "ArgumentParser", "ConfigError", "Interrupted"]

# Exit code of every flowsim command when the input, not the program, is wrong.
EXIT_CONFIG_ERROR = 2


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run or sweep, naming the folder its finished replications are kept in.

    Parameters
    ----------
    folder : str
        The run's or sweep's folder.
    key : str
        The setting that names it on a command line (``hydra.run.dir`` or ``hydra.sweep.dir``).
    """

    def __init__(self, folder: str, key: str) -> None:
        self.folder, self.key = folder, key
        super().__init__(f"Finished replications are kept in {folder}; to resume where it stopped, run the "
                         f"same command with {key}={folder} (finished replications are loaded, not run "
                         "again).")


class ConfigError(ValueError):
    """An invalid configuration or data file, found before anything runs.

    Parameters
    ----------
    field : str
        Dotted path of the offending config value, e.g. ``services.ic_beds.capacity``.
    problem : str
        What is wrong, e.g. ``"must be a whole number >= 0, got -3"``.
    fix : str
        What the user should do instead.
    """

    def __init__(self, field: str, problem: str, fix: str) -> None:
        # One line whatever a user's value holds: newlines collapse, a very long problem is cut.
        self.field = _one_line(field)
        self.problem = _one_line(problem, _MAX_PROBLEM)
        self.fix = _one_line(fix)
        super().__init__(f"{self.field}: {self.problem}; fix: {self.fix}")


_MAX_PROBLEM = 400


def _one_line(text: str, limit: int | None = None) -> str:
    line = " ".join(str(text).split())
    return line if limit is None or len(line) <= limit else line[:limit - 3] + "..."


class _Version(argparse.Action):
    """``--version``: flowsim's version and its main libraries', read only when asked for."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the versions of flowsim and its main libraries, then exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> NoReturn:
        from flowsim.model.versions import version_line

        print(version_line())  # on standard output, as argparse's own version action prints
        parser.exit(0)


class ArgumentParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose usage errors are one line and exit code 2.

    argparse answers a mistyped option with its usage block and then the error. Here it is
    ``PROG: error: argument --replications: invalid int value: 'abc'; fix: see PROG --help``, where
    the first ``PROG`` is the command a user typed (``flowsim-calibrate``, also for a subcommand's
    error) and the second the (sub)command whose help lists the options. Every command (and
    subcommand) also takes ``--version``.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.add_argument("--version", action=_Version)

    def error(self, message: str) -> NoReturn:
        """Print ``message`` as one line on stderr and exit with code 2."""
        command = self.prog.split(" ", 1)[0]
        self.exit(EXIT_CONFIG_ERROR, f"{command}: error: {' '.join(message.split())}; "
                                     f"fix: see {self.prog} --help\n")
