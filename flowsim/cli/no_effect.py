"""A note when the command line sets what the run does not use: housing settings with housing off.

``flowsim housing=off housing.coordinators.fte=4`` runs the core model alone; the coordinators are
never read, and the planner who set them would see results that look like theirs. The run goes on
(a sweep may switch housing on in some jobs and not in others) with one line saying so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from omegaconf import DictConfig

__all__ = ["no_effect_note"]


def _sets_housing(override: str) -> bool:
    """Whether ``override`` sets a value under ``housing`` (not ``housing=off``, a choice of file)."""
    key, _, value = override.lstrip("+~").partition("=")
    if key == "housing.enabled":
        return False
    return key.startswith("housing.") or (key == "housing" and value.lstrip().startswith("{"))


def _named(override: str) -> str:
    """How the note names ``override``: as typed, or for a mapping the setting it fills.

    A new entry given whole reaches Hydra rewritten (``housing.flats.x={...}`` as
    ``++housing={flats:{x:{...}}}``, with every unset field spelt out), so a mapping is named by its
    path down to where it holds more than one setting: ``housing.flats.x``, or to its one value.
    """
    key, _, value = override.lstrip("+~").partition("=")
    if not value.lstrip().startswith("{"):
        return override
    from hydra.core.override_parser.overrides_parser import OverridesParser  # only for a mapping
    from hydra.errors import OverrideParseException

    try:
        settings = OverridesParser.create().parse_override(override).value()
    except OverrideParseException:  # Hydra took it, so unlikely; a note never stops the run
        return override
    path = [key]
    while isinstance(settings, Mapping) and len(settings) == 1:
        (name, settings), = settings.items()
        path.append(str(name))
    if isinstance(settings, str | int | float | bool):  # one setting: as if typed on its own
        return f"{'.'.join(path)}={settings}"
    return ".".join(path)


def no_effect_note(cfg: DictConfig, overrides: Sequence[str]) -> str | None:
    """One line naming the overrides that set housing values while housing is off, or None.

    Parameters
    ----------
    cfg : DictConfig
        The run's composed configuration.
    overrides : sequence of str
        Its command-line overrides as Hydra recorded them (``hydra.overrides.task``).
    """
    housing = cfg.get("housing")
    if housing is None or bool(housing.get("enabled")):
        return None
    unused = [_named(o) for o in overrides if _sets_housing(o)]
    if not unused:
        return None
    return (f"housing is off, so {', '.join(unused)} {'has' if len(unused) == 1 else 'have'} no effect "
            "(housing=default switches it on)")
