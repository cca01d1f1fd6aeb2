"""Reading the files a run or a sweep wrote, with damage named in one line.

A file cut short (a full disk, a killed copy) or overwritten is a
:class:`~flowsim.model.errors.ConfigError` naming the file and how to write it again (:func:`job_fix`
for a sweep's job, :data:`RUN_FIX` for a run), not a ``JSONDecodeError`` or an Arrow error from deep
inside pandas. flowsim-collect, flowsim-report and flowsim-board read through these functions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from flowsim.model.errors import ConfigError

__all__ = ["RUN_FIX", "job_fix", "read_census", "read_json", "read_parquet"]

# How a damaged or missing file of a single run is written again (run_scenario resumes its checkpoints).
RUN_FIX = "rerun the run's command (it writes the run's files again)"


def job_fix(folder: str | Path) -> str:
    """How a damaged or missing file of the sweep job in ``folder`` is written again."""
    return f"rerun the sweep's command, which redoes job {Path(folder).name}"


def read_json(path: str | Path, fix: str) -> dict[str, Any]:
    """A JSON object flowsim wrote (``metrics.json``, ``manifest.json``, ...).

    Parameters
    ----------
    path : path
        The file.
    fix : str
        How to write it again, for the error (:func:`job_fix`, :data:`RUN_FIX`).

    Raises
    ------
    ConfigError
        If the file is missing, unreadable, not JSON (e.g. truncated) or not a JSON object; the field is
        its path.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), "is missing", fix) from None
    except json.JSONDecodeError as error:
        raise ConfigError(str(path), f"is not readable JSON, damaged or cut short ({error.msg}: line "
                          f"{error.lineno}, column {error.colno})", fix) from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "is not readable JSON, damaged or cut short (not UTF-8 text)",
                          fix) from None
    except OSError as error:
        raise ConfigError(str(path), f"cannot be read ({error.strerror or error})", fix) from None
    if not isinstance(data, dict):
        raise ConfigError(str(path), f"is damaged: it holds a JSON {type(data).__name__}, not an object",
                          fix)
    return data


def read_parquet(path: str | Path, fix: str, columns: list[str] | None = None,
                 optional: tuple[str, ...] = ()) -> pd.DataFrame:
    """A Parquet table flowsim wrote (``replications.parquet``, ``census.parquet``, ...).

    ``path`` and ``fix`` are as for :func:`read_json`.

    Parameters
    ----------
    columns : list of str, optional
        The columns to read (default: all).
    optional : tuple of str
        Further columns, read where the file has them (tables written before a column existed lack it).

    Raises
    ------
    ConfigError
        If the file is missing, unreadable, or not a readable Parquet file (truncated, or its pages
        garbled); the field is its path.
    """
    try:
        if optional:
            present = pq.read_schema(path).names
            columns = [*(columns or []), *(c for c in optional if c in present)]
        return pd.read_parquet(path, columns=columns)
    except FileNotFoundError:
        raise ConfigError(str(path), "is missing", fix) from None
    except PermissionError as error:
        raise ConfigError(str(path), f"cannot be read ({error.strerror})", fix) from None
    # Arrow says OSError ("Couldn't deserialize thrift") for garbled pages, ArrowInvalid (a ValueError)
    # for a file cut short; its message repeats the path and explains little to a planner
    except (pa.ArrowException, OSError, ValueError):
        raise ConfigError(str(path), "is not a readable Parquet file, damaged or cut short", fix) from None


def read_census(folder: str | Path, fix: str) -> pd.DataFrame | None:
    """``census.parquet`` of a run or job folder; None when the run was made without it.

    A run made with ``outputs.census=false`` (as its ``manifest.json`` records) writes no census:
    a report leaves the census figures out. A census missing from a run that wrote one is an error.

    Raises
    ------
    ConfigError
        If the census is damaged, or missing while the manifest does not say ``outputs.census=false``.
    """
    root = Path(folder)
    path = root / "census.parquet"
    if not path.is_file():
        config = read_json(root / "manifest.json", fix).get("config")
        outputs = config.get("outputs") if isinstance(config, dict) else None
        if isinstance(outputs, dict) and outputs.get("census") is False:
            return None
    return read_parquet(path, fix)
