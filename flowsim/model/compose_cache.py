"""Configurations composed before, kept for the process while the files they came from are unchanged.

Hydra composes a configuration afresh every time, and a composition costs 0.2-0.5 s, most of it in
OmegaConf merging the YAML files into the typed schema. A notebook re-run, a planner's app, a
calibration and the tests compose the same overrides again and again.
:func:`flowsim.model.compose.load_config` keeps each result here and hands back a copy of it when asked
again, in about a thirtieth of the time (kept pickled: unpickling a configuration takes a quarter of the
time a deep copy does, and gives the same nodes, types and flags).

A kept configuration is used only if nothing it was composed from has changed: every YAML file
(``.yaml``, ``.yml``) under each folder Hydra searched for it, compared by content (a file edited,
added, removed or renamed, whatever its time stamp), and the configurations held in Hydra's
``ConfigStore`` (the schema, Hydra's own, a plugin's). Anything else means composing again, so a kept
configuration is never staler than a fresh one. A composition is not kept if a file it may have
read changed while it was composed, or a moment before (:data:`SETTLE_NS`: a time stamp is coarse), or
if a folder is too large to fingerprint cheaply (:data:`MAX_FILES`).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omegaconf import DictConfig

__all__ = ["MAX_FILES", "SETTLE_NS", "ComposeCache", "Fingerprint", "fingerprint", "store_nodes"]

MAX_FILES = 2_000  # YAML files under the searched folders; beyond it composing again is as quick
SETTLE_NS = 2_000_000_000  # a file changed this soon before composing began may have changed during it
_KEPT = 32  # configurations kept, the least recently used dropped first
_YAML = (".yaml", ".yml")


@dataclass(frozen=True)
class Fingerprint:
    """What a composition read: each searched folder's YAML files by content, and the ConfigStore.

    ``store`` holds the stored nodes themselves (compared by identity), which also keeps them alive,
    so a node stored again later can never take an old one's identity.
    """

    folders: tuple[tuple[str, tuple[tuple[str, bytes], ...]], ...]
    store: tuple[tuple[str, Any], ...]
    changed_ns: int  # the latest modification time of the files, in ns since the epoch

    def same_as(self, other: Fingerprint) -> bool:
        """Whether ``other`` read the same files and the same stored nodes."""
        return self.folders == other.folders and len(self.store) == len(other.store) and all(
            a[0] == b[0] and a[1] is b[1] for a, b in zip(self.store, other.store, strict=True))


def _source_folder(source: Mapping[str, Any]) -> Path | None:
    """The folder on disk of one of Hydra's config sources (``file://`` or ``pkg://``), if it has one."""
    path = str(source.get("path") or "")
    if source.get("schema") == "file" and path:
        return Path(path)
    if source.get("schema") == "pkg" and path:
        try:
            found = resources.files(path.replace("/", "."))
        except (ModuleNotFoundError, TypeError, ValueError):
            return None
        return Path(str(found))  # inside a zip it is no folder, and the caller gives up
    return None


def _yaml_files(folder: Path) -> Iterator[Path]:
    """The YAML files under ``folder``, through linked folders as Hydra goes (each folder once)."""
    seen = {os.path.realpath(folder)}
    for root, folders, names in os.walk(folder, followlinks=True):
        inner = [(name, os.path.realpath(os.path.join(root, name))) for name in folders]
        folders[:] = [name for name, real in inner if real not in seen]  # a link back up: a loop
        seen.update(real for _, real in inner)
        for name in sorted(names):
            if name.endswith(_YAML):
                yield Path(root, name)


def _folder_digest(folder: Path) -> tuple[tuple[tuple[str, bytes], ...], int] | None:
    """Each YAML file under ``folder`` with a digest of its bytes, and the latest change to them;
    None if there are too many."""
    digests, changed_ns = [], 0
    for count, file in enumerate(_yaml_files(folder), 1):
        if count > MAX_FILES:
            return None
        try:
            changed_ns = max(changed_ns, file.stat().st_mtime_ns)
            digest = hashlib.blake2b(file.read_bytes(), digest_size=16).digest()
        except OSError:
            digest = b""  # unreadable now: Hydra would fail on it, and reading it again will tell
        digests.append((file.relative_to(folder).as_posix(), digest))
    return tuple(sorted(digests)), changed_ns


def store_nodes(repo: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Each configuration in a ``ConfigStore`` repository, by its path (``group/name.yaml``), in order."""
    for name in sorted(repo):
        item = repo[name]
        if isinstance(item, dict):
            yield from store_nodes(item, f"{prefix}{name}/")
        else:
            yield f"{prefix}{name}", item


def fingerprint(config_sources: Any) -> Fingerprint | None:
    """The :class:`Fingerprint` of a composition from its ``hydra.runtime.config_sources``.

    None if it cannot be taken cheaply and completely (a source with no folder on disk other than
    the ConfigStore, or a folder of more than :data:`MAX_FILES` YAML files): such a composition is
    not kept.
    """
    from hydra.core.config_store import ConfigStore

    folders, changed_ns = [], 0
    for source in config_sources or ():
        if source.get("schema") == "structured":
            continue  # the ConfigStore: fingerprinted below
        folder = _source_folder(source)
        if folder is None or not folder.is_dir():
            return None
        read = _folder_digest(folder)
        if read is None:
            return None
        folders.append((str(folder), read[0]))
        changed_ns = max(changed_ns, read[1])
    return Fingerprint(tuple(folders), tuple(store_nodes(ConfigStore.instance().repo)), changed_ns)


class ComposeCache:
    """Compositions kept by their arguments, each with the :class:`Fingerprint` of what it read.

    Not thread-safe by itself: :func:`flowsim.model.compose.load_config` holds its lock around it.
    """

    def __init__(self, size: int = _KEPT) -> None:
        self._size = size
        self._kept: OrderedDict[Hashable, tuple[tuple[Any, ...], Fingerprint, bytes]] = OrderedDict()

    def get(self, key: Hashable) -> DictConfig | None:
        """A copy of the configuration kept for ``key``, or None if none is, or what it read changed."""
        kept = self._kept.get(key)
        if kept is None:
            return None
        sources, printed, pickled = kept
        now = fingerprint(sources)
        if now is None or not now.same_as(printed):
            del self._kept[key]
            return None
        self._kept.move_to_end(key)
        return pickle.loads(pickled)

    def put(self, key: Hashable, config_sources: Any, config: DictConfig, began_ns: int) -> None:
        """Keep a copy of ``config``, composed from ``config_sources`` from ``began_ns`` on
        (``time.time_ns``), unless they cannot be fingerprinted or a file may have changed meanwhile."""
        printed = fingerprint(config_sources)
        if printed is None or printed.changed_ns >= began_ns - SETTLE_NS:
            return
        try:
            pickled = pickle.dumps(config, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):  # a value of a plugin's own, say
            return
        self._kept[key] = (tuple(config_sources), printed, pickled)
        self._kept.move_to_end(key)
        while len(self._kept) > self._size:
            self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)
