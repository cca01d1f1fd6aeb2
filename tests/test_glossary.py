"""The glossary (docs/glossary.md) documents every output: each column of each file a run or a sweep
writes, each key of their JSON files, and each line, table column and feature flowsim prints.

Real outputs are produced once per module: a run of the ``flowsim`` command with every optional feature
on (housing barriers with a coordinator and step-down flats, the acute bed pool, a capacity schedule,
an admission calendar, outbreak closures, staff absence, a contracted maximum stay, a warm start from
a census; two replications), and a small sweep (2 jobs x 2 replications of the core model) gathered
and compared as ``flowsim-collect`` does. Their names are checked against the rows of the glossary's
tables, found by the sections' anchors (``{#id}``). A row may be a pattern such as
``occupied_<unit>``: each placeholder stands only for the names the glossary's Placeholders table
lists, or for the names the run itself defines (its units, barrier types, flat schemes ...), so a
pattern never covers a column it does not describe. The checks are also run backwards (every row
names something that exists), and the last tests show that a new column, key or printed line
without a row, or a row removed from the glossary, is reported by name.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from omegaconf import OmegaConf

from flowsim.cli.main import collect_and_report
from flowsim.experiment.pipeline import run_scenario
from flowsim.experiment.sweep_jobs import write_sweep_record
from flowsim.measures.aggregate import summarise
from flowsim.model.compose import load_config
from flowsim.model.scenario import build_scenario
from flowsim.reporting.summary import format_summary

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "glossary.md"

CENSUS = "units:\n  ic_beds: {count: 10}\n  care_home_unit: {days_stayed: [3, 12]}\n" \
         "waiting:\n  P2: {days_waited: [0.5, 2]}\n  P1: {count: 2}\n"
# Every optional feature on, small and short; few acute beds so that patients board in ED.
RICH = ["scenario=quick", "housing=step_down_flats", "housing.barrier_probability=0.05",
        "run.warm_up_days=20", "run.horizon_days=80", "run.cool_down_days=5", "replications=2",
        "acute.enabled=true", "acute.beds=120",
        "acute.clinical_los_days={kind: lognormal, mean: 4.2, sd: 5.0}",
        "services.ic_beds.capacity_schedule=[{start: '2025-05-01', capacity: 40}]",
        "services.care_home_unit.admission={days: [Mon, Tue, Wed, Thu, Fri], open_hour: 9, close_hour: 17}",
        "services.ic_beds.closures.outbreaks_per_year=4",
        "services.ic_beds.closures.duration_days={kind: fixed, value: 3}",
        "services.p1_reablement.staff_absence.fraction_of_days=0.1",
        "services.p1_reablement.staff_absence.capacity_factor=0.8",
        "services.ic_beds.max_stay_days=42", "services.ic_beds.cost_per_over_length_day=100",
        "housing.community_referrals.rate_per_day=0.2", "housing.flats.step_down.community=true",
        "housing.community_referrals.flat_share=0.5",
        "housing.flats.step_down.without_barrier={P1: 0.05}", "housing.flats.step_down.enforce_max_stay=true",
        "housing.coordinators.follow_up_days={kind: fixed, value: 10}"]
# The core model: housing off, and the calibrated default's delays and seasonal capacity switched off.
CORE = ["housing=off", "pathways.p0_other_reasons.probability=0",
        *(f"pathways.arrangement_days.{p}={{kind: fixed, value: 0}}" for p in ("P1", "P2", "P3")),
        *(f"services.{u}.month_capacity_factors=[1,1,1,1,1,1,1,1,1,1,1,1]"
          for u in ("p1_reablement", "ic_beds", "care_home_unit", "p3_interim_beds"))]
SWEEP = ["scenario=quick", *CORE, "run.warm_up_days=10", "run.horizon_days=40",
         "run.cool_down_days=5", "replications=2", "outputs.census=false", "outputs.patients=false"]
SWEPT = "services.care_home_unit.capacity"
SWEPT_VALUES = (2, 4)

# Glossary section (anchor) of each output file.
RUN_TABLES = {"patients.parquet": "patientsparquet", "units.parquet": "unitsparquet",
              "census.parquet": "censusparquet", "replications.parquet": "replicationsparquet",
              "summary.csv": "summarycsv-of-a-run"}
RUN_JSON = {"metrics.json": "metricsjson", "manifest.json": "manifestjson"}
CHECKPOINT_JSON = {"identity.json": "identityjson", "kpis.json": "kpisjson"}
SWEEP_TABLES = {"results.parquet": "resultsparquet", "summary.csv": "summarycsv-of-a-sweep",
                "comparison.csv": "comparisoncsv"}
SWEEP_JSON = {"sweep.json": "sweepjson", "collected.json": "collectedjson"}
# JSON objects documented as a whole elsewhere (the configuration: its own reference page).
OPAQUE = frozenset({"config"})
# Placeholders whose names come from the run itself, not from a list in the glossary.
OPEN = ("unit", "barrier type", "scheme", "kpi", "units column", "swept key", "job")


# -- reading the glossary ----------------------------------------------------------------------------
def section(text: str, anchor: str) -> str:
    """The text under the heading ``... {#anchor}``, up to the next heading of the same or a higher level."""
    heading = re.search(rf"^(#+) .*\{{#{re.escape(anchor)}\}}\s*$", text, re.M)
    if heading is None:
        raise KeyError(f"docs/glossary.md has no section {{#{anchor}}}")
    level = len(heading.group(1))
    end = re.compile(rf"^#{{1,{level}}} ", re.M).search(text, heading.end())
    return text[heading.end():end.start() if end else len(text)]


def table_rows(text: str) -> list[tuple[list[str], list[str]]]:
    """(names in code in the first cell, cells) of every table row of ``text`` that names something."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("|") or re.fullmatch(r"\|[-|: ]+\|?", line.strip()):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        names = re.findall(r"`([^`]+)`", cells[0])
        if names:
            rows.append((names, cells))
    return rows


def documented(text: str, anchor: str) -> list[str]:
    """Every name (or pattern) a section's tables document."""
    return [name for names, _ in table_rows(section(text, anchor)) for name in names]


def placeholder_lists(text: str) -> dict[str, list[str]]:
    """Placeholder -> the names it stands for, from the Placeholders table (open ones: empty)."""
    lists = {}
    for names, cells in table_rows(section(text, "placeholders")):
        for name in names:
            key = name.strip("<>")
            lists[key] = [] if key in OPEN else re.findall(r"`([^`]+)`", cells[1])
    return lists


# -- names against patterns --------------------------------------------------------------------------
def pattern(name: str, vocabulary: Mapping[str, Iterable[str]]) -> re.Pattern[str]:
    """``occupied_<unit>`` -> a regex matching ``occupied_`` followed by one of the unit names."""
    parts, position = [], 0
    for match in re.finditer(r"<([^<>]+)>", name):
        parts.append(re.escape(name[position:match.start()]))
        if match.group(1) not in vocabulary:
            raise KeyError(f"`{name}`: the placeholder <{match.group(1)}> is not in the Placeholders table")
        values = sorted(vocabulary[match.group(1)], key=len, reverse=True)
        parts.append("(?:" + "|".join(re.escape(v) for v in values) + ")" if values else "(?!)")
        position = match.end()
    parts.append(re.escape(name[position:]))
    return re.compile("".join(parts))


def undocumented(names: Iterable[str], rows: Sequence[str], vocabulary: Mapping[str, Iterable[str]]
                 ) -> list[str]:
    """The names no row (literal or pattern) covers."""
    patterns = [pattern(row, vocabulary) for row in rows]
    return sorted(n for n in set(names) if not any(p.fullmatch(n) for p in patterns))


def unused(rows: Sequence[str], names: Iterable[str], vocabulary: Mapping[str, Iterable[str]]) -> list[str]:
    """The rows that cover no name: stale documentation."""
    names = set(names)
    return [row for row in rows if not any(pattern(row, vocabulary).fullmatch(n) for n in names)]


def json_keys(data: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of every key (``units[].unit`` inside a list of records), not below OPAQUE ones."""
    keys = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        keys.append(path)
        if path in OPAQUE:
            continue
        if isinstance(value, dict):
            keys += json_keys(value, f"{path}.")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for record in value:
                keys += json_keys(record, f"{path}[].")
    return keys


# -- printed lines against templates -----------------------------------------------------------------
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:,\d{3})*(?:\.\d+)?(?!\w)")


def mask(line: str) -> str:
    """Numbers (with any ``± half-width``, or ``-`` for none) become ``N``; spaces are collapsed."""
    text = NUMBER.sub("N", " ".join(line.split()))
    text = re.sub(r"(?<=\s)-(?=\s|$)", "N", text)
    return text.replace("N ± N", "N")


def template(text: str) -> re.Pattern[str]:
    """A glossary line as a regex: numbers as in :func:`mask`, ``<...>`` any text, ``[...]`` optional."""
    masked, parts, position = mask(text), [], 0
    for match in re.finditer(r"<[^<>]*>|\[|\]", masked):
        parts.append(re.escape(masked[position:match.start()]))
        token = match.group()
        parts.append(".+?" if token.startswith("<") else "(?:" if token == "[" else ")?")
        position = match.end()
    parts.append(re.escape(masked[position:]))
    return re.compile("".join(parts))


def printed_problems(printed: str, glossary: str) -> tuple[list[str], set[str], set[str]]:
    """(what is undocumented, table columns seen, features seen) in text flowsim printed.

    A line followed by a line of dashes heads a table: each column (cells are separated by two or more
    spaces) needs a row in Table columns, and the rows below it (as many cells) are values. Every other
    line must match a row of Lines; the phrases of the Features line must each match a feature row.
    """
    lines = [template(t) for t in documented(glossary, "printed-lines")]
    columns = set(documented(glossary, "printed-columns"))
    features = [template(t) for t in documented(glossary, "printed-features")]
    problems, seen_columns, seen_features = [], set(), set()
    text = printed.splitlines()
    i = 0
    while i < len(text):
        line = text[i].rstrip()
        if not line.strip():
            i += 1
            continue
        if i + 1 < len(text) and re.fullmatch(r"-{3,}", text[i + 1].strip()):
            headers = re.split(r"\s{2,}", line.strip())
            seen_columns.update(headers)
            problems += [f"table column {h!r}" for h in headers if h not in columns]
            i += 2
            while i < len(text) and len(re.split(r"\s{2,}", text[i].strip())) == len(headers):
                i += 1  # a value row (a blank line has one cell, a table at least two)
            continue
        if not any(t.fullmatch(mask(line)) for t in lines):
            problems.append(f"line {line!r}")
        elif line.startswith("Features: "):
            for phrase in line.removeprefix("Features: ").split("; "):
                seen_features.add(phrase)
                if not any(t.fullmatch(mask(phrase)) for t in features):
                    problems.append(f"feature {phrase!r}")
        i += 1
    return problems, seen_columns, seen_features


# -- real outputs ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def glossary() -> str:
    return GLOSSARY.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict[str, Any]:
    """The ``flowsim`` command with every feature on: its folder and what it printed."""
    root = tmp_path_factory.mktemp("glossary_run")
    census = root / "census.yaml"
    census.write_text(CENSUS, encoding="utf-8")
    folder = root / "run"
    done = subprocess.run([sys.executable, "-m", "flowsim", *RICH, f"run.initial_census={census}",
                           f"hydra.run.dir={folder}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    own_stderr = "\n".join(line for line in done.stderr.splitlines() if line.startswith("flowsim"))
    return {"folder": folder, "printed": done.stdout + "\n" + own_stderr}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> dict[str, Any]:
    """A sweep of two jobs, assembled in-process as ``flowsim -m`` does, gathered and compared."""
    root = tmp_path_factory.mktemp("glossary_sweep")
    series = tmp_path_factory.mktemp("glossary_inputs") / "arrivals.csv"  # an input file of the identity
    series.write_text("date,rate_per_day\n" + "".join(
        f"{day.date()},25\n" for day in pd.date_range("2025-04-01", periods=40)), encoding="utf-8")
    jobs, one_replication = [], ""
    for job, value in enumerate(SWEPT_VALUES):
        overrides = [*SWEEP, f"arrivals.series_csv={series}", f"{SWEPT}={value}"]
        done = run_scenario(load_config(overrides), root / str(job), overrides, progress=False, job=job)
        jobs.append((overrides, done.identity, 2))
        if job == 0:  # the summary of a single replication of the core model
            first = done.replications.iloc[:1]
            one_replication = format_summary(summarise(first), done.units[done.units["replication"] == 0],
                                             done.scenario, 1)
    write_sweep_record(root, jobs, [*SWEEP, f"{SWEPT}=" + ",".join(map(str, SWEPT_VALUES))])
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        collect_and_report(str(root))
    return {"folder": root, "printed": one_replication + "\n" + printed.getvalue()}


def _columns(path: Path) -> list[str]:
    table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    return [str(c) for c in table.columns]


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def outputs(run, sweep) -> dict[str, set[str]]:
    """Glossary anchor -> every column or key found in the files it documents."""
    names: dict[str, set[str]] = {}
    run_folders = [run["folder"], *(sweep["folder"] / str(job) for job in range(len(SWEPT_VALUES)))]
    for folder in run_folders:
        for file, anchor in RUN_TABLES.items():
            if (folder / file).is_file():
                names.setdefault(anchor, set()).update(_columns(folder / file))
        for file, anchor in RUN_JSON.items():
            names.setdefault(anchor, set()).update(json_keys(_json(folder / file)))
        for file, anchor in CHECKPOINT_JSON.items():
            for path in (folder / "checkpoints").rglob(file):
                names.setdefault(anchor, set()).update(json_keys(_json(path)))
    for file, anchor in SWEEP_TABLES.items():
        names[anchor] = set(_columns(sweep["folder"] / file))
    for file, anchor in SWEEP_JSON.items():
        names[anchor] = set(json_keys(_json(sweep["folder"] / file)))
    return names


@pytest.fixture(scope="module")
def vocabulary(glossary, run, sweep, outputs) -> dict[str, list[str]]:
    """What each placeholder stands for: the glossary's lists, and the names the runs define."""
    vocabulary = placeholder_lists(glossary)
    configs = [_json(run["folder"] / "manifest.json")["config"],
               *(_json(sweep["folder"] / str(job) / "manifest.json")["config"]
                 for job in range(len(SWEPT_VALUES)))]
    vocabulary["unit"] = sorted({u for c in configs for u in c["services"]})
    vocabulary["barrier type"] = sorted({t for c in configs for t in c["housing"]["types"]})
    vocabulary["scheme"] = sorted({f for c in configs for f in c["housing"]["flats"]})
    vocabulary["swept key"] = [SWEPT]
    vocabulary["job"] = [str(job) for job in range(len(SWEPT_VALUES))]
    kpis = outputs["replicationsparquet"] - {"replication"}
    vocabulary["kpi"] = sorted(set(kpis) - set(undocumented(
        kpis, documented(glossary, "replicationsparquet"), vocabulary)))
    columns = outputs["unitsparquet"]
    vocabulary["units column"] = sorted(set(columns) - set(undocumented(
        columns, documented(glossary, "unitsparquet"), vocabulary)))
    return vocabulary


ANCHORS = sorted({*RUN_TABLES.values(), *RUN_JSON.values(), *CHECKPOINT_JSON.values(),
                  *SWEEP_TABLES.values(), *SWEEP_JSON.values()})


# -- the glossary covers the outputs -----------------------------------------------------------------
def test_the_placeholders_are_all_explained(glossary):
    lists = placeholder_lists(glossary)
    assert set(OPEN) <= set(lists), f"open placeholders missing from the table: {set(OPEN) - set(lists)}"
    closed_without_names = [k for k, v in lists.items() if k not in OPEN and not v]
    assert not closed_without_names, closed_without_names


@pytest.mark.parametrize("anchor", ANCHORS)
def test_every_column_and_key_has_a_glossary_row(anchor, glossary, outputs, vocabulary):
    found = outputs[anchor]
    assert found, f"no output read for {{#{anchor}}}"
    missing = undocumented(found, documented(glossary, anchor), vocabulary)
    assert not missing, f"docs/glossary.md {{#{anchor}}} lacks a row for: {', '.join(missing)}"


@pytest.mark.parametrize("anchor", ANCHORS)
def test_every_glossary_row_names_a_real_column_or_key(anchor, glossary, outputs, vocabulary):
    stale = unused(documented(glossary, anchor), outputs[anchor], vocabulary)
    assert not stale, f"docs/glossary.md {{#{anchor}}} documents what no output has: {', '.join(stale)}"


def test_every_printed_line_is_in_the_glossary(glossary, run, sweep):
    problems, _, _ = printed_problems(run["printed"] + "\n" + sweep["printed"], glossary)
    assert not problems, "not in docs/glossary.md (The printed summary):\n" + "\n".join(problems)


def test_every_printed_column_and_feature_row_is_printed(glossary, run, sweep):
    _, columns, features = printed_problems(run["printed"] + "\n" + sweep["printed"], glossary)
    stale = [c for c in documented(glossary, "printed-columns") if c not in columns]
    stale += [f for f in documented(glossary, "printed-features")
              if not any(template(f).fullmatch(mask(p)) for p in features)]
    assert not stale, f"documented but never printed: {stale}"


def test_the_runs_print_what_the_glossary_describes(run, sweep):
    # the outputs above do exercise the conditional lines and columns
    printed = run["printed"] + sweep["printed"]
    for text in ("Housing coordinators:", "Step-down flats step_down", "Acute bed pool:", "mean capacity",
                 "(delays followed", "calendar", "flowsim: warning:", "Against baseline job",
                 "Features: none (the core model alone)", "warm start from a census"):
        assert text in printed, text


# -- the checks fail when something is added without a glossary row ----------------------------------
def test_a_new_column_without_a_row_is_named(glossary, run, vocabulary):
    replications = pd.read_parquet(run["folder"] / "replications.parquet")
    replications["delayed_days_weekend"] = 0.0
    census = pd.read_parquet(run["folder"] / "census.parquet")
    census["occupied_no_such_unit"] = 0  # a pattern row covers only the run's own units
    assert undocumented(replications.columns, documented(glossary, "replicationsparquet"),
                        vocabulary) == ["delayed_days_weekend"]
    assert undocumented(census.columns, documented(glossary, "censusparquet"),
                        vocabulary) == ["occupied_no_such_unit"]


def test_a_removed_glossary_row_is_named(glossary, run, vocabulary):
    edited = "\n".join(line for line in glossary.splitlines()
                       if not line.startswith(("| `delay_censored` |", "| `occupied_<unit>` |")))
    assert edited != glossary
    patients = pd.read_parquet(run["folder"] / "patients.parquet").columns
    census = pd.read_parquet(run["folder"] / "census.parquet").columns
    assert undocumented(patients, documented(edited, "patientsparquet"), vocabulary) == ["delay_censored"]
    assert undocumented(census, documented(edited, "censusparquet"), vocabulary) == [
        "occupied_care_home_unit", "occupied_ic_beds", "occupied_p1_reablement", "occupied_p3_interim_beds"]


def test_a_new_json_key_without_a_row_is_named(glossary, run, vocabulary):
    metrics = _json(run["folder"] / "metrics.json")
    metrics["precision"]["replications_needed"] = 12
    metrics["units"][0]["queue_mean"] = 1.0
    assert undocumented(json_keys(metrics), documented(glossary, "metricsjson"), vocabulary) == [
        "precision.replications_needed", "units[].queue_mean"]


def test_a_new_printed_line_or_item_without_a_row_is_named(glossary, run):
    printed = run["printed"]
    housing = next(line for line in printed.splitlines() if line.startswith("Housing: "))
    changed = printed.replace(housing, housing + ", fixes abandoned 3") + "\nReadmissions: 12 within 30 days"
    problems, _, _ = printed_problems(changed, glossary)
    assert problems == [f"line {housing + ', fixes abandoned 3'!r}", "line 'Readmissions: 12 within 30 days'"]
    features = next(line for line in printed.splitlines() if line.startswith("Features: "))
    problems, _, _ = printed_problems(printed.replace(features, features + "; discharge lounge (6 chairs)"),
                                      glossary)
    assert problems == ["feature 'discharge lounge (6 chairs)'"]
    table = printed.replace("mean occupied", "mean queue     ")
    assert printed_problems(table, glossary)[0] == ["table column 'mean queue'"]


def test_a_removed_printed_line_row_is_named(glossary, run):
    edited = "\n".join(line for line in glossary.splitlines() if not line.startswith("| `Housing: "))
    problems, _, _ = printed_problems(run["printed"], edited)
    assert len(problems) == 1 and problems[0].startswith("line 'Housing: "), problems


def test_a_pattern_stands_only_for_its_names():
    vocabulary = {"unit": ["ic_beds", "care_home_unit"], "q": ["50", "95"]}
    assert undocumented(["unit_ic_beds_utilisation", "unit_beds_utilisation", "delay_p95_days",
                         "delay_p9_days"], ["unit_<unit>_utilisation", "delay_p<q>_days"], vocabulary) == [
        "delay_p9_days", "unit_beds_utilisation"]
    assert undocumented(["flat_x_stays"], ["flat_<scheme>_stays"], {"scheme": []}) == ["flat_x_stays"]
    with pytest.raises(KeyError, match="placeholder <route>"):
        undocumented(["fixes_coordinated"], ["fixes_<route>"], {})


def test_masking_keeps_the_words_and_drops_the_numbers():
    assert mask("P2 bed-days blocked by housing 1,289 ± 40") == "P2 bed-days blocked by housing N"
    assert mask("95th percentile at midnight 256, p95 2.1") == "95th percentile at midnight N, p95 N"
    assert mask("mean wait for a coordinator - d") == "mean wait for a coordinator N d"
    assert template("Units[ (utilisation of the mean commissioned capacity)]").fullmatch("Units")
    assert template("Outputs written to <folder>/ (<files>)").fullmatch(
        mask("Outputs written to /tmp/x 1/ (a.csv, b.json)"))


def test_the_sweep_scenario_has_no_optional_feature():
    # the sweep's jobs are the core model alone, so its printed summary shows the other variants
    scenario = build_scenario(OmegaConf.to_container(load_config([*SWEEP, f"{SWEPT}=2"]), resolve=True))
    assert not scenario.housing.enabled and not scenario.acute.enabled
