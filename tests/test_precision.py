"""Replication-count help: CI half-width vs target, estimated replications, adaptive runs."""

from __future__ import annotations

import pandas as pd
import pytest

from flowsim.compose import load_config
from flowsim.errors import ConfigError
from flowsim.pipeline import run_scenario
from flowsim.precision import PrecisionSettings, check_precision, next_batch, precision_settings

SETTINGS = PrecisionSettings(target_half_width_pct=5.0, kpis=("x",), adaptive=True, batch=4,
                             max_replications=30)


def test_half_width_and_needed_replications():
    table = pd.DataFrame({"replication": range(4), "x": [90.0, 110.0, 95.0, 105.0]})
    report = check_precision(table, SETTINGS)
    # sd = 9.129, t(0.975, 3) = 3.182 -> half-width 14.52 = 14.5 % of 100
    assert report.half_width_pct["x"] == pytest.approx(14.525, rel=1e-3)
    assert report.needed["x"] == 34  # ceil(4 * (14.525 / 5) ** 2)
    assert not report.met
    assert "about 34 replications" in report.warning()
    assert next_batch(report, SETTINGS) == 4


def test_precise_enough_means_no_warning_and_no_more_batches():
    table = pd.DataFrame({"replication": range(3), "x": [100.0, 100.5, 99.5]})
    report = check_precision(table, SETTINGS)
    assert report.met and report.warning() is None and next_batch(report, SETTINGS) == 0


def test_batches_stop_at_the_maximum():
    table = pd.DataFrame({"replication": range(28), "x": [1.0, 100.0] * 14})
    assert next_batch(check_precision(table, SETTINGS), SETTINGS) == 2


@pytest.mark.parametrize(("section", "field"), [
    ({"target_half_width_pct": 0}, "precision.target_half_width_pct"),
    ({"batch": 0}, "precision.batch"),
    ({"max_replications": 2.5}, "precision.max_replications"),
])
def test_bad_precision_settings(section, field):
    with pytest.raises(ConfigError) as caught:
        precision_settings({"precision": section})
    assert caught.value.field == field


def test_unknown_kpi_is_a_config_error():
    with pytest.raises(ConfigError, match=r"precision\.kpis"):
        check_precision(pd.DataFrame({"replication": [0], "x": [1.0]}),
                        PrecisionSettings(5, ("nope",), False, 1, 2))


def test_adaptive_run_adds_replications_until_the_target(tmp_path):
    cfg = load_config(["scenario=quick", "replications=2", "outputs.patients=false",
                       "precision.adaptive=true", "precision.batch=3", "precision.max_replications=8",
                       "precision.target_half_width_pct=1"])
    run = run_scenario(cfg, tmp_path, progress=False)
    assert len(run.replications) == 8  # the quick system is too noisy for 1 %: stops at the cap
    assert run.replications["replication"].tolist() == list(range(8))
    loose = load_config(["scenario=quick", "replications=2", "outputs.patients=false",
                         "precision.adaptive=true", "precision.target_half_width_pct=99.9"])
    assert len(run_scenario(loose, tmp_path / "loose", progress=False).replications) <= 8
