"""Whether a file can be made in a folder, asked the one way that answers it: by making one.

Permission bits do not say it (read-only mounts, ACLs, root's access), so every check of an output
path before long work creates and removes a temporary file in the folder. :func:`check_output_file`
checks a command's output file that way; it lives here, below :mod:`flowsim.cli` and
:mod:`flowsim.reporting`, as both check one (``--figure``, ``OUT``, ``flowsim-board --output``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flowsim.model.errors import ConfigError

__all__ = ["check_output_file", "why_not_writable"]


def why_not_writable(folder: str | Path) -> str | None:
    """``None`` if a file can be created in the existing ``folder``, else why not (the system's words).

    Parameters
    ----------
    folder : str or Path
        An existing folder.

    Returns
    -------
    str or None
        The reason a file cannot be made there (e.g. ``"Permission denied"``), or ``None``.
    """
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        return error.strerror or type(error).__name__
    return None


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
