"""flowsim-app's page (a Streamlit script): pick a system, edit and run it, compare options, take results.

Run it with ``flowsim-app`` (or ``make app``), which sets the workspace and config folders in the
environment (``FLOWSIM_APP_WORKSPACE``, ``FLOWSIM_APP_CONFIG_DIRS``) and starts Streamlit on this file.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import streamlit as st

from flowsim.app import jobs
from flowsim.app.fields import apply_edits, as_overrides, error_place, form_groups, validate
from flowsim.app.page_compare import compare_tab
from flowsim.app.page_edit import alert, clear_widgets, read_edits, render_groups
from flowsim.app.page_results import download, progress_panel, run_panel, start_button
from flowsim.app.results import system_table
from flowsim.app.session import remember, session_folder
from flowsim.app.sources import Source, free_name, keep_upload, list_sources, starting_config
from flowsim.cli.config_errors import describe_error
from flowsim.model.errors import ConfigError
from flowsim.model.saved import write_saved
from flowsim.model.scenario import build_scenario
from flowsim.reporting.features import scenario_features
from flowsim.reporting.network import Network, draw_network, network_edges

WORKSPACE_ENV, CONFIG_DIRS_ENV = "FLOWSIM_APP_WORKSPACE", "FLOWSIM_APP_CONFIG_DIRS"


def _workspace() -> Path:
    return Path(os.environ.get(WORKSPACE_ENV) or "app_runs")


def _config_dirs() -> list[str]:
    return [d for d in os.environ.get(CONFIG_DIRS_ENV, "").split(os.pathsep) if d]


@st.cache_data(show_spinner=False, max_entries=64)
def _checked(config_json: str) -> tuple[str | None, str | None]:
    """The CLI's message for a config (None if it would run) and its field."""
    error = validate(json.loads(config_json))
    return (None, None) if error is None else (str(error), error.field)


@st.cache_data(show_spinner=False, max_entries=16)
def _diagram_png(network_json: str, _network: Network) -> bytes:
    """The picture of ``_network`` (``network_json`` is its key: Streamlit does not hash a leading-``_``
    argument), drawn again only when its boxes or arrows change (a capacity, a share, a unit): drawing
    takes most of a rerun, and editing a cost or a length of stay leaves it as it was."""
    import io

    buffer = io.BytesIO()
    draw_network(_network).savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _session() -> Path:
    return session_folder(_workspace())


def _sources(session: Path) -> list[Source]:
    return list_sources(_config_dirs(), [_workspace() / "saved", session / "saved"])


def _uploaded(session: Path) -> None:
    """Keep an uploaded scenario in the session and choose it (a callback: before the picker is drawn);
    a file that is not one is reported, and neither kept nor listed."""
    file = st.session_state.get("upload")
    st.session_state.upload_error = None
    if file is None:
        return
    kept, problem = keep_upload(session / "saved", file.name, file.getvalue(), [_workspace() / "saved"])
    if kept is None:
        st.session_state.upload_error = f"{file.name} (not opened): {problem}"
    else:
        st.session_state.start = f"Saved scenario: {kept.stem}"


def _upload(session: Path) -> None:
    """A saved scenario from the planner's disk becomes the starting point."""
    st.sidebar.file_uploader("…or open a saved scenario (YAML)", type=["yaml", "yml"], key="upload",
                             on_change=_uploaded, args=(session,))
    if st.session_state.get("upload_error"):
        with st.sidebar:
            alert(st.session_state.upload_error)


def _base(source: Source) -> dict[str, Any] | None:
    """The starting point's config, composed once per choice; a file that is not a config is reported."""
    if st.session_state.get("base_label") != source.label:
        clear_widgets()
        try:
            base, problem = starting_config(source), None
        except Exception as error:  # a user's file: the CLI's one line, or the bug re-raised
            problem = describe_error(error)
            if problem is None:
                raise
            base = None
        # only now, with both recorded: an exception above left the label set and no error, and every
        # later rerun failed with "st.session_state has no key base_error"
        st.session_state.base, st.session_state.base_error = base, problem
        st.session_state.base_label = source.label
    if st.session_state.base_error:
        alert(st.session_state.base_error, f"{source.label}: ")
    return st.session_state.base


def _sidebar(session: Path) -> Source:
    st.sidebar.title("flowsim")
    st.sidebar.caption("Hospital-to-home patient flow: delayed days, capacity and cost")
    sources = _sources(session)
    labels = [s.label for s in sources]
    if st.session_state.get("start") not in labels:
        st.session_state.start = labels[0]
    label = st.sidebar.selectbox("Start from", labels, key="start",
                                 help="The default system, a shipped scenario, your own or calibrated system "
                                 "(flowsim-app --config-dir DIR), or a scenario saved from this app")
    source = sources[labels.index(label)]
    if source.description:
        st.sidebar.caption(source.description)
    _upload(session)
    return source


def _system_tab(config: Mapping[str, Any], source: Source, edits: Mapping[str, Any]) -> None:
    try:
        scenario = build_scenario(config)  # once: the table and the list of features read it
    except ConfigError as error:
        alert(str(error))
        return
    table, listed = system_table(scenario), scenario_features(scenario)
    st.markdown("**What this scenario models beyond the core:** " + ("; ".join(listed) or "nothing"))
    network = network_edges(config)
    st.image(_diagram_png(json.dumps(dataclasses.asdict(network)), network),
             caption="The system: arrivals, pathways, units")
    st.dataframe(table, hide_index=True, width="stretch")
    st.markdown("The same scenario on the command line:")
    st.code(" ".join([source.command, *as_overrides(edits)]), language="bash")


def _stem(name: str) -> str:
    """The typed name as a file name: its letters, digits, _ and -."""
    return "".join(c for c in name if c.isalnum() or c in "_-")


def _save(session: Path, config: dict[str, Any], title: str) -> None:
    """Write the scenario as drawn under the name typed (a callback of the Save button)."""
    stem = _stem(st.session_state.get("save_name", "")) or "my_scenario"
    # not a shared scenario's name (workspace/saved): both were listed alike, and the shared one opened
    target = free_name(session / "saved" / f"{stem}.yaml", None, [_workspace() / "saved"])
    st.session_state.saved_file = write_saved(config, target, title)
    st.session_state.saved_as = st.session_state.saved_file.name


def _run_sidebar(session: Path, config: dict[str, Any], error: str | None, title: str) -> None:
    st.sidebar.divider()

    def start() -> None:
        job = jobs.run_job(session, config, title)
        reused = jobs.job_status(job).state == "finished"
        jobs.start(job)
        remember("run_job", job)
        st.session_state.reused = reused
        st.session_state.pop("run_job:shown", None)

    with st.sidebar:  # off while a run is in progress: one run at a time
        start_button("Run scenario", "run", "run_job", start, error is not None,
                     "A run is in progress (Results tab): wait for it, or cancel it there, to run again.")
    if error is not None:
        with st.sidebar:
            alert(error, "Fix the marked setting (Edit tab) to run: ")
    st.sidebar.text_input("Save as", value="my_scenario", key="save_name",
                          help="A name for the saved scenario (letters, digits, _ and -)")
    # saved in the click's callback, before the page is drawn again: Start from then lists the file
    st.sidebar.button("Save scenario", disabled=error is not None, key="save", on_click=_save,
                      args=(session, config, title))
    if st.session_state.get("saved_as"):
        st.sidebar.success(f"Saved as {st.session_state.pop('saved_as')}: pick it under Start from, or "
                           "download it")
    saved = st.session_state.get("saved_file")  # as saved (an empty name saved my_scenario.yaml)
    if saved is not None:
        with st.sidebar:
            download(saved, "Download the saved scenario", key="dl:saved")
    st.sidebar.caption(f"Session folder: `{session}`")


def main() -> None:
    """Draw the page."""
    st.set_page_config(page_title="flowsim", page_icon="🏥", layout="wide", initial_sidebar_state="expanded")
    session = _session()
    source = _sidebar(session)
    base = _base(source)
    if base is None:
        return
    groups = form_groups(base)
    edits, unreadable = read_edits(groups, base)
    config = apply_edits(base, edits)
    if unreadable is not None:
        message, field = str(unreadable), unreadable.field
    else:
        message, field = _checked(json.dumps(config, sort_keys=True))
    place = error_place(field or "", groups) if message is not None else ("", None)
    title = source.label + (f" with {len(edits)} change(s)" if edits else "")
    _run_sidebar(session, config, message, title)

    system, edit, result, compare = st.tabs(["System", "Edit", "Results", "Compare options"])
    with system:
        _system_tab(config, source, edits)
    with edit:
        st.caption("Change any value; it is checked as the command line checks it. Hover the ? beside a "
                   "field for what it means.")
        render_groups(groups, base, message, place)
    with result:
        progress_panel("run_job", "Run")
        job = st.session_state.get("run_job")
        if job is None:
            st.info("Run the scenario (sidebar) to see its results here.")
        elif jobs.job_status(job).state == "finished":
            if jobs.run_folder(session, config) != job.folder:
                st.warning("The scenario has changed since this run (an edit, or another starting point): "
                           "these are the results of the scenario as it was then. Run it again to see the "
                           "scenario as it is now.")
            elif st.session_state.get("reused"):
                st.success("This scenario was run before in this session: its results are shown again.")
            run_panel(job)
    with compare:
        compare_tab(session, config, groups, message is None, title)


main()
