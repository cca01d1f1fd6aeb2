"""A config file of the user's that the run would read, were it not hidden by flowsim's own.

Hydra looks for each config file in its search path in order, and flowsim's own config folder comes
before any folder given with ``--config-dir`` or ``hydra.searchpath``. A user's
``myconfigs/system/default.yaml`` (a copy of the default system, edited) is then never read: the run
goes on with flowsim's ``system/default.yaml``, and a broken copy is not even reported. Such a file is
refused before the run, naming it and the rename that makes it count.

Only the files the run reads are checked: the primary config (``config.yaml``), the option chosen
in each config group (``system``, ``housing``, ``scenario`` ...), and the files a user's file names in
its own defaults list (``defaults: [default, _self_]`` in ``system/my_ics.yaml`` reads
``system/default.yaml``); a user's file that the run does not choose is left alone. Each user's
file read is also checked for a number that YAML reads otherwise than it was written
(``capacity: 010`` is octal 8: :mod:`flowsim.model.yaml_numbers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from flowsim.model.compose import config_dir
from flowsim.model.errors import ConfigError
from flowsim.model.yaml_numbers import check_yaml_numbers

__all__ = ["check_config_files"]


def _read_files(hydra: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """The files the run reads, relative to a config folder, each with its group (None: primary)."""
    files: list[tuple[str, str | None]] = [(f"{hydra['job']['config_name']}.yaml", None)]
    for group, option in (hydra["runtime"].get("choices") or {}).items():
        if option is not None and not str(group).startswith("hydra/"):  # Hydra's own settings
            files.append((f"{group}/{option}.yaml", str(group)))
    return files


def _named_in_defaults(file: Path, group: str | None) -> list[tuple[str, str | None]]:
    """The config files ``file`` (of ``group``) names in its defaults list, relative to a config folder.

    Only plain entries name a file (``default`` beside it, ``/system/default`` from the top); a group's
    option (``system: mine``, ``override /housing: off``) is one of the run's choices, checked as such.
    An unreadable file is left to the loader, which reports it.
    """
    try:  # as text only: a value YAML would read as an impossible date is not this check's concern
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    entries = data.get("defaults") if isinstance(data, dict) else None
    named = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, str) or entry.strip() in ("_self_", ""):
            continue
        path = entry.strip()
        path = path[1:] if path.startswith("/") else (f"{group}/{path}" if group else path)
        parent = str(Path(path).parent)
        named.append((f"{path}.yaml", None if parent == "." else parent))
    return named


def check_config_files(hydra: Mapping[str, Any]) -> None:
    """Refuse a user's config file that the run would read but a file found earlier hides, and one
    that the run reads with a number YAML reads otherwise than written (``010``, ``1:30``).

    Parameters
    ----------
    hydra : Mapping
        The composed configuration's ``hydra`` section (``HydraConfig.get()`` in a run, or
        ``cfg.hydra`` of a configuration composed with Hydra's settings).

    Raises
    ------
    ConfigError
        Naming the hidden file, the file read instead and how to rename it; or the file, line and
        key of the number, the value YAML reads and the number to write.
    """
    folders = [Path(source["path"]) for source in hydra["runtime"].get("config_sources") or ()
               if source.get("schema") == "file" and source.get("path")]
    own = config_dir().resolve()  # flowsim's files: their defaults lists name flowsim's files
    pending: list[tuple[str, str | None, str | None]] = [(r, g, None) for r, g in _read_files(hydra)]
    seen: set[str] = set()
    while pending:
        relative, group, named_by = pending.pop(0)
        if relative in seen:
            continue
        seen.add(relative)
        found = [folder / relative for folder in folders if (folder / relative).is_file()]
        if not found:
            continue
        first, hidden = found[0], next((f for f in found[1:] if not f.samefile(found[0])), None)
        if hidden is not None:  # (not the same file reached twice, e.g. --config-dir naming flowsim's own)
            name = Path(relative).stem
            where = f"{group}/my_{name}.yaml" if group is not None else f"my_{name}.yaml"
            if named_by is not None:
                fix = f"rename it, e.g. to {where}, and name my_{name} in the defaults list of {named_by}"
            elif group is not None:
                fix = f"rename it, e.g. to {where}, and choose it with {group}=my_{name}"
            else:
                fix = f"rename it, e.g. to {where}, and run with --config-name my_{name}"
            raise ConfigError(str(hidden), f"is not read: {first} has the same name and comes first in the "
                              "config search path", fix)
        if not first.resolve().is_relative_to(own):  # a user's file (flowsim's own are checked by tests)
            check_yaml_numbers(first)
            pending += [(r, g, relative) for r, g in _named_in_defaults(first, group)]
