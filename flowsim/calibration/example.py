"""A SYNTHETIC patient-level extract, made by flowsim itself: for trying ``fit`` and for testing it.

The rows are simulated patients, not real ones. :func:`synthetic_extract` runs the model on a known
scenario (by default the default system scaled to a tenth of its arrivals and capacity), keeps the
episodes that became NCTR in an extract window of ``days`` days after the warm-up, and writes them in
the extract schema (:mod:`flowsim.calibration.extract`) with calendar dates. The extract is cut at the
end of the window, so stays still running then are left open, as in a real extract. Every row has
``is_synthetic`` = true, and :func:`write_synthetic_extract` refuses a file name without "synthetic".

Two things the event log cannot say are set in the scenario so that the truth is recoverable: a
further P2 stay (after-P2 outcome ``p2``) continues in the same bed and the log keeps only the whole
stay, so that outcome's share is moved to ``home``; and dates are rounded to the minute.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from flowsim.model.bounds import FIRST_START_DATE, LAST_START_DATE, MAX_SEED
from flowsim.model.compose import load_config
from flowsim.model.errors import ConfigError
from flowsim.model.journey import simulate
from flowsim.model.scenario import Scenario, build_scenario

__all__ = ["SyntheticExtract", "example_config", "shipped_extract_csv", "synthetic_extract",
           "write_synthetic_extract"]

_COLUMNS = ("episode_id", "patient_id", "nctr_datetime", "acute_discharge_datetime", "pathway", "unit",
            "unit_start_datetime", "unit_ready_datetime", "unit_end_datetime", "onward_unit",
            "onward_start_datetime", "onward_end_datetime", "after_p2", "readmitted_30d", "is_readmission",
            "is_synthetic")
_MINUTES_PER_DAY = 1440


@dataclass(frozen=True)
class SyntheticExtract:
    """A synthetic extract and what made it.

    Attributes
    ----------
    rows : pandas.DataFrame
        The extract, columns in schema order, date-times as strings (blank when not reached).
    extract_date : datetime.datetime
        The end of the window, where open stays are cut.
    scenario : Scenario
        The simulated scenario: the truth a fit should recover.
    """

    rows: pd.DataFrame
    extract_date: dt.datetime
    scenario: Scenario


def shipped_extract_csv() -> Path:
    """Path of the small synthetic extract shipped with flowsim (``flowsim/data/synthetic_extract.csv``)."""
    return Path(__file__).resolve().parents[1] / "data" / "synthetic_extract.csv"


def example_config(days: int = 365, seed: int = 1, scale: float = 0.1, start: dt.date = dt.date(2025, 4, 1),
                   overrides: Sequence[str] = ()) -> DictConfig:
    """The composed config of the example: the default system (plus ``overrides``), scaled, windowed.

    Arrivals and every unit's capacity are multiplied by ``scale`` (capacities rounded, at least 1
    where there was any); the run starts a warm-up (``run.warm_up_days`` of the config) before
    ``start`` and ends ``days`` later, with no cool-down; the after-P2 ``p2`` share goes to ``home``.

    Raises
    ------
    ConfigError
        A bad override, or a ``days``, ``scale``, ``seed`` or ``start`` out of bounds (naming the option).
    """
    if days < 1:
        raise ConfigError("--days", f"must be at least 1, got {days}",
                          "give the extract's length in days, e.g. 365")
    if not (scale > 0 and math.isfinite(scale)):  # nan and inf: no rounding of a capacity to a count
        raise ConfigError("--scale", f"must be a finite number > 0, got {scale:g}",
                          "give e.g. 0.1 for a tenth of the default")
    if not 0 <= seed <= MAX_SEED:
        raise ConfigError("--seed", f"must be from 0 to {MAX_SEED:,}, got {seed}", "give e.g. 1")
    cfg = load_config([*overrides, f"seed={seed}"])
    build_scenario(cfg)  # the system as given (with the overrides): what fails after is the options'
    cfg.arrivals.rate_per_day = float(cfg.arrivals.rate_per_day) * scale
    for key, unit in cfg.services.items():
        capacity = int(unit.capacity)
        if not math.isfinite(capacity * scale):  # 1e308 x 400 beds: no whole number of places
            raise ConfigError("--scale", f"{scale:g} is out of range (services.{key}.capacity: {capacity:,} "
                              f"x {scale:g} is not a finite number)", "give a smaller scale, e.g. 0.1")
        unit.capacity = max(round(capacity * scale), 1) if capacity > 0 else 0
    warm_up = float(cfg.run.warm_up_days)
    cfg.run.start_date = (start - dt.timedelta(days=warm_up)).isoformat()
    cfg.run.horizon_days = warm_up + days
    cfg.run.cool_down_days = 0.0
    shares = cfg.after_p2.shares
    shares["home"] = float(shares.get("home", 0.0)) + float(shares.get("p2", 0.0))
    shares["p2"] = 0.0
    _check_options(cfg, days, scale, start)
    return cfg


def _check_options(config: DictConfig, days: int, scale: float, start: dt.date) -> None:
    """Name the option when the scaled, windowed config is out of bounds (the system as given was not)."""
    try:
        build_scenario(config)
    except ConfigError as error:
        warm_up = float(config.run.warm_up_days)
        if error.field == "run.start_date":  # the run starts a warm-up before the extract
            earliest, latest = (d + dt.timedelta(days=warm_up) for d in (FIRST_START_DATE, LAST_START_DATE))
            option, value, fix = "--start", start.isoformat(), (
                f"give a date from {earliest.isoformat()} to {latest.isoformat()} (the simulation starts "
                f"{warm_up:g} days earlier, for its warm-up)")
        elif error.field.startswith("run."):
            option, value, fix = "--days", f"{days:,}", "give fewer days, e.g. 365"
        else:  # arrivals and capacities are scaled
            option, value, fix = "--scale", f"{scale:g}", "give a smaller scale, e.g. 0.1"
        raise ConfigError(option, f"{value} is out of range ({error.field}: {error.problem})", fix) from None


def _stamps(days: np.ndarray, origin: np.datetime64) -> np.ndarray:
    """Day offsets as ``YYYY-MM-DDTHH:MM`` strings (rounded to the minute), blank for NaN."""
    out = np.full(days.shape, "", dtype=object)
    known = ~np.isnan(days)
    minutes = np.round(days[known] * _MINUTES_PER_DAY).astype("int64")
    out[known] = np.datetime_as_string(origin + minutes.astype("timedelta64[m]"), unit="m")
    return out


def synthetic_extract(days: int = 365, seed: int = 1, scale: float = 0.1,
                      start: dt.date = dt.date(2025, 4, 1),
                      overrides: Sequence[str] = ()) -> SyntheticExtract:
    """Simulate :func:`example_config` and write its episodes in the extract schema.

    Parameters
    ----------
    days : int
        Length of the extract window (NCTR dates from ``start`` for ``days`` days).
    seed : int
        The run's seed.
    scale : float
        Fraction of the default system's arrivals and capacity.
    start : datetime.date
        First day of the extract.
    overrides : sequence of str
        Further ``flowsim`` overrides, e.g. ``["services.ic_beds.los_days={kind: gamma, mean: 30, sd: 15}"]``.

    Returns
    -------
    SyntheticExtract
    """
    scenario = build_scenario(example_config(days, seed, scale, start, overrides))
    episodes = simulate(scenario, replication=0).episodes
    window_start, end = scenario.warm_up_days, scenario.horizon_days
    nctr = episodes["nctr_day"]
    keep = (nctr >= window_start) & (nctr < end)
    col = {name: episodes[name][keep] for name in episodes.columns}
    decoded = {name: episodes.decoded(name)[keep] for name in ("pathway", "unit", "onward_unit", "after_p2")}
    origin = np.datetime64(scenario.start_date.isoformat(), "m")
    service_end, leave = col["service_end_day"], col["unit_leave_day"]
    # Ready to leave before leaving (waiting in the bed for onward care): only P2 stays differ.
    ready = np.where(np.isnan(leave) | (service_end < leave), service_end, np.nan)
    # A readmission within 30 days is known only once 30 days have passed since the episode ended.
    known = col["end_day"] + 30.0 <= end
    rows = pd.DataFrame({
        "episode_id": [f"{p}-{e}" for p, e in zip(col["patient"].tolist(), col["episode"].tolist(),
                                                  strict=True)],
        "patient_id": col["patient"],
        "nctr_datetime": _stamps(nctr[keep], origin),
        "acute_discharge_datetime": _stamps(col["acute_leave_day"], origin),
        "pathway": decoded["pathway"],
        "unit": decoded["unit"],
        "unit_start_datetime": _stamps(col["unit_admit_day"], origin),
        "unit_ready_datetime": _stamps(ready, origin),
        "unit_end_datetime": _stamps(leave, origin),
        "onward_unit": decoded["onward_unit"],
        "onward_start_datetime": _stamps(col["onward_admit_day"], origin),
        "onward_end_datetime": _stamps(col["onward_leave_day"], origin),
        "after_p2": np.where(np.isnan(service_end), None, decoded["after_p2"]),
        "readmitted_30d": np.where(known, col["readmitted"].astype(str), ""),
        "is_readmission": (col["origin"] == episodes.code("origin", "readmission")).astype(int),
        "is_synthetic": "true",
    }, columns=list(_COLUMNS))
    rows = rows.iloc[np.argsort(nctr[keep], kind="stable")].reset_index(drop=True)
    extract_date = dt.datetime.combine(scenario.start_date, dt.time()) + dt.timedelta(days=end)
    return SyntheticExtract(rows, extract_date, scenario)


def write_synthetic_extract(path: str | Path, days: int = 365, seed: int = 1, scale: float = 0.1,
                            start: dt.date = dt.date(2025, 4, 1), overrides: Sequence[str] = ()
                            ) -> SyntheticExtract:
    """Write :func:`synthetic_extract` as CSV to ``path``, whose name must say "synthetic".

    Raises
    ------
    ConfigError
        A file name without "synthetic", a missing folder, a bad argument or override, or a system
        so small that the extract would hold no episode.
    """
    file = Path(path)
    if "synthetic" not in file.name.lower():
        raise ConfigError("OUT", f"{file.name!r} does not say it is synthetic",
                          "name the file e.g. synthetic_extract.csv, so nobody takes it for real data")
    if file.is_dir():
        raise ConfigError("OUT", f"{str(file)!r} is a folder, not a file",
                          f"give a file name, e.g. {file / 'synthetic_extract.csv'}")
    if not file.parent.is_dir():
        raise ConfigError("OUT", f"folder {str(file.parent)!r} does not exist",
                          "create it or give another path")
    made = synthetic_extract(days, seed, scale, start, overrides)
    if made.rows.empty:  # nothing to fit: flowsim-calibrate fit would refuse the file
        raise ConfigError("--scale", f"{scale:g} of the default system gives no NCTR episode in {days} days",
                          "give a larger --scale (0.1, the default, gives about 25 a day) or more --days")
    made.rows.to_csv(file, index=False)
    return made
