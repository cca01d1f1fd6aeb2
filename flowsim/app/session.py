"""A browser tab's session: its folder, kept in the page's address, and the jobs it started.

Streamlit gives a reloaded page a new session, with nothing in its state. So that a reload loses
neither the session's folder nor a run still going, the folder's name is kept in the page's address
(``?session=<name>``) and the jobs a session starts are held by the server (:func:`started`): a
reloaded page takes them up again, a run with its progress bar and Cancel, a finished one with its
results. Before, a run went on unseen after a reload, with nothing on the page to stop it. Opening
the app afresh (no ``session`` in the address) starts a new session, apart from every other.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from flowsim.app import jobs
from flowsim.app.jobs import Job

__all__ = ["JOB_KEYS", "forget", "remember", "session_folder", "started"]

JOB_KEYS = ("run_job", "sweep_job", "board_job")  # the page's state keys of the jobs it shows
_NAME = re.compile(r"\d{8}-\d{6}-[0-9a-f]{8}")  # as jobs.new_session_folder names a session's folder


@st.cache_resource(show_spinner=False)
def started() -> dict[str, dict[str, Job]]:
    """The jobs started on this server (one per process): by session folder, then by state key."""
    return {}


def session_folder(workspace: Path) -> Path:
    """This tab's session folder: the one its address names if there is such a session, else a new one.

    A page opened in a new session (a reload, or a first visit) also takes up the jobs its session
    started, as the page's ``run_job``, ``sweep_job`` and ``board_job``.
    """
    if "session_dir" not in st.session_state:
        name = st.query_params.get("session", "")
        folder = Path(workspace).resolve() / "sessions" / name
        if not (_NAME.fullmatch(name) and folder.is_dir()):  # not a path from the address, ever
            folder = jobs.new_session_folder(workspace)
        st.session_state.session_dir = folder
        st.query_params["session"] = folder.name
        for key, job in started().get(str(folder), {}).items():
            st.session_state[key] = job
    return st.session_state.session_dir


def remember(key: str, job: Job) -> None:
    """Show ``job`` as the page's ``key`` (one of :data:`JOB_KEYS`) and keep it for a reload."""
    if key not in JOB_KEYS:
        raise ValueError(f"{key!r} is not one of {JOB_KEYS}")
    st.session_state[key] = job
    started().setdefault(str(st.session_state.session_dir), {})[key] = job


def forget(key: str) -> None:
    """Show no job as the page's ``key`` any more, now or after a reload (a new comparison's board pack)."""
    st.session_state.pop(key, None)
    started().get(str(st.session_state.session_dir), {}).pop(key, None)
