"""Unit tests of flowsim.theory against closed forms, published tables and independent formulas."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from flowsim import theory


def _erlang_b_direct(c: int, a: float) -> float:
    """Erlang B from its definition, in log space: (a^c / c!) / sum_k a^k / k!."""
    k = np.arange(c + 1)
    log_terms = k * math.log(a) - special.gammaln(k + 1)
    return float(math.exp(log_terms[-1] - special.logsumexp(log_terms)))


def _erlang_c_direct(c: int, a: float) -> float:
    """Erlang C from its definition, in log space."""
    k = np.arange(c)
    log_terms = k * math.log(a) - special.gammaln(k + 1)
    log_tail = c * math.log(a) - special.gammaln(c + 1) - math.log1p(-a / c)
    return float(math.exp(log_tail - np.logaddexp(special.logsumexp(log_terms), log_tail)))


# -- Erlang B and C -----------------------------------------------------------------------------------
@pytest.mark.parametrize("rho", [0.0, 0.1, 0.5, 0.8, 0.99])
def test_erlang_c_single_server_is_utilisation(rho):
    assert theory.erlang_c(1, rho) == pytest.approx(rho, abs=1e-15)


@pytest.mark.parametrize("rho", [0.2, 0.5, 0.9])
def test_erlang_c_two_servers_closed_form(rho):
    # M/M/2: C = 2 rho^2 / (1 + rho).
    assert theory.erlang_c(2, 2 * rho) == pytest.approx(2 * rho**2 / (1 + rho), rel=1e-12)


@pytest.mark.parametrize(("servers", "load", "expected"), [
    (5, 4.0, 0.5541),   # standard Erlang-C table value
    (10, 8.0, 0.4092),
    (2, 1.0, 1 / 3),
])
def test_erlang_c_table_values(servers, load, expected):
    assert theory.erlang_c(servers, load) == pytest.approx(expected, abs=5e-5)


@pytest.mark.parametrize(("servers", "load", "expected"), [
    (1, 1.0, 0.5),
    (10, 5.0, 0.018385),  # Erlang-B table
    (5, 4.0, 0.19907),
])
def test_erlang_b_table_values(servers, load, expected):
    assert theory.erlang_b(servers, load) == pytest.approx(expected, abs=5e-6)


@pytest.mark.parametrize(("servers", "load"), [(3, 2.5), (20, 16.0), (50, 45.0), (150, 140.0)])
def test_erlang_b_and_c_match_their_definitions(servers, load):
    assert theory.erlang_b(servers, load) == pytest.approx(_erlang_b_direct(servers, load),
                                                           rel=1e-10)
    assert theory.erlang_c(servers, load) == pytest.approx(_erlang_c_direct(servers, load),
                                                           rel=1e-10)


@pytest.mark.parametrize(("servers", "load"), [(200, 180.0), (500, 480.0), (1000, 999.0),
                                               (5000, 4900.0)])
def test_erlang_c_is_stable_for_hundreds_of_servers(servers, load):
    # a^c / c! overflows a float long before c = 200; the recursion must not.
    value = theory.erlang_c(servers, load)
    assert 0.0 < value < 1.0
    assert value == pytest.approx(_erlang_c_direct(servers, load), rel=1e-9)


def test_erlang_c_monotone_in_servers_and_load():
    by_servers = [theory.erlang_c(c, 40.0) for c in range(41, 80)]
    assert all(np.diff(by_servers) < 0)
    by_load = [theory.erlang_c(50, a) for a in np.linspace(1.0, 49.9, 60)]
    assert all(np.diff(by_load) > 0)
    assert all(theory.erlang_c(c, 7.5) > theory.erlang_b(c, 7.5) for c in range(8, 20))


@pytest.mark.parametrize(("servers", "load"), [(1, 1.0), (1, 3.0), (5, 5.0), (5, 7.2),
                                               (300, 300.0)])
def test_unstable_queue_always_waits(servers, load):
    assert theory.erlang_c(servers, load) == 1.0
    rate = load  # with E[S] = 1 day
    assert theory.mmc_mean_wait(rate, 1.0, servers) == math.inf
    assert theory.mmc_mean_wait_given_wait(rate, 1.0, servers) == math.inf
    assert theory.mmc_mean_in_queue(rate, 1.0, servers) == math.inf
    assert theory.mmc_wait_survival(100.0, rate, 1.0, servers) == 1.0
    assert theory.mmc_wait_quantile(0.5, rate, 1.0, servers) == math.inf


def test_no_load_no_wait():
    assert theory.erlang_c(3, 0.0) == 0.0
    assert theory.erlang_b(3, 0.0) == 0.0
    assert theory.mmc_mean_wait(0.0, 2.0, 3) == 0.0
    assert theory.mmc_mean_in_queue(0.0, 2.0, 3) == 0.0
    assert theory.mmc_wait_quantile(0.99, 0.0, 2.0, 3) == 0.0


# -- M/M/c waits --------------------------------------------------------------------------------------
def test_mm1_mean_wait_closed_form():
    # M/M/1: Wq = rho E[S] / (1 - rho).
    rate, mean_service = 0.8, 1.0
    assert theory.mmc_mean_wait(rate, mean_service, 1) == pytest.approx(0.8 / 0.2)
    assert theory.mmc_mean_in_queue(rate, mean_service, 1) == pytest.approx(0.8**2 / 0.2)


def test_mmc_mean_wait_erlang_formula():
    # 10 patients a day, 0.4-day stays, 5 places: Wq = C(5, 4) / (5 / 0.4 - 10).
    wq = theory.mmc_mean_wait(10.0, 0.4, 5)
    assert wq == pytest.approx(theory.erlang_c(5, 4.0) / 2.5, rel=1e-12)
    assert wq == pytest.approx(0.22165, abs=1e-5)
    assert wq == pytest.approx(theory.erlang_c(5, 4.0)
                               * theory.mmc_mean_wait_given_wait(10.0, 0.4, 5))
    # Planner's units: 36-day P2 stays, 0.25 NCTR patients a day, 10 beds (rho 0.9).
    assert theory.mmc_mean_wait(0.25, 36.0, 10) == pytest.approx(
        theory.erlang_c(10, 9.0) * 36.0 / (10 - 9.0), rel=1e-12)


def test_wait_survival_is_consistent_with_mean_and_quantile():
    rate, mean_service, servers = 10.0, 0.4, 5
    c = theory.erlang_c(servers, rate * mean_service)
    assert theory.mmc_wait_survival(0.0, rate, mean_service, servers) == pytest.approx(c)
    assert theory.mmc_wait_survival(-1.0, rate, mean_service, servers) == 1.0
    area, _ = integrate.quad(theory.mmc_wait_survival, 0.0, np.inf,
                             args=(rate, mean_service, servers))
    assert area == pytest.approx(theory.mmc_mean_wait(rate, mean_service, servers), rel=1e-8)
    for p in (0.5, 0.9, 0.95, 0.99):
        t = theory.mmc_wait_quantile(p, rate, mean_service, servers)
        assert t > 0
        assert theory.mmc_wait_survival(t, rate, mean_service, servers) == pytest.approx(1 - p)
    # Fewer than 30 % wait at 10 places: the 70 % quantile is no wait at all.
    assert theory.erlang_c(10, 4.0) < 0.3
    assert theory.mmc_wait_quantile(0.7, rate, mean_service, 10) == 0.0


def test_servers_for_wait_probability_is_the_smallest_enough():
    rate, mean_service = 10.0, 0.4
    for target in (0.5, 0.2, 0.05, 0.001):
        c = theory.servers_for_wait_probability(rate, mean_service, target)
        assert theory.erlang_c(c, rate * mean_service) <= target
        assert c == 1 or theory.erlang_c(c - 1, rate * mean_service) > target
    assert theory.servers_for_wait_probability(10.0, 0.4, 0.2) == 7
    with pytest.raises(ValueError, match="no c"):
        theory.servers_for_wait_probability(1000.0, 1.0, 0.01, max_servers=10)


# -- infinite server and Little's law -----------------------------------------------------------------
def test_infinite_server_occupancy_is_poisson():
    rate, mean_service = 5.0, 4.0
    mean = theory.infinite_server_occupancy(rate, mean_service)
    assert mean == pytest.approx(20.0)
    assert theory.infinite_server_variance(rate, mean_service) == pytest.approx(mean)
    n = np.arange(200)
    pmf = theory.infinite_server_pmf(n, rate, mean_service)
    assert isinstance(pmf, np.ndarray) and pmf.shape == n.shape
    assert pmf.sum() == pytest.approx(1.0)
    assert (n * pmf).sum() == pytest.approx(mean)
    assert ((n - mean) ** 2 * pmf).sum() == pytest.approx(mean)
    assert theory.infinite_server_pmf(20, rate, mean_service) == pytest.approx(
        stats.poisson.pmf(20, 20.0))
    assert isinstance(theory.infinite_server_pmf(3, rate, mean_service), float)


def test_erlang_c_tends_to_infinite_server_limit():
    # Many more places than the load: nobody waits and occupancy is just lambda E[S].
    assert theory.erlang_c(100, 20.0) < 1e-20
    assert theory.mmc_mean_in_queue(5.0, 4.0, 100) < 1e-20


def test_littles_law():
    assert theory.littles_law_L(250.0, 0.6) == pytest.approx(150.0)
    assert theory.littles_law_W(150.0, 250.0) == pytest.approx(0.6)
    assert theory.littles_law_L(0.0, 5.0) == 0.0
    # Lq of M/M/c is Little applied to the queue.
    assert theory.mmc_mean_in_queue(10.0, 0.4, 5) == pytest.approx(
        theory.littles_law_L(10.0, theory.mmc_mean_wait(10.0, 0.4, 5)))


def test_offered_load_and_utilisation():
    assert theory.offered_load(8.6, 36.0) == pytest.approx(309.6)
    assert theory.utilisation(8.6, 36.0, 344) == pytest.approx(0.9)


# -- input checks -------------------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda: theory.erlang_c(0, 1.0),
    lambda: theory.erlang_c(2.5, 1.0),
    lambda: theory.erlang_c(True, 0.5),
    lambda: theory.erlang_c(3, -1.0),
    lambda: theory.erlang_c(3, float("nan")),
    lambda: theory.erlang_b(-1, 1.0),
    lambda: theory.mmc_mean_wait(1.0, 0.0, 3),
    lambda: theory.mmc_mean_wait(-1.0, 1.0, 3),
    lambda: theory.mmc_wait_survival(float("nan"), 1.0, 1.0, 3),
    lambda: theory.mmc_wait_quantile(1.0, 1.0, 1.0, 3),
    lambda: theory.mmc_wait_quantile(-0.1, 1.0, 1.0, 3),
    lambda: theory.servers_for_wait_probability(1.0, 1.0, 0.0),
    lambda: theory.littles_law_W(1.0, 0.0),
    lambda: theory.littles_law_L(-1.0, 1.0),
])
def test_invalid_inputs_raise(call):
    with pytest.raises(ValueError):
        call()


def test_docstring_examples():
    failed, attempted = doctest.testmod(theory, raise_on_error=False, report=False)
    assert attempted > 0 and failed == 0
