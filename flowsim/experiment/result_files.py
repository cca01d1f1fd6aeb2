"""Reading the files a run or a sweep wrote, with damage named in one line.

A file cut short (a full disk, a killed copy) or overwritten is a
:class:`~flowsim.model.errors.ConfigError` naming the file and how to write it again (:func:`job_fix`
for a sweep's job, :data:`RUN_FIX` for a run), not a ``JSONDecodeError`` or an Arrow error from deep
inside pandas. flowsim-collect, flowsim-report and flowsim-board read through these functions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowsim.model.errors import ConfigError

if TYPE_CHECKING:  # pandas and pyarrow only to read tables: a run's checks read JSON alone
    import pandas as pd

__all__ = ["RESULT_COLUMNS", "RUN_FIX", "job_fix", "read_census", "read_csv", "read_json", "read_parquet"]

# How a damaged or missing file of a single run is written again (run_scenario resumes its checkpoints).
RUN_FIX = "rerun the run's command (it writes the run's files again)"

# The columns a run's table of this name has held since flowsim first wrote it, and its readers use
# (collect and compare, the report's and the board's figures); columns added later are optional.
RESULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "replications.parquet": ("replication", "observed_days", "delayed_days_total", "cost_delayed_days"),
    "units.parquet": ("replication", "unit", "capacity"),
    "census.parquet": ("replication", "date", "day", "nctr_census"),
}


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
        kind = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}.get(
            type(data), "a number")
        raise ConfigError(str(path), f"is damaged: it holds {kind}, not a JSON object",
                          fix)
    return data


def read_parquet(path: str | Path, fix: str, columns: list[str] | None = None,
                 optional: tuple[str, ...] = ()) -> pd.DataFrame:
    """A Parquet table flowsim wrote (``replications.parquet``, ``census.parquet``, ...).

    ``path`` and ``fix`` are as for :func:`read_json`. A file of a name in :data:`RESULT_COLUMNS` must
    hold its columns, whichever are read: a readable table without them is another file saved over it,
    and would fail later with a ``KeyError`` deep in a figure.

    Parameters
    ----------
    columns : list of str, optional
        The columns to read (default: all); each must be in the file.
    optional : tuple of str
        Further columns, read where the file has them (tables written before a column existed lack it).

    Raises
    ------
    ConfigError
        If the file is missing, unreadable, not a readable Parquet file (truncated, or its pages
        garbled), or lacks a column it needs; the field is its path.
    """
    import pandas as pd
    import pyarrow.parquet as pq

    with _parquet_errors(path, fix):
        present = pq.read_schema(path).names
    needed = dict.fromkeys([*RESULT_COLUMNS.get(Path(path).name, ()), *(columns or ())])
    missing = [c for c in needed if c not in present]
    if missing:
        shown = ", ".join(present[:6]) + (", ..." if len(present) > 6 else "") or "none"
        raise ConfigError(str(path), f"lacks the column(s) {', '.join(missing)} (it holds {shown}): it is "
                          "not the table flowsim writes there", fix)
    wanted = None if columns is None else [*columns, *(c for c in optional if c in present)]
    with _parquet_errors(path, fix):
        return pd.read_parquet(path, columns=wanted)


@contextmanager
def _parquet_errors(path: str | Path, fix: str) -> Iterator[None]:
    """Turn a failure to read the Parquet file ``path`` into a :class:`ConfigError` naming it."""
    import pyarrow as pa

    try:
        yield
    except FileNotFoundError:
        raise ConfigError(str(path), "is missing", fix) from None
    except PermissionError as error:
        raise ConfigError(str(path), f"cannot be read ({error.strerror})", fix) from None
    # Arrow says OSError ("Couldn't deserialize thrift") for garbled pages, ArrowInvalid (a ValueError)
    # for a file cut short; its message repeats the path and explains little to a planner
    except (pa.ArrowException, OSError, ValueError):
        raise ConfigError(str(path), "is not a readable Parquet file, damaged or cut short", fix) from None


def read_csv(path: str | Path, fix: str, columns: list[str]) -> pd.DataFrame:
    """A CSV table flowsim wrote (``comparison.csv``, ...), whole and with ``columns``.

    ``path`` and ``fix`` are as for :func:`read_json`. flowsim ends every line of a CSV file, so a file
    whose last line has no end was cut short (a full disk, a killed copy): read as it stands, its last
    row would hold a number cut in the middle.

    Raises
    ------
    ConfigError
        If the file is missing, unreadable, empty, cut short, not text (binary, or not UTF-8), not a
        CSV table, or lacks one of ``columns``; the field is its path.
    """
    import pandas as pd

    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(str(path), "is missing", fix) from None
    except OSError as error:
        raise ConfigError(str(path), f"cannot be read ({error.strerror or error})", fix) from None
    if not data.strip():
        raise ConfigError(str(path), "is empty", fix)
    try:
        text: str | None = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\0" in text:  # a NUL is UTF-8 too, but no table flowsim writes holds one
        raise ConfigError(str(path), "is not a CSV table (binary data, not UTF-8 text)", fix)
    if not text.endswith("\n"):
        raise ConfigError(str(path), "is cut short (its last line has no end)", fix)
    try:
        table = pd.read_csv(StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        reason = " ".join(str(error).split()).rstrip(".")
        raise ConfigError(str(path), f"is not a readable CSV table ({reason})", fix) from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ConfigError(str(path), f"lacks the column(s) {', '.join(missing)}: it is not the table flowsim "
                          "writes there", fix)
    return table


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
