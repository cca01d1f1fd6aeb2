"""The layout of a patient episode's random draws and the codes the journey uses.

Each episode draws one uniform number per named attribute (its pathway, its length of stay, its
housing barrier, ...), each from its own named stream; durations are then sampled by inverse
transform. Keeping the list here, in one place, keeps the streams stable when the model grows:
a new attribute is appended, never inserted.
"""

from __future__ import annotations

from itertools import accumulate

__all__ = [
    "AFTER_DEATH",
    "AFTER_HOME",
    "AFTER_HOME_P1",
    "AFTER_P2",
    "AFTER_P3",
    "AFTER_READMISSION",
    "DRAWS",
    "END_CARE_HOME",
    "END_DEATH",
    "END_HOME",
    "END_READMISSION",
    "P0",
    "P1",
    "P2",
    "P3",
    "U_ACUTE_LOS",
    "U_ADMIN",
    "U_AFTER",
    "U_ARRANGE",
    "U_BARRIER",
    "U_BTYPE",
    "U_CLIN",
    "U_EFFECT",
    "U_FIX",
    "U_FLAT_OFFER",
    "U_FOLLOW_UP",
    "U_LOS",
    "U_MOVE_ON",
    "U_ONWARD",
    "U_PATHWAY",
    "U_RDELAY",
    "U_REABLE",
    "U_READMIT",
    "U_REFERRAL",
    "cumulative_shares",
]

# Per-episode uniform draws, in this order (one named stream each; housing's are drawn even when
# housing is off, so switching it on changes no other number).
# Indices into a draw vector (U_*), pathway codes (P0-P3), episode endings (END_*), after-P2 outcomes.
DRAWS = ("pathway", "admin_delay", "los", "after_p2", "onward_los", "readmit", "readmit_delay",
         "clinical_los", "barrier", "barrier_type", "referral", "fix", "reablement", "acute_los",
         "arrangement", "flat_offer", "move_on", "scheme_effect", "follow_up")
(U_PATHWAY, U_ADMIN, U_LOS, U_AFTER, U_ONWARD, U_READMIT, U_RDELAY, U_CLIN, U_BARRIER, U_BTYPE, U_REFERRAL,
 U_FIX, U_REABLE, U_ACUTE_LOS, U_ARRANGE, U_FLAT_OFFER, U_MOVE_ON, U_EFFECT, U_FOLLOW_UP) = range(len(DRAWS))
P0, P1, P2, P3 = range(4)
END_HOME, END_CARE_HOME, END_DEATH, END_READMISSION = range(4)
AFTER_HOME, AFTER_HOME_P1, AFTER_P2, AFTER_P3, AFTER_READMISSION, AFTER_DEATH = range(6)


def cumulative_shares(shares: tuple[float, ...]) -> list[float]:
    """Cumulative shares with the last set to exactly 1 (categorical draws by bisection)."""
    cum = list(accumulate(shares))
    cum[-1] = 1.0  # guard against rounding: u < 1 always lands in a category
    return cum
