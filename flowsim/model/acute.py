"""The acute bed pool (optional): emergency admissions, clinical stays, and beds blocked by delays.

With this module on, ``arrivals`` are emergency admissions to a finite pool of acute beds. Each
admitted patient has a clinical stay, then becomes NCTR and keeps the bed until they leave it, so
delayed discharges block admissions: when every bed is occupied new admissions wait (ED boarding).
With it off, NCTR arrivals are exogenous, as in the core model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flowsim.model.bounds import MAX_PLACES
from flowsim.model.distribution_config import distribution_from_config, given_distribution
from flowsim.model.distributions import Distribution, Fixed
from flowsim.model.errors import ConfigError
from flowsim.model.validate import flag

__all__ = ["ACUTE_OFF", "AcuteSpec", "acute_from_config"]


@dataclass(frozen=True)
class AcuteSpec:
    """Validated acute-bed settings."""

    enabled: bool
    beds: int
    clinical_los: Distribution


ACUTE_OFF = AcuteSpec(False, 0, Fixed(0.0))


def acute_from_config(section: Mapping[str, Any] | None) -> AcuteSpec:
    """Validate the ``acute`` section of a config."""
    section = section or {}
    if not flag(section.get("enabled"), "acute.enabled"):
        # Off, but what is given is still checked: 0 beds and an unset stay are the defaults.
        beds = section.get("beds", 0)
        if isinstance(beds, bool) or not isinstance(beds, int) or not 0 <= beds <= MAX_PLACES:
            raise ConfigError("acute.beds", f"must be a whole number from 0 to {MAX_PLACES:,}, got {beds!r}",
                              "give the number of acute beds, or leave it at 0 while acute is off")
        if given_distribution(section.get("clinical_los_days")):
            distribution_from_config(section["clinical_los_days"], "acute.clinical_los_days")
        return ACUTE_OFF
    beds = section.get("beds")
    if isinstance(beds, bool) or not isinstance(beds, int) or not 1 <= beds <= MAX_PLACES:
        raise ConfigError("acute.beds", f"must be a whole number from 1 to {MAX_PLACES:,}, got {beds!r}",
                          "give the number of acute beds, or set acute.enabled=false")
    return AcuteSpec(True, beds, distribution_from_config(section.get("clinical_los_days"),
                                                         "acute.clinical_los_days"))
