"""The sheet of fits: it decodes to a real image, and every curve is the one it claims to be."""

from __future__ import annotations

import math

import matplotlib.image
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.container import BarContainer
from matplotlib.patches import Rectangle
from scipy import stats

from flowsim.calibration.example import synthetic_extract
from flowsim.calibration.extract import extract_from_text
from flowsim.calibration.fit import fit_extract
from flowsim.reporting.fit_plots import fit_sheet


@pytest.fixture(scope="module")
def fitted():
    made = synthetic_extract(days=150, seed=4, scale=0.1)
    extract = extract_from_text(made.rows.to_csv(index=False), "synthetic_plot.csv", made.extract_date)
    fit = fit_extract(extract)
    return fit, fit_sheet(fit)


def _scipy_law(family: str, p: dict[str, float]):
    """The fitted law rebuilt from its parameters with scipy (not with flowsim)."""
    return {"exponential": lambda: stats.expon(scale=p["mean"]),
            "gamma": lambda: stats.gamma(p["shape"], scale=p["scale"]),
            "lognormal": lambda: stats.lognorm(p["sigma"], scale=math.exp(p["mu"])),
            "weibull": lambda: stats.weibull_min(p["shape"], scale=p["scale"])}[family]()


def _km_by_hand(t: np.ndarray, censored: np.ndarray) -> tuple[list[float], list[float]]:
    """Product-limit estimate, written out: at each completed-stay time, S *= 1 - ended / at risk."""
    times, survival, s = [], [], 1.0
    for time in sorted(set(t[~censored].tolist())):
        at_risk = int(np.sum(t >= time))
        ended = int(np.sum((t == time) & ~censored))
        s *= 1 - ended / at_risk
        times.append(time)
        survival.append(s)
    return times, survival


def _line(fig, gid):
    found = [line for axis in fig.axes for line in axis.get_lines() if line.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0]


def test_the_png_decodes_and_is_not_blank(fitted, tmp_path):
    _, fig = fitted
    path = tmp_path / "sheet.png"
    fig.savefig(path, dpi=60)
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 300 and image.shape[1] > 300
    rgb = image[..., :3]
    assert rgb.std() > 0.05  # not one flat colour
    assert (rgb.min(axis=2) < 0.5).mean() > 0.01  # dark pixels: lines, text
    assert (np.abs(rgb[..., 0] - rgb[..., 2]) > 0.3).mean() > 0.001  # coloured curves and bars


def test_each_fitted_curve_is_that_familys_survival_function(fitted):
    fit, fig = fitted
    drawn = 0
    for unit in (u for u in fit.units.values() if u.fits):
        for f in unit.fits:
            line = _line(fig, f"fit:{unit.key}:{f.family}")
            x, y = line.get_xdata(), line.get_ydata()
            expected = _scipy_law(f.family, f.params).sf(x)
            assert y == pytest.approx(expected, abs=1e-12)
            assert line.get_linewidth() == (2.2 if f is unit.best else 1.1)
            drawn += 1
    assert drawn >= 12  # four units, four families each


def test_the_kaplan_meier_step_and_the_qq_points_are_the_data(fitted):
    fit, fig = fitted
    for unit in (u for u in fit.units.values() if u.fits):
        t = unit.stays["los_days"].to_numpy()
        c = unit.stays["censored"].to_numpy()
        times, survival = _km_by_hand(t, c)
        km = _line(fig, f"km:{unit.key}")
        assert km.get_xdata().tolist() == pytest.approx([0.0, *times])
        assert km.get_ydata().tolist() == pytest.approx([1.0, *survival])
        assert km.get_drawstyle() == "steps-post"
        qq = _line(fig, f"qq:{unit.key}:{unit.best.family}")
        cdf = 1 - np.array(survival)
        levels = (np.concatenate([[0.0], cdf[:-1]]) + cdf) / 2
        expected_x = _scipy_law(unit.best.family, unit.best.params).ppf(levels)
        assert qq.get_xdata() == pytest.approx(expected_x, rel=1e-9)
        assert qq.get_ydata().tolist() == pytest.approx(times)


def test_the_weekday_bars_are_the_fitted_multipliers_with_their_intervals(fitted):
    fit, fig = fitted
    axis = next(a for a in fig.axes if any(p.get_gid() == "weekday" for p in a.patches))
    bars = [p for p in axis.patches if isinstance(p, Rectangle)]
    assert [b.get_height() for b in bars] == pytest.approx([e.value for e in fit.arrivals.day_of_week])
    assert [t.get_text() for t in axis.get_xticklabels()] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    container = next(c for c in axis.containers if isinstance(c, BarContainer))
    whiskers = container.errorbar.lines[2][0].get_segments()
    assert [y for s in whiskers for y in (s[0][1], s[1][1])] == pytest.approx(
        [y for e in fit.arrivals.day_of_week for y in (e.low, e.high)])
    months = next(a for a in fig.axes if any(p.get_gid() == "month" for p in a.patches))
    assert months.get_title().endswith("not fitted (1.0)")  # 150 days: no seasonality
    assert [b.get_height() for b in months.patches] == [1.0] * 12
    # pale and said across the panel: twelve blue bars at 1.0 read as data (found by a QA pass)
    assert {to_rgba(b.get_facecolor()[:3]) for b in months.patches} == {to_rgba("0.85")}
    said = "not fitted: too short an extract\n(every multiplier left at 1.0)"
    assert [t.get_text() for t in months.texts] == [said]
    assert not [t for t in axis.texts]  # the weekdays were fitted
    assert {to_rgba(b.get_facecolor()[:3]) for b in bars} == {to_rgba("tab:blue")}


def test_the_last_kaplan_meier_drop_is_inside_the_panel(fitted):
    """The drop at the last of a few stays sat on the right edge and could not be seen (a QA pass)."""
    fit, fig = fitted
    for unit in (u for u in fit.units.values() if u.fits):
        axis = next(a for a in fig.axes if any(ln.get_gid() == f"km:{unit.key}" for ln in a.get_lines()))
        top = float(np.quantile(unit.stays["los_days"], 0.99))
        assert axis.get_xlim()[1] == pytest.approx(max(top, 1.0) * 1.05)


def test_the_sheet_says_the_extract_is_synthetic(fitted):
    _, fig = fitted
    assert "SYNTHETIC extract made by flowsim" in fig.get_suptitle()
