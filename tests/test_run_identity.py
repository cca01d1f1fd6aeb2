"""flowsim.experiment.identity: every key that changes a run's results changes its identity digest (so
checkpoints
and sweep jobs are never reused across them), the keys that do not (NOT_HASHED) leave it alone, and
the phrases that tell a user what changed name exactly the changed parts."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from omegaconf import OmegaConf

import flowsim.experiment.identity as identity_module
from flowsim.experiment.identity import (
    NOT_HASHED,
    RunIdentity,
    changed_keys,
    describe_changes,
    differences,
    flowsim_version,
    identity_config,
    input_files,
    package_fingerprint,
    run_identity,
    source_fingerprint,
)
from flowsim.model.compose import load_config

START = dt.date(2025, 4, 1)  # run.start_date of the default system
SERIES = "date,rate_per_day\n" + "".join(f"{START + dt.timedelta(days=d)},250\n" for d in range(3))
CENSUS = "units: {ic_beds: {count: 5}}\n"


def _sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


@pytest.fixture
def inputs(tmp_path) -> dict[str, Path]:
    """A series CSV and a warm-start census, and copies of them with the same contents."""
    files = {"series": tmp_path / "series.csv", "census": tmp_path / "census.yaml",
             "series_copy": tmp_path / "series_copy.csv", "census_copy": tmp_path / "census_copy.yaml"}
    for name in ("series", "series_copy"):
        files[name].write_text(SERIES)
    for name in ("census", "census_copy"):
        files[name].write_text(CENSUS)
    return files


@functools.cache
def _composed() -> dict[str, Any]:
    return OmegaConf.to_container(load_config(["arrivals.series_csv=s.csv", "run.initial_census=c.yaml"]),
                                  resolve=True)


def _default(inputs: dict[str, Path]) -> dict[str, Any]:
    """The default config (composed once) with a series CSV and a warm-start census."""
    config = copy.deepcopy(_composed())
    config["arrivals"]["series_csv"] = str(inputs["series"])
    config["run"]["initial_census"] = str(inputs["census"])
    return config


def _leaves(node: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of every leaf: a value that is not a non-empty mapping (lists and {} are leaves)."""
    if isinstance(node, dict) and node:
        return [leaf for key, value in node.items() for leaf in _leaves(value, (*path, key))]
    return [path]


def _other(path: tuple[str, ...], value: Any, inputs: dict[str, Path]) -> Any:
    """Another value of the same kind for the leaf at ``path``."""
    dotted = ".".join(path)
    if dotted == "arrivals.series_csv":
        return str(inputs["series_copy"])  # another file with the same contents
    if dotted == "run.initial_census":
        return str(inputs["census_copy"])
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 2 + 1
    if value is None:
        return 2.5
    if isinstance(value, str):
        try:
            return (dt.date.fromisoformat(value) + dt.timedelta(days=1)).isoformat()
        except ValueError:
            return {"exponential": "gamma", "lognormal": "gamma", "gamma": "lognormal",
                    "uniform": "fixed", "uncoordinated": "wait"}.get(value, value + " (edited)")
    if isinstance(value, list):
        if not value:
            return [{"from": "2025-06-01", "capacity": 10}]
        return [*value[:-1], _other((*path, "last"), value[-1], inputs)]  # the last item changed
    if isinstance(value, dict):
        return {"flat_a": {"count": 2}}
    raise AssertionError(f"no other value for {dotted}={value!r}")


def _set(config: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


def test_the_default_config_has_the_leaves_this_test_walks(inputs):
    leaves = [".".join(p) for p in _leaves(_default(inputs))]
    assert len(leaves) == 474  # the walk below reaches every one of them
    assert {"arrivals.series_csv", "run.initial_census", "seed", "housing.flats",
            "services.ic_beds.capacity_schedule", "services.ic_beds.capacity"} <= set(leaves)


def test_every_result_relevant_leaf_changes_the_digest_and_is_named(inputs):
    base_config = _default(inputs)
    base = run_identity(base_config)
    stored = base.to_json()
    unchanged, unnamed = [], []
    checked = 0
    for path in _leaves(base_config):
        if path[0] in NOT_HASHED or path == ("seed",):
            continue
        dotted = ".".join(path)
        changed = run_identity(_set(base_config, path, _other(path, _lookup(base_config, path), inputs)))
        if changed.digest == base.digest or changed.config_sha256 == base.config_sha256:
            unchanged.append(dotted)
        # {} -> {"flat_a": {"count": 2}}: the empty mapping and the new leaf under it
        named = [dotted, f"{dotted}.flat_a.count"] if _lookup(base_config, path) == {} else [dotted]
        said = differences(stored, changed.to_json())
        if said != named:
            unnamed.append((dotted, said))
        checked += 1
    assert unchanged == []
    assert unnamed == []
    assert checked == 463  # 474 leaves less seed, replications, n_jobs, 3 outputs.* and 5 precision.*


def _lookup(config: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = config
    for key in path:
        node = node[key]
    return node


def test_adding_or_removing_a_key_changes_the_digest(inputs):
    base_config = _default(inputs)
    base = run_identity(base_config)
    added = _set(base_config, ("services", "step_up"), {"pathways": ["P2"], "capacity": 5})
    removed = copy.deepcopy(base_config)
    del removed["services"]["care_home_unit"]["capacity"]
    for config in (added, removed):
        assert run_identity(config).digest != base.digest
    assert differences(base.to_json(), run_identity(added).to_json()) == [
        "services.step_up.capacity", "services.step_up.pathways"]
    assert differences(base.to_json(), run_identity(removed).to_json()) == [
        "services.care_home_unit.capacity"]


def test_keys_that_do_not_change_results_leave_the_digest_alone(inputs):
    assert NOT_HASHED == ("replications", "n_jobs", "outputs", "precision")
    base_config = _default(inputs)
    base = run_identity(base_config)
    for path in _leaves(base_config):
        if path[0] in NOT_HASHED:
            other = run_identity(_set(base_config, path, _other(path, _lookup(base_config, path), inputs)))
            assert other.digest == base.digest, path
            assert other.to_json() == base.to_json(), path
    everything = {k: v for k, v in base_config.items() if k not in NOT_HASHED}
    assert run_identity(everything).digest == base.digest  # the keys may even be missing


def test_the_seed_changes_the_digest_and_is_named(inputs):
    base_config = _default(inputs)
    base = run_identity(base_config)
    other = run_identity({**base_config, "seed": 43})
    assert other.digest != base.digest
    assert other.config_sha256 == base.config_sha256  # the seed is its own component
    assert (base.seed, other.seed) == (42, 43)
    assert differences(base.to_json(), other.to_json()) == ["seed (42 -> 43)"]
    assert describe_changes(base.summary(), other) == "seed (42 -> 43)"


@pytest.mark.parametrize(("field", "key"), [("arrivals.series_csv", "series"),
                                            ("run.initial_census", "census")])
def test_the_contents_of_each_input_file_change_the_digest(inputs, field, key):
    base_config = _default(inputs)
    base = run_identity(base_config)
    assert base.inputs == {"arrivals.series_csv": _sha(SERIES), "run.initial_census": _sha(CENSUS)}
    inputs[key].write_text(inputs[key].read_text() + "\n")  # one more byte
    edited = run_identity(base_config)
    assert edited.digest != base.digest
    assert edited.config_sha256 == base.config_sha256  # same path: only the contents changed
    assert edited.inputs[field] == _sha(inputs[key].read_bytes())
    assert differences(base.to_json(), edited.to_json()) == [f"{field} (contents changed)"]
    assert describe_changes(base.summary(), edited) == f"{field} (contents changed)"
    # another path to other contents: the key is named once, not also as "contents changed"
    moved = run_identity(_set(base_config, tuple(field.split(".")), str(inputs[f"{key}_copy"])))
    assert differences(edited.to_json(), moved.to_json()) == [field]


def test_the_flowsim_version_and_code_change_the_digest(inputs, monkeypatch):
    base_config = _default(inputs)
    base = run_identity(base_config)
    assert base.flowsim_version == "0.1.0"
    assert base.source_sha256 == source_fingerprint()
    monkeypatch.setattr(identity_module, "flowsim_version", lambda: "0.2.0")
    newer = run_identity(base_config)
    assert newer.digest != base.digest
    assert differences(base.to_json(), newer.to_json()) == ["flowsim version (0.1.0 -> 0.2.0)"]
    monkeypatch.undo()
    monkeypatch.setattr(identity_module, "source_fingerprint", lambda: "e" * 64)
    edited = run_identity(base_config)
    assert edited.digest != base.digest and edited.source_sha256 == "e" * 64
    assert differences(base.to_json(), edited.to_json()) == ["flowsim code"]
    assert describe_changes(base.summary(), edited) == "flowsim code"


# --- the digest itself ----------------------------------------------------------------------------


def _small(**changes: Any) -> RunIdentity:
    fields = {"config": {"b": [1, 2], "a": {"y": 1.5}}, "inputs": {"arrivals.series_csv": "ab" * 32},
              "flowsim_version": "0.1.0", "source_sha256": "cd" * 32, "seed": 7}
    return RunIdentity(**{**fields, **changes})


def test_the_digest_is_the_sha256_of_the_canonical_summary():
    identity = _small()
    config_sha = _sha('{"a":{"y":1.5},"b":[1,2]}')  # sorted keys, no spaces
    assert identity.config_sha256 == config_sha
    summary = ('{"config_sha256":"' + config_sha + '","flowsim_version":"0.1.0","inputs":'
               '{"arrivals.series_csv":"' + "ab" * 32 + '"},"seed":7,"source_sha256":"' + "cd" * 32 + '"}')
    assert identity.digest == _sha(summary)
    # the order of keys in the config does not matter
    assert _small(config={"a": {"y": 1.5}, "b": [1, 2]}).digest == identity.digest
    assert _small(config={"b": [2, 1], "a": {"y": 1.5}}).digest != identity.digest


def test_summary_and_json_forms():
    identity = _small()
    assert identity.summary(with_digest=False) == {
        "seed": 7, "flowsim_version": "0.1.0", "source_sha256": "cd" * 32,
        "inputs": {"arrivals.series_csv": "ab" * 32}, "config_sha256": identity.config_sha256}
    summary = identity.summary()
    assert list(summary) == ["digest", "seed", "flowsim_version", "source_sha256", "inputs", "config_sha256"]
    assert summary["digest"] == identity.digest
    assert identity.summary() == summary  # the default includes the digest
    stored = identity.to_json()
    assert stored == {**summary, "config": {"b": [1, 2], "a": {"y": 1.5}}}
    summary["inputs"]["x"] = None  # a copy: the identity is not changed through it
    assert identity.inputs == {"arrivals.series_csv": "ab" * 32}


def test_run_identity_json_round_trip():
    identity = _small(seed=None, flowsim_version=None, inputs={"run.initial_census": None})
    back = RunIdentity.from_json(json.loads(json.dumps(identity.to_json())))
    assert back == identity
    assert back.digest == identity.digest
    assert isinstance(back.config, dict) and isinstance(back.inputs, dict)


def test_run_identity_components(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.csv").write_text("x")
    config = {"seed": 3, "replications": 5, "n_jobs": 2, "outputs": {"patients": False},
              "precision": {"adaptive": True}, "run": {"start_date": dt.date(2025, 4, 1), "horizon_days": 10},
              "arrivals": {"series_csv": "s.csv", "steps": (1, 2)}}
    identity = run_identity(config)
    # plain JSON types, as stored: the date as text, the tuple as a list
    assert identity.config == {"run": {"start_date": "2025-04-01", "horizon_days": 10},
                               "arrivals": {"series_csv": "s.csv", "steps": [1, 2]}}
    assert identity.inputs == {"arrivals.series_csv": _sha("x")}
    assert identity.seed == 3
    assert identity.flowsim_version == "0.1.0"
    assert identity.source_sha256 == source_fingerprint()
    assert run_identity({"run": {}}).seed is None
    assert config["replications"] == 5  # the caller's config is left as it was


def test_identity_config_drops_what_does_not_change_results():
    config = {"seed": 1, "replications": 2, "n_jobs": 3, "outputs": {}, "precision": {}, "run": {"a": 1},
              "services": {"replications": 9}}
    assert identity_config(config) == {"run": {"a": 1}, "services": {"replications": 9}}  # top level only
    assert list(config) == ["seed", "replications", "n_jobs", "outputs", "precision", "run", "services"]


# --- input files and fingerprints ------------------------------------------------------------------


def test_input_files_resolve_relative_paths_against_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = {"run": {"initial_census": "data/c.yaml"}, "arrivals": {"series_csv": "/abs/s.csv"}}
    assert input_files(config) == [("arrivals.series_csv", Path("/abs/s.csv")),
                                   ("run.initial_census", tmp_path / "data" / "c.yaml")]
    assert input_files({"run": {"initial_census": "c.yaml"}}) == [("run.initial_census", tmp_path / "c.yaml")]
    for unset in ({}, {"arrivals": None, "run": "x"}, {"arrivals": {"series_csv": ""}},
                  {"arrivals": {"series_csv": None}, "run": {"initial_census": None}}):
        assert input_files(unset) == [], unset


def test_input_file_hashes_cover_the_whole_file_and_a_missing_one_is_none(tmp_path):
    big = bytes(range(256)) * 12289  # 3,145,984 bytes: more than three 1 MiB blocks
    (tmp_path / "big.csv").write_bytes(big)
    identity = run_identity({"arrivals": {"series_csv": str(tmp_path / "big.csv")},
                             "run": {"initial_census": str(tmp_path / "missing.yaml")}})
    assert identity.inputs == {"arrivals.series_csv": hashlib.sha256(big).hexdigest(),
                               "run.initial_census": None}
    (tmp_path / "empty.csv").write_bytes(b"")
    assert run_identity({"arrivals": {"series_csv": str(tmp_path / "empty.csv")}}).inputs == {
        "arrivals.series_csv": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_package_fingerprint_hashes_names_and_contents_of_python_files(tmp_path):
    package = _package(tmp_path / "pkg", {"b.py": "y = 2\n", "a.py": "x = 1\n", "sub/c.py": "z\n",
                                          "data.yaml": "ignored: 1\n", "notebooks/report.py": "# nb\n",
                                          "sub/notebooks/kept.py": "k\n"})
    # sorted relative names, each name and file followed by a NUL byte; top-level notebooks/ left out
    expected = _sha(b"a.py\0x = 1\n\0b.py\0y = 2\n\0sub/c.py\0z\n\0sub/notebooks/kept.py\0k\n\0")
    assert package_fingerprint(package) == expected


@pytest.mark.parametrize(("edit", "changes"), [
    (lambda p: (p / "a.py").write_text("x = 2\n"), True),  # a file's content
    (lambda p: (p / "a.py").rename(p / "a2.py"), True),  # a file's name
    (lambda p: (p / "new.py").write_text(""), True),  # a new module, even empty
    (lambda p: (p / "notebooks" / "report.py").write_text("# other\n"), False),  # notebooks: reports only
    (lambda p: (p / "notebooks" / "new.py").write_text("x"), False),
    (lambda p: (p / "readme.md").write_text("text"), False),  # not Python
])
def test_package_fingerprint_sees_code_changes_only(tmp_path, edit, changes):
    package = _package(tmp_path / "pkg", {"a.py": "x = 1\n", "notebooks/report.py": "# nb\n"})
    before = package_fingerprint(package)
    edit(package)
    assert (package_fingerprint(package) != before) is changes


def test_moving_content_between_files_changes_the_fingerprint(tmp_path):
    one = _package(tmp_path / "one", {"a.py": "xy", "b.py": ""})
    two = _package(tmp_path / "two", {"a.py": "x", "b.py": "y"})
    assert package_fingerprint(one) != package_fingerprint(two)


def test_source_fingerprint_is_flowsim_s_package():
    assert source_fingerprint() == package_fingerprint(Path(identity_module.__file__).resolve().parents[1])
    assert len(source_fingerprint()) == 64


def test_flowsim_version(monkeypatch):
    assert flowsim_version() == "0.1.0"

    def missing(name: str) -> str:
        raise identity_module.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(identity_module.metadata, "version", missing)
    assert flowsim_version() is None


# --- naming what changed ---------------------------------------------------------------------------


def test_changed_keys_names_changed_added_and_removed_leaves():
    old = {"a": {"b": 1, "c": [1, 2], "gone": 0}, "d": {}, "e": "x", "same": {"k": None}}
    new = {"a": {"b": 2, "c": [2, 1], "new": {"deep": 1}}, "d": {"f": 1}, "e": "x", "same": {"k": None}}
    assert changed_keys(old, new) == ["a.b", "a.c", "a.gone", "a.new.deep", "d", "d.f"]
    assert changed_keys(old, copy.deepcopy(old)) == []
    assert changed_keys({"a": 1}, {"a": 1.0}) == ["a"]  # stored JSON tells 1 from 1.0
    assert changed_keys({"x": 1, "a": None}, {"x": 1}) == []  # a null leaf and a missing one read the same


def _stored(config: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return _small(config=config, **changes).to_json()


def test_differences_names_at_most_max_keys_config_keys():
    old = _stored({f"k{i}": 0 for i in range(8)})
    seven = _stored({**{f"k{i}": 1 for i in range(7)}, "k7": 0})
    assert differences(old, seven) == ["k0", "k1", "k2", "k3", "k4", "k5", "1 more config key(s)"]
    assert differences(old, seven, max_keys=7) == ["k0", "k1", "k2", "k3", "k4", "k5", "k6"]
    eight = _stored({f"k{i}": 1 for i in range(8)})
    assert differences(old, eight, max_keys=2) == ["k0", "k1", "6 more config key(s)"]
    assert differences(old, eight, max_keys=0) == ["8 more config key(s)"]


def test_differences_ignores_keys_that_do_not_change_results_in_stored_configs():
    old = _stored({"replications": 1, "seed": 1, "run": {"a": 1}})
    new = _stored({"replications": 5, "seed": 2, "run": {"a": 1}})
    assert differences(old, new) == []


def test_differences_of_summaries_without_configs():
    old, new = _small().summary(), _small(config={"other": 1}).summary()
    assert differences(old, new) == ["config"]
    assert differences(old, _small().summary()) == []
    # one side with its config and the other without: compared by the config's hash
    assert differences(_small().to_json(), new) == ["config"]
    assert differences(old, _small(config={"other": 1}).to_json()) == ["config"]
    assert differences(_small().to_json(), _small().summary()) == []


def test_differences_lists_every_component_in_order():
    old = _small().to_json()
    new = _small(config={"b": [1, 2], "a": {"y": 2.5}}, seed=8, flowsim_version="0.2.0",
                 source_sha256="ef" * 32,
                 inputs={"run.initial_census": "00" * 32, "arrivals.series_csv": "11" * 32}).to_json()
    assert differences(old, new) == ["a.y", "arrivals.series_csv (contents changed)",
                                     "run.initial_census (contents changed)", "seed (7 -> 8)",
                                     "flowsim version (0.1.0 -> 0.2.0)", "flowsim code"]


def test_differences_with_an_identity_of_an_older_flowsim():
    # an identity stored without inputs (null) against one with a series: the file is named
    old = {**_small().summary(), "inputs": None}
    assert differences(old, _small().summary()) == ["arrivals.series_csv (contents changed)"]
    assert differences({}, {}) == []
    assert differences({}, _small().summary()) == [
        "config", "arrivals.series_csv (contents changed)", "seed (None -> 7)",
        "flowsim version (None -> 0.1.0)", "flowsim code"]


def test_describe_changes_names_config_keys_from_the_earlier_manifest():
    old = _small().summary()  # metrics.json holds only the config's hash
    new = _small(config={"b": [1, 3], "a": {"y": 1.5}}, seed=9)
    assert describe_changes(old, new) == "config, seed (7 -> 9)"
    assert describe_changes(old, new, old_config={"b": [1, 2], "a": {"y": 1.5}}) == "b, seed (7 -> 9)"
    assert describe_changes(old, new, {"seed": 7, "n_jobs": 4, "b": [1, 2], "a": {"y": 1.5}}) == \
        "b, seed (7 -> 9)"
    # a stored config wins over old_config
    assert describe_changes(_small().to_json(), new, old_config={"zzz": 1}) == "b, seed (7 -> 9)"
    assert old == _small().summary()  # the caller's mapping is left as it was
    assert describe_changes(old, _small()) == "identity"  # nothing to name
    assert describe_changes(old, _small(), old_config={"b": [1, 2], "a": {"y": 1.5}}) == "identity"
