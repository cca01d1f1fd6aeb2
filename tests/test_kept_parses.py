"""Unit: within parsed_once, OmegaConf.load parses each YAML text once, and gives what OmegaConf gives."""

from __future__ import annotations

import io
import sys
import threading

import pytest
import yaml
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, ListConfig, OmegaConf

from flowsim.cli.main import main
from flowsim.model import compose, kept_parses
from flowsim.model.compose import config_dir, load_config
from flowsim.model.compose_store import CACHE_ENV
from flowsim.model.kept_parses import ParseCache, parsed_once

TEXT = "unit:\n  capacity: 40\n  los_days: {kind: gamma, mean: 30.0, sd: 15}\nlabels: [a, b]\nnote: null\n"


@pytest.fixture
def parses(monkeypatch):
    """A ParseCache of the test's own, counting PyYAML's parses too."""
    cache = ParseCache(max_kept=3)
    calls = []
    real = yaml.load

    def counted(stream, Loader):
        calls.append(1)
        return real(stream, Loader=Loader)

    monkeypatch.setattr(yaml, "load", counted)
    return cache, calls


def test_the_same_text_is_parsed_once_and_gives_what_omegaconf_gives(parses, tmp_path):
    cache, calls = parses
    first = cache.load(io.StringIO(TEXT))
    path = tmp_path / "other_name.yaml"
    path.write_text(TEXT, encoding="utf-8")
    with open(path, encoding="utf-8") as f:
        again = cache.load(f)
    assert len(calls) == 1 and cache.parsed == 1
    own = kept_parses._omegaconf_load()(io.StringIO(TEXT))
    for cfg in (first, again):
        assert isinstance(cfg, DictConfig) and cfg == own
        assert OmegaConf.to_yaml(cfg) == OmegaConf.to_yaml(own)
        assert type(cfg.unit.los_days.mean) is float and type(cfg.unit.los_days.sd) is int


def test_each_load_is_a_configuration_of_its_own(parses):
    cache, _ = parses
    first = cache.load(io.StringIO(TEXT))
    first.unit.capacity = 7
    first.labels.append("c")
    second = cache.load(io.StringIO(TEXT))
    assert second.unit.capacity == 40 and list(second.labels) == ["a", "b"]
    assert second is not first and second.unit is not first.unit


def test_a_changed_text_is_parsed_again(parses):
    cache, calls = parses
    assert cache.load(io.StringIO(TEXT)).unit.capacity == 40
    assert cache.load(io.StringIO(TEXT.replace("40", "41"))).unit.capacity == 41
    assert len(calls) == 2


def test_the_stream_is_left_where_it_was_read_from(parses):
    cache, _ = parses
    stream = io.StringIO("# header\n" + TEXT)
    stream.seek(9)  # as Hydra reads a file's header, then seeks back before loading
    cache.load(stream)
    stream.seek(9)
    assert cache.load(stream).unit.capacity == 40


def test_a_text_that_does_not_parse_raises_as_omegaconf_does_and_is_not_kept(parses, tmp_path):
    cache, calls = parses
    bad = tmp_path / "bad.yaml"
    bad.write_text("unit:\n  capacity: 40\n  capacity: 41\n", encoding="utf-8")
    with open(bad, encoding="utf-8") as f, pytest.raises(yaml.constructor.ConstructorError) as kept:
        cache.load(f)
    with open(bad, encoding="utf-8") as f, pytest.raises(yaml.constructor.ConstructorError) as own:
        kept_parses._omegaconf_load()(f)
    assert str(kept.value) == str(own.value) and "bad.yaml" in str(kept.value)
    assert len(cache) == 0
    with open(bad, encoding="utf-8") as f, pytest.raises(yaml.constructor.ConstructorError):
        cache.load(f)
    assert len(calls) == 3  # parsed again: an error is never kept
    with pytest.raises(OSError, match="Invalid loaded object type: int"):
        cache.load(io.StringIO("42\n"))


def test_empty_text_a_list_and_a_path_load_as_omegaconf_loads_them(parses, tmp_path):
    cache, _ = parses
    assert cache.load(io.StringIO("")) == OmegaConf.create()
    listed = cache.load(io.StringIO("- 1\n- two\n"))
    assert isinstance(listed, ListConfig) and list(listed) == [1, "two"]
    path = tmp_path / "by_path.yaml"
    path.write_text(TEXT, encoding="utf-8")
    assert cache.load(path).unit.capacity == 40 and cache.load(str(path)).unit.capacity == 40
    assert len(cache) == 2  # a path goes OmegaConf's own way, and is not kept


def test_the_least_recently_used_text_is_dropped_first(parses):
    cache, calls = parses
    texts = [f"value: {n}\n" for n in range(4)]
    for text in texts[:3]:
        cache.load(io.StringIO(text))
    cache.load(io.StringIO(texts[0]))  # used again: now the most recent
    cache.load(io.StringIO(texts[3]))  # one too many: texts[1] goes
    assert len(cache) == 3 and len(calls) == 4
    cache.load(io.StringIO(texts[0]))
    cache.load(io.StringIO(texts[2]))
    assert len(calls) == 4
    cache.load(io.StringIO(texts[1]))
    assert len(calls) == 5


def test_omegaconf_load_is_its_own_outside_the_blocks_nested_or_not():
    own = OmegaConf.load
    with parsed_once() as cache:
        assert OmegaConf.load == cache.load
        with parsed_once():
            pass
        assert OmegaConf.load == cache.load  # an inner block's end leaves the outer one's in place
    assert OmegaConf.load is own
    with pytest.raises(RuntimeError), parsed_once():
        raise RuntimeError("a composition failed")
    assert OmegaConf.load is own


def test_a_load_replaced_between_blocks_is_put_back_as_it_was(monkeypatch):
    def spy(file_):
        return OmegaConf.create({"spied": True})

    monkeypatch.setattr(OmegaConf, "load", spy)
    with parsed_once() as cache:
        assert OmegaConf.load == cache.load
    assert OmegaConf.load is spy


def test_overlapping_blocks_in_threads_restore_omegaconf_load_when_the_last_closes():
    own = OmegaConf.load
    first_in, second_out = threading.Event(), threading.Event()
    seen = []

    def first() -> None:
        with parsed_once() as cache:
            first_in.set()
            second_out.wait(10)
            seen.append(OmegaConf.load == cache.load)

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(10)
    with parsed_once():
        pass
    second_out.set()
    thread.join(10)
    assert seen == [True] and OmegaConf.load is own


def test_compositions_with_kept_parses_are_those_of_parsing_each_time(monkeypatch):
    monkeypatch.setenv(CACHE_ENV, "off")  # every composition Hydra's: none taken from disk
    overrides = ["scenario=winter_surge", "housing=coordinator_scheme", "seed=3"]
    kept_parses._state.cache_clear()  # the process's parses, afresh (no block is open)
    compose._kept.cache_clear()  # and its compositions: each of these is composed
    with parsed_once() as cache:
        load_config(["seed=101"])
        first = cache.parsed
        kept = load_config(overrides)
        # only the three files the first did not read: winter_surge, the winter_baseline it extends,
        # and coordinator_scheme
        assert first > 5 and cache.parsed - first == 3
    compose._kept.cache_clear()
    monkeypatch.setattr(kept_parses, "parsed_once", lambda: _Own())
    fresh = load_config(overrides)
    assert OmegaConf.to_yaml(kept) == OmegaConf.to_yaml(fresh)
    assert OmegaConf.to_container(kept) == OmegaConf.to_container(fresh)


def test_load_config_and_the_cli_keep_their_parses_for_the_next_composition(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(CACHE_ENV, "off")  # every composition Hydra's: none taken from disk
    kept_parses._state.cache_clear()
    compose._kept.cache_clear()
    calls = []
    real = yaml.load
    monkeypatch.setattr(yaml, "load", lambda stream, Loader: calls.append(1) or real(stream, Loader=Loader))
    load_config(["seed=201"])
    first = len(calls)
    load_config(["seed=202"])
    assert first > 5 and len(calls) == first
    parsed = []
    for capacity in (-1, -2, -3):  # a config error: the CLI composes, then stops
        monkeypatch.setattr(sys, "argv", ["flowsim", f"services.ic_beds.capacity={capacity}",
                                          f"hydra.run.dir={tmp_path}"])
        GlobalHydra.instance().clear()
        with pytest.raises(SystemExit) as stop:
            main()
        assert stop.value.code == 2 and "services.ic_beds.capacity" in capsys.readouterr().err
        parsed.append(len(calls))
    # the first run may parse some of Hydra's own files that load_config did not read; then none
    assert first <= parsed[0] == parsed[1] == parsed[2]


def test_the_shipped_configs_parse_to_what_omegaconf_makes_of_them():
    files = sorted(config_dir().rglob("*.yaml"))
    assert len(files) > 20
    cache = ParseCache()
    for path in files:
        for _ in range(2):
            with open(path, encoding="utf-8") as f:
                kept = cache.load(f)
            assert OmegaConf.to_yaml(kept) == OmegaConf.to_yaml(OmegaConf.load(path)), path
    assert cache.parsed == len({p.read_text(encoding="utf-8") for p in files})


class _Own:
    """A block that leaves OmegaConf's load as it is: composing as Hydra alone does."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
