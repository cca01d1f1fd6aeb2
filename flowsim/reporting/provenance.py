"""Where a board pack's numbers came from, and what was assumed, in words a board can read.

:func:`sweep_provenance` reads each job folder of a sweep (``manifest.json``: when the results were
written, flowsim version, git SHA; ``metrics.json``: the run identity digest of
:mod:`flowsim.experiment.identity`) and ``collected.json``, so the pack states which run it shows: a
changed config, input file, seed or flowsim gives a different identity. :func:`assumptions_table`
turns a job's config into a readable table (no YAML in the page); :func:`write_config` writes the
full config to a file beside the pack; :func:`run_length_text` says how long each replication
observed, from the data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from omegaconf import DictConfig, OmegaConf

from flowsim.experiment.io import atomic_write
from flowsim.experiment.result_files import job_fix, read_json
from flowsim.experiment.sweep import COLLECTED_FILE
from flowsim.model.availability import availability_from_config
from flowsim.model.cost_basis import acute_bed_day_basis
from flowsim.model.distribution_config import distribution_from_config
from flowsim.model.errors import ConfigError
from flowsim.model.tariff import tariff_from_config
from flowsim.model.validate import date_value
from flowsim.reporting.features import capacity_changes

__all__ = ["SweepProvenance", "assumptions_table", "run_length_text", "sweep_provenance", "write_config"]


@dataclass(frozen=True)
class SweepProvenance:
    """The jobs a pack was built from: when, by which flowsim, with which identities."""

    sweep_dir: Path
    jobs: pd.DataFrame  # job, written (UTC), identity (digest), replications, flowsim version, git SHA
    collected_sha256: str | None  # results.parquet as collected.json recorded it

    @property
    def digest(self) -> str:
        """SHA-256 over the jobs' identity digests in job order: one name for the whole sweep."""
        pairs = zip(self.jobs["job"], self.jobs["identity"], strict=True)
        lines = [f"{job}:{digest}" for job, digest in pairs]
        return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()

    @property
    def written(self) -> tuple[str, str]:
        """The first and last time a job's results were written (ISO 8601, UTC)."""
        times = sorted(self.jobs["written"].dropna())
        return (times[0], times[-1]) if times else ("unknown", "unknown")

    def sentence(self) -> str:
        """One line: the sweep, when, which flowsim, and its identity."""
        first, last = self.written
        when = first[:10] if first[:10] == last[:10] else f"{first[:10]} to {last[:10]}"
        versions = ", ".join(sorted({str(v) for v in self.jobs["flowsim_version"]}))
        shas = ", ".join(sorted({str(v)[:12] for v in self.jobs["git_sha"]}))
        # the folder's name, not its path: a pack is circulated, and a machine's paths mean nothing there
        return (f"Built from the sweep {self.sweep_dir.name}, {len(self.jobs)} jobs whose results were "
                f"written on {when} (UTC) by flowsim {versions} (git {shas}); sweep identity "
                f"{self.digest[:12]}.")


def sweep_provenance(sweep_dir: str | Path, jobs: Sequence[Any]) -> SweepProvenance:
    """Read the manifests and identities of ``jobs`` (folder names under ``sweep_dir``).

    Parameters
    ----------
    sweep_dir : path
        The sweep directory.
    jobs : sequence
        The jobs the pack shows, in order (the ``job`` column of the sweep's tables).

    Returns
    -------
    SweepProvenance

    Raises
    ------
    ConfigError
        If a job's ``manifest.json`` or ``metrics.json`` is missing or damaged (the field names it).
    """
    root = Path(sweep_dir)
    rows = []
    for job in jobs:
        folder = root / str(job)
        manifest = read_json(folder / "manifest.json", job_fix(folder))
        metrics = read_json(folder / "metrics.json", job_fix(folder))
        rows.append({"job": job, "written": manifest.get("created"),
                     "identity": (metrics.get("identity") or {}).get("digest") or "not recorded",
                     "replications": metrics.get("replications"),
                     "flowsim_version": (manifest.get("versions") or {}).get("flowsim") or "unknown",
                     "git_sha": manifest.get("git_sha") or "unknown"})
    try:
        collected = json.loads((root / COLLECTED_FILE).read_text()).get("results_sha256")
    except (OSError, ValueError):
        collected = None
    return SweepProvenance(root, pd.DataFrame(rows), collected)


def run_length_text(observed_days: float, warm_up_days: float | None = None) -> str:
    """``"365 days (one year)"`` observed per replication, ``"after a 182-day warm-up"`` when given."""
    if observed_days != observed_days:  # NaN: jobs observed different lengths
        text = "a run length that differs between jobs"
    else:
        text = f"{observed_days:,.0f} days"
        years = observed_days / 365.0
        if abs(years - round(years)) < 1e-9 and round(years) >= 1:
            text += " (one year)" if round(years) == 1 else f" ({round(years)} years)"
    if warm_up_days:
        text += f" after a {warm_up_days:,.0f}-day warm-up"
    return text


def _percent(share: Any) -> str:
    return f"{100 * float(share):.3g} %"


def _mean_stay(spec: Mapping[str, Any] | None, field: str) -> str:
    try:
        return f"{distribution_from_config(spec, field).mean:,.0f} days"
    except (ConfigError, TypeError, ValueError):
        return "not given"


def _money(value: Any) -> str:
    return f"GBP {float(value):,.0f}"


def assumptions_table(config: Mapping[str, Any], replications: int | None = None) -> pd.DataFrame:
    """The key assumptions of a resolved config, one readable row each.

    Parameters
    ----------
    config : Mapping
        A resolved flowsim config (a job's ``manifest.json`` ``config``, or a composed one).
    replications : int, optional
        Replications per option, added as a row.

    Returns
    -------
    pandas.DataFrame
        Columns ``assumption`` and ``value`` (text).
    """
    if isinstance(config, DictConfig):  # composed, not read back from a manifest: as the model reads it
        config = OmegaConf.to_container(config, resolve=True)
    rows: list[tuple[str, str]] = []
    arrivals = config.get("arrivals") or {}
    if arrivals.get("series_csv"):
        rows.append(("patients becoming discharge ready (NCTR)",
                     f"daily series from {arrivals['series_csv']}"))
    else:
        rows.append(("patients becoming discharge ready (NCTR)",
                     f"{float(arrivals.get('rate_per_day', 0)):,.4g} a day on average, varying by weekday "
                     "and month"))
    run = config.get("run") or {}
    start_date = date_value(run.get("start_date"), "run.start_date")
    shares = (config.get("pathways") or {}).get("shares") or {}
    rows.append(("pathway shares P0 / P1 / P2 / P3",
                 " / ".join(_percent(shares.get(p, 0)) for p in ("P0", "P1", "P2", "P3"))))
    for name, unit in (config.get("services") or {}).items():
        costs = []
        if unit.get("cost_per_occupied_day"):
            costs.append(f"{_money(unit['cost_per_occupied_day'])} per occupied day")
        tariff = unit.get("cost_per_bed_week")
        if isinstance(tariff, Mapping):
            tiered = tariff_from_config(tariff, f"services.{name}.cost_per_bed_week")
            costs.append(f"block {tiered.describe()}, used or not")
        elif tariff:
            costs.append(f"{_money(tariff)} per place per week, used or not")
        description = unit.get("description") or name
        availability = availability_from_config(unit, f"services.{name}", start_date)
        places = "; ".join([f"{unit.get('capacity')} places", *capacity_changes(availability, start_date)])
        rows.append((f"{name}: {description}",
                     f"{', '.join(unit.get('pathways') or [])}; {places}; mean stay "
                     f"{_mean_stay(unit.get('los_days'), f'services.{name}.los_days')}; "
                     f"{'; '.join(costs) or 'no cost counted'}"))
    after = (config.get("after_p2") or {}).get("shares") or {}
    if after:
        names = {"home": "home", "home_p1": "home with P1 care", "p2": "another P2 stay",
                 "p3": "care home (P3)", "readmission": "back to hospital", "death": "death"}
        rows.append(("after a P2 stay",
                     ", ".join(f"{names.get(k, k)} {_percent(v)}" for k, v in after.items())))
    readmission = (config.get("readmission") or {}).get("probability") or {}
    if readmission:
        rows.append(("readmitted within 30 days, by pathway",
                     ", ".join(f"{p} {_percent(v)}" for p, v in readmission.items())))
    housing = config.get("housing") or {}
    if housing.get("enabled"):
        coordinators = housing.get("coordinators") or {}
        rows.append(("housing barriers", f"{_percent(housing.get('barrier_probability', 0))} of patients; "
                     f"{coordinators.get('fte', 0)} housing coordinator(s); "
                     f"{len(housing.get('flats') or {})} step-down flat scheme(s)"))
    else:
        rows.append(("housing barriers", "not modelled"))
    rows.append(("cost of a delayed acute bed-day",
                 acute_bed_day_basis(config.get("costs") or {"acute_bed_day": 0}).describe()))
    warm, horizon = float(run.get("warm_up_days", 0)), float(run.get("horizon_days", 0))
    rows.append(("simulated time per replication",
                 f"from {run.get('start_date')}: {warm:,.0f} days of warm-up (not counted), "
                 f"{horizon - warm:,.0f} days observed, {float(run.get('cool_down_days', 0)):,.0f} days "
                 "more to follow the last delays to their end"))
    if replications is not None:
        rows.append(("replications per option (paired: the same patients in every option)",
                     str(replications)))
    rows.append(("random seed", str(config.get("seed"))))
    return pd.DataFrame(rows, columns=["assumption", "value"])


def write_config(config: Mapping[str, Any], path: str | Path, header: str = "") -> Path:
    """Write ``config`` as YAML (in its own key order) to ``path``; ``header`` as leading comments."""
    comments = "".join(f"# {line}\n" for line in header.splitlines())
    text = comments + yaml.safe_dump(dict(config), sort_keys=False)
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
