"""Compose configurations outside a Hydra app (tests, notebooks, the benchmark).

The CLI composes through ``@hydra.main``; code that wants the same configuration in-process uses
:func:`load_config` with the same override strings a user would type.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from flowsim.model.compose_cache import ComposeCache
    from flowsim.model.scenario import Scenario

# Hydra, and the model behind validation, are imported where they are used: ``config_dir`` is all
# that ``flowsim --help`` needs, and it answers without them.

__all__ = ["config_dir", "load_config", "load_scenario", "search_dir_override"]

# Hydra keeps one composing state per process (GlobalHydra): two threads composing at once (two
# sessions of the planner's app) failed with "GlobalHydra is already initialized". One at a time.
_COMPOSING = threading.Lock()


@functools.cache
def _kept() -> ComposeCache:
    """The process's compositions, each kept while the files it read are unchanged: a memo keyed by
    content, never a reason for two runs of one config to differ (made on first use)."""
    from flowsim.model.compose_cache import ComposeCache

    return ComposeCache()


def config_dir() -> Path:
    """The configuration directory shipped inside the package (``configs/`` in the repository)."""
    return Path(__file__).resolve().parents[1] / "configs"


def search_dir_override(directory: str | Path) -> str:
    """The override that adds a folder of the user's own configs to the search path.

    ``flowsim --config-dir DIR`` searches ``DIR`` after the packaged configs, so ``system=my_ics``
    finds ``DIR/system/my_ics.yaml`` while ``config.yaml`` and every shipped group stay as packaged.
    In-process composition and Hydra launchers get the same with this ``hydra.searchpath`` override.

    Raises
    ------
    ConfigError
        If ``directory`` is not a folder (a typo would otherwise surface as "could not find system").
    """
    from flowsim.model.errors import ConfigError

    folder = Path(directory).expanduser().resolve()
    if not folder.is_dir():
        raise ConfigError("--config-dir", f"{directory} is not a folder",
                          "give the folder that holds your system/ (or scenario/) configs")
    quote = '"' if "'" in str(folder) else "'"  # quoted: a path may hold spaces, commas or brackets
    return f"hydra.searchpath=[{quote}file://{folder}{quote}]"


def load_config(overrides: Sequence[str] = (), directory: str | Path | None = None,
                config_name: str = "config", search_dir: str | Path | None = None) -> DictConfig:
    """Compose ``config.yaml`` (or ``config_name``) with command-line style overrides.

    Parameters
    ----------
    overrides : sequence of str
        E.g. ``["services.ic_beds.capacity=400", "scenario=winter_surge"]``; mappings such as
        ``+services.step_up={...}`` are rewritten as the CLI does (:mod:`flowsim.model.overrides`).
    directory : path, optional
        Config directory; defaults to :func:`config_dir`.
    config_name : str
        The primary config file in ``directory``, without ``.yaml``: ``config``, or a whole saved
        scenario (``flowsim --config-dir DIR --config-name NAME`` on the command line).

    Returns
    -------
    DictConfig
        A configuration of the caller's own: the same arguments composed again from unchanged files
        give an equal copy, kept from the first time (:mod:`flowsim.model.compose_cache`).

    Raises
    ------
    ConfigError
        If a file of ``search_dir`` that the configuration would read is hidden by flowsim's own
        of the same name (:mod:`flowsim.model.shadowed`).
    """
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf, open_dict

    from flowsim.model.compose_store import kept_on_disk
    from flowsim.model.config import register_configs
    from flowsim.model.kept_parses import parsed_once
    from flowsim.model.overrides import normalise_overrides
    from flowsim.model.shadowed import check_config_files

    register_configs()
    folder = str(Path(directory or config_dir()).resolve())
    arguments = [*([] if search_dir is None else [search_dir_override(search_dir)]),
                 *normalise_overrides(overrides)]
    key = (folder, config_name, tuple(arguments))
    with _COMPOSING:
        cfg = _kept().get(key)
        if cfg is not None:
            return cfg
        began_ns = time.time_ns()
        with parsed_once(), kept_on_disk(), initialize_config_dir(config_dir=folder, version_base="1.3"):
            cfg = compose(config_name=config_name, overrides=arguments, return_hydra_config=True)
        check_config_files(cfg.hydra)  # a file of the search folder that flowsim's own of its name hides
        sources = OmegaConf.to_container(cfg.hydra.runtime.config_sources)
        with open_dict(cfg):  # then without Hydra's section, as compose leaves it by default
            del cfg["hydra"]
        _kept().put(key, sources, cfg, began_ns)
    return cfg


def load_scenario(overrides: Sequence[str] = ()) -> Scenario:
    """:func:`load_config` followed by validation into a :class:`~flowsim.model.scenario.Scenario`."""
    from flowsim.model.scenario import build_scenario

    return build_scenario(load_config(overrides))
