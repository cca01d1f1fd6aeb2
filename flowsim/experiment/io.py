"""Writing results: Parquet/CSV/JSON files, written whole or in parts, and a run manifest.

Every file is written atomically (to a temporary name in the same folder, then renamed), so an
interrupted run leaves either the whole file or none of it. Parquet files use plain column types
(floats, ints, strings, timestamps) so pandas, polars and DuckDB all read them. What a run's own tables
hold (its patient records and census) is :mod:`flowsim.experiment.run_tables`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from flowsim.experiment import arrow_tables
from flowsim.experiment.parquet_footer import MAGIC as PARQUET_MAGIC
from flowsim.experiment.parquet_footer import Footer, append_part, read_footer, write_footer
from flowsim.model.scenario import Scenario
from flowsim.model.versions import package_versions

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ParquetConcat",
    "ParquetParts",
    "atomic_write",
    "concat_parquet",
    "manifest",
    "write_arrow",
    "write_frames",
    "write_json",
    "write_rows_csv",
    "write_table",
]

# Rows of a Parquet row group: pyarrow's default, so a table written in parts of this size has the
# same row groups (and bytes) as the same table written whole.
ROWS_PER_GROUP = 1024 * 1024
# Every Parquet file flowsim writes: no dictionary encoding. For the patient records it is the costly
# part of writing (a third of the time without it) and, with Snappy, the files come out smaller.
PARQUET_OPTIONS: dict[str, Any] = {"use_dictionary": False}


def _new_temporary(target: Path) -> Path:
    """Create an empty ``.<name>.<random>.tmp`` beside ``target``, with the permissions of any new file.

    Not ``tempfile.mkstemp``: it makes files 0600, so colleagues sharing the results could not read
    them. Creating the file with mode 0666 lets the kernel apply the process umask (0644 under the
    usual 022) and any default ACL of the folder, without reading the process-wide umask (which
    ``os.umask`` can only do by changing it, racing with other threads).
    """
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"no free temporary name beside {target}")


def atomic_write(path: str | Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp_path)`` then rename the temporary file onto ``path``.

    The file gets the permissions of any newly created file (``0o666 & ~umask``).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_temporary(target)
    try:
        writer(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as Parquet (``.parquet``) or CSV (``.csv``), atomically."""
    target = Path(path)
    if target.suffix == ".parquet":
        return atomic_write(target, lambda tmp: frame.to_parquet(tmp, index=False, **PARQUET_OPTIONS))
    if target.suffix == ".csv":
        return atomic_write(target, lambda tmp: frame.to_csv(tmp, index=False))
    raise ValueError(f"unsupported table format: {target.suffix}")


def write_rows_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str], path: str | Path) -> Path:
    """Write ``rows`` (dicts) under the header ``columns`` as CSV, atomically: the text pandas writes for
    the frame of the rows (:func:`flowsim.experiment.arrow_tables.write_csv`)."""
    return atomic_write(path, lambda tmp: arrow_tables.write_csv(rows, columns, tmp))


def write_arrow(arrow_table: Any, path: str | Path) -> Path:
    """Write an Arrow table as Parquet, atomically, with the options of every table flowsim writes
    (:data:`PARQUET_OPTIONS`). With the pandas metadata :mod:`flowsim.experiment.arrow_tables` gives it,
    pandas reads back the frame :func:`write_table` would have written."""
    import pyarrow.parquet as pq

    return atomic_write(path, lambda tmp: pq.write_table(arrow_table, tmp, **PARQUET_OPTIONS))


class ParquetParts:
    """A Parquet file written a frame (row group) at a time; it appears, whole, at :meth:`close`.

    Use as a context manager: an error inside discards the partial file.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp: Path | None = None
        self._writer: Any = None

    def write(self, frame: pd.DataFrame | Any) -> None:
        """Append ``frame`` (a DataFrame or an Arrow table; the columns of the first) as a row group."""
        import pyarrow as pa  # only when writing
        import pyarrow.parquet as pq

        schema = None if self._writer is None else self._writer.schema
        table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(
            frame, preserve_index=False, schema=schema)
        if self._writer is None:
            self._tmp = _new_temporary(self.path)
            self._writer = pq.ParquetWriter(self._tmp, table.schema, **PARQUET_OPTIONS)
        self._writer.write_table(table)

    def close(self) -> Path:
        """Finish the file and put it in place (at least one frame must have been written)."""
        if self._writer is None:
            raise ValueError(f"no frames to write to {self.path}")
        self._writer.close()
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Discard the partial file."""
        if self._writer is not None:
            self._writer.close()
            Path(self._tmp).unlink(missing_ok=True)
            self._writer = None

    def __enter__(self) -> ParquetParts:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def write_frames(frames: Iterable[pd.DataFrame], path: str | Path) -> Path:
    """Write ``frames`` (at least one, same columns) as one Parquet file, a row group each, atomically.

    One frame is converted at a time, so a table too big to hold whole can be written from its parts;
    a single frame gives the same bytes as :func:`write_table`.
    """
    with ParquetParts(path) as parts:
        for frame in frames:
            parts.write(frame)
    return Path(path)


class ParquetConcat:
    """Parquet files appended one after another into one file, which appears, whole, at :meth:`close`.

    Each part's row groups are copied as they are, byte for byte, as soon as it is appended
    (:mod:`~flowsim.experiment.parquet_footer`): nothing is decoded, so a run writes its final table
    while its replications are still running at the cost of a file copy, and memory holds no part.
    Parts must have the same columns; a part whose column types differ from the first's (e.g. an
    all-null column) is rewritten with the first's types before it is copied. A single part is
    copied whole: the first part waits for a second. Use as a context manager: an error inside
    discards the partial file.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._first: Path | None = None
        self._tmp: Path | None = None
        self._out: BinaryIO | None = None
        self._footer: Footer | None = None
        self._shared = b""  # the first part's schema and metadata, encoded: what every part must share
        self._groups: list = []
        self.parts = 0

    def append(self, part: str | Path) -> None:
        """Add the Parquet file ``part`` after those appended before."""
        self.parts += 1
        if self.parts == 1:
            self._first = Path(part)
            return
        if self._out is None:
            assert self._first is not None
            self._footer = read_footer(self._first)
            self._shared = self._footer.shared()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._tmp = _new_temporary(self.path)
            self._out = open(self._tmp, "wb")  # closed by close or abort
            self._out.write(PARQUET_MAGIC)
            append_part(self._out, self._first, self._footer, self._groups)
        self._append(Path(part))

    def _append(self, part: Path) -> None:
        assert self._out is not None and self._footer is not None
        footer = read_footer(part)
        if footer.shared() == self._shared:
            append_part(self._out, part, footer, self._groups)
            return
        conformed = self._conformed(part)
        try:
            footer = read_footer(conformed)
            if footer.shared() != self._shared:
                raise ValueError(f"{part}: its columns cannot be stored as those of {self._first}")
            append_part(self._out, conformed, footer, self._groups)
        finally:
            conformed.unlink(missing_ok=True)

    def _conformed(self, part: Path) -> Path:
        """``part`` rewritten, beside the result, with the first part's columns and types."""
        import pyarrow.parquet as pq  # only for a part that needs it

        assert self._first is not None
        schema = pq.read_schema(self._first)
        table = pq.read_table(part).select(schema.names).cast(schema)
        conformed = _new_temporary(self.path)
        pq.write_table(table, conformed, **PARQUET_OPTIONS)
        return conformed

    def close(self) -> Path:
        """Finish the file and put it in place (at least one part must have been appended)."""
        if self._first is None:
            raise ValueError(f"no parts to write to {self.path}")
        if self._out is None:
            first = self._first
            return atomic_write(self.path, lambda tmp: shutil.copyfile(first, tmp))
        assert self._footer is not None and self._tmp is not None
        write_footer(self._out, self._footer, self._groups)
        self._out.close()
        self._out = None
        os.replace(self._tmp, self.path)
        self._tmp = None
        return self.path

    def abort(self) -> None:
        """Discard the partial file (nothing, once it is in place)."""
        if self._out is not None:
            self._out.close()
            self._out = None
        if self._tmp is not None:
            Path(self._tmp).unlink(missing_ok=True)
            self._tmp = None

    def __enter__(self) -> ParquetConcat:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is not None:
            self.abort()


def concat_parquet(parts: Sequence[str | Path], path: str | Path) -> Path:
    """Write the Parquet files ``parts`` one after another as one file, atomically.

    One part is read at a time and becomes a row group (or more) of the result, so memory holds a
    single part however many there are; a single part is copied byte for byte. Parts must have the
    same columns (types are cast to the first part's where they differ, e.g. an all-null column).
    """
    with ParquetConcat(path) as joined:
        for part in parts:
            joined.append(part)
        return joined.close()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None  # JSON has no NaN; null reads back as "not available"
    return value


def write_json(data: dict[str, Any], path: str | Path) -> Path:
    """Write ``data`` as indented JSON (NaN becomes null), atomically."""
    text = json.dumps(_jsonable(data), indent=2)  # keys in the order given
    return atomic_write(path, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))


def _git_sha() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def manifest(config: dict[str, Any], overrides: Sequence[str], scenario: Scenario) -> dict[str, Any]:
    """What is needed to reproduce a run: config, overrides, seed, versions, git SHA, time."""
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seed": scenario.seed,
        "replications": scenario.replications,
        "overrides": list(overrides),
        "config": config,
        "versions": package_versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_sha": _git_sha(),
    }
