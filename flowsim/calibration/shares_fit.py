"""Shares from an extract: pathways, after-P2 outcomes and readmission within 30 days, with CIs.

Each share is a proportion with its Wilson 95 % interval (:func:`~flowsim.calibration.estimate.wilson`).

- Pathway shares: over every episode, readmissions included (the model draws a readmitted patient's
  pathway from the same shares).
- After-P2 shares: over P2 episodes with an ``after_p2`` outcome. The outcome is that of the first P2
  stay; ``p2`` (a further P2 stay) is one of them, as in the model, where each stay ends with an
  outcome drawn afresh.
- Readmission probability by pathway: over episodes whose ``readmitted_30d`` is known (0 or 1). For
  P2, episodes that ended in readmission or death straight from the bed are left out: the model
  covers those with the after-P2 shares and applies the probability to the others. The model's
  time to readmission is separate (``readmission.time_to_readmission_days``, 0-30 days by default).
"""

from __future__ import annotations

from dataclasses import dataclass

from flowsim.calibration.estimate import Estimate, wilson
from flowsim.calibration.extract import Extract
from flowsim.model.scenario import AFTER_P2_OUTCOMES, PATHWAYS

__all__ = ["ShareFit", "fit_after_p2", "fit_pathway_shares", "fit_readmission"]


@dataclass(frozen=True)
class ShareFit:
    """Shares (or probabilities) by name, with the number of episodes behind them.

    Attributes
    ----------
    shares : dict of str to Estimate
        By name, in the model's order; empty when the extract holds no such episode.
    n : int
        Episodes counted (for readmission: the smallest of the pathways' counts is in each Estimate).
    """

    shares: dict[str, Estimate]
    n: int


def _shares(values: list[str], names: tuple[str, ...]) -> ShareFit:
    n = len(values)
    if n == 0:
        return ShareFit({}, 0)
    return ShareFit({name: wilson(sum(v == name for v in values), n) for name in names}, n)


def fit_pathway_shares(extract: Extract) -> ShareFit:
    """P0-P3 shares over every episode."""
    return _shares(extract.episodes["pathway"].tolist(), PATHWAYS)


def fit_after_p2(extract: Extract) -> ShareFit:
    """After-P2 outcome shares over P2 episodes with an outcome."""
    e = extract.episodes
    return _shares(e.loc[(e["pathway"] == "P2") & e["after_p2"].notna(), "after_p2"].tolist(),
                   AFTER_P2_OUTCOMES)


def fit_readmission(extract: Extract) -> ShareFit:
    """Probability of readmission within 30 days by pathway (pathways without a known flag are left out)."""
    e = extract.episodes
    known = e["readmitted_30d"].notna() & ~e["after_p2"].isin(["readmission", "death"])
    out = {}
    for pathway in PATHWAYS:
        flags = e.loc[known & (e["pathway"] == pathway), "readmitted_30d"]
        if len(flags):
            out[pathway] = wilson(int((flags == 1.0).sum()), len(flags))
    return ShareFit(out, int(known.sum()))
