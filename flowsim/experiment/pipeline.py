"""One scenario end to end: config -> Scenario -> replications -> metrics -> files.

This is the plain, importable function behind the ``flowsim`` command; notebooks and tests call it
directly with a config and an output directory. Finished replications are checkpointed as they
complete, under the run's identity (:mod:`flowsim.experiment.identity`), so rerunning the same command after
an
interruption only runs what is missing, and a run whose config, input files, code or seed differ
never reuses them. One run at a time writes a folder (:mod:`flowsim.experiment.lock`), and when it finishes
the
folder's top-level files are exactly the ones it produced (:mod:`flowsim.experiment.run_folder`).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf

from flowsim.experiment.arrow_tables import arrays_table, rows_table
from flowsim.experiment.checkpoint import Checkpoints, ReplicationRecord
from flowsim.experiment.identity import RunIdentity, describe_changes, run_identity
from flowsim.experiment.io import ParquetConcat, manifest, write_arrow, write_json, write_rows_csv
from flowsim.experiment.lock import folder_lock
from flowsim.experiment.precision import PrecisionReport, PrecisionSettings, check_precision, next_batch
from flowsim.experiment.preflight import RunPlan, check_output_dir, check_run
from flowsim.experiment.run_folder import MARKER, earlier_results, remove_results, remove_temporary
from flowsim.experiment.run_tables import PatientRecords, census_table
from flowsim.experiment.runner import iter_replications, run_replication
from flowsim.measures.kpi_table import (
    HEADLINE_KPIS,
    SUMMARY_COLUMNS,
    ReplicationKpis,
    group_means,
    summary_rows,
)
from flowsim.model.cost_basis import cost_record
from flowsim.model.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ScenarioRun", "replication_record", "run_scenario"]


@dataclass(frozen=True)
class ScenarioRun:
    """What :func:`run_scenario` produced and where it put it.

    The tables are kept without pandas (a run never imports it); :attr:`replications`, :attr:`summary`
    and :attr:`units` give them as frames, made when first asked for.
    """

    scenario: Scenario
    output_dir: Path
    replication_kpis: ReplicationKpis  # one row per replication, one column per KPI
    summary_rows: list[dict[str, Any]]  # per KPI: kpi, n, mean, sd, ci_low, ci_high, half_width_pct
    unit_rows: list[dict[str, Any]]  # per unit and replication
    files: dict[str, Path]
    precision: PrecisionReport
    resumed: int  # replications loaded from checkpoints instead of simulated
    identity: RunIdentity | None = None
    note: str | None = None  # what differed from the earlier results in the folder, if anything

    @cached_property
    def replications(self) -> pd.DataFrame:
        """One row per replication, one column per KPI (``replications.parquet``)."""
        return self.replication_kpis.to_pandas()

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per KPI: ``kpi, n, mean, sd, ci_low, ci_high, half_width_pct`` (``summary.csv``)."""
        import pandas as pd

        return pd.DataFrame(self.summary_rows)

    @cached_property
    def units(self) -> pd.DataFrame:
        """One row per unit and replication (``units.parquet``)."""
        import pandas as pd

        return pd.DataFrame(self.unit_rows)


@dataclass(frozen=True)
class _RecordTask:
    """Picklable: one replication, checkpointed where it ran; its KPIs and units come back.

    Saving in the worker keeps the big tables (census, patients) out of the pipe to the parent and
    writes them in parallel; the parent streams them from the checkpoints into its files.
    """

    scenario: Scenario
    census: bool
    patients: bool
    store: Checkpoints

    def __call__(self, replication: int) -> ReplicationRecord:
        patients = self.store.path(replication, "patients") if self.patients else None
        record = replication_record(self.scenario, replication, census=self.census, patients=patients)
        self.store.save(record)  # as it finishes: an interruption keeps it
        return dataclasses.replace(record, census=None)


def replication_record(scenario: Scenario, replication: int, *, census: bool = True,
                       patients: str | Path | None = None) -> ReplicationRecord:
    """Simulate one replication and turn it into tables.

    The episode log is measured part by part as the run goes, never held whole; with ``patients``
    (a path) its records are written there as they come
    (:class:`~flowsim.experiment.run_tables.PatientRecords`). The record's ``patients`` is None either way.
    """
    writer = PatientRecords(patients, scenario, replication) if patients is not None else None
    try:
        out = run_replication(scenario, replication, keep_episodes=False, on_part=writer)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.close()
    return ReplicationRecord(
        replication=replication,
        kpis=out.metrics.kpis,
        units=[{"replication": replication, **u} for u in out.metrics.units],
        census=census_table(out.metrics, replication) if census else None,
        patients=None,
    )


def run_scenario(config: DictConfig | Mapping[str, Any], output_dir: str | Path,
                 overrides: Sequence[str] = (), progress: bool = True,
                 job: int | None = None) -> ScenarioRun:
    """Validate ``config``, run (or resume) its replications and write every output file.

    Parameters
    ----------
    config : DictConfig or Mapping
        A composed flowsim configuration.
    output_dir : path
        Where to write ``metrics.json``, ``patients.parquet``, ``census.parquet``,
        ``replications.parquet``, ``summary.csv``, ``units.parquet``, ``manifest.json`` and the
        per-replication ``checkpoints/``.
    overrides : sequence of str
        The command-line overrides, recorded in the manifest.
    progress : bool
        Show a progress bar over replications.
    job : int, optional
        The Hydra multirun job number, recorded so ``flowsim-collect`` can match the folder with the
        sweep's ``sweep.json``.

    Returns
    -------
    ScenarioRun

    Raises
    ------
    ConfigError
        Before anything runs: an invalid config (:func:`flowsim.experiment.preflight.check_run`), an output
        directory that cannot be written, or one that another live flowsim run is writing.
    """
    plain = OmegaConf.to_container(config, resolve=True) if isinstance(config, DictConfig) else dict(
        config)
    plan = check_run(plain)  # raises ConfigError before anything runs
    identity = run_identity(plain)  # after validation: the input files it hashes exist
    out = check_output_dir(output_dir, "output_dir")
    with folder_lock(out):
        remove_temporary(out)  # of killed runs: nobody else writes here while we hold the lock
        return _run_locked(plain, plan, identity, out, overrides, progress, job)


def _describe_earlier(finished: tuple[dict[str, Any], dict[str, Any] | None] | None,
                      identity: RunIdentity, store: Checkpoints) -> str | None:
    """What made the earlier results (else checkpoints) in the folder, if not this identity; or None."""
    if finished is not None:
        stored, config = finished
    else:
        stored, config = store.latest_other_identity(), None
    if stored is None or stored.get("digest") == identity.digest:
        return None
    if not stored:
        return "an earlier flowsim that did not record what made its results"
    return f"a different {describe_changes(stored, identity, config)}"


def _run_locked(plain: dict[str, Any], plan: RunPlan, identity: RunIdentity, out: Path,
                overrides: Sequence[str], progress: bool, job: int | None) -> ScenarioRun:
    scenario, settings = plan.scenario, plan.precision
    want_census, want_patients = plan.census, plan.patients
    store = Checkpoints(out / "checkpoints", identity)
    task = _RecordTask(scenario, want_census, want_patients, store)
    finished = earlier_results(out)
    earlier = _describe_earlier(finished, identity, store)
    if finished is not None and finished[0].get("digest") != identity.digest:
        # from here until this run finishes, the folder must not look as if it held its results
        remove_results(out)

    if scenario.initial_census.patients and (scenario.replications > 1 or settings.adaptive):
        # a warm start's distributions need it (their CDFs): imported once, before any workers fork
        import scipy.special  # noqa: F401
    names = [name for name, wanted in (("census", want_census), ("patients", want_patients)) if wanted]
    with _TablesInOrder(out, store, names) as tables:  # an error discards the partial tables
        done = _replicate(task, tables, settings, earlier, out, progress)
        assert done.table is not None and done.report is not None
        table, report = done.table, done.report
        ordered = [done.records[r] for r in sorted(done.records)]
        summary = summary_rows(table)
        units = [row for record in ordered for row in record.units]
        # metrics.json marks a finished, consistent set: it goes first here and is written last
        (out / MARKER).unlink(missing_ok=True)
        files = {
            "replications": write_arrow(arrays_table(table.columns), out / "replications.parquet"),
            "summary": write_rows_csv(summary, SUMMARY_COLUMNS, out / "summary.csv"),
            "units": write_arrow(rows_table(units), out / "units.parquet"),
        }
        files.update(tables.close())  # written as the replications finished; in place now
    job_entry = {} if job is None else {"job": job}
    files["manifest"] = write_json({**manifest(plain, overrides, scenario), **job_entry,
                                    "identity": identity.summary()}, out / "manifest.json")
    # e.g. patients.parquet of an earlier run with outputs.patients=true: not this run's
    remove_results(out, keep=[p.name for p in files.values()])
    headline = {row["kpi"]: row for row in summary}
    files["metrics"] = write_json({
        "replications": len(ordered),
        "seed": scenario.seed,
        **job_entry,
        "identity": identity.summary(),
        "observed_days": scenario.observed_days,
        "kpis": {k: float(row["mean"]) for k, row in headline.items()},
        "headline": {k: {c: headline[k][c] for c in SUMMARY_COLUMNS if c not in ("kpi", "n")}
                     for k in HEADLINE_KPIS if k in headline},
        # the delayed days valued on the run's basis and on every listed one (compare without rerunning)
        "acute_bed_day_cost": cost_record(scenario.acute_bed_day_basis, scenario.acute_bed_day_cost,
                                          scenario.bed_day_bases,
                                          float(headline["delayed_days_total"]["mean"]),
                                          float(headline["delayed_days_per_year"]["mean"])),
        "precision": {"target_half_width_pct": report.target_half_width_pct,
                      "half_width_pct": report.half_width_pct, "met": report.met},
        "units": group_means(units, "unit", drop=("replication",)),
    }, out / MARKER)
    store.remove_others()  # the folder now holds this run only (see README, "Nothing is lost")
    return ScenarioRun(scenario, out, table, summary, units, files, report, done.resumed, identity,
                       done.note)


@dataclass
class _Replicated:
    records: dict[int, ReplicationRecord]
    resumed: int  # loaded from checkpoints instead of simulated
    note: str | None  # what differed from the earlier results in the folder
    table: ReplicationKpis | None = None  # the records' KPIs, once they are all in
    report: PrecisionReport | None = None


def _replicate(task: _RecordTask, tables: _TablesInOrder, settings: PrecisionSettings,
               earlier: str | None, out: Path, progress: bool) -> _Replicated:
    """Resume what the checkpoints hold, run the rest, and more while the precision asks for it."""
    done = _Replicated({}, 0, None)
    wanted = task.scenario.replications
    while True:
        missing = []
        for r in range(wanted):
            if r in done.records:
                continue
            saved = task.store.load(r, census=task.census, patients=task.patients, tables=False)
            if saved is None:
                missing.append(r)
            else:
                done.records[r] = saved
                done.resumed += 1
                tables.finished(r)
        if earlier and done.note is None:
            done.note = (f"earlier results in {out} were made with {earlier}; " + (
                f"rerunning {len(missing)} replication(s)" if missing else
                # back to a configuration whose checkpoints are all there (another was tried between)
                f"replaced by this configuration's {done.resumed} replication(s) kept in its checkpoints, "
                "none rerun"))
            print(f"flowsim: note: {done.note}", file=sys.stderr)
        elif not earlier and (lacking := _lacking(task, missing)):
            print(f"flowsim: note: {lacking}", file=sys.stderr)
        with closing(iter_replications(task, missing, task.scenario.n_jobs, progress)) as records:
            for record in records:  # closing: an interruption here stops the workers at once
                done.records[record.replication] = record
                tables.finished(record.replication)  # the parent writes while the workers simulate
        done.table = ReplicationKpis.of((r, done.records[r].kpis) for r in sorted(done.records))
        done.report = check_precision(done.table, settings)
        extra = next_batch(done.report, settings) if settings.adaptive else 0
        if not extra:
            return done
        wanted += extra


def _lacking(task: _RecordTask, missing: list[int]) -> str | None:
    """Why finished replications of this identity run again: their checkpoints lack a table now asked
    for (``outputs.patients=true`` after a run without it), or None if none does."""
    lacks = {r: task.store.lacking(r, census=task.census, patients=task.patients) for r in missing}
    names = sorted({f"{name}.parquet" for tables in lacks.values() for name in tables})
    rerun = sum(1 for tables in lacks.values() if tables)
    if not rerun:
        return None
    setting = " and ".join(f"outputs.{name.removesuffix('.parquet')}=true" for name in names)
    return (f"{rerun} finished replication(s) were saved without {' and '.join(names)}, which {setting} "
            "asks for: rerunning them")


class _TablesInOrder:
    """The run's census and patient tables, appended from the checkpoints in replication order.

    A replication's part is written as soon as every earlier one is, so the parent writes the big
    tables while the workers are still simulating rather than after them, one part at a time.
    """

    def __init__(self, out: Path, store: Checkpoints, names: Sequence[str]) -> None:
        self._joined = {name: ParquetConcat(out / f"{name}.parquet") for name in names}
        self._store = store
        self._finished: set[int] = set()
        self._next = 0

    def finished(self, replication: int) -> None:
        """Replication ``replication`` is checkpointed: write every part now in order."""
        self._finished.add(replication)
        while self._next in self._finished:
            for name, joined in self._joined.items():
                joined.append(self._store.path(self._next, name))
            self._finished.discard(self._next)
            self._next += 1

    def close(self) -> dict[str, Path]:
        """Put every table in place; returns their paths by name."""
        return {name: joined.close() for name, joined in self._joined.items()}

    def abort(self) -> None:
        """Discard the partial tables (nothing, once they are in place)."""
        for joined in self._joined.values():
            joined.abort()

    def __enter__(self) -> _TablesInOrder:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is not None:
            self.abort()
