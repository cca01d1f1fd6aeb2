"""flowsim-calibrate targets: the targets file, the objective, the search and what it writes."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import single_unit_config
from omegaconf import OmegaConf

from flowsim.calibration.objective import apply_parameters, evaluate, expand_paths, start_values
from flowsim.calibration.search import fit_targets
from flowsim.calibration.target_report import format_targets, target_table, write_fitted_system
from flowsim.calibration.target_spec import load_target_spec
from flowsim.model.errors import ConfigError

SIGMA = 0.5


def _system():
    """P0/P1/P2 with room to spare: each P1/P2 delay is the arrangement delay (lognormal, sigma 0.5)."""
    config = single_unit_config(rate_per_day=20.0, capacity=500, horizon_days=400.0, warm_up_days=40.0,
                                los={"kind": "exponential", "mean": 5.0})
    config["pathways"]["shares"] = {"P0": 0.5, "P1": 0.3, "P2": 0.2, "P3": 0.0}
    config["services"]["unit"]["pathways"] = ["P1", "P2"]
    config["services"]["other"] = {"pathways": ["P1"], "capacity": 7,
                                   "los_days": {"kind": "fixed", "value": 1.0}, "preference": 2}
    config["pathways"]["arrangement_days"] = {p: {"kind": "lognormal", "mu": 0.0, "sigma": SIGMA}
                                              for p in ("P1", "P2")}
    return OmegaConf.create(config)


def _spec(tmp_path, body: str):
    path = tmp_path / "targets.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return load_target_spec(path)


TOY = """
    seed: 3
    replications: 2
    targets:
      - {kpi: delay_P1_mean_days, value: 2.0, tolerance: {relative: 0.03}, source: toy}
      - {kpi: delay_P2_mean_days, value: 5.0, tolerance: {absolute: 0.15}}
    parameters:
      - {name: p1_median, set_log: [pathways.arrangement_days.P1.mu], bounds: [0.1, 20]}
      - {name: p2_median, set_log: [pathways.arrangement_days.P2.mu], bounds: [0.1, 20]}
"""


def test_the_search_finds_the_arrangement_medians_theory_gives(tmp_path):
    spec = _spec(tmp_path, TOY)
    fit = fit_targets(_system(), spec, max_evaluations=30, progress=False)
    # mean of a lognormal = median x exp(sigma^2 / 2): the medians that give means 2 and 5
    assert fit.values["p1_median"] == pytest.approx(2.0 / math.exp(SIGMA**2 / 2), rel=0.04)
    assert fit.values["p2_median"] == pytest.approx(5.0 / math.exp(SIGMA**2 / 2), rel=0.04)
    assert fit.met and fit.evaluations < 30
    assert fit.history[0]["p1_median"] == 1.0  # started from the config (mu = 0)


def test_evaluations_share_random_numbers(tmp_path):
    spec = _spec(tmp_path, TOY)
    base = _system()
    one = evaluate(base, spec, {"p1_median": 1.5, "p2_median": 2.0})
    again = evaluate(base, spec, {"p1_median": 1.5, "p2_median": 2.0})
    np.testing.assert_array_equal(one.per_replication, again.per_replication)
    longer = evaluate(base, spec, {"p1_median": 1.5 * 1.1, "p2_median": 2.0})
    # common random numbers: each P1 delay is 10 % longer, so the mean is 10 % longer (but for the few
    # delays cut at the end of the run), with no sampling noise
    assert longer.per_replication[:, 0] == pytest.approx(one.per_replication[:, 0] * 1.1, rel=2e-3)
    np.testing.assert_allclose(longer.per_replication[:, 1], one.per_replication[:, 1])


def test_parameters_write_their_paths_with_wildcards_scales_and_list_positions(tmp_path):
    spec = _spec(tmp_path, """
        targets: [{kpi: nctr_census_mean, value: 1, tolerance: {relative: 0.1}}]
        parameters:
          - {name: headroom, scale: ['services.*.capacity'], bounds: [0.5, 2]}
          - {name: winter, set: ['services.*.month_capacity_factors.0'], bounds: [0.5, 1], start: 0.9}
          - name: both
            set: {pathways.arrangement_days.P1.sigma: 1.0, pathways.arrangement_days.P2.sigma: 2.0}
            bounds: [0.1, 2]
    """)
    base = _system()
    base.services.unit.month_capacity_factors = [1.0] * 12
    base.services.other.month_capacity_factors = [1.0] * 12
    assert expand_paths(base, "services.*.capacity") == ["services.unit.capacity", "services.other.capacity"]
    assert start_values(base, spec) == {"headroom": 1.0, "winter": 0.9, "both": SIGMA}
    config = apply_parameters(base, spec, {"headroom": 1.1, "winter": 0.8, "both": 0.7})
    assert (config.services.unit.capacity, config.services.other.capacity) == (550, 8)  # 7.7 -> 8
    assert isinstance(config.services.other.capacity, int)
    assert config.services.unit.month_capacity_factors[0] == 0.8
    assert config.services.other.month_capacity_factors[:2] == [0.8, 1.0]
    assert config.pathways.arrangement_days.P1.sigma == pytest.approx(0.7)
    assert config.pathways.arrangement_days.P2.sigma == pytest.approx(1.4)
    assert base.services.unit.capacity == 500  # the base is not changed


def test_the_target_table_holds_the_ci_and_the_band(tmp_path):
    spec = _spec(tmp_path, TOY)
    evaluation = evaluate(_system(), spec, {"p1_median": 2.0 / math.exp(SIGMA**2 / 2), "p2_median": 1.0})
    table = target_table(evaluation, spec)
    values = evaluation.per_replication
    p1 = table.iloc[0]
    assert p1["observed"] == 2.0 and (p1["band_low"], p1["band_high"]) == pytest.approx((1.94, 2.06))
    assert p1["model_mean"] == pytest.approx(values[:, 0].mean())
    half = 12.706204736 * values[:, 0].std(ddof=1) / math.sqrt(2)  # t(0.975, 1 df)
    assert p1["model_ci_high"] - p1["model_mean"] == pytest.approx(half, rel=1e-6)
    assert bool(p1["within"]) is True and p1["source"] == "toy"
    assert bool(table.iloc[1]["within"]) is False  # P2 median 1: mean 1.13, not 5
    text = format_targets(table)
    assert "delay_P1_mean_days" in text and text.splitlines()[-1].endswith("NO")
    assert " 1.94 to 2.06 " in text.splitlines()[2]  # "to": a hyphen read badly beside a negative end
    negative = format_targets(table.assign(band_low=-0.0235, band_high=0.0765))
    assert " -0.0235 to 0.0765 " in negative.splitlines()[2]
    assert len({len(line) for line in negative.splitlines()}) == 1 or all(
        len(line) <= len(negative.splitlines()[1]) for line in negative.splitlines())  # the columns align


def test_the_fitted_system_file_loads_and_carries_the_values(tmp_path):
    spec = _spec(tmp_path, TOY)
    path = write_fitted_system(_system(), spec, {"p1_median": 2.0, "p2_median": 3.0},
                               tmp_path / "fitted.yaml", "targets.yaml", "my_ics")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# @package _global_") and "  - my_ics\n  - _self_" in text
    body = yaml.safe_load(text)
    assert body["pathways"]["arrangement_days"]["P1"]["mu"] == pytest.approx(math.log(2.0))
    assert body["pathways"]["arrangement_days"]["P2"]["mu"] == pytest.approx(math.log(3.0))


def test_the_fitted_system_runs_with_its_values_whichever_housing_option_is_chosen(tmp_path):
    from flowsim.model.compose import load_config

    spec = _spec(tmp_path, """
        targets: [{kpi: delayed_days_per_year, value: 1000, tolerance: {relative: 0.1}}]
        parameters:
          - {name: rate, set: [arrivals.rate_per_day], bounds: [1, 500]}
          - {name: barriers, set: [housing.barrier_probability], bounds: [0.0001, 0.05]}
    """)
    folder = tmp_path / "calibration" / "system"
    folder.mkdir(parents=True)
    write_fitted_system(load_config(), spec, {"rate": 123.0, "barriers": 0.0321}, folder / "fitted.yaml",
                        "targets.yaml")
    # as its header says: flowsim --config-dir <dir> system=<name>
    for housing in ("default", "coordinator_scheme", "step_down_flats"):
        config = load_config(["system=fitted", f"housing={housing}"], search_dir=tmp_path / "calibration")
        assert config.arrivals.rate_per_day == 123.0
        assert config.housing.barrier_probability == 0.0321, housing  # the system's, not the option's
        assert config.housing.enabled
    off = load_config(["system=fitted", "housing=off"], search_dir=tmp_path / "calibration")
    assert not off.housing.enabled


def test_a_fitted_system_of_a_scenario_runs_what_was_fitted_with_system_alone(tmp_path):
    # the targets file's overrides pick a scenario, which is composed after systems: the file carries
    # what they set, so that system=<file> alone runs the fitted config (capacity 39 x 0.9225, not 39)
    from flowsim.model.compose import load_config

    spec = _spec(tmp_path, """
        overrides: [scenario=quick, housing=off]
        targets: [{kpi: delayed_days_per_year, value: 1000, tolerance: {relative: 0.1}}]
        parameters:
          - {name: headroom, scale: [services.ic_beds.capacity], bounds: [0.5, 2]}
    """)
    base = load_config(spec.overrides)
    folder = tmp_path / "calibration" / "system"
    folder.mkdir(parents=True)
    write_fitted_system(base, spec, {"headroom": 0.9225}, folder / "fitted.yaml", "targets.yaml", "default",
                        load_config(["system=default"]), list(spec.overrides))
    text = (folder / "fitted.yaml").read_text(encoding="utf-8")
    assert "# It carries what the overrides scenario=quick housing=off set: run it without them" in text
    fitted = OmegaConf.to_container(load_config(["system=fitted"], search_dir=tmp_path / "calibration"),
                                    resolve=True)
    expected = OmegaConf.to_container(base, resolve=True)
    expected["services"]["ic_beds"]["capacity"] = round(39 * 0.9225)
    assert fitted["services"]["ic_beds"]["capacity"] == 36 and not fitted["housing"]["enabled"]
    # how to run is not carried; housing is off, so its settings (the default's, merged) play no part
    for key in ("seed", "replications", "n_jobs", "outputs", "precision", "housing"):
        fitted.pop(key), expected.pop(key)
    assert fitted == expected


@pytest.mark.parametrize(("body", "field"), [
    ("targets: []", "targets"),
    ("targets: [{kpi: x, value: 1}]", "targets[0].tolerance"),
    ("targets: [{kpi: x, value: 1, tolerance: {low: 2, high: 3}}]", "targets[0].tolerance"),
    ("targets: [{kpi: nctr_census_month_profile, values: [1, 2], tolerance: {absolute: 0.1}}]",
     "targets[0].values"),
    ("targets: [{kpi: x, value: 1, tolerance: {relative: 0.1}}]\nparameters: [{name: a, bounds: [1, 2]}]",
     "parameters[0]"),
    ("targets: [{kpi: x, value: 1, tolerance: {relative: 0.1}}]\n"
     "parameters: [{name: a, set: [a.b], bounds: [2, 1]}]", "parameters[0].bounds"),
    ("targets: [{kpi: x, value: 1, tolerance: {relative: 0.1}}]\n"
     "parameters: [{name: a, set: [a.b], bounds: [1, 2], start: 3}]", "parameters[0].start"),
    ("targets: [{kpi: x, value: 1, tolerance: {relative: 0.1}}]\nseeds: 3", "seeds"),
    ("targets: [{kpi: x, value: 1, tolerance: {relative: 0.1}}]\n"
     "parameters: [{name: [a], scale: [a.b], bounds: [1, 2]}]", "parameters[0].name"),
    ("targets: [{kpi: x, value: 1, tolerance: {relative: 0.1}}]\nparameters: [a]", "parameters[0]"),
    ("targets: [{kpi: x, value: 1, tolerance: {relative: 0.1}}]\nreplications: 100000000", "replications"),
    # ignored or taken without a word (found by a QA pass): typos inside a target or parameter, infinity
    ("targets: [{kpi: x, value: 1, tolerance: {relative: 0.1}, wieght: 0.25}]", "targets[0].wieght"),
    ("targets: [{kpi: nctr_census_month_profile, value: 1, tolerance: {absolute: 0.1}}]", "targets[0].value"),
    ("targets: [{kpi: x, value: .inf, tolerance: {relative: 0.1}}]", "targets[0].value"),
    ("targets: [{kpi: x, value: 1, tolerance: {relative: 0.1}}]\n"
     "parameters: [{name: a, set: [a.b], bounds: [1, 2], strat: 1.2}]", "parameters[0].strat"),
    ("targets: [{kpi: x, value: 1, tolerance: {relative: 0.1}}]\n"
     "parameters: [{name: a, set: [a.b], bounds: [0.8, .inf]}]", "parameters[0].bounds[1]"),
    ("targets: [{kpi: x, value: 1, tolerance: {relative: 0.1}}]\n"
     "parameters: [{name: a, set: {a.b: -.inf}, bounds: [0.8, 2]}]", "parameters[0].set.a.b"),
])
def test_a_wrong_targets_file_is_named(tmp_path, body, field):
    with pytest.raises(ConfigError) as error:
        _spec(tmp_path, body)
    assert error.value.field == field


@pytest.mark.parametrize(("body", "line"), [
    ("parameters: [{name: a, set: [a.b], bounds: [1, 2], strat: 1.2}]", "parameters[0].strat: is not a key "
     "of a parameter; fix: did you mean start? (use bounds, name, scale, set, set_log, start)"),
    ("parameters: [{name: a, set: [a.b], bounds: [0.8, .inf]}]", "parameters[0].bounds[1]: must be a finite "
     "number, got inf; fix: give a number"),
    ("seeds: 3", "seeds: is not a key of a targets file; fix: did you mean seed? (use overrides, parameters, "
     "replications, seed, targets)"),
    ("replications: 0", "replications: must be >= 1, got 0; fix: set replications to a whole number >= 1"),
    ("seed: -3", "seed: must be >= 0, got -3; fix: set seed to a whole number >= 0"),
    ("replications: 2.5", "replications: must be a whole number >= 1, got 2.5; fix: set replications to a "
                          "whole number such as 1"),
])
def test_seed_and_replications_say_what_they_must_be(tmp_path, body, line):
    with pytest.raises(ConfigError) as error:
        _spec(tmp_path, f"targets: [{{kpi: x, value: 1, tolerance: {{relative: 0.1}}}}]\n{body}")
    assert str(error.value) == line


def test_a_targets_file_not_in_utf8_or_a_folder_is_named_with_its_line(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_bytes("seed: 3\n# observed census, cost in \u00a3\ntargets: []\n".encode("latin-1"))
    with pytest.raises(ConfigError) as error:
        load_target_spec(path)
    assert str(error.value) == (f"{path}: line 2 is not UTF-8 text; fix: save the file as UTF-8 (in Excel: "
                                "CSV UTF-8)")
    with pytest.raises(ConfigError, match="is a folder, not a file"):
        load_target_spec(tmp_path)


@pytest.mark.parametrize(("action", "path"), [("scale", "services.unit.los_days"),
                                              ("set", "services.unit.los_days")])
def test_a_parameter_path_that_is_not_a_number_is_refused_before_any_run(tmp_path, action, path):
    spec = _spec(tmp_path, f"""
        targets: [{{kpi: delay_P1_mean_days, value: 2.0, tolerance: {{relative: 0.1}}}}]
        parameters: [{{name: stay, {action}: [{path}], bounds: [0.5, 2], start: 1}}]
    """)
    with pytest.raises(ConfigError) as error:
        apply_parameters(_system(), spec, {"stay": 1.0})
    assert error.value.field == f"parameters[0].{action}"
    assert error.value.problem == f"{path} is not a number"


def test_an_unknown_kpi_is_named_before_any_fit(tmp_path):
    spec = _spec(tmp_path, "targets: [{kpi: delay_P9_mean_days, value: 1, tolerance: {relative: 0.1}}]")
    with pytest.raises(ConfigError, match="delay_P9_mean_days"):
        evaluate(_system(), spec, {}, replications=1)


def test_the_cli_checks_fits_and_writes_its_tables(tmp_path, capsys):
    from flowsim.cli.calibrate import main

    mine = tmp_path / "myconfigs" / "scenario"  # a scenario of the user's own, from --config-dir
    mine.mkdir(parents=True)
    (mine / "mine.yaml").write_text("# @package _global_\ndefaults:\n  - quick\n  - _self_\n")
    path = tmp_path / "targets.yaml"
    path.write_text(textwrap.dedent("""
        overrides: [scenario=mine, housing=off]
        replications: 2
        targets:
          - {kpi: nctr_census_mean, value: 30, tolerance: {relative: 0.25}}
        parameters:
          - {name: p1_median, set_log: [pathways.arrangement_days.P1.mu], bounds: [0.05, 20], start: 1}
    """), encoding="utf-8")
    out = tmp_path / "out"
    main(["targets", str(path), "--output", str(out), "--max-evaluations", "12", "--check-replications", "3",
          "--config-dir", str(tmp_path / "myconfigs"),
          "pathways.arrangement_days.P1={kind:lognormal,mu:0,sigma:1}"])
    printed = capsys.readouterr().out
    table = pd.read_csv(out / "targets.csv")
    assert table["replications"].tolist() == [3]
    assert "within their tolerance" in printed and "fitted_system.yaml" in printed
    assert (out / "parameters.csv").is_file() and (out / "history.csv").is_file()
    with pytest.raises(SystemExit) as stop:
        main(["targets", str(tmp_path / "missing.yaml")])
    assert stop.value.code == 2
    assert "missing.yaml" in capsys.readouterr().err
    # a budget too small for one step of the fit of its one parameter (3: start, slope, step)
    with pytest.raises(SystemExit) as stop:
        main(["targets", str(path), "--output", str(tmp_path / "few"), "--max-evaluations", "2"])
    assert stop.value.code == 2
    assert ("--max-evaluations: 2 is too few for one step of the fit of 1 parameter(s), which takes 3"
            in capsys.readouterr().err)
    # a KPI the system never computes (housing is off): one line before any fit, not a search on NaN
    path.write_text(path.read_text(encoding="utf-8").replace("nctr_census_mean", "housing_wait_days_mean"),
                    encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        main(["targets", str(path), "--output", str(tmp_path / "nan"), "--config-dir",
              str(tmp_path / "myconfigs")])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "targets: housing_wait_days_mean: is not computed for this system" in err and "; fix: " in err
    assert not (tmp_path / "nan").exists()
