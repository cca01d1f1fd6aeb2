"""flowsim.experiment.arrow_tables: a run's tables built without pandas read back in pandas as the frames
pandas itself made of the same values (dtype for dtype, value for value), and the summary CSV and
timestamps are pandas' to the character and the microsecond."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from flowsim.experiment.arrow_tables import (
    arrays_table,
    days_to_timestamps,
    pandas_schema,
    rows_table,
    table,
    table_rows,
    write_csv,
)
from flowsim.experiment.io import write_arrow

NAN = float("nan")


def _read_back(arrow_table: pa.Table, tmp_path) -> pd.DataFrame:
    return pd.read_parquet(write_arrow(arrow_table, tmp_path / "t.parquet"))


def test_every_type_reads_back_as_the_frame_pandas_made(tmp_path):
    frame = pd.DataFrame({
        "i": np.array([1, -2, 3], dtype=np.int64),
        "f": [1.5, NAN, -0.0],
        "b": [True, False, True],
        "s": ["a", "b,c", 'say "x"'],
        "S": pd.array(["x", None, "z"], dtype="string"),
        "I": pd.array([1, None, 3], dtype="Int64"),
        "t": pd.Series([pd.Timestamp("2025-01-02 03:04:05.000006"), pd.NaT, pd.Timestamp("1999-12-31")],
                       dtype="datetime64[us]"),
    })
    dtypes = {"i": "int64", "f": "float64", "b": "bool", "s": "str", "S": "string", "I": "Int64",
              "t": "datetime64[us]"}
    columns = {"i": frame["i"].to_numpy(), "f": [1.5, NAN, -0.0], "b": np.array([True, False, True]),
               "s": ["a", "b,c", 'say "x"'], "S": ["x", None, "z"], "I": [1, None, 3],
               "t": frame["t"].to_numpy()}
    built = table(columns, dtypes)
    pd.testing.assert_frame_equal(_read_back(built, tmp_path), frame, check_exact=True)
    assert built["f"].null_count == 1  # NaN is stored missing, as pandas stores it
    # text as pandas 3 stores it: tables of earlier runs concatenate with these in Arrow
    assert built.schema.field("s").type == pa.large_string()
    assert built.schema.field("t").type == pa.timestamp("us")


def test_a_missing_mark_and_nan_are_missing(tmp_path):
    from flowsim.experiment.arrow_tables import arrow_array

    whole = arrow_array(np.array([4, -1, 6], dtype=np.int16), "Int64", missing=np.array([False, True, False]))
    assert whole.to_pylist() == [4, None, 6] and whole.type == pa.int64()
    text = arrow_array(["a", "b", "c"], "string", missing=np.array([True, False, False]))
    assert text.to_pylist() == [None, "b", "c"]
    floats = arrow_array([1.0, None, NAN], "float64")
    assert floats.to_pylist() == [1.0, None, None]
    with pytest.raises(ValueError, match="no Arrow array"):
        arrow_array(np.zeros(2), "complex128")


def test_rows_are_typed_as_a_frame_of_them(tmp_path):
    rows = [
        {"replication": 0, "unit": "ic_beds", "capacity": 10, "utilisation": 0.5, "open": True, "cost": 3},
        {"replication": 0, "unit": "p1", "capacity": 4, "utilisation": NAN, "open": False, "cost": 2.5},
        {"replication": 1, "unit": "p1", "capacity": 4, "utilisation": np.float64(0.25), "open": True},
    ]
    # int + float is float; a number missing from a row makes its column float, NaN there
    pd.testing.assert_frame_equal(_read_back(rows_table(rows), tmp_path), pd.DataFrame(rows),
                                  check_exact=True)
    assert [f.type for f in rows_table(rows).schema] == [pa.int64(), pa.large_string(), pa.int64(),
                                                          pa.float64(), pa.bool_(), pa.float64()]


def test_rows_that_pandas_would_leave_as_objects_are_refused():
    with pytest.raises(TypeError, match="column 'x'"):
        rows_table([{"x": 1}, {"x": "one"}])
    with pytest.raises(TypeError, match="column 'x'"):
        rows_table([{"x": True}, {"x": 2}])
    with pytest.raises(ValueError, match="no rows"):
        rows_table([])


def test_table_rows_give_back_the_rows():
    rows = [{"unit": "a", "capacity": 3, "utilisation": NAN},
            {"unit": "b", "capacity": 4, "utilisation": 0.5}]
    back = table_rows(rows_table(rows))
    assert [r["unit"] for r in back] == ["a", "b"] and [r["capacity"] for r in back] == [3, 4]
    assert isinstance(back[0]["capacity"], int) and math.isnan(back[0]["utilisation"])


def _pandas_types(arrow_table: pa.Table) -> list[tuple[str, ...]]:
    """Each column's Arrow type and the pandas and numpy types its pandas metadata names (text: the Arrow
    type alone; its metadata is that pandas 2 reads too, see flowsim.experiment.arrow_tables.DTYPES)."""
    import json

    described = json.loads(arrow_table.schema.metadata[b"pandas"])["columns"]
    return [(str(field.type),) if field.type == pa.large_string() else
            (str(field.type), c["pandas_type"], c["numpy_type"])
            for field, c in zip(arrow_table.schema, described, strict=True)]


def test_arrays_keep_their_numpy_type_as_pandas_does(tmp_path):
    # int32 stays int32 and float32 float32 (as DataFrame.to_parquet stores them), not widened
    rng = np.random.default_rng(5)
    columns = {name: rng.integers(0, 100, 4).astype(name)
               for name in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")}
    columns |= {"big": np.array([2**64 - 1, 0, 1, 2**63], dtype=np.uint64),
                "f16": np.array([0.1, NAN, -0.0, 65504.0], dtype=np.float16),
                "f32": np.array([0.1, NAN, 1e30, -3.5], dtype=np.float32),
                "f64": np.array([0.1, NAN, 1e300, -3.5]), "b": np.array([True, False, True, True]),
                "d": np.array(["2025-04-01", "2025-04-02", "NaT", "1999-12-31"],
                              dtype="datetime64[D]").astype("datetime64[us]")}
    frame = pd.DataFrame(columns)
    built = arrays_table(columns)
    pd.testing.assert_frame_equal(_read_back(built, tmp_path), frame, check_exact=True)
    assert _pandas_types(built) == _pandas_types(pa.Table.from_pandas(frame, preserve_index=False))
    assert built.schema.field("int32").type == pa.int32() and built.schema.field("f32").type == pa.float32()
    assert built["f32"].null_count == 1
    with pytest.raises(TypeError, match="column 'c'"):
        arrays_table({"c": np.array([1 + 2j])})


MISSING = object()  # the row lacks the key
COLUMNS = {  # values of one column, a row each: mixes of types pandas types in its own way
    "ints": [1, 2, 3],
    "ints, one None": [1, None, 3],
    "ints, one missing": [1, MISSING, 3],
    "ints, one NaN": [1, NAN, -3],
    "ints and floats": [1, 2.5, 3],
    "large ints, one None": [2**53 + 1, None, -(2**62)],
    "uint64": [2**63, 1, 0],
    "uint64, one None": [2**64 - 1, None, 0],
    "over uint64": [2**64, 1, 0],
    "over uint64, one None": [2**64, None, 0],
    "negative and over int64": [-1, 2**63, 0],
    "floats, one None": [1.5, None, -0.0],
    "floats, inf": [np.inf, -np.inf, 1e16],
    "NaN and None": [NAN, None, NAN],
    "None only": [None, None, None],
    "missing but once": [MISSING, MISSING, None],
    "bools": [True, False, np.True_],
    "bools, one None": [True, None, False],
    "bools and ints": [True, 2, 0],
    "bools and floats": [True, 2.5, NAN],
    "text, one None": ["a", None, "b,c"],
    "text, one missing": ["a", MISSING, NAN],
    "bools, one missing": [True, MISSING, False],
    "text and ints": ["a", 1, 2.5],
    "numpy int64": [np.int64(1), np.int64(-2), np.int64(3)],
    "numpy int64, one None": [np.int64(1), None, np.int64(3)],
    "numpy int32": [np.int32(1), np.int32(-2), np.int16(3)],
    "numpy int32, one None": [np.int32(7), None, np.int32(3)],
    "numpy int32 and int": [np.int32(7), 8, np.int32(3)],
    "numpy uint8": [np.uint8(7), np.uint8(200), np.uint8(0)],
    "numpy signed and unsigned": [np.int8(7), np.uint8(200), np.int8(0)],
    "numpy float32": [np.float32(0.1), np.float32(NAN), np.float32(1e30)],
    "numpy float32 and int32": [np.float32(0.1), np.int32(5), np.float32(-2.5)],
    "numpy float16 and uint8": [np.float16(0.1), np.uint8(200), np.float16(-2.5)],
    "numpy float32, one None": [np.float32(0.1), None, np.float32(3)],
    "numpy float32 and float": [np.float32(0.1), 0.2, np.float32(3)],
    "numpy float64, one None": [np.float64(0.1), None, np.float64(3)],
}


def _rows(values: list) -> list[dict]:
    return [{"k": i} | ({} if v is MISSING else {"x": v}) for i, v in enumerate(values)]


@pytest.mark.parametrize("mix", COLUMNS)
def test_the_csv_of_any_mix_is_pandas_own_to_the_character(tmp_path, mix):
    rows = _rows(COLUMNS[mix])
    write_csv(rows, ["k", "x"], tmp_path / "mine.csv")
    frame = pd.DataFrame(rows)
    assert (tmp_path / "mine.csv").read_text() == frame.to_csv(index=False), frame["x"].dtype


@pytest.mark.parametrize("mix", COLUMNS)
def test_rows_of_any_mix_are_the_frame_of_them_or_refused(tmp_path, mix):
    rows = _rows(COLUMNS[mix])
    frame = pd.DataFrame(rows)
    if frame["x"].dtype == object and frame["x"].notna().any():  # a mix: pandas keeps the objects
        with pytest.raises(TypeError, match="column 'x'"):
            rows_table(rows)
        return
    built = rows_table(rows)
    pd.testing.assert_frame_equal(_read_back(built, tmp_path), frame, check_exact=True)
    assert _pandas_types(built) == _pandas_types(pa.Table.from_pandas(frame, preserve_index=False))
    # and back: the rows make the same table again, and the same CSV as pandas' frame of the table
    back = table_rows(built)
    assert rows_table(back).schema == built.schema
    write_csv(back, ["k", "x"], tmp_path / "back.csv")
    assert (tmp_path / "back.csv").read_text() == pd.read_parquet(tmp_path / "t.parquet").to_csv(index=False)


def test_the_schema_carries_the_pandas_types():
    schema = pandas_schema([("a", "Int64"), ("b", "string")])
    assert b'"numpy_type": "Int64"' in schema.metadata[b"pandas"]
    assert b'"numpy_type": "string"' in schema.metadata[b"pandas"]


def test_timestamps_are_pandas_own_to_the_microsecond():
    rng = np.random.default_rng(7)
    days = np.concatenate([
        rng.uniform(-3000.0, 40000.0, 200_000),  # fractions of a day, before and after the start
        rng.integers(-50, 50, 500) + rng.integers(0, 86_400_000_000, 500) / 86_400_000_000,  # whole µs
        [NAN, 0.0, -0.0, 1e-15, -1e-15, 0.5, -0.5, 1 / 3, -1 / 3, 36524.999999999],
    ])
    start = dt.date(2025, 1, 6)
    expected = (pd.Timestamp(start) + pd.to_timedelta(days, unit="D")).astype("datetime64[us]").to_numpy()
    got = days_to_timestamps(start, days)
    assert got.dtype == np.dtype("datetime64[us]")
    assert np.array_equal(got, expected, equal_nan=True)


def test_the_summary_csv_is_pandas_own_to_the_character(tmp_path):
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.standard_normal(500) * 10.0 ** rng.integers(-20, 20, 500),
                             [NAN, 0.0, -0.0, 1e16, 1e15, 123456789012345678.0, 1e-5, 1e-4, np.inf, -np.inf]])
    rows = [{"kpi": f"k{i}" if i % 7 else f'odd, "k{i}"', "n": i, "mean": float(v), "flag": bool(i % 2)}
            for i, v in enumerate(values)]
    write_csv(rows, ["kpi", "n", "mean", "flag"], tmp_path / "mine.csv")
    pd.DataFrame(rows).to_csv(tmp_path / "pandas.csv", index=False)
    assert (tmp_path / "mine.csv").read_text() == (tmp_path / "pandas.csv").read_text()


def test_coded_text_is_each_code_name():
    from flowsim.experiment.arrow_tables import coded_text_array

    names = ["ic_beds", "p1", "", "care-home unit ü"]
    codes = np.random.default_rng(2).integers(-1, len(names), 5000)
    text = coded_text_array(codes, names)
    text.validate(full=True)
    assert text.type == pa.large_string()
    assert text.to_pylist() == [None if c < 0 else names[c] for c in codes]  # -1 missing; "" is a name
    assert coded_text_array(np.array([-1, -1]), ["x"]).to_pylist() == [None, None]
    assert coded_text_array(np.array([], dtype=np.int64), []).to_pylist() == []
    with pytest.raises(IndexError, match="code 1 has no name"):
        coded_text_array(np.array([0, 1]), ["only"])
    with pytest.raises(IndexError):
        coded_text_array(np.array([0]), [])  # not the empty text


def test_values_a_column_cannot_hold_are_refused_not_wrapped():
    from flowsim.experiment.arrow_tables import arrow_array

    with pytest.raises(OverflowError):
        arrow_array(np.array([2**64 - 1, 3], dtype=np.uint64), "int64")
    assert arrow_array(np.array([2**63 - 1], dtype=np.uint64), "int64").to_pylist() == [2**63 - 1]
    with pytest.raises(OverflowError, match="300 has no int8"):
        arrow_array(np.array([1, 300]), "int8")
    with pytest.raises(OverflowError, match="-1 has no uint64"):
        arrow_array(np.array([-1, 3]), "uint64")
    assert arrow_array(np.array([-128, 127]), "int8").type == pa.int8()
    with pytest.raises(ValueError, match="infinite"):
        days_to_timestamps(dt.date(2025, 1, 1), np.array([1.0, np.inf]))
