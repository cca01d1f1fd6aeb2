"""Parquet files joined by copying their row groups (flowsim.experiment.parquet_footer, ParquetConcat)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flowsim.experiment.io import ParquetConcat, concat_parquet
from flowsim.experiment.parquet_footer import FooterError, _put_struct, read_footer


def _tables(rows: tuple[int, ...] = (1500, 7, 2600)) -> list[pa.Table]:
    rng = np.random.default_rng(5)
    tables = []
    for part, n in enumerate(rows):
        units = np.array(["ic_beds", "care_home_unit", "flats"], dtype=object)[rng.integers(0, 3, n)]
        days = rng.exponential(20.0, n)
        days[rng.random(n) < 0.1] = np.nan
        tables.append(pa.table({
            "replication": pa.array(np.full(n, part, dtype=np.int64)),
            "unit": pa.array(units, pa.large_string()),
            "days": pa.array(days, from_pandas=True),
            "slot": pa.array(rng.integers(0, 40, n), mask=rng.random(n) < 0.3),
            "delayed": pa.array(rng.random(n) < 0.5),
        }))
    return tables


def _re_encoded(parts: list, target) -> bytes:
    """The same parts joined by decoding and writing them again (the slow way)."""
    tables = [pq.read_table(p) for p in parts]
    with pq.ParquetWriter(target, tables[0].schema, use_dictionary=False) as writer:
        for table in tables:
            writer.write_table(table)
    return target.read_bytes()


def test_a_footer_reads_and_writes_back_to_the_same_bytes(tmp_path):
    table = pa.concat_tables(_tables())
    options = [{}, {"use_dictionary": False}, {"write_page_index": True}, {"row_group_size": 1000},
               {"compression": "zstd", "write_statistics": False}]
    for i, option in enumerate(options):
        path = tmp_path / f"t{i}.parquet"
        pq.write_table(table, path, **option)
        data = path.read_bytes()
        footer = read_footer(path)
        encoded = bytearray()
        _put_struct(encoded, footer.fields)
        assert bytes(encoded) == data[footer.data_end:-8], option


@pytest.mark.parametrize("options", [
    {"use_dictionary": False},
    {"use_dictionary": True, "write_page_index": True, "row_group_size": 1000},  # offsets of every kind
])
def test_joined_parts_read_back_as_the_parts_one_after_another(tmp_path, options):
    tables = _tables()
    parts = []
    for i, table in enumerate(tables):
        parts.append(tmp_path / f"part{i}.parquet")
        pq.write_table(table, parts[-1], **options)
    joined = concat_parquet(parts, tmp_path / "joined.parquet")
    expected = pa.concat_tables(tables)
    assert pq.read_table(joined).equals(expected)
    file = pq.ParquetFile(joined)
    groups = [pq.ParquetFile(p).num_row_groups for p in parts]
    assert file.num_row_groups == sum(groups) and file.metadata.num_rows == expected.num_rows
    # every row group where its footer says (a wrong offset reads garbage or fails)
    first = 0
    for i in range(file.num_row_groups):
        group = file.read_row_group(i)
        assert group.equals(expected.slice(first, group.num_rows)), i
        first += group.num_rows
    if options.get("write_page_index"):  # each page index where the footer says, as in its part
        assert file.metadata.row_group(0).column(0).has_offset_index
        assert _page_indexes(joined) == [index for p in parts for index in _page_indexes(p)]


def _page_indexes(path) -> list[bytes]:
    """The bytes of every column chunk's offset and column index, by the footer's offsets."""
    data = path.read_bytes()
    found = []
    for group in read_footer(path).row_groups():
        for chunk in dict((f, v) for f, _, v in group)[1][1]:
            fields = {f: v for f, _, v in chunk}
            found += [data[fields[4]:fields[4] + fields[5]], data[fields[6]:fields[6] + fields[7]]]
    return found


def test_row_group_ordinals_are_numbered_through_the_joined_file(tmp_path):
    # Arrow writes no ordinals; a writer that does gets them renumbered 0, 1, ... in the joined file
    parts = []
    for i, table in enumerate(_tables()):
        plain = tmp_path / f"plain{i}.parquet"
        pq.write_table(table, plain, row_group_size=1000)
        footer = read_footer(plain)
        for number, group in enumerate(footer.row_groups()):
            group.append([7, 4, number])  # RowGroup.ordinal, an i16
        encoded = bytearray()
        _put_struct(encoded, footer.fields)
        data = plain.read_bytes()[:footer.data_end]
        parts.append(tmp_path / f"part{i}.parquet")
        parts[-1].write_bytes(data + bytes(encoded) + len(encoded).to_bytes(4, "little") + b"PAR1")
    joined = concat_parquet(parts, tmp_path / "joined.parquet")
    ordinals = [dict((f, v) for f, _, v in group)[7] for group in read_footer(joined).row_groups()]
    assert ordinals == list(range(len(ordinals))) and len(ordinals) == 2 + 1 + 3
    assert pq.read_table(joined).equals(pa.concat_tables(_tables()))


def _refused(*args: object) -> int:
    raise OSError(18, "Invalid cross-device link")


@pytest.mark.parametrize("copy", ["in the kernel", "in the kernel, in steps", "refused by the kernel",
                                  "through Python", "cut short by the kernel"])
def test_joined_file_is_the_one_decoding_and_writing_again_gives(tmp_path, monkeypatch, copy):
    parts = []
    for i, table in enumerate(_tables()):
        parts.append(tmp_path / f"part{i}.parquet")
        pq.write_table(table, parts[-1], use_dictionary=False)
    if copy == "refused by the kernel":  # e.g. another file system: Python copies it
        monkeypatch.setattr(os, "copy_file_range", _refused, raising=False)
    elif copy == "through Python":  # no copy_file_range (not Linux)
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    elif copy.startswith(("in the kernel, in steps", "cut short")) and hasattr(os, "copy_file_range"):
        real = os.copy_file_range
        calls = []

        def in_steps(src, dst, count, offset_src=None, offset_dst=None):
            calls.append(count)
            if copy.startswith("cut short") and len(calls) % 2 == 0:
                raise OSError(5, "Input/output error")  # after some bytes: Python copies it all again
            return real(src, dst, min(count, 1000), offset_src, offset_dst)

        monkeypatch.setattr(os, "copy_file_range", in_steps)
    joined = concat_parquet(parts, tmp_path / "joined.parquet")
    assert joined.read_bytes() == _re_encoded(parts, tmp_path / "slow.parquet")


def test_joined_file_reads_in_pandas_duckdb_and_polars(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    polars = pytest.importorskip("polars")
    parts = []
    for i, table in enumerate(_tables()):
        parts.append(tmp_path / f"part{i}.parquet")
        pq.write_table(table, parts[-1], use_dictionary=False)
    joined = concat_parquet(parts, tmp_path / "joined.parquet")
    expected = pa.concat_tables(_tables()).to_pandas()
    pd.testing.assert_frame_equal(pd.read_parquet(joined), expected)
    [(count, total)] = duckdb.sql(f"SELECT count(*), sum(days) FROM '{joined}'").fetchall()
    assert count == len(expected) and total == pytest.approx(expected["days"].sum())
    assert polars.read_parquet(joined).height == len(expected)
    assert polars.read_parquet(joined)["slot"].null_count() == expected["slot"].isna().sum()


def test_a_part_with_other_column_types_is_stored_as_the_first_parts(tmp_path):
    # an all-None object column has Arrow's null type: rewritten as the first part's string
    frames = [pd.DataFrame({"r": [r] * 3, "unit": ["a", None, "b"] if r != 1 else [None] * 3})
              for r in range(3)]
    parts = []
    for r, frame in enumerate(frames):
        parts.append(tmp_path / f"part{r}.parquet")
        frame.to_parquet(parts[-1], index=False)
    assert pq.read_schema(parts[1]).field("unit").type == pa.null()
    joined = concat_parquet(parts, tmp_path / "joined.parquet")
    assert pq.read_schema(joined).field("unit").type == pq.read_schema(parts[0]).field("unit").type
    back = pd.read_parquet(joined)
    assert back["unit"].isna().tolist() == [False, True, False, True, True, True, False, True, False]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["joined.parquet", "part0.parquet",
                                                           "part1.parquet", "part2.parquet"]


def test_parts_with_other_columns_are_refused_and_leave_nothing(tmp_path):
    pq.write_table(pa.table({"a": [1, 2]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"b": [1.5]}), tmp_path / "b.parquet")
    with pytest.raises(KeyError):
        concat_parquet([tmp_path / "a.parquet", tmp_path / "b.parquet"], tmp_path / "joined.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.parquet", "b.parquet"]


def test_what_is_not_a_parquet_file_is_refused(tmp_path):
    (tmp_path / "short.parquet").write_bytes(b"PAR1")
    (tmp_path / "text.parquet").write_bytes(b"not a parquet file at all")
    for name in ("short.parquet", "text.parquet"):
        with pytest.raises(FooterError):
            read_footer(tmp_path / name)


def test_an_error_while_joining_discards_the_partial_file(tmp_path):
    pq.write_table(pa.table({"a": [1, 2]}), tmp_path / "a.parquet")
    (tmp_path / "bad.parquet").write_bytes(b"garbage")
    with pytest.raises(FooterError), ParquetConcat(tmp_path / "joined.parquet") as joined:
        joined.append(tmp_path / "a.parquet")
        joined.append(tmp_path / "bad.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.parquet", "bad.parquet"]
