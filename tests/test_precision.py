"""Replication-count help (flowsim.experiment.precision): CI half-width vs target, replications needed, the
warning
line, adaptive batches at every boundary, and every ``precision.*`` setting with its exact message.

Half-widths by hand with t(0.975, 3) = 3.1824463052837078 (scipy).
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

import flowsim.measures.aggregate
from flowsim.experiment.pipeline import run_scenario
from flowsim.experiment.precision import (
    PrecisionReport,
    PrecisionSettings,
    check_precision,
    next_batch,
    precision_settings,
)
from flowsim.model.compose import load_config
from flowsim.model.errors import ConfigError

T975_3 = 3.1824463052837078
SETTINGS = PrecisionSettings(target_half_width_pct=5.0, kpis=("x",), adaptive=True, batch=4,
                             max_replications=30)
# x: mean 100, sd = sqrt((10² + 10² + 5² + 5²) / 3) = 9.12871, half = 3.18245 x 9.12871 / 2 = 14.52581
HALF_X = 14.525813578773825


def _table(**columns: list[float]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"replication": range(n), **columns})


def _report(n: int, needed: dict[str, int], width: float = 9.0) -> PrecisionReport:
    return PrecisionReport(n, {k: width for k in needed} or {"x": 1.0}, 5.0, needed)


# --- check_precision and the warning ----------------------------------------------------------------

def test_half_width_and_needed_replications():
    report = check_precision(_table(x=[90.0, 110.0, 95.0, 105.0]), SETTINGS)
    assert report.n == 4
    assert report.half_width_pct == pytest.approx({"x": HALF_X}, rel=1e-12)  # 14.53 % of 100
    assert HALF_X == pytest.approx(T975_3 * math.sqrt(250 / 3) / 2, rel=1e-12)
    assert report.needed == {"x": 34}  # ceil(4 x (14.526 / 5)²) = ceil(33.76)
    assert report.target_half_width_pct == 5.0
    assert not report.met
    assert report.warning() == (
        "x: 95 % CI half-width is 14.5 % of the mean with 4 replications (target 5 %); about 34 "
        "replications would reach it (set replications= or precision.adaptive=true)")


def test_the_adaptive_note_says_what_was_added_only_when_it_met_the_target():
    """With precision.adaptive=true the console said only "22 replication(s)" (found by a QA pass)."""
    met = PrecisionReport(22, {"x": 3.0, "y": 4.5, "z": 1.0}, 5.0, {})
    assert met.adaptive_note(10) == (
        "precision.adaptive added 12 replication(s) to the 10 asked: with 22, every KPI of precision.kpis "
        "has a 95 % CI half-width within 5 % of its mean (widest: y, 4.5 %)")
    assert met.adaptive_note(22) is None  # nothing added: the asked replications were enough
    assert _report(30, {"x": 40}).adaptive_note(10) is None  # stopped short: the warning says so


def test_the_warning_names_the_kpi_needing_most_replications():
    settings = PrecisionSettings(2.5, ("x", "noisy", "z"), False, 10, 200)
    table = _table(x=[90.0, 110.0, 95.0, 105.0], noisy=[50.0, 150.0, 50.0, 150.0],
                   z=[100.0, 100.0, 100.0, 100.0])
    report = check_precision(table, settings)
    # noisy: sd = sqrt(4 x 50² / 3) = 57.735, half = 3.18245 x 57.735 / 2 = 91.869 % of 100
    assert report.half_width_pct["noisy"] == pytest.approx(T975_3 * math.sqrt(10000 / 3) / 2, rel=1e-12)
    assert report.half_width_pct["z"] == 0.0
    # x: ceil(4 x (14.526 / 2.5)²) = ceil(135.04); noisy: ceil(4 x (91.869 / 2.5)²) = ceil(5401.58)
    assert report.needed == {"x": 136, "noisy": 5402}  # z meets the target: not listed
    # named by the replications it needs, not by its name (x would come last alphabetically)
    assert report.warning() == (
        "noisy: 95 % CI half-width is 91.9 % of the mean with 4 replications (target 2.5 %); about 5,402 "
        "replications would reach it (set replications= or precision.adaptive=true)")
    # adaptive replications already on, and stopped at their limit: the advice is to raise the limit
    assert report.warning(adaptive_limit=4).endswith(
        "about 5,402 replications would reach it (adaptive replications stopped at "
        "precision.max_replications=4: raise it)")


def test_a_negative_mean_is_measured_by_its_size():
    report = check_precision(_table(x=[-90.0, -110.0, -95.0, -105.0]), SETTINGS)
    assert report.half_width_pct["x"] == pytest.approx(HALF_X, rel=1e-12)
    assert report.needed == {"x": 34}


def test_two_replications_are_enough_to_judge():
    # 99, 101: mean 100, sd sqrt(2), half = t(0.975, 1) x 1 = 12.706 % of 100 -> ceil(2 x (12.706 / 5)²) = 13
    report = check_precision(_table(x=[99.0, 101.0]), SETTINGS)
    assert report.needed == {"x": 13}
    assert not report.met
    assert report.warning() == (
        "x: 95 % CI half-width is 12.7 % of the mean with 2 replications (target 5 %); about 13 "
        "replications would reach it (set replications= or precision.adaptive=true)")
    assert next_batch(report, SETTINGS) == 4  # min(4, 13 - 2, 30 - 2)


def test_precise_enough_means_no_warning_and_no_more_batches():
    # 100, 100.5, 99.5: sd 0.5, half = t(0.975, 2) x 0.5 / sqrt(3) = 1.24 % of 100, under 5 %
    report = check_precision(_table(x=[100.0, 100.5, 99.5]), SETTINGS)
    assert report.needed == {}
    assert report.met and report.warning() is None and next_batch(report, SETTINGS) == 0


def test_one_replication_cannot_judge_precision():
    report = check_precision(_table(x=[100.0]), SETTINGS)
    assert report.n == 1 and math.isnan(report.half_width_pct["x"]) and report.needed == {}
    assert not report.met  # needs two replications
    assert report.warning() is None
    assert next_batch(report, SETTINGS) == 0


def test_a_mean_of_zero_has_no_relative_half_width():
    report = check_precision(_table(x=[-1.0, 1.0, -1.0, 1.0]), SETTINGS)
    assert math.isnan(report.half_width_pct["x"]) and report.needed == {} and report.met


def test_a_kpi_exactly_at_the_target_is_precise_enough(monkeypatch):
    exactly = [{"kpi": "x", "half_width_pct": 5.0}]
    monkeypatch.setattr(flowsim.measures.kpi_table, "summary_rows", lambda table, kpis: exactly)
    report = check_precision(_table(x=[1.0, 2.0, 3.0]), SETTINGS)
    assert report.half_width_pct == {"x": 5.0}
    assert report.needed == {} and report.met


def test_only_the_named_kpis_are_read():
    # a sweep's results may hold text columns (swept values): they are not summarised
    table = _table(x=[90.0, 110.0, 95.0, 105.0]).assign(scenario="quick")
    report = check_precision(table, SETTINGS)
    assert report.half_width_pct == pytest.approx({"x": HALF_X}, rel=1e-12)


def test_unknown_kpi_is_a_config_error():
    with pytest.raises(ConfigError) as caught:
        check_precision(_table(x=[1.0]), PrecisionSettings(5, ("x", "nope"), False, 1, 2))
    assert str(caught.value) == ("precision.kpis: unknown KPI 'nope'; fix: use a column of "
                                 "replications.parquet such as delayed_days_per_year")


def test_met_needs_two_replications_and_nothing_needed():
    assert _report(2, {}).met
    assert not _report(1, {}).met
    assert not _report(5, {"x": 9}).met


# --- next_batch at every boundary -------------------------------------------------------------------

def test_batch_is_the_smallest_of_batch_needed_and_room_left():
    assert next_batch(check_precision(_table(x=[90.0, 110.0, 95.0, 105.0]), SETTINGS), SETTINGS) == 4  # batch
    assert next_batch(_report(10, {"x": 12}), SETTINGS) == 2  # min(4, 12 - 10, 30 - 10): the estimate
    assert next_batch(_report(28, {"x": 40}), SETTINGS) == 2  # min(4, 40 - 28, 30 - 28): the maximum
    assert next_batch(_report(10, {"x": 12, "y": 50}), SETTINGS) == 4  # the KPI needing most decides


def test_batches_stop_at_the_maximum():
    table = _table(x=[1.0, 100.0] * 14)  # 28 replications, far from precise
    assert next_batch(check_precision(table, SETTINGS), SETTINGS) == 2
    assert next_batch(_report(30, {"x": 100}), SETTINGS) == 0
    assert next_batch(_report(31, {"x": 100}), SETTINGS) == 0


def test_no_batch_when_met_or_too_few_or_the_estimate_is_reached():
    assert next_batch(_report(5, {}), SETTINGS) == 0  # met
    assert next_batch(_report(1, {}), SETTINGS) == 0  # one replication: nothing to estimate from
    assert next_batch(_report(0, {}), SETTINGS) == 0
    assert next_batch(_report(10, {"x": 8}), SETTINGS) == 0  # already more than the estimate: stop


# --- precision_settings -----------------------------------------------------------------------------

def test_precision_settings_defaults():
    defaults = PrecisionSettings(target_half_width_pct=5.0, kpis=(), adaptive=False, batch=10,
                                 max_replications=200)
    assert precision_settings({}) == defaults
    assert precision_settings({"precision": None}) == defaults
    assert precision_settings({"precision": {}}) == defaults


def test_precision_settings_as_given():
    settings = precision_settings({"precision": {
        "target_half_width_pct": 2, "kpis": ["delayed_days_per_year", "nctr_census_mean"], "adaptive": True,
        "batch": 1, "max_replications": 100_000}})
    assert settings == PrecisionSettings(2.0, ("delayed_days_per_year", "nctr_census_mean"), True, 1, 100_000)
    assert isinstance(settings.target_half_width_pct, float)
    assert precision_settings({"precision": {"target_half_width_pct": 99.9}}).target_half_width_pct == 99.9
    assert precision_settings({"precision": {"target_half_width_pct": 0.001}}).target_half_width_pct == 0.001
    assert precision_settings({"precision": {"kpis": ("x",)}}).kpis == ("x",)


@pytest.mark.parametrize(("section", "message"), [
    ({"target_half_width_pct": 0}, "precision.target_half_width_pct: must be between 0 and 100, got 0; fix: "
                                   "use a percentage such as 5"),
    ({"target_half_width_pct": 100}, "precision.target_half_width_pct: must be between 0 and 100, got 100; "
                                     "fix: use a percentage such as 5"),
    ({"target_half_width_pct": -5.0}, "precision.target_half_width_pct: must be between 0 and 100, got -5.0; "
                                      "fix: use a percentage such as 5"),
    ({"target_half_width_pct": True}, "precision.target_half_width_pct: must be between 0 and 100, got True; "
                                      "fix: use a percentage such as 5"),
    ({"target_half_width_pct": "5"}, "precision.target_half_width_pct: must be between 0 and 100, got '5'; "
                                     "fix: use a percentage such as 5"),
    ({"batch": 0}, "precision.batch: must be a whole number from 1 to 100,000, got 0; fix: set "
                   "precision.batch to a whole number such as 10"),
    ({"batch": 100_001}, "precision.batch: must be a whole number from 1 to 100,000, got 100001; fix: set "
                         "precision.batch to a whole number such as 10"),
    ({"batch": True}, "precision.batch: must be a whole number from 1 to 100,000, got True; fix: set "
                      "precision.batch to a whole number such as 10"),
    ({"max_replications": 2.5}, "precision.max_replications: must be a whole number from 1 to 100,000, got "
                                "2.5; fix: set precision.max_replications to a whole number such as 10"),
    ({"max_replications": 0}, "precision.max_replications: must be a whole number from 1 to 100,000, got "
                              "0; fix: set precision.max_replications to a whole number such as 10"),
    ({"kpis": "delayed_days_per_year"}, "precision.kpis: must be a list of KPI names, got "
                                        "'delayed_days_per_year'; fix: write e.g. [delayed_days_per_year, "
                                        "delay_mean_days]"),
    ({"kpis": ["x", 1]}, "precision.kpis: must be a list of KPI names, got ['x', 1]; fix: write e.g. "
                         "[delayed_days_per_year, delay_mean_days]"),
    ({"adaptive": "yes"}, "precision.adaptive: must be true or false, got 'yes'; fix: set "
                          "precision.adaptive=true or precision.adaptive=false"),
])
def test_bad_precision_settings(section, message):
    with pytest.raises(ConfigError) as caught:
        precision_settings({"precision": section})
    assert str(caught.value) == message


def test_an_adaptive_limit_below_the_replications_asked_for_is_refused():
    with pytest.raises(ConfigError) as caught:
        precision_settings({"replications": 30, "precision": {"adaptive": True, "max_replications": 20}})
    assert str(caught.value) == ("precision.max_replications: is 20, below replications=30, so "
                                 "adaptive replications could never add one; fix: set "
                                 "precision.max_replications to at least 30, e.g. 200")
    # At the limit, without adaptive batches, or with the default single replication, it is accepted.
    assert precision_settings({"replications": 20, "precision": {"adaptive": True, "max_replications": 20}}
                              ).max_replications == 20
    assert not precision_settings({"replications": 30, "precision": {"max_replications": 20}}).adaptive
    assert precision_settings({"precision": {"adaptive": True, "max_replications": 1}}).adaptive


def test_adaptive_replications_with_no_kpi_to_measure_are_refused():
    # with nothing to measure, the run stopped at once and reported the target met
    with pytest.raises(ConfigError) as caught:
        precision_settings({"precision": {"adaptive": True, "kpis": []}})
    assert str(caught.value) == (
        "precision.kpis: is empty, so adaptive replications have nothing to measure; fix: name the KPIs "
        "to reach the target on, e.g. [delayed_days_per_year], or set precision.adaptive=false")
    assert precision_settings({"precision": {"kpis": []}}).kpis == ()  # no adaptive batches: no check


def test_the_default_kpis_are_two_different_measures(tmp_path):
    # nctr_census_mean was a default beside delayed_days_per_year: the same number over 365, so the
    # precision check in effect looked at one KPI. The defaults must vary differently between replications.
    cfg = load_config(["scenario=quick", "replications=4", "outputs.patients=false", "outputs.census=false"])
    kpis = precision_settings(cfg).kpis
    assert len(kpis) == 2
    table = run_scenario(cfg, tmp_path, progress=False).replications
    ratio = table[kpis[0]] / table[kpis[1]]
    assert ratio.std() > 1e-3 * ratio.abs().mean(), ratio.tolist()


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


def test_a_kpi_named_twice_is_checked_once(tmp_path):
    # [delay_mean_days, delay_mean_days] crashed after the simulation (a Series where a float was read)
    cfg = load_config(["scenario=quick", "replications=2", "run.horizon_days=60", "run.warm_up_days=10",
                       "run.cool_down_days=0", "precision.kpis=[delay_mean_days,delay_mean_days]",
                       "outputs.patients=false"])
    assert precision_settings(cfg).kpis == ("delay_mean_days",)
    assert list(run_scenario(cfg, tmp_path, progress=False).precision.half_width_pct) == ["delay_mean_days"]


def test_a_target_no_run_could_reach_says_so_without_overflowing():
    # precision.target_half_width_pct=1e-300 passed validation and overflowed counting replications
    settings = PrecisionSettings(target_half_width_pct=1e-300, kpis=("x",), adaptive=False, batch=10,
                                 max_replications=200)
    report = check_precision(_table(x=[90.0, 110.0, 95.0, 105.0]), settings)
    assert report.needed == {"x": 100_001}
    assert report.warning().endswith("(target 1e-300 %); more than 100,000 replications (flowsim's most) "
                                     "would be needed (set replications= or precision.adaptive=true)")
    assert next_batch(report, dataclasses.replace(settings, adaptive=True)) == 10
