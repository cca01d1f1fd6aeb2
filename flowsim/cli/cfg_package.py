"""``flowsim --cfg job -p SECTION``: a section that is not in the configuration, in flowsim's one line.

Hydra prints the section of the composed configuration that ``-p`` names; for a name it does not
find, it writes "package '...' not found in config" and exits 1, with no fix and no suggestion. Within
:func:`package_checked` the name is looked up first: a misspelt one stops with a
:class:`~flowsim.model.errors.ConfigError` (exit 2, "did you mean housing.coordinators?"), as any
other mistake on the command line does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from hydra._internal import hydra as hydra_internal
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from flowsim.model.errors import ConfigError
from flowsim.model.strict import closest

__all__ = ["package_checked", "section_names"]

_ABSENT = object()


def section_names(config: Any, prefix: str = "") -> list[str]:
    """Every dotted path of ``config``'s mappings and values (``housing``, ``housing.coordinators`` ...)."""
    if not isinstance(config, DictConfig):
        return []
    names = []
    for key in config.keys():
        path = f"{prefix}{key}"
        names.append(path)
        # the node, without resolving interpolations or reading MISSING; [] for anything but a mapping
        names += section_names(config._get_node(key), f"{path}.")
    return names


@contextlib.contextmanager
def package_checked() -> Iterator[None]:
    """Within: ``--cfg ... -p NAME`` with a NAME the configuration lacks raises a ConfigError."""
    original = hydra_internal.Hydra.show_cfg

    def show_cfg(self: Any, config_name: str | None, overrides: list[str], cfg_type: str,
                 package: str | None, resolve: bool = False) -> None:
        if package not in (None, "_global_"):
            cfg = self.get_sanitized_cfg(self.compose_config(config_name=config_name, overrides=overrides,
                                                             run_mode=RunMode.RUN,
                                                             with_log_configuration=False), cfg_type)
            found = OmegaConf.select(cfg, package, default=_ABSENT, throw_on_missing=False)
            if found is _ABSENT:
                guess = closest(package, section_names(cfg))
                raise ConfigError("-p", f"{package!r} is not in the configuration",
                                  (f"did you mean {guess}? " if guess else "")
                                  + "flowsim --cfg job prints every section")
            if found is None:  # there, and null (Hydra would call it not found)
                print("null")
                return
        original(self, config_name, overrides, cfg_type, package, resolve)

    hydra_internal.Hydra.show_cfg = show_cfg
    try:
        yield
    finally:
        hydra_internal.Hydra.show_cfg = original
