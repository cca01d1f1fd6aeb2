"""flowsim.model.compose_store: compositions kept on disk are Hydra's own, node for node, and never stale."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hydra import initialize_config_dir
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.types import RunMode
from omegaconf import DictConfig, ListConfig, OmegaConf

from flowsim.model import compose_store
from flowsim.model.compose import config_dir, search_dir_override
from flowsim.model.compose_store import CACHE_ENV, cache_folder, kept_on_disk, store_digest
from flowsim.model.config import register_configs

FLOWSIM = str(Path(sys.executable).parent / "flowsim")
PAST = time.time() - 60  # a file's time stamp well before composing began: its composition may be kept


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A cache folder of the test's own; its compositions folder."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / "compositions"


@pytest.fixture
def composed(monkeypatch) -> list[list[str]]:
    """The overrides of every composition Hydra itself makes (not taken from disk) in this test."""
    made: list[list[str]] = []
    load = ConfigLoaderImpl.load_configuration

    def counted(self, *args, **kwargs):
        made.append(list(kwargs["overrides"]))
        return load(self, *args, **kwargs)

    monkeypatch.setattr(ConfigLoaderImpl, "load_configuration", counted)
    return made


def compose(overrides: list[str], run_mode: RunMode = RunMode.RUN, kept: bool = True) -> DictConfig:
    """The configuration Hydra composes for ``flowsim OVERRIDES`` (with its ``hydra`` section)."""
    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            hydra = GlobalHydra.instance().hydra
            assert hydra is not None
            if not kept:
                return hydra.compose_config("config", overrides, run_mode=run_mode)
            with kept_on_disk():
                return hydra.compose_config("config", overrides, run_mode=run_mode)
    finally:
        GlobalHydra.instance().clear()


def shape(node) -> object:
    """Every node's class, metadata (types, flags) and value: what equal YAML would not show."""
    meta = node._metadata
    about = (type(node).__name__, str(meta.ref_type), str(meta.object_type), meta.optional, meta.key,
             dict(meta.flags), str(getattr(meta, "key_type", None)), str(getattr(meta, "element_type", None)))
    if isinstance(node, DictConfig):
        if node._is_missing() or node._is_none() or node._is_interpolation():
            return about, node._value()
        return about, {key: shape(node._get_node(key)) for key in node.keys()}
    if isinstance(node, ListConfig):
        if node._is_missing() or node._is_none() or node._is_interpolation():
            return about, node._value()
        return about, [shape(node._get_node(i)) for i in range(len(node))]
    return about, node._value()


@pytest.mark.parametrize("overrides, run_mode", [
    ([], RunMode.RUN),
    (["scenario=quick", "housing=off", "seed=7", "services.ic_beds.capacity=30", "hydra.mode=RUN"],
     RunMode.RUN),
    (["scenario=quick", "+hydra.job.env_set.FLOWSIM_TEST=1", "replications=2"], RunMode.RUN),
    (["scenario=quick", "seed=1,2,3", "hydra.sweep.dir=somewhere"], RunMode.MULTIRUN),
])
def test_a_kept_composition_is_hydras_node_for_node(overrides, run_mode, cache, composed):
    first = compose(overrides, run_mode)
    taken = compose(overrides, run_mode)
    assert len(composed) == 1, "the second composition is taken from disk"
    assert len(list(cache.glob("*.pickle"))) == 1
    fresh = compose(overrides, run_mode, kept=False)
    assert shape(taken) == shape(fresh) == shape(first)
    assert OmegaConf.to_yaml(taken) == OmegaConf.to_yaml(fresh)


@pytest.mark.parametrize("then, now, run_mode", [
    (["scenario=quick", "hydra.run.dir=one", "seed=3"], ["scenario=quick", "hydra.run.dir=two", "seed=3"],
     RunMode.RUN),
    (["hydra.run.dir=one", "hydra.mode=RUN", "hydra.sweep.dir=s1"],
     ["hydra.run.dir='a folder/${now:%H}'", "hydra.mode=RUN", "hydra.sweep.dir=s2"], RunMode.RUN),
    (["seed=1,2", "hydra.sweep.dir=one"], ["seed=1,2", "hydra.sweep.dir=two"], RunMode.MULTIRUN),
    # the last of two stands, changed or not (an earlier one changing must not undo it)
    (["hydra.run.dir=a", "hydra.run.dir=/last"], ["hydra.run.dir=b", "hydra.run.dir=/last"], RunMode.RUN),
    (["hydra.run.dir=/first", "hydra.run.dir=a"], ["hydra.run.dir=/first", "hydra.run.dir=b"], RunMode.RUN),
])
def test_a_command_into_another_folder_takes_what_it_composed_before(then, now, run_mode, cache, composed):
    compose(then, run_mode)
    taken = compose(now, run_mode)
    assert len(composed) == 1
    fresh = compose(now, run_mode, kept=False)
    assert shape(taken) == shape(fresh)
    recorded = OmegaConf.to_container(taken.hydra.overrides.hydra)  # as written: ${now:...} unresolved
    assert recorded == [line for line in now if line.startswith("hydra.")]
    again = compose(then, run_mode)  # the entry serves the first folder as well
    assert len(composed) == 2, "taken, not composed: the fresh one is the second"
    assert shape(again) == shape(compose(then, run_mode, kept=False))


@pytest.mark.parametrize("then, now", [
    (["seed=1"], ["seed=2"]),
    (["scenario=quick", "services.ic_beds.capacity=30", "housing=off", "seed=4"],
     ["scenario=quick", "services.ic_beds.capacity=31", "housing=off", "seed=4", "replications=3"]),
    (["scenario=quick", "hydra.run.dir=one"],  # a value between a group and a folder; the folder moved
     ["scenario=quick", "seed=9", "hydra.run.dir=two", "seed=10", "arrivals.series_csv=null"]),
    (["hydra.job.config.override_dirname.exclude_keys=[seed]"],
     ["arrivals.day_of_week_multipliers=[1,1,1,1,1,1.5,0.5]", "run.start_date='2026-01-05'",
      "hydra.job.config.override_dirname.exclude_keys=[seed]", "seed=3", "replications=2"]),
])
def test_a_command_with_other_values_takes_what_it_composed_before(then, now, cache, composed):
    compose(then)
    taken = compose(now)
    assert len(composed) == 1, "the values are set on what the first command kept"
    fresh = compose(now, kept=False)
    assert shape(taken) == shape(fresh)  # values, types, flags and Hydra's record of the overrides
    assert OmegaConf.to_yaml(taken) == OmegaConf.to_yaml(fresh)
    assert list(taken.hydra.overrides.task) == [line for line in now if not line.startswith("hydra")]


@pytest.mark.parametrize("bad", ["services.no_such_unit.capacity=3", "seed=many", "replications=[1,2]"])
def test_a_value_hydra_cannot_set_fails_as_hydra_fails(bad, cache, composed):
    compose(["scenario=quick"])
    with pytest.raises(Exception) as taken:
        compose(["scenario=quick", bad])
    assert len(composed) == 1 and len(list(cache.glob("*.pickle"))) == 1
    with pytest.raises(type(taken.value)) as fresh:
        compose(["scenario=quick", bad], kept=False)
    assert str(taken.value) == str(fresh.value) and type(taken.value).__name__ == "ConfigCompositionException"


def test_only_plain_values_are_set_apart():
    GlobalHydra.instance().clear()
    register_configs()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        loader = GlobalHydra.instance().config_loader()
        apart = compose_store._values_apart
        shaping, values, _ = apart(loader, ["scenario=quick", "seed=1", "hydra/launcher=joblib",
                                            "hydra.launcher.n_jobs=2", "services.ic_beds.capacity=3"])
        assert shaping == ["scenario=quick", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]
        assert [o.input_line for o in values] == ["seed=1", "services.ic_beds.capacity=3"]
        # anything else that sets a setting after merging keeps every override in the composition
        for other in ("+extra=1", "++seed=2", "~replications", "seed=1,2", "services.ic_beds={capacity: 3}"):
            overrides = ["seed=1", other, "replications=2"]
            assert apart(loader, overrides)[:2] == (overrides, []), other
    GlobalHydra.instance().clear()


def test_values_are_set_only_on_the_composition_of_the_other_overrides():
    from hydra.core.override_parser.overrides_parser import OverridesParser

    config = compose(["scenario=quick"], kept=False)
    parsed = OverridesParser.create().parse_overrides(overrides=["housing=off", "seed=1"])
    assert compose_store._with_values(config, parsed[1:], parsed) is None  # composed without housing=off
    parsed = OverridesParser.create().parse_overrides(overrides=["scenario=quick", "seed=1"])
    assert compose_store._with_values(config, parsed[1:], parsed).seed == 1


def test_folders_set_by_another_override_too_must_be_the_same(cache, composed):
    then = ["hydra.run.dir=a", "hydra.run={dir: z}"]
    compose(then)
    assert compose(["hydra.run.dir=b", "hydra.run={dir: z}"]).hydra.run.dir == "z"
    assert len(composed) == 2
    compose(then)
    assert len(composed) == 2


def test_a_folder_that_is_not_a_plain_value_is_composed_again():
    from hydra.core.override_parser.overrides_parser import OverridesParser

    GlobalHydra.instance().clear()
    register_configs()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        loader = GlobalHydra.instance().config_loader()
        assert compose_store._values_apart(loader, ["hydra.run.dir=a,b"])[:2] == (["hydra.run.dir=a,b"], [])
    GlobalHydra.instance().clear()
    config = compose([], kept=False)
    parsed = OverridesParser.create().parse_overrides(overrides=["hydra.run.dir=two"])
    moved = compose_store._with_values(config, parsed, parsed)
    assert moved.hydra.run.dir == "two" and list(moved.hydra.overrides.hydra) == ["hydra.run.dir=two"]


def test_a_changed_or_added_file_is_composed_again(tmp_path, cache, composed):
    mine = tmp_path / "mine"
    (mine / "system").mkdir(parents=True)
    file = mine / "system" / "small.yaml"
    file.write_text("# @package _global_\ndefaults:\n  - default\n  - _self_\n"
                    "arrivals:\n  rate_per_day: 10\n")
    os.utime(file, (PAST, PAST))
    overrides = [search_dir_override(mine), "system=small"]
    assert compose(overrides).arrivals.rate_per_day == 10
    assert compose(overrides).arrivals.rate_per_day == 10 and len(composed) == 1
    file.write_text(file.read_text().replace("rate_per_day: 10", "rate_per_day: 20"))
    os.utime(file, (PAST, PAST))  # the same time stamp: the content tells
    assert compose(overrides).arrivals.rate_per_day == 20 and len(composed) == 2
    assert compose(overrides).arrivals.rate_per_day == 20 and len(composed) == 2
    other = mine / "system" / "other.yaml"  # read by no composition, but in a folder searched
    other.write_text("# @package _global_\nseed: 3\n")
    os.utime(other, (PAST, PAST))
    compose(overrides)
    assert len(composed) == 3


def test_a_file_changed_just_before_composing_is_not_kept(tmp_path, cache, composed):
    mine = tmp_path / "mine"
    (mine / "system").mkdir(parents=True)
    (mine / "system" / "new.yaml").write_text("# @package _global_\ndefaults:\n  - default\n  - _self_\n")
    overrides = [search_dir_override(mine), "system=new"]
    compose(overrides)
    compose(overrides)
    assert len(composed) == 2 and not list(cache.glob("*.pickle"))


def test_a_changed_schema_is_composed_again(cache, composed):
    compose(["scenario=quick"])
    store = ConfigStore.instance()
    store.store(group="flowsim_test_group", name="extra", node={"x": 1})
    try:
        compose(["scenario=quick"])
        assert len(composed) == 2
    finally:
        del store.repo["flowsim_test_group"]
    compose(["scenario=quick"])
    assert len(composed) == 2, "the store as it was: the first composition's entry, kept beside the second's"


def test_the_store_digest_sees_a_default_or_a_type_change():
    @dataclass
    class Small:
        beds: int = 1

    @dataclass
    class Larger:
        beds: int = 2

    @dataclass
    class Fractional:
        beds: float = 1

    store = ConfigStore.instance()
    digests = []
    try:
        for node in (Small, Small, Larger, Fractional):
            store.store(group="flowsim_test_schema", name="unit", node=node)
            digests.append(store_digest())
    finally:
        del store.repo["flowsim_test_schema"]
    assert digests[0] == digests[1]
    assert len(set(digests[1:])) == 3


def test_what_hydra_takes_from_the_process_is_set_afresh(tmp_path, cache, composed, monkeypatch):
    overrides = ["scenario=quick", "hydra.job.env_copy=[FLOWSIM_TEST_VALUE]"]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    monkeypatch.setenv("FLOWSIM_TEST_VALUE", "first")
    compose(overrides)
    monkeypatch.chdir(tmp_path / "b")
    monkeypatch.setenv("FLOWSIM_TEST_VALUE", "second")
    taken = compose(overrides)
    assert len(composed) == 1
    assert taken.hydra.runtime.cwd == str(tmp_path / "b")
    assert taken.hydra.job.env_set.FLOWSIM_TEST_VALUE == "second"
    monkeypatch.delenv("FLOWSIM_TEST_VALUE")
    with pytest.raises(KeyError, match="FLOWSIM_TEST_VALUE"):  # as Hydra's own composition fails
        compose(overrides)


def test_values_resolved_while_composing_are_not_kept(cache, composed, monkeypatch):
    load = ConfigLoaderImpl.load_configuration

    def resolving(self, *args, **kwargs):  # as a composition that used ${now:...} would leave it
        config = load(self, *args, **kwargs)
        config.hydra.run.dir  # noqa: B018 (resolved, and kept in the config's resolver cache)
        return config

    monkeypatch.setattr(ConfigLoaderImpl, "load_configuration", resolving)
    first = compose(["scenario=quick"])
    assert OmegaConf.get_cache(first), "the composition keeps its own resolved values"
    taken = compose(["scenario=quick"])
    assert len(composed) == 1
    assert not OmegaConf.get_cache(taken)


def test_a_damaged_entry_is_composed_again_and_replaced(cache, composed):
    compose(["seed=5"])
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    assert compose(["seed=5"]).seed == 5 and len(composed) == 2
    compose(["seed=5"])
    assert len(composed) == 2


def test_an_entry_for_other_arguments_is_not_taken(cache, composed, monkeypatch):
    compose(["housing=off"])
    (entry,) = cache.glob("*.pickle")
    # every key's entry is this file
    monkeypatch.setattr(compose_store, "_entry_path", lambda folder, key, store: entry)
    assert compose(["scenario=quick"]).run.horizon_days == 180 and len(composed) == 2


def test_off_keeps_nothing_and_an_unwritable_folder_stops_nothing(tmp_path, composed, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, "off")
    assert cache_folder() is None
    compose(["seed=5"])
    compose(["seed=5"])
    assert len(composed) == 2
    blocked = tmp_path / "a file"
    blocked.write_text("")
    monkeypatch.setenv(CACHE_ENV, str(blocked))  # its compositions folder cannot be made
    assert compose(["seed=5"]).seed == 5 and len(composed) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a file"]


def test_a_write_that_fails_leaves_no_partial_entry(cache, composed, monkeypatch):
    def full_disk(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(compose_store.os, "replace", full_disk)
    assert compose(["seed=5"]).seed == 5
    assert cache.is_dir() and not list(cache.iterdir())


def test_a_failure_to_keep_stops_nothing(cache, composed, monkeypatch):
    import flowsim.model.compose_cache

    def broken(sources):
        raise RuntimeError("not foreseen")

    monkeypatch.setattr(flowsim.model.compose_cache, "fingerprint", broken)
    assert compose(["seed=5"]).seed == 5 and not cache.exists()


def test_only_the_last_used_are_kept(cache, composed, monkeypatch):
    monkeypatch.setattr(compose_store, "MAX_ENTRIES", 2)
    commands = {1: ["scenario=quick"], 2: ["housing=off"], 3: ["scenario=quick", "housing=off"]}
    for number in (1, 2, 3):
        compose(commands[number])
        time.sleep(0.01)  # distinct time stamps
    assert len(list(cache.glob("*.pickle"))) == 2
    compose(commands[2])
    compose(commands[3])
    assert len(composed) == 3
    compose(commands[1])
    assert len(composed) == 4


def test_the_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    assert cache_folder() == tmp_path / "mine" / "compositions"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder() == tmp_path / "xdg" / "flowsim" / "compositions"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_folder() == tmp_path / "home" / ".cache" / "flowsim" / "compositions"
    monkeypatch.setenv(CACHE_ENV, "OFF")
    assert cache_folder() is None


def _replications(tmp_path: Path, env: dict[str, str]) -> int:
    done = subprocess.run([FLOWSIM, "--cfg", "job", "-p", "replications", "scenario=quick"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_flowsim_takes_what_an_earlier_flowsim_kept(tmp_path):
    env = dict(os.environ, **{CACHE_ENV: str(tmp_path / "cache")})
    replications = _replications(tmp_path, env)
    entries = list((tmp_path / "cache" / "compositions").glob("*.pickle"))
    assert len(entries) == 1
    kept = pickle.loads(entries[0].read_bytes())
    config = pickle.loads(kept["config"])
    config.replications = replications + 6  # marked, to see that the next process takes it
    kept["config"] = pickle.dumps(config)
    entries[0].write_bytes(pickle.dumps(kept))
    assert _replications(tmp_path, env) == replications + 6
    assert _replications(tmp_path, dict(env, **{CACHE_ENV: "off"})) == replications


def test_a_sweeps_jobs_are_kept_by_its_checks_and_its_results_do_not_change(tmp_path):
    args = [FLOWSIM, "-m", "scenario=quick", "housing=off", "seed=1,2", "replications=1",
            "run.horizon_days=120", "outputs.summary=false", "outputs.patients=false",
            "hydra.sweep.dir=sweep"]
    results = {}
    for setting in ("kept", "off"):
        folder = tmp_path / setting
        folder.mkdir()
        env = dict(os.environ, **{CACHE_ENV: str(tmp_path / "cache") if setting == "kept" else "off"})
        subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True, check=True)
        results[setting] = (folder / "sweep" / "results.parquet").read_bytes()
    entries = list((tmp_path / "cache" / "compositions").glob("*.pickle"))
    assert len(entries) == 2, "the sweep's own composition and its jobs' (which differ by a seed only)"
    import pandas as pd

    kept, off = (pd.read_parquet(tmp_path / s / "sweep" / "results.parquet") for s in ("kept", "off"))
    pd.testing.assert_frame_equal(kept, off)
