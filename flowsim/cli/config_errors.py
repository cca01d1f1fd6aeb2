"""The one line a user's config mistake gets: the field, the problem and the fix (exit code 2).

Hydra and OmegaConf report a mistake as an exception chain written for developers (a traceback, the
config search path, a class name from the schema). :func:`describe_error` reads that chain and says
what a planner needs: which setting (the dotted key, the group option or the file), what is wrong
with it, and what to write instead. Every flowsim command and the web app print the same
line; an error that is not a config mistake (a bug) gets None, and its traceback.
"""

from __future__ import annotations

import codecs
import dataclasses
import os
import re
import traceback
import typing
from pathlib import Path
from typing import Any

import yaml
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from flowsim.cli.help import GROUPS
from flowsim.cli.shape_errors import shape_problem
from flowsim.model.datafile import read_text, yaml_data
from flowsim.model.errors import ConfigError
from flowsim.model.overrides import whole_entry_sweep, whole_float
from flowsim.model.strict import WHOLE_EXAMPLES, check_keys, closest, schema_at
from flowsim.model.validate import as_float

__all__ = ["describe_error"]


def _new_entry(key: str, chain: list[BaseException], given: str | None) -> str | None:
    """How to add ``key`` to an open mapping (units, a flat's ``move_on``, ...) from the command line.

    Hydra adds a key that is not in the config only with a leading ``+``; a new named entry (a unit,
    a flat scheme) is given whole. None unless the command line set ``key`` and its parent is such
    a mapping.
    """
    parent = schema_at(key.split(".")[:-1])
    if _override_key(chain) is None or typing.get_origin(parent) is not dict:
        return None
    kind = schema_at(key.split("."))
    if dataclasses.is_dataclass(kind):
        return f"add a new one whole, with a leading +: +{key}={WHOLE_EXAMPLES.get(kind.__name__, '{...}')}"
    for error in chain:  # Hydra's own hint carries the value typed
        match = re.search(r"To append to your config use \+[^=\s]+=(\S+)", str(error))
        given = given or (match.group(1) if match else None)
    return f"add it with a leading +: +{key}={given or '...'}"


def _key_problem(omega: OmegaConfBaseException, key: str, new_entry: str | None = None) -> str | None:
    """A fix for an unknown key: the closest valid name under the same parent, if any; else the names
    there, and ``new_entry`` (how to add one) where the parent is an open mapping."""
    parent = getattr(omega, "parent_node", None)
    name = key.rsplit(".", 1)[-1]
    options = [str(k) for k in parent.keys()] if OmegaConf.is_dict(parent) else []
    if not options:
        kind = schema_at(key.split(".")[:-1])
        options = list(typing.get_type_hints(kind)) if dataclasses.is_dataclass(kind) else []
    guess = closest(name, options)
    if guess is not None:
        return f"did you mean {key.rsplit('.', 1)[0] + '.' if '.' in key else ''}{guess}?"
    if key.startswith("hydra."):  # Hydra's own settings, not the schema's
        return "see flowsim --hydra-help and Hydra's documentation for its settings"
    if options and len(options) > 16:
        return "flowsim --cfg job lists the settings (docs/reference/parameters.md describes them)"
    listed = f"use one of {', '.join(options)}" if options else None
    if new_entry is not None:
        return f"{listed}, or {new_entry}" if listed else new_entry
    return listed


# OmegaConf's words for a value the schema's type refuses, and what the type is in a user's words
_TYPE_REFUSED = (re.compile(r"Value '(.*)' of type '\w+' could not be converted to (\w+)"),
                 re.compile(r"Value '(.*)' is not a valid (bool)"))
_TYPE_WORDS = {"Integer": ("a whole number", "1"), "Float": ("a number", "1.5"),
               "bool": ("true or false", "true")}


def _type_problem(message: str, key: str) -> str | None:
    """``seed: must be a whole number, got 'abc'; fix: ...`` for a value of the wrong type, or None."""
    for pattern in _TYPE_REFUSED:
        match = pattern.search(message)
        if match and match.group(2) == "Integer" and whole_float(as_float(match.group(1))):
            # "3.0" in a YAML file: a whole number, written as a decimal the schema's type refuses
            whole = int(float(match.group(1)))
            return (f"{key}: must be written as a whole number ({whole}, not {match.group(1)}); "
                    f"fix: write {whole}, e.g. {key}={whole}")
        if match and match.group(2) in _TYPE_WORDS:
            words, example = _TYPE_WORDS[match.group(2)]
            return (f"{key}: must be {words}, got {match.group(1)!r}; "
                    f"fix: set it to {words}, e.g. {key}={example}")
    return None


def _override_key(chain: list[BaseException]) -> str | None:
    """The key of the override Hydra was applying when it failed, if it says."""
    for error in chain:
        match = re.search(r"(?:override|Could not override) '?\+*~?([\w.\-]+)[=']", str(error))
        if isinstance(error, HydraException) and match:
            return match.group(1)
    return None


def _given(message: str, chain: list[BaseException]) -> str | None:
    """The value the user gave, as OmegaConf's message or Hydra's failed override shows it."""
    match = re.search(r"value: (.+)$", message)
    if match:
        return match.group(1).strip()
    for error in chain:
        match = re.search(r"Error merging override [^=\s]+=(\S+)", str(error))
        if match:
            return match.group(1)
    return None


def _group_as_prefix(group: str, chain: list[BaseException]) -> str | None:
    """The line for ``system.services.x=3`` on the command line: a group's name used as a key's first part.

    A group chooses a file (``system=NAME``); the settings its files hold are top-level keys, so the
    fix is the same key without the group's name, when that names a setting (the value is left to
    the user: in a sweep Hydra reports one job's).
    """
    override = _override_key(chain)
    if override is None or not override.startswith(f"{group}."):
        return None
    setting = override[len(group) + 1:]
    head = (f"{override}: '{group}' is a config group, chosen whole with {group}=NAME, not a setting; "
            "fix: ")
    if schema_at(setting.split(".")) is not None:
        return head + f"drop '{group}.' from the key: {setting}"
    return head + ("set settings by their own names (e.g. services.ic_beds.capacity=40); "
                   "flowsim --cfg job lists them")


def _field(omega: OmegaConfBaseException, chain: list[BaseException]) -> str:
    """The dotted field an OmegaConf error is about (OmegaConf loses the path of a new node)."""
    full_key = str(getattr(omega, "full_key", None) or "")
    override = _override_key(chain)
    if not override or full_key.startswith(override):
        return full_key or override or "config"
    parts = override.split(".")
    last = full_key.split(".")[-1].split("[")[0]
    if last in parts:  # "step_up" of services.step_up.capacity: the node that could not be made
        return ".".join(parts[:parts.index(last) + 1])
    if not full_key:
        return override
    # a key inside the value given (OmegaConf names it alone): under the override's key, and in a list
    # of mappings, under the first item that has it (capacity_schedule[1].date)
    index = _item_with(_override_value(chain, override), full_key.split(".")[0].split("[")[0])
    return f"{override}[{index}].{full_key}" if index is not None else f"{override}.{full_key}"


def _override_value(chain: list[BaseException], key: str) -> Any:
    """The value Hydra's failed override of ``key`` gave, as the parser reads it (None if not shown)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    for error in chain:
        match = re.search(rf"\+*{re.escape(key)}=(.+)$", str(error), re.MULTILINE)
        if isinstance(error, HydraException) and match:
            try:
                return OverridesParser.create().parse_override(f"{key}={match.group(1)}").value()
            except Exception:  # a value Hydra itself could not read: the key alone
                return None
    return None


def _item_with(value: Any, key: str) -> int | None:
    """The index of the first mapping of the list ``value`` that has ``key``; None if none has."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict) and key in item:
                return index
    return None


def describe_error(error: BaseException) -> str | None:
    """One line for a user's config mistake, or None if ``error`` is not one (a bug)."""
    if isinstance(error, ConfigError):
        return str(error)
    chain = []
    current: BaseException | None = error
    while current is not None:
        chain.append(current)
        current = current.__cause__ or current.__context__
    unreadable = next((e for e in chain if isinstance(e, yaml.YAMLError | UnicodeDecodeError)), None)
    if unreadable is not None:
        line = _config_file_problem(unreadable)
        if line is not None:
            return line
    omega = next((e for e in chain if isinstance(e, OmegaConfBaseException)), None)
    if omega is not None:
        key = _field(omega, chain)
        message = str(getattr(omega, "msg", None) or omega).strip().splitlines()[0]
        if re.search(r"Key '.*' (is )?not in", message):
            fix = (_key_problem(omega, key, _new_entry(key, chain, _given(message, chain)))
                   or "check the spelling: flowsim --cfg job lists the settings")
            if key in GROUPS:  # a group's file without its package line lands under the group's name
                prefixed = _group_as_prefix(key, chain)  # or the command line put the group's name first
                if prefixed is not None:
                    return prefixed
                fix = (f"if it comes from a {key} file of your own, make '# @package _global_' its first "
                       f"line, as in flowsim/configs/{key}/")
                read = _group_file(chain, key)
                if read is not None:
                    file, holds = read
                    if holds in _BOM:  # the line is there, behind a mark Hydra does not skip
                        return _bom_line(file, holds, key)
                    if holds == "empty":  # the package line would only hide that it sets nothing
                        return (f"config file {file}: is empty, so {key}={file.stem} would change nothing; "
                                f"fix: write in it the settings the {key} changes, after a first line "
                                f"'# @package _global_' (as in flowsim/configs/{key}/)")
                    if holds == "unpackaged":
                        return (f"config file {file}: lacks its first line '# @package _global_', so its "
                                f"settings land under '{key}'; fix: add that line, as in "
                                f"flowsim/configs/{key}/")
                    return (f"config file {file}: sets '{key}', which is not a setting; fix: leave it out "
                            f"(the file is chosen with {key}={file.stem}, and sets settings such as seed)")
            return f"{key}: unknown key; fix: {fix}"
        if "dict is not a subclass of" in message and "value: {}" not in message:
            # a whole mapping where no entry is: only a sweep gets here (overrides.py merges the others)
            return str(whole_entry_sweep(key))
        if "is not a subclass of" in message and "value: {}" in message:
            example = WHOLE_EXAMPLES.get(message.split("subclass of ")[-1].split(".")[0], "{...}")
            return (f"{key}: does not exist, so its settings cannot be set one by one; fix: give it whole, "
                    f"e.g. {key}={example}")
        merging = _merged_file(chain)
        if key == "config" and merging is not None:  # OmegaConf lost the path: find it in the file itself
            in_file = _file_shape_problem(*merging)
            if in_file is not None:
                return in_file
        typed = _type_problem(message, key) or shape_problem(key, message, omega, _given(message, chain))
        if typed is not None:
            return typed if merging is None else f"config file {merging[0]}: {typed}"
        return (f"{key}: {message}; fix: give {key} a value of the type the schema expects "
                "(docs/reference/parameters.md gives each setting's unit and default)")
    if isinstance(error, HydraException):
        several = re.search(r"Ambiguous value for argument '([^=']+)=([^']*)'", str(error))
        if several:
            return _several_values(several.group(1), several.group(2))
        added = re.match(r"Could not append to config\. An item is already at '([\w.\-]+)'", str(error))
        if added:  # Hydra's own fix would show "+key={...}" as flowsim rewrote it (overrides.py)
            key = added.group(1)
            kind = schema_at(key.split("."))
            kept = (" (a mapping changes the keys it gives and keeps the others)"
                    if dataclasses.is_dataclass(kind) or typing.get_origin(kind) is dict else
                    " (a list replaces the whole list: give every item)" if typing.get_origin(kind) is list
                    else "")
            return (f"{key}: already exists, so +{key} cannot add it; fix: leave out the + to change it"
                    f"{kept}, or give a new name")
        message = " ".join(str(error).split("Config search path")[0].split())
        # a nested group too: 'hydra/launcher/jobib' in 'hydra/launcher'
        empty = re.search(r"Could not find '([\w\-/]+)/' Available options in '\1': (.*)", message)
        if empty:  # scenario= (an unset shell variable): no name at all
            group, options = empty.group(1), empty.group(2).split()
            example = next((o for o in ("default", "quick") if o in options), options[0])
            return (f"{group}=: chooses no {group} (the name is empty); fix: give one of its options, e.g. "
                    f"{group}={example} (options: {', '.join(options)}), or leave out {group}= for the "
                    "default")
        missing = re.search(r"Could not find '([\w\-/]+)/([^'/]+)' Available options in '\1': (.*)", message)
        if missing:  # an option of a group that has no file of that name: the options, the likeliest first
            group, name, options = missing.group(1), missing.group(2), missing.group(3).split()
            guess = closest(name, options)
            fix = f"did you mean {group}={guess}? " if guess is not None else ""
            return (f"{group}={name}: there is no {group} of that name; "
                    f"fix: {fix}options: {', '.join(options)}")
        return f"{message}; fix: check the command-line overrides and config group names"
    if isinstance(error, ValueError) and "Config group override must be" in str(error):
        group_line = _group_given_a_value(error)
        if group_line is not None:
            return group_line
    if isinstance(error, ValueError) and _raised_in_hydra(error):
        return (f"{' '.join(str(error).split())}; fix: check the command-line overrides "
                "(key=value, config groups such as scenario=quick)")
    return None


def _several_values(key: str, values: str) -> str:
    """The line for ``key=a,b`` without ``-m``: Hydra reads a comma list as a sweep, run only with -m."""
    head = f"{key}={values}: several values are a sweep, run one job each only with -m; fix: "
    if key.lstrip("+~") in GROUPS:
        return head + f"flowsim -m {key}={values}, or choose one, e.g. {key}={values.split(',')[0]}"
    if typing.get_origin(schema_at(key.lstrip("+~").split("."))) is list:
        return head + f"a list goes in brackets, {key}=[{values}]; or sweep with flowsim -m {key}={values}"
    return head + f"flowsim -m {key}={values}, or give one value"


def _group_given_a_value(error: BaseException) -> str | None:
    """The line for ``housing=1``: a config group given a number or a mapping instead of an option's name.

    Hydra's check names neither the group nor its options; its frame holds both (the override it
    was reading and the config repository).
    """
    for frame, _ in traceback.walk_tb(error.__traceback__):
        override, repo = frame.f_locals.get("override"), frame.f_locals.get("repo")
        group = getattr(override, "key_or_group", None)
        if not isinstance(group, str):
            continue
        options = sorted(repo.get_group_options(group)) if hasattr(repo, "get_group_options") else []
        listed = f"; options: {', '.join(options)}" if options else ""
        return (f"{override.input_line}: '{group}' is a config group, chosen by the name of one of its "
                f"options; fix: give a name, e.g. {group}={options[0] if options else 'NAME'}{listed}")
    return None


def _merged_file(chain: list[BaseException]) -> tuple[Path, Any] | None:
    """The user's config file Hydra was merging when it failed (one in a config folder), and its loading.

    Hydra's composing loop holds the option's path and what it loaded; None for a packaged file or
    a command-line override.
    """
    for error in chain:
        for frame, _ in traceback.walk_tb(error.__traceback__):
            loaded = frame.f_locals.get("loaded")
            source = getattr(loaded, "path", None)
            config_path = getattr(frame.f_locals.get("default"), "config_path", None)
            if isinstance(source, str) and source.startswith("file://") and isinstance(config_path, str):
                return Path(source.removeprefix("file://")) / f"{config_path}.yaml", loaded
    return None


def _file_shape_problem(file: Path, loaded: Any) -> str | None:
    """The line for a value of the wrong shape in ``file`` (``ic_beds: 5``), which OmegaConf reports
    without its key: the file as loaded is checked against the schema
    (:func:`flowsim.model.strict.check_keys`), which names the key. None if that finds nothing.
    """
    content = getattr(loaded, "config", None)
    plain = OmegaConf.to_container(content) if OmegaConf.is_config(content) else content
    if not isinstance(plain, dict):
        return None
    plain = {k: v for k, v in plain.items() if k != "defaults"}
    group = file.parent.name
    package = (getattr(loaded, "header", None) or {}).get("package") or group
    for part in reversed([] if package == "_global_" else str(package).split(".")):
        plain = {part: plain}
    try:
        check_keys(plain)
    except ConfigError as problem:
        return f"config file {file}: {problem}"
    return None


# What a file that starts with a byte-order mark (bytes EF BB BF) did to its package line: Hydra reads
# the header itself, without skipping the mark, so the line is not seen even where it is written
_BOM = {"bom": "which hides its first line '# @package _global_' from Hydra",
        "bom unpackaged": "and lacks the line '# @package _global_' after it"}
_PACKAGE_LINE = re.compile(r"#\s*@package\s+_global_\s*$")


def _bom_line(file: Path, holds: str, group: str) -> str:
    """The line for a ``group`` file that starts with a byte-order mark (``holds``: see _group_file)."""
    also = "" if holds == "bom" else ", with '# @package _global_' as its first line"
    return (f"config file {file}: starts with a byte-order mark (BOM: it was saved as 'UTF-8 with BOM'), "
            f"{_BOM[holds]}, so its settings land under '{group}'; fix: save it as plain UTF-8, without the "
            f"BOM (e.g. Notepad's Save as, Encoding: UTF-8){also}")


def _group_file(chain: list[BaseException], group: str) -> tuple[Path, str] | None:
    """The file of ``group`` Hydra was merging when it failed, if it says, and what it holds.

    ``"empty"``, ``"unpackaged"`` (settings without a package line, landing under the group's
    name), ``"packaged"`` (with one: the group's name is a key the file sets itself), or, for a
    file that starts with a byte-order mark, ``"bom"`` (the package line follows it, unseen) or
    ``"bom unpackaged"``.

    Hydra's composing loop holds the option's path and what it loaded; a file found in a config
    folder (``file://``) is named, one inside a package is not.
    """
    merging = _merged_file(chain)
    if merging is None or merging[0].parent.name != group or not merging[0].is_file():
        return None
    file, loaded = merging
    with file.open("rb") as opened:
        start = opened.read(200)
    if start.startswith(codecs.BOM_UTF8):
        first = start[len(codecs.BOM_UTF8):].decode("utf-8", "replace").splitlines()[:1]
        return file, "bom" if first and _PACKAGE_LINE.match(first[0]) else "bom unpackaged"
    if (getattr(loaded, "header", None) or {}).get("package"):
        return file, "packaged"  # the key is the file's own
    content = getattr(loaded, "config", None)
    inner = content.get(group) if OmegaConf.is_dict(content) or isinstance(content, dict) else content
    return file, "unpackaged" if inner else "empty"


def _config_file_problem(error: BaseException) -> str | None:
    """One line for a config file (a user's ``--config-dir``) that is not UTF-8 or not valid YAML.

    The file is the one the YAML parser names, or the one Hydra was reading (``full_path`` in its
    file config source); it is read again with the checks every user data file gets, which name the
    line. None if the file cannot be found that way.
    """
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    paths = [getattr(mark, "name", "")]
    paths += [frame.f_locals.get("full_path") for frame, _ in traceback.walk_tb(error.__traceback__)]
    file = next((Path(p) for p in paths if isinstance(p, str) and p.endswith(".yaml") and Path(p).is_file()),
                None)
    if file is None:
        return None
    field = f"config file {file}"
    try:
        _, text = read_text(file, field, "a flowsim config (YAML, UTF-8)")
        yaml_data(text, file, field)
    except ConfigError as problem:
        return str(problem)
    return None


def _raised_in_hydra(error: BaseException) -> bool:
    """Whether ``error`` was raised inside Hydra itself (a malformed override it did not parse)."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and f"{os.sep}hydra{os.sep}" in frames[-1].filename
