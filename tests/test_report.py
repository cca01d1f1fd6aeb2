"""``flowsim-report``: every applicable figure of a run or a sweep, as PNG and SVG, drawing the right numbers.

The run and sweep folders are made in this process (``run_scenario``), so that mutation testing sees
:mod:`flowsim.reporting.report`; the figures ``render_report`` draws are captured as it saves them and their
artists compared with values computed here, independently, from the job folders' own tables
(``replications.parquet``, ``census.parquet``, ``units.parquet``, ``patients.parquet``): paired
differences per replication, their mean and t-quantile interval. The PNG files are decoded (size,
not blank) and the SVG files are checked to be reproducible.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.image import imread

import flowsim
from flowsim.cli.main import collect_and_report
from flowsim.experiment.pipeline import run_scenario
from flowsim.model.compose import load_config
from flowsim.reporting import report
from flowsim.reporting.report import FORMATS, ReportError, main, render_report

TINY = ["scenario=quick", "run.warm_up_days=30", "run.horizon_days=90", "outputs.summary=false"]
OPTION = "services.ic_beds.capacity"  # the P2 beds: few enough that places matter
RUN_FIGURES = {"nctr_census_fan", "delay_reasons", "unit_utilisation_weekly", "wait_distribution"}
SWEEP_FIGURES = RUN_FIGURES | {"avoided_vs_option", "marginal_benefit", "cost_vs_saving"}
OPTIONS = [(0, 12), (1, 16), (2, 20)]  # (job, places)
T_975_2 = 4.302652729749462  # scipy.stats.t.ppf(0.975, 2): 3 replications
DAYS_PER_YEAR = 365.0


def _run(out: Path, overrides: list[str], job: int | None = None) -> Path:
    run_scenario(load_config(overrides), out, overrides=overrides, progress=False, job=job)
    return out


def _sweep(out: Path, capacities: tuple[int, ...], replications: int = 3) -> Path:
    """A sweep folder as the basic launcher leaves it: job folders 0/, 1/, ... of one swept key."""
    for job, capacity in enumerate(capacities):
        _run(out / str(job), [*TINY, f"replications={replications}", f"{OPTION}={capacity}"], job)
    return out


def _built(name: str, build, tmp_path_factory) -> Path:
    """A folder made by ``build(path)``: once per test session, or under mutmut once per flowsim source.

    Each mutant runs in a fresh test session; the runs do not depend on the modules mutated here
    (report, plots, board), so a mutation run builds them once, keyed by the source it imports.
    """
    if "MUTANT_UNDER_TEST" not in os.environ:
        return build(tmp_path_factory.mktemp(name))
    source = hashlib.sha256()
    for path in sorted(Path(flowsim.__file__).parent.rglob("*.py")):
        source.update(path.read_bytes())
    cached = Path(tempfile.gettempdir()) / "flowsim-test-report" / f"{name}-{source.hexdigest()[:16]}"
    if not cached.is_dir():
        staging = build(tmp_path_factory.mktemp(name))
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging, cached.with_suffix(".tmp"), dirs_exist_ok=True)
        os.replace(cached.with_suffix(".tmp"), cached)
    return cached


def _build_sweep(out: Path) -> Path:
    """Three options (12, 16 and 20 places), three replications, gathered as flowsim-collect does."""
    _sweep(out, (12, 16, 20))
    collect_and_report(str(out))
    return out


@pytest.fixture(scope="module")
def built_run(tmp_path_factory) -> Path:
    return _built("run", lambda out: _run(out, [*TINY, "replications=2"]), tmp_path_factory)


@pytest.fixture(scope="module")
def built_sweep(tmp_path_factory) -> Path:
    return _built("sweep", _build_sweep, tmp_path_factory)


@pytest.fixture
def run_dir(built_run, tmp_path) -> Path:
    """A run folder of its own for each test (render_report writes figures into it)."""
    return _copy(built_run, tmp_path / "run")


@pytest.fixture
def sweep_dir(built_sweep, tmp_path) -> Path:
    return _copy(built_sweep, tmp_path / "sweep")


@pytest.fixture
def saved(monkeypatch) -> dict[str, object]:
    """Name -> a copy of each figure render_report saves (the original is cleared once saved)."""
    figures: dict[str, object] = {}
    save = report._save

    def record(fig, folder, name, formats):
        figures[name] = pickle.loads(pickle.dumps(fig))
        written = save(fig, folder, name, formats)
        assert fig.axes == []  # cleared: its artists are freed at once
        return written

    monkeypatch.setattr(report, "_save", record)
    return figures


@pytest.fixture
def drawn(monkeypatch) -> dict[str, object]:
    """Name -> each figure render_report draws, not written (rendering files is the slow part)."""
    figures: dict[str, object] = {}

    def record(fig, folder, name, formats):
        figures[name] = fig
        return [folder / f"{name}.{fmt}" for fmt in formats]

    monkeypatch.setattr(report, "_save", record)
    return figures


def _copy(sweep: Path, to: Path) -> Path:
    return Path(shutil.copytree(sweep, to, ignore=shutil.ignore_patterns("figures", "checkpoints")))


@functools.cache
def _replications(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "replications.parquet").set_index("replication").sort_index()


def _paired(sweep: Path, base: int, job: int, column: str) -> np.ndarray:
    """Per replication: baseline minus option, per year."""
    b, o = _replications(sweep / str(base)), _replications(sweep / str(job))
    return ((b[column] - o[column]) * DAYS_PER_YEAR / b["observed_days"]).to_numpy()


def _net(sweep: Path, base: int, job: int) -> np.ndarray:
    """Acute saving minus added service cost, per replication and year."""
    return _paired(sweep, base, job, "cost_delayed_days") + _paired(sweep, base, job, "cost_services")


def _ci(values: np.ndarray) -> tuple[float, float, float]:
    mean = values.sum() / values.size
    half = T_975_2 * np.sqrt(((values - mean) ** 2).sum() / (values.size - 1) / values.size)
    return mean, mean - half, mean + half


def _band(collection: PolyCollection) -> tuple[np.ndarray, np.ndarray]:
    vertices = collection.get_paths()[0].vertices
    xs = np.unique(vertices[:, 0])
    return (np.array([vertices[vertices[:, 0] == x, 1].min() for x in xs]),
            np.array([vertices[vertices[:, 0] == x, 1].max() for x in xs]))


def _median_census(folder: Path) -> np.ndarray:
    census = pd.read_parquet(folder / "census.parquet")
    wide = census.pivot(index="date", columns="replication", values="nctr_census").sort_index()
    return np.median(wide.to_numpy(dtype=float), axis=1)


def _check_files(folder: Path, expected: set[str], drawn: dict[str, object]) -> None:
    """Every figure as PNG (decodes, 150 dpi, not blank) and SVG."""
    found: dict[str, set[str]] = {}
    for path in (folder / "figures").iterdir():
        found.setdefault(path.stem, set()).add(path.suffix)
    assert found == {stem: {".png", ".svg"} for stem in expected}
    assert set(drawn) == expected
    for stem in expected:
        pixels = imread(folder / "figures" / f"{stem}.png")
        width, height = drawn[stem].get_size_inches() * 150
        assert pixels.shape[:2] == (round(height), round(width)), stem
        assert pixels[..., :3].var() > 0.001, stem  # not blank
        svg = (folder / "figures" / f"{stem}.svg").read_text(encoding="utf-8")
        assert svg.startswith("<?xml") and svg.rstrip().endswith("</svg>"), stem
        assert "<dc:date>" not in svg, stem  # no creation date: the same tables give the same file


def _reason_heights(fig) -> dict[str, list[float]]:
    (axis,) = fig.axes
    return {c.patches[0].get_gid(): [p.get_height() for p in c] for c in axis.containers}


def _reasons_by_hand(folder: Path) -> dict[str, float]:
    table = _replications(folder)
    per_year = DAYS_PER_YEAR / table["observed_days"]
    return {c.removeprefix("delayed_days_reason_"): float((table[c] * per_year).mean())
            for c in table.columns if c.startswith("delayed_days_reason_")}


def test_report_of_a_run_draws_its_numbers(run_dir, saved):
    drawn = saved
    written = render_report(run_dir)
    names = ["nctr_census_fan", "delay_reasons", "unit_utilisation_weekly", "wait_distribution"]
    assert written == [run_dir / "figures" / f"{n}.{f}" for n in names for f in ("png", "svg")]
    _check_files(run_dir, RUN_FIGURES, drawn)
    assert imread(run_dir / "figures" / "nctr_census_fan.png").shape[:2] == (675, 1500)  # 10 x 4.5 in

    label = "scenario=quick run.warm_up_days=30 run.horizon_days=90"  # how it was run is left out
    (fan_axis,) = drawn["nctr_census_fan"].axes
    assert fan_axis.get_title() == f"NCTR census at midnight ({label})"
    (median,) = [ln for ln in fan_axis.get_lines() if ln.get_gid() == "median:this run"]
    np.testing.assert_array_equal(median.get_ydata(), _median_census(run_dir))

    reasons_axis = drawn["delay_reasons"].axes[0]
    assert reasons_axis.get_title() == f"Acute delayed days per year by reason ({label})"
    expected = {k: v for k, v in _reasons_by_hand(run_dir).items() if v != 0}
    got = _reason_heights(drawn["delay_reasons"])
    assert set(got) == set(expected)
    for reason, days in expected.items():
        assert got[reason] == [pytest.approx(days, rel=1e-12)]

    heat = drawn["unit_utilisation_weekly"].axes[0]
    assert heat.get_title() == f"Weekly utilisation by unit, mean over replications ({label})"

    wait = drawn["wait_distribution"].axes[0]
    assert wait.get_title().startswith(f"Acute delay per episode by pathway ({label})\n")
    patients = pd.read_parquet(run_dir / "patients.parquet")
    done = patients[patients["delayed_days"].notna() & (patients["nctr_day"] >= 30.0)]  # warm-up 30 days
    done = done[done["origin"] != "census"]
    assert len(done) < len(patients[patients["delayed_days"].notna()])  # the warm-up filter matters here
    medians = {ln.get_gid(): ln.get_ydata()[0] for ln in wait.get_lines() if ln.get_gid()}
    assert medians["median:all"] == pytest.approx(float(np.median(done["delayed_days"])), rel=1e-12)
    p2 = done.loc[done["pathway"] == "P2", "delayed_days"]
    assert medians["median:P2"] == pytest.approx(float(np.median(p2)), rel=1e-12)


def test_heat_map_of_a_run_is_occupied_over_mean_capacity(run_dir, drawn):
    render_report(run_dir, formats=("png",))
    (image,) = drawn["unit_utilisation_weekly"].axes[0].get_images()
    units = pd.read_parquet(run_dir / "units.parquet")
    census = pd.read_parquet(run_dir / "census.parquet")
    first_monday = pd.Timestamp("2025-05-05")  # the window starts on Thursday 1 May 2025
    rows = [u for u in dict.fromkeys(units["unit"])
            if units.loc[units["unit"] == u, "mean_capacity"].mean() > 0]
    labels = [t.get_text() for t in drawn["unit_utilisation_weekly"].axes[0].get_yticklabels()]
    assert labels == rows
    week = census[(census["date"] >= first_monday) & (census["date"] < first_monday + pd.Timedelta(days=7))]
    for i, unit in enumerate(rows):
        capacity = units.loc[units["unit"] == unit, "mean_capacity"].mean()
        expected = week[f"occupied_{unit}"].mean() / capacity
        assert image.get_array()[i, 1] == pytest.approx(expected, rel=1e-12)


def test_report_of_a_run_labels(run_dir, tmp_path, drawn):
    copy = run_dir
    manifest = json.loads((copy / "manifest.json").read_text())
    for overrides in (["replications=2", "n_jobs=1", "hydra.job.chdir=false", "outputs.patients=false",
                       "precision.adaptive=false"], []):
        (copy / "manifest.json").write_text(json.dumps({**manifest, "overrides": overrides}))
        render_report(copy, formats=("png",))
        assert drawn["nctr_census_fan"].axes[0].get_title() == "NCTR census at midnight (default scenario)"
    (copy / "manifest.json").unlink()  # an older run: the folder's name, and no warm-up to filter by
    (copy / "patients.parquet").unlink()
    assert [p.name for p in render_report(copy, formats=("svg",))] == [
        "nctr_census_fan.svg", "delay_reasons.svg", "unit_utilisation_weekly.svg"]
    assert drawn["delay_reasons"].axes[0].get_title() == "Acute delayed days per year by reason (run)"


def test_warm_up_is_read_from_the_manifest(run_dir, tmp_path):
    copy = run_dir
    assert report._warm_up_days(copy) == 30.0
    (copy / "manifest.json").write_text('{"config": {"run": {}}}')
    assert report._warm_up_days(copy) is None
    (copy / "manifest.json").write_text('{"config": {"run": {"warm_up_days": "x"}}}')
    assert report._warm_up_days(copy) is None
    (copy / "manifest.json").write_text('{"config": null}')
    assert report._warm_up_days(copy) is None
    (copy / "manifest.json").write_text("not json")
    assert report._warm_up_days(copy) is None
    (copy / "manifest.json").unlink()
    assert report._warm_up_days(copy) is None
    (copy / "manifest.json").write_text("{}")
    assert report._describe(copy) == "run"
    (copy / "manifest.json").write_text("not json")
    assert report._describe(copy) == "run"


@pytest.mark.parametrize("manifest", ['[1]', '"x"', '{"overrides": 5}', '{"overrides": "abc"}',
                                      '{"overrides": [1]}'])
def test_a_manifest_of_the_wrong_shape_is_read_as_a_damaged_one(run_dir, drawn, capsys, manifest):
    (run_dir / "manifest.json").write_text(manifest)  # as "not json": labelled by its folder, no warm-up
    main([str(run_dir)])
    printed = capsys.readouterr()
    assert printed.out.startswith("Figures written to ")
    # a note as every command's: one line on standard error (it was "Note: ..." among the files listed)
    assert printed.err.startswith(f"flowsim-report: note: {run_dir / 'manifest.json'} does not give the "
                                  "run's warm-up (missing or damaged), so the waiting times")
    assert len(printed.err.splitlines()) == 1
    assert drawn["delay_reasons"].axes[0].get_title() == "Acute delayed days per year by reason (run)"
    assert report._describe(run_dir) == "run" and report._warm_up_days(run_dir) is None


def test_run_without_a_completed_delay_has_no_waiting_time_figure(run_dir, drawn):
    patients = pd.read_parquet(run_dir / "patients.parquet")
    patients.assign(delayed_days=np.nan).to_parquet(run_dir / "patients.parquet")  # all still waiting
    assert [p.stem for p in render_report(run_dir, formats=("png",))] == [
        "nctr_census_fan", "delay_reasons", "unit_utilisation_weekly"]
    one = patients.assign(delayed_days=np.nan)
    one.loc[patients.index[(patients["nctr_day"] >= 30.0).to_numpy()][0], "delayed_days"] = 2.5
    one.to_parquet(run_dir / "patients.parquet")  # one completed delay: a figure of one episode
    assert [p.stem for p in render_report(run_dir, formats=("png",))][-1] == "wait_distribution"
    assert [ln.get_ydata()[0] for ln in drawn["wait_distribution"].axes[0].get_lines()
            if ln.get_gid() == "median:all"] == [2.5]


def _check_options(sweep: Path, drawn: dict[str, object], base: int, others: list[tuple[int, int]]
                   ) -> None:
    """The option charts against ``base``: ``others`` = (job, places) in option order, base included."""
    left, right = drawn["avoided_vs_option"].axes
    places = dict(others)[base]
    assert drawn["avoided_vs_option"].get_suptitle().startswith(
        f"Against the baseline (ic_beds.capacity = {places}) ")
    (line,) = [ln for ln in left.get_lines() if ln.get_label() == "mean (95 % CI)"]
    assert list(line.get_xdata()) == [capacity for _, capacity in others]
    avoided = [_ci(_paired(sweep, base, job, "delayed_days_total")) for job, _ in others]
    np.testing.assert_allclose(line.get_ydata(), [a[0] for a in avoided], rtol=1e-12, atol=1e-9)
    low, high = _band(left.collections[0])
    np.testing.assert_allclose(low, [a[1] for a in avoided], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(high, [a[2] for a in avoided], rtol=1e-9, atol=1e-9)
    assert all(h > lo for (_, lo, h), (job, _) in zip(avoided, others, strict=True) if job != base)

    net = [_ci(_net(sweep, base, job)) for job, _ in others]
    (net_line,) = [ln for ln in right.get_lines() if ln.get_label() == "mean (95 % CI)"]
    np.testing.assert_allclose(net_line.get_ydata(), [n[0] / 1e6 for n in net], rtol=1e-12, atol=1e-12)

    axis, twin = drawn["cost_vs_saving"].axes
    assert axis.get_title() == (f"Net saving against the baseline (ic_beds.capacity = {places})\n"
                                "(acute saving minus added service cost)")
    bars = next(c for c in axis.containers if isinstance(c, BarContainer))
    np.testing.assert_allclose([b.get_height() for b in bars], [n[0] for n in net], rtol=1e-12, atol=1e-6)
    errors = next(c for c in axis.containers if isinstance(c, ErrorbarContainer))
    segments = errors.lines[2][0].get_segments()
    np.testing.assert_allclose([s[:, 1].min() for s in segments], [n[1] for n in net], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose([s[:, 1].max() for s in segments], [n[2] for n in net], rtol=1e-9, atol=1e-6)
    ticks = [t.get_text() for t in axis.get_xticklabels()]
    assert ticks == [f"{c}\n(baseline)" if j == base else str(c) for j, c in others]
    (dots,) = [ln for ln in twin.get_lines() if ln.get_marker() == "D"]
    for (job, _), value in zip(others, dots.get_ydata(), strict=True):
        acute = _paired(sweep, base, job, "cost_delayed_days").mean()
        added = -_paired(sweep, base, job, "cost_services").mean()
        if added > 0:
            assert value == pytest.approx(acute / added, rel=1e-12)
        else:
            assert np.isnan(value)

    (bars,) = drawn["marginal_benefit"].axes[0].containers
    steps = [b.get_height() for b in bars]
    # each step adds 4 places: the change in mean delayed days avoided over 4
    expected = [(avoided[i][0] - avoided[i - 1][0]) / 4.0 for i in range(1, len(avoided))]
    np.testing.assert_allclose(steps, expected, rtol=1e-9, atol=1e-9)


def test_report_of_a_sweep_draws_the_comparison(sweep_dir, tmp_path, saved):
    drawn = saved
    sweep = sweep_dir
    written = render_report(sweep)
    assert len(written) == 2 * len(SWEEP_FIGURES)
    _check_files(sweep, SWEEP_FIGURES, drawn)
    _check_options(sweep, drawn, 0, OPTIONS)

    fan = drawn["nctr_census_fan"].axes[0]
    assert fan.get_title() == "NCTR census at midnight: baseline and ic_beds=20"
    lines = {ln.get_gid(): ln for ln in fan.get_lines()}
    assert set(lines) == {"median:baseline: ic_beds=12", "median:ic_beds=20"}
    np.testing.assert_array_equal(lines["median:baseline: ic_beds=12"].get_ydata(),
                                  _median_census(sweep / "0"))
    np.testing.assert_array_equal(lines["median:ic_beds=20"].get_ydata(), _median_census(sweep / "2"))
    assert drawn["unit_utilisation_weekly"].axes[0].get_title() == (
        "Weekly utilisation by unit, mean over replications (job 2: ic_beds=20)")
    assert drawn["wait_distribution"].axes[0].get_title().startswith(
        "Acute delay per episode by pathway (job 2: ic_beds=20)\n")
    reasons = drawn["delay_reasons"].axes[0]
    assert reasons.get_title() == "Acute delayed days per year by reason and option"
    assert [t.get_text() for t in reasons.get_xticklabels()] == [
        "ic_beds=12", "ic_beds=16", "ic_beds=20"]
    by_hand = [_reasons_by_hand(sweep / str(job)) for job in range(3)]
    for reason, heights in _reason_heights(drawn["delay_reasons"]).items():
        np.testing.assert_allclose(heights, [days[reason] for days in by_hand], rtol=1e-12)


def test_baseline_job_is_honoured_and_comparison_csv_left_as_it_is(sweep_dir, tmp_path, drawn):
    sweep = sweep_dir
    saved = (sweep / "comparison.csv").read_bytes()
    render_report(sweep, baseline_job="1", formats=("png",))
    _check_options(sweep, drawn, 1, OPTIONS)
    lines = {ln.get_gid() for ln in drawn["nctr_census_fan"].axes[0].get_lines()}
    assert lines == {"median:baseline: ic_beds=16", "median:ic_beds=20"}
    assert (sweep / "comparison.csv").read_bytes() == saved  # drawn, not saved over flowsim-collect's
    render_report(sweep, baseline_job=2, formats=("png",))
    _check_options(sweep, drawn, 2, OPTIONS)
    assert drawn["unit_utilisation_weekly"].axes[0].get_title().endswith("(job 1: ic_beds=16)")
    with pytest.raises(ReportError, match=r"^job 7 is not a finished job of .*; fix: pick --baseline-job "
                                          "from 0, 1, 2$"):
        render_report(sweep, baseline_job=7)


def test_comparison_csv_is_what_the_option_charts_draw(sweep_dir, tmp_path, drawn):
    sweep = sweep_dir
    comparison = pd.read_csv(sweep / "comparison.csv")
    # a baseline chosen with flowsim-collect --baseline holds: the saved table is drawn as it is
    comparison["net_saving_per_year"] = [1.0, 2.0, 3.0]
    comparison["net_saving_per_year_ci_low"] = [0.0, 1.0, 2.0]
    comparison["net_saving_per_year_ci_high"] = [2.0, 3.0, 4.0]
    comparison.to_csv(sweep / "comparison.csv", index=False)
    render_report(sweep, formats=("png",))
    bars = drawn["cost_vs_saving"].axes[0].containers[0]
    assert [b.get_height() for b in bars] == [1.0, 2.0, 3.0]
    render_report(sweep, baseline_job=0, formats=("png",))  # the saved baseline: still the saved table
    assert [b.get_height() for b in drawn["cost_vs_saving"].axes[0].containers[0]] == [1.0, 2.0, 3.0]
    comparison.iloc[:2].to_csv(sweep / "comparison.csv", index=False)  # other jobs: compared afresh
    render_report(sweep, formats=("png",))
    _check_options(sweep, drawn, 0, OPTIONS)


def _cut_mid_row(data: bytes) -> bytes:
    return data[:-30]  # the last row's numbers cut, as by a full disk (truncate -s)


_NOT_TEXT = "is not a CSV table (binary data, not UTF-8 text)"
_OTHER_COLUMNS = ("lacks the column(s) job, baseline_job, added_capacity, delayed_days_avoided_per_year, "
                  "delayed_days_avoided_per_added_place, net_saving_per_year, net_saving_per_year_ci_low, "
                  "net_saving_per_year_ci_high, return_per_pound, services.ic_beds.capacity: it is not the "
                  "table flowsim writes there")


def _baselines(*jobs: str):
    """A damage: the rows' baseline_job set to ``jobs`` in turn (as by an edit by hand)."""
    def damage(data: bytes) -> bytes:
        lines = data.decode().splitlines()
        column = lines[0].split(",").index("baseline_job")
        rows = [line.split(",") for line in lines[1:]]
        for row, job in zip(rows, jobs, strict=True):
            row[column] = job
        return "\n".join([lines[0], *(",".join(r) for r in rows)]).encode() + b"\n"
    return damage


@pytest.mark.parametrize("damage, problem", [
    (_cut_mid_row, "is cut short (its last line has no end)"),
    (_baselines("7", "7", "7"), "has baseline job(s) 7, not one of the sweep's jobs"),
    (_baselines("0", "1", "0"), "has baseline job(s) 0, 1, not one of the sweep's jobs"),
    (lambda data: b"", "is empty"),
    (lambda data: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\n", _NOT_TEXT),
    (lambda data: data.replace(b"job", b"j\xf6b"), _NOT_TEXT),
    (lambda data: b"x,y\n1,2\n", _OTHER_COLUMNS),
    (lambda data: data[:data.rstrip(b"\n").rindex(b"\n") + 1],  # cut at the end of a row
     "compares job(s) 0, 1, not the sweep's 0, 1, 2"),
    (lambda data: data[:data.index(b"\n") + 1], "holds no row (its header only)"),
])
def test_a_damaged_comparison_csv_is_compared_afresh_and_left_as_it_is(sweep_dir, drawn, capsys, damage,
                                                                       problem):
    sweep = sweep_dir
    path = sweep / "comparison.csv"
    path.write_bytes(damage(path.read_bytes()))
    damaged = path.read_bytes()
    for options, base in (([], 0), (["--baseline-job", "1"], 1)):
        main([str(sweep), *options])
        err = capsys.readouterr().err.splitlines()
        assert err[-1] == (f"flowsim-report: note: {path} {problem}, so the options are compared afresh "
                           f"against job {base}; to keep its baseline, run flowsim-collect {sweep} to write "
                           "it again (with its --baseline, if one was given)")
        _check_options(sweep, drawn, base, OPTIONS)
        assert path.read_bytes() == damaged  # flowsim-collect's to write, with the baseline it was given


def test_sweep_without_tables_is_gathered_and_compared_first(sweep_dir, tmp_path, drawn):
    sweep = sweep_dir
    for name in ("comparison.csv", "results.parquet", "summary.csv", "collected.json"):
        (sweep / name).unlink()
    written = render_report(sweep, formats=("png",))
    assert sorted(p.name for p in written) == sorted(f"{stem}.png" for stem in SWEEP_FIGURES)
    comparison = pd.read_csv(sweep / "comparison.csv")  # written, as flowsim-collect would
    assert list(comparison["baseline_job"]) == [0, 0, 0]
    assert comparison["delayed_days_avoided_per_year"].tolist() == pytest.approx(
        [_ci(_paired(sweep, 0, job, "delayed_days_total"))[0] for job in range(3)], rel=1e-12, abs=1e-9)
    assert (sweep / "results.parquet").is_file() and (sweep / "collected.json").is_file()
    _check_options(sweep, drawn, 0, OPTIONS)
    for name in ("comparison.csv", "results.parquet", "summary.csv", "collected.json"):
        (sweep / name).unlink()
    render_report(sweep, baseline_job=2, formats=("png",))
    assert set(pd.read_csv(sweep / "comparison.csv")["baseline_job"]) == {2}
    _check_options(sweep, drawn, 2, OPTIONS)


def test_sweep_of_one_job_and_of_one_option(tmp_path, drawn):
    one = _sweep(tmp_path / "one", (12,), replications=2)
    written = render_report(one, formats=("png",))
    assert [p.stem for p in written] == ["nctr_census_fan", "delay_reasons", "unit_utilisation_weekly",
                                         "wait_distribution"]  # nothing to compare with
    fan = drawn["nctr_census_fan"].axes[0]
    assert [ln.get_gid() for ln in fan.get_lines()] == ["median:baseline: job 0"]
    assert fan.get_title() == "NCTR census at midnight: baseline and job 0"
    assert [t.get_text() for t in drawn["delay_reasons"].axes[0].get_xticklabels()] == ["job=0"]
    collect_and_report(str(one))  # a comparison.csv of one row, against job 0 itself
    notes: list[str] = []
    assert len(render_report(one, baseline_job=0, formats=("png",), notes=notes)) == 4
    assert notes == []  # the saved table is the sweep's: taken as it is, not refused and compared afresh
    # damaged, the one-row table is compared afresh, and the notes say so; so for the job's manifest
    (one / "comparison.csv").write_text("job,baseline_job\n")
    manifest = json.loads((one / "0" / "manifest.json").read_text())
    del manifest["config"]["run"]["warm_up_days"]  # e.g. written by hand, or by an older flowsim
    (one / "0" / "manifest.json").write_text(json.dumps(manifest))
    assert len(render_report(one, formats=("png",), notes=notes)) == 4
    assert [note.split(", so ")[1].split(";")[0] for note in notes] == [
        "the options are compared afresh against job 0", "the waiting times count the warm-up's patients too"]


def test_option_figures_follow_the_swept_columns():
    table = pd.DataFrame({"job": [0, 1, 2], OPTION: [12, 16, 20], "g": ["a", "a", "a"],
                          "flag": [True, False, True], "baseline_job": 0, "added_capacity": [0.0, 4.0, 8.0],
                          "delayed_days_avoided_per_year": [0.0, 40.0, 60.0],
                          "delayed_days_avoided_per_added_place": [np.nan, 10.0, 7.5],
                          "net_saving_per_year": [0.0, 1.0, 2.0],
                          "net_saving_per_year_ci_low": [0.0, 0.5, 1.0],
                          "net_saving_per_year_ci_high": [0.0, 1.5, 3.0],
                          "return_per_pound": [np.nan, 1.2, 1.1]})

    def names(comparison: pd.DataFrame, swept: list[str]) -> list[str]:
        return [name for name, _ in report._option_figures(comparison, swept)]

    assert names(table, []) == []
    assert names(table.iloc[:1], [OPTION]) == []
    assert names(table.iloc[:2], [OPTION]) == ["avoided_vs_option", "marginal_benefit", "cost_vs_saving"]
    assert names(table.assign(added_capacity=0.0), [OPTION]) == ["avoided_vs_option", "cost_vs_saving"]
    assert names(table, ["flag"]) == ["cost_vs_saving"]  # True/False is no axis
    assert names(table, ["g"]) == ["cost_vs_saving"]
    assert names(table, ["g", OPTION]) == ["avoided_vs_option", "marginal_benefit", "cost_vs_saving"]
    assert names(table, ["g", "flag", OPTION]) == ["cost_vs_saving"]
    figures = dict(report._option_figures(table, ["g", OPTION]))
    left, _ = figures["avoided_vs_option"]().axes
    assert next(ln.get_label() for ln in left.get_lines()) == "g = a"  # grouped by the first swept column
    (bars,) = figures["marginal_benefit"]().axes[0].containers
    assert bars.get_label() == "g=a" and [b.get_height() for b in bars] == [10.0, 5.0]  # 40/4, 20/4
    axis = figures["cost_vs_saving"]().axes[0]
    assert next(t.get_text() for t in axis.get_xticklabels()) == "g=a\nic_beds=12\n(baseline)"
    single = dict(report._option_figures(table, [OPTION]))
    assert single["cost_vs_saving"]().axes[0].get_xlabel() == OPTION
    assert single["avoided_vs_option"]().axes[0].get_lines()[0].get_label() == "mean (95 % CI)"
    assert single["marginal_benefit"]().axes[0].containers[0].get_label() == "per added place in the step"


def test_parse_job():
    assert report._parse_job(None) is None
    assert report._parse_job(3) == 3
    assert report._parse_job("12") == 12
    assert report._parse_job("best") == "best"


def test_errors_are_one_line_with_a_fix(tmp_path, run_dir, sweep_dir):
    folder = tmp_path / "folder"
    fix = ("give the folder of a flowsim run (hydra.run.dir, holds metrics.json) or sweep "
           "(hydra.sweep.dir, holds 0/, 1/, ...)")
    with pytest.raises(ReportError) as error:
        render_report(folder / "nowhere")
    assert str(error.value) == f"{folder / 'nowhere'}: does not exist; fix: {fix}"
    folder.mkdir()
    (folder / "a_file").write_text("x")
    with pytest.raises(ReportError) as error:
        render_report(folder / "a_file")
    assert str(error.value) == f"{folder / 'a_file'}: is a file, not a run's or sweep's folder; fix: {fix}"
    (folder / "notes").mkdir()
    with pytest.raises(ReportError) as error:
        render_report(folder)
    assert str(error.value) == f"{folder} is not a flowsim run or sweep directory; fix: {fix}"
    with pytest.raises(ReportError) as error:
        render_report(run_dir, baseline_job=1)
    assert str(error.value) == (f"{run_dir} is a single run: --baseline-job applies to a sweep; fix: leave "
                                "out --baseline-job, or give the sweep directory")
    assert not (folder / "figures").exists()
    pending = tmp_path / "pending"
    (pending / "0").mkdir(parents=True)
    (pending / "0" / "manifest.json").write_text("{}")
    (pending / "1").mkdir()
    (pending / "1" / "manifest.json").write_text("{}")
    with pytest.raises(ReportError) as error:
        render_report(pending)
    assert str(error.value) == (f"{pending} has no finished sweep job (unfinished: 0, 1); fix: rerun the "
                                "sweep command to finish its jobs")
    damaged = tmp_path / "damaged_run"  # metrics.json marks a finished run: cut short, it is no mark
    damaged.mkdir()
    (damaged / "metrics.json").write_text('{"replications": 1, "se')
    with pytest.raises(ReportError) as error:
        render_report(damaged)
    assert str(error.value).startswith(f"{damaged / 'metrics.json'}: is not readable JSON, damaged or cut "
                                       "short (")
    assert str(error.value).endswith("; fix: rerun the run's command (it writes the run's files again)")
    unfinished = tmp_path / "unfinished_run"
    unfinished.mkdir()
    (unfinished / "manifest.json").write_text("{}")
    with pytest.raises(ReportError) as error:
        render_report(unfinished)
    assert str(error.value) == (f"{unfinished} is a flowsim run without its metrics.json: it did not finish, "
                                "or the file was removed; fix: rerun the run's command (it writes the run's "
                                "files again)")
    stale = sweep_dir
    (stale / "results.parquet").write_bytes(b"changed")
    with pytest.raises(ReportError) as error:
        render_report(stale)
    assert str(error.value) == (f"{stale / 'results.parquet'}: is not the table gathered from these jobs; "
                                f"fix: run flowsim-collect {stale} to gather the jobs again, or rerun the "
                                "sweep's command")


def test_a_folder_the_figures_cannot_go_into_is_refused_before_drawing(run_dir, monkeypatch):
    (run_dir / "figures").write_text("a file in the way")
    with pytest.raises(ReportError) as error:
        render_report(run_dir)
    assert str(error.value) == (f"{run_dir / 'figures'} is a file, where the report's figures folder goes; "
                                "fix: move that file out of the folder")
    (run_dir / "figures").unlink()
    monkeypatch.setattr(report, "why_not_writable", lambda folder: "Read-only file system")
    with pytest.raises(ReportError) as error:
        render_report(run_dir)
    assert str(error.value) == (f"{run_dir} is not writable (Read-only file system), and the figures are "
                                "written into it; fix: copy the folder to one you can write to, and give "
                                "the copy")
    assert not (run_dir / "figures").exists()
    # a figures folder already there is where they go: it is the one asked, not the run folder
    (run_dir / "figures").mkdir()
    asked: list[Path] = []

    def only_figures_refused(folder: Path) -> str | None:
        asked.append(Path(folder))
        return "Permission denied" if Path(folder) == run_dir / "figures" else None

    monkeypatch.setattr(report, "why_not_writable", only_figures_refused)
    with pytest.raises(ReportError, match=r"is not writable \(Permission denied\)"):
        render_report(run_dir)
    assert asked == [run_dir / "figures"]


def test_main_lists_the_files_and_errors_exit_2(run_dir, tmp_path, drawn, capsys):
    copy = run_dir
    main([str(copy)])
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Figures written to {copy / 'figures'}/:"
    assert out[1:] == [f"  {copy / 'figures' / n}.{f}" for n in ("nctr_census_fan", "delay_reasons",
                                                                   "unit_utilisation_weekly",
                                                                   "wait_distribution") for f in FORMATS]
    assert FORMATS == ("png", "svg")
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path / "nowhere")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"flowsim-report: error: {tmp_path / 'nowhere'}: does not exist; fix: ")
    assert len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit):
        main(["--help"])
    raw = capsys.readouterr().out
    # the examples keep their lines (a reflowing formatter would run them into one paragraph)
    assert raw.endswith("\nexamples:\n"
                        "  flowsim-report outputs/2026-11-30/10-00-00       figures of one run\n"
                        "  flowsim-report multirun/care_home_units          figures of a sweep, against its "
                        "baseline\n"
                        "  flowsim-report multirun/care_home_units --baseline-job 2\n\n"
                        "documentation: docs/getting-started/analyst.md in the flowsim source (make docs "
                        "builds the site)\n")
    help_text = " ".join(raw.split())
    assert help_text.startswith("usage: flowsim-report [-h] [--version] [--baseline-job N] directory")
    assert (" directory Draw the board figures of a flowsim run or sweep (census fan chart, delayed days by "
            "reason, weekly unit utilisation, waiting times; for sweeps: delayed days avoided, marginal "
            "benefit per added place, net saving and return per £1) into DIR/figures/ as PNG and SVG. "
            "positional") in help_text
    assert (" directory a run directory (hydra.run.dir) or sweep directory (hydra.sweep.dir) "
            "options:") in help_text
    assert help_text.endswith(
        "--baseline-job N for a sweep: compare against job N (default: the baseline of comparison.csv, "
        "else the first job) examples: flowsim-report outputs/2026-11-30/10-00-00 figures of one run "
        "flowsim-report multirun/care_home_units figures of a sweep, against its baseline "
        "flowsim-report multirun/care_home_units --baseline-job 2 "
        "documentation: docs/getting-started/analyst.md in the flowsim source (make docs builds the site)")


def test_main_honours_baseline_job(sweep_dir, tmp_path, drawn, capsys):
    sweep = sweep_dir
    main([str(sweep), "--baseline-job", "1"])
    assert len(capsys.readouterr().out.splitlines()) == 1 + 2 * len(SWEEP_FIGURES)
    _check_options(sweep, drawn, 1, OPTIONS)


def test_installed_script_bad_directory_is_one_line_and_exit_2(tmp_path):
    script = Path(sys.executable).with_name("flowsim-report")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "flowsim.reporting.report"]
    proc = subprocess.run([*command, str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("flowsim-report: error: ") and "; fix: " in lines[0]


def test_waiting_times_leave_out_the_patients_of_a_warm_start(tmp_path, drawn):
    census = tmp_path / "census.yaml"
    census.write_text("waiting:\n  P2: {count: 4}\n  P3: {days_waited: [0, 0]}\n")  # waiting at day 0
    run = _run(tmp_path / "run", [*TINY, "replications=1", "run.warm_up_days=0", "run.horizon_days=40",
                                  f"run.initial_census={census}"])
    render_report(run, formats=("png",))
    patients = pd.read_parquet(run / "patients.parquet")
    assert (patients["origin"] == "census").sum() == 6
    done = patients[patients["delayed_days"].notna() & (patients["origin"] != "census")]  # warm-up 0
    ticks = [t.get_text() for t in drawn["wait_distribution"].axes[0].get_xticklabels()]
    counts = [(p, (done["pathway"] == p).sum()) for p in ("P0", "P1", "P2", "P3")]
    assert ticks == [f"{p}\n(n = {n:,})" for p, n in [*((p, n) for p, n in counts if n), ("all", len(done))]]
    patients.drop(columns="origin").to_parquet(run / "patients.parquet")  # written before origin existed
    assert "wait_distribution" in [p.stem for p in render_report(run, formats=("png",))]
