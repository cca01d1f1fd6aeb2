"""The fitted system as a Hydra system config, in the style of ``configs/system/default.yaml``.

The file starts from the default system (``defaults: [default, _self_]``) and replaces what the
extract gives: arrivals and their profiles, pathway and after-P2 shares, readmission probabilities,
and for each unit in the extract its pathways, capacity (the peak occupancy seen: a lower bound),
length of stay (the best AIC fit flowsim can use) and preference. What an extract cannot give
(costs, the P0 admin delay, readmission timing, housing, run length) stays as in the default system,
and a default unit the extract does not have is removed (``capacity: 0``) unless the fitted system
still sends patients to its pathway with no unit of the extract to take them. Every fitted value
carries a comment naming its source. Saved as ``DIR/system/NAME.yaml``, it runs with
``flowsim --config-dir DIR system=NAME``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from flowsim.calibration.estimate import Estimate
from flowsim.calibration.fit import ExtractFit, UnitFit
from flowsim.calibration.los_fit import CONFIG_KEYS
from flowsim.model.availability import MONTHS, WEEKDAYS
from flowsim.model.compose import load_config
from flowsim.model.scenario import AFTER_P2_OUTCOMES, PATHWAYS

__all__ = ["FITTED_HEADER", "LOS_KEYS", "rounded_shares", "system_yaml"]

# How a system file written by flowsim-calibrate fit begins (its second line, after the package line).
FITTED_HEADER = "# The system fitted by flowsim-calibrate from "

# Every parameter key a los_days mapping may carry; those the fitted kind does not use are nulled
# when the default system's unit of the same name sets them (Hydra merges the two mappings).
LOS_KEYS = ("mean", "sd", "mu", "sigma", "shape", "scale", "value", "values", "low", "high")


def _num(x: float, digits: int = 4) -> str:
    """``x`` to ``digits`` significant figures, never in exponent form (YAML reads it as a number)."""
    return np.format_float_positional(float(x), precision=digits, unique=True, fractional=False, trim="-")


def rounded_shares(values: Mapping[str, float], decimals: int = 4) -> dict[str, float]:
    """Shares rounded to ``decimals``, the rounding remainder put on the largest so they sum to 1."""
    out = {k: round(float(v), decimals) for k, v in values.items()}
    largest = max(out, key=lambda k: out[k])
    out[largest] = round(out[largest] + 1.0 - sum(out.values()), decimals)
    return out


def _ci(e: Estimate, fmt: str = ".3g", scale: float = 1.0, unit: str = "") -> str:
    return e.text(fmt, scale, unit)


def _arrivals(fit: ExtractFit) -> list[str]:
    a, src, rate = fit.arrivals, fit.source, fit.arrivals.rate_per_day
    lines = ["arrivals:",
             f"  # fitted from {src}: new NCTR episodes a day over {a.days} whole days from "
             f"{a.first_day.isoformat()} (n={a.arrivals:,};",
             f"  # {a.readmissions:,} readmissions left out), 95 % CI {_num(rate.low)}-{_num(rate.high)}",
             f"  rate_per_day: {_num(rate.value)}"]
    if a.day_of_week_fitted:
        lines.append(f"  # Monday first. Fitted from {src}: mean count each weekday / mean of the seven; "
                     "95 % CIs")
        lines.append("  # " + ", ".join(f"{d} {e.low:.3g}-{e.high:.3g}"
                                         for d, e in zip(WEEKDAYS, a.day_of_week, strict=True)))
    else:
        lines.append(f"  # Monday first. Not fitted: {src} covers under two weeks, so 1.0 each")
    lines.append("  day_of_week_multipliers: [" + ", ".join(_num(e.value, 3) for e in a.day_of_week) + "]")
    if a.month_fitted:
        lines.append(f"  # January first. Fitted from {src}: mean count each calendar month / mean of "
                     "the 12; 95 % CIs")
        for half in (slice(0, 6), slice(6, 12)):
            lines.append("  # " + ", ".join(f"{m} {e.low:.3g}-{e.high:.3g}"
                                             for m, e in zip(MONTHS[half], a.month[half], strict=True)))
    else:
        lines.append(f"  # January first. Not fitted: {src} does not cover all 12 calendar months, so "
                     "1.0 each (no seasonality)")
    lines.append("  month_multipliers: [" + ", ".join(_num(e.value, 3) for e in a.month) + "]")
    lines.append("  series_csv: null")
    return lines


def _share_block(name: str, shares: Mapping[str, Estimate], names: tuple[str, ...], comment: str
                 ) -> list[str]:
    values = rounded_shares({k: shares[k].value for k in names})
    lines = [f"{name}:", f"  # {comment}:"]
    lines.append("  # " + ", ".join(f"{k} {_ci(shares[k], '.1f', 100, ' %')}" for k in names))
    lines.append("  shares: {" + ", ".join(f"{k}: {_num(values[k])}" for k in names) + "}")
    return lines


def _los(unit: UnitFit, base_los: Mapping[str, Any] | None, src: str) -> list[str]:
    best = unit.best
    if best is None:
        why = "no completed stay" if not unit.fits else "no fit within flowsim's limits"
        if base_los is not None:
            return [f"    # los_days: not fitted ({why} in {src}): the default system's is kept"]
        mean = float(unit.stays["los_days"].mean())
        return [f"    # NOT FITTED ({why} in {src}): exponential with the mean time seen so far, "
                "a lower bound",
                f"    los_days: {{kind: exponential, mean: {_num(max(mean, 0.5))}}}"]
    others = [f for f in unit.fits if f is not best]  # already in AIC order
    runner = (f"next {others[0].family} +{others[0].aic - best.aic:.1f}" if others else "one family")
    mean = Estimate(best.params["mean"], *best.ci["mean"])
    comment = (f"    # fitted from {src} (n={best.n:,} stays, {best.n_censored:,} open at the extract date; "
               f"AIC best of {len(unit.fits)}, {runner};\n"
               f"    # KM-KS distance {best.km_ks:.3f}); mean {mean.text('.3g', unit=' d')}")
    params = [f"{k}: {_num(best.params[k], 5)}" for k in CONFIG_KEYS[best.family]]
    used = set(CONFIG_KEYS[best.family])
    nulls = [f"{k}: null" for k in LOS_KEYS if base_los and base_los.get(k) is not None and k not in used]
    return [comment, "    los_days: {" + ", ".join([f"kind: {best.family}", *params, *nulls]) + "}"]


def _unit(unit: UnitFit, base: Mapping[str, Any] | None, src: str) -> list[str]:
    lines = [f"  {unit.key}:"]
    if base is None:
        lines.append(f"    description: {json.dumps(unit.name + ' (from the extract)')}")
    lines.append(f"    pathways: [{', '.join(unit.pathways)}]   # fitted from {src}: pathways of its stays")
    lines.append(f"    capacity: {unit.peak_occupancy}   # LOWER BOUND: peak occupancy in {src} "
                 f"({unit.n:,} stays); check against contracts")
    lines.extend(_los(unit, (base or {}).get("los_days"), src))
    lines.append(f"    preference: {unit.preference}   # assumption: units with more first stays are "
                 "tried first")
    if base is None:
        lines.append("    cost_per_occupied_day: 0   # NOT IN THE EXTRACT: give your price (GBP per "
                     "occupied day)")
    return lines


def system_yaml(fit: ExtractFit, base: DictConfig | None = None) -> str:
    """The system config text for ``fit``.

    Parameters
    ----------
    fit : ExtractFit
        From :func:`~flowsim.calibration.fit.fit_extract`.
    base : DictConfig, optional
        The composed default configuration (whose ``services`` the file builds on); default
        :func:`~flowsim.model.compose.load_config` with no overrides.

    Returns
    -------
    str
        YAML with a comment on every fitted value.
    """
    base = base if base is not None else load_config()
    services = OmegaConf.to_container(base.services, resolve=True) or {}
    src = fit.source
    start = fit.arrivals.first_day.isoformat()
    lines = [
        "# @package _global_",
        f"{FITTED_HEADER}{src}: {fit.episodes:,} NCTR episodes from {start},",
        f"# extract date {fit.extract_date.isoformat(sep=' ', timespec='minutes')}.",
        "# What an extract cannot give (costs, the P0 admin delay, readmission timing, housing, run length)",
        "# comes from the default system: check it.",
    ]
    if fit.synthetic:
        lines.append("# SYNTHETIC: the extract was made by flowsim-calibrate example, not from real "
                     "patients.")
    lines += ["defaults:", "  - default        # the default system for what the extract does not give...",
              "  - _self_         # ...replaced by the values fitted below", ""]
    lines += [*_arrivals(fit), ""]
    lines += [*_share_block("pathways", fit.pathways.shares, PATHWAYS,
                            f"fitted from {src} (n={fit.pathways.n:,} episodes, readmissions included), "
                            "95 % CIs"), ""]
    lines.append("services:")
    for unit in fit.units.values():
        lines += _unit(unit, services.get(unit.key), src)
    unserved = set(fit.unserved_pathways)
    for key, unit in services.items():
        if key in fit.units:
            continue
        kept = sorted(unserved & set(unit.get("pathways") or ()))
        if kept:
            lines.append(f"  # {key}: kept from the default system: patients go to {', '.join(kept)} but "
                         f"{src} has no stay there; give your own unit")
        else:
            lines.append(f"  {key}: {{capacity: 0}}   # in the default system, not in {src}: removed")
    lines.append("")
    if fit.after_p2.shares:
        lines += [*_share_block("after_p2", fit.after_p2.shares, AFTER_P2_OUTCOMES,
                                f"fitted from {src} (n={fit.after_p2.n:,} P2 episodes with an outcome), "
                                "95 % CIs"), ""]
    else:
        lines += [f"# after_p2: no P2 episode in {src} has an outcome: the default system's shares are "
                  "kept", ""]
    readmit = fit.readmission.shares
    if readmit:
        lines += ["readmission:",
                  f"  # fitted from {src}: readmitted within 30 days, episodes with a known flag (P2: not "
                  "ending in readmission or death), 95 % CIs:",
                  "  # " + ", ".join(f"{k} {_ci(e, '.1f', 100, ' %')} (n={e.n:,})"
                                     for k, e in readmit.items())]
        kept = [p for p in PATHWAYS if p not in readmit]
        if kept:
            lines.append(f"  # {', '.join(kept)}: no known flag in the extract, the default system's kept")
        values = ", ".join(f"{k}: {_num(e.value)}" for k, e in readmit.items())
        lines.append(f"  probability: {{{values}}}")
    else:
        lines.append(f"# readmission: no readmitted_30d flags in {src}: the default system's probabilities "
                     "are kept")
    return "\n".join(lines) + "\n"
