"""What each scheme reported, and the same measure taken from flowsim's runs.

A run is kept small: its KPIs, the first episodes of new patients who had a housing barrier (paired by
patient with the baseline run: same seed, same patients), the stays in flats and the community
referrals. Each scheme lists the figures its case study reported and a function that takes the same
measure from the runs; where it reported nothing, the list says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from flowsim import compute_metrics, load_scenario, simulate
from flowsim.measures.aggregate import confidence_interval

DAYS_PER_HALF_YEAR = 365.0 / 2
NOTTINGHAM_CASES = 17  # hospital cases rehoused (housing 2017, Nottingham: "Seventeen of those sixty-four")
# Nottingham's own value of a bed day: GBP 169,288 over 1,585 bed days (the nottingham_2016 cost basis)
NOTTINGHAM_GBP_PER_BED_DAY = 169288 / 1585


@dataclass(frozen=True)
class Run:
    """One replication, reduced to what the measures need."""

    kpis: dict[str, float]
    cases: dict[str, np.ndarray]  # new patients' first episodes with a home to fix, NCTR in the window
    stays: dict[str, np.ndarray]  # flat stays that ended in the window: days, from hospital (1) or not (0)
    community_cases: float  # community referrals whose fix started in the window
    barrier_names: tuple[str, ...]


def run_once(overrides: tuple[str, ...], replication: int) -> Run:
    """Simulate one replication of ``overrides`` and reduce it (see :class:`Run`)."""
    scenario = load_scenario(list(overrides))
    result = simulate(scenario, replication)
    kpis = compute_metrics(result).kpis
    log, w0, w1 = result.episodes, scenario.warm_up_days, scenario.horizon_days
    nctr = log["nctr_day"]
    p2_days = np.where(log["pathway"] == 2, log["unit_leave_day"] - log["unit_admit_day"], 0.0)
    # (P3 patients are placed in care homes: their homes are not fixed)
    first = ((log["origin"] == 0) & (log["episode"] == 0) & (log["barrier"] >= 0) & (log["pathway"] != 3)
             & (nctr >= w0) & (nctr < w1))
    cases = {"patient": log["patient"][first], "barrier": log["barrier"][first],
             "fix_route": log["fix_route"][first],
             "bed_days": (log["acute_leave_day"] - nctr + p2_days)[first],  # acute and P2 bed days
             "fix_days": (log["fix_done_day"] - log["fix_referred_day"])[first]}
    stay_days, hospital = [log["flat_leave_day"] - log["flat_admit_day"]], [np.ones(len(log))]
    ended = [(log["flat_leave_day"] >= w0) & (log["flat_leave_day"] < w1)]
    community, community_cases = result.community, 0.0
    if community is not None:
        stay_days.append(community["flat_leave_day"] - community["flat_admit_day"])
        hospital.append(np.zeros(len(stay_days[-1])))
        ended.append((community["flat_leave_day"] >= w0) & (community["flat_leave_day"] < w1))
        start = community["fix_start_day"]
        community_cases = float(((start >= w0) & (start < w1)).sum())
    keep = np.concatenate(ended)
    stays = {"days": np.concatenate(stay_days)[keep], "hospital": np.concatenate(hospital)[keep]}
    return Run(kpis, cases, stays, community_cases, scenario.housing.type_names)


def paired_saving(run: Run, baseline: Run, barrier: str | None = None, coordinated_only: bool = False
                  ) -> float:
    """Mean bed days saved per case (baseline minus scheme, the same patients), NaN with no case."""
    mine = np.ones(run.cases["patient"].size, dtype=bool)
    if barrier is not None:
        mine &= run.cases["barrier"] == run.barrier_names.index(barrier)
    if coordinated_only:
        mine &= run.cases["fix_route"] == 1
    patients = run.cases["patient"][mine]
    order = np.argsort(baseline.cases["patient"])
    at = order[np.searchsorted(baseline.cases["patient"], patients, sorter=order)]
    saved = baseline.cases["bed_days"][at] - run.cases["bed_days"][mine]
    saved = saved[np.isfinite(saved)]  # both finished (the runs cool down long enough for nearly all)
    return float(saved.mean()) if saved.size else float("nan")


def _mean_stay(runs: list[Run], baselines: list[Run]) -> list[float]:
    return [float(r.stays["days"].mean()) if r.stays["days"].size else np.nan for r in runs]


def _longest_stay(runs: list[Run], baselines: list[Run]) -> list[float]:
    return [float(r.stays["days"].max()) if r.stays["days"].size else np.nan for r in runs]


def _over_six_weeks(runs: list[Run], baselines: list[Run]) -> list[float]:
    return [100.0 * float((r.stays["days"] > 42.0).mean()) if r.stays["days"].size else np.nan for r in runs]


def _hospital_share(runs: list[Run], baselines: list[Run]) -> list[float]:
    return [100.0 * float(r.stays["hospital"].mean()) if r.stays["days"].size else np.nan for r in runs]


def _coordinated_per_half_year(runs: list[Run], baselines: list[Run]) -> list[float]:
    return [(r.kpis["fixes_coordinated"] + r.community_cases) * DAYS_PER_HALF_YEAR / r.kpis["observed_days"]
            for r in runs]


def _hospital_coordinated_per_half_year(runs: list[Run], baselines: list[Run]) -> list[float]:
    return [r.kpis["fixes_coordinated"] * DAYS_PER_HALF_YEAR / r.kpis["observed_days"] for r in runs]


def _community_share_of_cases(runs: list[Run], baselines: list[Run]) -> list[float]:
    return [100.0 * r.community_cases / (r.kpis["fixes_coordinated"] + r.community_cases) for r in runs]


def _nottingham_bed_days(runs: list[Run], baselines: list[Run]) -> list[float]:
    return [NOTTINGHAM_CASES * paired_saving(r, b, "rehousing") for r, b in zip(runs, baselines, strict=True)]


def _nottingham_saving_per_case(runs: list[Run], baselines: list[Run]) -> list[float]:
    return [NOTTINGHAM_GBP_PER_BED_DAY * paired_saving(r, b, "rehousing")
            for r, b in zip(runs, baselines, strict=True)]


def _rehousing_days(runs: list[Run], baselines: list[Run]) -> list[float]:
    values = []
    for r in runs:
        rehousing = (r.cases["barrier"] == r.barrier_names.index("rehousing")) & (r.cases["fix_route"] == 1)
        days = r.cases["fix_days"][rehousing]
        values.append(float(np.nanmean(days)) if np.isfinite(days).any() else np.nan)
    return values


def _nights_saved_per_case(runs: list[Run], baselines: list[Run]) -> list[float]:
    return [paired_saving(r, b, coordinated_only=True) for r, b in zip(runs, baselines, strict=True)]


def _saving_half_year(runs: list[Run], baselines: list[Run]) -> list[float]:
    return [(b.kpis["cost_delayed_days"] - r.kpis["cost_delayed_days"]) * DAYS_PER_HALF_YEAR
            / r.kpis["observed_days"] for r, b in zip(runs, baselines, strict=True)]


@dataclass(frozen=True)
class Reported:
    """One reported figure, and how to take it from runs (None: not comparable, with why)."""

    measure: str
    reported: str
    value: float | None
    simulate: Callable[[list[Run], list[Run]], list[float]] | None
    where: str  # "as reported" (the scheme's own setting) or "default system"


# Scheme name -> what its case study reported. Figures: housing 2017 report, the scheme's "What has
# been achieved?" (or "What was the approach?") section; care-home units: toolkit 2022, "Tariffs".
REPORTED: Mapping[str, tuple[Reported, ...]] = {
    "nottingham_hhc": (
        Reported("bed days saved, 17 hospital cases", "1,585", 1585.0, _nottingham_bed_days,
                 "default system, 17 cases"),
        Reported("saving per hospital case (GBP, at their GBP 106.81 a bed day)", "9,958", 9958.0,
                 _nottingham_saving_per_case, "default system"),
        Reported("referral to rehousing (days), coordinated", "33", 33.0, _rehousing_days, "default system"),
    ),
    "roseberry": (
        Reported("mean stay (days)", "41", 41.0, _mean_stay, "default system"),
        Reported("longest stay (days)", "up to 42 (six weeks)", 42.0, _longest_stay, "default system"),
        Reported("flat guests from hospital (%)", "57", 57.0, _hospital_share, "default system"),
    ),
    "heatherstones": (
        Reported("mean stay (days)", "generally 60-90 (2 or 3 months)", 75.0, _mean_stay, "default system"),
        Reported("stays beyond the 6-week maximum (%)", "most ('generally')", None, _over_six_weeks,
                 "default system"),
    ),
    "oldham_h2h": (
        Reported("patients supported in six months", "30", 30.0, _coordinated_per_half_year,
                 "default system"),
        Reported("from care homes, not hospital (%)", "27", 27.0, _community_share_of_cases,
                 "default system"),
    ),
    "home_group": (
        Reported("bed nights saved per person supported", "16.25 (one 24-bed ward)", 16.25,
                 _nights_saved_per_case, "default system"),
        Reported("people supported in six months", "28", 28.0, _hospital_coordinated_per_half_year,
                 "default system"),
        Reported("saving in six months (GBP, at GBP 395 a bed day)", "at least 96,000 (the contract)",
                 96000.0, _saving_half_year, "default system"),
    ),
    "kettering": (),
    "kirklees_hfh": (),
    "care_home_units": (),
}


def summarise(values: list[float]) -> tuple[float, float, float]:
    """Mean and 95 % CI over replications."""
    return confidence_interval(values)
