"""Hydra's compositions kept on disk, so that a later process given the same command composes nothing.

Every ``flowsim`` process has Hydra compose its configuration before it does anything else: 0.15-0.5 s
of CPU, about a seventh of a default run and a third of one that finds its results already finished.
Within :func:`kept_on_disk` a composition that Hydra finishes is kept in flowsim's cache folder, and a
later one with the same arguments, in any process, takes a copy of it (unpickled, in about a fifteenth
of the time) instead of composing again. A sweep's jobs, composed to be checked before any of them runs
and again where each runs, are composed once.

A kept composition is taken only if nothing it was composed from has changed:

- the same arguments: the config name, the overrides, the run mode, the search path Hydra started
  from, the task's name, and the versions of Python, Hydra and OmegaConf. Plain values are not part
  of them: a setting's (``seed=7``, ``services.ic_beds.capacity=30``: not a config group, nor
  Hydra's) and the run's or sweep's folder (``hydra.run.dir``, ``hydra.sweep.dir``) are set, in
  order, on the composition of the other overrides, as Hydra sets them once it has merged the
  configs, and its record of the overrides rewritten; so a command with a new capacity, seed or
  folder takes what the same command with other values kept, and a value Hydra cannot set fails
  with Hydra's own error. Where another override sets a setting after merging (``+key=...``,
  ``~key``, a sweep's list; ``hydra.run={...}`` for the folders) those values are part of it;
- every YAML file under each folder the composition searched, compared by content (as
  :mod:`flowsim.model.compose_cache` compares them within a process);
- the configurations held in Hydra's ``ConfigStore`` (flowsim's schema, Hydra's own, a plugin's),
  compared by a digest of their content.

What Hydra takes from the process rather than from files (the working folder; the variables that
``hydra.job.env_copy`` names) is set afresh each time, as Hydra sets it, and values that
interpolations such as ``${now:...}`` resolved while composing are not kept. A composition is not
kept if a file it may have read changed while it was composed or a moment before, if it cannot be
fingerprinted or pickled, or if the folder cannot be written; an entry that cannot be read is
composed again. Nothing here changes what a run computes: a kept composition equals the one Hydra
would make (``tests/test_compose_store.py``).

The folder is ``$FLOWSIM_CACHE_DIR/compositions``, else ``$XDG_CACHE_HOME/flowsim/compositions``,
else ``~/.cache/flowsim/compositions``; it holds the :data:`MAX_ENTRIES` compositions used last.
``FLOWSIM_CACHE_DIR=off`` turns keeping off.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["CACHE_ENV", "MAX_ENTRIES", "cache_folder", "kept_on_disk", "store_digest"]

CACHE_ENV = "FLOWSIM_CACHE_DIR"
MAX_ENTRIES = 200  # compositions kept (about 70 KB each), the least recently used removed first
_FORMAT = 2  # of an entry: a different one is composed again
_OFF = ("off", "none", "0", "false", "no")
# The run's or sweep's folder: a plain value, set afresh from the command on each use
_FOLDERS = ("hydra.run.dir=", "hydra.sweep.dir=")
_FOLDER_KEYS = ("hydra.run=", "hydra.run.", "hydra.sweep=", "hydra.sweep.")  # what else could set them


def cache_folder() -> Path | None:
    """The folder kept compositions go in, or None when ``FLOWSIM_CACHE_DIR=off``."""
    setting = os.environ.get(CACHE_ENV, "").strip()
    if setting.lower() in _OFF:
        return None
    if setting:
        root = Path(setting).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        root = Path(xdg).expanduser() / "flowsim" if xdg else Path.home() / ".cache" / "flowsim"
    return root / "compositions"


class _ClassesByName(pickle.Pickler):
    """Pickles a class or function as its qualified name: for a digest only, never unpickled.

    Hydra imports some plugin modules outside ``sys.modules``, so their classes do not pickle by
    reference; by name they do, and a digest still changes with any field, default or type.
    """

    def persistent_id(self, obj: Any) -> str | None:
        if isinstance(obj, type) or (callable(obj) and hasattr(obj, "__qualname__")):
            return f"{getattr(obj, '__module__', '')}.{obj.__qualname__}"
        return None


def store_digest() -> str:
    """A digest of every configuration in Hydra's ``ConfigStore`` (name, group, package and content)."""
    from hydra.core.config_store import ConfigStore

    from flowsim.model.compose_cache import store_nodes

    buffer = io.BytesIO()
    pickler = _ClassesByName(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    for name, node in store_nodes(ConfigStore.instance().repo):
        pickler.dump((name, node.group, node.package, node.provider, node.node))
    return hashlib.blake2b(buffer.getvalue(), digest_size=16).hexdigest()


def _key(loader: Any, config_name: str | None, overrides: list[str], run_mode: Any, from_shell: bool,
         validate_sweep_overrides: bool) -> tuple[Any, ...]:
    """Everything besides the files and the store that a composition depends on."""
    import hydra
    import omegaconf
    from hydra.core.utils import JobRuntime

    search = tuple((element.provider, element.path) for element in loader.config_search_path.get_path())
    return (_FORMAT, sys.version, hydra.__version__, omegaconf.__version__, JobRuntime.instance().get("name"),
            config_name, tuple(overrides), str(run_mode), from_shell, validate_sweep_overrides, search)


def _values_apart(loader: Any, overrides: list[str]) -> tuple[list[str], list[Any], list[Any]]:
    """``overrides`` as the ones that shape a composition, the plain values Hydra sets after composing
    (parsed), and all of them parsed.

    A plain value is ``key=value`` for a setting that is not a config group, nor in ``hydra``, or for
    the run's or sweep's folder; Hydra sets these after merging the configs, in order. A setting's are
    set apart only where no other override sets a setting outside ``hydra`` after merging (``+key``,
    ``~key``, a sweep), the folders only where none sets ``hydra.run`` or ``hydra.sweep`` otherwise:
    then setting them last is setting them as Hydra does.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import OverrideType

    parsed = OverridesParser.create().parse_overrides(overrides=list(overrides))
    settings, folders = [], []
    settings_apart = folders_apart = True
    for override in parsed:
        is_dict = isinstance(override.value(), dict)
        plain = (override.type == OverrideType.CHANGE and not override.is_sweep_override()
                 and override.package is None and not is_dict)
        if override.is_hydra_override():
            if plain and override.input_line.startswith(_FOLDERS):
                folders.append(override)
            elif override.input_line.lstrip("+~").startswith(_FOLDER_KEYS):
                folders_apart = False
        elif is_dict or not loader.repository.group_exists(override.key_or_group):
            if plain:
                settings.append(override)
            else:  # sets a setting after merging, as the values do: their order would matter
                settings_apart = False
    chosen = (settings if settings_apart else []) + (folders if folders_apart else [])
    values = [o for o in parsed if any(o is value for value in chosen)]
    return [o.input_line for o in parsed if not any(o is value for value in values)], values, parsed


def _with_values(config: Any, values: list[Any], parsed: list[Any]) -> Any | None:
    """``config``, composed with the overrides of ``parsed`` other than ``values``, with ``values`` set
    as Hydra sets them and its record of the overrides (``hydra.overrides``,
    ``hydra.job.override_dirname``) that of ``parsed``. None if its record is not the one the other
    overrides leave. A value Hydra cannot set raises Hydra's own error."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname

    if not values:
        return config

    def record(recorded: list[str], own: bool) -> list[str] | None:
        # Hydra's list: what the primary config holds, then the overrides of its kind (Hydra's or the task's)
        mine = [o for o in parsed if o.is_hydra_override() == own]
        kept = [o.input_line for o in mine if not any(o is value for value in values)]
        start = len(recorded) - len(kept)
        if start < 0 or recorded[start:] != kept:
            return None
        return recorded[:start] + [o.input_line for o in mine]

    task = record(list(config.hydra.overrides.task), False)
    own = record(list(config.hydra.overrides.hydra), True)
    if task is None or own is None:
        return None
    ConfigLoaderImpl._apply_overrides_to_config(values, config)
    config.hydra.overrides.task, config.hydra.overrides.hydra = task, own
    settings = config.hydra.job.config.override_dirname
    config.hydra.job.override_dirname = get_overrides_dirname(
        overrides=[o for o in parsed if not o.is_hydra_override()], kv_sep=settings.kv_sep,
        item_sep=settings.item_sep, exclude_keys=settings.exclude_keys)
    return config


def _entry_path(folder: Path, key: tuple[Any, ...], store: str) -> Path:
    """Where the composition for ``key`` with the store ``store`` is kept: another flowsim (another
    schema) beside this one, in another environment of the same user, keeps its own."""
    return folder / f"{hashlib.blake2b(repr((key, store)).encode(), digest_size=16).hexdigest()}.pickle"


def _taken(path: Path, key: tuple[Any, ...], store: str) -> Any | None:
    """The configuration kept at ``path`` for ``key``, if what it was composed from is unchanged."""
    from flowsim.model.compose_cache import fingerprint

    try:
        entry = pickle.loads(path.read_bytes())
        if not (isinstance(entry, dict) and entry.get("key") == key and entry.get("store") == store):
            return None
        now = fingerprint(entry["sources"])
        if now is None or now.folders != entry["folders"]:
            return None
        config = pickle.loads(entry["config"])
    except Exception:  # missing, damaged, written by another version: composed again
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # used: the last to be removed
    return config


def _as_hydra_leaves_it(config: Any) -> Any:
    """``config`` with what Hydra's composition takes from the process set from this one."""
    from omegaconf import open_dict

    with open_dict(config.hydra):
        for key in config.hydra.job.env_copy:
            config.hydra.job.env_set[key] = os.environ[key]
    config.hydra.runtime.cwd = os.getcwd()
    return config


def _keep(folder: Path, path: Path, key: tuple[Any, ...], store: str, config: Any, began_ns: int) -> None:
    """Write ``config`` (composed from ``began_ns`` on) to ``path``, unless it may already be stale."""
    from omegaconf import OmegaConf

    from flowsim.model.compose_cache import SETTLE_NS, fingerprint

    sources = OmegaConf.to_container(config.hydra.runtime.config_sources)
    printed = fingerprint(sources)
    if printed is None or printed.changed_ns >= began_ns - SETTLE_NS:
        return
    resolved = OmegaConf.get_cache(config)  # e.g. ${now:...}: resolved when used, not when composed
    OmegaConf.clear_cache(config)
    try:
        pickled = pickle.dumps(config, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # a value of a plugin's own, say
        return
    finally:
        OmegaConf.set_cache(config, resolved)
    entry = {"key": key, "store": store, "sources": sources, "folders": printed.folders, "config": pickled}
    temporary = None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(entry, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)  # whole or not at all, whoever else writes the same entry
        _prune(folder)
    except OSError:  # a read-only home, a full disk: the run goes on, composing next time
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _prune(folder: Path) -> None:
    """Remove the least recently used entries beyond :data:`MAX_ENTRIES`."""
    entries = []
    for path in folder.glob("*.pickle"):
        with contextlib.suppress(OSError):
            entries.append((path.stat().st_mtime_ns, path))
    for _, path in sorted(entries)[:max(0, len(entries) - MAX_ENTRIES)]:
        with contextlib.suppress(OSError):
            path.unlink()


@contextlib.contextmanager
def kept_on_disk() -> Iterator[None]:
    """Within the block, Hydra's compositions are kept on disk and taken from there when unchanged.

    Re-entrant; with ``FLOWSIM_CACHE_DIR=off`` it does nothing.
    """
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    folder = cache_folder()
    load = ConfigLoaderImpl.load_configuration
    if folder is None or getattr(load, "_flowsim_kept_on_disk", False):
        yield
        return

    def load_or_take(self: Any, config_name: str | None, overrides: list[str], run_mode: Any,
                     from_shell: bool = True, validate_sweep_overrides: bool = True) -> Any:
        def composed() -> Any:  # by Hydra, as without this block
            return load(self, config_name=config_name, overrides=overrides, run_mode=run_mode,
                        from_shell=from_shell, validate_sweep_overrides=validate_sweep_overrides)

        try:
            shaping, values, parsed = _values_apart(self, list(overrides))
            key = _key(self, config_name, shaping, run_mode, from_shell, validate_sweep_overrides)
            store = store_digest()
        except Exception:  # a search path or store of a kind not foreseen, an override Hydra refuses
            return composed()
        path = _entry_path(folder, key, store)
        config = _taken(path, key, store)
        if config is None:
            began_ns = time.time_ns()
            config = load(self, config_name=config_name, overrides=shaping, run_mode=run_mode,
                          from_shell=from_shell, validate_sweep_overrides=validate_sweep_overrides)
            with contextlib.suppress(Exception):  # keeping it is a saving for later, never a reason to stop
                _keep(folder, path, key, store, config, began_ns)
        config = _with_values(config, values, parsed)
        return composed() if config is None else _as_hydra_leaves_it(config)

    load_or_take._flowsim_kept_on_disk = True  # type: ignore[attr-defined]
    ConfigLoaderImpl.load_configuration = load_or_take  # type: ignore[method-assign]
    try:
        yield
    finally:
        ConfigLoaderImpl.load_configuration = load  # type: ignore[method-assign]
