"""Named random streams.

Every stochastic element of the model (arrivals, pathway choice, each length of stay, ...) draws from
its own stream, keyed by *name* rather than by creation order. Adding a new stream therefore never
shifts the numbers another stream produces, and two scenarios run with the same seed and replication
share common random numbers wherever they use the same stream names.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["UniformRows", "UniformStream", "make_generator", "stream_key"]


def stream_key(name: str) -> tuple[int, int]:
    """Stable 2x32-bit integer key for a stream name (independent of Python's hash seed)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "little"), int.from_bytes(digest[4:8], "little")


def make_generator(seed: int, replication: int, name: str) -> np.random.Generator:
    """Generator for stream ``name`` of replication ``replication`` under base ``seed``.

    Parameters
    ----------
    seed : int
        Base seed of the run (any non-negative integer, 0 included).
    replication : int
        Replication index, 0-based.
    name : str
        Stream name, e.g. ``"arrivals"`` or ``"los/ic_beds"``.

    Returns
    -------
    numpy.random.Generator
        A PCG64 generator seeded by ``SeedSequence(seed, spawn_key=(replication, *key(name)))``.
    """
    if seed < 0 or replication < 0:
        raise ValueError("seed and replication must be non-negative")
    seq = np.random.SeedSequence(entropy=seed, spawn_key=(replication, *stream_key(name)))
    return np.random.Generator(np.random.PCG64(seq))


class UniformStream:
    """U(0, 1) numbers from a named generator, drawn in batches to keep the event loop cheap.

    Sampling one number at a time from numpy costs microseconds per call; the model asks for many
    single numbers, so this hands them out of a pre-drawn block.
    """

    __slots__ = ("_block", "_gen", "_pos", "_size")

    def __init__(self, generator: np.random.Generator, block_size: int = 4096) -> None:
        self._gen = generator
        self._size = block_size
        self._block: list[float] = []
        self._pos = 0

    def next(self) -> float:
        """Return the next uniform number in (0, 1)."""
        if self._pos >= len(self._block):
            self._block = self._gen.random(self._size).tolist()
            self._pos = 0
        value = self._block[self._pos]
        self._pos += 1
        return value


class UniformRows:
    """Rows of U(0, 1) numbers, one from each of several named generators, drawn in batches.

    Row ``i`` holds the ``i``-th number of every generator, in the generators' order: the same numbers
    as one :class:`UniformStream` per generator asked in turn, at one list per row instead of one call
    per number (a readmission takes a number from each of about twenty streams).
    """

    __slots__ = ("_gens", "_pos", "_rows", "_size")

    def __init__(self, generators: list[np.random.Generator], block_size: int = 1024) -> None:
        self._gens = generators
        self._size = block_size
        self._rows: list[list[float]] = []
        self._pos = 0

    def next(self) -> list[float]:
        """Return the next row (a new list: callers may keep it)."""
        if self._pos >= len(self._rows):
            block = np.empty((len(self._gens), self._size))
            for values, generator in zip(block, self._gens, strict=True):
                generator.random(out=values)
            self._rows = block.T.tolist()
            self._pos = 0
        row = self._rows[self._pos]
        self._pos += 1
        return row

