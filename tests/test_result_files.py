"""``flowsim.experiment.result_files``: a table saved over by another, or a CSV cut short, is named.

A readable Parquet file without the columns flowsim writes under its name, and a CSV table that is
empty, binary, cut short or of other columns, are each a :class:`ConfigError` naming the file and the fix,
never a ``KeyError`` or a silently short table.
"""

from __future__ import annotations

import pandas as pd
import pytest

from flowsim.experiment.result_files import RESULT_COLUMNS, read_csv, read_json, read_parquet
from flowsim.model.errors import ConfigError

FIX = "rerun it"


def _problem(read, *args) -> str:
    with pytest.raises(ConfigError) as error:
        read(*args)
    assert error.value.fix == FIX
    return error.value.problem


@pytest.mark.parametrize("name", sorted(RESULT_COLUMNS))
def test_a_result_table_must_hold_the_columns_of_its_name(tmp_path, name):
    path = tmp_path / name
    pd.DataFrame({"a": [1]}).to_parquet(path)
    assert _problem(read_parquet, path, FIX) == (f"lacks the column(s) {', '.join(RESULT_COLUMNS[name])} (it "
                                                 "holds a): it is not the table flowsim writes there")
    assert _problem(read_parquet, path, FIX, ["a"]).startswith("lacks the column(s) ")  # whichever are read
    whole = pd.DataFrame({c: [1] for c in ("a", *RESULT_COLUMNS[name])})
    whole.to_parquet(path)
    pd.testing.assert_frame_equal(read_parquet(path, FIX), whole)
    pd.testing.assert_frame_equal(read_parquet(path, FIX, ["a"]), whole[["a"]])


def test_columns_asked_for_must_be_in_any_table(tmp_path):
    path = tmp_path / "patients.parquet"
    pd.DataFrame({c: range(8) for c in "abcdefgh"}).to_parquet(path)
    assert _problem(read_parquet, path, FIX, ["pathway", "a"], ("origin",)) == (
        "lacks the column(s) pathway (it holds a, b, c, d, e, f, ...): it is not the table flowsim writes "
        "there")
    assert list(read_parquet(path, FIX, ["b"], ("a", "origin")).columns) == ["b", "a"]
    pd.DataFrame().to_parquet(path)
    assert "(it holds none)" in _problem(read_parquet, path, FIX, ["pathway"])


def test_a_csv_table_is_read_whole(tmp_path):
    path = tmp_path / "comparison.csv"
    table = pd.DataFrame({"job": [0, 1], "x": [1.5, 2.5]})
    table.to_csv(path, index=False)
    pd.testing.assert_frame_equal(read_csv(path, FIX, ["job"]), table)


@pytest.mark.parametrize("data, problem", [
    (b"job,x\n0,1.5\n1,2", "is cut short (its last line has no end)"),
    (b"", "is empty"),
    (b"\n \n", "is empty"),
    (b"job,x\n0,1.5\x00\n", "is not a CSV table (binary data, not UTF-8 text)"),
    (b"job,x\n0,\xff\n", "is not a CSV table (binary data, not UTF-8 text)"),
    (b"x,y\n1,2\n", "lacks the column(s) job: it is not the table flowsim writes there"),
    (b"job\n0\n1,2,3\n", "is not a readable CSV table (Error tokenizing data. C error: Expected 1 fields in "
                         "line 3, saw 3)"),
])
def test_a_damaged_csv_table_is_named(tmp_path, data, problem):
    path = tmp_path / "comparison.csv"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as error:
        read_csv(path, FIX, ["job"])
    assert (error.value.field, error.value.problem, error.value.fix) == (str(path), problem, FIX)


def test_a_missing_or_unreadable_csv_table_is_named(tmp_path):
    assert _problem(read_csv, tmp_path / "comparison.csv", FIX, []) == "is missing"
    (tmp_path / "folder.csv").mkdir()
    assert _problem(read_csv, tmp_path / "folder.csv", FIX, []) == "cannot be read (Is a directory)"


@pytest.mark.parametrize(("text", "kind"), [("[1]", "an array"), ('"x"', "a string"), ("null", "null"),
                                            ("3", "a number"), ("true", "true or false")])
def test_json_that_is_not_an_object_says_what_it_holds(tmp_path, text, kind):
    path = tmp_path / "metrics.json"
    path.write_text(text)
    assert _problem(read_json, path, FIX) == f"is damaged: it holds {kind}, not a JSON object"
