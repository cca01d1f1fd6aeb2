"""Random valid configs: every one builds, simulates, and its event log obeys the model's invariants.

A seeded generator draws small systems (a few units, a few tens of days, low rates) that vary what a
planner can vary: pathway shares, capacities (0 where there is no demand), every distribution kind,
admission calendars, capacity schedules, closures, staff absence, housing with coordinators and
flats, readmission, the acute pool and a warm-start census (YAML or CSV). Each config is checked
from ``result.episodes`` (columns in ``flowsim/model/eventlog.py``):

* every step of an episode happens no earlier than the step before it, and not after the end of the
  run (the horizon plus any cool-down);
* no unit admits a patient while closed, or beyond the capacity in force (occupants are never
  evicted when capacity falls, so admissions are what is checked);
* flats and acute beds never hold more patients than they have, and a flat holds one at a time;
* conservation: the model's counts add up, and match a count made from the log;
* and its KPIs compute without error.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_right

import numpy as np
import pytest

from flowsim import compute_metrics, simulate
from flowsim.model.distributions import KINDS
from flowsim.model.scenario import build_scenario

N_CONFIGS = 400
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SERVICE = ("P1", "P2", "P3")
BARRIERS = ("repair", "rehousing", "adaptation", "homeless")


# -- the generator ---------------------------------------------------------------------------------
def _distribution(rng: np.random.Generator, scale: float = 5.0, kind: str | None = None) -> dict:
    kind = kind or str(rng.choice(KINDS))
    mean = float(rng.uniform(0.2, 2.0) * scale)
    if kind == "exponential":
        return {"kind": kind, "mean": mean}
    if kind in ("gamma", "lognormal"):
        if kind == "lognormal" and rng.random() < 0.5:
            return {"kind": kind, "mu": math.log(mean), "sigma": float(rng.uniform(0.1, 1.5))}
        return {"kind": kind, "mean": mean, "sd": mean * float(rng.uniform(0.05, 2.0))}
    if kind == "weibull":
        return {"kind": kind, "shape": float(rng.uniform(0.5, 4.0)), "scale": mean}
    if kind == "fixed":
        return {"kind": kind, "value": 0.0 if rng.random() < 0.1 else mean}
    if kind == "empirical":
        return {"kind": kind, "values": [round(float(v), 2) for v in rng.uniform(0, 2 * mean,
                                                                                   rng.integers(1, 6))]}
    low = float(rng.uniform(0, mean))
    return {"kind": kind, "low": low, "high": low + float(rng.uniform(0, mean))}


def _shares(rng: np.random.Generator, names: tuple[str, ...], zero: float = 0.3) -> dict[str, float]:
    weights = rng.dirichlet(np.ones(len(names))) * (rng.random(len(names)) > zero)
    if weights.sum() == 0:
        weights[rng.integers(len(names))] = 1.0
    weights = np.round(weights / weights.sum(), 4)
    weights[int(np.argmax(weights))] += 1.0 - weights.sum()  # sum exactly 1 after rounding
    return {n: float(w) for n, w in zip(names, weights, strict=True)}


def _date(start: dt.date, day: int) -> str:
    return (start + dt.timedelta(days=day)).isoformat()


def _unit(rng: np.random.Generator, pathways: list[str], demand: bool, start: dt.date,
          horizon: float) -> dict:
    unit: dict = {
        "pathways": pathways,
        "capacity": int(rng.integers(1, 9)) if demand else 0,
        "los_days": _distribution(rng, scale=4.0),
        "preference": int(rng.integers(0, 3)),
        "cost_per_occupied_day": float(rng.uniform(0, 200)),
        "cost_per_bed_week": float(rng.uniform(0, 1000)),
    }
    if rng.random() < 0.1 and demand:
        unit["capacity"] = 0  # demand but no place: patients wait to the end
    if rng.random() < 0.3:
        days = sorted(rng.choice(7, size=int(rng.integers(1, 8)), replace=False).tolist())
        open_hour = float(rng.integers(0, 12))
        unit["admission"] = {"days": [WEEKDAYS[d] for d in days], "open_hour": open_hour,
                             "close_hour": float(rng.integers(int(open_hour) + 1, 25))}
    if rng.random() < 0.3:
        steps = sorted(rng.choice(math.ceil(horizon), size=int(rng.integers(1, 4)), replace=False))
        unit["capacity_schedule"] = [{"start": _date(start, int(d)), "capacity": int(rng.integers(0, 9))}
                                     for d in steps]
    if rng.random() < 0.25:
        unit["closures"] = {"outbreaks_per_year": float(rng.uniform(5, 60)),
                            "duration_days": _distribution(rng, scale=2.0)}
    if rng.random() < 0.25:
        unit["staff_absence"] = {"fraction_of_days": float(rng.uniform(0, 0.5)),
                                 "capacity_factor": float(rng.uniform(0, 1))}
    if rng.random() < 0.3:
        unit["max_stay_days"] = float(rng.uniform(1, 20))
        unit["cost_per_over_length_day"] = float(rng.uniform(0, 100))
    return unit


def _housing(rng: np.random.Generator) -> dict:
    names = tuple(rng.choice(BARRIERS, size=int(rng.integers(1, 5)), replace=False).tolist())
    shares = _shares(rng, names, zero=0.0)
    housing: dict = {
        "enabled": True,
        "barrier_probability": float(rng.uniform(0, 0.6)),
        "referral_delay_days": _distribution(rng, scale=1.0),
        "types": {n: {"share": shares[n], "fix_days_coordinated": _distribution(rng, 3.0),
                      "fix_days_uncoordinated": _distribution(rng, 8.0)} for n in names},
        "coordinators": {"fte": int(rng.integers(0, 3)), "caseload_per_fte": int(rng.integers(1, 6)),
                         "when_full": str(rng.choice(["uncoordinated", "wait"])),
                         "cost_per_fte_year": float(rng.uniform(0, 50_000))},
        "flats": {},
    }
    for i in range(int(rng.integers(0, 3))):
        accepted = rng.choice(names, size=int(rng.integers(0, len(names) + 1)), replace=False).tolist()
        housing["flats"][f"flats_{i}"] = {
            "capacity": int(rng.integers(0, 4)),
            "barrier_types": accepted,
            "pathways": [["P0"], ["P1"], ["P0", "P1"]][int(rng.integers(0, 3))],
            "reablement_days": _distribution(rng, 3.0),
            "turnaround_days": _distribution(rng, 1.0),
            "max_stay_days": float(rng.uniform(1, 30)),
            "preference": int(rng.integers(0, 3)),
            "cost_per_flat_week": float(rng.uniform(0, 400)),
        }
    return housing


def _census(rng: np.random.Generator, units: dict, start: str, tmp_path) -> str:
    in_units, waiting = {}, {}
    for name, unit in units.items():
        steps = unit.get("capacity_schedule") or []
        # a step on the start date sets the capacity the census must fit in
        start_capacity = steps[0]["capacity"] if steps and steps[0]["start"] == start else unit["capacity"]
        if start_capacity and rng.random() < 0.7:
            count = int(rng.integers(0, start_capacity + 1))
            known = rng.random() < 0.5
            in_units[name] = [round(float(d), 2) if known else None for d in rng.uniform(0, 20, count)]
    for pathway in SERVICE:
        if rng.random() < 0.4:
            waiting[pathway] = [round(float(d), 2) if rng.random() < 0.5 else None
                                for d in rng.uniform(0, 5, int(rng.integers(0, 4)))]
    if rng.random() < 0.5:
        lines = ["kind,name,days"]
        lines += [f"unit,{n},{'' if d is None else d}" for n, days in in_units.items() for d in days]
        lines += [f"waiting,{p},{'' if d is None else d}" for p, days in waiting.items() for d in days]
        if len(lines) == 1:
            lines.append("waiting,P2,1.5")
        path = tmp_path / "census.csv"
        path.write_text("\n".join(lines) + "\n")
    else:
        def entry(days: list, key: str) -> str:
            if days and all(d is None for d in days):
                return f"{{count: {len(days)}}}"
            return f"{{{key}: [{', '.join('null' if d is None else str(d) for d in days)}]}}"
        text = "units:\n" + "".join(f"  {n}: {entry(d, 'days_stayed')}\n" for n, d in in_units.items())
        text += "waiting:\n" + "".join(f"  {p}: {entry(d, 'days_waited')}\n" for p, d in waiting.items())
        path = tmp_path / "census.yaml"
        path.write_text(text)
    return str(path)


def random_config(seed: int, tmp_path) -> dict:
    """A valid, small, random flowsim config (plain dict); data files go into ``tmp_path``."""
    rng = np.random.default_rng(seed)
    start = dt.date(2020, 1, 1) + dt.timedelta(days=int(rng.integers(0, 3650)))
    horizon = float(rng.integers(10, 61)) + (0.5 if rng.random() < 0.2 else 0.0)
    shares = _shares(rng, ("P0", "P1", "P2", "P3"))
    after = _shares(rng, ("home", "home_p1", "p2", "p3", "readmission", "death"))
    if after["p2"] > 0.9:
        after["p2"], after["home"] = 0.5, after["home"] + after["p2"] - 0.5
    demand = {"P1": shares["P1"] > 0 or (shares["P2"] > 0 and after["home_p1"] > 0),
              "P2": shares["P2"] > 0, "P3": shares["P3"] > 0 or (shares["P2"] > 0 and after["p3"] > 0)}
    units: dict = {}
    for pathway in SERVICE:  # every pathway gets a unit (capacity 0 where there is no demand)
        for i in range(int(rng.integers(1, 3))):
            served = [pathway] + ([q for q in SERVICE if q != pathway and rng.random() < 0.2])
            units[f"{pathway.lower()}_{i}"] = _unit(rng, served, any(demand[p] for p in served), start,
                                                    horizon)
    cfg: dict = {
        "seed": int(rng.integers(0, 2**31)),
        "replications": 1,
        "n_jobs": 1,
        "run": {"start_date": start.isoformat(), "horizon_days": horizon,
                "warm_up_days": float(rng.uniform(0, horizon / 2)),
                "cool_down_days": float(rng.choice([0.0, rng.uniform(0, 20)]))},
        "arrivals": {"rate_per_day": float(rng.uniform(0.2, 12.0))},
        "pathways": {"shares": shares, "p0_admin_delay_days": _distribution(rng, scale=0.3)},
        "services": units,
        "after_p2": {"shares": after},
        "readmission": {
            "probability": {p: float(rng.uniform(0, 0.3)) for p in ("P0", "P1", "P2", "P3")
                            if rng.random() < 0.8},
            "time_to_readmission_days": _distribution(rng, scale=5.0),
            "clinical_los_days": _distribution(rng, scale=3.0),
        },
        "costs": {"acute_bed_day": float(rng.uniform(100, 500))},
        "outputs": {"patients": True, "census": True, "summary": False},
    }
    if rng.random() < 0.3:
        cfg["arrivals"]["day_of_week_multipliers"] = [round(float(m), 2) for m in rng.uniform(0.3, 1.7, 7)]
        cfg["arrivals"]["month_multipliers"] = [round(float(m), 2) for m in rng.uniform(0.5, 1.5, 12)]
    if rng.random() < 0.15:
        days = [start + dt.timedelta(days=d) for d in range(-3, math.ceil(horizon) + 3)]
        path = tmp_path / "series.csv"
        path.write_text("date,rate_per_day\n" + "".join(f"{d.isoformat()},{rng.uniform(0, 6):.3f}\n"
                                                         for d in days))
        cfg["arrivals"]["series_csv"] = str(path)
    if rng.random() < 0.45:
        cfg["housing"] = _housing(rng)
    if rng.random() < 0.25:
        cfg["acute"] = {"enabled": True, "beds": int(rng.integers(1, 25)),
                        "clinical_los_days": _distribution(rng, scale=2.0)}
    if rng.random() < 0.35:
        cfg["run"]["initial_census"] = _census(rng, units, start.isoformat(), tmp_path)
    return cfg


# -- the invariants --------------------------------------------------------------------------------
# Steps that never go backwards within an episode: (earlier, later) wherever both happened.
ORDER = [
    ("admission_request_day", "admission_day"), ("admission_day", "nctr_day"),
    ("nctr_day", "acute_leave_day"), ("acute_leave_day", "end_day"),
    ("acute_leave_day", "unit_admit_day"), ("unit_admit_day", "service_end_day"),
    ("service_end_day", "unit_leave_day"), ("unit_leave_day", "end_day"),
    ("unit_leave_day", "onward_admit_day"), ("onward_admit_day", "onward_leave_day"),
    ("onward_leave_day", "end_day"),
    ("acute_leave_day", "flat_admit_day"), ("flat_admit_day", "flat_leave_day"),
    ("flat_admit_day", "unit_admit_day"), ("flat_leave_day", "end_day"),
    ("nctr_day", "fix_referred_day"), ("fix_referred_day", "fix_start_day"),
    ("fix_start_day", "fix_done_day"),
]
TIMES = sorted({name for pair in ORDER for name in pair})


def check_order(log, horizon: float) -> None:
    for earlier, later in ORDER:
        a, b = log[earlier], log[later]
        both = ~np.isnan(a) & ~np.isnan(b)
        bad = np.flatnonzero(both & (b < a - 1e-9))
        assert bad.size == 0, f"{later} before {earlier} in rows {bad[:5]}: {a[bad[:5]]} > {b[bad[:5]]}"
    for name in TIMES:
        values = log[name]
        assert not np.any(values[~np.isnan(values)] > horizon + 1e-9), f"{name} after the end of the run"
    for name in ("unit_closed_wait_days", "onward_closed_wait_days"):
        values = log[name]
        assert not np.any(values[~np.isnan(values)] < 0), f"negative {name}"


def _stays(log, column: str, code: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(admit, leave, row) of every stay in unit ``code`` (first stays, then onward ones)."""
    first = log["unit"] == code if column == "unit" else log["onward_unit"] == code
    admit = log["unit_admit_day"] if column == "unit" else log["onward_admit_day"]
    leave = log["unit_leave_day"] if column == "unit" else log["onward_leave_day"]
    rows = np.flatnonzero(first & ~np.isnan(admit))
    return admit[rows], np.where(np.isnan(leave[rows]), np.inf, leave[rows]), rows


def _state(changes: list[tuple[float, bool, int]], t: float) -> list[tuple[bool, int]]:
    """The (open, capacity) states that may apply at ``t``: both sides of a change point at ``t``.

    The simulation clock reaches a change point by adding a delay, so it may be off by a rounding
    error; a change within 1e-9 days of ``t`` counts as simultaneous.
    """
    times = [c[0] for c in changes]
    first = max(bisect_right(times, t - 1e-9) - 1, 0)
    last = max(bisect_right(times, t + 1e-9) - 1, 0)
    return [c[1:] for c in changes[first:last + 1]]


def check_units(result) -> None:
    log, scenario = result.episodes, result.scenario
    census_rows = _census_placements(result)
    for code, unit in enumerate(scenario.units):
        admit, leave, rows = (np.concatenate(parts) for parts in zip(
            _stays(log, "unit", code), _stays(log, "onward_unit", code), strict=True))
        changes = result.availability.get(unit.name, [(0.0, True, unit.capacity)])
        for t, row in zip(admit.tolist(), rows.tolist(), strict=True):
            if row in census_rows:
                continue  # placed at the start by the warm start, whatever the capacity
            occupied = int(np.count_nonzero((admit <= t) & (leave > t)))
            states = _state(changes, t)
            assert any(is_open for is_open, _ in states), f"{unit.name} admitted at {t} while closed"
            capacity = max(c for _, c in states)
            assert occupied <= capacity, f"{unit.name}: {occupied} occupants at {t}, capacity {capacity}"


def _census_placements(result) -> set[int]:
    """Rows of warm-start patients placed straight into a unit (admitted at the start, not queued)."""
    census = result.scenario.initial_census
    placed = sum(len(days) for _, days in census.in_units)
    first = result.patients_arrived - census.patients
    log = result.episodes
    return set(np.flatnonzero((log["patient"] >= first) & (log["patient"] < first + placed)
                              & (log["episode"] == 0)).tolist())


def check_flats(result) -> None:
    log = result.episodes
    for code, scheme in enumerate(result.scenario.housing.flats):
        rows = np.flatnonzero(log["flat"] == code)
        admit = log["flat_admit_day"][rows]
        leave = np.where(np.isnan(log["flat_leave_day"][rows]), np.inf, log["flat_leave_day"][rows])
        slots = log["flat_slot"][rows]
        assert np.all((slots >= 0) & (slots < scheme.capacity)), f"{scheme.name}: slot out of range"
        for t in admit.tolist():
            occupied = int(np.count_nonzero((admit <= t) & (leave > t)))
            assert occupied <= scheme.capacity, f"{scheme.name}: {occupied} in {scheme.capacity} flats"
        for slot in set(slots.tolist()):
            mine = np.argsort(admit[slots == slot])
            a, b = admit[slots == slot][mine], leave[slots == slot][mine]
            assert np.all(a[1:] >= b[:-1] - 1e-9), f"{scheme.name}: two patients in flat {slot} at once"


def check_acute_beds(result) -> None:
    acute = result.scenario.acute
    if not acute.enabled:
        return
    log = result.episodes
    rows = np.flatnonzero(~np.isnan(log["admission_day"]))
    admit = log["admission_day"][rows]
    leave = np.where(np.isnan(log["acute_leave_day"][rows]), np.inf, log["acute_leave_day"][rows])
    for t in admit.tolist():
        occupied = int(np.count_nonzero((admit <= t) & (leave > t)))
        assert occupied <= acute.beds, f"{occupied} acute beds occupied at {t}, {acute.beds} exist"


def check_conservation(result) -> None:
    log = result.episodes
    assert result.patients_arrived == result.patients_left + result.patients_in_system
    ended = ~np.isnan(log["end_day"])
    assert len(log) - int(ended.sum()) == result.episodes_in_progress
    patients = log["patient"]
    assert len(np.unique(patients)) == result.patients_arrived  # every patient has an episode
    last = {}
    for row, (patient, episode) in enumerate(zip(patients.tolist(), log["episode"].tolist(), strict=True)):
        if episode >= last.get(patient, (-1, -1))[0]:
            last[patient] = (episode, row)
    left = sum(1 for _, row in last.values() if ended[row] and log["readmitted"][row] == 0)
    assert left == result.patients_left, f"log says {left} left, the model {result.patients_left}"
    # episodes of a patient are 0..k, each after the first following a readmission
    for patient, (episode, _) in last.items():
        mine = np.flatnonzero(patients == patient) if episode else None
        if mine is not None:
            assert sorted(log["episode"][mine].tolist()) == list(range(episode + 1))


@pytest.mark.parametrize("seed", range(N_CONFIGS))
def test_random_valid_config_simulates_and_keeps_invariants(seed, tmp_path):
    scenario = build_scenario(random_config(seed, tmp_path))
    result = simulate(scenario, 0)
    check_order(result.episodes, scenario.end_days)  # the run goes on through its cool-down
    check_units(result)
    check_flats(result)
    check_acute_beds(result)
    check_conservation(result)
    kpis = compute_metrics(result).kpis  # and the KPIs of a valid config never crash either
    assert 0 <= kpis["delay_censored_n"] <= kpis["delay_n"] == kpis["nctr_episodes"]


def test_the_generator_covers_what_it_should(tmp_path):
    """The configs above really vary every feature (so the invariants are tested where it matters)."""
    seen: dict[str, int] = dict.fromkeys(
        [*KINDS, "calendar", "schedule", "closures", "absence", "housing", "coordinators", "flats",
         "acute", "census_yaml", "census_csv", "series", "zero_capacity", "readmission", "cool_down"],
        0)
    for seed in range(N_CONFIGS):
        folder = tmp_path / str(seed)
        folder.mkdir()
        cfg = random_config(seed, folder)
        text = repr(cfg)
        for kind in KINDS:
            seen[kind] += f"'kind': '{kind}'" in text
        units = cfg["services"].values()
        seen["calendar"] += any("admission" in u for u in units)
        seen["schedule"] += any("capacity_schedule" in u for u in units)
        seen["closures"] += any("closures" in u for u in units)
        seen["absence"] += any("staff_absence" in u for u in units)
        seen["zero_capacity"] += any(u["capacity"] == 0 for u in units)
        seen["housing"] += "housing" in cfg
        seen["coordinators"] += "housing" in cfg and cfg["housing"]["coordinators"]["fte"] > 0
        seen["flats"] += "housing" in cfg and bool(cfg["housing"]["flats"])
        seen["acute"] += "acute" in cfg
        census = cfg["run"].get("initial_census", "")
        seen["census_yaml"] += census.endswith(".yaml")
        seen["census_csv"] += census.endswith(".csv")
        seen["series"] += "series_csv" in cfg["arrivals"]
        seen["readmission"] += bool(cfg["readmission"]["probability"])
        seen["cool_down"] += cfg["run"]["cool_down_days"] > 0
    assert all(count >= 5 for count in seen.values()), seen
