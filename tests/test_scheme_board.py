"""A board pack that presents published schemes as options (a sweep over ``scheme``)."""

from __future__ import annotations

import pytest
from test_notebooks import _pack, run_sweep

SCHEMES = ("none", "roseberry", "kirklees_hfh")


@pytest.fixture(scope="module")
def scheme_sweep(tmp_path_factory):
    """The quick system with ten times the housing barriers, without a scheme and with two schemes."""
    return run_sweep(tmp_path_factory.mktemp("schemes"),
                     ["scenario=quick", "housing.barrier_probability=0.005", "replications=2"],
                     [f"scheme={scheme}" for scheme in SCHEMES])


def test_the_board_pack_compares_schemes_with_the_system_as_it_is(scheme_sweep, tmp_path):
    page, text = _pack(scheme_sweep, tmp_path / "schemes.html")
    assert "(against the baseline, scheme = none)" in text  # the system as it is is the baseline
    header = next(i for i, row in enumerate(page.rows) if row[:2] == ["scheme", "delayed days avoided / yr"])
    options = [row[0] for row in page.rows[header + 1:header + 4]]
    assert sorted(options) == ["kirklees_hfh", "none", "roseberry"]  # each scheme is an option
    assert "Recommendation: scheme = " in text
    assert len(page.images) >= 3  # and the pack's charts are drawn
