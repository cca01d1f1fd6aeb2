"""flowsim's Student-t quantile against 20-digit reference values, SciPy's, and its closed forms."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from scipy import special, stats

from flowsim.measures.kpi_table import confidence_interval
from flowsim.measures.student_t import _gamma_half_ratio, t_quantile
from flowsim.model.normal_quantile import ndtri

# t with P(T <= t) = p for the float p, to 20 digits: solved in 50-digit arithmetic (mpmath's
# regularised incomplete beta function), as a check independent of SciPy's algorithm and of ours
REFERENCE = [
    (1, 0.975, 12.706204736174693314),
    (2, 0.975, 4.3026527297494617894),
    (3, 0.95, 2.353363434801822899),
    (4, 0.995, 4.6040948713499920459),
    (6, 0.995, 3.7074280213247790741),  # SciPy 1.17's is 62 units in the last place out here
    (9, 0.975, 2.2621571627982049992),
    (19, 0.975, 2.0930240544083093201),
    (19, 0.9, 1.3277282090267984875),
    (7.35, 0.975, 2.3419883077524379271),  # fractional: a Welch interval's degrees of freedom
    (15.2, 0.95, 1.7515368966546024339),
    (23.6, 0.99, 2.4951588171924262199),
    (29, 0.975, 2.0452296421327038745),  # the continued fraction's last df ...
    (30, 0.975, 2.0422724563012378878),  # ... and the asymptotic series' first
    (31.5, 0.75, 0.68235809046374255484),
    (99, 0.975, 1.9842169515864171029),
    (177, 0.95, 1.6535080018012351023),
    (999, 0.975, 1.9623414611334495975),
    (100000.0, 0.999, 3.0903138094272373499),
    (2.5, 0.6, 0.28145951274854759175),
    (1.5, 0.9999, 242.26409884652408509),
]


@pytest.mark.parametrize("df, p, expected", REFERENCE)
def test_the_quantile_is_the_reference_value_to_a_few_units_in_the_last_place(df, p, expected):
    got = t_quantile(df, p)
    assert abs(got - expected) <= 12 * math.ulp(expected), (got, expected)
    assert t_quantile(df, 1.0 - p) == -got  # symmetric, to the bit (1 - p is exact for p >= 1/2)


def test_the_quantile_agrees_with_scipys_over_the_intervals_degrees_of_freedom():
    # every df a run's interval can have (replications - 1) and fractional ones of Welch's, at the
    # levels the summaries, comparisons and decisions use; both are within a few units in the last
    # place of the true value, except SciPy's at a few points (62 units at df = 6, p = 0.995)
    rng = np.random.default_rng(3)
    dfs = np.concatenate([np.arange(1.0, 1001.0), rng.uniform(1.0, 200.0, 500), [5e3, 1e4, 1e6, 1e9]])
    for p in (0.75, 0.9, 0.95, 0.975, 0.99, 0.995, 0.9995):
        ours = np.array([t_quantile(df, p) for df in dfs])
        np.testing.assert_allclose(ours, special.stdtrit(dfs, p), rtol=2e-14, atol=0.0, err_msg=str(p))


def test_one_and_two_degrees_of_freedom_are_their_closed_forms():
    for p in (0.55, 0.75, 0.9, 0.975, 0.999):
        # tan(pi (p - 1/2)), as 1 / tan(pi (1 - p)) in the tail where the tangent's argument is exact
        assert t_quantile(1, p) == pytest.approx(1 / math.tan(math.pi * (1 - p)), rel=1e-15)
        assert t_quantile(2, p) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)), rel=1e-15)


def test_near_the_centre_the_quantile_keeps_its_digits():
    # P(0 < T < t) is computed as such, not as a difference from 1/2 (SciPy's loses up to 1e-9 here)
    p = 0.5000001
    for df in (1, 3, 19, 50, 200):  # (a log-gamma difference is exact enough for the reference to 200)
        t = t_quantile(df, p)
        density = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(math.pi * df)
        # P(0 < T < t) = density * t * (1 - O(t**2)), and t is 3e-7
        assert t == pytest.approx((p - 0.5) / density, rel=1e-12, abs=0.0), df


def test_the_gamma_ratio_is_exact_where_it_has_a_closed_form():
    # Gamma(a + 1/2) / Gamma(a) at whole and half-whole a, below and above the series' start (a = 10)
    for n in range(1, 60):
        whole = Fraction(math.factorial(2 * n), 4**n * math.factorial(n) * math.factorial(n - 1))
        half = Fraction(math.factorial(n - 1) ** 2 * 4 ** (n - 1), math.factorial(2 * n - 2))
        for a, exact in ((n, float(whole) * math.sqrt(math.pi)), (n - 0.5, float(half) / math.sqrt(math.pi))):
            assert abs(_gamma_half_ratio(a) - exact) <= 3 * math.ulp(exact), a


def test_infinite_degrees_of_freedom_are_the_normal_and_many_tend_to_it():
    for p in (0.6, 0.975, 0.999):
        assert t_quantile(math.inf, p) == ndtri(p)
        gaps = [t_quantile(df, p) - ndtri(p) for df in (10, 100, 1e3, 1e6, 1e12)]
        assert all(a > b > 0 for a, b in itertools.pairwise(gaps)), gaps


def test_the_quantile_rises_with_p_and_falls_with_df():
    ps = np.linspace(0.51, 0.9999, 60)
    for df in (0.7, 1.0, 1.5, 3.0, 12.5, 40.0, 500.0):
        row = [t_quantile(df, p) for p in ps]
        assert all(a < b for a, b in itertools.pairwise(row)), df
    column = [t_quantile(df, 0.975) for df in np.linspace(0.5, 60.0, 200)]
    assert all(a > b for a, b in itertools.pairwise(column))


@pytest.mark.parametrize("df", [0.3, 1.0, 1.5, 3.0, 14.0, 31.0, 1e3, 1e6, 1e12, 1e20])
def test_far_tails_are_finite_and_ordered_or_beyond_the_floats(df):
    values = [t_quantile(df, 1.0 - tail) if tail > 1e-16 else -t_quantile(df, tail)
              for tail in (1e-6, 1e-12, 1e-50, 1e-100, 1e-300)]
    finite = [v for v in values if math.isfinite(v)]
    assert all(a < b for a, b in itertools.pairwise(finite)), values
    assert finite == values or df < 1.0, values  # only heavier tails than Cauchy's pass 1.8e308


def test_edges():
    assert t_quantile(5.0, 0.0) == -math.inf  # SciPy 1.17's stdtrit says +inf here
    assert t_quantile(5.0, 1.0) == math.inf
    assert t_quantile(5.0, 0.5) == 0.0
    for df, p in [(5.0, -0.1), (5.0, 1.1), (5.0, math.nan), (0.0, 0.9), (-1.0, 0.9), (math.nan, 0.9)]:
        assert math.isnan(t_quantile(df, p)) and math.isnan(special.stdtrit(df, p)), (df, p)


def test_a_confidence_interval_is_scipy_stats():
    values = np.random.default_rng(8).gamma(2.0, 30.0, size=7)
    mean, low, high = confidence_interval(values, 0.95)
    expected = stats.t.interval(0.95, values.size - 1, loc=values.mean(), scale=stats.sem(values))
    assert (low, high) == pytest.approx(expected, rel=1e-14)
    assert mean == values.mean()


def test_a_run_of_many_replications_does_not_import_scipy():
    # the reason this module exists: importing scipy.special was a quarter of a second of CPU before a
    # parallel run's workers started (its serial part)
    code = ("import sys\nfrom flowsim.measures.kpi_table import confidence_interval\n"
            "from flowsim.experiment.compare import _welch_half_width\nimport numpy as np\n"
            "x = np.arange(5.0)\nconfidence_interval(x)\n_welch_half_width(x, x ** 1.5)\n"
            "print('scipy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
