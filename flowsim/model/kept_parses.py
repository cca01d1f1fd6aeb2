"""Each YAML text that flowsim's compositions read, parsed once per process.

Hydra composes a configuration by loading every file of its defaults list with ``OmegaConf.load``, which
parses the YAML with PyYAML's parser, written in Python: about 13 % of composing the default
configuration. A process that composes many configurations from the same files (a sweep's jobs, each
composed where it runs; the planner's app, for each system or scenario it starts from; a notebook; the
tests) parsed the same texts again each time. Within :func:`parsed_once`, ``OmegaConf.load`` of an open
file keeps what it parsed, keyed by the file's whole text, and builds each configuration afresh from it.

Nothing kept can go stale or be shared: the key is the text itself (a file edited is a new key, an
unchanged file under another name the same parse), the parse is plain Python data (mappings, lists,
strings, numbers, booleans, None) that ``OmegaConf.create`` copies into nodes of the configuration's
own, and a text that does not parse raises as OmegaConf's own load does (naming the file and line),
and is not kept. A file given by its path, or a stream that cannot seek back, goes OmegaConf's own way.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_KEPT", "ParseCache", "parsed_once"]

MAX_KEPT = 256  # texts kept, the least recently used dropped first (flowsim's and Hydra's own files: 41)
_MISSING = object()


class ParseCache:
    """Parses of YAML texts, the least recently used dropped beyond ``max_kept``."""

    def __init__(self, max_kept: int = MAX_KEPT) -> None:
        self.max_kept = max_kept
        self.parsed = 0  # texts parsed (not found kept): for tests and measurements
        self._kept: OrderedDict[str | bytes, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def load(self, file_: Any) -> Any:
        """What ``OmegaConf.load(file_)`` gives (a new ``DictConfig`` or ``ListConfig``), from a kept
        parse of the same text where there is one."""
        from omegaconf import OmegaConf

        if not callable(getattr(file_, "read", None)) or not file_.seekable():
            return _omegaconf_load()(file_)
        start = file_.tell()
        text = file_.read()
        file_.seek(start)
        with self._lock:
            parsed = self._kept.get(text, _MISSING)
            if parsed is not _MISSING:
                self._kept.move_to_end(text)
        if parsed is _MISSING:
            parsed = _parse(file_)  # from the stream, so an error names the file as OmegaConf's does
            with self._lock:
                self.parsed += 1
                self._kept[text] = parsed
                while len(self._kept) > self.max_kept:
                    self._kept.popitem(last=False)
        return OmegaConf.create() if parsed is None else OmegaConf.create(parsed)


def _parse(stream: Any) -> Any:
    """The YAML of ``stream`` read as ``OmegaConf.load`` reads it, before it makes a configuration of it."""
    import yaml
    from omegaconf._utils import get_yaml_loader

    parsed = yaml.load(stream, Loader=get_yaml_loader())
    if parsed is not None and not isinstance(parsed, (list, dict, str)):
        raise OSError(f"Invalid loaded object type: {type(parsed).__name__}")  # OmegaConf's words
    return parsed


@functools.cache
def _omegaconf_load() -> Any:
    """OmegaConf's own ``load``, as found before any block replaced it."""
    from omegaconf import OmegaConf

    return OmegaConf.load


@dataclass
class _Blocks:
    """The :func:`parsed_once` blocks open in the process, and what ``OmegaConf.load`` was before the
    first of them (put back when the last closes)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    open: int = 0
    previous: Any = None


@functools.cache
def _state() -> tuple[ParseCache, _Blocks]:
    """The process's parses, and its open blocks."""
    _omegaconf_load()
    return ParseCache(), _Blocks()


@contextlib.contextmanager
def parsed_once() -> Iterator[ParseCache]:
    """Within the block, ``OmegaConf.load`` parses each YAML text once for the process.

    Blocks may nest and overlap (threads): ``OmegaConf.load`` is back as it was when the last one
    closes. Processes forked inside a block (a sweep's workers) inherit the parses made before the fork.

    Yields
    ------
    ParseCache
        The process's parses (kept between blocks).
    """
    from omegaconf import OmegaConf

    cache, blocks = _state()
    with blocks.lock:
        if blocks.open == 0:
            blocks.previous = OmegaConf.__dict__["load"]  # the staticmethod itself, to put back as it was
            OmegaConf.load = staticmethod(cache.load)  # type: ignore[method-assign]
        blocks.open += 1
    try:
        yield cache
    finally:
        with blocks.lock:
            blocks.open -= 1
            if blocks.open == 0:
                OmegaConf.load = blocks.previous  # type: ignore[method-assign]
                blocks.previous = None
