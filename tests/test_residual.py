"""Warm-start sampling: remaining stay given the time already spent, and the stationary excess."""

from __future__ import annotations

import dataclasses
import math
import pickle
import warnings

import numpy as np
import pytest
from scipy import integrate, special

from flowsim.model.distribution_config import distribution_from_config
from flowsim.model.distributions import (
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Uniform,
    Weibull,
)

N = 200_000

LOS = distribution_from_config({"kind": "lognormal", "mean": 36.0, "sd": 24.2}, "los")  # sigma 0.61
WIDE = Lognormal(1.9459, 1.2346)  # coefficient of variation 1.9
GAMMA = Gamma(6.25, 1.6)
GAMMA_SKEWED = Gamma(0.5, 20.0)
WEIBULL = Weibull(1.5, 8.0)
CONTINUOUS = [LOS, WIDE, GAMMA, GAMMA_SKEWED, WEIBULL, Weibull(0.7, 3.0), Uniform(2.0, 30.0)]
EMPIRICAL_VALUES = (0.5, 1.0, 2.0, 3.0, 3.0, 7.0, 10.0, 21.0, 60.0)


def draws_for(dist: Distribution) -> int:
    """How many draws a statistical check takes: a gamma's quantile is plain Python (50-200 us a draw,
    where the others take well under 1 us), so a gamma gets a quarter: its bound is twice as wide, and a
    conditional law cut at its 0.999 quantile still fails the 0.95 case."""
    return N // 4 if isinstance(dist, Gamma) else N


def kind_id(dist: Distribution) -> str:
    params = [v for v in dataclasses.astuple(dist) if not isinstance(v, tuple)]
    return f"{dist.kind}({','.join(f'{v:.3g}' for v in params)})"


def second_moment(dist: Distribution) -> float:
    """E[S^2] in closed form."""
    if isinstance(dist, Exponential):
        return 2.0 * dist.mean_days**2
    if isinstance(dist, Gamma):
        return dist.shape * (dist.shape + 1.0) * dist.scale**2
    if isinstance(dist, Lognormal):
        return math.exp(2.0 * dist.mu + 2.0 * dist.sigma**2)
    if isinstance(dist, Weibull):
        return dist.scale**2 * math.gamma(1.0 + 2.0 / dist.shape)
    if isinstance(dist, Fixed):
        return dist.value**2
    if isinstance(dist, Uniform):
        return (dist.low**2 + dist.low * dist.high + dist.high**2) / 3.0
    assert isinstance(dist, Empirical)
    return float(np.mean(np.square(dist.values)))


def partial_mean(dist: Distribution, x: np.ndarray) -> np.ndarray:
    """E[S; S <= x] in closed form, for the kinds tabulated numerically."""
    if isinstance(dist, Lognormal):
        with np.errstate(divide="ignore"):
            return dist.mean * special.ndtr((np.log(x) - dist.mu - dist.sigma**2) / dist.sigma)
    if isinstance(dist, Gamma):
        return dist.mean * special.gammainc(dist.shape + 1.0, x / dist.scale)
    assert isinstance(dist, Weibull)
    return dist.mean * special.gammainc(1.0 + 1.0 / dist.shape, (x / dist.scale) ** dist.shape)


def assert_mean_within_4_sigma(draws: np.ndarray, expected: float) -> None:
    error = 4.0 * draws.std() / math.sqrt(draws.size)
    assert abs(draws.mean() - expected) < error, (draws.mean(), expected, error)


# --- residual -------------------------------------------------------------------------------


@pytest.mark.parametrize("elapsed", [0.0, 1.0, 10.0, 30.0, 1e4])
def test_exponential_residual_is_memoryless(elapsed):
    dist = Exponential(3.0)
    u = np.random.default_rng(11).random(N)
    np.testing.assert_array_equal(dist.residual(elapsed, u), dist.ppf(u))
    if elapsed <= 30:  # the generic formula agrees while 1 - F(a) = exp(-10) keeps its digits
        generic = Distribution.residual(dist, elapsed, u)
        np.testing.assert_allclose(generic, dist.ppf(u), rtol=1e-6, atol=1e-9)
        assert_mean_within_4_sigma(generic, dist.mean)


@pytest.mark.parametrize("dist", CONTINUOUS, ids=kind_id)
@pytest.mark.parametrize("quantile", [0.0, 0.3, 0.9, 0.999])
def test_residual_is_the_conditional_quantile(dist, quantile):
    # residual(a, u) = r solves P(S - a <= r | S > a) = u exactly, so the conditional cdf undoes it.
    elapsed = float(dist.ppf(quantile))
    u = np.linspace(0.0, 0.999, 1000)
    remaining = dist.residual(elapsed, u)
    assert np.all(remaining >= 0) and np.all(np.diff(remaining) >= 0)
    f = dist.cdf(elapsed)
    conditional = (dist.cdf(elapsed + remaining) - f) / (1.0 - f)
    np.testing.assert_allclose(conditional, u, atol=1e-8)


@pytest.mark.parametrize("dist", [LOS, WIDE, GAMMA_SKEWED, WEIBULL], ids=kind_id)
@pytest.mark.parametrize("quantile", [0.0, 0.5, 0.95])
def test_residual_mean_is_the_conditional_mean(dist, quantile):
    elapsed = float(dist.ppf(quantile))

    def survival(x: float) -> float:
        return 1.0 - dist.cdf(x)

    # E[S - a | S > a] = integral_a^inf (1 - F) / (1 - F(a)), integrated numerically.
    tail, _ = integrate.quad(survival, elapsed, np.inf, limit=200, epsabs=1e-12)
    expected = tail / survival(elapsed)
    u = np.random.default_rng(5).random(draws_for(dist))
    assert_mean_within_4_sigma(dist.residual(elapsed, u), expected)


def test_fixed_residual_is_exact():
    dist = Fixed(2.5)
    np.testing.assert_array_equal(dist.residual(np.array([0.0, 1.0, 2.5, 4.0]), 0.7), [2.5, 1.5, 0.0, 0.0])
    assert dist.residual(1.0, 0.2) == 1.5 and isinstance(dist.residual(1.0, 0.2), float)
    # The generic formula gives the same.
    np.testing.assert_array_equal(Distribution.residual(dist, np.array([0.0, 1.0, 2.5, 4.0]), 0.7),
                                  [2.5, 1.5, 0.0, 0.0])


def test_uniform_residual_is_uniform_over_what_is_left():
    dist = Uniform(2.0, 30.0)
    u = np.linspace(0.0, 0.999, 11)
    np.testing.assert_allclose(dist.residual(10.0, u), 20.0 * u, atol=1e-9)
    np.testing.assert_allclose(dist.residual(1.0, u), 1.0 + 28.0 * u, atol=1e-9)


def test_empirical_residual_picks_evenly_among_longer_stays():
    dist = Empirical((1.0, 2.0, 3.0, 10.0))
    np.testing.assert_array_equal(dist.residual(2.5, np.array([0.0, 0.49, 0.5, 0.999])), [0.5, 0.5, 7.5, 7.5])
    np.testing.assert_array_equal(dist.residual(0.0, np.array([0.0, 0.3, 0.6, 0.9])), [1.0, 2.0, 3.0, 10.0])
    draws = Empirical(EMPIRICAL_VALUES).residual(2.5, np.random.default_rng(2).random(N))
    longer = np.asarray([v for v in EMPIRICAL_VALUES if v > 2.5]) - 2.5
    values, counts = np.unique(draws, return_counts=True)
    np.testing.assert_allclose(values, np.unique(longer))
    np.testing.assert_allclose(counts / N, [np.mean(longer == v) for v in values], atol=0.005)


@pytest.mark.parametrize(("dist", "elapsed"), [
    (Empirical((1.0, 2.0, 10.0)), 10.0),
    (Uniform(2.0, 30.0), 30.0),
    (Fixed(2.5), 2.5),
    (GAMMA, 1e4),
    (LOS, 1e7),
    (WEIBULL, 1e4),
], ids=lambda x: getattr(x, "kind", str(x)))
def test_residual_is_zero_once_everyone_should_have_left(dist, elapsed):
    assert dist.cdf(elapsed) == 1.0
    np.testing.assert_array_equal(dist.residual(elapsed, np.array([0.0, 0.5, 0.999])), 0.0)


@pytest.mark.parametrize("dist", [LOS, WIDE, GAMMA, GAMMA_SKEWED, WEIBULL], ids=kind_id)
@pytest.mark.parametrize("quantile", [1 - 1e-11, 1 - 1e-13, 1 - 1e-15])
def test_residual_far_in_the_tail_is_finite(dist, quantile):
    elapsed = float(dist.ppf(quantile))
    u = np.array([0.0, 0.5, 1 - 1e-15, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warnings either
        remaining = dist.residual(elapsed, u)
    assert np.all(np.isfinite(remaining)) and np.all(remaining >= 0)


def test_residual_broadcasts_and_returns_floats_for_scalars():
    assert isinstance(LOS.residual(10.0, 0.5), float)
    assert LOS.residual(np.array([0.0, 5.0, 50.0]), 0.5).shape == (3,)
    assert LOS.residual(np.zeros((3, 1)), np.linspace(0, 0.9, 4)).shape == (3, 4)
    assert LOS.residual(0.0, 0.3) == pytest.approx(LOS.ppf(0.3), rel=1e-12)
    for dist in (Exponential(3.0), Fixed(2.0), Empirical((1.0, 2.0))):
        assert isinstance(dist.residual(1.0, 0.5), float)
        assert dist.residual([1.0, 2.0], [0.5, 0.6]).shape == (2,)
    with pytest.raises(ValueError, match="elapsed"):
        LOS.residual(np.array([1.0, -0.5]), 0.5)
    with pytest.raises(ValueError, match="elapsed"):
        Exponential(3.0).residual(float("nan"), 0.5)


# --- equilibrium residual -------------------------------------------------------------------

EQUILIBRIUM_KINDS = [*CONTINUOUS, Exponential(3.0), Fixed(2.5), Uniform(5.0, 20.0),
                     Empirical(EMPIRICAL_VALUES)]


@pytest.mark.parametrize("dist", EQUILIBRIUM_KINDS, ids=kind_id)
def test_equilibrium_residual_mean_is_second_moment_over_twice_mean(dist):
    draws = dist.equilibrium_residual(np.random.default_rng(17).random(N))
    assert draws.min() >= 0
    assert_mean_within_4_sigma(draws, second_moment(dist) / (2.0 * dist.mean))


@pytest.mark.parametrize("dist", [*CONTINUOUS[:-1], Lognormal(0.0, 2.0), Gamma(300.0, 0.1),
                                  Weibull(10.0, 3.0), Empirical(EMPIRICAL_VALUES)], ids=kind_id)
def test_equilibrium_table_integrates_to_the_mean(dist):
    assert dist._equilibrium_table()[2] == pytest.approx(dist.mean, rel=1e-6)


@pytest.mark.parametrize("dist", [*CONTINUOUS[:-1], Lognormal(0.0, 2.0), Gamma(300.0, 0.1),
                                  Weibull(10.0, 3.0)], ids=kind_id)
def test_equilibrium_residual_inverts_the_exact_equilibrium_cdf(dist):
    # F_e(x) = integral_0^x (1 - F) / E[S] = (x (1 - F(x)) + E[S; S <= x]) / E[S], in closed form here.
    u = np.linspace(0.0, 0.99999, 5001)
    x = dist.equilibrium_residual(u)
    exact = (x * (1.0 - dist.cdf(x)) + partial_mean(dist, x)) / dist.mean
    np.testing.assert_allclose(exact, u, atol=1e-6)


def test_empirical_equilibrium_residual_is_exact():
    # Values 1 and 3: survival is 1 on [0, 1), 1/2 on [1, 3); the integral reaches 1 at x = 1 of a
    # total 2, so the equilibrium law is uniform on [0, 1) with mass 1/2 and on [1, 3) with mass 1/2.
    dist = Empirical((3.0, 1.0))
    u = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(dist.equilibrium_residual(u), [0.0, 0.5, 1.0, 2.0, 3.0])
    assert Empirical((0.0, 0.0)).equilibrium_residual(0.7) == 0.0


@pytest.mark.parametrize("dist", [Exponential(3.0), Uniform(5.0, 20.0), Uniform(0.0, 30.0)], ids=kind_id)
def test_closed_forms_agree_with_the_generic_table(dist):
    u = np.linspace(0.0, 0.999, 2000)
    np.testing.assert_allclose(dist.equilibrium_residual(u), Distribution.equilibrium_residual(dist, u),
                               rtol=1e-5, atol=1e-6)


def test_fixed_equilibrium_residual_is_uniform_below_the_value():
    np.testing.assert_allclose(Fixed(2.5).equilibrium_residual(np.array([0.0, 0.5, 0.9])), [0.0, 1.25, 2.25])
    assert Uniform(4.0, 4.0).equilibrium_residual(0.5) == 2.0


def test_equilibrium_table_is_cached_without_changing_identity():
    dist = Lognormal(1.0, 0.5)
    first = dist._equilibrium_table()
    assert dist._equilibrium_table() is first
    assert isinstance(dist.equilibrium_residual(0.5), float)
    twin = Lognormal(1.0, 0.5)
    assert dist == twin and hash(dist) == hash(twin)  # the cache is not a field
    clone = pickle.loads(pickle.dumps(dist))
    assert clone == dist and clone.equilibrium_residual(0.3) == dist.equilibrium_residual(0.3)


# --- renewal theory -------------------------------------------------------------------------


def assert_quantiles_match(sample: np.ndarray, dist: Distribution, probs: tuple[float, ...]) -> None:
    """Sample quantiles against the equilibrium quantile function, 4 asymptotic standard errors."""
    for p in probs:
        q = float(dist.equilibrium_residual(p))  # inverse transform: this is the exact p-quantile
        density = (1.0 - dist.cdf(q)) / dist.mean
        error = 4.0 * math.sqrt(p * (1.0 - p) / sample.size) / density
        assert abs(np.quantile(sample, p) - q) < error, (p, np.quantile(sample, p), q, error)


@pytest.mark.parametrize("dist", [LOS, GAMMA_SKEWED], ids=kind_id)
def test_inspection_of_a_renewal_process_sees_the_equilibrium_residual(dist):
    # One bed, always occupied: each stay starts when the last ends. An inspector arriving at a random
    # time waits the stationary excess for the current stay to end (the inspection paradox).
    rng = np.random.default_rng(23)
    stays = 2 * draws_for(dist)
    ends = np.cumsum(dist.sample(rng, stays))
    inspections = rng.uniform(0.01 * ends[-1], 0.99 * ends[-1], stays // 10)
    waits = ends[np.searchsorted(ends, inspections, side="right")] - inspections
    assert_mean_within_4_sigma(waits, second_moment(dist) / (2.0 * dist.mean))
    assert_quantiles_match(waits, dist, (0.1, 0.5, 0.9))


def test_warm_start_from_elapsed_times_matches_a_steady_state_mg_infinity_unit():
    # Poisson admissions to a unit with unlimited beds. At steady state the patients present have
    # elapsed times spread over the past; their true remaining stays, and warm-start draws from their
    # elapsed times alone, must both follow the equilibrium residual law.
    dist, rate = LOS, 1000.0
    rng = np.random.default_rng(29)
    window = float(dist.ppf(1 - 1e-9))  # anyone admitted earlier has left, bar a 1e-9 chance
    elapsed = rng.uniform(0.0, window, rng.poisson(rate * window))
    stays = dist.sample(rng, elapsed.size)
    present = stays > elapsed
    true_remaining = stays[present] - elapsed[present]
    warm = dist.residual(elapsed[present], rng.random(int(present.sum())))
    assert abs(present.sum() - rate * dist.mean) < 4.0 * math.sqrt(rate * dist.mean)
    expected = second_moment(dist) / (2.0 * dist.mean)
    for sample in (true_remaining, warm):
        assert_mean_within_4_sigma(sample, expected)
        assert_quantiles_match(sample, dist, (0.1, 0.5, 0.9))
    # Power: ignoring elapsed time (a fresh stay per patient) is far outside these bounds.
    fresh = dist.sample(rng, warm.size)
    assert abs(fresh.mean() - expected) > 20.0 * fresh.std() / math.sqrt(fresh.size)
