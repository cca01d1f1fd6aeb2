"""The parameter reference as tables: every config path of the schema, documented and valued.

A walk of the schema (:mod:`flowsim.model.config`) yields every config path, through named entries
(``services.<unit>.capacity``) and lists (``capacity_schedule[n].start``); each becomes a row with its
type and schema default, its value in the default system, and the unit, description and source from
:mod:`flowsim.model.parameter_docs`. :func:`undocumented`, :func:`stale` and
:func:`stale_value_sources` are the checks that keep the documentation and the schema in step;
:mod:`flowsim.model.parameters` renders the tables as a page.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flowsim.model import config as schema
from flowsim.model.config import DistributionConfig, FlowsimConfig
from flowsim.model.parameter_docs import FIELD_DOCS, VALUE_SOURCES, FieldDoc

__all__ = [
    "DURATION",
    "NONE",
    "Parameter",
    "Section",
    "field_doc",
    "parameter_sections",
    "schema_dataclasses",
    "stale",
    "stale_value_sources",
    "undocumented",
]

DURATION = "<duration>"  # stands for any distribution setting in the paths of the last section
NONE = "—"  # a cell with nothing to show
_ENTRY, _ITEM = "*", "[]"  # pattern steps: any entry of a mapping of settings, any item of a list
_MISSING = "???"  # omegaconf's MISSING: a value that must be given
_SCALARS = {float: ("number", "numbers"), int: ("whole number", "whole numbers"), str: ("text", "text"),
            bool: ("true/false", "true/false values")}
_TOP_LEVEL = "Settings of a run as a whole: its random numbers, replications and parallel workers."
_DISTRIBUTIONS = (
    f"Every duration (the settings ending in `_days` above, here `{DURATION}`) is a distribution in "
    f"days: a `kind` and the parameters that kind uses, written as one mapping, e.g. "
    f"`services.ic_beds.los_days={{kind: gamma, mean: 30, sd: 15}}`. The default system's distributions "
    f"are shown in full in the tables above.")


@dataclass(frozen=True)
class Parameter:
    """One row of the reference: a config path and what is known about it (cells as Markdown)."""

    path: str
    type: str
    unit: str
    default: str
    system_value: str
    description: str
    source: str


@dataclass(frozen=True)
class Section:
    """One table of the reference: a top-level config section."""

    title: str
    intro: str
    parameters: tuple[Parameter, ...]


@dataclass(frozen=True)
class _Slot:
    """A schema field at a config path; ``pattern`` locates its values (``*`` any entry, ``[]`` any item)."""

    section: str
    path: str
    pattern: tuple[str, ...]
    owner: type
    field: dataclasses.Field
    kind: Any
    entry_word: str  # what the last ``*`` step stands for ("unit"), as in "every unit: ..."


def schema_dataclasses(module: types.ModuleType = schema) -> tuple[type, ...]:
    """Every dataclass defined in the schema module, in the order it defines them.

    Parameters
    ----------
    module : module
        The schema module; :mod:`flowsim.model.config` by default.

    Returns
    -------
    tuple of type
    """
    return tuple(obj for obj in vars(module).values() if isinstance(obj, type)
                 and dataclasses.is_dataclass(obj) and obj.__module__ == module.__name__)


def _split(kind: Any) -> tuple[Any, bool]:
    """``kind`` without ``| None``, and whether it allowed None."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        return (args[0] if len(args) == 1 else Any), len(args) < len(typing.get_args(kind))
    return kind, False


def _is_group(kind: Any) -> bool:
    """Whether ``kind`` is a group of settings with rows of its own (a distribution is one value)."""
    base, _ = _split(kind)
    return dataclasses.is_dataclass(base) and base is not DistributionConfig


def _settings_of(kind: Any) -> tuple[str, type] | None:
    """("dict" or "list", the dataclass) when ``kind`` is a mapping or list of settings, else None."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is dict and dataclasses.is_dataclass(args[1]):
        return "dict", args[1]
    if origin is list and dataclasses.is_dataclass(args[0]):
        return "list", args[0]
    return None


def undocumented(classes: Iterable[type], docs: Mapping[type, Mapping[str, FieldDoc]] = FIELD_DOCS
                 ) -> list[str]:
    """Fields of ``classes`` without a unit and a description in ``docs``, one message each.

    Also a field typed ``Any`` without a ``value_type`` to show, and a mapping of settings without the
    ``key`` word its entries are named by in paths.

    Parameters
    ----------
    classes : iterable of type
        Schema dataclasses, e.g. :func:`schema_dataclasses`.
    docs : mapping
        Documentation keyed by dataclass, then field name.

    Returns
    -------
    list of str
        Empty when every field is documented.
    """
    problems = []
    for cls in classes:
        entries, hints = docs.get(cls, {}), typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            where = f"{cls.__name__}.{field.name}"
            doc = entries.get(field.name)
            if doc is None:
                problems.append(f"{where}: not documented; add it to FIELD_DOCS in "
                                "flowsim/model/parameter_docs.py")
                continue
            if not doc.unit.strip():
                problems.append(f"{where}: no unit (use a unitless word such as 'flag' or 'text')")
            if not doc.description.strip():
                problems.append(f"{where}: no description")
            base, _ = _split(hints[field.name])
            if base is Any and not doc.value_type.strip():
                problems.append(f"{where}: typed Any in the schema; give the value_type users see")
            settings = _settings_of(base)
            if settings and settings[0] == "dict" and not doc.key.strip():
                problems.append(f"{where}: a mapping of settings; give the key word for its entry names")
    return problems


def stale(classes: Iterable[type], docs: Mapping[type, Mapping[str, FieldDoc]] = FIELD_DOCS) -> list[str]:
    """Entries of ``docs`` that name a dataclass not in ``classes`` or a field it does not have.

    Parameters
    ----------
    classes : iterable of type
        Schema dataclasses, e.g. :func:`schema_dataclasses`.
    docs : mapping
        Documentation keyed by dataclass, then field name.

    Returns
    -------
    list of str
        Empty when every entry describes a field of the schema.
    """
    known = {cls: {f.name for f in dataclasses.fields(cls)} for cls in classes}
    problems = []
    for cls, entries in docs.items():
        if cls not in known:
            problems.append(f"{cls.__name__}: documented but not a dataclass of the schema")
            continue
        problems += [f"{cls.__name__}.{name}: documented but not a field of {cls.__name__}"
                     for name in entries if name not in known[cls]]
    return problems


def _walk(cls: type, path: str, pattern: tuple[str, ...], entry_word: str,
          docs: Mapping[type, Mapping[str, FieldDoc]]) -> Iterator[_Slot]:
    """Every field of ``cls`` at ``path``, then the fields of its groups, entries and items."""
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        kind = hints[field.name]
        here, steps = f"{path}{field.name}", (*pattern, field.name)
        yield _Slot("", here, steps, cls, field, kind, entry_word)
        settings = _settings_of(_split(kind)[0])
        if _is_group(kind):
            yield from _walk(_split(kind)[0], f"{here}.", steps, entry_word, docs)
        elif settings and settings[0] == "dict":
            word = docs[cls][field.name].key
            yield from _walk(settings[1], f"{here}.<{word}>.", (*steps, _ENTRY), word, docs)
        elif settings:
            yield from _walk(settings[1], f"{here}[n].", (*steps, _ITEM), entry_word, docs)


def _slots(docs: Mapping[type, Mapping[str, FieldDoc]]) -> list[_Slot]:
    """Every config path, by section: top-level plain values in section "", durations last."""
    slots = []
    for slot in _walk(FlowsimConfig, "", (), "", docs):
        top_level = len(slot.pattern) == 1
        if top_level and _is_group(slot.kind):
            continue  # a section of its own: its description is the section's introduction
        plain = top_level and _settings_of(slot.kind) is None
        slots.append(dataclasses.replace(slot, section="" if plain else slot.pattern[0]))
    return slots + [dataclasses.replace(slot, section=DURATION)
                    for slot in _walk(DistributionConfig, f"{DURATION}.", (), "", docs)]


@functools.cache
def _documented_slots() -> tuple[_Slot, ...]:
    """:func:`_slots` of :data:`FIELD_DOCS`, walked once a process (the schema does not change)."""
    return tuple(_slots(FIELD_DOCS))


def _slots_of(docs: Mapping[type, Mapping[str, FieldDoc]]) -> Sequence[_Slot]:
    # The app documents every field of its form at each redraw: walking the schema for each (its type
    # hints evaluated from text every time) took half of every redraw.
    return _documented_slots() if docs is FIELD_DOCS else _slots(docs)


def _values(system: Any, pattern: tuple[str, ...], label: str = "", path: str = ""
            ) -> Iterator[tuple[str, str, Any]]:
    """(entry label, concrete path, value) of every value at ``pattern`` in the plain config ``system``."""
    if not pattern:
        yield label, path, system
        return
    step, rest = pattern[0], pattern[1:]
    if step == _ENTRY and isinstance(system, Mapping):
        for name, value in system.items():
            yield from _values(value, rest, f"{label}.{name}" if label else str(name), f"{path}.{name}")
    elif step == _ITEM and isinstance(system, list):
        for index, value in enumerate(system):
            yield from _values(value, rest, f"{label}[{index}]", f"{path}[{index}]")
    elif step not in (_ENTRY, _ITEM) and isinstance(system, Mapping) and step in system:
        yield from _values(system[step], rest, label, f"{path}.{step}" if path else step)


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _yaml(value: Any) -> str:
    """``value`` as a YAML flow value, as a user would type it; distributions without their nulls."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        items = value.items()
        if "kind" in value:
            items = [(k, v) for k, v in items if v is not None]
        return "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in items) + "}"
    if value == "":
        return '""'
    return str(value)


def _cell(value: Any, kind: Any) -> str:
    """A value as a table cell: code, or a word where it is required, unset or a group of settings."""
    base, _ = _split(kind)
    if value == _MISSING:
        return "required"
    if base is DistributionConfig and isinstance(value, Mapping) \
            and all(v in (None, _MISSING) for v in value.values()):
        return "unset"
    if _is_group(base):
        return NONE
    settings = _settings_of(base)
    if settings and settings[0] == "dict" and isinstance(value, Mapping) and value:
        return ", ".join(f"`{name}`" for name in value)
    return f"`{_yaml(value)}`"


def _schema_default(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        value = field.default
    elif field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
    else:
        return _MISSING
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value


def _scalar(kind: Any) -> tuple[str, str]:
    """(singular, plural) name of a value type; its Python spelling for a type the page has no word for."""
    return _SCALARS.get(kind, (str(kind), str(kind)))


def _type(kind: Any, doc: FieldDoc) -> str:
    base, optional = _split(kind)
    settings = _settings_of(base)
    origin, args = typing.get_origin(base), typing.get_args(base)
    if base is Any:
        name = doc.value_type
    elif base is DistributionConfig:
        name = "distribution"
    elif dataclasses.is_dataclass(base):
        name = "settings"
    elif settings:
        name = "mapping of settings" if settings[0] == "dict" else "list of settings"
    elif origin is list:
        name = f"list of {_scalar(args[0])[1]}"
    elif origin is dict:
        name = f"mapping of {_scalar(args[1])[1]}"
    else:
        name = _scalar(base)[0]
    return f"{name} or null" if optional else name


def _escape(text: str) -> str:
    """One table cell: one line, pipes escaped, no raw HTML."""
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")


def _label(name: str) -> str:
    """An entry's name in a cell, in italics (its own text may hold colons and semicolons)."""
    return f"*{_escape(name)}*" if name else ""


def _parameter(slot: _Slot, system: Mapping[str, Any], docs: Mapping[type, Mapping[str, FieldDoc]],
               sources: Mapping[str, str]) -> Parameter:
    doc = docs[slot.owner][slot.field.name]
    found = list(_values(system, slot.pattern)) if slot.section != DURATION else []
    cells = [(_label(label), _cell(value, slot.kind)) for label, _, value in found]
    if not cells or _is_group(slot.kind):
        value_cell = NONE  # nothing there, or a group of settings whose rows follow
    elif len(cells) == 1 and not cells[0][0]:
        value_cell = cells[0][1]
    elif len({cell for _, cell in cells}) == 1:
        value_cell = f"every {slot.entry_word}: {cells[0][1]}"
    else:
        value_cell = "; ".join(f"{label}: {cell}" for label, cell in cells)
    notes = [_escape(doc.source)] if doc.source else []
    notes += [f"{_label(label)}: {_escape(sources[path])}" if label else _escape(sources[path])
              for label, path, _ in found if path in sources]
    return Parameter(
        path=f"`{slot.path}`", type=_type(slot.kind, doc), unit=_escape(doc.unit),
        default=_cell(_schema_default(slot.field), slot.kind), system_value=value_cell,
        description=_escape(doc.description), source="; ".join(notes) or NONE)


def _check(system: Mapping[str, Any], docs: Mapping[type, Mapping[str, FieldDoc]],
           sources: Mapping[str, str]) -> None:
    classes = schema_dataclasses()
    problems = undocumented(classes, docs) + stale(classes, docs)
    problems += [] if problems else stale_value_sources(system, sources, docs)
    if problems:
        raise ValueError("the parameter documentation does not match the schema:\n  " + "\n  ".join(problems))


def parameter_sections(system: Mapping[str, Any], docs: Mapping[type, Mapping[str, FieldDoc]] = FIELD_DOCS,
                       sources: Mapping[str, str] = VALUE_SOURCES) -> tuple[Section, ...]:
    """The reference as tables: one per top-level section, then the distributions.

    Parameters
    ----------
    system : Mapping
        The default system as a plain mapping (:func:`default_system`).
    docs, sources : mapping
        Field documentation and per-entry sources (:mod:`flowsim.model.parameter_docs`).

    Returns
    -------
    tuple of Section

    Raises
    ------
    ValueError
        If a schema field is undocumented or an entry of ``docs`` or ``sources`` is stale, listing each.
    """
    _check(system, docs, sources)
    sections: dict[str, list[Parameter]] = {}
    for slot in _slots_of(docs):
        sections.setdefault(slot.section, []).append(_parameter(slot, system, docs, sources))
    root = docs[FlowsimConfig]
    return tuple(
        Section("Top level" if name == "" else "Distributions" if name == DURATION else f"`{name}`",
                _TOP_LEVEL if name == "" else _DISTRIBUTIONS if name == DURATION else root[name].description,
                tuple(rows))
        for name, rows in sections.items())


def stale_value_sources(system: Mapping[str, Any], sources: Mapping[str, str] = VALUE_SOURCES,
                        docs: Mapping[type, Mapping[str, FieldDoc]] = FIELD_DOCS) -> list[str]:
    """Paths in ``sources`` that are not a value of the default ``system`` (so would never be shown).

    Parameters
    ----------
    system : Mapping
        The default system as a plain mapping.
    sources : mapping
        Sources by concrete config path, e.g. ``services.ic_beds.capacity``.
    docs : mapping
        Documentation keyed by dataclass, then field name (for the entry words of paths).

    Returns
    -------
    list of str
        Empty when every source describes a value the page shows.
    """
    shown = {path for slot in _slots_of(docs) for _, path, _ in _values(system, slot.pattern)}
    return [f"{path}: has a source but is not a value of the default system" for path in sources
            if path not in shown]


def field_doc(path: str, docs: Mapping[type, Mapping[str, FieldDoc]] = FIELD_DOCS) -> FieldDoc | None:
    """The documentation of the concrete config ``path`` (``services.ic_beds.capacity``), or None.

    A setting of a duration (``services.ic_beds.los_days.mean``) gets its distribution parameter's; an
    entry of a plain mapping or list (``pathways.shares.P1``) gets the mapping's.
    """
    steps = tuple(path.replace("[", ".[").split("."))
    for slot in _slots_of(docs):
        pattern = slot.pattern if slot.section != DURATION else None
        if pattern is not None and len(pattern) == len(steps) and all(
                p == s or p == _ENTRY or (p == _ITEM and s.startswith("["))
                for p, s in zip(pattern, steps, strict=True)):
            return docs[slot.owner][slot.field.name]
    parent = field_doc(".".join(steps[:-1]).replace(".[", "["), docs) if len(steps) > 1 else None
    return None if parent is None else docs[DistributionConfig].get(steps[-1], parent)
