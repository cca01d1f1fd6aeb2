"""A config file of the user's that the run would read, were it not hidden by flowsim's own.

Hydra looks for each config file in its search path in order, and flowsim's own config folder comes
before any folder given with ``--config-dir`` or ``hydra.searchpath``. A user's
``myconfigs/system/default.yaml`` (a copy of the default system, edited) is then never read: the run
goes on with flowsim's ``system/default.yaml``, and a broken copy is not even reported. Such a file is
refused before the run, naming it and the rename that makes it count.

Only the files the run reads are checked: the primary config (``config.yaml``) and the option chosen
in each config group (``system``, ``housing``, ``scenario`` ...); a user's file that the run does not
choose is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flowsim.model.errors import ConfigError

__all__ = ["check_not_shadowed"]


def _read_files(hydra: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """The files the run reads, relative to a config folder, each with its group (None: primary)."""
    files: list[tuple[str, str | None]] = [(f"{hydra['job']['config_name']}.yaml", None)]
    for group, option in (hydra["runtime"].get("choices") or {}).items():
        if option is not None and not str(group).startswith("hydra/"):  # Hydra's own settings
            files.append((f"{group}/{option}.yaml", str(group)))
    return files


def check_not_shadowed(hydra: Mapping[str, Any]) -> None:
    """Refuse a user's config file that the run would read but a file found earlier hides.

    Parameters
    ----------
    hydra : Mapping
        The composed configuration's ``hydra`` section (``HydraConfig.get()`` in a run, or
        ``cfg.hydra`` of a configuration composed with Hydra's settings).

    Raises
    ------
    ConfigError
        Naming the hidden file, the file read instead and how to rename it.
    """
    folders = [Path(source["path"]) for source in hydra["runtime"].get("config_sources") or ()
               if source.get("schema") == "file" and source.get("path")]
    for relative, group in _read_files(hydra):
        found = [folder / relative for folder in folders if (folder / relative).is_file()]
        if len(found) < 2:
            continue
        first, hidden = found[0], next((f for f in found[1:] if not f.samefile(found[0])), None)
        if hidden is None:  # the same file reached twice (e.g. --config-dir naming flowsim's own)
            continue
        name = Path(relative).stem
        fix = (f"rename it, e.g. to {group}/my_{name}.yaml, and choose it with {group}=my_{name}"
               if group is not None else
               f"rename it, e.g. to my_{name}.yaml, and run with --config-name my_{name}")
        raise ConfigError(str(hidden), f"is not read: {first} has the same name and comes first in the "
                          "config search path", fix)
