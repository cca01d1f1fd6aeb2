"""A note for a warm start that still discards a warm-up (flowsim.cli.warm_start_note)."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from flowsim.cli.warm_start_note import warm_start_note
from tests.test_bad_input import run_in_process


def _cfg(census: str | None, warm_up_days: float) -> OmegaConf:
    return OmegaConf.create({"run": {"initial_census": census, "warm_up_days": warm_up_days}})


def test_a_census_with_a_warm_up_is_named():
    assert warm_start_note(_cfg("today.csv", 60)) == (
        "the run starts from a census (run.initial_census) but discards its first 60 days as a warm-up; "
        "a forecast from today's census keeps run.warm_up_days=0")
    assert "first 0.5 days" in warm_start_note(_cfg("today.csv", 0.5))


@pytest.mark.parametrize("cfg", [_cfg("today.csv", 0), _cfg(None, 60), _cfg("", 60),
                                 OmegaConf.create({"seed": 1})])
def test_nothing_is_said_otherwise(cfg):
    assert warm_start_note(cfg) is None


@pytest.mark.parametrize(("warm_up", "notes"), [("60", 1), ("0", 0)])
def test_the_run_says_so_and_goes_on(tmp_path, capsys, monkeypatch, warm_up, notes):
    census = tmp_path / "census.yaml"
    census.write_text("units:\n  ic_beds: {count: 20}\n")
    out = tmp_path / "run"
    code, _, stderr = run_in_process(["scenario=quick", f"run.initial_census={census}",
                                      f"run.warm_up_days={warm_up}", "outputs.summary=false",
                                      "outputs.patients=false", f"hydra.run.dir={out}"], capsys, monkeypatch)
    assert code == 0 and (out / "metrics.json").exists()
    assert sum("note: the run starts from a census" in line for line in stderr.splitlines()) == notes
