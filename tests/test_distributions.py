"""Distributions: means, quantiles and validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from flowsim.model.distribution_config import distribution_from_config
from flowsim.model.distributions import (
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Uniform,
    Weibull,
)
from flowsim.model.errors import ConfigError

SPECS = [
    ({"kind": "exponential", "mean": 3.0}, 3.0),
    ({"kind": "gamma", "mean": 10.0, "sd": 4.0}, 10.0),
    ({"kind": "lognormal", "mean": 36.0, "sd": 24.2}, 36.0),
    ({"kind": "lognormal", "mu": 1.9459, "sigma": 1.2346}, math.exp(1.9459 + 1.2346**2 / 2)),
    ({"kind": "weibull", "shape": 1.5, "scale": 8.0}, 8.0 * math.gamma(1 + 1 / 1.5)),
    ({"kind": "fixed", "value": 2.5}, 2.5),
    ({"kind": "empirical", "values": [1, 2, 3, 10]}, 4.0),
    ({"kind": "uniform", "low": 0, "high": 30}, 15.0),
]


@pytest.mark.parametrize(("spec", "mean"), SPECS)
def test_reported_mean_matches_definition_and_samples(spec, mean):
    dist = distribution_from_config(spec, "x")
    assert dist.mean == pytest.approx(mean, rel=1e-9)
    # a gamma's draws are solved one by one in Python: 100,000 of them, with a coefficient of variation
    # of 0.4, put the 2 % tolerance at 16 standard errors
    draws = dist.sample(np.random.default_rng(3), 100_000 if spec["kind"] == "gamma" else 400_000)
    assert draws.min() >= 0
    assert draws.mean() == pytest.approx(mean, rel=0.02)


@pytest.mark.parametrize(("spec", "_mean"), SPECS)
def test_ppf_is_monotone(spec, _mean):
    u = np.linspace(0.0, 0.999, 500)
    values = np.asarray(distribution_from_config(spec, "x").ppf(u), dtype=float)
    assert np.all(np.diff(values) >= 0)


def test_lognormal_by_mean_sd_matches_scipy():
    dist = distribution_from_config({"kind": "lognormal", "mean": 36.0, "sd": 24.2}, "x")
    assert isinstance(dist, Lognormal)
    ref = stats.lognorm(s=dist.sigma, scale=math.exp(dist.mu))
    assert ref.mean() == pytest.approx(36.0)
    assert ref.std() == pytest.approx(24.2)
    u = np.array([0.01, 0.5, 0.9, 0.99])
    np.testing.assert_allclose(dist.ppf(u), ref.ppf(u), rtol=1e-10)


def test_gamma_quantiles_match_scipy():
    dist = distribution_from_config({"kind": "gamma", "mean": 10.0, "sd": 4.0}, "x")
    ref = stats.gamma(a=(10 / 4) ** 2, scale=16 / 10)
    u = np.array([0.05, 0.5, 0.95])
    np.testing.assert_allclose(dist.ppf(u), ref.ppf(u), rtol=1e-8)


@pytest.mark.parametrize("dist", [*(distribution_from_config(spec, "x") for spec, _ in SPECS),
                                  Lognormal(600.0, 30.0)])  # beyond the config's bounds: overflows
def test_scalar_ppf_equals_vector_ppf_to_the_bit(dist):
    # The event loop asks ppf one patient at a time (a scalar fast path for some kinds); new patients in
    # bulk and the census use arrays. Both must give the same numbers, bit for bit, or the same patient
    # would differ between the two paths.
    u = np.concatenate(([0.0, 1e-300, 1e-12, 0.5, 1.0 - 1e-12], np.random.default_rng(5).random(20_000)))
    scalar = np.array([float(dist.ppf(float(x))) for x in u.tolist()])
    with np.errstate(over="ignore"):
        vector = np.asarray(dist.ppf(u), dtype=float)
    np.testing.assert_array_equal(scalar, vector)


def test_empirical_resamples_each_value_equally():
    dist = Empirical((5.0, 1.0, 3.0))
    u = np.array([0.0, 0.34, 0.67, 0.999])
    np.testing.assert_array_equal(dist.ppf(u), [1.0, 3.0, 5.0, 5.0])


def test_an_unused_parameter_is_named_with_its_kinds_article():
    with pytest.raises(ConfigError, match=r"^los.mean: is not a parameter of an empirical here"):
        distribution_from_config({"kind": "empirical", "values": [1, 2], "mean": 3}, "los")
    with pytest.raises(ConfigError, match=r"^los.values: is not a parameter of a gamma here"):
        distribution_from_config({"kind": "gamma", "mean": 3, "sd": 1, "values": [1]}, "los")


@pytest.mark.parametrize(("spec", "field"), [
    ({"kind": "triangular", "mean": 1}, "los.kind"),
    ({"kind": "lognormal", "mean": 5}, "los"),
    ({"kind": "lognormal", "mean": 5, "sd": -1}, "los.sd"),
    # the least spread the mean and sd form allows (sd 0.001 times the mean) holds for mu and sigma too
    ({"kind": "lognormal", "mu": 3.7, "sigma": 5e-16}, "los.sigma"),
    ({"kind": "exponential", "mean": 0}, "los.mean"),
    ({"kind": "exponential", "mean": 2, "sd": 1}, "los.sd"),
    ({"kind": "gamma", "mean": "abc", "sd": 1}, "los.mean"),
    ({"kind": "weibull", "shape": 0, "scale": 1}, "los.shape"),
    ({"kind": "empirical", "values": []}, "los.values"),
    ({"kind": "empirical", "values": [1, -2]}, "los.values"),
    ({"kind": "uniform", "low": 5, "high": 1}, "los.high"),
    (None, "los"),
])
def test_bad_specs_name_the_field(spec, field):
    with pytest.raises(ConfigError) as caught:
        distribution_from_config(spec, "los")
    assert caught.value.field == field
    assert "fix:" in str(caught.value)


# Continuous kinds and the scipy.stats law each should match exactly.
CONTINUOUS = [
    (Exponential(3.0), stats.expon(scale=3.0)),
    (Gamma(6.25, 1.6), stats.gamma(a=6.25, scale=1.6)),
    (Gamma(0.4, 25.0), stats.gamma(a=0.4, scale=25.0)),
    (Lognormal(3.397, 0.611), stats.lognorm(s=0.611, scale=math.exp(3.397))),
    (Lognormal(1.9459, 1.2346), stats.lognorm(s=1.2346, scale=math.exp(1.9459))),
    (Weibull(1.5, 8.0), stats.weibull_min(c=1.5, scale=8.0)),
    (Weibull(0.7, 3.0), stats.weibull_min(c=0.7, scale=3.0)),
    (Uniform(2.0, 30.0), stats.uniform(loc=2.0, scale=28.0)),
]
CONTINUOUS_IDS = [f"{dist.kind}-{i}" for i, (dist, _) in enumerate(CONTINUOUS)]
CDF_POINTS = np.array([-5.0, -1e-9, 0.0, 1e-6, 0.1, 1.0, 2.0, 5.0, 10.0, 29.9, 36.0, 100.0, 1000.0])


@pytest.mark.parametrize(("dist", "ref"), CONTINUOUS, ids=CONTINUOUS_IDS)
def test_cdf_matches_scipy(dist, ref):
    np.testing.assert_allclose(dist.cdf(CDF_POINTS), ref.cdf(CDF_POINTS), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize(("dist", "_ref"), CONTINUOUS, ids=CONTINUOUS_IDS)
def test_cdf_inverts_ppf_for_continuous_kinds(dist, _ref):
    u = np.concatenate(([1e-9, 1e-4], np.linspace(0.005, 0.995, 199), [0.9999, 1 - 1e-9]))
    # atol: uniform's low + width * u rounds at the 1e-16 level.
    np.testing.assert_allclose(dist.cdf(dist.ppf(u)), u, rtol=1e-9, atol=1e-15)


def test_fixed_cdf_is_a_step_at_the_value():
    dist = Fixed(2.5)
    np.testing.assert_array_equal(dist.cdf(np.array([-1.0, 0.0, 2.4999, 2.5, 3.0])), [0, 0, 0, 1, 1])
    assert Uniform(4.0, 4.0).cdf(3.9) == 0.0
    assert Uniform(4.0, 4.0).cdf(4.0) == 1.0


def test_empirical_cdf_is_fraction_of_values_at_or_below():
    values = (5.0, 1.0, 3.0, 3.0, 0.0)
    dist = Empirical(values)
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.9, 3.0, 4.9, 5.0, 6.0])
    expected = [np.mean(np.asarray(values) <= point) for point in x]
    np.testing.assert_array_equal(dist.cdf(x), expected)
    # ppf is the generalised inverse of this cdf: the smallest value whose cdf reaches u.
    u = np.linspace(0.0, 0.999, 1000)
    assert np.all(dist.cdf(dist.ppf(u)) >= u)
    assert np.all(dist.cdf(dist.ppf(u) - 1e-9) < u + 1e-12)


@pytest.mark.parametrize(("spec", "_mean"), SPECS)
def test_cdf_is_a_distribution_function_scalar_or_vector(spec, _mean):
    dist = distribution_from_config(spec, "x")
    x = np.linspace(-1.0, 200.0, 2001)
    values = dist.cdf(x)
    assert values.shape == x.shape
    assert np.all(np.diff(values) >= 0)
    assert values[0] == 0.0 and 0.99 < values[-1] <= 1.0
    scalar = dist.cdf(7.0)
    assert isinstance(scalar, float)
    assert scalar == dist.cdf(np.array([7.0]))[0]
