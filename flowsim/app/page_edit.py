"""The app's forms: a widget per editable setting, its unit and help, and the CLI's message beside it.

Widget values are read back into edits (path -> value) before anything is drawn, so the config is
checked first and its one-line message can be drawn right under the field it names.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from flowsim.app.fields import DAYS, Field, Group, get_value
from flowsim.model.errors import ConfigError

__all__ = ["alert", "clear_widgets", "read_edits", "render_groups", "widget_key"]

_ALERT = ("background:#fdecea;color:#7a1c14;border-left:4px solid #d93025;border-radius:0.4rem;"
          "padding:0.6rem 0.9rem;font-size:0.92rem;line-height:1.45;overflow-wrap:anywhere")


def alert(message: str, prefix: str = "") -> None:
    """A problem in the CLI's exact words (not Markdown, which would turn ">=" into a sign), in red."""
    text = html.escape(prefix + message)
    st.html(f'<div role="alert" data-flowsim="error" style="{_ALERT}">⚠️ {text}</div>')


def widget_key(path: str) -> str:
    """The key of the widget of config ``path`` in the current form (``w<form>:<path>``)."""
    return f"w{st.session_state.get('form', 0)}:{path}"


class _Unreadable(ValueError):
    """A list of numbers typed so that it cannot be read (the path and the text)."""


def _numbers_text(values: Sequence[Any]) -> str:
    return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


def _parse_numbers(path: str, text: str) -> list[float]:
    try:
        return [float(part) for part in text.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise ConfigError(path, f"cannot read {text!r} as numbers",
                          "give numbers separated by commas, e.g. 1.05, 1.1, 1.1") from None


def _widget_value(f: Field, base_value: Any) -> Any:
    """The value the field's widget holds now (the base value before it is first drawn)."""
    key = widget_key(f.path)
    if key not in st.session_state:
        return base_value
    value = st.session_state[key]
    if f.kind == "numbers":
        return _parse_numbers(f.path, value)
    if f.kind in ("int", "float") and isinstance(value, str):  # as typed: read as the command line would
        value = _typed(f, value.strip())
    if f.kind == "text" and isinstance(value, str):  # e.g. costs.acute_bed_day: a basis's name or 500
        return _command_line_scalar(value)
    if f.kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _command_line_scalar(text: str) -> Any:
    """A text field's value as ``key=text`` on the command line gives it: a number for ``500`` or
    ``395.5`` (Hydra reads them so), else the text. Kept as text, the saved scenario and its digest
    differed from the command line's for the same run."""
    stripped = text.strip()
    if re.fullmatch(r"[+-]?\d+", stripped):
        return int(stripped)
    if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?", stripped):
        return float(stripped)
    return text


def _typed(f: Field, text: str) -> Any:
    """A number field's text as the command line reads ``key=text``: the number, or the text itself.

    ``2.5`` in a whole-number field stays 2.5, so the check says "must be a whole number, got 2.5";
    a word or an empty field stays text, and the check says so too (nothing is silently replaced).
    """
    number = _number(f, text)
    if number is None and f.kind == "int":
        try:
            number = float(text)
        except ValueError:
            return text
    return text if number is None else number  # (inf and nan as numbers: the checks refuse them as the CLI's)


def read_edits(groups: Sequence[Group], base: Mapping[str, Any]) -> tuple[dict[str, Any], ConfigError | None]:
    """The fields whose widgets differ from ``base``, and a list that could not be read, if any."""
    edits: dict[str, Any] = {}
    problem = None
    for group in groups:
        for f in group.fields:
            base_value = get_value(base, f.path)
            try:
                value = _widget_value(f, base_value)
            except ConfigError as error:
                problem = problem or error
                continue
            if not _same(value, base_value):
                edits[f.path] = value
    return edits, problem


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-12)
    return a == b


def clear_widgets() -> None:
    """Start a new form: a new starting point's widgets (new keys) show its own values.

    The browser keeps a keyed widget's value whatever default it is drawn with, so the widgets of
    each starting point get keys of their own.
    """
    old = f"w{st.session_state.get('form', 0)}:"
    for key in [k for k in st.session_state if str(k).startswith(old)]:
        del st.session_state[key]
    st.session_state.form = st.session_state.get("form", 0) + 1


def _label(f: Field) -> str:
    if not f.unit or f.kind in ("bool", "days"):
        return f.label
    # a unit with its own brackets after a comma: "Start date, date (YYYY-MM-DD)", not "(date (...))"
    return f"{f.label}, {f.unit}" if "(" in f.unit else f"{f.label} ({f.unit})"


def _number(f: Field, value: Any) -> int | float | None:
    """``value`` as the field's number; None when it is not one (e.g. ``forty`` in a saved file)."""
    try:
        return int(value) if f.kind == "int" else float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _number_text(number: float) -> str:
    """A number as its field shows it: 1050 for 1050.0, else the shortest text that reads back the same."""
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def _widget(f: Field, value: Any) -> None:
    key, label = widget_key(f.path), _label(f)
    help_text = f"{f.help} · `{f.path}`" if f.help else f"`{f.path}`"
    number = _number(f, value) if f.kind in ("int", "float") else None
    if f.kind in ("int", "float"):
        # text, read by flowsim's own checks (_typed): a number field of the browser's would turn 2.5 into
        # 2 in a whole-number field, and a word or an empty field back into the old value, silently. A
        # saved file's text that is not a number is shown as it is, beside the check's line, to retype.
        st.text_input(label, value=str(value) if number is None else _number_text(number), key=key,
                      help=help_text)
    elif f.kind == "bool":
        st.checkbox(label, value=bool(value), key=key, help=help_text)
    elif f.kind == "days":
        st.multiselect(label, options=list(DAYS), default=[d for d in value if d in DAYS], key=key,
                       help=help_text)
    elif f.kind == "numbers":
        st.text_input(label, value=_numbers_text(value), key=key, help=help_text)
    else:
        st.text_input(label, value=str(value), key=key, help=help_text)


def render_groups(groups: Sequence[Group], base: Mapping[str, Any], message: str | None,
                  place: tuple[str, str | None]) -> None:
    """Draw every group as an expander of widgets; ``message`` under its field (or at its group's top)."""
    for group in groups:
        wrong_here = message is not None and place[0] == group.key
        with st.expander(group.title, expanded=wrong_here or group.key in ("run", "arrivals")):
            if group.note:
                st.caption(group.note)
            if wrong_here and place[1] is None:
                alert(message)
            columns = st.columns(2)
            for index, f in enumerate(group.fields):
                with columns[index % 2]:
                    _widget(f, get_value(base, f.path))
                    if wrong_here and place[1] == f.path:
                        alert(message)
