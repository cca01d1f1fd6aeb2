"""What the app shows of a system, a finished run and a finished sweep.

Guards :mod:`flowsim.app.results` against a real quick run and a real quick sweep: the headline table
carries the run's own means and confidence intervals (costs over the observed window made yearly), the
utilisation table the summary's utilisation, the system table each unit's places and mean stay; a sweep
is compared with the baseline the planner had (today's value, or another one named), with the avoided
days the paired replications give, options labelled as the CLI labels them and the board pack's
sentence; and the run's charts are real pictures, not empty axes.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from omegaconf import OmegaConf

from flowsim.app.fields import apply_edits
from flowsim.app.results import headline_table, load_run, load_sweep, system_table, utilisation_table
from flowsim.experiment.compare import compare_to_baseline, select_baseline
from flowsim.experiment.sweep import collect_sweep
from flowsim.model.compose import load_config
from flowsim.model.scenario import build_scenario
from flowsim.reporting.decision import DEFAULT_RULE, decide

CAPACITY = "services.ic_beds.capacity"
SWEPT = [39, 30, 50]  # 39: the quick scenario's own value
COSTS = ["cost_delayed_days", "cost_services", "cost_total"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A finished run (scenario=quick, 3 replications) and sweep (IC beds 39, 30, 50; 3 replications)."""
    root = tmp_path_factory.mktemp("results")
    commands = {
        "run": ["scenario=quick", "replications=3", "hydra.run.dir=run"],
        "sweep": ["-m", "scenario=quick", "replications=3", f"{CAPACITY}={','.join(map(str, SWEPT))}",
                  "hydra.sweep.dir=sweep"],
    }
    procs = {name: subprocess.Popen([sys.executable, "-m", "flowsim", *words], cwd=root, text=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for name, words in commands.items()}
    for name, proc in procs.items():
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{name}: {stderr}"
    return root / "run", root / "sweep"


@pytest.fixture(scope="module")
def run(folders):
    return load_run(folders[0])


def _summary(folder) -> pd.DataFrame:
    return pd.read_csv(folder / "summary.csv").set_index("kpi")


def _observed_days(folder) -> float:
    return json.loads((folder / "metrics.json").read_text())["observed_days"]


def _job_replications(sweep, capacity: int) -> pd.DataFrame:
    """replications.parquet of the sweep job that ran ``capacity`` IC beds, by replication."""
    for job in sorted(p for p in sweep.iterdir() if p.is_dir() and p.name.isdigit()):
        manifest = json.loads((job / "manifest.json").read_text())
        if manifest["config"]["services"]["ic_beds"]["capacity"] == capacity:
            return pd.read_parquet(job / "replications.parquet").set_index("replication")
    raise AssertionError(f"no job with {capacity} IC beds")


def test_headline_rows_carry_the_runs_mean_and_ci(folders, run):
    summary = _summary(folders[0])
    table = headline_table(run.summary, run.observed_days).set_index("kpi")
    assert run.observed_days == _observed_days(folders[0]) == 120.0
    assert {"delayed_days_per_year", "nctr_census_mean", "delay_mean_days", "cost_total"} <= set(table.index)
    for kpi in ("delayed_days_per_year", "nctr_census_mean", "nctr_census_midnight_p95", "delay_mean_days"):
        row = table.loc[kpi]
        assert (row["mean"], row["95% CI low"], row["95% CI high"]) == (
            summary.loc[kpi, "mean"], summary.loc[kpi, "ci_low"], summary.loc[kpi, "ci_high"]), kpi
    assert table.loc["delayed_days_per_year", "unit"] == "bed-days a year"


def test_headline_costs_are_made_yearly_from_the_observed_window(folders, run):
    summary = _summary(folders[0])
    per_year = 365 / _observed_days(folders[0])  # 365 / 120
    table = headline_table(run.summary, run.observed_days).set_index("kpi")
    for kpi in COSTS:
        row = table.loc[kpi]
        assert row["unit"] == "GBP a year"
        assert row["mean"] == pytest.approx(summary.loc[kpi, "mean"] * per_year, rel=1e-12)
        assert row["95% CI low"] == pytest.approx(summary.loc[kpi, "ci_low"] * per_year, rel=1e-12)
        assert row["95% CI high"] == pytest.approx(summary.loc[kpi, "ci_high"] * per_year, rel=1e-12)
    # by hand: the total cost a year is the window's mean total times 365/120
    by_hand = pd.read_parquet(folders[0] / "replications.parquet")["cost_total"].mean() * 365 / 120
    assert table.loc["cost_total", "mean"] == pytest.approx(by_hand, rel=1e-9)


def test_utilisation_is_the_summarys_in_percent(folders, run):
    summary = _summary(folders[0])
    table = utilisation_table(run.summary, run.units).set_index("unit")
    assert list(table.index) == ["p1_reablement", "ic_beds", "care_home_unit", "p3_interim_beds"]
    for unit, row in table.iterrows():
        kpi = f"unit_{unit}_utilisation"
        assert row["utilisation %"] == pytest.approx(100 * summary.loc[kpi, "mean"], rel=1e-12)
        full = max(100.0, 100 * summary.loc[kpi, "mean"])  # an interval's ends cut at what is possible
        assert row["95% CI low %"] == pytest.approx(max(0.0, 100 * summary.loc[kpi, "ci_low"]), rel=1e-12)
        assert row["95% CI high %"] == pytest.approx(min(full, 100 * summary.loc[kpi, "ci_high"]), rel=1e-12)
        assert 0 <= row["utilisation %"] <= 100
    assert table.loc["ic_beds", "places"] == 39
    assert table.loc["p1_reablement", "places"] == 45


def test_intervals_are_cut_at_what_is_possible():
    """Two replications of a noisy unit showed a delay of -5.25 days and a utilisation of -23 % to 180 %
    (found by a QA pass in Chromium): the ends are cut at 0 and, for utilisation, at full."""
    summary = pd.DataFrame({"kpi": ["delay_P3_mean_days", "delay_P2_mean_days", "unit_u_utilisation",
                                    "unit_v_utilisation"],
                            "mean": [4.0, 3.0, 0.78, 1.02], "ci_low": [-5.25, 1.0, -0.233, 0.9],
                            "ci_high": [13.25, 5.0, 1.8023, 1.3]})
    table = headline_table(summary, 365.0).set_index("kpi")
    assert table.loc["delay_P3_mean_days", ["95% CI low", "95% CI high"]].tolist() == [0.0, 13.25]
    assert table.loc["delay_P2_mean_days", ["95% CI low", "95% CI high"]].tolist() == [1.0, 5.0]
    units = pd.DataFrame({"unit": ["u", "v"], "mean_capacity": [4.0, 4.0], "mean_occupied": [3.1, 4.1],
                          "mean_wait_days": [1.0, 2.0]})
    shares = utilisation_table(summary, units).set_index("unit")
    assert shares.loc["u", ["95% CI low %", "95% CI high %"]].tolist() == [0.0, 100.0]
    # over full on average (places cut under the patients in them): the interval still holds the mean
    assert shares.loc["v", ["95% CI low %", "95% CI high %"]].tolist() == pytest.approx([90.0, 102.0])
    one = headline_table(summary.assign(ci_low=float("nan"), ci_high=float("nan")), 365.0)
    assert one["95% CI low"].isna().all()  # one replication: no interval, not 0


def test_the_shown_utilisation_says_dash_where_one_replication_has_no_interval():
    from flowsim.app.page_results import _utilisation

    table = pd.DataFrame({"unit": ["ic_beds"], "places": [39.0], "utilisation %": [91.234],
                          "95% CI low %": [float("nan")], "95% CI high %": [None], "mean occupied": [35.6],
                          "mean wait for a place (days)": [1.0]})
    shown = _utilisation(table).iloc[0].to_dict()
    assert shown == {"unit": "ic_beds", "places": "39", "utilisation %": "91.23", "95% CI low %": "—",
                     "95% CI high %": "—", "mean occupied": "35.60", "mean wait for a place (days)": "1.00"}
    # places that change over the run (a seasonal factor, a dated step): their mean, to 2 decimals
    assert _utilisation(table.assign(places=[1234.567])).iloc[0]["places"] == "1,234.57"


def test_system_table_shows_places_and_mean_stay():
    config = OmegaConf.to_container(load_config(["scenario=quick"]), resolve=True)
    weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri"]
    config = apply_edits(config, {"services.care_home_unit.admission.days": weekdays,
                                  "services.p3_interim_beds.los_days.mean": 43.26})
    table = system_table(build_scenario(config)).set_index("unit")
    assert table["places"].to_dict() == {"p1_reablement": 45, "ic_beds": 39, "care_home_unit": 2,
                                         "p3_interim_beds": 37}
    assert table.loc["ic_beds", "mean stay (days)"] == 36.0  # lognormal, mean 36
    assert table.loc["p3_interim_beds", "mean stay (days)"] == 43.3  # edited: 43.26, to a tenth of a day
    # lognormal by mu 1.9459, sigma 1.2346: mean exp(mu + sigma^2 / 2) = 15.0 days
    p1_mean = round(math.exp(1.9459 + 1.2346**2 / 2), 1)
    assert table.loc["p1_reablement", "mean stay (days)"] == p1_mean == 15.0
    assert table.loc["ic_beds", "pathways"] == "P2"
    assert table.loc["ic_beds", "GBP per occupied day"] == 150
    assert table.loc["care_home_unit", "GBP per place-week"] == 1152
    assert table.loc["ic_beds", "admits"] == "every day"
    assert table.loc["care_home_unit", "admits"] == "5 days a week"


def test_sweep_against_todays_value(folders):
    sweep = folders[1]
    view = load_sweep(sweep, {CAPACITY: 39})
    table = view.table()
    assert list(table["option"]) == ["ic_beds=39", "ic_beds=30", "ic_beds=50"]
    assert list(table["baseline"]) == [True, False, False]
    assert table.loc[0, "delayed days avoided a year"] == 0.0
    assert list(table["added places"]) == [0.0, -9.0, 11.0]
    avoided = view.comparison["delayed_days_avoided_per_year"]
    assert list(table["delayed days avoided a year"]) == list(avoided)
    # the command line's columns too (the app lacked them: a QA pass)
    per_place = view.comparison["delayed_days_avoided_per_added_place"]
    np.testing.assert_array_equal(table["avoided a year per added place"][1:], per_place[1:])
    assert math.isnan(table.loc[0, "avoided a year per added place"])  # the baseline adds no place
    np.testing.assert_array_equal(table["return per GBP"][1:], view.comparison["return_per_pound"][1:])


def test_a_named_baseline_is_the_baseline_of_the_comparison(folders):
    sweep = folders[1]
    view = load_sweep(sweep, {CAPACITY: 50, "services.p1_reablement.capacity": 45})  # not swept: ignored
    table = view.table().set_index("option")
    assert table.loc["ic_beds=50", "baseline"]
    assert table["baseline"].sum() == 1
    assert table.loc["ic_beds=50", "delayed days avoided a year"] == 0.0
    assert table.loc["ic_beds=50", "net saving GBP a year"] == 0.0
    assert table.loc["ic_beds=39", "added places"] == -11.0
    tables = collect_sweep(sweep, write=False)
    pipeline = compare_to_baseline(tables, select_baseline(tables, {CAPACITY: 50}))
    pd.testing.assert_frame_equal(view.comparison, pipeline)
    # by hand: 30 beds against 50, paired by replication, made yearly
    base, option = _job_replications(sweep, 50), _job_replications(sweep, 30)
    avoided = (base["delayed_days_total"] - option.loc[base.index, "delayed_days_total"]).mean() * 365 / 120
    assert table.loc["ic_beds=30", "delayed days avoided a year"] == pytest.approx(avoided, rel=1e-9)


def test_the_sentence_is_the_board_packs(folders):
    sweep = folders[1]
    sentences = {}
    for value in (39, 50):
        view = load_sweep(sweep, {CAPACITY: value})
        tables = collect_sweep(sweep, write=False)
        comparison = compare_to_baseline(tables, select_baseline(tables, {CAPACITY: value}))
        board = decide(comparison, DEFAULT_RULE, swept=tables.swept)
        assert view.sentence == board.sentence
        sentences[value] = view.sentence
    assert sentences[39] != sentences[50]  # the decision is against the baseline asked for
    assert "services.ic_beds.capacity" in sentences[39]


def test_reading_a_sweep_writes_nothing(folders):
    sweep = folders[1]
    before = {p: p.stat().st_mtime_ns for p in sweep.rglob("*")}
    load_sweep(sweep, {CAPACITY: 30})
    assert {p: p.stat().st_mtime_ns for p in sweep.rglob("*")} == before


def _png_pixels(figure: Figure) -> np.ndarray:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=50)
    buffer.seek(0)
    return matplotlib.image.imread(buffer, format="png")


def _has_data(figure: Figure) -> bool:
    return any(axis.lines or axis.patches or axis.images or axis.collections for axis in figure.axes)


@pytest.mark.parametrize("which", ["fan_figure", "reasons_figure", "utilisation_figure"])
def test_run_figures_are_pictures_with_data(run, which):
    figure = getattr(run, which)()
    assert isinstance(figure, Figure)
    assert figure.axes and _has_data(figure)
    pixels = _png_pixels(figure)
    assert pixels.ndim == 3 and pixels.shape[0] > 50 and pixels.shape[1] > 50
    assert pixels[..., :3].var() > 1e-3, "a blank image"


def test_reasons_bars_add_up_to_the_delayed_days_a_year(folders, run):
    figure = run.reasons_figure()
    heights = sum(patch.get_height() for patch in figure.axes[0].patches)
    assert heights == pytest.approx(_summary(folders[0]).loc["delayed_days_per_year", "mean"], rel=1e-6)


def test_sweep_figure_is_a_picture(folders):
    figure = load_sweep(folders[1], {CAPACITY: 39}).figure()
    assert isinstance(figure, Figure) and _has_data(figure)
    assert _png_pixels(figure)[..., :3].var() > 1e-3


def test_a_runs_warnings_and_notes_are_read_from_its_log_in_the_apps_words(tmp_path):
    """The app showed a run's warnings but never its notes: a run without arrivals showed zeros with no
    word of why (found by a QA pass)."""
    from flowsim.app.jobs import Job
    from flowsim.app.page_results import run_warnings

    job = Job("run", tmp_path, ["flowsim"], "quick", 2)
    assert run_warnings(job) == [] and run_warnings(job, "note") == []  # no log yet
    job.log.parent.mkdir(parents=True, exist_ok=True)
    warning = ("delay_mean_days: 95 % CI half-width is 40.0 % of the mean with 2 replications (target 5 %); "
               "about 100 replications would reach it")
    job.log.write_text("flowsim: 2 replication(s)\n"
                       "flowsim: note: no patient became discharge ready (NCTR) in the observed window\n"
                       f"flowsim: warning: {warning} (set replications= or precision.adaptive=true)\n",
                       encoding="utf-8")
    assert run_warnings(job, "note") == ["no patient became discharge ready (NCTR) in the observed window"]
    shown = warning.replace("delay_mean_days", "Mean delay per discharge-ready patient")
    assert run_warnings(job) == [f"{shown} (raise Replications: Edit tab, Run)"]
