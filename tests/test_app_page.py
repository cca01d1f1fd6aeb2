"""The web app's page through Streamlit's own test harness (``streamlit.testing.v1.AppTest``).

A planner's path through ``flowsim-app``: the default system with its diagram and units; a scenario
picked and edited; a wrong value answered with the CLI's exact one-line message under the field and
the Run button disabled; a run whose KPIs, charts and downloads appear and whose ``metrics.json`` is
byte for byte the CLI's for the same config; asking again reuses it; a run cancelled keeps its
replications; options compared with the board pack's decision rule; separate sessions that never
see each other's runs; saved scenarios picked, and a broken one reported in one line.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

pytest.importorskip("streamlit")
from omegaconf import OmegaConf
from streamlit.testing.v1 import AppTest

import flowsim.app
from flowsim.app import jobs
from flowsim.app.page_results import in_app_words
from flowsim.model.compose import load_config
from flowsim.model.saved import write_saved

PAGE = Path(flowsim.app.__file__).with_name("page.py")
CAPACITY = "services.ic_beds.capacity"


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "ws"
    monkeypatch.setenv("FLOWSIM_APP_WORKSPACE", str(folder))
    monkeypatch.delenv("FLOWSIM_APP_CONFIG_DIRS", raising=False)
    monkeypatch.chdir(tmp_path)
    return folder


def _open(workspace: Path) -> AppTest:
    app = AppTest.from_file(str(PAGE), default_timeout=120)
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.fixture
def app(workspace) -> AppTest:
    return _open(workspace)


def _key(app: AppTest, path: str) -> str:
    return f"w{app.session_state['form']}:{path}"


def _choose(app: AppTest, label: str) -> None:
    app.sidebar.selectbox(key="start").set_value(label).run()
    assert not app.exception, app.exception


def _set(app: AppTest, path: str, value) -> None:
    app.text_input(key=_key(app, path)).input(str(value)).run()  # as typed
    assert not app.exception, app.exception


def _wait(app: AppTest, state_key: str, timeout_s: float = 240) -> jobs.Job:
    job = app.session_state[state_key]
    deadline = time.monotonic() + timeout_s
    while jobs.job_status(job).state == "running":
        assert time.monotonic() < deadline, f"{state_key} still running after {timeout_s} s"
        time.sleep(0.3)
    app.run()
    assert not app.exception, app.exception
    return job


def _alert(element) -> str | None:
    """The text of an element if it is one of the app's problem boxes (HTML: the CLI's words exact)."""
    body = getattr(getattr(element, "proto", None), "body", "")
    match = re.search(r'data-flowsim="error"[^>]*>⚠️ (.*)</div>', body if isinstance(body, str) else "", re.S)
    return html.unescape(match.group(1)) if match else None


def _alerts(node) -> list[str]:
    """The texts of the problem boxes anywhere under ``node``."""
    return [text for text in map(_alert, node.get("html")) if text is not None]


def _next_to(app: AppTest, expander, path: str) -> list[str]:
    """The problem boxes drawn right after the widget of ``path`` (in its column of ``expander``)."""
    key = _key(app, path)
    for column in expander.columns:
        children = list(column.children.values())
        for index, child in enumerate(children):
            if getattr(child, "key", None) == key:
                following = _alert(children[index + 1]) if index + 1 < len(children) else None
                return [] if following is None else [following]
    raise AssertionError(f"no widget for {path}")


def _tab(app: AppTest, label: str):
    return next(t for t in app.tabs if t.label == label)


def test_opens_on_the_default_system_with_its_diagram_and_units(app):
    assert app.sidebar.selectbox(key="start").value == "Default system"
    labels = app.sidebar.selectbox(key="start").options
    assert "Scenario: quick" in labels and "Scenario: winter_surge" in labels
    system = _tab(app, "System")
    assert len(system.get("image")) == 1  # the network diagram
    units = system.dataframe[0].value.set_index("unit")
    config = load_config([])
    for name, unit in config.services.items():
        assert units.loc[name, "places"] == unit.capacity
    assert units.loc["ic_beds", "mean stay (days)"] == pytest.approx(36.0)
    assert any("flowsim" in c.value for c in system.code)


def test_the_diagram_is_drawn_again_when_its_boxes_change_not_at_every_edit(app, monkeypatch):
    import streamlit as st

    import flowsim.reporting.network as network

    drawn, real = [], network.draw_network
    monkeypatch.setattr(network, "draw_network", lambda shown: drawn.append(shown) or real(shown))
    st.cache_data.clear()
    app.run()
    places = f"{load_config([]).services.ic_beds.capacity:,} places"
    assert len(drawn) == 1 and places in drawn[0].units["ic_beds"]
    _set(app, "services.ic_beds.cost_per_occupied_day", 151)  # not in the picture: drawn as it was
    _set(app, "services.ic_beds.los_days.mean", 30)
    assert len(drawn) == 1 and len(_tab(app, "System").get("image")) == 1
    _set(app, CAPACITY, 57)  # a box's label: drawn again
    assert len(drawn) == 2 and "57 places" in drawn[1].units["ic_beds"]


def test_a_wrong_value_gets_the_cli_message_next_to_its_field_and_blocks_the_run(app, cli_error):
    _choose(app, "Scenario: quick")
    _set(app, CAPACITY, -3)
    expected = cli_error("scenario=quick", f"{CAPACITY}=-3")
    unit = next(e for e in _tab(app, "Edit").expander if e.label == "Unit: ic_beds")
    assert _alerts(unit) == [expected]
    assert _next_to(app, unit, CAPACITY) == [expected]
    others = [e for e in _tab(app, "Edit").expander if e.label != "Unit: ic_beds"]
    assert not any(_alerts(e) for e in others)
    assert app.sidebar.button(key="run").disabled
    assert any(expected in a for a in _alerts(app.sidebar))
    _set(app, CAPACITY, 30)
    assert not _alerts(_tab(app, "Edit")) and not app.sidebar.button(key="run").disabled


@pytest.mark.parametrize(("typed", "words"), [
    ("2.5", "must be a whole number >= 0, got 2.5;"),  # the CLI's own line for capacity=2.5
    ("abc", "must be a whole number >= 0, got 'abc';"),
    ("", "must be a whole number >= 0, got '';"),
])
def test_a_number_field_is_never_changed_silently(app, cli_error, typed, words):
    """2.5 in a whole-number field became 2, and a word or a cleared field the old value, with no
    message: a planner who meant 25 ran 2 beds (found by a QA pass in Chromium)."""
    _choose(app, "Scenario: quick")
    _set(app, CAPACITY, typed)
    unit = next(e for e in _tab(app, "Edit").expander if e.label == "Unit: ic_beds")
    (line,) = _next_to(app, unit, CAPACITY)
    assert line.startswith(f"{CAPACITY}: ") and words in line, line
    if typed == "2.5":
        assert line == cli_error("scenario=quick", f"{CAPACITY}=2.5")
    assert app.text_input(key=_key(app, CAPACITY)).value == typed  # shown as typed, to be corrected
    assert app.sidebar.button(key="run").disabled
    _set(app, "arrivals.rate_per_day", "1e400")  # a float field reads as the command line reads it
    assert app.sidebar.button(key="run").disabled


def test_the_acute_bed_day_cost_takes_a_number_as_the_command_line_does(app, workspace):
    """500 typed in the cost field was saved as the text '500': the same run as the command line's, under
    another digest; and the field showed 'full_cost' with nothing saying what it was worth (a QA pass)."""
    _choose(app, "Scenario: quick")
    costs = next(e for e in _tab(app, "Edit").expander if e.label == "Costs")
    notes = " ".join(c.value for c in costs.caption)
    assert "A number of pounds a bed-day, or the name of a basis: full_cost: £395 a bed-day" in notes
    _set(app, "costs.acute_bed_day", "500")
    app.sidebar.text_input(key="save_name").input("dearer").run()
    app.sidebar.button(key="save").click().run()
    assert not app.exception, app.exception
    (path,) = workspace.rglob("dearer.yaml")  # under the session's own folder
    saved = yaml.safe_load(path.read_text(encoding="utf-8"))
    cli = load_config(["scenario=quick", "costs.acute_bed_day=500"]).costs.acute_bed_day
    assert saved["costs"]["acute_bed_day"] == cli == 500 and isinstance(saved["costs"]["acute_bed_day"], int)
    _set(app, "costs.acute_bed_day", "nottingham_2016")  # a basis's name stays a name
    assert not app.sidebar.button(key="run").disabled


def test_a_unit_with_brackets_of_its_own_is_not_bracketed_again():
    from flowsim.app.fields import Field
    from flowsim.app.page_edit import _label

    assert _label(Field("run.start_date", "Start date", "text", "date (YYYY-MM-DD)", "")) == (
        "Start date, date (YYYY-MM-DD)")
    assert _label(Field("replications", "Replications", "int", "runs", "")) == "Replications (runs)"


def test_messages_shown_tell_what_to_do_in_the_app_not_on_the_command_line():
    """The app showed flowsim's advice as typed on the command line: "set precision.adaptive=true",
    "run the same command with hydra.run.dir=..." (found by a QA pass)."""
    from flowsim.experiment.precision import PrecisionReport

    report = PrecisionReport(2, {"delay_mean_days": 36.6}, 5.0, {"delay_mean_days": 108})
    plain, adaptive = report.warning(), report.warning(adaptive_limit=200)
    assert plain.endswith("(set replications= or precision.adaptive=true)")  # the command line's, kept
    assert in_app_words(plain) == ("Mean delay per discharge-ready patient: 95 % CI half-width is 36.6 % of "
                                   "the mean with 2 replications (target 5 %); about 108 replications would "
                                   "reach it (raise Replications: Edit tab, Run)")
    assert in_app_words(adaptive).endswith(
        "(this scenario adds replications until the target is met, and stopped at its most, 200: raise "
        "max_replications under precision in a saved copy of it (Save scenario), then open that file here)")
    # a run whose worker was killed (memory ran out), in the command line's words (test_worker_lost.py):
    # the app runs the same command again itself
    lost = ("a worker process stopped before its replication finished (killed from outside, e.g. when "
            "memory ran out); finished replications are kept in /w/my runs/result: to resume, run the same "
            "command with hydra.run.dir=/w/my runs/result (and a lower n_jobs if memory ran out)")
    assert in_app_words(lost).endswith("are kept in /w/my runs/result: run it again to continue from them")
    for shown in map(in_app_words, (plain, adaptive, lost)):
        assert not any(cli in shown for cli in ("=true", "replications=", "hydra.", "n_jobs"))
    assert in_app_words("nothing to change here") == "nothing to change here"


def test_a_run_of_a_few_observed_days_says_its_yearly_figures_are_scaled(app):
    """Half a day observed was shown as 7,403 delayed days a year without a word (found by a QA pass)."""
    _choose(app, "Scenario: quick")
    _set(app, "run.warm_up_days", 0)
    _set(app, "run.horizon_days", 1)
    app.sidebar.button(key="run").click().run()
    job = _wait(app, "run_job")
    assert jobs.job_status(job).state == "finished"
    warnings = [w.value for w in _tab(app, "Results").warning]
    assert "The observed window is 1 day: each figure a year is that window scaled 365-fold" in " ".join(
        warnings), warnings
    assert _tab(app, "Results").caption[0].value.startswith("1 replication(s) over 1 day observed; 95 %")


def test_a_file_that_is_not_a_whole_scenario_says_so_not_to_fix_a_field_it_lacks(workspace):
    """A file of one unit's capacity asked to fix run.start_date "in the Edit tab", which had no such field:
    a dead end (found by a QA pass in Chromium)."""
    (workspace / "saved").mkdir(parents=True)
    (workspace / "saved" / "partial.yaml").write_text("services: {ic_beds: {capacity: -4}}\n")
    app = _open(workspace)
    _choose(app, "Saved scenario: partial")
    (line,) = _alerts(app)
    assert "is missing: the file is not a whole scenario; fix: open a scenario saved from this" in line, line
    assert not [b for b in app.sidebar.button if b.key == "run" and not b.disabled]  # nothing to run


def test_shares_that_do_not_add_up_are_shown_at_the_top_of_pathways(app, cli_error):
    _choose(app, "Scenario: quick")
    _set(app, "pathways.shares.P1", 0.5)
    expected = cli_error("scenario=quick", "pathways.shares.P1=0.5")
    pathways = next(e for e in _tab(app, "Edit").expander if e.label == "Pathways")
    assert _alerts(pathways) == [expected]


def test_a_run_shows_kpis_charts_downloads_and_equals_the_cli(app, tmp_path):
    _choose(app, "Scenario: quick")
    _set(app, CAPACITY, 30)
    _set(app, "replications", 2)
    app.sidebar.button(key="run").click().run()
    job = _wait(app, "run_job")
    assert jobs.job_status(job).state == "finished"
    results = _tab(app, "Results")
    assert [s.value for s in results.subheader] == ["Headline results"]
    assert len(results.metric) == 3
    # the run's precision warning, which was only in the collapsed log (found by a QA pass)
    (precision,) = [w.value for w in results.warning]
    assert "95 % CI half-width is" in precision and "with 2 replications" in precision
    # in the app's words: "set replications= or precision.adaptive=true" named no field of the app
    # (found by a QA pass); the log keeps the command line's
    assert precision.endswith("would reach it (raise Replications: Edit tab, Run)"), precision
    (logged,) = [line.removeprefix("flowsim: warning: ") for line in job.log.read_text(
        encoding="utf-8").splitlines() if line.startswith("flowsim: warning: ")]
    assert logged.endswith("(set replications= or precision.adaptive=true)"), logged
    assert in_app_words(logged) == precision
    headline = results.dataframe[0].value.set_index("measure")
    summary = pd.read_csv(job.result / "summary.csv").set_index("kpi")
    delayed = summary.loc["delayed_days_per_year", "mean"]
    assert headline.loc["Delayed days a year", "mean"] == f"{delayed:,.0f}"
    assert len(results.get("image")) >= 3  # census fan, delays by reason, utilisation heat map
    labels = {b.label for b in results.get("download_button")}
    assert {"Config (YAML)", "Summary (CSV)", "Replications (Parquet)", "Metrics (JSON)"} <= labels

    # the same config from the command line: identical metrics.json
    cli = tmp_path / "cli"
    subprocess.run([sys.executable, "-m", "flowsim", "scenario=quick", f"{CAPACITY}=30", "replications=2",
                    f"hydra.run.dir={cli}"], check=True, capture_output=True, timeout=300)
    assert (cli / "metrics.json").read_bytes() == (job.result / "metrics.json").read_bytes()
    # and the config the app offers for download, run as it is
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "mine.yaml").write_bytes((job.folder / "scenario.yaml").read_bytes())
    subprocess.run([sys.executable, "-m", "flowsim", "--config-dir", str(saved), "--config-name", "mine",
                    f"hydra.run.dir={tmp_path / 'cli2'}"], check=True, capture_output=True, timeout=300)
    assert (tmp_path / "cli2" / "metrics.json").read_bytes() == (job.result / "metrics.json").read_bytes()

    # a change after the run: its results stay, marked as of the scenario before the change
    _set(app, CAPACITY, 31)
    assert any("changed since this run" in w.value for w in _tab(app, "Results").warning)
    _set(app, CAPACITY, 30)
    assert [w.value for w in _tab(app, "Results").warning] == [precision]  # of the run shown, as before

    # asking again for the unchanged scenario shows its results without running anything
    app.sidebar.button(key="run").click().run()
    again = app.session_state["run_job"]
    assert again.folder == job.folder and again.process is None
    assert any("run before" in s.value for s in _tab(app, "Results").success)


def test_sessions_write_apart_and_do_not_see_each_others_runs(workspace):
    first, second = _open(workspace), _open(workspace)
    assert first.session_state["session_dir"] != second.session_state["session_dir"]
    _choose(first, "Scenario: quick")
    first.sidebar.button(key="run").click().run()
    job = _wait(first, "run_job")
    assert job.folder.is_relative_to(first.session_state["session_dir"])
    second.run()
    assert "run_job" not in second.session_state
    assert not _tab(second, "Results").subheader


def _reloaded(workspace: Path, app: AppTest) -> AppTest:
    """The page of ``app`` reloaded: a new Streamlit session, with the address ``app`` left it at."""
    again = AppTest.from_file(str(PAGE), default_timeout=120)
    again.query_params.update(app.query_params)
    again.run()
    assert not again.exception, again.exception
    return again


def test_a_reload_takes_up_the_run_still_going_and_can_cancel_it(workspace, app):
    # a reload starts a new Streamlit session with empty state: the run went on unseen, with nothing on
    # the page to stop it, and the page had a new session folder
    _choose(app, "Scenario: quick")
    _set(app, "replications", 2000)
    app.sidebar.button(key="run").click().run()
    job = app.session_state["run_job"]
    session = app.session_state["session_dir"]
    assert app.query_params["session"] == session.name
    reloaded = _reloaded(workspace, app)
    assert reloaded.session_state["session_dir"] == session
    assert reloaded.session_state["run_job"] is job and jobs.running(job)
    assert reloaded.sidebar.button(key="run").disabled  # one run at a time, after a reload too
    cancel = [b for b in reloaded.button if b.label == "Cancel"]
    assert cancel, "no Cancel button for the run taken up"
    cancel[0].click().run()
    assert jobs.job_status(job).state == "cancelled" and job.process.poll() is not None


def test_a_reload_shows_a_finished_run_and_a_new_visit_starts_afresh(workspace, app):
    _choose(app, "Scenario: quick")
    _set(app, "replications", 1)
    app.sidebar.button(key="run").click().run()
    job = _wait(app, "run_job")
    reloaded = _reloaded(workspace, app)
    assert reloaded.session_state["run_job"] is job
    assert _tab(reloaded, "Results").subheader  # its results, not "Run the scenario ... to see"
    fresh = _open(workspace)  # no session in the address: a session of its own
    assert fresh.session_state["session_dir"] != app.session_state["session_dir"]
    assert "run_job" not in fresh.session_state


@pytest.mark.parametrize("name", ["../../elsewhere", "20261205-101010-0123abcd", "", "sessions"])
def test_an_address_naming_no_session_of_this_workspace_gets_a_new_one(workspace, name):
    if name != "20261205-101010-0123abcd":  # a session's name, but no such session: no folder
        # a folder that is there, but not a session's (outside the sessions, or the sessions' own)
        (workspace / "sessions" / name).mkdir(parents=True, exist_ok=True)
    app = AppTest.from_file(str(PAGE), default_timeout=120)
    app.query_params["session"] = name
    app.run()
    assert not app.exception, app.exception
    folder = app.session_state["session_dir"]
    assert folder.parent == (workspace / "sessions").resolve() and folder.name != name
    assert app.query_params["session"] == folder.name


def test_a_cancelled_run_keeps_its_replications_and_resumes(app):
    _choose(app, "Scenario: quick")
    # far more replications than finish before the click, even on a loaded machine: the run must still be
    # running when Cancel is pressed
    _set(app, "replications", 2000)
    app.sidebar.button(key="run").click().run()
    job = app.session_state["run_job"]
    # one run at a time, off from the click's own page: the click was acted on after the button was
    # drawn, and only the progress bar is redrawn while a run goes, so the button looked clickable for
    # the whole run (found by a QA pass in Chromium)
    assert app.sidebar.button(key="run").disabled
    assert "A run is in progress (Results tab)" in " ".join(c.value for c in app.sidebar.caption)
    # a click all the same (from a page drawn before the run started) starts nothing, and says so: a
    # second run beside it took over the progress bar and Cancel, and the first ran on unseen. AppTest
    # clicks no disabled button: the button's callback notes the click so
    app.session_state["run_job:asked"] = True
    app.run()
    assert app.session_state["run_job"] is job
    assert ["Run scenario: started nothing, as one is still in progress."] == [
        w.value for w in app.sidebar.warning]
    deadline = time.monotonic() + 120
    while jobs.job_status(job).done < 2:
        assert time.monotonic() < deadline and jobs.job_status(job).state == "running"
        time.sleep(0.2)
    app.run()
    assert app.sidebar.button(key="run").disabled
    assert not app.sidebar.warning  # said once, for the click
    cancel = [b for b in app.button if b.label == "Cancel"]
    assert cancel, "no Cancel button while the run runs"
    cancel[0].click().run()
    status = jobs.job_status(job)
    assert status.state == "cancelled" and 2 <= status.done < 2000
    assert not app.sidebar.button(key="run").disabled  # free to run again
    assert job.process.poll() is not None
    assert any("cancelled" in w.value for w in _tab(app, "Results").warning)


def test_options_are_compared_with_the_scenario_as_it_stands(app):
    _choose(app, "Scenario: quick")
    _set(app, "replications", 2)
    compare = _tab(app, "Compare options")
    compare.selectbox(key="sweep:setting0").set_value("Unit: ic_beds · Capacity").run()
    _tab(app, "Compare options").text_input(key="sweep:values0").input("30, x").run()
    assert any("cannot read 'x'" in a for a in _alerts(_tab(app, "Compare options")))
    assert _tab(app, "Compare options").button(key="run_sweep").disabled
    _tab(app, "Compare options").text_input(key="sweep:values0").input("30, 50").run()
    _tab(app, "Compare options").button(key="run_sweep").click().run()
    # off while it runs, from the click's own page (it looked clickable for the whole comparison)
    compare = _tab(app, "Compare options")
    assert compare.button(key="run_sweep").disabled
    assert any(c.value.startswith("A comparison is in progress") for c in compare.caption)
    job = _wait(app, "sweep_job")
    assert not _tab(app, "Compare options").button(key="run_sweep").disabled
    assert job.swept == {CAPACITY: [39, 30, 50]}
    compare = _tab(app, "Compare options")
    table = compare.dataframe[0].value
    assert table["option"].tolist() == ["ic_beds=39", "ic_beds=30", "ic_beds=50"]
    assert table["baseline"].tolist() == [True, False, False]
    # delayed days avoided a year, by hand: the mean over paired replications of the baseline's delayed
    # days minus the option's, scaled from the observed window to a year
    by_job = {}
    for folder in (job.result / str(n) for n in range(3)):
        reps = pd.read_parquet(folder / "replications.parquet").set_index("replication")
        by_job[int(folder.name)] = reps["delayed_days_total"] * 365.0 / reps["observed_days"]
    by_hand = [float((by_job[0] - by_job[n]).mean()) for n in range(3)]
    shown = [float(text.replace(",", "")) for text in table["delayed days avoided a year"]]  # as shown
    assert shown == pytest.approx(by_hand, abs=0.051)
    assert any(i.value.startswith("Decision rule:") for i in compare.info)
    assert len(compare.get("image")) == 1
    assert any(b.label == "Build the board pack" for b in compare.button)
    assert not compare.warning
    # the scenario changed after the comparison: it says the options are against the scenario as it was
    # (the same results stayed under "the scenario as it stands": found by a QA pass)
    _set(app, "arrivals.rate_per_day", 25.0)
    assert any("changed since this comparison" in w.value for w in _tab(app, "Compare options").warning)
    _set(app, "arrivals.rate_per_day", 22.09)  # back as it was: the comparison is of it again
    assert not _tab(app, "Compare options").warning


def test_a_saved_scenario_is_a_starting_point(workspace):
    config = load_config(["scenario=quick", f"{CAPACITY}=33"])
    write_saved(OmegaConf.to_container(config, resolve=True), workspace / "saved" / "ward_plan.yaml", "plan")
    app = _open(workspace)
    _choose(app, "Saved scenario: ward_plan")
    assert app.text_input(key=_key(app, CAPACITY)).value == "33"
    assert app.text_input(key=_key(app, "arrivals.rate_per_day")).value == "22.09"
    # edited and saved here under another name: listed by the click's own page (it appeared only after
    # the next interaction: a QA pass), and a starting point with the edit
    _set(app, CAPACITY, 35)
    app.sidebar.text_input(key="save_name").input("ward plan 2!").run()
    app.sidebar.button(key="save").click().run()
    assert not app.exception, app.exception
    assert "Saved scenario: wardplan2" in app.sidebar.selectbox(key="start").options
    assert [m.value for m in app.sidebar.success] == [
        "Saved as wardplan2.yaml: pick it under Start from, or download it"]
    _choose(app, "Saved scenario: wardplan2")
    assert app.text_input(key=_key(app, CAPACITY)).value == "35"
    assert not app.sidebar.success  # said once


def test_a_saved_file_with_text_for_a_number_is_shown_to_be_retyped(workspace):
    # "forty" for a capacity: the one-line message and a usable page (it was a traceback: a QA pass)
    config = OmegaConf.to_container(load_config(["scenario=quick"]), resolve=True)
    config["services"]["ic_beds"]["capacity"] = "forty"
    write_saved(config, workspace / "saved" / "typed.yaml", "typed")
    app = _open(workspace)
    _choose(app, "Saved scenario: typed")
    messages = _alerts(app)
    assert messages and all("services.ic_beds.capacity" in m for m in messages), messages
    field = app.text_input(key=_key(app, CAPACITY))
    assert field.value == "forty"
    field.input("40").run()
    assert not app.exception, app.exception
    assert _alerts(app) == []  # retyped as a number: the scenario is valid again


def test_a_saved_file_that_is_not_a_flowsim_config_is_reported_in_one_line(workspace):
    folder = workspace / "saved"
    folder.mkdir(parents=True)
    (folder / "broken.yaml").write_text("defaults:\n  - flowsim_schema\n  - _self_\nservices_typo: 3\n")
    app = _open(workspace)
    _choose(app, "Saved scenario: broken")
    messages = _alerts(app)
    assert len(messages) == 1 and "services_typo: unknown key" in messages[0]
    assert "\n" not in messages[0] and "Traceback" not in messages[0]


def test_yaml_that_is_not_a_scenario_is_refused_and_compare_works_after_it(workspace):
    """A YAML file of something else opened as a scenario: the Compare tab raised KeyError: None, and
    went on raising it after a valid starting point was picked (found by a QA pass in Chromium)."""
    folder = workspace / "saved"
    folder.mkdir(parents=True)
    (folder / "notflowsim.yaml").write_text("hello: world\nfoo: 1\n")
    app = _open(workspace)
    _choose(app, "Saved scenario: notflowsim")
    assert _alerts(app) == [
        "Saved scenario: notflowsim: services: is not set: the file is not a flowsim scenario (it sets no "
        "unit); fix: open a scenario saved from this app, or a flowsim system file (flowsim --cfg job "
        "prints one)"]
    assert not app.tabs  # nothing to edit, run or compare
    _choose(app, "Scenario: quick")
    compare = _tab(app, "Compare options")
    assert compare.selectbox(key="sweep:setting0").value.endswith("· Capacity")  # the first unit's


def test_a_comparison_that_cannot_run_says_why(app):
    _choose(app, "Scenario: quick")
    compare = _tab(app, "Compare options")
    assert compare.button(key="run_sweep").disabled
    assert [c.value for c in compare.caption][-1] == (
        "To run the comparison: give at least one value besides today's.")
    _set(app, "replications", 0)
    compare = _tab(app, "Compare options")
    assert "To run the comparison: fix the scenario first (see the Edit tab)." in [c.value for c in
                                                                                   compare.caption]


def test_the_second_setting_to_compare_is_another_setting(app):
    """The same setting chosen twice ran only the second's values: 30 and 45 were dropped without a word
    (found by a QA pass in Chromium)."""
    _choose(app, "Scenario: quick")
    compare = _tab(app, "Compare options")
    compare.selectbox(key="sweep:setting0").set_value("Unit: ic_beds · Capacity").run()
    second = _tab(app, "Compare options").selectbox(key="sweep:setting1").options
    assert "Unit: ic_beds · Capacity" not in second and "Unit: care_home_unit · Capacity" in second
    first = _tab(app, "Compare options").selectbox(key="sweep:setting0").options
    assert "Unit: ic_beds · Capacity" in first


def test_compare_offers_no_setting_that_can_never_change_alone(app):
    """A pathway share changed alone never adds up to 1: every value but today's failed, with a fix the
    tab could not follow (found by a QA pass in Chromium)."""
    _choose(app, "Scenario: quick")
    options = _tab(app, "Compare options").selectbox(key="sweep:setting0").options
    assert not [o for o in options if o.startswith("Pathways · Share")], options
    assert "Unit: ic_beds · Capacity" in options and any(o.startswith("Arrivals") for o in options)


def test_number_fields_show_their_values_and_read_back_unchanged(app):
    """Number fields are text (read by flowsim's checks): each shows its value (1050, not 1050.0), and a
    scenario opened and not touched has no edit (its command line has no override)."""
    from flowsim.app.page_edit import _number_text

    assert [_number_text(x) for x in (1050.0, 22.09, 0.1, 1e30, 3, 1e-05)] == [
        "1050", "22.09", "0.1", "1e+30", "3", "1e-05"]
    _choose(app, "Scenario: quick")
    commands = [c.value for c in _tab(app, "System").code]
    assert commands == ["flowsim scenario=quick"], commands
    assert app.text_input(key=_key(app, "arrivals.rate_per_day")).value == "22.09"
    _set(app, CAPACITY, "39.0")  # today's value typed as a decimal: a whole number, no edit
    assert [c.value for c in _tab(app, "System").code] == ["flowsim scenario=quick"]


def test_a_second_setting_taken_by_the_first_is_reset_on_screen_too(app):
    """Setting 2 chosen, then the same setting as Setting 1: the page read Setting 2 as (none), but the
    browser went on showing the old choice (its state was deleted, so the browser was never told), and a
    comparison ran without the setting on screen (found by a QA pass in Chromium)."""
    _choose(app, "Scenario: quick")
    _tab(app, "Compare options").selectbox(key="sweep:setting1").set_value("Unit: ic_beds · Capacity").run()
    _tab(app, "Compare options").text_input(key="sweep:values1").input("30, 45").run()
    _tab(app, "Compare options").selectbox(key="sweep:setting0").set_value("Unit: ic_beds · Capacity").run()
    assert not app.exception, app.exception
    second = _tab(app, "Compare options").selectbox(key="sweep:setting1")
    assert second.value == "(none)"
    assert second.proto.set_value and second.proto.raw_value == "(none)"  # the browser is told so


def test_a_comparison_shows_no_none_where_there_is_no_number(app):
    """The baseline has no delayed days per added place and no return per GBP, and one replication no
    interval: the comparison table said "None" in those cells (found by a QA pass in Chromium)."""
    _choose(app, "Scenario: quick")
    _tab(app, "Compare options").selectbox(key="sweep:setting0").set_value("Unit: ic_beds · Capacity").run()
    _tab(app, "Compare options").text_input(key="sweep:values0").input("45").run()
    _tab(app, "Compare options").button(key="run_sweep").click().run()
    _wait(app, "sweep_job")
    cells = _tab(app, "Compare options").dataframe[0].value
    # an empty cell, even one a Styler fills, is "None" in the browser
    assert not cells.isna().any().any(), cells.to_dict("records")
    assert not cells.isin(["None", "nan", "NaN", "<NA>"]).any().any(), cells.to_dict("records")
    assert cells["avoided a year per added place"][0] == "—" and cells["return per GBP"][0] == "—"
    assert cells["avoided: 95% CI low"][1] == "—"  # one replication: no interval
    assert cells["delayed days avoided a year"][0] == "0" and cells["added places"][1] == "6"


def test_a_scenario_saved_under_a_shared_name_is_its_own_starting_point(workspace):
    """Saved (or opened) under the name of a scenario in the workspace's saved/ folder, both were listed
    as "Saved scenario: plan" and picking either opened the shared one: the planner's own scenario could
    not be chosen (found by a QA pass in Chromium)."""
    config = load_config(["scenario=quick", f"{CAPACITY}=33"])
    write_saved(OmegaConf.to_container(config, resolve=True), workspace / "saved" / "plan.yaml", "shared")
    app = _open(workspace)
    _choose(app, "Scenario: quick")
    _set(app, CAPACITY, 35)
    app.sidebar.text_input(key="save_name").input("plan").run()
    app.sidebar.button(key="save").click().run()
    assert not app.exception, app.exception
    assert [m.value for m in app.sidebar.success] == [
        "Saved as plan_2.yaml: pick it under Start from, or download it"]
    labels = app.sidebar.selectbox(key="start").options
    assert len(labels) == len(set(labels)), labels
    _choose(app, "Saved scenario: plan_2")
    assert app.text_input(key=_key(app, CAPACITY)).value == "35"
    _choose(app, "Saved scenario: plan")
    assert app.text_input(key=_key(app, CAPACITY)).value == "33"


def test_a_scenario_saved_without_a_name_can_be_downloaded(app):
    """An empty name saves my_scenario.yaml, but the download looked for ".yaml" and was not offered
    (found by a QA pass in Chromium)."""
    _choose(app, "Scenario: quick")
    app.sidebar.text_input(key="save_name").input("").run()
    app.sidebar.button(key="save").click().run()
    assert not app.exception, app.exception
    assert [m.value for m in app.sidebar.success] == [
        "Saved as my_scenario.yaml: pick it under Start from, or download it"]
    assert [b.label for b in app.sidebar.get("download_button")] == ["Download the saved scenario"]
