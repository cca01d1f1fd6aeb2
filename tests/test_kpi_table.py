"""flowsim.measures.kpi_table: the replication table, the summary and units' means a run makes without
pandas are, to the bit, those pandas makes of the same rows."""

from __future__ import annotations

import functools
import math
import operator

import numpy as np
import pandas as pd
import pytest

from flowsim.measures.kpi_table import SUMMARY_COLUMNS, ReplicationKpis, group_means, summary_rows

NAN = float("nan")


def _kpis(seed: int, n: int) -> list[tuple[int, dict[str, float]]]:
    rng = np.random.default_rng(seed)
    out = []
    for r in rng.permutation(n):  # finished in any order
        kpis = {"delayed_days_per_year": float(rng.normal(1e5, 1e3)), "count": int(rng.integers(0, 9)),
                "sometimes": NAN if r % 3 == 0 else float(rng.random())}
        if r != 1:
            kpis["not_in_one"] = float(r)
        out.append((int(r), kpis))
    return out


def test_the_replication_table_is_the_frame_of_its_rows():
    pairs = _kpis(1, 6)
    old = pd.DataFrame([{"replication": r, **k} for r, k in pairs]).sort_values("replication",
                                                                            ignore_index=True)
    table = ReplicationKpis.of(pairs)
    pd.testing.assert_frame_equal(table.to_pandas(), old, check_exact=True)
    assert len(table) == 6 and "count" in table and "nope" not in table
    assert table["count"].dtype == np.int64 and math.isnan(table["not_in_one"][1])


@pytest.mark.parametrize("n", [1, 2, 5, 40])
def test_the_summary_is_that_of_the_frame(n):
    table = ReplicationKpis.of(_kpis(n, n))
    frame = table.to_pandas()
    rows = summary_rows(table)
    assert rows == summary_rows(frame) or all(  # NaN != NaN: compare field by field
        a.keys() == b.keys() and all(a[k] == b[k] or (a[k] != a[k] and b[k] != b[k]) for k in a)
        for a, b in zip(rows, summary_rows(frame), strict=True))
    assert [r["kpi"] for r in rows] == ["delayed_days_per_year", "count", "sometimes", "not_in_one"]
    assert all(tuple(r) == SUMMARY_COLUMNS for r in rows)
    first = rows[0]
    values = frame["delayed_days_per_year"].to_numpy()
    assert first["n"] == n and first["mean"] == values.mean()
    if n > 1:
        assert first["sd"] == values.std(ddof=1) and first["ci_low"] < first["mean"] < first["ci_high"]
    else:
        assert math.isnan(first["sd"]) and math.isnan(first["ci_high"])
    assert [r["kpi"] for r in summary_rows(table, ["count", "nope"])] == ["count"]  # unknown ones left out


def test_a_frame_summarised_in_a_given_order_is_each_column_summarised_alone():
    # one float conversion of the frame's columns (not one per column) must give each column its own
    frame = pd.DataFrame({"replication": [3, 1, 2], "label": ["a", "b", "c"], "flag": [True, False, True],
                          "count": [4, 0, 7], "x": [1.5, NAN, 2.25]}, index=[10, 5, 7])
    rows = summary_rows(frame, ["x", "count", "flag", "x"])
    assert [r["kpi"] for r in rows] == ["x", "count", "flag", "x"]
    for row in rows:
        alone = summary_rows(frame[[row["kpi"]]])[0]
        assert all(row[k] == alone[k] or (row[k] != row[k] and alone[k] != alone[k]) for k in row)
    assert rows[0]["n"] == 2 and rows[0]["mean"] == 1.875
    assert rows[1]["mean"] == 11 / 3 and rows[2]["mean"] == 2 / 3
    assert summary_rows(frame, ["nope"]) == []


def _unit_rows(seed: int, replications: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(replications):
        for unit in ("ic_beds", "p1", "flats"):
            rows.append({"replication": r, "unit": unit, "pathways": "P1+P2", "capacity": 10,
                         "mean_occupied": float(rng.normal(1e7, 1e4)) + float(rng.random()) * 1e-9,
                         "mean_wait_days": NAN if (r + len(unit)) % 4 == 0 else float(rng.exponential()),
                         "utilisation": NAN if unit == "flats" else float(rng.random()),
                         "cost": np.inf if (unit, r) == ("p1", 3) else float(rng.random()) * 1e12})
    return rows


@pytest.mark.parametrize("replications", [1, 3, 50])
def test_unit_means_are_pandas_to_the_bit(replications):
    rows = _unit_rows(replications, replications)
    expected = (pd.DataFrame(rows).drop(columns="replication").groupby("unit", sort=False)
                .mean(numeric_only=True).reset_index().to_dict(orient="records"))
    got = group_means(rows, "unit", drop=("replication",))
    assert [g["unit"] for g in got] == ["ic_beds", "p1", "flats"]  # as they first appear
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.keys() == theirs.keys()  # the text column is left out
        for key, value in theirs.items():
            same = mine[key] == value or (math.isnan(mine[key]) and math.isnan(value))
            assert same, (key, mine[key], value)


def test_unit_means_compensate_their_sums():
    # 1 + 1e-16 + ... : a plain sum loses every small part, pandas' compensated sum (and this one) keeps
    # them (the plain sum is added up one by one: Python 3.12's built-in sum compensates too)
    rows = [{"unit": "a", "x": 1.0}] + [{"unit": "a", "x": 1e-16}] * 10
    assert group_means(rows, "unit")[0]["x"] == (1.0 + 1e-15) / 11
    assert functools.reduce(operator.add, [r["x"] for r in rows]) / 11 != (1.0 + 1e-15) / 11
    assert group_means([], "unit") == []


def test_unit_means_of_infinities_and_overflows_are_pandas():
    rows = [{"unit": "a", "x": 1e308}, {"unit": "b", "x": 1.0}, {"unit": "a", "x": 1e308},
            {"unit": "a", "x": 1.0}, {"unit": "b", "x": -np.inf}, {"unit": "b", "x": 2.0}]
    expected = pd.DataFrame(rows).groupby("unit", sort=False).mean().reset_index().to_dict(orient="records")
    got = group_means(rows, "unit")
    assert [g["unit"] for g in got] == [e["unit"] for e in expected] == ["a", "b"]
    for mine, theirs in zip(got, expected, strict=True):  # a's sum overflows: pandas' answer, NaN
        assert mine["x"] == theirs["x"] or (math.isnan(mine["x"]) and math.isnan(theirs["x"]))
    assert got[1]["x"] == -np.inf


def test_columns_come_in_the_order_given_rows_in_replication_order():
    pairs = [(1, {"b": 1.0, "c": 2.0}), (0, {"a": 3.0, "b": 4.0})]  # finished out of order
    old = pd.DataFrame([{"replication": r, **k} for r, k in pairs]).sort_values("replication",
                                                                                ignore_index=True)
    pd.testing.assert_frame_equal(ReplicationKpis.of(pairs).to_pandas(), old, check_exact=True)


def test_unit_means_take_bool_columns_and_leave_out_what_pandas_leaves_out():
    # a bool column is averaged (the share of True); None is missing in a number column; booleans with
    # one missing, None alone or a mix make an object column, which pandas' numeric_only mean leaves out
    rng = np.random.default_rng(4)
    rows = []
    for r in range(7):
        for unit in ("ic_beds", "p1"):
            rows.append({"replication": r, "unit": unit, "open": bool(rng.random() < 0.3),
                         "np_open": np.bool_(rng.random() < 0.6), "capacity": int(rng.integers(1, 9)),
                         "wait": None if (r + len(unit)) % 3 == 0 else float(rng.exponential()),
                         "full": None if r == 2 else True, "note": None, "mixed": 1 if r else "one"})
    rows[3].pop("open")  # ... but a row without the bool makes it an object column too
    rows[0]["lost"] = 1.5  # a number missing from all rows but one: float, NaN elsewhere
    rows[1]["gone"] = None  # None, and NaN where the other rows lack it: a float column of NaN
    frame = pd.DataFrame(rows).drop(columns="replication")
    expected = frame.groupby("unit", sort=False).mean(numeric_only=True).reset_index().to_dict(
        orient="records")
    got = group_means(rows, "unit", drop=("replication",))
    assert list(got[0]) == list(expected[0]) == ["unit", "np_open", "capacity", "wait", "lost", "gone"]
    for mine, theirs in zip(got, expected, strict=True):
        for key, value in theirs.items():
            same = mine[key] == value or (math.isnan(mine[key]) and math.isnan(value))
            assert same, (key, mine[key], value)
    rows[3]["open"] = False
    expected = pd.DataFrame(rows).groupby("unit", sort=False).mean(numeric_only=True).reset_index()
    got = group_means(rows, "unit")
    assert [g["open"] for g in got] == expected["open"].tolist() and 0 < got[0]["open"] < 1
