"""The parameter reference documents every setting of the schema and matches the committed page.

``docs/reference/parameters.md`` is generated from the schema, the default system and
``flowsim/model/parameter_docs.py``. These tests fail when a schema field has no unit or description,
when documentation names a field (or a default-system entry) that is gone, and when the committed page
is not what the generator makes now. The rows checked by hand carry values read off the shipped YAML.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from flowsim.model import config as schema
from flowsim.model.config import RunConfig, UnitConfig
from flowsim.model.parameter_docs import FIELD_DOCS, VALUE_SOURCES, FieldDoc
from flowsim.model.parameter_table import (
    field_doc,
    parameter_sections,
    schema_dataclasses,
    stale,
    stale_value_sources,
    undocumented,
)
from flowsim.model.parameters import COMMAND, default_system, render_page

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "reference" / "parameters.md"
REGENERATE = "python -m flowsim.model.parameters > docs/reference/parameters.md"
NOT_DOCUMENTED = "not documented; add it to FIELD_DOCS in flowsim/model/parameter_docs.py"

# Rows (their first five cells: path, type, unit, schema default, default system) written by hand from
# flowsim/model/config.py and configs/system/default.yaml, configs/housing/default.yaml.
KNOWN_ROWS = [
    "| `arrivals.rate_per_day` | number | patients per day | required | `220.9` |",
    "| `run.cool_down_days` | number | days | `0` | `60` |",
    "| `services.<unit>.capacity` | whole number | places | required | *p1_reablement*: `453`; "
    "*ic_beds*: `388`; *care_home_unit*: `20`; *p3_interim_beds*: `373` |",
    "| `services.<unit>.closures.duration_days` | distribution or null | days | unset | every unit: unset |",
    "| `pathways.p0_admin_delay_days` | distribution | days | unset | "
    "`{kind: lognormal, mu: -5.298, sigma: 1}` |",
    "| `housing.coordinators.caseload_per_fte` | whole number | cases per FTE | `15` | `15` |",
    "| `housing.flats.<scheme>.max_stay_days` | number | days | `42` | — |",
    "| `costs.acute_bed_day` | number or basis name | GBP per bed-day | required | `full_cost` |",
    "| `costs.bed_day_bases.<basis>.per_day` | number | GBP per bed-day | required | *full_cost*: `395`; "
    "*ipacs_2017_18*: `346`; *nottingham_2016*: `106.81`; *marginal*: `99` |",
]
HEADINGS = ["Top level", "`run`", "`arrivals`", "`pathways`", "`services`", "`after_p2`", "`readmission`",
            "`costs`", "`housing`", "`acute`", "`outputs`", "`precision`", "Distributions"]
# Entry names of the default system stand for the word the page uses in their paths.
ENTRY_WORDS = [(re.compile(r"^services\.[^.]+"), "services.<unit>"),
               (re.compile(r"^housing\.types\.[^.]+"), "housing.types.<type>"),
               (re.compile(r"^housing\.flats\.[^.]+"), "housing.flats.<scheme>"),
               (re.compile(r"^pathways\.arrangement_days\.[^.]+"), "pathways.arrangement_days.<pathway>"),
               (re.compile(r"^costs\.bed_day_bases\.[^.]+"), "costs.bed_day_bases.<basis>")]


@pytest.fixture(scope="module")
def system() -> dict[str, Any]:
    return default_system()


@pytest.fixture(scope="module")
def fresh(system) -> str:
    return render_page(system)


def _cells(line: str) -> list[str]:
    """The cells of a table row: code spans may hold pipes, escaped pipes are text."""
    plain = re.sub(r"`[^`]*`", "code", line.strip())
    return [c.strip() for c in re.split(r"(?<!\\)\|", plain)[1:-1]]


def test_every_schema_field_has_a_unit_and_a_description():
    classes = schema_dataclasses()
    # every dataclass of the schema module, the root included (20 when this test was written)
    assert schema.FlowsimConfig in classes and schema.DistributionConfig in classes and len(classes) >= 20
    assert undocumented(classes) == []


def test_a_field_added_to_the_schema_without_documentation_fails(tmp_path, monkeypatch):
    source = (ROOT / "flowsim" / "model" / "config.py").read_text(encoding="utf-8")
    assert source.count('    description: str = ""\n') == 1
    planted = source.replace('    description: str = ""\n',
                             '    description: str = ""\n    priority_rule: str = "fcfs"\n')
    (tmp_path / "config_planted.py").write_text(planted, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("config_planted", tmp_path / "config_planted.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "config_planted", module)
    spec.loader.exec_module(module)
    # the same documentation, keyed by the planted module's classes
    docs = {getattr(module, cls.__name__): entries for cls, entries in FIELD_DOCS.items()}
    assert undocumented(schema_dataclasses(module), docs) == [f"UnitConfig.priority_rule: {NOT_DOCUMENTED}"]


def test_a_new_dataclass_without_documentation_fails():
    extended = dataclasses.make_dataclass("RunConfig", [("calendar", str, dataclasses.field(default="x"))],
                                          bases=(RunConfig,))
    assert undocumented([extended], {**FIELD_DOCS, extended: FIELD_DOCS[RunConfig]}) == [
        f"RunConfig.calendar: {NOT_DOCUMENTED}"]
    assert undocumented([extended], FIELD_DOCS)[0] == f"RunConfig.start_date: {NOT_DOCUMENTED}"


def test_each_gap_in_an_entry_is_found():
    toy = dataclasses.make_dataclass("Toy", [
        ("a", float, dataclasses.field(default=0.0)), ("b", float, dataclasses.field(default=0.0)),
        ("c", Any, dataclasses.field(default=0)),
        ("d", dict[str, UnitConfig], dataclasses.field(default_factory=dict))])
    docs = {toy: {"a": FieldDoc(" ", "A"), "b": FieldDoc("days", ""), "c": FieldDoc("places", "C"),
                  "d": FieldDoc("named units", "D")}}
    assert undocumented([toy], docs) == [
        "Toy.a: no unit (use a unitless word such as 'flag' or 'text')",
        "Toy.b: no description",
        "Toy.c: typed Any in the schema; give the value_type users see",
        "Toy.d: a mapping of settings; give the key word for its entry names"]


def test_no_documentation_entry_is_stale(system):
    assert stale(schema_dataclasses()) == []
    assert stale_value_sources(system) == []


def test_a_stale_entry_is_found(system):
    toy = dataclasses.make_dataclass("Toy", [("a", float)])
    docs = {**FIELD_DOCS, RunConfig: {**FIELD_DOCS[RunConfig], "horizon": FieldDoc("days", "renamed")},
            toy: {"a": FieldDoc("days", "A")}}
    assert stale(schema_dataclasses(), docs) == ["RunConfig.horizon: documented but not a field of RunConfig",
                                                 "Toy: documented but not a dataclass of the schema"]
    sources = {**VALUE_SOURCES, "services.step_up.capacity": "x", "housing.types.rehousing.fix_days": "y"}
    assert stale_value_sources(system, sources) == [
        "services.step_up.capacity: has a source but is not a value of the default system",
        "housing.types.rehousing.fix_days: has a source but is not a value of the default system"]


def test_the_generator_refuses_undocumented_fields(system):
    docs = {**FIELD_DOCS, UnitConfig: {k: v for k, v in FIELD_DOCS[UnitConfig].items() if k != "preference"}}
    with pytest.raises(ValueError, match=re.escape(f"UnitConfig.preference: {NOT_DOCUMENTED}")):
        parameter_sections(system, docs)
    with pytest.raises(ValueError, match=re.escape("services.ic_bed.capacity: has a source")):
        parameter_sections(system, sources={"services.ic_bed.capacity": "typo"})


def test_the_committed_page_is_the_generated_one(fresh):
    assert COMMAND == REGENERATE
    committed = PAGE.read_text(encoding="utf-8")
    assert committed.splitlines()[0].startswith(f"<!-- generated by `{REGENERATE}`; do not edit")
    assert committed == fresh, f"docs/reference/parameters.md is out of date; regenerate it: {REGENERATE}"


@pytest.mark.parametrize("row", KNOWN_ROWS, ids=lambda row: row.split("`")[1])
def test_known_parameters_have_their_known_values(fresh, row):
    assert any(line.startswith(row) for line in fresh.splitlines()), row


def test_every_section_has_its_table(fresh):
    headings = [line[3:] for line in fresh.splitlines() if line.startswith("## ")]
    assert headings == ["Setting a parameter", "Reading the tables", *HEADINGS]
    for block in fresh.split("\n## ")[3:]:
        assert "| config path | type | unit | default | default system | description | source |" in block


def test_every_row_has_seven_single_line_cells(fresh):
    rows = [line for line in fresh.splitlines() if line.startswith("| `")]
    assert len(rows) > 80  # 86 when this test was written
    bad = [row for row in rows if len(_cells(row)) != 7 or any(cell == "" for cell in _cells(row))]
    assert not bad, bad


def test_a_pipe_or_angle_bracket_in_a_description_cannot_break_the_table(system):
    odd = FieldDoc("days", "Either <a> | or <b>", "source | with pipe")
    docs = {**FIELD_DOCS, RunConfig: {**FIELD_DOCS[RunConfig], "warm_up_days": odd}}
    (row,) = [p for s in parameter_sections(system, docs) for p in s.parameters
              if p.path == "`run.warm_up_days`"]
    assert row.description == "Either &lt;a> \\| or &lt;b>"
    assert row.source == "source \\| with pipe"


def test_every_setting_of_the_default_system_has_a_row(system, fresh):
    rows = {re.match(r"\| `([^`]*)`", line).group(1): _cells(line)
            for line in fresh.splitlines() if line.startswith("| `")}
    whole_values = {path for path, cells in rows.items()
                    if cells[1].startswith(("distribution", "mapping of numbers"))}

    def paths(node: Any, path: str):
        yield path
        if isinstance(node, dict):
            for key, value in node.items():
                yield from paths(value, f"{path}.{key}" if path else key)

    missing = []
    for path in paths(system, ""):
        for pattern, word in ENTRY_WORDS:
            path = pattern.sub(word, path)
        if not path or path.endswith(">"):
            continue  # the root, or an entry: the row of its mapping lists the entries
        inside = any(path.startswith(f"{whole}.") for whole in whole_values)
        if not (path in rows or f"\n## `{path}`\n" in fresh or inside):
            missing.append(path)
    assert not missing, missing


def test_the_documented_schema_is_walked_once_a_process(monkeypatch):
    # the app documents every field of its form at each redraw: a walk per field took half of it
    from flowsim.model import parameter_table

    assert field_doc("services.ic_beds.capacity") == FIELD_DOCS[UnitConfig]["capacity"]
    monkeypatch.setattr(parameter_table.typing, "get_type_hints",
                        lambda cls: pytest.fail(f"the schema was walked again ({cls.__name__})"))
    assert field_doc("services.ic_beds.capacity") == FIELD_DOCS[UnitConfig]["capacity"]
    assert field_doc("run.horizon_days") == FIELD_DOCS[RunConfig]["horizon_days"]
    with pytest.raises(pytest.fail.Exception, match="walked again"):
        field_doc("run.horizon_days", {**FIELD_DOCS})  # documentation of one's own: walked as given
