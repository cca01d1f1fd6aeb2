"""Pre-flight checks: strict keys in plain configs, the memory estimate, the output folder."""

from __future__ import annotations

import copy

import pytest
from conftest import single_unit_config

from flowsim import simulate
from flowsim.experiment.io import ROWS_PER_GROUP
from flowsim.experiment.preflight import check_output_dir, check_run
from flowsim.experiment.workload import (
    BYTES_PER_EPISODE_KEPT,
    BYTES_PER_PROCESS,
    check_memory,
    estimate_memory,
    expected_episodes,
)
from flowsim.model.compose import load_scenario
from flowsim.model.errors import ConfigError
from flowsim.model.scenario import build_scenario


@pytest.mark.parametrize(("path", "key", "field", "suggestion"), [
    ((), "seeds", "seeds", "seed"),
    (("run",), "warmup_days", "run.warmup_days", "run.warm_up_days"),
    (("services", "unit"), "capcity", "services.unit.capcity", "services.unit.capacity"),
    (("services", "unit", "los_days"), "maen", "services.unit.los_days.maen", "services.unit.los_days.mean"),
    (("services", "unit", "admission"), "open", "services.unit.admission.open", "open_hour"),
])
def test_unknown_keys_in_a_plain_config_are_refused_with_the_closest_name(path, key, field, suggestion):
    cfg = copy.deepcopy(single_unit_config())
    node = cfg
    for part in path:
        node = node.setdefault(part, {})
    node[key] = 1
    with pytest.raises(ConfigError) as caught:
        build_scenario(cfg)
    assert caught.value.field == field
    assert suggestion in caught.value.fix


def test_a_mapping_where_a_list_belongs_and_the_reverse_are_refused():
    cfg = single_unit_config()
    cfg["services"]["unit"]["pathways"] = {"P2": True}
    with pytest.raises(ConfigError, match=r"services\.unit\.pathways: must be a list"):
        build_scenario(cfg)
    cfg = single_unit_config()
    cfg["run"] = [1, 2]
    with pytest.raises(ConfigError, match="run: must be a mapping"):
        build_scenario(cfg)


def test_the_hydra_section_is_not_checked():
    cfg = single_unit_config()
    cfg["hydra"] = {"anything": {"goes": 1}}
    build_scenario(cfg)


def test_expected_episodes_match_a_run():
    scenario = load_scenario(["scenario=quick", "housing=off"])
    logged = len(simulate(scenario, 0).episodes)
    assert expected_episodes(scenario) == pytest.approx(logged, rel=0.05)


def test_memory_grows_with_parallel_replications_and_kept_patient_tables():
    scenario = build_scenario({**single_unit_config(), "n_jobs": 4})
    one = estimate_memory(scenario, patients=False, replications=1)
    per_replication = one - BYTES_PER_PROCESS
    assert estimate_memory(scenario, patients=False, replications=4) == pytest.approx(
        BYTES_PER_PROCESS + 4 * per_replication, rel=0.01)
    assert estimate_memory(scenario, patients=True, replications=4) > BYTES_PER_PROCESS + 4 * per_replication


def test_memory_for_patient_records_is_one_row_group_per_running_replication_whatever_the_horizon():
    def extra(days: float, n_jobs: int, rate_per_day: float = 8836) -> float:
        scenario = load_scenario([f"arrivals.rate_per_day={rate_per_day}", f"run.horizon_days={days}",
                                  f"n_jobs={n_jobs}"])
        return (estimate_memory(scenario, patients=True, replications=8)
                - estimate_memory(scenario, patients=False, replications=8))

    row_group = ROWS_PER_GROUP * BYTES_PER_EPISODE_KEPT
    assert extra(3650, 1) == pytest.approx(row_group) and extra(7300, 1) == pytest.approx(row_group)
    assert extra(7300, 2) == pytest.approx(2 * row_group)
    assert extra(365, 1, rate_per_day=100) < extra(3650, 1)  # fewer records than a row group


def test_england_for_twenty_years_fits_in_a_few_gigabytes():
    # 10,000 patients a day for 20 years: 74 million episodes. The log streams, so it is not refused
    # on an 8 GB machine (it was, when every episode was kept in memory: an estimate of 74 GB).
    england = load_scenario(["arrivals.rate_per_day=8836", "services.p1_reablement.capacity=18120",
                             "services.ic_beds.capacity=15520", "services.care_home_unit.capacity=800",
                             "services.p3_interim_beds.capacity=14920", "run.horizon_days=7300"])
    assert expected_episodes(england) > 70e6
    estimate = check_memory(england, patients=False, replications=1, available=8 * 2**30)
    assert 2e9 < estimate < 4e9


def test_a_run_that_cannot_fit_is_refused_with_the_estimate_and_the_fix():
    scenario = build_scenario({**single_unit_config(), "n_jobs": 2})
    need = estimate_memory(scenario, patients=True, replications=2)
    check_memory(scenario, patients=True, replications=2, available=int(2 * need))
    with pytest.raises(ConfigError) as caught:
        check_memory(scenario, patients=True, replications=2, available=int(need))
    assert caught.value.field == "run.horizon_days"
    assert "GB" in caught.value.problem
    assert "outputs.patients=false" in caught.value.fix and "n_jobs" in caught.value.fix


def test_check_run_reads_outputs_and_refuses_non_booleans():
    cfg = single_unit_config()
    cfg["outputs"] = {"patients": False}
    plan = check_run(cfg)
    assert (plan.patients, plan.census, plan.summary) == (False, True, True)
    cfg["outputs"] = {"patients": "no"}
    with pytest.raises(ConfigError, match=r"outputs\.patients"):
        check_run(cfg)


def test_the_output_folder_must_be_writable(tmp_path):
    assert check_output_dir(tmp_path / "new" / "run", "hydra.run.dir").is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError) as caught:
        check_output_dir(tmp_path / "file" / "run", "hydra.run.dir")
    assert caught.value.field == "hydra.run.dir"
