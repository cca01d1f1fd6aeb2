"""What a ``flowsim-size`` folder must hold for its board pack (``flowsim-board --sizing DIR``).

:func:`check_sizing` is run by ``flowsim-board`` before the notebook ``notebooks/board_sizing.py``, as
:func:`flowsim.experiment.sweep.check_collected` is for a sweep's pack: a folder without
``recommendation.json`` and ``candidates.csv``, with one unreadable or lacking what the pack shows,
or with the two written by different searches (a rerun stopped between them, files copied in from
elsewhere), stops with one line naming the file and the fix, never with a traceback from a cell.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from flowsim.model.errors import ConfigError

__all__ = ["SIZING_FILES", "check_sizing"]

# What the pack reads from a flowsim-size folder: without either there is nothing to present.
SIZING_FILES = ("recommendation.json", "candidates.csv")
_KEYS = ("objective", "constraints", "confidence", "seed", "recommended", "recommended_label", "today",
         "objective_mean", "replications", "meets_targets_with_confidence", "against_today", "search",
         "validation")
_COLUMNS = ("candidate", "replications", "shortlisted", "eliminated_at", "recommended", "today",
            "meets_targets", "meets_targets_with_confidence", "on_pareto", "cost_services_per_year_mean",
            "delayed_days_per_year_mean")
_RERUN = "rerun flowsim-size SIZING.yaml --output DIR (it resumes from DIR/checkpoints)"


def check_sizing(folder: str | Path) -> dict[str, Any]:
    """Refuse a folder the pack cannot be built from; its ``recommendation.json`` when it can.

    Parameters
    ----------
    folder : path
        A ``flowsim-size`` output folder.

    Returns
    -------
    dict
        ``recommendation.json``.

    Raises
    ------
    ConfigError
        Naming the missing or inconsistent file and the fix: a file missing, unreadable, without the
        fields the pack shows, or ``candidates.csv`` from another search than ``recommendation.json``.
    """
    folder = Path(folder)
    if not folder.is_dir():  # "does not exist", as every command words a folder it cannot use
        what = "is a file, not a flowsim-size output folder" if folder.exists() else "does not exist"
        raise ConfigError(str(folder), what, "give the folder flowsim-size wrote (its --output DIR)")
    for name in SIZING_FILES:
        if not (folder / name).is_file():
            raise ConfigError(str(folder / name), "is missing: the folder holds no finished flowsim-size "
                              "search", "run flowsim-size SIZING.yaml --output DIR first, then "
                              "flowsim-board --sizing DIR (for a sweep folder, leave out --sizing)")
    path = folder / "recommendation.json"
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), f"is not valid JSON ({error})", _RERUN) from None
    missing = [k for k in _KEYS if not isinstance(rec, dict) or k not in rec]
    if missing:
        raise ConfigError(str(path), f"lacks {', '.join(missing)}", f"{_RERUN} with this flowsim")
    path = folder / "candidates.csv"
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), f"is not a readable table ({' '.join(str(error).split())})",
                          _RERUN) from None
    objective = f"{rec['objective']}_mean"
    absent = [c for c in (*_COLUMNS, objective, *rec["recommended"]) if c not in table.columns]
    if absent:
        raise ConfigError(str(path), f"lacks the columns {', '.join(absent)}", f"{_RERUN} with this flowsim")
    chosen = table.loc[table["recommended"].astype(bool), "candidate"].tolist()
    if chosen != [rec["recommended_label"]] or len(table) != rec["search"]["candidates_tried"]:
        raise ConfigError(str(path), f"and recommendation.json come from different searches (it "
                          f"recommends {', '.join(map(str, chosen)) or 'nothing'} of {len(table)} mixes; "
                          f"recommendation.json {rec['recommended_label']} of "
                          f"{rec['search']['candidates_tried']})", _RERUN)
    return rec
