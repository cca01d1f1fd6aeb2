"""A note when the command line sets what the run does not use: settings of a part that is off.

``flowsim housing=off housing.coordinators.fte=4`` runs the core model alone; the coordinators are
never read, and the planner who set them would see results that look like theirs. So is a scheme
that works through housing (``flowsim housing=off scheme=kettering``: its coordinator never starts),
wherever the scheme was chosen. Likewise the acute bed pool's settings while it is off
(``acute.beds=1600`` without ``acute.enabled=true``), a unit's over-length cost without its maximum stay,
and a flat's ``move_on`` while its maximum stay is not enforced. The run goes on (a sweep may switch a part on
in some jobs and not in others) with one line saying so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from omegaconf import DictConfig

__all__ = ["no_effect_note", "scheme_sets_housing"]


def _sets_under(override: str, section: str) -> bool:
    """Whether ``override`` sets a value under ``section`` (not its switch, nor ``housing=off``, a choice
    of file)."""
    key, _, value = override.lstrip("+~").partition("=")
    if key == f"{section}.enabled":
        return False
    return key.startswith(f"{section}.") or (key == section and value.lstrip().startswith("{"))


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


def scheme_sets_housing(scheme: str | None, config_sources: Iterable[Mapping[str, str]]) -> bool:
    """Whether the config group option ``scheme/<scheme>`` sets values under ``housing``.

    Parameters
    ----------
    scheme : str or None
        The chosen option (``hydra.runtime.choices.scheme``).
    config_sources : iterable of mapping
        The run's config search path (``hydra.runtime.config_sources``: provider, schema, path), so
        that a scheme of the user's ``--config-dir`` is judged by its own file.

    Returns
    -------
    bool
        False also when there is no scheme or its file cannot be read: the note this serves never
        stops a run.
    """
    if not scheme or scheme == "none":
        return False
    from hydra._internal.config_repository import ConfigRepository
    from hydra._internal.config_search_path_impl import ConfigSearchPathImpl
    from hydra.core.plugins import Plugins

    Plugins.instance()  # registers the config sources (file://, pkg://): done already in a Hydra run
    search_path = ConfigSearchPathImpl()
    for source in config_sources:
        search_path.append(str(source["provider"]), f"{source['schema']}://{source['path']}")
    try:
        loaded = ConfigRepository(search_path).load_config(f"scheme/{scheme}")
    except Exception:  # a file Hydra has already composed; a note never stops the run
        return False
    return loaded is not None and "housing" in loaded.config


def no_effect_note(cfg: DictConfig, overrides: Sequence[str], scheme: str | None = None) -> str | None:
    """One line naming the overrides (and the scheme) that set values of a part that is off.

    The parts with a switch: housing (``housing.enabled``) and the acute bed pool (``acute.enabled``);
    and settings that need another: a unit's ``cost_per_over_length_day`` its ``max_stay_days``, a
    flat's ``move_on`` its ``enforce_max_stay``.

    Parameters
    ----------
    cfg : DictConfig
        The run's composed configuration.
    overrides : sequence of str
        Its command-line overrides as Hydra recorded them (``hydra.overrides.task``).
    scheme : str, optional
        The chosen ``scheme`` option, named in the note if it works through housing (judged by
        :func:`scheme_sets_housing`; pass it only if it does).

    Returns
    -------
    str or None
        The note (one clause a part), or None when nothing set goes unused.
    """
    notes = []
    housing = cfg.get("housing")
    if housing is not None and not bool(housing.get("enabled")):
        unused = [f"scheme={scheme}"] if scheme else []
        unused += [_named(o) for o in overrides if _sets_under(o, "housing")]
        if unused:
            notes.append(f"housing is off, so {', '.join(unused)} {'has' if len(unused) == 1 else 'have'} no "
                         "effect (housing=default switches it on)")
    acute = cfg.get("acute")
    if acute is not None and not bool(acute.get("enabled")):
        unused = [_named(o) for o in overrides if _sets_under(o, "acute")]
        if unused:
            notes.append(f"the acute bed pool is off, so {', '.join(unused)} "
                         f"{'has' if len(unused) == 1 else 'have'} no effect (acute.enabled=true or "
                         "scenario=acute_pool switches it on)")
    notes += [clause for o in overrides if (clause := _needs(o, cfg))]
    return "; ".join(notes) or None


def _needs(override: str, cfg: DictConfig) -> str | None:
    """A clause for ``override`` if it sets what only another setting, unset in ``cfg``, brings into play.

    A unit's ``cost_per_over_length_day`` is charged beyond its ``max_stay_days`` (none: never); a
    flat's ``move_on`` says where its tenants go at a maximum stay only ``enforce_max_stay`` enforces.
    """
    key = override.lstrip("+~").partition("=")[0].split(".")
    if len(key) == 3 and key[0] == "services" and key[2] == "cost_per_over_length_day":
        unit = (cfg.get("services") or {}).get(key[1])
        if unit is not None and unit.get("max_stay_days") is None:
            return (f"{_named(override)} has no effect without services.{key[1]}.max_stay_days (the "
                    "contracted maximum stay it charges beyond)")
    if len(key) >= 4 and key[:2] == ["housing", "flats"] and key[3] == "move_on":
        housing = cfg.get("housing") or {}
        flat = (housing.get("flats") or {}).get(key[2])
        if housing.get("enabled") and flat is not None and not flat.get("enforce_max_stay"):
            return (f"{_named(override)} has no effect without housing.flats.{key[2]}.enforce_max_stay=true "
                    "(tenants move on only at an enforced maximum stay)")
    return None
