"""Queueing-theory reference results: what a planner can work out without simulating.

A discharge planner sizing a pool of step-down beds or reablement packages often starts on the back
of an envelope: "we get 10 discharge-ready patients a day needing a P2 bed, they stay 36 days, how
many beds keep the average wait in an acute bed under two days?" Under simple assumptions (Poisson
arrivals, exponential stays, first come first served, no calendars) the answer is a classical
formula: Erlang C for the chance of waiting and the mean wait, the infinite-server (M/G/inf) result
for how many places are busy when nobody ever waits, and Little's law linking arrivals, time in a
state and the number in it (the mean NCTR census is the NCTR arrival rate times the mean delay).

flowsim checks itself against these results (``tests/test_queueing.py``): where the assumptions
hold, the simulation must reproduce them within sampling error; where they do not (lognormal stays,
weekday calendars, blocking after service, seasonality), the formulas remain a useful first
estimate and a sanity check on simulated numbers.

Notation: ``arrival_rate`` is lambda (patients per day), ``mean_service`` is E[S] (days),
``servers`` is c (beds or packages), ``offered_load`` is a = lambda * E[S] (Erlangs: the mean number
of places that would be busy with unlimited capacity) and rho = a / c is the utilisation.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = [
    "erlang_b",
    "erlang_c",
    "infinite_server_occupancy",
    "infinite_server_pmf",
    "infinite_server_variance",
    "littles_law_L",
    "littles_law_W",
    "mmc_mean_in_queue",
    "mmc_mean_wait",
    "mmc_mean_wait_given_wait",
    "mmc_wait_quantile",
    "mmc_wait_survival",
    "offered_load",
    "servers_for_wait_probability",
    "utilisation",
]


def _check_servers(servers: int) -> int:
    if isinstance(servers, bool) or int(servers) != servers or servers < 1:
        raise ValueError(f"servers must be a whole number >= 1, got {servers!r}")
    return int(servers)


def _check_non_negative(value: float, name: str) -> float:
    value = float(value)
    if not value >= 0.0:  # also rejects NaN
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    return value


def _check_positive(value: float, name: str) -> float:
    value = float(value)
    if not value > 0.0:  # also rejects NaN
        raise ValueError(f"{name} must be a number > 0, got {value!r}")
    return value


def offered_load(arrival_rate: float, mean_service: float) -> float:
    """Offered load a = lambda * E[S], in Erlangs.

    Parameters
    ----------
    arrival_rate : float
        Arrivals per day (lambda), >= 0.
    mean_service : float
        Mean length of stay in days (E[S]), >= 0.

    Returns
    -------
    float
        The mean number of places busy if capacity were unlimited.
    """
    return _check_non_negative(arrival_rate, "arrival_rate") * _check_non_negative(
        mean_service, "mean_service")


def utilisation(arrival_rate: float, mean_service: float, servers: int) -> float:
    """Utilisation rho = lambda * E[S] / c of a pool of ``servers`` places (>= 1: unstable).

    Parameters
    ----------
    arrival_rate : float
        Arrivals per day (lambda).
    mean_service : float
        Mean length of stay in days (E[S]).
    servers : int
        Number of places (c), >= 1.

    Returns
    -------
    float
        The long-run fraction of places busy when rho < 1.
    """
    return offered_load(arrival_rate, mean_service) / _check_servers(servers)


def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang B: probability that all ``servers`` are busy in M/M/c/c (blocked calls are lost).

    Computed with the stable recursion ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))``, which
    never forms factorials or powers and is accurate for thousands of servers.

    Parameters
    ----------
    servers : int
        Number of servers c, >= 1.
    offered_load : float
        Offered load a = lambda * E[S] in Erlangs, >= 0.

    Returns
    -------
    float
        B(c, a) in [0, 1].
    """
    c = _check_servers(servers)
    a = _check_non_negative(offered_load, "offered_load")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(servers: int, offered_load: float) -> float:
    """Erlang C: probability that an arrival has to wait in an M/M/c queue.

    Obtained from Erlang B by ``C = c B / (c - a (1 - B))``, so it inherits the stability of the
    Erlang-B recursion (valid for c in the hundreds or thousands). By PASTA this is also the
    long-run fraction of time all places are busy.

    Parameters
    ----------
    servers : int
        Number of servers c (beds, packages), >= 1.
    offered_load : float
        Offered load a = lambda * E[S] in Erlangs, >= 0.

    Returns
    -------
    float
        C(c, a) in [0, 1]; 1.0 if ``a >= c`` (the queue is unstable and everyone waits eventually).

    Examples
    --------
    >>> round(erlang_c(1, 0.7), 12)  # M/M/1: the chance of waiting is rho
    0.7
    >>> round(erlang_c(5, 4.0), 4)
    0.5541
    """
    c = _check_servers(servers)
    a = _check_non_negative(offered_load, "offered_load")
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def mmc_mean_wait(arrival_rate: float, mean_service: float, servers: int) -> float:
    """Mean wait in queue Wq of M/M/c FCFS (the Erlang-C delay formula).

    ``Wq = C(c, a) / (c mu - lambda)`` with ``mu = 1 / E[S]``: here, the mean days a discharge-ready
    patient spends in the acute bed waiting for a place.

    Parameters
    ----------
    arrival_rate : float
        Arrivals per day (lambda), >= 0.
    mean_service : float
        Mean length of stay in days (E[S]), > 0.
    servers : int
        Number of places (c), >= 1.

    Returns
    -------
    float
        Wq in days over all arrivals (those served at once count as 0); ``inf`` if rho >= 1.
    """
    lam = _check_non_negative(arrival_rate, "arrival_rate")
    s = _check_positive(mean_service, "mean_service")
    c = _check_servers(servers)
    drain = c / s - lam  # rate at which the queue empties when all places are busy
    if drain <= 0.0:
        return math.inf
    return erlang_c(c, lam * s) / drain


def mmc_mean_wait_given_wait(arrival_rate: float, mean_service: float, servers: int) -> float:
    """Mean wait of those who do wait in M/M/c: ``1 / (c mu - lambda)`` (``inf`` if rho >= 1).

    Parameters
    ----------
    arrival_rate : float
        Arrivals per day (lambda), >= 0.
    mean_service : float
        Mean length of stay in days (E[S]), > 0.
    servers : int
        Number of places (c), >= 1.

    Returns
    -------
    float
        E[Wq | Wq > 0] in days: the conditional wait is exponential with this mean.
    """
    lam = _check_non_negative(arrival_rate, "arrival_rate")
    s = _check_positive(mean_service, "mean_service")
    drain = _check_servers(servers) / s - lam
    return math.inf if drain <= 0.0 else 1.0 / drain


def mmc_mean_in_queue(arrival_rate: float, mean_service: float, servers: int) -> float:
    """Mean number waiting Lq of M/M/c (Little's law: ``Lq = lambda Wq``); ``inf`` if rho >= 1.

    Parameters
    ----------
    arrival_rate : float
        Arrivals per day (lambda), >= 0.
    mean_service : float
        Mean length of stay in days (E[S]), > 0.
    servers : int
        Number of places (c), >= 1.

    Returns
    -------
    float
        Time-average number of patients waiting (here: the mean NCTR census of this pathway).
    """
    wq = mmc_mean_wait(arrival_rate, mean_service, servers)
    lam = float(arrival_rate)
    if math.isinf(wq):
        return math.inf if lam > 0 else 0.0
    return lam * wq


def mmc_wait_survival(t: float, arrival_rate: float, mean_service: float, servers: int) -> float:
    """P(Wq > t) in M/M/c FCFS: ``C(c, a) exp(-(c mu - lambda) t)`` for t >= 0.

    Parameters
    ----------
    t : float
        Wait threshold in days; for ``t < 0`` the probability is 1.
    arrival_rate : float
        Arrivals per day (lambda), >= 0.
    mean_service : float
        Mean length of stay in days (E[S]), > 0.
    servers : int
        Number of places (c), >= 1.

    Returns
    -------
    float
        Probability that a patient waits longer than ``t`` days (1.0 for every t if rho >= 1).
    """
    t = float(t)
    if math.isnan(t):
        raise ValueError("t must be a number, got nan")
    lam = _check_non_negative(arrival_rate, "arrival_rate")
    s = _check_positive(mean_service, "mean_service")
    c = _check_servers(servers)
    if t < 0.0:
        return 1.0
    drain = c / s - lam
    if drain <= 0.0:
        return 1.0
    return erlang_c(c, lam * s) * math.exp(-drain * t)


def mmc_wait_quantile(p: float, arrival_rate: float, mean_service: float, servers: int) -> float:
    """The ``p`` quantile of the wait Wq in M/M/c FCFS (``p=0.95``: a 95th percentile target).

    Parameters
    ----------
    p : float
        Probability in [0, 1).
    arrival_rate : float
        Arrivals per day (lambda), >= 0.
    mean_service : float
        Mean length of stay in days (E[S]), > 0.
    servers : int
        Number of places (c), >= 1.

    Returns
    -------
    float
        Smallest t with P(Wq <= t) >= p: 0 when at least a fraction ``p`` are placed at once,
        ``ln(C / (1 - p)) / (c mu - lambda)`` otherwise, ``inf`` if rho >= 1.
    """
    p = float(p)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"p must be in [0, 1), got {p!r}")
    lam = _check_non_negative(arrival_rate, "arrival_rate")
    s = _check_positive(mean_service, "mean_service")
    c = _check_servers(servers)
    drain = c / s - lam
    if drain <= 0.0:
        return math.inf
    wait_probability = erlang_c(c, lam * s)
    if wait_probability <= 1.0 - p:
        return 0.0
    return math.log(wait_probability / (1.0 - p)) / drain


def servers_for_wait_probability(arrival_rate: float, mean_service: float,
                                 target: float, max_servers: int = 100_000) -> int:
    """Fewest places c for which the Erlang-C probability of waiting is at most ``target``.

    Parameters
    ----------
    arrival_rate : float
        Arrivals per day (lambda), >= 0.
    mean_service : float
        Mean length of stay in days (E[S]), >= 0.
    target : float
        Acceptable probability of waiting, in (0, 1].
    max_servers : int
        Give up (``ValueError``) beyond this many places.

    Returns
    -------
    int
        The smallest c >= 1 with ``erlang_c(c, a) <= target``.
    """
    a = offered_load(arrival_rate, mean_service)
    target = float(target)
    if not 0.0 < target <= 1.0:
        raise ValueError(f"target must be in (0, 1], got {target!r}")
    # Erlang B by recursion, continued server by server: O(c) overall.
    b = 1.0
    for c in range(1, _check_servers(max_servers) + 1):
        b = a * b / (c + a * b)
        if a < c and c * b / (c - a * (1.0 - b)) <= target:
            return c
    raise ValueError(f"no c <= {max_servers} reaches a wait probability of {target}")


def infinite_server_occupancy(arrival_rate: float, mean_service: float) -> float:
    """Mean number busy in M/G/inf: ``lambda E[S]``, whatever the length-of-stay distribution.

    With Poisson arrivals and enough places that nobody waits, the number in service is Poisson
    with this mean (the insensitivity of the infinite-server queue). A planner reads it as the
    number of beds the pathway really uses on an average day.

    Parameters
    ----------
    arrival_rate : float
        Arrivals per day (lambda), >= 0.
    mean_service : float
        Mean length of stay in days (E[S]), >= 0.

    Returns
    -------
    float
        The mean (and, being Poisson, also the variance) of the occupancy.
    """
    return offered_load(arrival_rate, mean_service)


def infinite_server_variance(arrival_rate: float, mean_service: float) -> float:
    """Variance of the M/G/inf occupancy: equal to its mean ``lambda E[S]`` (Poisson).

    Parameters
    ----------
    arrival_rate : float
        Arrivals per day (lambda), >= 0.
    mean_service : float
        Mean length of stay in days (E[S]), >= 0.

    Returns
    -------
    float
        Variance of the number busy at a random time.
    """
    return offered_load(arrival_rate, mean_service)


def infinite_server_pmf(n: int | np.ndarray, arrival_rate: float,
                        mean_service: float) -> float | np.ndarray:
    """P(N = n) for the M/G/inf occupancy N ~ Poisson(lambda E[S]).

    Parameters
    ----------
    n : int or numpy.ndarray
        Occupancy value(s).
    arrival_rate : float
        Arrivals per day (lambda), >= 0.
    mean_service : float
        Mean length of stay in days (E[S]), >= 0.

    Returns
    -------
    float or numpy.ndarray
        Poisson probabilities, same shape as ``n``.
    """
    pmf = stats.poisson.pmf(n, offered_load(arrival_rate, mean_service))
    return float(pmf) if np.ndim(pmf) == 0 else np.asarray(pmf, dtype=float)


def littles_law_L(arrival_rate: float, mean_time: float) -> float:
    """Little's law: mean number in a state, ``L = lambda W``.

    Holds for any stable system, any distributions, any queue discipline: e.g. the mean NCTR census
    is the rate patients become NCTR times their mean delay.

    Parameters
    ----------
    arrival_rate : float
        Rate of entering the state (per day), >= 0.
    mean_time : float
        Mean time spent in it (days), >= 0.

    Returns
    -------
    float
        Time-average number in the state.
    """
    return _check_non_negative(arrival_rate, "arrival_rate") * _check_non_negative(
        mean_time, "mean_time")


def littles_law_W(mean_number: float, arrival_rate: float) -> float:
    """Little's law solved for the mean time: ``W = L / lambda``.

    Parameters
    ----------
    mean_number : float
        Time-average number in the state, >= 0.
    arrival_rate : float
        Rate of entering it (per day), > 0.

    Returns
    -------
    float
        Mean time spent in the state (days).
    """
    return _check_non_negative(mean_number, "mean_number") / _check_positive(
        arrival_rate, "arrival_rate")
