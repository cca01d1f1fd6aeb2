"""Plausibility limits on configuration values.

A value outside these limits is almost certainly a typo (an extra zero, ``inf``), and some would
exhaust memory or overflow dates long before a run could finish, so validation refuses them up front.
They are generous for a national model: England has about 10,000 patients becoming discharge ready
(NCTR) a day, about 100,000 general and acute beds, and runs of a few decades are the longest anyone
plans over. The README ("Configuration") lists them; change them here only with a reason.
"""

from __future__ import annotations

import datetime as dt
import math

__all__ = [
    "FIRST_START_DATE",
    "LAST_START_DATE",
    "MAX_CENSUS_WAITING",
    "MAX_COOL_DOWN_DAYS",
    "MAX_COST",
    "MAX_CV",
    "MAX_DURATION_DAYS",
    "MAX_EMPIRICAL_VALUES",
    "MAX_HORIZON_DAYS",
    "MAX_LOGNORMAL_SIGMA",
    "MAX_MULTIPLIER",
    "MAX_N_JOBS",
    "MAX_PLACES",
    "MAX_PREFERENCE",
    "MAX_RATE_PER_DAY",
    "MAX_REPLICATIONS",
    "MAX_SEED",
    "MAX_STAFF",
    "MAX_WEIBULL_SHAPE",
    "MEMORY_SHARE",
    "MIN_CV",
    "MIN_DURATION_DAYS",
    "MIN_LOGNORMAL_SIGMA",
    "MIN_WEIBULL_SHAPE",
]

# Arrivals: ten times England's ~10,000 NCTR a day (SitRep 2023), for any single day.
MAX_RATE_PER_DAY = 100_000.0
# Day-of-week and month multipliers of the base rate.
MAX_MULTIPLIER = 100.0
# Places in one unit, flat scheme, or the acute pool (England: ~100,000 G&A beds in all).
MAX_PLACES = 1_000_000
# Patients waiting per pathway in a warm-start census.
MAX_CENSUS_WAITING = 1_000_000
# A century: the longest run, and the end of the calendar years (pandas dates end in 2262).
MAX_HORIZON_DAYS = 36_525.0
# Following delays past the horizon: ten years is far beyond any delay (and keeps the end of the run
# inside pandas' calendar).
MAX_COOL_DOWN_DAYS = 3_652.0
FIRST_START_DATE = dt.date(1900, 1, 1)
LAST_START_DATE = dt.date(2100, 12, 31)
# Durations (days): every length of stay, delay and fix time, and every distribution's mean. The
# lower bound keeps gamma and lognormal tables away from underflow (a tenth of a second).
MAX_DURATION_DAYS = 36_525.0
MIN_DURATION_DAYS = 1e-6
# Spread of gamma and lognormal durations: sd between 0.001 and 10 times the mean. Outside that the
# quantile functions lose precision; use kind=fixed for a constant duration.
MIN_CV = 1e-3
MAX_CV = 10.0
MAX_LOGNORMAL_SIGMA = 5.0
MIN_LOGNORMAL_SIGMA = math.sqrt(math.log1p(MIN_CV**2))  # the sigma of an sd of MIN_CV times the mean
MIN_WEIBULL_SHAPE = 0.1
MAX_WEIBULL_SHAPE = 100.0
MAX_EMPIRICAL_VALUES = 1_000_000
# Pounds per occupied day, bed-week, flat-week, FTE-year or acute bed day.
MAX_COST = 10_000_000.0
# Housing coordinators (FTE) and caseload per FTE.
MAX_STAFF = 10_000
# Replications, parallel workers, unit preference ranks.
MAX_REPLICATIONS = 100_000
MAX_N_JOBS = 1_024
MAX_PREFERENCE = 1_000_000
# Seeds fit a signed 64-bit integer, so every table tool reads them back.
MAX_SEED = 2**63 - 1
# A run may use at most this share of the machine's memory (estimated before it starts).
MEMORY_SHARE = 0.8
