"""Checks that a command's output folder or file can be written, made before the work it saves.

A long fit or search that only finds at the end that its ``--output`` is a file, or lies under a file
or a read-only folder, loses all its work to a traceback. Each console script checks its output paths
with these functions first, and stops with one line naming the option. (:func:`check_output_file` is
:mod:`flowsim.experiment.writable`'s, which ``flowsim-board`` uses too.)
"""

from __future__ import annotations

from pathlib import Path

from flowsim.experiment.preflight import check_output_dir
from flowsim.experiment.writable import check_output_file
from flowsim.model.errors import ConfigError

__all__ = ["check_output_file", "check_output_folder"]


def _file_in_the_way(folder: Path, option: str) -> None:
    """Refuse a folder path that is, or lies under, an existing file (no folder can be made there)."""
    for part in (folder, *folder.parents):
        if part.is_dir():
            return
        if part.exists() or part.is_symlink():
            problem = (f"{str(folder)!r} is a file, not a folder" if part == folder
                       else f"{str(part)!r} is a file, so {str(folder)!r} cannot be a folder in it")
            raise ConfigError(option, problem, f"give {option} a new or existing folder, not a file")


def check_output_folder(path: str | Path, option: str) -> Path:
    """Create the output folder ``path`` if needed and make sure files can be written in it.

    Parameters
    ----------
    path : str or Path
        The folder a command writes its results into.
    option : str
        The command-line option that names it, e.g. ``--output``.

    Returns
    -------
    Path

    Raises
    ------
    ConfigError
        Naming ``option``: the path is a file, lies under a file, or cannot be created or written.
    """
    folder = Path(path)
    _file_in_the_way(folder, option)
    return check_output_dir(folder, option)
