"""Distributions: means, quantiles and validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from flowsim.distributions import Empirical, Lognormal, distribution_from_config
from flowsim.errors import ConfigError

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
    draws = dist.sample(np.random.default_rng(3), 400_000)
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


def test_scalar_ppf_equals_vector_ppf():
    for spec, _ in SPECS:
        dist = distribution_from_config(spec, "x")
        assert float(dist.ppf(0.3)) == pytest.approx(float(dist.ppf(np.array([0.3]))[0]))


def test_empirical_resamples_each_value_equally():
    dist = Empirical((5.0, 1.0, 3.0))
    u = np.array([0.0, 0.34, 0.67, 0.999])
    np.testing.assert_array_equal(dist.ppf(u), [1.0, 3.0, 5.0, 5.0])


@pytest.mark.parametrize(("spec", "field"), [
    ({"kind": "triangular", "mean": 1}, "los.kind"),
    ({"kind": "lognormal", "mean": 5}, "los"),
    ({"kind": "lognormal", "mean": 5, "sd": -1}, "los.sd"),
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
