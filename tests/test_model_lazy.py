"""flowsim/model/lazy.py: package attributes imported on first use, so one part of flowsim does not import
every other (a replication worker skips comparison, sweeps and Hydra composition)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import flowsim

PROBE = """
import json, sys
{statements}
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("flowsim", "pandas", "hydra", "tqdm")))))
"""


def _imported_by(module: str, then: str = "") -> set[str]:
    """The modules of interest loaded by a fresh interpreter after ``import module`` and ``then``."""
    statements = f"import {module}\n{then}"
    out = subprocess.run([sys.executable, "-c", PROBE.format(statements=statements)], capture_output=True,
                         text=True, check=True).stdout
    return set(json.loads(out))


def test_import_flowsim_imports_none_of_its_parts():
    assert _imported_by("flowsim") == {"flowsim", "flowsim.model", "flowsim.model.lazy"}


def test_a_replication_worker_does_not_import_comparison_sweeps_or_composition():
    loaded = _imported_by("flowsim.experiment.pipeline")
    assert "flowsim.experiment.pipeline" in loaded
    for unneeded in ("flowsim.experiment.compare", "flowsim.experiment.sweep", "flowsim.model.compose",
                     "hydra.compose", "flowsim.reporting", "flowsim.cli"):
        assert unneeded not in loaded, unneeded


def test_a_progress_bar_is_imported_only_when_one_is_shown():
    run = ("from flowsim.experiment.runner import iter_replications\n"
           "list(iter_replications(abs, {replications}, progress=True))")
    assert not any(m.startswith("tqdm") for m in _imported_by("flowsim", run.format(replications=[0])))
    assert "tqdm.auto" in _imported_by("flowsim", run.format(replications=[0, 1]))


@pytest.mark.parametrize("package", ["flowsim", "flowsim.model", "flowsim.measures", "flowsim.experiment"])
def test_every_listed_export_resolves_and_is_listed(package):
    module = __import__(package, fromlist=["__all__"])
    for name in module.__all__:
        assert getattr(module, name) is not None
        assert name in dir(module)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        module.nope  # noqa: B018


def test_the_top_level_exports_are_the_functions_themselves():
    from flowsim.experiment.pipeline import run_scenario
    from flowsim.model.journey import simulate

    assert flowsim.simulate is simulate and flowsim.run_scenario is run_scenario


@pytest.mark.parametrize("replications", [1, 2])
def test_a_run_imports_no_pandas(tmp_path, replications):
    """A run writes its tables and prints its summary without pandas, which would cost the process 0.2 s
    to import, or Arrow's compute functions (flowsim.experiment.arrow_tables, flowsim.measures.kpi_table);
    the tables are checked against pandas' own in their tests."""
    run = (f"import sys\nsys.argv = ['flowsim', 'hydra.run.dir={tmp_path}/run', 'run.warm_up_days=10', "
           f"'run.horizon_days=30', 'replications={replications}']\nfrom flowsim.cli.entry import flowsim\n"
           "try:\n    flowsim()\nexcept SystemExit as stop:\n    assert not stop.code, stop.code")
    every = run + "\nprint(json.dumps(sorted(sys.modules)))"  # the probe's last line: every module loaded
    for attempt in ("run", "resumed"):  # the same command again resumes from the checkpoints
        out = subprocess.run([sys.executable, "-c", PROBE.format(statements=every)], capture_output=True,
                             text=True, check=True).stdout
        assert ("Resumed" in out) == (attempt == "resumed"), out
        loaded = set(json.loads(out.splitlines()[-2]))
        assert "flowsim.experiment.pipeline" in loaded and "flowsim.reporting.summary" in loaded
        assert not any(m.startswith("pandas") for m in loaded), attempt
        assert "pyarrow.compute" not in loaded, attempt  # Arrow's compute functions: 0.04 s to load
    assert (tmp_path / "run" / "patients.parquet").is_file() and (tmp_path / "run" / "summary.csv").is_file()
