"""Compositions kept for the process (``flowsim.model.compose_cache``): quick, and never stale.

``load_config`` asked again with the same arguments hands back a copy of what it composed the first
time, without Hydra, but only while every YAML file of the folders searched and every node of Hydra's
ConfigStore is as it was. These tests count Hydra's compositions and change the files in between.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import hydra
import pytest
from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf
from omegaconf.errors import ConfigAttributeError

from flowsim.model import compose, compose_cache
from flowsim.model.config import FlowsimConfig
from flowsim.model.errors import ConfigError

CAPACITY = "services.ic_beds.capacity"
LONG_AGO_NS = time.time_ns() - 3_600 * 10**9  # an hour before the tests: long settled


@pytest.fixture
def composed(monkeypatch) -> list[tuple]:
    """An empty cache, and the arguments of each composition Hydra is asked for."""
    compose._kept.cache_clear()
    calls: list[tuple] = []
    real = hydra.compose

    def counted(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(hydra, "compose", counted)
    yield calls
    compose._kept.cache_clear()


def _own_system(folder: Path, capacity: int, changed_ns: int = LONG_AGO_NS) -> Path:
    """``system/my_ics.yaml`` in ``folder``: the default system with its own IC bed count."""
    file = folder / "system" / "my_ics.yaml"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(f"# @package _global_\ndefaults:\n  - default\n  - _self_\n"
                    f"services:\n  ic_beds: {{capacity: {capacity}}}\n", encoding="utf-8")
    os.utime(file, ns=(changed_ns, changed_ns))
    return file


def test_the_same_arguments_compose_once_and_each_caller_gets_its_own_copy(composed):
    first = compose.load_config(["scenario=quick", f"{CAPACITY}=41"])
    second = compose.load_config(["scenario=quick", f"{CAPACITY}=41"])
    assert len(composed) == 1
    assert second is not first and OmegaConf.to_yaml(second) == OmegaConf.to_yaml(first)
    first.services.ic_beds.capacity, second.services.ic_beds.capacity = 7, 8  # the callers' own
    assert compose.load_config(["scenario=quick", f"{CAPACITY}=41"]).services.ic_beds.capacity == 41
    assert len(composed) == 1
    compose.load_config(["scenario=quick", f"{CAPACITY}=42"])  # other arguments: composed
    assert len(composed) == 2


def test_a_kept_configuration_keeps_the_schemas_types_and_flags(composed):
    compose.load_config(["scenario=quick"])
    kept = compose.load_config(["scenario=quick"])
    assert len(composed) == 1 and OmegaConf.get_type(kept) is FlowsimConfig and OmegaConf.is_struct(kept)
    with pytest.raises(ConfigAttributeError):
        kept.sede = 3  # a typo is still refused, as on a fresh composition
    assert "hydra" not in kept


def test_a_file_edited_in_place_is_read_again_even_with_its_old_size_and_time(composed, tmp_path):
    file = _own_system(tmp_path, 50)
    assert compose.load_config(["system=my_ics"], search_dir=tmp_path).services.ic_beds.capacity == 50
    assert compose.load_config(["system=my_ics"], search_dir=tmp_path).services.ic_beds.capacity == 50
    assert len(composed) == 1
    _own_system(tmp_path, 60)  # same length, same time stamp: only the content tells
    assert file.stat().st_mtime_ns == LONG_AGO_NS
    assert compose.load_config(["system=my_ics"], search_dir=tmp_path).services.ic_beds.capacity == 60
    assert len(composed) == 2


def test_a_file_added_beside_the_ones_read_composes_again(composed, tmp_path):
    _own_system(tmp_path, 50)
    compose.load_config(["system=my_ics"], search_dir=tmp_path)
    extra = tmp_path / "scenario" / "later.yaml"
    extra.parent.mkdir()
    extra.write_text("# @package _global_\nseed: 5\n", encoding="utf-8")
    os.utime(extra, ns=(LONG_AGO_NS, LONG_AGO_NS))
    compose.load_config(["system=my_ics"], search_dir=tmp_path)
    assert len(composed) == 2


def test_a_file_removed_is_missed_as_hydra_would_miss_it(composed, tmp_path):
    file = _own_system(tmp_path, 50)
    compose.load_config(["system=my_ics"], search_dir=tmp_path)
    file.unlink()
    with pytest.raises(Exception, match="my_ics"):
        compose.load_config(["system=my_ics"], search_dir=tmp_path)


def test_a_file_changed_a_moment_before_composing_is_not_kept(composed, tmp_path):
    # it may change again within its time stamp's grain, or be changing while Hydra reads it
    _own_system(tmp_path, 50, changed_ns=time.time_ns())
    compose.load_config(["system=my_ics"], search_dir=tmp_path)
    compose.load_config(["system=my_ics"], search_dir=tmp_path)
    assert len(composed) == 2


def test_a_node_stored_again_in_hydras_configstore_composes_again(composed):
    compose.load_config(["scenario=quick"])
    ConfigStore.instance().store(name="flowsim_schema", node=FlowsimConfig)
    compose.load_config(["scenario=quick"])
    assert len(composed) == 2


def test_what_does_not_compose_is_not_kept(composed):
    for _ in range(2):
        with pytest.raises(Exception, match="no_such_scenario"):
            compose.load_config(["scenario=no_such_scenario"])
    assert len(composed) == 2


def test_a_hidden_file_is_refused_every_time(composed, tmp_path):
    hidden = tmp_path / "system" / "default.yaml"  # flowsim's own comes first and hides it
    hidden.parent.mkdir()
    hidden.write_text("# @package _global_\nseed: 3\n", encoding="utf-8")
    os.utime(hidden, ns=(LONG_AGO_NS, LONG_AGO_NS))
    for _ in range(2):
        with pytest.raises(ConfigError, match="is not read"):
            compose.load_config([], search_dir=tmp_path)


def test_a_folder_too_large_to_fingerprint_is_not_kept(composed, tmp_path, monkeypatch):
    _own_system(tmp_path, 50)
    for n in range(3):
        note = tmp_path / f"note_{n}.yaml"
        note.write_text("a: 1\n", encoding="utf-8")
        os.utime(note, ns=(LONG_AGO_NS, LONG_AGO_NS))
    monkeypatch.setattr(compose_cache, "MAX_FILES", 3)
    compose.load_config(["system=my_ics"], search_dir=tmp_path)
    compose.load_config(["system=my_ics"], search_dir=tmp_path)
    assert len(composed) == 2


def test_the_least_recently_used_is_dropped_first():
    cache = compose_cache.ComposeCache(size=2)
    sources = [{"path": "", "schema": "structured", "provider": "schema"}]  # the ConfigStore alone
    config = OmegaConf.create({"seed": 1})
    for key in ("a", "b"):
        cache.put(key, sources, config, time.time_ns())
    assert cache.get("a") == config  # a is now the more recent
    cache.put("c", sources, config, time.time_ns())
    assert len(cache) == 2 and cache.get("b") is None and cache.get("a") == config == cache.get("c")


def test_a_linked_folder_is_fingerprinted_and_a_link_back_up_ends(composed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    _own_system(elsewhere, 50)
    searched = tmp_path / "searched"
    searched.mkdir()
    (searched / "system").symlink_to(elsewhere / "system", target_is_directory=True)
    (elsewhere / "system" / "loop").symlink_to(searched, target_is_directory=True)  # back up
    assert compose.load_config(["system=my_ics"], search_dir=searched).services.ic_beds.capacity == 50
    compose.load_config(["system=my_ics"], search_dir=searched)
    assert len(composed) == 1
    read = compose_cache._folder_digest(searched)
    assert read is not None and [name for name, _ in read[0]] == ["system/my_ics.yaml"]  # once each
    _own_system(elsewhere, 60)  # edited where the link points
    assert compose.load_config(["system=my_ics"], search_dir=searched).services.ic_beds.capacity == 60
