"""One writer per output folder: an OS lock that dies with its process.

``fcntl.flock`` on ``<folder>/.flowsim.lock``, non-blocking: a second run into a folder that a live
run is writing stops with one line instead of mixing its files with the first run's. The kernel
releases the lock when the holder exits, however it exits, so a killed run never leaves a stale lock.
The lock file itself stays (removing it would let a third run lock a fresh file while a second still
holds the old one).
"""

from __future__ import annotations

import errno
import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flowsim.model.errors import ConfigError

__all__ = ["LOCK_NAME", "folder_lock", "refuse_if_locked"]

LOCK_NAME = ".flowsim.lock"
_HELD = (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)


def _busy(folder: Path, fd: int, key: str) -> ConfigError:
    try:
        pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        pid = ""
    who = f"another flowsim run (pid {pid})" if pid.isdigit() else "another flowsim run"
    return ConfigError(str(folder), f"{who} is writing here",
                       f"wait for it to finish or choose another {key}")


@contextmanager
def folder_lock(folder: str | Path, key: str = "hydra.run.dir") -> Iterator[Path]:
    """Hold the lock of ``folder`` (created if needed) for the ``with`` block.

    ``key`` is the setting or option that chose the folder, for the message when it is busy.

    Raises
    ------
    ConfigError
        If another process (or another open of the lock in this process) holds it.
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in _HELD:
                raise _busy(root, fd, key) from None
            # a file system without locks (some network mounts): say so rather than refuse to run
            print(f"flowsim: note: {root}: cannot lock ({error.strerror}); make sure no other run "
                  "writes here", file=sys.stderr)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield root
    finally:
        os.close(fd)  # releases the lock


def refuse_if_locked(folder: str | Path, key: str = "hydra.run.dir") -> None:
    """Raise :class:`ConfigError` now if a live run holds ``folder``'s lock (a probe; nothing is held).

    Lets the CLI stop before Hydra writes its own files into a folder another run is using; the lock
    taken by :func:`flowsim.experiment.pipeline.run_scenario` is the one that guards the results.
    """
    path = Path(folder) / LOCK_NAME
    try:  # read-only: a probe writes nothing, and a folder shared read-only can be probed too
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # no lock file (no run has written here), or one this user cannot read
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in _HELD:
            raise _busy(Path(folder), fd, key) from None
    finally:
        os.close(fd)
