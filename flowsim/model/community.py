"""Community referrals: people referred from home, not from a hospital bed, to the same housing help.

Coordinators and flats rarely serve hospital patients alone: most of Nottingham City Homes' referrals
came from community teams, and 43 % of Roseberry Mansions' from community health teams. A community
referral takes a coordinator's caseload place (or waits for one, by the coordinators' policy) for the
fix of its home and the follow-up after it; a share of them also need a flat while the fix is done
and they regain confidence, taken from the same flats, first come first served with hospital
patients. They never occupy an acute bed, so they count in the caseload and the flats' occupancy but
not as NCTR episodes. Their arrivals are a Poisson process; each referral's draws come from its own
named streams by referral number, so hospital patients' numbers do not change when they are added.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import numpy as np
import simpy

from flowsim.model.draws import cumulative_shares
from flowsim.model.housing_runtime import HousingRuntime
from flowsim.model.process import start_now
from flowsim.model.rng import UniformRows

__all__ = ["COMMUNITY_COLUMNS", "Community"]

# The community table: the housing columns of the episode log, one row per referral.
COMMUNITY_COLUMNS = ("barrier", "fix_route", "fix_referred_day", "fix_start_day", "fix_done_day",
                     "case_closed_day", "flat", "flat_slot", "flat_admit_day", "flat_leave_day")
_DRAWS = ("barrier_type", "fix", "flat", "reablement", "follow_up")


class Community:
    """The community referrals of one replication (nothing happens when their rate is 0)."""

    def __init__(self, env: simpy.Environment, housing: HousingRuntime,
                 generator: Callable[[str], np.random.Generator]) -> None:
        self.env = env
        self.housing = housing
        self.spec = housing.spec.community
        self._generator = generator
        self._records: list[list[float]] = []
        shares = self.spec.type_shares
        self.type_cum = cumulative_shares(shares) if shares else housing.type_cum

    def start(self, end_days: float) -> None:
        """Start the referrals, until ``end_days``."""
        if self.spec.rate_per_day > 0 and self.housing.spec.enabled:
            self.env.process(self._arrivals(end_days))

    def _arrivals(self, end_days: float) -> Generator[simpy.Event, None, None]:
        gaps = self._generator("community/arrivals")
        draws = UniformRows([self._generator(f"community/{name}") for name in _DRAWS])
        day = 0.0
        while True:
            day += float(gaps.exponential(1.0 / self.spec.rate_per_day))
            if day >= end_days:
                return
            yield self.env.timeout(day - self.env.now)
            record = [np.nan] * len(COMMUNITY_COLUMNS)
            self._records.append(record)
            start_now(self._case(record, *draws.next()))

    def _case(self, record: list[float], u_type: float, u_fix: float, u_flat: float, u_reablement: float,
              u_follow_up: float) -> Generator[simpy.Event, object, None]:
        env, housing, spec = self.env, self.housing, self.housing.spec
        barrier = next(i for i, c in enumerate(self.type_cum) if u_type < c)
        record[0:3] = [barrier, np.nan, env.now]
        coordinated = housing.coordinators.take()
        if not coordinated and spec.when_full == "wait" and housing.coordinators.capacity > 0:
            yield housing.coordinators.wait()
            coordinated = True
        record[1], record[3] = int(coordinated), env.now
        kind = spec.types[barrier]
        fix_days = float((kind.fix_coordinated if coordinated else kind.fix_uncoordinated).ppf(u_fix))
        done_day, done = env.now + fix_days, env.timeout(fix_days)
        if u_flat < self.spec.flat_share:
            request = housing.flats.request(-1, None, "community")
            yield done | request
            if request.triggered:
                (index, slot), stay = request.value, float(self.spec.reablement.ppf(u_reablement))
                record[6:9] = [index, slot, env.now]
                scheme = housing.flats.schemes[index]
                ready = done & env.timeout(stay)
                # an enforced maximum stay: they leave then (home, the fix going on), as hospital guests
                yield ready | env.timeout(scheme.max_stay_days) if scheme.enforce_max_stay else ready
                record[9] = env.now
                housing.flats.move_out((index, slot), counted=False)
            else:
                housing.flats.withdraw(request)
        if not done.processed:
            yield done
        record[4] = done_day
        follow_up = float(spec.follow_up.ppf(u_follow_up)) if coordinated else 0.0
        if follow_up > 0:
            yield env.timeout(max(0.0, done_day + follow_up - env.now))
        record[5] = env.now
        if coordinated:
            housing.coordinators.release()

    def table(self) -> dict[str, np.ndarray]:
        """One row per referral, columns :data:`COMMUNITY_COLUMNS` (NaN: not reached; -1: none)."""
        values = np.array(self._records, dtype=np.float64).reshape(-1, len(COMMUNITY_COLUMNS))
        table = {name: values[:, i] for i, name in enumerate(COMMUNITY_COLUMNS)}
        for name in ("barrier", "fix_route", "flat", "flat_slot"):
            table[name] = np.nan_to_num(table[name], nan=-1.0).astype(np.int64)
        return table
