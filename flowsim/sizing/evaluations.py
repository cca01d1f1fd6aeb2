"""Every replication a sizing search has run, kept on disk so an interrupted search resumes.

Each replication's KPIs are stored under ``<folder>/<identity digest>/rep-NNNNNN.json``, where the
digest is the run identity (:mod:`flowsim.experiment.identity`) of the candidate's config with its
seed: the same candidate, seed and flowsim code always find the same file, anything else never does.
A rerun of the same search therefore replays it, taking finished replications from disk: the
optimiser sees the same numbers in the same order and reaches the same recommendation.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from flowsim.experiment.identity import run_identity
from flowsim.experiment.io import write_json
from flowsim.model.errors import ConfigError
from flowsim.sizing.candidates import Candidate, apply_candidate, hydra_overrides
from flowsim.sizing.spec import SizingSpec

__all__ = ["BASELINE", "DAYS_PER_YEAR", "PAIRED_KPIS", "Evaluator", "Job", "needed_kpis", "per_year"]

BASELINE: Candidate = ("baseline",)  # the system as configured, before any candidate is written in
DAYS_PER_YEAR = 365.0
# What a board asks of the recommendation against today, per year, baseline minus candidate
PAIRED_KPIS = ("delayed_days_per_year", "cost_total_per_year", "cost_delayed_days_per_year",
               "cost_services_per_year")


@dataclass(frozen=True)
class Job:
    """Replications of one candidate config to run (what an executor receives)."""

    config: DictConfig
    replications: tuple[int, ...]
    overrides: tuple[str, ...] = ()  # command-line overrides of the base system that make ``config``
    digest: str = ""  # its run identity


# An executor runs jobs and yields (job index, replication, KPIs) as each replication finishes; a
# generator, closed when the search stops taking its results.
Executor = Callable[[Sequence[Job]], Generator[tuple[int, int, dict[str, float]], None, None]]


def per_year(kpis: dict[str, float]) -> dict[str, float]:
    """``kpis`` with ``<cost KPI>_per_year`` added for every ``cost_*`` KPI (window scaled to 365 days)."""
    scale = DAYS_PER_YEAR / kpis["observed_days"]
    out = dict(kpis)
    out.update({f"{k}_per_year": v * scale for k, v in kpis.items() if k.startswith("cost_")})
    return out


def _recorded(name: str) -> str:
    """The KPI as a replication records it: ``cost_total`` for ``cost_total_per_year`` (:func:`per_year`)."""
    return name.removesuffix("_per_year") if name.startswith("cost_") else name


def needed_kpis(spec: SizingSpec) -> frozenset[str]:
    """The KPIs of a replication the search reads: its objective, constraints and what the board is told.

    Names as a replication records them (``cost_total``, of which :func:`per_year` makes
    ``cost_total_per_year``), with ``observed_days``, which scales costs to a year.
    """
    names = {spec.objective, *(target.kpi for target in spec.constraints), *PAIRED_KPIS}
    return frozenset({"observed_days", *map(_recorded, names)})


@dataclass
class Evaluator:
    """Runs candidates' replications once, remembers them, and answers questions about them."""

    base: DictConfig
    spec: SizingSpec
    executor: Executor
    folder: Path | None = None  # None: nothing kept on disk
    log: list[tuple[str, Candidate, int, int]] = field(default_factory=list)  # stage, cand., seed, rep
    reused: int = 0
    simulated: int = 0
    _rows: dict[tuple[str, int], dict[str, float]] = field(default_factory=dict)
    _digests: dict[tuple[Candidate, int], str] = field(default_factory=dict)
    _configs: dict[tuple[Candidate, int], DictConfig] = field(default_factory=dict)
    _logged: set[tuple[Candidate, int, int]] = field(default_factory=set)

    def config(self, candidate: Candidate, seed: int) -> DictConfig:
        """The full config of a candidate (or :data:`BASELINE`) with ``seed``."""
        key = (candidate, seed)
        if key not in self._configs:
            config = (copy.deepcopy(self.base) if candidate == BASELINE
                      else apply_candidate(self.base, self.spec, candidate))
            config.seed = seed
            self._configs[key] = config
            resolved = OmegaConf.to_container(config, resolve=True)
            self._digests[key] = run_identity(resolved).digest  # type: ignore[arg-type]
        return self._configs[key]

    def _path(self, digest: str, replication: int) -> Path | None:
        return None if self.folder is None else self.folder / digest / f"rep-{replication:06d}.json"

    def _load(self, digest: str, replication: int) -> dict[str, float] | None:
        path = self._path(digest, replication)
        if path is None or not path.is_file():
            if path is not None and path.exists():  # a folder: no result could be kept
                raise ConfigError("--output", f"{str(path)!r} is not a file, but where a checkpoint is kept",
                                  "remove it, or give the search another --output folder")
            return None
        try:
            data = json.loads(path.read_text())
            recorded = data["kpis"].items()
        except (ValueError, TypeError, KeyError, AttributeError):  # half-written or damaged: run it again
            return None
        # flowsim writes numbers, and null for NaN: a string or true (edited by hand) is damage, not data
        if not all(v is None or (isinstance(v, int | float) and not isinstance(v, bool))
                   for _, v in recorded):
            return None
        kpis = {str(k): float("nan") if v is None else float(v) for k, v in recorded}
        # and every KPI the search reads, as a number: a checkpoint without one, or with NaN for one (a
        # mean over no patients, which a rerun gives again), is run again rather than trusted
        needed = needed_kpis(self.spec)
        return kpis if needed <= kpis.keys() and all(math.isfinite(kpis[name]) for name in needed) else None

    def run(self, wants: Iterable[tuple[Candidate, int, Sequence[int]]], stage: str) -> None:
        """Make sure each (candidate, seed, replications) has been run; run what is missing.

        Replications already in memory or on disk are not run again. ``stage`` names the part of the
        search that first asked for each replication (kept in the evaluations table).
        """
        jobs: list[Job] = []
        owners: list[tuple[str, Candidate, int]] = []
        pending: set[tuple[str, int]] = set()  # a candidate asked for twice in one batch runs once
        for candidate, seed, replications in wants:
            self.config(candidate, seed)
            digest = self._digests[(candidate, seed)]
            missing = []
            for r in replications:
                if (candidate, seed, r) not in self._logged:  # named once per candidate, equal or not
                    self._logged.add((candidate, seed, r))
                    self.log.append((stage, candidate, seed, r))
                if (digest, r) in self._rows or (digest, r) in pending:
                    continue
                pending.add((digest, r))
                loaded = self._load(digest, r)
                if loaded is None:
                    missing.append(r)
                else:
                    self._rows[(digest, r)] = loaded
                    self.reused += 1
            if missing:
                config = self._configs[(candidate, seed)]
                overrides = () if candidate == BASELINE else hydra_overrides(self.spec, candidate, config)
                jobs.append(Job(config, tuple(missing), overrides, digest))
                owners.append((digest, candidate, seed))
        if not jobs:
            return
        # closing: an interruption while a result is stored stops the executor's workers at once
        with closing(self.executor(jobs)) as results:
            for index, replication, kpis in results:
                digest = owners[index][0]
                self._rows[(digest, replication)] = kpis
                self.simulated += 1
                path = self._path(digest, replication)
                if path is not None:
                    write_json({"replication": replication, "kpis": kpis}, path)

    def kpis(self, candidate: Candidate, seed: int, replication: int) -> dict[str, float]:
        """One replication's KPIs (with per-year costs); it must have been run."""
        self.config(candidate, seed)
        return per_year(self._rows[(self._digests[(candidate, seed)], replication)])

    def count(self, candidate: Candidate, seed: int) -> int:
        """How many replications 0, 1, 2, ... in a row the candidate has on ``seed``."""
        self.config(candidate, seed)
        digest = self._digests[(candidate, seed)]
        n = 0
        while (digest, n) in self._rows:
            n += 1
        return n

    def values(self, candidate: Candidate, seed: int, kpi: str, n: int | None = None) -> np.ndarray:
        """The KPI in replications ``0 .. n-1`` (default: all run in a row)."""
        n = self.count(candidate, seed) if n is None else n
        return np.array([self.kpis(candidate, seed, r)[kpi] for r in range(n)], dtype=float)

    def rows(self) -> Iterator[tuple[str, Candidate, int, int, dict[str, float]]]:
        """Every replication asked for, in the order asked: (stage, candidate, seed, replication, KPIs)."""
        for stage, candidate, seed, replication in self.log:
            yield stage, candidate, seed, replication, self.kpis(candidate, seed, replication)

    def summary(self) -> dict[str, Any]:
        """How many replications were simulated now and how many were taken from disk."""
        return {"replications_simulated": self.simulated, "replications_reused": self.reused,
                "candidates": len({c for _, c, _, _ in self.log if c != BASELINE})}
