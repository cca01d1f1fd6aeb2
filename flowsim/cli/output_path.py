"""Checks that a command's output folder or file can be written, made before the work it saves.

A long fit or search that only finds at the end that its ``--output`` is a file, or lies under a file
or a read-only folder, loses all its work to a traceback. Each console script checks its output paths
with these functions first, and stops with one line naming the option.
"""

from __future__ import annotations

import os
from pathlib import Path

from flowsim.experiment.preflight import check_output_dir
from flowsim.experiment.writable import why_not_writable
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


def check_output_file(path: str | Path, option: str, example: str) -> Path:
    """Make sure the file ``path`` can be written, without creating it or its folder; returns it.

    ``option`` names the option or argument that gives it (``--figure``) and ``example`` a good file
    name for the fix (``warmup.png``). A :class:`ConfigError` naming ``option`` if the path is a
    folder, its folder does not exist or is a file, or it cannot be written there.
    """
    file = Path(path)
    if file.is_dir():
        raise ConfigError(option, f"{str(file)!r} is a folder, not a file",
                          f"give a file name, e.g. {file / example}")
    folder = file.parent
    if not folder.exists():
        raise ConfigError(option, f"folder {str(folder)!r} does not exist", "create it or give another path")
    if not folder.is_dir():
        raise ConfigError(option, f"{str(folder)!r} is a file, not a folder",
                          f"give a path in a folder, e.g. {example}")
    reason = why_not_writable(folder)
    if reason is None and file.exists() and not os.access(file, os.W_OK):
        reason = "Permission denied"  # the folder takes new files, but this one may not be replaced
    if reason is not None:
        raise ConfigError(option, f"cannot write {str(file)!r} ({reason})", "give a path you can write to")
    return file
