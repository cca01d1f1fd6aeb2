"""A sweep's jobs counted before any is listed (flowsim/cli/sweep_size.py): one line for a sweep above
``hydra.sweeper.max_jobs``, and a large allowed sweep shows its checks (flowsim/cli/sweep_check.py).

QA: ``flowsim -m scenario=quick 'services.ic_beds.capacity=range(0,10000000)'`` printed nothing and
took 21 GB in nine minutes; ``range(0,20000)`` printed nothing and started no job within a minute.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser

from flowsim.cli import sweep_check
from flowsim.cli.sweep_size import DEFAULT_MAX_JOBS, check_sweep_size, sweep_size, value_count
from flowsim.model.errors import ConfigError
from tests.test_bad_input import run_in_process
from tests.test_glossary import GLOSSARY, printed_problems

PARSER = OverridesParser.create()
BIG = "services.ic_beds.capacity=range(0,10000000)"


def _parsed(*overrides: str) -> list:
    return PARSER.parse_overrides(list(overrides))


@pytest.mark.parametrize("text", [
    "seed=1,2,3", "seed=choice(1,2)", "seed=3", "seed=range(0,10)", "seed=range(10,0,-3)", "seed=range(5,5)",
    "x=range(0,1,0.1)", "x=range(0,1,0.3)", "x=range(1,0,-0.25)", "x=range(0.1,0.7,0.2)",
    "seed=shuffle(range(0,7))", "seed=tag(a,range(0,4))", "x=[1,2]", "x={a: 1}"])
def test_each_override_is_counted_as_the_basic_sweeper_lists_it(text):
    (override,) = _parsed(text)
    listed = len(list(override.sweep_iterator())) if override.is_sweep_override() else 1
    assert value_count(override) == listed


def test_a_glob_counts_the_options_it_matches():
    loader = SimpleNamespace(get_group_options=lambda group, results_filter=None: ["quick", "winter", "wide"])
    (glob,) = _parsed("scenario=glob(w*)")
    assert value_count(glob, loader) == 2
    assert value_count(glob) is None  # without a loader, left to Hydra (it needs one to list them too)
    (interval,) = _parsed("x=interval(0,1)")
    assert value_count(interval) is None  # the basic sweeper refuses it itself


@pytest.mark.parametrize("overrides", [
    ["seed=1,2,3", "services.ic_beds.capacity=range(0,40,10)", "replications=2"],
    ["seed=1,2,3", "seed=4,5"],  # a key given twice: the basic sweeper keeps the last
    ["+x=1,2", "x=3,4,5"],  # ... and "+x" is another key
    ["seed=range(3,3)", "replications=1,2"],  # an empty range: no job
])
def test_the_count_is_the_number_of_jobs_the_basic_sweeper_makes(overrides):
    parsed = _parsed(*overrides)
    (jobs,) = BasicSweeper.split_arguments(parsed, None)
    assert sweep_size(parsed)[0] == len(jobs)


def test_a_sweep_too_large_is_refused_without_listing_its_jobs():
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        check_sweep_size(_parsed("seed=range(0,1000000000000)", "replications=1,2"), DEFAULT_MAX_JOBS)
    assert time.perf_counter() - started < 1  # listing them would take hours and terabytes
    assert str(caught.value) == (
        "sweep: 2,000,000,000,000 jobs (1,000,000,000,000 values of seed=range(0,1000000000000) times 2 "
        "values of replications=1,2), more than hydra.sweeper.max_jobs allows (10,000); fix: narrow the "
        "range of seed or give it a larger step, e.g. seed=range(0,1000000000000,200000000); or raise the "
        "limit, e.g. hydra.sweeper.max_jobs=2000000000000")
    assert check_sweep_size(_parsed("seed=range(0,10000)"), DEFAULT_MAX_JOBS) == 10_000  # the limit itself


@pytest.mark.parametrize(("overrides", "limit"), [
    (["seed=range(0,20000)", "replications=1,2,3"], 10_000),
    (["seed=range(7,20000,3)", "replications=1,2"], 1000),
    (["seed=range(0,10001)"], 10_000),
])
def test_the_suggested_step_fits_the_limit(overrides, limit):
    with pytest.raises(ConfigError) as caught:
        check_sweep_size(_parsed(*overrides), limit)
    suggested = caught.value.fix.split("e.g. ", 1)[1].split(";")[0]
    assert suggested.startswith("seed=range(")
    assert check_sweep_size(_parsed(suggested, *overrides[1:]), limit) <= limit


def test_a_long_list_is_named_short_and_a_limit_below_one_is_refused():
    values = ",".join(str(v) for v in range(3000))
    with pytest.raises(ConfigError) as caught:
        check_sweep_size(_parsed(f"seed={values}", "replications=1,2,3,4"), DEFAULT_MAX_JOBS)
    line = str(caught.value)
    assert "(3,000 values of seed=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,... times 4 values" in line
    assert "fix: sweep fewer values of seed; or raise the limit" in line
    from flowsim.cli.sweep_size import sweep_limit

    assert sweep_limit(None) == DEFAULT_MAX_JOBS and sweep_limit(50) == 50
    with pytest.raises(ConfigError, match=r"hydra\.sweeper\.max_jobs: must be >= 1, got 0"):
        sweep_limit(0)


def _one_line(code: int, out: str, err: str) -> str:
    assert code == 2, err
    assert out == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("extra", [[], ["hydra/sweeper=basic"], ["~hydra.callbacks.validate"]],
                         ids=["flowsim's sweeper", "Hydra's basic sweeper", "without the checking callback"])
def test_the_command_refuses_a_huge_sweep_at_once_with_one_line(tmp_path, capsys, monkeypatch, extra):
    sweep = tmp_path / "s"
    started = time.perf_counter()
    line = _one_line(*run_in_process(["-m", "scenario=quick", BIG, *extra, f"hydra.sweep.dir={sweep}"],
                                     capsys, monkeypatch))
    assert time.perf_counter() - started < 60
    assert line.startswith("flowsim: error: sweep: 10,000,000 jobs (10,000,000 values of " + BIG + ")"), line
    assert "narrow the range of services.ic_beds.capacity or give it a larger step, e.g. " \
           "services.ic_beds.capacity=range(0,10000000,1000)" in line
    plus = "+" if "hydra/sweeper=basic" in extra else ""  # a setting the basic sweeper does not have
    assert line.endswith(f"or raise the limit, e.g. {plus}hydra.sweeper.max_jobs=10000000"), line
    assert not sweep.exists()


def test_the_limit_is_a_setting_of_flowsims_sweeper(tmp_path, capsys, monkeypatch):
    sweep = tmp_path / "s"
    args = ["-m", "scenario=quick", "seed=1,2,3", "replications=1,2", "hydra.sweeper.max_jobs=5",
            f"hydra.sweep.dir={sweep}"]
    line = _one_line(*run_in_process(args, capsys, monkeypatch))
    assert line.startswith("flowsim: error: sweep: 6 jobs (3 values of seed=1,2,3 times 2 values of "
                           "replications=1,2), more than hydra.sweeper.max_jobs allows (5)"), line
    module = importlib.import_module("hydra_plugins.flowsim_sweeper.flowsim_sweeper")
    assert module.FlowsimSweeperConf().max_jobs == DEFAULT_MAX_JOBS
    assert not sweep.exists()


def test_the_real_command_answers_at_once(tmp_path):
    # QA's command, as a user runs it: it printed nothing and filled the memory
    done = subprocess.run([sys.executable, "-m", "flowsim", "-m", "scenario=quick", BIG,
                           f"hydra.sweep.dir={tmp_path}/s"], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("flowsim: error: sweep: 10,000,000 jobs")
    assert not (tmp_path / "s").exists()


def test_a_large_sweep_says_it_is_checking_its_jobs(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sweep_check, "NOTE_FROM", 2)  # as for a sweep of NOTE_FROM jobs, in seconds
    code, _, err = run_in_process(["-m", "scenario=quick", "services.ic_beds.capacity=-1,-2",
                                  f"hydra.sweep.dir={tmp_path}/s"], capsys, monkeypatch)
    assert code == 2
    note, error = err.strip().splitlines()
    assert note == "flowsim: note: checking the 2 jobs of the sweep before any of them runs"
    assert error.startswith("flowsim: error: sweep job 0 (")
    assert printed_problems(note, GLOSSARY.read_text(encoding="utf-8"))[0] == []  # a row of the glossary


def test_a_glob_sweep_is_checked_job_by_job(tmp_path, capsys, monkeypatch):
    # sweep_job_overrides parsed without Hydra's loader: a glob failed ("ConfigLoader is not set")
    line = _one_line(*run_in_process(["-m", "scenario=glob(quic*)", "services.ic_beds.capacity=-1",
                                      f"hydra.sweep.dir={tmp_path}/s"], capsys, monkeypatch))
    assert line.startswith("flowsim: error: sweep job 0 (scenario=quick services.ic_beds.capacity=-1): ")


def _fake_check(overrides: list[str]) -> str:
    return " ".join(overrides)


@pytest.mark.parametrize("way", ["forked", "pool", "here"])
def test_every_check_moves_the_progress_on_in_job_order(monkeypatch, way):
    jobs = [[f"seed={n}"] for n in range(5)]
    monkeypatch.setattr("hydra.core.global_hydra.GlobalHydra.instance",
                        lambda: SimpleNamespace(config_loader=lambda: None))
    monkeypatch.setattr(sweep_check, "check_job", lambda loader, config, overrides, state=None:
                        _fake_check(overrides))
    monkeypatch.setattr(sweep_check, "launcher_forked_workers", lambda config: 2 if way == "forked" else None)
    if way == "forked" and not importlib.import_module("flowsim.experiment.workers").can_fork():
        pytest.skip("no fork here")

    def pool(config, return_as="list"):
        assert return_as == "generator"  # each check as it finishes, not all at the end
        from joblib import Parallel

        return Parallel(n_jobs=2, backend="threading", return_as=return_as) if way == "pool" else None

    monkeypatch.setattr(sweep_check, "launcher_pool", pool)
    ticks = []
    checks = sweep_check.check_jobs(SimpleNamespace(), jobs, lambda: ticks.append(1))
    assert checks == [f"seed={n}" for n in range(5)] and len(ticks) == 5


def test_on_a_terminal_the_checks_show_a_bar(monkeypatch, capsys):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(sweep_check, "_BAR_DELAY", 0)  # a real bar waits a second before it shows
    with sweep_check.checking_progress(3) as finished:
        for _ in range(3):
            finished()
    err = capsys.readouterr().err
    assert "checking jobs" in err and "3/3" in err and "flowsim: note" not in err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    with sweep_check.checking_progress(sweep_check.NOTE_FROM - 1) as finished:  # a small sweep: silent
        assert finished is None
    assert capsys.readouterr().err == ""


def test_the_line_the_sweeps_page_shows_is_the_one_printed():
    page = (GLOSSARY.parent / "how-to" / "sweeps.md").read_text(encoding="utf-8")
    shown = next(line for line in page.splitlines() if line.startswith("flowsim: error: sweep: "))
    with pytest.raises(ConfigError) as caught:
        check_sweep_size(_parsed("services.ic_beds.capacity=range(0,20000)", "seed=1,2,3"), DEFAULT_MAX_JOBS)
    assert shown == f"flowsim: error: {caught.value}"
