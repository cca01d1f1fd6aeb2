"""A delayed bed day valued by a number or by a named basis of ``costs.bed_day_bases``.

Guards ``flowsim.model.cost_basis`` and its use in ``build_scenario``, ``compute_metrics`` and
``metrics.json``: a basis named gives the same value as the number typed in; an unknown name is one line
and exit code 2; ``cost_delayed_days`` is the hand-counted delayed days times the chosen basis.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
from test_metrics_by_hand import CARE_HOME_CHANGES, CONFIG, REHAB_CHANGES, REL, ROWS, run_result

from flowsim.measures.metrics import compute_metrics
from flowsim.model.compose import load_config, load_scenario
from flowsim.model.cost_basis import CUSTOM, CostBasis, acute_bed_day_basis, bed_day_bases, cost_record
from flowsim.model.errors import ConfigError
from flowsim.model.scenario import build_scenario

BASES = {"full_cost": {"per_day": 395, "source": "King's Fund, 2022/23"},
         "ipacs_2017_18": {"per_day": 346, "source": "IPACS technical guide, 2017/18"},
         "nottingham_2016": {"per_day": 106.81, "source": "Nottingham City Homes, 2016"},
         "marginal": {"per_day": 99, "source": "assumption: the variable part"}}


def _config(acute_bed_day) -> dict:
    config = copy.deepcopy(CONFIG)
    config["costs"] = {"acute_bed_day": acute_bed_day, "bed_day_bases": copy.deepcopy(BASES)}
    return config


def test_the_default_is_the_full_cost_basis_of_395():
    scenario = build_scenario(load_config())
    assert scenario.acute_bed_day_cost == 395
    assert scenario.acute_bed_day_basis.name == "full_cost"
    assert "King's Fund" in scenario.acute_bed_day_basis.source
    assert [b.name for b in scenario.bed_day_bases] == ["full_cost", "ipacs_2017_18", "nottingham_2016",
                                                        "marginal"]
    assert [b.per_day_gbp for b in scenario.bed_day_bases] == [395, 346, 106.81, 99]
    assert scenario.bed_day_bases[3].source.startswith("assumption")


@pytest.mark.parametrize(("name", "number"), [("full_cost", 395), ("ipacs_2017_18", 346),
                                              ("nottingham_2016", 106.81), ("marginal", 99)])
def test_a_basis_by_name_equals_its_number_given_directly(name, number):
    by_name = build_scenario(load_config([f"costs.acute_bed_day={name}"]))
    by_number = build_scenario(load_config([f"costs.acute_bed_day={number}"]))
    assert by_name.acute_bed_day_cost == by_number.acute_bed_day_cost == number
    assert by_name.acute_bed_day_basis.name == name
    assert by_number.acute_bed_day_basis == CostBasis(CUSTOM, number,
                                                      "a number given in costs.acute_bed_day")


def test_cost_of_delayed_days_is_the_hand_counted_days_times_the_chosen_basis():
    # the hand-written log of test_metrics_by_hand: 21.5 delayed days in the window
    changes = {"rehab_beds": REHAB_CHANGES, "care_home": CARE_HOME_CHANGES}
    for value, expected in (("nottingham_2016", 2296.415),  # 21.5 x 106.81
                            ("marginal", 2128.5),  # 21.5 x 99
                            (106.81, 2296.415)):
        kpis = compute_metrics(run_result(_config(value), list(ROWS.values()), changes)).kpis
        assert kpis["delayed_days_total"] == pytest.approx(21.5, rel=REL)
        assert kpis["cost_delayed_days"] == pytest.approx(expected, rel=REL)


def test_the_record_values_the_same_days_on_every_basis():
    bases = bed_day_bases({"bed_day_bases": BASES})
    record = cost_record(bases[2], 106.81, bases, 21.5, 261.5833)
    assert (record["basis"], record["per_day_gbp"]) == ("nottingham_2016", 106.81)
    assert list(record["cost_delayed_days_by_basis"]) == ["nottingham_2016", "full_cost", "ipacs_2017_18",
                                                          "marginal"]
    full = record["cost_delayed_days_by_basis"]["full_cost"]
    assert full["cost_delayed_days_gbp"] == pytest.approx(8492.5, rel=REL)  # 21.5 x 395
    assert full["cost_delayed_days_per_year_gbp"] == pytest.approx(103325.40, rel=1e-6)  # 261.5833 x 395
    custom = cost_record(None, 400.0, bases, 21.5, 261.5833)  # a scenario built without a basis
    assert custom["basis"] == CUSTOM and next(iter(custom["cost_delayed_days_by_basis"])) == CUSTOM
    assert custom["cost_delayed_days_by_basis"][CUSTOM]["cost_delayed_days_gbp"] == 8600.0  # 21.5 x 400


@pytest.mark.parametrize(("costs", "field", "words"), [
    ({"acute_bed_day": "kings_fund"}, "costs.acute_bed_day",
     "unknown cost basis 'kings_fund'; fix: give GBP per bed day as a number or one of the bases: full_cost, "
     "ipacs_2017_18, nottingham_2016, marginal"),
    ({"acute_bed_day": "full_cost", "bed_day_bases": {"full_cost": {"per_day": -1, "source": "x"}}},
     "costs.bed_day_bases.full_cost.per_day", "must be >= 0"),
    ({"acute_bed_day": 1, "bed_day_bases": {"full_cost": {"per_day": 395, "source": " "}}},
     "costs.bed_day_bases.full_cost.source", "must name where the figure comes from"),
    ({"acute_bed_day": 1, "bed_day_bases": {"custom": {"per_day": 1, "source": "x"}}},
     "costs.bed_day_bases.custom", "kept for a number"),
    ({"acute_bed_day": 1, "bed_day_bases": {"a": 3}}, "costs.bed_day_bases.a", "must be a mapping"),
])
def test_a_wrong_basis_is_one_message_naming_the_field(costs, field, words):
    merged = {"bed_day_bases": BASES, **costs}
    with pytest.raises(ConfigError) as error:
        acute_bed_day_basis(merged)
    assert error.value.field == field and words in str(error.value)


def test_an_unknown_basis_on_the_command_line_is_one_line_and_exit_code_2(tmp_path):
    done = subprocess.run([sys.executable, "-m", "flowsim", f"hydra.run.dir={tmp_path}", "scenario=quick",
                           "costs.acute_bed_day=nottingham"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "flowsim: error: costs.acute_bed_day: unknown cost basis 'nottingham'; fix: did you mean "
        "nottingham_2016? give GBP per bed day as a number or one of the bases: full_cost, ipacs_2017_18, "
        "nottingham_2016, marginal"]
    assert not (tmp_path / "metrics.json").exists()


def test_metrics_json_names_the_basis_and_values_every_basis(tmp_path):
    done = subprocess.run([sys.executable, "-m", "flowsim", f"hydra.run.dir={tmp_path}", "scenario=quick",
                           "replications=1", "outputs.patients=false", "outputs.census=false",
                           "costs.acute_bed_day=ipacs_2017_18"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    record, kpis = metrics["acute_bed_day_cost"], metrics["kpis"]
    assert (record["basis"], record["per_day_gbp"]) == ("ipacs_2017_18", 346)
    assert record["source"] == "IPACS technical guide, 2017/18 prices"
    assert kpis["cost_delayed_days"] == pytest.approx(kpis["delayed_days_total"] * 346, rel=REL)
    by_basis = record["cost_delayed_days_by_basis"]
    assert set(by_basis) == {"full_cost", "ipacs_2017_18", "nottingham_2016", "marginal"}
    for value in by_basis.values():
        expected = kpis["delayed_days_total"] * value["per_day_gbp"]
        assert value["cost_delayed_days_gbp"] == pytest.approx(expected, rel=REL)
    chosen = by_basis["ipacs_2017_18"]["cost_delayed_days_gbp"]
    assert chosen == pytest.approx(kpis["cost_delayed_days"], rel=REL)


def test_an_amount_typed_as_text_is_an_amount_not_a_basis_name():
    typed = load_scenario(["scenario=quick", "costs.acute_bed_day='300'"])
    assert typed.acute_bed_day_cost == 300.0 and typed.acute_bed_day_basis.name == "custom"
