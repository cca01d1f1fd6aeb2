"""What ``flowsim-calibrate fit`` writes and prints: the system config, two tables and a summary.

In the output folder: ``system/NAME.yaml`` (:mod:`~flowsim.calibration.system_config`), ``fits.csv``
(every length-of-stay fit of every unit: parameters with CIs, log-likelihood, AIC, ΔAIC, the
Kaplan–Meier KS distance, stays and open stays) and ``estimates.csv`` (every other estimate with its
95 % CI). The figure sheet is drawn by :mod:`flowsim.reporting.fit_plots`. Before anything is
written, the system config is composed and validated as ``flowsim`` would (:func:`checked_system`),
so that a fit whose system would not run leaves no file behind.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pandas as pd

from flowsim.calibration.estimate import Estimate
from flowsim.calibration.fit import ExtractFit
from flowsim.calibration.system_config import system_yaml
from flowsim.model.availability import MONTHS, WEEKDAYS
from flowsim.model.compose import load_config
from flowsim.model.scenario import Scenario, build_scenario

__all__ = ["FITS_COLUMNS", "check_system", "checked_system", "estimates_table", "fits_table",
           "format_fit_summary", "write_outputs"]


# The columns of fits.csv, in order (an extract without unit stays gets them as a header alone).
FITS_COLUMNS = ("unit", "unit_name", "distribution", "rank", "parameters", "config", "mean_days",
                 "mean_days_low", "mean_days_high", "sd_days", "log_likelihood", "aic", "delta_aic",
                 "km_ks_distance", "n", "n_censored", "usable", "converged", "note")


def fits_table(fit: ExtractFit) -> pd.DataFrame:
    """One row per unit and family, best AIC first within each unit.

    An extract without unit stays (every episode P0) gives no row, but the columns all the same: a
    file of its header, which every CSV reader takes, not an empty one.
    """
    rows = []
    for unit in fit.units.values():
        for rank, f in enumerate(unit.fits, 1):
            rows.append({
                "unit": unit.key, "unit_name": unit.name, "distribution": f.family, "rank": rank,
                "parameters": "; ".join(f"{k}={v:.5g} ({f.ci[k][0]:.4g}-{f.ci[k][1]:.4g})"
                                        for k, v in f.params.items()),
                "config": "{" + ", ".join(f"{k}: {v:.5g}" if not isinstance(v, str) else f"{k}: {v}"
                                          for k, v in f.config.items()) + "}",
                "mean_days": f.params["mean"], "mean_days_low": f.ci["mean"][0],
                "mean_days_high": f.ci["mean"][1],
                "sd_days": f.params.get("sd", f.params["mean"]),  # an exponential's sd is its mean
                "log_likelihood": f.log_likelihood, "aic": f.aic, "delta_aic": f.delta_aic,
                "km_ks_distance": f.km_ks, "n": f.n, "n_censored": f.n_censored,
                "usable": not f.notes, "converged": f.converged, "note": "; ".join(f.notes),
            })
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=list(FITS_COLUMNS))


def estimates_table(fit: ExtractFit) -> pd.DataFrame:
    """Every estimate other than lengths of stay: its config key, value, 95 % CI and count."""
    rows: list[tuple[str, Estimate, str]] = []
    a = fit.arrivals
    rows.append(("arrivals.rate_per_day", a.rate_per_day, "new NCTR episodes a day"))
    weekly = "" if a.day_of_week_fitted else ": not fitted"
    seasonal = "" if a.month_fitted else ": not fitted"
    rows += [(f"arrivals.day_of_week_multipliers[{i}]", e, d + weekly)
             for i, (d, e) in enumerate(zip(WEEKDAYS, a.day_of_week, strict=True))]
    rows += [(f"arrivals.month_multipliers[{i}]", e, m + seasonal)
             for i, (m, e) in enumerate(zip(MONTHS, a.month, strict=True))]
    rows += [(f"pathways.shares.{k}", e, "share of episodes") for k, e in fit.pathways.shares.items()]
    rows += [(f"after_p2.shares.{k}", e, "share of P2 outcomes") for k, e in fit.after_p2.shares.items()]
    rows += [(f"readmission.probability.{k}", e, "readmitted within 30 days")
             for k, e in fit.readmission.shares.items()]
    nan = math.nan
    rows += [(f"services.{u.key}.capacity", Estimate(u.peak_occupancy, nan, nan, u.n),
              "peak occupancy (lower bound)") for u in fit.units.values()]
    return pd.DataFrame([{"parameter": k, "value": e.value, "low": e.low, "high": e.high, "n": e.n, "what": w}
                         for k, e, w in rows])


def check_system(directory: str | Path, name: str) -> Scenario:
    """Compose ``system=NAME`` from ``directory`` as ``flowsim --config-dir DIR`` would, and validate it.

    Raises
    ------
    flowsim.model.errors.ConfigError
        If the written system is not a valid flowsim configuration.
    """
    search = f"hydra.searchpath=[file://{Path(directory).resolve()}]"
    return build_scenario(load_config([search, f"system={name}"]))


def checked_system(fit: ExtractFit, name: str = "fitted") -> str:
    """The system config text of ``fit``, checked by :func:`check_system` before it is written anywhere.

    It is composed from a temporary folder as ``system/NAME.yaml``, so that a system that would not
    run leaves no file behind (beside tables that describe it).

    Raises
    ------
    flowsim.model.errors.ConfigError
        (or an OmegaConf or Hydra error) If the text is not a valid flowsim system.
    """
    text = system_yaml(fit)
    with tempfile.TemporaryDirectory(prefix="flowsim-fit-") as folder:
        (Path(folder) / "system").mkdir()
        (Path(folder) / "system" / f"{name}.yaml").write_text(text, encoding="utf-8")
        check_system(folder, name)
    return text


def write_outputs(fit: ExtractFit, directory: str | Path, name: str = "fitted", system_text: str | None = None
                  ) -> dict[str, Path]:
    """Write ``system/NAME.yaml``, ``fits.csv`` and ``estimates.csv`` into ``directory``.

    Parameters
    ----------
    fit : ExtractFit
        The fit.
    directory : str or Path
        The output folder (created if needed).
    name : str
        The system file's name, without ``.yaml``.
    system_text : str, optional
        The system file's text, if already made (by :func:`checked_system`); default
        :func:`~flowsim.calibration.system_config.system_yaml` of ``fit``.

    Returns
    -------
    dict of str to pathlib.Path
        ``system``, ``fits`` and ``estimates``.
    """
    out = Path(directory)
    (out / "system").mkdir(parents=True, exist_ok=True)
    paths = {"system": out / "system" / f"{name}.yaml", "fits": out / "fits.csv",
             "estimates": out / "estimates.csv"}
    paths["system"].write_text(system_yaml(fit) if system_text is None else system_text, encoding="utf-8")
    fits_table(fit).to_csv(paths["fits"], index=False)
    estimates_table(fit).to_csv(paths["estimates"], index=False)
    return paths


def _pct(shares: dict[str, Estimate]) -> str:
    return "  ".join(f"{k} {e.value * 100:.1f} %" for k, e in shares.items()) or "none in the extract"


def format_fit_summary(fit: ExtractFit) -> str:
    """The printed summary: counts, arrivals, shares and a line per unit with its best fit."""
    a = fit.arrivals
    tag = " (SYNTHETIC: made by flowsim, not real patients)" if fit.synthetic else ""
    lines = [
        f"Fitted {fit.source}{tag}",
        f"  {fit.episodes:,} NCTR episodes from {a.first_day.isoformat()}; extract date "
        f"{fit.extract_date.isoformat(sep=' ', timespec='minutes')}",
        "",
        f"Arrivals    {a.rate_per_day.text('.4g')} a day ({a.readmissions:,} readmissions left out)",
        "  weekday   " + ("  ".join(f"{d} {e.value:.2f}"
                                    for d, e in zip(WEEKDAYS, a.day_of_week, strict=True))
                         if a.day_of_week_fitted else "not fitted (1.0)"),
        "  month     " + ("  ".join(f"{m} {e.value:.2f}" for m, e in zip(MONTHS, a.month, strict=True))
                         if a.month_fitted else "not fitted (1.0): the extract covers under 12 months"),
        f"Pathways    {_pct(fit.pathways.shares)}",
        f"After P2    {_pct(fit.after_p2.shares)}",
        f"Readmitted  {_pct(fit.readmission.shares)}  (within 30 days)",
        "",
    ]
    header = (f"{'unit':<18} {'stays':>7} {'open':>6} {'peak':>5}  {'best fit':<12} {'mean d (95 % CI)':<20} "
              f"{'next (ΔAIC)':<20} {'KM-KS':>6}")
    lines += [header, "-" * len(header)]
    for unit in fit.units.values():
        best = unit.best
        counts = f"{unit.key:<18} {unit.n:>7,} {unit.n_open:>6,} {unit.peak_occupancy:>5}"
        if best is None:
            lines.append(f"{counts}  not fitted")
            continue
        low, high = best.ci["mean"]
        runner = next((f for f in unit.fits if f is not best), None)
        nxt = f"{runner.family} (+{runner.delta_aic - best.delta_aic:.1f})" if runner else "-"
        mean = f"{best.params['mean']:.1f} ({low:.1f}-{high:.1f})"
        lines.append(f"{counts}  {best.family:<12} {mean:<20} {nxt:<20} {best.km_ks:>6.3f}")
    if fit.zero_length_stays:
        lines.append(f"\n{fit.zero_length_stays:,} completed stays of 0 days fitted as half a day.")
    if fit.notes:
        lines += ["", "Notes:", *(f"- {n}" for n in fit.notes)]
    return "\n".join(lines)
