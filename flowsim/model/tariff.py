"""Tiered block-contract tariffs: the price of a place-week by unit size or by contract length.

``services.<unit>.cost_per_bed_week`` is a number (one price for every commissioned place-week, as
before) or a tiered tariff (care units in care homes toolkit, 2022, Tariffs section: larger units
spread fixed costs over more beds; short contracts amortise start-up and close-down)::

    cost_per_bed_week:
      by: places            # or contract_weeks
      tiers:                # the rate of the highest tier whose threshold is reached
        - {from: 1, per_bed_week: 1536}
        - {from: 10, per_bed_week: 1344}
        - {from: 20, per_bed_week: 1152}

The block is paid, as for a number, on the places the ``capacity_schedule`` commissions (closures,
absence and seasonal losses do not change the bill), for the part of the run that is observed.

* ``by: places``: each period of the schedule is priced by the places commissioned in it, so a surge
  that takes a unit from 10 to 20 places lowers the rate of all 20 while it lasts.
* ``by: contract_weeks``: places are added and removed last in, first out, and each block of places
  is priced by how many weeks it stays commissioned without a break: a unit open all run is one
  contract; a surge block (a step up, then back down; or a unit at 0 places with a dated schedule)
  is its own short contract. A block still commissioned when the run ends is taken as a contract of
  at least 52 weeks (assumption: standing units are commissioned a year at a time); time before the
  run starts is not known, so a block open from the start that closes during the run counts from
  the start.

Below the first threshold the first tier's rate applies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flowsim.model.bounds import MAX_COST, MAX_DURATION_DAYS, MAX_PLACES
from flowsim.model.errors import ConfigError
from flowsim.model.strict import closest
from flowsim.model.validate import real_number, whole_number

__all__ = ["ANNUAL_CONTRACT_WEEKS", "BY", "TieredTariff", "tariff_from_config"]

BY = ("places", "contract_weeks")
# Weeks a block still commissioned when the run ends is taken to be contracted for, at least.
ANNUAL_CONTRACT_WEEKS = 52.0
_KEYS = ("by", "tiers")
_TIER_KEYS = ("from", "per_bed_week")


@dataclass(frozen=True)
class TieredTariff:
    """A price per place-week that depends on the unit's places or its contract length.

    Parameters
    ----------
    by : str
        ``places`` or ``contract_weeks``.
    tiers : tuple of (float, float)
        ``(threshold, GBP per place-week)``, thresholds strictly ascending.
    """

    by: str
    tiers: tuple[tuple[float, float], ...]

    def rate_gbp_per_bed_week(self, amount: float) -> float:
        """The rate of the highest tier whose threshold ``amount`` reaches (the first tier below all)."""
        rate = self.tiers[0][1]
        for threshold, per_bed_week in self.tiers:
            if amount >= threshold:
                rate = per_bed_week
        return rate

    def describe(self) -> str:
        """The tariff in words: ``per place-week by places: GBP 1,536 from 1, GBP 1,344 from 10, ...``."""
        what = "places" if self.by == "places" else "contract weeks"
        parts = [f"GBP {rate:,.0f} from {threshold:g}" for threshold, rate in self.tiers]
        return f"per place-week by {what}: " + ", ".join(parts)

    def block_cost_gbp(self, steps: Sequence[tuple[float, float]], w0: float, w1: float,
                       end_days: float) -> float:
        """The block cost over the observed window [``w0``, ``w1``).

        Parameters
        ----------
        steps : sequence of (float, float)
            ``(day, places from then on)``, sorted, the first at day 0: the commissioned places.
        w0, w1 : float
            The observed window, days from the start.
        end_days : float
            When the simulation stops: a block commissioned until then is still open.

        Returns
        -------
        float
            GBP.
        """
        periods = [(t, steps[i + 1][0] if i + 1 < len(steps) else end_days, places)
                   for i, (t, places) in enumerate(steps)]
        if self.by == "places":
            return sum(places * _overlap_days(a, b, w0, w1) / 7.0 * self.rate_gbp_per_bed_week(places)
                       for a, b, places in periods)
        total, below = 0.0, 0.0
        for level in sorted({p for _, _, p in periods if p > 0}):  # a band of places, last in first out
            for a, b in _runs([(a, b) for a, b, places in periods if places >= level]):
                weeks = (b - a) / 7.0
                if b >= end_days:
                    weeks = max(weeks, ANNUAL_CONTRACT_WEEKS)
                rate = self.rate_gbp_per_bed_week(weeks)
                total += (level - below) * _overlap_days(a, b, w0, w1) / 7.0 * rate
            below = level
        return total


def _overlap_days(a: float, b: float, w0: float, w1: float) -> float:
    return max(0.0, min(b, w1) - max(a, w0))


def _runs(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Adjacent spans (sorted) joined into unbroken runs."""
    runs: list[tuple[float, float]] = []
    for a, b in spans:
        if runs and runs[-1][1] == a:
            runs[-1] = (runs[-1][0], b)
        else:
            runs.append((a, b))
    return runs


def tariff_from_config(value: Any, field: str) -> float | TieredTariff:
    """``cost_per_bed_week`` as a number (GBP per place-week) or a :class:`TieredTariff`.

    Parameters
    ----------
    value : Any
        A number, or a mapping ``{by: places | contract_weeks, tiers: [{from, per_bed_week}, ...]}``.
    field : str
        The dotted path, for messages.

    Raises
    ------
    ConfigError
        One line naming the field: unknown key, ``by`` not one of the two, no tiers, thresholds not
        positive or not strictly ascending, a rate that is not a plausible amount.
    """
    if not isinstance(value, Mapping):
        return real_number(value, field, maximum=MAX_COST)
    _known(value, _KEYS, field)
    by = value.get("by")
    if by not in BY:
        raise ConfigError(f"{field}.by", f"must be places or contract_weeks, got {by!r}",
                          "price by the unit's places (by: places) or by weeks commissioned "
                          "(by: contract_weeks)")
    tiers = value.get("tiers")
    if isinstance(tiers, str | bytes | Mapping) or not isinstance(tiers, Sequence) or not tiers:
        raise ConfigError(f"{field}.tiers", f"must be a non-empty list, got {tiers!r}",
                          "list tiers such as [{from: 1, per_bed_week: 1536}, "
                          "{from: 10, per_bed_week: 1344}]")
    parsed: list[tuple[float, float]] = []
    for i, tier in enumerate(tiers):
        where = f"{field}.tiers[{i}]"
        if not isinstance(tier, Mapping):
            raise ConfigError(where, f"must be a mapping {{from, per_bed_week}}, got {tier!r}",
                              "write each tier as {from: threshold, per_bed_week: GBP}")
        _known(tier, _TIER_KEYS, where)
        for key in _TIER_KEYS:
            if tier.get(key) is None:
                raise ConfigError(f"{where}.{key}", "is missing", f"give {where}.{key} a value")
        threshold = (whole_number(tier["from"], f"{where}.from", 1, MAX_PLACES) if by == "places"
                     else real_number(tier["from"], f"{where}.from", maximum=MAX_DURATION_DAYS / 7.0))
        if threshold <= 0:
            raise ConfigError(f"{where}.from", f"must be above 0, got {tier['from']!r}",
                              "give the number of weeks from which the tier's rate applies")
        if parsed and threshold <= parsed[-1][0]:
            raise ConfigError(f"{where}.from", f"({threshold:g}) must be above the tier before it "
                              f"({parsed[-1][0]:g})", "list tiers in ascending order of from")
        parsed.append((float(threshold),
                       real_number(tier["per_bed_week"], f"{where}.per_bed_week", maximum=MAX_COST)))
    return TieredTariff(str(by), tuple(parsed))


def _known(mapping: Mapping[str, Any], keys: tuple[str, ...], field: str) -> None:
    for key in mapping:
        if key not in keys:
            guess = closest(str(key), keys)
            fix = f"did you mean {field}.{guess}?" if guess else f"use {', '.join(keys)}"
            raise ConfigError(f"{field}.{key}", f"unknown key {str(key)!r}", fix)
