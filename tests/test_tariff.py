"""Tiered block tariffs (``cost_per_bed_week: {by, tiers}``) against block costs worked out by hand.

Guards ``flowsim.model.tariff`` and the block cost of ``flowsim.measures.metrics``: by places a unit of
10 places pays the 10-place rate and one of 9 the small-unit rate; by contract weeks a 12-week surge
block pays the short-contract rate and a 52-week one (or a block still open when the run ends) the
long-contract rate; a plain number is priced as before; a wrong tariff is one line naming the field.
"""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
from test_metrics_by_hand import CONFIG, REL, run_result

from flowsim.measures.metrics import compute_metrics
from flowsim.model.errors import ConfigError
from flowsim.model.tariff import TieredTariff, tariff_from_config

# toolkit 2022: residential GBP 768 a week, + 100 %, + 75 %, + 50 %
BY_PLACES = {"by": "places", "tiers": [{"from": 1, "per_bed_week": 1536}, {"from": 10, "per_bed_week": 1344},
                                       {"from": 20, "per_bed_week": 1152}]}
BY_WEEKS = {"by": "contract_weeks", "tiers": [{"from": 1, "per_bed_week": 1536},
                                              {"from": 13, "per_bed_week": 1344},
                                              {"from": 52, "per_bed_week": 1152}]}
FIELD = "services.rehab_beds.cost_per_bed_week"


def _block(cost, capacity: int, schedule=()) -> float:
    """``rehab_beds``'s cost_block in the hand-written system of test_metrics_by_hand: window [10, 40)."""
    config = copy.deepcopy(CONFIG)
    unit = config["services"]["rehab_beds"]
    unit.update(capacity=capacity, cost_per_bed_week=cost, capacity_schedule=list(schedule))
    return compute_metrics(run_result(config, [], {})).units[1]["cost_block"]


def test_nine_places_pay_the_small_unit_rate_and_ten_the_next_tier():
    assert _block(BY_PLACES, 9) == pytest.approx(9 * 30 / 7 * 1536, rel=REL)  # 59,245.71
    assert _block(BY_PLACES, 10) == pytest.approx(10 * 30 / 7 * 1344, rel=REL)  # 57,600: less for more
    assert _block(BY_PLACES, 20) == pytest.approx(20 * 30 / 7 * 1152, rel=REL)  # 98,742.86


def test_by_places_each_period_of_the_schedule_has_its_own_rate():
    # 9 places, 10 from day 20 (2025-01-26): 9 x 10 days at 1536, then 10 x 20 days at 1344
    cost = _block(BY_PLACES, 9, [{"start": "2025-01-26", "capacity": 10}])
    assert cost == pytest.approx(9 * 10 / 7 * 1536 + 10 * 20 / 7 * 1344, rel=REL)  # 19,748.57 + 38,400


def test_a_twelve_week_surge_block_pays_the_short_contract_rate_and_a_52_week_one_the_long():
    tariff = tariff_from_config(BY_WEEKS, FIELD)
    surge = [(0.0, 0), (100.0, 5), (184.0, 0)]  # 5 places for 84 days = 12 weeks
    assert tariff.block_cost_gbp(surge, 0.0, 400.0, 400.0) == pytest.approx(5 * 12 * 1536, rel=REL)  # 92,160
    year = [(0.0, 0), (100.0, 5), (464.0, 0)]  # 364 days = 52 weeks
    assert tariff.block_cost_gbp(year, 0.0, 600.0, 600.0) == pytest.approx(5 * 52 * 1152, rel=REL)  # 299,520
    thirteen = [(0.0, 0), (100.0, 5), (191.0, 0)]  # 91 days = 13 weeks: the middle tier
    assert tariff.block_cost_gbp(thirteen, 0.0, 400.0, 400.0) == pytest.approx(5 * 13 * 1344, rel=REL)


def test_a_surge_on_top_of_a_standing_unit_is_its_own_short_contract():
    # places 1-10 open all run (still open at the end: at least 52 weeks); places 11-15 for 12 weeks
    tariff = tariff_from_config(BY_WEEKS, FIELD)
    steps = [(0.0, 10), (100.0, 15), (184.0, 10)]
    expected = 10 * 400 / 7 * 1152 + 5 * 84 / 7 * 1536  # 658,285.71 + 92,160
    assert tariff.block_cost_gbp(steps, 0.0, 400.0, 400.0) == pytest.approx(expected, rel=REL)


def test_by_contract_weeks_through_the_metrics():
    # 2 beds all run (open at the end: 52 weeks or more, 1152); a third bed 20-34 (2 weeks, 1536)
    schedule = [{"start": "2025-01-26", "capacity": 3}, {"start": "2025-02-09", "capacity": 2}]
    assert _block(BY_WEEKS, 2, schedule) == pytest.approx(2 * 30 / 7 * 1152 + 1 * 14 / 7 * 1536, rel=REL)
    # a unit open the whole (45-day) run is a standing contract, not a 6-week one
    assert _block(BY_WEEKS, 2) == pytest.approx(2 * 30 / 7 * 1152, rel=REL)


def test_a_plain_number_is_priced_as_before():
    assert tariff_from_config(1152, FIELD) == 1152.0 and isinstance(tariff_from_config(1152, FIELD), float)
    schedule = [{"start": "2025-01-26", "capacity": 3}]
    assert _block(70.0, 2, schedule) == pytest.approx((2 * 10 + 3 * 20) / 7 * 70, rel=REL)  # 800
    one_tier = {"by": "places", "tiers": [{"from": 1, "per_bed_week": 70.0}]}
    assert _block(one_tier, 2, schedule) == pytest.approx(_block(70.0, 2, schedule), rel=REL)


def test_the_rate_of_the_highest_tier_reached():
    tariff = TieredTariff("places", ((5.0, 100.0), (10.0, 80.0)))
    assert [tariff.rate_gbp_per_bed_week(n) for n in (1, 4, 5, 9, 10, 99)] == [100, 100, 100, 100, 80, 80]
    assert tariff.describe() == "per place-week by places: GBP 100 from 5, GBP 80 from 10"


@pytest.mark.parametrize(("value", "field", "words"), [
    ({"by": "beds", "tiers": BY_PLACES["tiers"]}, f"{FIELD}.by",
     "must be places or contract_weeks, got 'beds'"),
    ({"by": "places", "tiers": []}, f"{FIELD}.tiers", "must be a non-empty list"),
    ({"by": "places", "tiers": [{"from": 10, "per_bed_week": 1}, {"from": 10, "per_bed_week": 2}]},
     f"{FIELD}.tiers[1].from", "(10) must be above the tier before it (10)"),
    ({"by": "places", "tiers": [{"from": 10, "per_bed_week": 1}, {"from": 5, "per_bed_week": 2}]},
     f"{FIELD}.tiers[1].from", "(5) must be above the tier before it (10)"),
    ({"by": "places", "tiers": [{"from": 0, "per_bed_week": 1}]}, f"{FIELD}.tiers[0].from", "must be >= 1"),
    ({"by": "places", "tiers": [{"from": 2.5, "per_bed_week": 1}]}, f"{FIELD}.tiers[0].from",
     "must be a whole number"),
    ({"by": "contract_weeks", "tiers": [{"from": 0, "per_bed_week": 1}]}, f"{FIELD}.tiers[0].from",
     "must be above 0"),
    ({"by": "places", "tiers": [{"from": 1, "per_bed_week": -5}]}, f"{FIELD}.tiers[0].per_bed_week",
     "must be >= 0"),
    ({"by": "places", "tiers": [{"from": 1}]}, f"{FIELD}.tiers[0].per_bed_week", "is missing"),
    ({"by": "places", "tiers": [{"from": 1, "per_bed_wk": 5}]}, f"{FIELD}.tiers[0].per_bed_wk",
     "unknown key"),
    ({"by": "places", "tier": []}, f"{FIELD}.tier", "did you mean"),
    ("cheap", FIELD, "must be a number"),
])
def test_a_wrong_tariff_is_one_message_naming_the_field(value, field, words):
    with pytest.raises(ConfigError) as error:
        tariff_from_config(value, FIELD)
    assert error.value.field == field and words in str(error.value)
    assert "\n" not in str(error.value)


def test_a_wrong_tariff_on_the_command_line_is_one_line_and_exit_code_2(tmp_path):
    tariff = "{by: places, tiers: [{from: 10, per_bed_week: 1344}, {from: 1, per_bed_week: 1536}]}"
    done = subprocess.run([sys.executable, "-m", "flowsim", f"hydra.run.dir={tmp_path}", "scenario=quick",
                           f"services.care_home_unit.cost_per_bed_week={tariff}"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "flowsim: error: services.care_home_unit.cost_per_bed_week.tiers[1].from: (1) must be above the "
        "tier before it (10); fix: list tiers in ascending order of from"]


@pytest.mark.parametrize("scenario", ["care_home_unit_tiered", "care_home_unit_short_contract"])
def test_the_example_configs_validate(scenario):
    from flowsim.model.compose import load_config
    from flowsim.model.scenario import build_scenario
    unit = build_scenario(load_config([f"scenario={scenario}"])).unit("care_home_unit")
    assert isinstance(unit.cost_per_bed_week, TieredTariff)
    assert [rate for _, rate in unit.cost_per_bed_week.tiers] == [1536, 1344, 1152]  # 768 x 2, 1.75, 1.5
