"""A run's tables built in Arrow, written as pandas writes them, without importing pandas.

A run writes its tables (units, census, patients, replications) as Parquet and its summary as CSV.
Going through pandas costs a process about 0.2 s of CPU for the import alone, a sixth of a default
run, so the run builds them in Arrow instead. What a reader gets back is what it always got: each
file carries the pandas metadata that gives pandas its column types (``Int64`` with missing values,
``string`` names, timestamps in microseconds), and every other reader (polars, DuckDB, pyarrow) reads
plain Parquet types. ``tests/test_arrow_tables.py`` reads each table back in pandas and compares it
with the frame pandas itself made of the same values, dtype for dtype.

Column types are named as pandas names them: ``int64``, ``float64``, ``bool``, ``str`` (text),
``string`` (text in pandas' ``string`` type), ``Int64`` (whole numbers, some missing),
``datetime64[us]``, the narrower numbers pandas keeps as they are (``int8`` to ``int32``, ``uint8`` to
``uint64``, ``float16``, ``float32``) and ``empty`` (a column of None only: pandas' object column of
None, Arrow's null type).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from flowsim.measures.kpi_table import is_number

__all__ = [
    "DTYPES",
    "arrays_table",
    "arrow_array",
    "coded_text_array",
    "days_to_timestamps",
    "float_text",
    "pandas_schema",
    "rows_table",
    "table",
    "table_rows",
    "write_csv",
]

# pandas' name of a column type -> (Arrow type name, pandas_type, numpy_type) of the metadata pandas
# writes. Text is stored as Arrow ``large_string``, as pandas 3 stores it (so tables of earlier runs
# concatenate with these in Arrow); pandas 3 reads it back as ``str`` and pandas 2 as object, as each
# reads the text columns it writes itself.
DTYPES: dict[str, tuple[str, str, str]] = {
    "int64": ("int64", "int64", "int64"),
    "float64": ("float64", "float64", "float64"),
    "bool": ("bool_", "bool", "bool"),
    "str": ("large_string", "unicode", "object"),
    "string": ("large_string", "unicode", "string"),
    "Int64": ("int64", "int64", "Int64"),
    "datetime64[us]": ("timestamp_us", "datetime", "datetime64[us]"),
    **{name: (name, name, name) for name in ("int8", "int16", "int32", "uint8", "uint16", "uint32", "uint64",
                                             "float16", "float32")},
    "empty": ("null", "empty", "object"),
}
_WHOLE = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "Int64")
_FLOATS = ("float16", "float32", "float64")
# Arrow's name of each narrower number type -> its numpy type
_NARROW = {"int8": "int8", "int16": "int16", "int32": "int32", "uint8": "uint8", "uint16": "uint16",
           "uint32": "uint32", "uint64": "uint64", "halffloat": "float16", "float": "float32"}

_NS_PER_DAY = 86_400 * 10**9
_DAY_DIGITS = 13  # pandas rounds a fraction of a day to int(log10(_NS_PER_DAY)) digits


def _arrow_type(name: str) -> Any:
    import pyarrow as pa

    return pa.timestamp("us") if name == "timestamp_us" else getattr(pa, name)()


@cache
def _pandas_version() -> str:
    """The installed pandas' version, read from its metadata (pandas itself is not imported)."""
    try:
        return metadata.version("pandas")
    except metadata.PackageNotFoundError:
        return "unknown"


def pandas_schema(columns: Sequence[tuple[str, str]]) -> Any:
    """The Arrow schema of ``columns`` (name, pandas type name), with the metadata pandas reads.

    Parameters
    ----------
    columns : sequence of (str, str)
        Each column's name and its pandas type, a key of :data:`DTYPES`.

    Returns
    -------
    pyarrow.Schema
        With ``pandas`` metadata as :meth:`pyarrow.Schema.from_pandas` writes it for a frame without an
        index, so ``pandas.read_parquet`` gives back those types.
    """
    import pyarrow as pa

    fields, described = [], []
    for name, dtype in columns:
        arrow, pandas_type, numpy_type = DTYPES[dtype]
        fields.append(pa.field(name, _arrow_type(arrow)))
        described.append({"name": name, "field_name": name, "pandas_type": pandas_type,
                          "numpy_type": numpy_type, "metadata": None})
    pandas = {"index_columns": [], "column_indexes": [], "columns": described,
              "creator": {"library": "pyarrow", "version": pa.__version__},
              "pandas_version": _pandas_version()}
    return pa.schema(fields, metadata={b"pandas": json.dumps(pandas).encode()})


def _bitmap(present: np.ndarray) -> tuple[Any, int]:
    """Arrow's validity bitmap of ``present`` (booleans) and the null count; (None, 0) when none is null."""
    import pyarrow as pa

    nulls = int(present.size - np.count_nonzero(present))
    return (pa.py_buffer(np.packbits(present, bitorder="little")) if nulls else None), nulls


def _text_array(values: Sequence[str | None]) -> Any:
    """An Arrow ``large_string`` array of ``values`` (None missing), from its buffers."""
    import pyarrow as pa

    encoded = [b"" if v is None else v.encode() for v in values]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    validity, nulls = _bitmap(np.array([v is not None for v in values], dtype=bool))
    return pa.Array.from_buffers(pa.large_string(), len(encoded), [
        validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))], null_count=nulls)


def coded_text_array(codes: np.ndarray, names: Sequence[str]) -> Any:
    """An Arrow ``large_string`` array of ``names[code]`` for each of ``codes`` (a negative code is missing).

    Gathered with numpy, not with Arrow's ``take``, which would import ``pyarrow.compute`` (about
    0.04 s): each row's bytes are taken from the names written one after another, so the work grows
    with the text written (little for a mostly missing column), not with rows times the longest name.
    """
    import pyarrow as pa

    codes = np.asarray(codes)
    if codes.size and codes.max() >= len(names):
        raise IndexError(f"code {codes.max()} has no name (there are {len(names)})")
    encoded = [name.encode() for name in names]
    name_lengths = np.array([len(e) for e in encoded] or [0], dtype=np.int64)
    name_starts = np.zeros(name_lengths.size, dtype=np.int64)
    np.cumsum(name_lengths[:-1], out=name_starts[1:])
    valid = codes >= 0
    safe = np.where(valid, codes, 0)
    lengths = np.where(valid, name_lengths[safe], 0)
    offsets = np.zeros(codes.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    # byte j of the text is byte (j - its row's offset) of its row's name in the joined names
    where = np.repeat(name_starts[safe] - offsets[:-1], lengths) + np.arange(offsets[-1])
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8)[where]
    validity, nulls = _bitmap(valid)
    return pa.Array.from_buffers(pa.large_string(), codes.size, [
        validity, pa.py_buffer(offsets), pa.py_buffer(data)], null_count=nulls)


def arrow_array(values: Any, dtype: str, missing: np.ndarray | None = None) -> Any:
    """An Arrow array of ``values`` with the pandas type ``dtype``, built from its buffers.

    ``pyarrow.array`` imports pandas the first time it is called (to ask whether a value is a pandas
    object), which is the cost this module avoids; building from buffers never does. ``missing``
    (booleans, optional) marks further missing values; NaN in a float column and NaT are missing too,
    and None anywhere, as pandas stores them. Whole numbers are stored in the width ``dtype`` names
    (those it cannot hold are refused, not wrapped); floats are rounded to it.
    """
    import pyarrow as pa

    if dtype in ("str", "string"):
        texts = list(values)
        if missing is not None:
            texts = [None if m else v for v, m in zip(texts, missing.tolist(), strict=True)]
        return _text_array(texts)
    if dtype == "empty":
        n = len(values)
        return pa.Array.from_buffers(pa.null(), n, [None], null_count=n)
    if not isinstance(values, np.ndarray):  # a list, perhaps with None
        items = list(values)
        absent = np.array([v is None for v in items], dtype=bool)
        if absent.any():
            missing = absent if missing is None else missing | absent
            items = [(math.nan if dtype in _FLOATS else 0) if v is None else v for v in items]
        values = np.array(items, dtype=dtype if dtype in _FLOATS else None)
    n = len(values)
    if dtype == "bool":
        data = pa.py_buffer(np.packbits(values.astype(bool), bitorder="little"))
        present = np.ones(n, dtype=bool)
    elif dtype == "datetime64[us]":
        stamps = values.astype("datetime64[us]")
        data, present = pa.py_buffer(stamps.view(np.int64)), ~np.isnat(stamps)
    elif dtype in _FLOATS:
        floats = values.astype(dtype)
        data, present = pa.py_buffer(floats), ~np.isnan(floats)
    elif dtype in _WHOLE:
        width = np.dtype("int64" if dtype == "Int64" else dtype)
        if values.dtype.kind in "iu" and values.size and not np.can_cast(values.dtype, width):
            low, high, bounds = values.min(), values.max(), np.iinfo(width)
            if low < bounds.min or high > bounds.max:
                raise OverflowError(f"a whole number {high if high > bounds.max else low} has no {dtype} "
                                    f"column (it holds {bounds.min} to {bounds.max})")
        data, present = pa.py_buffer(values.astype(width)), np.ones(n, dtype=bool)
    else:
        raise ValueError(f"no Arrow array for the type {dtype!r}")
    if missing is not None:
        present &= ~missing
    validity, nulls = _bitmap(present)
    return pa.Array.from_buffers(_arrow_type(DTYPES[dtype][0]), n, [validity, data], null_count=nulls)


def table(columns: Mapping[str, Any], dtypes: Mapping[str, str]) -> Any:
    """An Arrow table of ``columns`` (arrays or lists, in order) with the pandas types ``dtypes``.

    A NaN in a float column, and None anywhere, is stored as missing (as pandas stores them). An Arrow
    array (e.g. from :func:`coded_text_array`) is taken as it is: it must have its column's type.
    """
    import pyarrow as pa

    schema = pandas_schema([(name, dtypes[name]) for name in columns])
    arrays = [columns[field.name] if isinstance(columns[field.name], pa.Array)
              else arrow_array(columns[field.name], dtypes[field.name]) for field in schema]
    return pa.Table.from_arrays(arrays, schema=schema)  # refuses an Arrow array of another type


def _array_dtype(name: str, values: np.ndarray) -> str:
    kind = values.dtype.kind
    if kind in "iuf" and values.dtype.name in DTYPES:
        return values.dtype.name  # narrow ones too: pandas keeps int32 as int32, float32 as float32
    if kind in "bM":
        return "bool" if kind == "b" else "datetime64[us]"
    raise TypeError(f"column {name!r}: numpy type {values.dtype} has no table type here")


def arrays_table(columns: Mapping[str, np.ndarray]) -> Any:
    """An Arrow table of numpy ``columns`` (in order), typed as ``pandas.DataFrame(columns)`` types them:
    each integer and float type kept as it is (``int32`` stays ``int32``, ``float32`` stays ``float32``,
    as ``DataFrame.to_parquet`` stores them; NaN missing), booleans as ``bool``. Dates and times are
    stored in microseconds whatever their unit (pandas would keep nanoseconds, and store seconds as
    milliseconds)."""
    arrays = {name: np.asarray(values) for name, values in columns.items()}
    return table(arrays, {name: _array_dtype(name, values) for name, values in arrays.items()})


def _is_nan(value: Any) -> bool:
    return isinstance(value, float | np.floating) and math.isnan(value)


def _column_type(values: Sequence[Any]) -> str:
    """The type pandas gives a column of Python or numpy values, one from each row of a frame made from a
    list of dicts (NaN where a row lacks the key, as pandas has it): a key of :data:`DTYPES`, or
    ``object`` where pandas keeps the values as they are (a mix, booleans with one missing)."""
    known = [v for v in values if v is not None]
    if not known:
        return "empty"
    present = [v for v in known if not _is_nan(v)]
    if present and all(isinstance(v, str) for v in present):
        return "str"
    if present and all(isinstance(v, bool | np.bool_) for v in present):
        return "bool" if len(present) == len(values) else "object"
    if not all(is_number(v) for v in known):
        return "object"
    if len(known) == len(values) and all(isinstance(v, np.generic) for v in known):
        # numpy numbers only (NaN among them): pandas keeps the widest of their widths
        kinds = {v.dtype.kind for v in known}
        bits = 8 * max(v.dtype.itemsize for v in known)
        return (f"float{bits}" if "f" in kinds else f"int{bits}" if kinds == {"i"}
                else f"uint{bits}" if kinds == {"u"} else "object")  # signed and unsigned: a mix
    whole = [int(v) for v in known if not isinstance(v, float | np.floating)]
    if not (all(-2**63 <= w < 2**63 for w in whole) or all(0 <= w < 2**64 for w in whole)):
        return "object"  # no int64 or uint64 column holds them all
    if len(known) < len(values) or len(whole) < len(known):
        return "float64"  # a number missing from a row, or a float among them: float, NaN where missing
    return "int64" if all(w < 2**63 for w in whole) else "uint64"


def _row_dtype(name: str, values: list[Any]) -> str:
    """The type pandas gives a column of Python values (one from each row) made from a list of dicts.

    Whole numbers with one missing are ``float64``, as in pandas; numpy numbers alone keep their width.
    A column pandas would leave as objects (a mix of types, booleans with some missing) is refused.
    """
    dtype = _column_type(values)
    if dtype == "object":
        present = [v for v in values if v is not None]
        some = " (some missing)" if len(present) < len(values) else ""
        raise TypeError(f"column {name!r}: values of types {sorted({type(v).__name__ for v in present})}"
                        f"{some} have no single table type")
    return dtype


def rows_table(rows: Sequence[Mapping[str, Any]]) -> Any:
    """An Arrow table of ``rows`` (dicts), typed as ``pandas.DataFrame(rows)`` types them.

    Columns come in the order they first appear; a value missing from a row is missing in the table.
    At least one row is needed (an empty table has no columns to type).
    """
    if not rows:
        raise ValueError("no rows to make a table of")
    names = list(dict.fromkeys(name for row in rows for name in row))
    columns = {name: [row.get(name, math.nan) for row in rows] for name in names}  # NaN: as pandas
    dtypes = {name: _row_dtype(name, values) for name, values in columns.items()}
    for name, dtype in dtypes.items():
        if dtype == "str":  # text missing from a row: None
            columns[name] = [None if _is_nan(v) else v for v in columns[name]]
    return table(columns, dtypes)


def table_rows(arrow_table: Any) -> list[dict[str, Any]]:
    """The rows of an Arrow table as dicts of Python values, a missing float as NaN (as pandas has it).

    A narrower number (``float32``, ``int32``, ...) comes back as a numpy number of its width, so the
    rows make the same table again (:func:`rows_table`) and the same CSV text (:func:`write_csv`); a
    whole number with one missing comes back as a float, NaN there (pandas reads it as ``float64``).
    """
    import pyarrow as pa

    columns = {}
    for name, column in zip(arrow_table.column_names, arrow_table.columns, strict=True):
        values = column.to_pylist()
        width = _NARROW.get(str(column.type))
        if pa.types.is_floating(column.type) or (pa.types.is_integer(column.type) and column.null_count):
            values = [math.nan if v is None else v for v in values]
            width = width if pa.types.is_floating(column.type) else None
        columns[name] = values if width is None else list(np.array(values, dtype=width))
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def days_to_timestamps(start: dt.date, days: np.ndarray) -> np.ndarray:
    """``start`` plus ``days`` (floats; NaN is missing) as ``datetime64[us]``, NaT where missing.

    To the microsecond what ``(pandas.Timestamp(start) + pandas.to_timedelta(days, unit="D"))
    .astype("datetime64[us]")`` gives: pandas splits each number into whole days and a fraction
    rounded to 13 digits, converts each to nanoseconds (truncating), and the conversion to
    microseconds rounds down.
    """
    values = np.asarray(days, dtype=np.float64)
    missing = np.isnan(values)
    if np.isinf(values).any():
        raise ValueError("an infinite number of days has no date")
    safe = np.where(missing, 0.0, values)
    whole = safe.astype(np.int64)  # toward zero, as C's cast
    fraction = np.round(safe - whole, _DAY_DIGITS)
    ns = whole * _NS_PER_DAY + (fraction * _NS_PER_DAY).astype(np.int64)
    start_us = np.datetime64(dt.datetime(start.year, start.month, start.day), "us")
    out = start_us + np.floor_divide(ns, 1000).astype("timedelta64[us]")
    out[missing] = np.datetime64("NaT", "us")  # with its unit: numpy 2.5 deprecates a NaT without one
    return out


def float_text(value: float) -> str:
    """A float as pandas writes it in a CSV file: the shortest text that reads back the same; NaN
    empty."""
    if math.isnan(value):
        return ""
    return repr(float(value))


def _cell_text(dtype: str) -> Any:
    """How pandas writes a value of a column of type ``dtype`` in a CSV file (a missing one empty)."""
    if dtype == "float64":  # an int among floats or with one missing too: 1.0
        return lambda value: "" if value is None else float_text(float(value))
    if dtype in ("float32", "float16"):  # numpy's shortest text of the narrower float
        return lambda value: "" if value is None or math.isnan(value) else str(getattr(np, dtype)(value))
    return lambda value: "" if value is None or _is_nan(value) else str(value)


def write_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], path: Path) -> None:
    """Write ``rows`` under the header ``columns`` as ``DataFrame(rows).to_csv(path, index=False)`` writes
    them (for the columns named): each column's values as pandas types the column (:func:`_column_type`),
    so whole numbers with one missing or among floats are written as floats (``1.0``), a ``float32``
    column in its own shortest text, text and a mix of types as they are.

    Not atomic by itself: :func:`flowsim.experiment.io.atomic_write` gives it a temporary path.
    """
    cells = [_cell_text(_column_type([row.get(name, math.nan) for row in rows])) for name in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(name)) for cell, name in zip(cells, columns, strict=True)])
    Path(path).write_text(buffer.getvalue(), encoding="utf-8")
