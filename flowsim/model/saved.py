"""A whole scenario as one YAML file that the command line runs as it is.

A primary Hydra config with every setting written out, the schema and launcher in its defaults list,
and the root config's ``hydra`` block: ``flowsim --config-dir FOLDER --config-name NAME`` runs it.
The app saves (and offers for download) the scenario a planner edited so, and runs it so
(:mod:`flowsim.app.jobs`): a run in the app and the same file on the command line are the same run.
``flowsim-size`` writes its recommended mix so (``recommended.yaml``): the system it sized, with the
mix in it, whatever overrides and config groups made that system.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf

from flowsim.model.compose import config_dir, load_config

__all__ = ["read_saved", "saved_text", "write_saved"]

_HEADER = """\
# A flowsim scenario{title}, saved by {by}.
# Every setting is written out, so this file alone is the scenario. Run it from the command line:
#   flowsim --config-dir FOLDER --config-name {name}
# (FOLDER holds this file), add overrides as usual, e.g. replications=20, or open it in flowsim-app.
"""


def saved_text(config: Mapping[str, Any], name: str, title: str = "", by: str = "flowsim-app") -> str:
    """The YAML of a whole scenario, runnable with ``flowsim --config-dir . --config-name NAME``.

    Parameters
    ----------
    config : Mapping
        A composed, resolved configuration (plain containers, no ``hydra`` key).
    name : str
        The file name it will have, without ``.yaml`` (quoted in the header's command).
    title : str
        A few words on what it is, for the header.
    by : str
        The program that saved it, for the header.
    """
    root = yaml.safe_load((config_dir() / "config.yaml").read_text(encoding="utf-8"))
    document = {
        "defaults": ["flowsim_schema", "_self_", *_root_hydra_choices(root)],
        **{k: _compact(v) for k, v in config.items() if k != "hydra"},
        "hydra": root["hydra"],  # run and sweep folders, and the sweep callbacks, as the root config's
    }
    header = _HEADER.format(title=f": {title}" if title else "", name=name, by=by)
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def _compact(value: Any) -> Any:
    """``value`` with the unused (null) parameters of its durations left out: the schema's defaults."""
    if isinstance(value, Mapping):
        duration = "kind" in value
        return {k: _compact(v) for k, v in value.items() if not (duration and v is None)}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def _root_hydra_choices(root: Mapping[str, Any]) -> list[dict[str, str]]:
    """The Hydra plugins the root config chooses (``override hydra/launcher: joblib``, the sweeper)."""
    return [dict(entry) for entry in root.get("defaults", [])
            if isinstance(entry, Mapping) and any(str(k).startswith("override hydra/") for k in entry)]


def write_saved(config: Mapping[str, Any], path: str | Path, title: str = "",
                by: str = "flowsim-app") -> Path:
    """Write :func:`saved_text` to ``path`` (a ``.yaml`` file, its name the ``--config-name``); returns it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(saved_text(config, target.stem, title, by), encoding="utf-8")
    return target


def read_saved(path: str | Path) -> dict[str, Any]:
    """Compose a saved scenario as ``flowsim --config-dir FOLDER --config-name NAME`` would.

    Returns
    -------
    dict
        The resolved configuration, plain containers.

    Raises
    ------
    Exception
        Whatever Hydra or OmegaConf raise for a file that is not a flowsim config (an unknown key, a
        wrong type); :func:`flowsim.cli.config_errors.describe_error` turns it into the CLI's one line.
    """
    file = Path(path).resolve()
    config = load_config((), directory=file.parent, config_name=file.stem)
    return OmegaConf.to_container(config, resolve=True)  # type: ignore[return-value]
