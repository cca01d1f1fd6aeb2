"""flowsim.cli.compose_once: a run composes its configuration once, and gets the one Hydra would compose."""

from __future__ import annotations

import contextlib
import sys

import pytest
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf

import flowsim.cli.main as cli
from flowsim.cli.compose_once import composed_once
from flowsim.model.compose_store import CACHE_ENV


@pytest.fixture(autouse=True)
def _compositions_not_kept_on_disk(monkeypatch):
    """These tests count Hydra's compositions: none may be taken from an earlier test's on disk."""
    monkeypatch.setenv(CACHE_ENV, "off")


def _count_compositions(patch) -> list[str]:
    """The run mode of every composition Hydra makes from now on (until ``patch`` is undone)."""
    compositions: list[str] = []
    load = ConfigLoaderImpl.load_configuration

    def counted(self, *a, **k):
        compositions.append(k["run_mode"].name)
        return load(self, *a, **k)

    patch.setattr(ConfigLoaderImpl, "load_configuration", counted)
    return compositions


def _composed(args: list[str], once: bool, monkeypatch) -> tuple[dict, dict, int]:
    """(the app's config, Hydra's config, compositions) of ``flowsim ARGS`` run in this process."""
    seen: dict = {}

    def task(cfg) -> None:  # instead of running the scenario: what it was given
        seen["cfg"] = OmegaConf.to_container(cfg, resolve=False)
        seen["hydra"] = OmegaConf.to_container(HydraConfig.get(), resolve=False)
        seen["mode"] = HydraConfig.get().mode

    with monkeypatch.context() as patch:
        patch.setattr(sys, "argv", ["flowsim", *args])
        patch.setattr(cli, "_task", task)
        compositions = _count_compositions(patch)
        if not once:
            patch.setattr(cli, "composed_once", contextlib.nullcontext)
        GlobalHydra.instance().clear()
        try:
            cli.main()
        finally:
            GlobalHydra.instance().clear()
    return seen["cfg"], {**seen["hydra"], "mode": seen["mode"]}, len(compositions)


@pytest.mark.parametrize("args", [
    [],
    ["scenario=quick", "housing=off", "seed=7", "services.ic_beds.capacity=30"],
    ["scenario=quick", "hydra.mode=RUN", "hydra.job.name=named"],
    ["scenario=quick", "+hydra.job.env_set.FLOWSIM_TEST=1", "replications=2"],
])
def test_a_run_gets_the_configuration_hydra_composes_and_composes_it_once(args, tmp_path, monkeypatch):
    args = [*args, f"hydra.run.dir={tmp_path}"]
    cfg, hydra_cfg, compositions = _composed(args, once=True, monkeypatch=monkeypatch)
    hydras_cfg, hydras_hydra_cfg, hydras_compositions = _composed(args, once=False, monkeypatch=monkeypatch)
    assert (compositions, hydras_compositions) == (1, 2)
    assert cfg == hydras_cfg
    assert hydra_cfg == hydras_hydra_cfg
    assert hydra_cfg["mode"].name == "RUN"
    assert hydra_cfg["overrides"]["hydra"][-1] == "hydra.mode=RUN" or "hydra.mode=RUN" in args


def test_a_sweep_override_without_m_is_still_refused(tmp_path, capsys, monkeypatch):
    from tests.test_bad_input import run_in_process

    args = ["scenario=quick", "housing=off", "seed=1,2", f"hydra.run.dir={tmp_path}"]
    code, out, err = run_in_process(args, capsys, monkeypatch)
    assert code == 2 and out == ""
    assert err.startswith("flowsim: error: seed=1,2: several values are a sweep"), err


def test_hydra_is_as_it_was_after_the_block():
    from hydra._internal.hydra import Hydra

    before = (Hydra.get_mode, Hydra.compose_config)
    with pytest.raises(RuntimeError), composed_once():
        assert (Hydra.get_mode, Hydra.compose_config) != before
        raise RuntimeError
    assert (Hydra.get_mode, Hydra.compose_config) == before


def _api_compositions(overrides: list[str], run_mode: str, once: bool, monkeypatch, directory=None):
    """Hydra's get_mode and then its composition for ``run_mode``, as ``_run_app`` calls them."""
    from hydra import initialize_config_dir
    from hydra.types import RunMode

    from flowsim.model.compose import config_dir
    from flowsim.model.config import register_configs

    register_configs()
    GlobalHydra.instance().clear()
    block = composed_once() if once else contextlib.nullcontext()
    try:
        with (monkeypatch.context() as patch,
              initialize_config_dir(str(directory or config_dir()), version_base="1.3"), block):
            compositions = _count_compositions(patch)
            app = GlobalHydra.instance().hydra
            mode = app.get_mode("config", overrides)
            added = [] if mode is not None else [f"hydra.mode={run_mode}"]
            cfg = app.compose_config("config", [*overrides, *added], run_mode=RunMode[run_mode])
            return mode, OmegaConf.to_container(cfg, resolve=False), compositions
    finally:
        GlobalHydra.instance().clear()


@pytest.mark.parametrize("overrides, run_mode, first", [
    (["scenario=quick", "seed=1,2"], "MULTIRUN", "MULTIRUN"),  # a sweep: read as Hydra's get_mode reads it
    (["scenario=quick", "seed=1"], "MULTIRUN", "RUN"),  # -m without a sweep: composed for a run serves
    (["scenario=quick", "seed=1"], "RUN", "RUN"),
    (["experiment=care_home_units"], "MULTIRUN", "RUN"),  # the experiment sets hydra.mode itself
])
def test_the_composition_that_reads_the_mode_is_the_one_used(overrides, run_mode, first, monkeypatch):
    mode, cfg, compositions = _api_compositions(overrides, run_mode, True, monkeypatch)
    hydras_mode, hydras_cfg, hydras_compositions = _api_compositions(overrides, run_mode, False, monkeypatch)
    assert compositions == [first]
    assert hydras_compositions == ["MULTIRUN", run_mode]
    assert mode == hydras_mode
    assert cfg == hydras_cfg


@pytest.mark.parametrize("overrides, run_mode, problem", [
    (["scenario=quick", "hydra.job.name=a,b"], "MULTIRUN", "Sweeping over Hydra's configuration"),
    (["scenario=quick", "seed=1,2"], "RUN", "Ambiguous value for argument 'seed=1,2'"),
])
def test_what_hydra_refuses_is_still_refused(overrides, run_mode, problem, monkeypatch):
    from hydra.errors import ConfigCompositionException

    for once in (True, False):
        with pytest.raises(ConfigCompositionException, match=problem):
            _api_compositions(overrides, run_mode, once, monkeypatch)


@pytest.mark.parametrize("bad", ["housing.enabled=maybe", "scenario=does_not_exist", "+run.horizon_dayz=3",
                                 "services.ic_beds=4"])
def test_a_configuration_that_does_not_compose_is_composed_once_with_hydras_error(bad, tmp_path, capsys,
                                                                                monkeypatch):
    # Hydra composed it three times (to read the mode, as a sweep; then for the run, to raise)
    from tests.test_bad_input import run_in_process

    args = ["scenario=quick", bad, f"hydra.run.dir={tmp_path}"]
    lines, counts = [], []
    for once in (True, False):
        with monkeypatch.context() as patch:
            compositions = _count_compositions(patch)
            if not once:
                patch.setattr(cli, "composed_once", contextlib.nullcontext)
            code, out, err = run_in_process(args, capsys, patch)
        assert code == 2 and out == "" and err.startswith("flowsim: error: "), err
        lines.append(err)
        counts.append(compositions)
    assert lines[0] == lines[1]
    assert counts == [["RUN"], ["MULTIRUN", "RUN"]]


def test_a_default_left_missing_is_still_read_as_a_sweep_would_read_it(tmp_path, monkeypatch):
    # a run needs every default; Hydra reads the mode as a sweep, which may leave one missing
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "a.yaml").write_text("name: a\n")
    (tmp_path / "config.yaml").write_text("defaults:\n  - db: ???\n  - _self_\nx: 1\n"
                                          "hydra:\n  mode: MULTIRUN\n")
    mode, cfg, compositions = _api_compositions([], "MULTIRUN", True, monkeypatch, tmp_path)
    hydras_mode, hydras_cfg, _ = _api_compositions([], "MULTIRUN", False, monkeypatch, tmp_path)
    assert compositions[0] == "RUN" and compositions[1:] == ["MULTIRUN", "MULTIRUN"]
    assert mode == hydras_mode and mode.name == "MULTIRUN"
    assert cfg == hydras_cfg
