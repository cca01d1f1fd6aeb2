"""The app's result panels: a job's progress and cancel button, a run's KPIs and charts, a sweep's comparison.

Progress is drawn by a fragment that reruns itself every second while its job runs, so the rest of
the page stays usable; when the job ends the whole page reruns to show its results. The button that
starts a job (:func:`start_button`) is off while its job runs; flowsim's messages are shown with the
command line's advice told as what to do in the app (:func:`in_app_words`).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from matplotlib.figure import Figure

from flowsim.app import jobs
from flowsim.app.jobs import Job
from flowsim.app.page_edit import alert
from flowsim.app.results import HEADLINE, headline_table, load_run, load_sweep, utilisation_table

__all__ = ["SHORT_WINDOW_DAYS", "comparison_shown", "download", "in_app_words", "progress_panel", "run_panel",
           "run_warnings", "start_button", "sweep_panel"]

# The command line's advice in flowsim's messages (pinned by its own tests) -> what a planner does in the
# app, which has no such settings to type: "set precision.adaptive=true" was shown (found by a QA pass)
_IN_THE_APP = (
    (r"\(set replications= or precision\.adaptive=true\)", "(raise Replications: Edit tab, Run)"),
    (r"\(adaptive replications stopped at precision\.max_replications=(\d+): raise it\)",
     r"(this scenario adds replications until the target is met, and stopped at its most, \1: raise "
     "max_replications under precision in a saved copy of it (Save scenario), then open that file here)"),
    (r"to resume, run the same command with hydra\.run\.dir=.+? \(and a lower n_jobs if memory ran out\)",
     "run it again to continue from them"),
)
_MIME = {".csv": "text/csv", ".json": "application/json", ".yaml": "application/x-yaml",
         ".html": "text/html", ".pdf": "application/pdf", ".parquet": "application/octet-stream"}


def download(path: Path, label: str, key: str) -> None:
    """A download button for a file, if it exists."""
    if path.is_file():
        st.download_button(label, data=path.read_bytes(), file_name=path.name,
                           mime=_MIME.get(path.suffix, "application/octet-stream"), key=key)


def _ask(flag: str) -> None:
    """A start button's callback: the click is noted, and acted on before the button is drawn again."""
    st.session_state[flag] = True


def start_button(label: str, key: str, state_key: str, start: Callable[[], None], blocked: bool,
                 busy_note: str, kind: str = "primary") -> None:
    """A button that starts the job kept in ``st.session_state[state_key]``, drawn off while that job runs.

    The click is noted by the button's callback and acted on here, before the button is drawn, so the
    page that shows the job started draws the button off. (Acted on after it, the button was drawn on
    for the whole run: only the progress bar is redrawn while a job runs.) A click that comes all the
    same, from a page drawn before the job started, starts nothing and says so.

    Parameters
    ----------
    label, key : str
        The button's label and widget key.
    state_key : str
        Where the session keeps the button's job (e.g. ``run_job``).
    start : callable
        Starts the job and keeps it under ``state_key``; called with the page's current values.
    blocked : bool
        The button is off for another reason (a setting to fix): a click starts nothing.
    busy_note : str
        The caption under the button while the job runs.
    kind : str
        The button's type: ``primary`` or ``secondary``.
    """
    flag = f"{state_key}:asked"
    refused = False
    if st.session_state.pop(flag, False):
        refused = jobs.running(st.session_state.get(state_key))  # one at a time: kept on the server too
        if not refused and not blocked:
            start()
    busy = jobs.running(st.session_state.get(state_key))
    st.button(label, type=kind, disabled=blocked or busy, key=key, on_click=_ask, args=(flag,))
    if busy:  # a second would hide the first's progress and Cancel, and share the cores with it
        st.caption(busy_note)
    if refused:
        st.warning(f"{label}: started nothing, as one is still in progress.")


def progress_panel(state_key: str, what: str) -> None:
    """Progress bar and Cancel for the job in ``st.session_state[state_key]``, refreshed every second."""
    current: Job | None = st.session_state.get(state_key)
    running = current is not None and jobs.job_status(current).state == "running"

    @st.fragment(run_every=1.0 if running else None)  # polls only while a job runs
    def panel() -> None:
        job: Job | None = st.session_state.get(state_key)
        if job is None:
            return
        status = jobs.job_status(job)
        if status.state == "running":
            text = (f"{what}: {status.done} of {status.total} replications done" if job.kind != "board"
                    else f"{what}: building")
            st.progress(status.fraction, text=text)
            if st.button("Cancel", key=f"cancel:{state_key}", type="secondary"):
                jobs.cancel(job)
                st.rerun()
            return
        if st.session_state.get(f"{state_key}:shown") != status.state:
            st.session_state[f"{state_key}:shown"] = status.state
            st.rerun()  # the job ended: draw its results (or its error) on the whole page

    panel()
    job: Job | None = st.session_state.get(state_key)
    if job is None:
        return
    status = jobs.job_status(job)
    if status.state == "failed":
        alert(in_app_words(status.message), f"{what} stopped: ")
    elif status.state == "cancelled":
        st.warning(f"{what} {status.message}")
    with st.expander("Command and log"):
        st.code(job.cli, language="bash")
        if job.log.is_file():
            st.code(job.log.read_text(encoding="utf-8", errors="replace")[-6000:], language="text")


# Below four weeks, a yearly figure is mostly the scaling of a few days.
SHORT_WINDOW_DAYS = 28.0


def in_app_words(message: str) -> str:
    """``message``, a line flowsim printed, with its command-line advice told as what to do in the app.

    Parameters
    ----------
    message : str
        E.g. a run's precision warning, whose advice ``set replications= or precision.adaptive=true``
        becomes ``raise Replications: Edit tab, Run``.

    Returns
    -------
    str
        The message as the app shows it; a message with no such advice comes back unchanged.
    """
    for cli, app in _IN_THE_APP:
        message = re.sub(cli, app, message)
    kpi, colon, rest = message.partition(": ")  # a measure by its column name: by what the tables call it
    return f"{HEADLINE[kpi][0]}{colon}{rest}" if colon and kpi in HEADLINE else message


def run_warnings(job: Job, kind: str = "warning") -> list[str]:
    """The run's own warnings (``flowsim: warning: ...`` in its log), without the prefix, in the app's words
    (:func:`in_app_words`); with ``kind="note"``, its notes (``flowsim: note: ...``)."""
    if not job.log.is_file():
        return []
    prefix = f"flowsim: {kind}: "
    return [in_app_words(line.removeprefix(prefix)) for line in job.log.read_text(
        encoding="utf-8", errors="replace").splitlines() if line.startswith(prefix)]


def _figure(fig: Figure | None) -> None:
    if fig is not None:
        st.pyplot(fig, clear_figure=True)


def _shown(value: float) -> str:
    if value != value:  # NaN: one replication has no interval
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def _headline(table: pd.DataFrame) -> pd.DataFrame:
    shown = table.drop(columns=["kpi"])
    for column in ("mean", "95% CI low", "95% CI high"):
        shown[column] = [_shown(v) for v in shown[column]]
    return shown


def _utilisation(table: pd.DataFrame) -> pd.DataFrame:
    """The units' table as shown: numbers to 2 decimals (places whole when they are: a unit's places
    change only with a seasonal factor or a dated step), "—" where there is none (one replication has no
    interval; the table would say None)."""
    shown = table.copy()
    for column in shown.columns.drop("unit"):
        shown[column] = ["—" if v is None or v != v else f"{v:,.0f}" if column == "places" and v == round(v)
                         else f"{v:,.2f}" for v in shown[column]]
    return shown


_WRAPPED_LABELS = ('[data-testid="stMetric"] [data-testid="stMetricLabel"] * '
                   "{white-space: normal; overflow: visible; text-overflow: clip}")


def _cards(table: pd.DataFrame) -> None:
    """The three numbers a board asks first, as large figures with their intervals."""
    rows = table.set_index("kpi")
    picked = [k for k in ("delayed_days_per_year", "nctr_census_mean", "cost_total") if k in rows.index]
    # a label wider than its card wraps: cut to one line, "Patients ready to leave, in acute beds (mean)
    # (patients)" lost its unit at 1400 px (found by a QA pass); the figures stay level at the bottom
    st.html(f"<style>{_WRAPPED_LABELS}</style>")
    for column, kpi in zip(st.columns(len(picked), vertical_alignment="bottom"), picked, strict=True):
        row = rows.loc[kpi]
        interval = ("" if row["95% CI low"] != row["95% CI low"] else
                    f"95 % CI {_shown(row['95% CI low'])} to {_shown(row['95% CI high'])}")
        column.metric(f"{row['measure']} ({row['unit']})", _shown(row["mean"]), interval or None,
                      delta_color="off", delta_arrow="off")


def run_panel(job: Job) -> None:
    """A finished run: headline KPIs with CIs, census fan, delays by reason, utilisation, downloads."""
    view = load_run(job.result)
    table = headline_table(view.summary, view.observed_days)
    st.subheader("Headline results")
    runs = len(view.replications)
    days = f"{view.observed_days:g} day" + ("" if view.observed_days == 1 else "s")
    st.caption(f"{runs} replication(s) over {days} observed; 95 % confidence intervals "
               "over replications, cut at what is possible (0, and 100 % for utilisation); costs made "
               "yearly." + (" Run 2 or more replications (Edit, Run) for intervals." if runs < 2 else ""))
    for line in run_warnings(job):  # e.g. the intervals' precision: it was only in the log
        st.warning(line)
    for line in run_warnings(job, "note"):  # e.g. why a run with no arrivals shows zeros
        st.info(line)
    if view.observed_days < SHORT_WINDOW_DAYS:
        st.warning(f"The observed window is {days}: each figure a year is that "
                   f"window scaled {365.0 / view.observed_days:,.0f}-fold, with its own weekdays and season. "
                   "A longer horizon (Edit: Run, Horizon) gives yearly figures to rely on.")
    _cards(table)
    st.dataframe(_headline(table), hide_index=True, width="stretch", key="headline")
    st.markdown("**Census of patients ready to leave**")
    _figure(view.fan_figure())
    left, right = st.columns(2)
    with left:
        st.markdown("**Delays by reason**")
        _figure(view.reasons_figure())
    with right:
        st.markdown("**Utilisation of units**")
        st.dataframe(_utilisation(utilisation_table(view.summary, view.units)), hide_index=True,
                     width="stretch")
        _figure(view.utilisation_figure())
    st.markdown("**Take the results away**")
    columns = st.columns(4)
    files = [(job.folder / "scenario.yaml", "Config (YAML)"), (job.result / "summary.csv", "Summary (CSV)"),
             (job.result / "replications.parquet", "Replications (Parquet)"),
             (job.result / "units.parquet", "Units (Parquet)"),
             (job.result / "census.parquet", "Census (Parquet)"),
             (job.result / "patients.parquet", "Patients (Parquet)"),
             (job.result / "metrics.json", "Metrics (JSON)")]
    for index, (path, label) in enumerate(files):
        with columns[index % 4]:
            download(path, label, key=f"dl:run:{path.name}")


def comparison_shown(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison as shown: thousands separated, as the command line prints them ("-1,329.4", not
    "-1329.4"), one decimal (two for the return per GBP, e.g. 0.94), and "—" where there is no number:
    the baseline's per added place and return per GBP, and every interval of one replication (the
    browser writes "None" in an empty number cell, whatever a Styler says, so the cells are text)."""
    def shown(value: float, decimals: int) -> str:
        if value != value:
            return "—"
        text = f"{value:,.{decimals}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text  # 5,521, not 5,521.0
        return "0" if text == "-0" else text

    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            decimals = 2 if column == "return per GBP" else 1
            out[column] = [shown(v, decimals) for v in out[column]]
    return out


def _right_aligned(table: pd.DataFrame) -> dict[str, Any]:
    """Text columns of numbers aligned right, as numbers are (where Streamlit can: 1.50 on)."""
    if "alignment" not in inspect.signature(st.column_config.TextColumn).parameters:
        return {}
    return {column: st.column_config.TextColumn(alignment="right") for column in table.columns
            if column not in ("option", "baseline")}


def sweep_panel(job: Job) -> None:
    """A finished sweep: each option against the baseline, the decision rule's choice, the chart, the pack."""
    baseline = {path: values[0] for path, values in job.swept.items()}
    view = load_sweep(job.result, baseline)
    st.subheader("Options against the scenario as it stands")
    st.info(view.sentence)
    shown = comparison_shown(view.table())
    st.dataframe(shown, hide_index=True, width="stretch", key="comparison",
                 column_config=_right_aligned(shown))
    _figure(view.figure())
    columns = st.columns(4)
    with columns[0]:
        download(job.result / "comparison.csv", "Comparison (CSV)", key="dl:sweep:comparison")
    with columns[1]:
        download(job.result / "results.parquet", "Every replication (Parquet)", key="dl:sweep:results")
    with columns[2]:
        download(job.folder / "scenario.yaml", "Config (YAML)", key="dl:sweep:config")
