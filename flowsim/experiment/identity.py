"""A run's identity: everything that determines its results, and a digest of it.

Two runs with the same identity give the same numbers replication by replication, so checkpoints and
results may be reused between them; runs with different identities never share results. The
identity covers the resolved config (without the keys that only say how many replications to run,
how, and what to write: :data:`NOT_HASHED`), the contents of every input file the config reads, the
flowsim code (package version and a fingerprint of its sources) and the seed.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from flowsim.model.paths import lookup

__all__ = [
    "NOT_HASHED",
    "RunIdentity",
    "changed_keys",
    "describe_changes",
    "differences",
    "flowsim_version",
    "identity_config",
    "input_files",
    "package_fingerprint",
    "run_identity",
    "source_fingerprint",
]

# Top-level keys that never change a replication's results.
NOT_HASHED = ("replications", "n_jobs", "outputs", "precision")


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def input_files(config: Mapping[str, Any]) -> list[tuple[str, Path]]:
    """Every input file ``config`` reads, as ``(config field, path)`` pairs.

    A new config field naming a file is added here, and only here. Relative paths are resolved
    against the current working directory, as the model reads them.

    Parameters
    ----------
    config : Mapping
        A resolved flowsim config (plain containers).

    Returns
    -------
    list of (str, pathlib.Path)
        The fields that are set, with the absolute path of each file.
    """
    fields = ("arrivals.series_csv", "run.initial_census")
    return [(field, Path(value).absolute()) for field in fields
            if (value := lookup(config, field))]


def _file_sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None  # validation reports a missing file; the identity just records that it is absent
    return digest.hexdigest()


def flowsim_version() -> str | None:
    """The installed flowsim package version (None when running from an uninstalled source tree)."""
    try:
        return metadata.version("flowsim")
    except metadata.PackageNotFoundError:
        return None


@functools.cache
def source_fingerprint() -> str:
    """SHA-256 over flowsim's ``.py`` sources (names and contents), computed once per process.

    The version alone misses an edited model in a development checkout.
    """
    return package_fingerprint(Path(__file__).resolve().parents[1])


def package_fingerprint(package: Path) -> str:
    """SHA-256 over the ``.py`` files under ``package`` (relative names and contents).

    Notebooks are left out: they build reports from results and never change them.
    """
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] == "notebooks":
            continue
        digest.update(relative.as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class RunIdentity:
    """The components of a run's identity; :attr:`digest` is the SHA-256 over all of them."""

    config: dict[str, Any]  # resolved config without NOT_HASHED and seed
    inputs: dict[str, str | None]  # config field -> SHA-256 of the file's contents
    flowsim_version: str | None
    source_sha256: str
    seed: Any

    @property
    def config_sha256(self) -> str:
        """SHA-256 of the config component alone."""
        return _sha256_text(_canonical(self.config))

    @property
    def digest(self) -> str:
        """64 hex digits naming this identity (checkpoint folders, metrics.json, sweep.json)."""
        return _sha256_text(_canonical(self.summary(with_digest=False)))

    def summary(self, with_digest: bool = True) -> dict[str, Any]:
        """The components with the config as its hash: small enough for every metrics.json."""
        data = {"seed": self.seed, "flowsim_version": self.flowsim_version,
                "source_sha256": self.source_sha256, "inputs": dict(self.inputs),
                "config_sha256": self.config_sha256}
        return {"digest": self.digest, **data} if with_digest else data

    def to_json(self) -> dict[str, Any]:
        """Every component in full (``identity.json`` beside the checkpoints)."""
        return {**self.summary(), "config": self.config}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunIdentity:
        """Inverse of :meth:`to_json`."""
        return cls(config=dict(data["config"]), inputs=dict(data["inputs"]),
                   flowsim_version=data["flowsim_version"], source_sha256=data["source_sha256"],
                   seed=data["seed"])


def identity_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config component: ``config`` without :data:`NOT_HASHED` keys and the seed."""
    return {k: v for k, v in config.items() if k not in NOT_HASHED and k != "seed"}


def run_identity(config: Mapping[str, Any]) -> RunIdentity:
    """The identity of a run of the resolved ``config``.

    Call it after the config has been validated (``build_scenario``), so its input files exist.

    Parameters
    ----------
    config : Mapping
        A resolved flowsim config (plain containers).

    Returns
    -------
    RunIdentity
    """
    return RunIdentity(
        config=json.loads(_canonical(identity_config(config))),  # plain JSON types, as stored
        inputs={field: _file_sha256(path) for field, path in input_files(config)},
        flowsim_version=flowsim_version(),
        source_sha256=source_fingerprint(),
        seed=config.get("seed"),
    )


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, Mapping) and data:
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix[:-1]: data}


def changed_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Dotted names of the leaves that differ between two configs (added and removed ones too)."""
    a, b = _flatten(old), _flatten(new)
    return sorted(k for k in a.keys() | b.keys() if _canonical(a.get(k)) != _canonical(b.get(k)))


def differences(old: Mapping[str, Any], new: Mapping[str, Any], max_keys: int = 6) -> list[str]:
    """What differs between two stored identities, one short phrase per component.

    Parameters
    ----------
    old, new : Mapping
        Identities as stored (:meth:`RunIdentity.summary`, or :meth:`RunIdentity.to_json` with the
        config, whose changed keys are then named one by one).
    max_keys : int
        How many changed config keys to name before summarising the rest.

    Returns
    -------
    list of str
        E.g. ``["services.ic_beds.capacity", "arrivals.series_csv (contents changed)", "flowsim code"]``.
    """
    parts: list[str] = []
    if old.get("config") is not None and new.get("config") is not None:
        keys = changed_keys(identity_config(old["config"]), identity_config(new["config"]))
        parts += keys[:max_keys]
        if len(keys) > max_keys:
            parts.append(f"{len(keys) - max_keys} more config key(s)")
    elif old.get("config_sha256") != new.get("config_sha256"):
        parts.append("config")
    old_inputs, new_inputs = old.get("inputs") or {}, new.get("inputs") or {}
    for field in sorted(old_inputs.keys() | new_inputs.keys()):
        if field not in parts and old_inputs.get(field) != new_inputs.get(field):
            parts.append(f"{field} (contents changed)")
    if old.get("seed") != new.get("seed"):
        parts.append(f"seed ({old.get('seed')} -> {new.get('seed')})")
    if old.get("flowsim_version") != new.get("flowsim_version"):
        parts.append(f"flowsim version ({old.get('flowsim_version')} -> {new.get('flowsim_version')})")
    if old.get("source_sha256") != new.get("source_sha256"):
        parts.append("flowsim code")
    return parts


def describe_changes(old: Mapping[str, Any], new: RunIdentity,
                     old_config: Mapping[str, Any] | None = None) -> str:
    """:func:`differences` between an earlier stored identity and ``new``, as one phrase.

    ``old_config`` (e.g. from the earlier ``manifest.json``) names changed config keys when ``old``
    holds only the config's hash.
    """
    earlier = dict(old)
    if earlier.get("config") is None and old_config is not None:
        earlier["config"] = old_config
    return ", ".join(differences(earlier, new.to_json())) or "identity"
