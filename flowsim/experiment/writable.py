"""Whether a file can be made in a folder, asked the one way that answers it: by making one.

Permission bits do not say it (read-only mounts, ACLs, root's access), so every check of an output
path before long work creates and removes a temporary file in the folder.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

__all__ = ["why_not_writable"]


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
