"""What a run's output folder holds, and keeping it to one run's results.

The top-level result files (:data:`RESULT_FILES`) of a folder are always those of one run:
``metrics.json`` is written last and records that run's identity, so a folder whose ``metrics.json``
is missing holds no finished results. Leftover temporary files of killed runs are removed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "MARKER",
    "RESULT_FILES",
    "earlier_results",
    "remove_results",
    "remove_temporary",
]

# Everything run_scenario writes at the top of its folder; metrics.json goes last (the marker).
MARKER = "metrics.json"
RESULT_FILES = ("replications.parquet", "summary.csv", "units.parquet", "census.parquet",
                "patients.parquet", "manifest.json", MARKER)


def remove_temporary(folder: str | Path) -> list[Path]:
    """Delete ``.*.tmp`` files (left by killed writers) in ``folder`` and its ``checkpoints/`` tree.

    Call it only while holding the folder's lock: a live writer's temporary file looks the same.
    """
    root = Path(folder)
    found = list(root.glob(".*.tmp"))
    if (root / "checkpoints").is_dir():
        found += list((root / "checkpoints").rglob(".*.tmp"))
    for path in found:
        path.unlink(missing_ok=True)
    return found


def remove_results(folder: str | Path, keep: Iterable[str] = ()) -> None:
    """Delete the top-level result files of ``folder`` except ``keep``; the marker goes first."""
    root = Path(folder)
    kept = set(keep)
    for name in (MARKER, *RESULT_FILES):
        if name not in kept:
            (root / name).unlink(missing_ok=True)


def earlier_results(folder: str | Path) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """The identity recorded by the finished results in ``folder``, and their config.

    Returns
    -------
    tuple or None
        ``(identity summary, config from manifest.json or None)``; the summary is ``{}`` for results
        written before runs had identities; None when the folder holds no finished results.
    """
    root = Path(folder)
    try:
        metrics = json.loads((root / MARKER).read_text())
    except (OSError, ValueError):
        return None
    try:
        config = json.loads((root / "manifest.json").read_text()).get("config")
    except (OSError, ValueError, AttributeError):
        config = None
    identity = metrics.get("identity") if isinstance(metrics, dict) else None
    return (identity if isinstance(identity, dict) else {}), config
