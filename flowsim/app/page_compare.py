"""The app's "Compare options" tab: sweep one or two settings against the scenario as it stands; board pack.

The scenario as edited is always the first option (the baseline of the comparison, as job 0 of
``flowsim -m``); every option is checked as the command line would check it before the sweep starts.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from flowsim.app import jobs
from flowsim.app.fields import Field, Group, apply_edits, get_value, validate
from flowsim.app.page_edit import alert
from flowsim.app.page_results import download, progress_panel, start_button, sweep_panel
from flowsim.app.session import forget, remember
from flowsim.model.errors import ConfigError
from flowsim.reporting.pdf import find_browser

__all__ = ["compare_tab", "option_values", "sweepable"]

MAX_OPTIONS = 30
_NONE = "(none)"


def sweepable(groups: Sequence[Group]) -> dict[str, Field]:
    """Settings a comparison can vary: the numbers of every group but the run's, by a readable name.

    Not the pathway shares: they must add up to 1, so one share changed alone is never a scenario.
    """
    return {f"{g.title} · {f.label}": f for g in groups if g.key != "run" for f in g.fields
            if f.kind in ("int", "float") and not f.path.startswith("pathways.shares.")}


def option_values(f: Field, text: str, current: Any) -> list[Any]:
    """The values typed for ``f`` (``"30, 40, 50"``), the current value first.

    Raises
    ------
    ConfigError
        Naming the field, if a value is not a number (or not a whole number where one is needed).
    """
    values: list[Any] = [current]
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        try:
            number = float(part)
        except ValueError:
            raise ConfigError(f.path, f"cannot read {part.strip()!r} as a number",
                              "give values separated by commas, e.g. 30, 40, 50") from None
        if f.kind == "int" and not number.is_integer():
            raise ConfigError(f.path, f"must be a whole number, got {part.strip()}",
                              "give whole numbers, e.g. 30, 40, 50")
        values.append(int(number) if f.kind == "int" else number)
    return list(dict.fromkeys(values))


def _check_options(config: Mapping[str, Any], swept: Mapping[str, list[Any]]) -> str | None:
    points = list(itertools.product(*swept.values()))
    if len(points) > MAX_OPTIONS:
        return (f"{len(points)} options: more than {MAX_OPTIONS}; fix: give fewer values (or sweep from the "
                "command line, flowsim -m)")
    for point in points:
        error = validate(apply_edits(config, dict(zip(swept, point, strict=True))))
        if error is not None:
            return str(error)
    return None


def _chooser(index: int, choices: dict[str, Field], config: Mapping[str, Any]) -> tuple[Field | None, str]:
    names = ([] if index == 0 else [_NONE]) + list(choices)
    key = f"sweep:setting{index}"
    if st.session_state.get(key) not in names:
        # first drawn, or chosen among other settings (another scenario's, or Setting 1's now): set, not
        # deleted, so the browser is told; deleted, it went on showing the old choice while the page
        # read the default, and a comparison ran without the setting on screen (a QA pass)
        capacity = next((n for n in names if n.endswith("· Capacity")), None) if index == 0 else None
        st.session_state[key] = capacity or (names[0] if names else None)
    name = st.selectbox(f"Setting {index + 1}", names, key=key)
    if name is None or name == _NONE:  # (None: no setting to choose from)
        return None, ""
    f = choices[name]
    text = st.text_input(f"Values of setting {index + 1}, besides today's {get_value(config, f.path)} "
                         f"({f.unit})", key=f"sweep:values{index}", placeholder="e.g. 30, 40, 50")
    return f, text


def compare_tab(session: Path, config: dict[str, Any], groups: Sequence[Group], valid: bool,
                title: str) -> None:
    """Draw the tab: the options, Run comparison, its progress, its results and the board pack."""
    st.caption("Compare the scenario as it stands with other values of one or two settings, on the same "
               "random numbers. The decision rule is the board pack's.")
    choices = sweepable(groups)
    swept: dict[str, list[Any]] = {}
    problem = None if valid else "fix the scenario first (see the Edit tab)"
    for index in range(2):
        f, text = _chooser(index, choices, config)
        if f is None:
            continue
        # Setting 2 is another setting: the same one twice replaced Setting 1's values with its own
        choices = {name: other for name, other in choices.items() if other.path != f.path}
        try:
            values = option_values(f, text, get_value(config, f.path))
        except ConfigError as error:
            alert(str(error))
            problem = problem or str(error)
            continue
        swept[f.path] = values
    quiet = problem  # what is not shown above a field: said beside the button
    if problem is None and swept and all(len(v) < 2 for v in swept.values()):
        problem = quiet = "give at least one value besides today's"
    if problem is None and swept:
        problem = _check_options(config, swept)
        if problem is not None:
            alert(problem)
    ready = problem is None and bool(swept)
    if quiet is not None:
        st.caption(f"To run the comparison: {quiet}.")

    def start() -> None:
        job = jobs.sweep_job(session, config, swept, title)
        jobs.start(job)
        remember("sweep_job", job)
        st.session_state.pop("sweep_job:shown", None)
        forget("board_job")

    start_button("Run comparison", "run_sweep", "sweep_job", start, not ready,
                 "A comparison is in progress (below): wait for it, or cancel it, to run another.")
    progress_panel("sweep_job", "Comparison")
    job = st.session_state.get("sweep_job")
    if job is None or jobs.job_status(job).state != "finished":
        return
    if jobs.sweep_folder(session, config, job.swept) != job.folder:
        st.warning("The scenario has changed since this comparison: these are the options against the "
                   "scenario as it was then, and its board pack shows them. Run the comparison again to "
                   "compare the scenario as it is now.")
    sweep_panel(job)
    _board(job, job.title)  # the pack of the comparison shown, under the title it was run with


def _board(sweep: jobs.Job, title: str) -> None:
    st.markdown("**Board pack**")
    browser = find_browser()

    def start() -> None:
        board = jobs.board_job(sweep, title, pdf=browser is not None)
        jobs.start(board)
        remember("board_job", board)
        st.session_state.pop("board_job:shown", None)

    start_button("Build the board pack", "board", "board_job", start, False,
                 "The board pack is being built (below).", kind="secondary")
    if browser is None:
        st.caption("The PDF needs Chromium (apt install chromium); the HTML pack is built without it.")
    progress_panel("board_job", "Board pack")
    board = st.session_state.get("board_job")
    if board is not None and jobs.job_status(board).state == "finished":
        left, right = st.columns(2)
        with left:
            download(board.folder / "board_pack.html", "Board pack (HTML)", key="dl:board:html")
        with right:
            download(board.folder / "board_pack.pdf", "Board pack (PDF)", key="dl:board:pdf")
