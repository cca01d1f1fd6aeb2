"""The console scripts' entry points (flowsim/cli/entry.py): OpenBLAS held to one thread, unless set;
the garbage collector paused while the command is imported, and what the import made frozen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flowsim.cli import entry

# Start a command as its console script does and report the process's threads once it has imported
# everything (Linux: /proc). `flowsim --cfg job` imports the CLI and numpy; SciPy (with its own
# OpenBLAS) comes with a run, so the probe imports it after the command, before counting (not at
# exit: Python 3.13 refuses what SciPy's import registers once the interpreter is shutting down).
_PROBE = textwrap.dedent("""
    import sys
    how, folder = sys.argv[1:]
    sys.argv = ["flowsim", "--cfg", "job", "hydra.run.dir=" + folder]
    try:
        if how == "script":
            from flowsim.cli.entry import flowsim
            flowsim()
        else:
            from flowsim.cli.main import main
            main()
    finally:
        import scipy.special
        status = open("/proc/self/status").read()
        print("THREADS", status.split("Threads:")[1].split()[0], file=sys.stderr)
""")


def _threads(how: str, tmp_path, **env: str) -> int:
    environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"} | env
    proc = subprocess.run([sys.executable, "-c", _PROBE, how, str(tmp_path)], capture_output=True,
                          text=True, timeout=120, env=environment, check=True)
    return int(proc.stderr.split("THREADS")[1].split()[0])


@pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
                    reason="counts threads in /proc; OpenBLAS starts none on one CPU")
def test_the_command_starts_no_openblas_threads_unless_asked(tmp_path):
    bare = _threads("import", tmp_path)  # the command's function called without its entry point
    script = _threads("script", tmp_path)
    assert script < bare, (script, bare)  # numpy's and SciPy's OpenBLAS threads are not started
    assert _threads("script", tmp_path, OPENBLAS_NUM_THREADS="2") > script  # a user's setting stands


def test_every_console_script_goes_through_an_entry_point():
    text = open("pyproject.toml", encoding="utf-8").read()
    scripts = text.split("[project.scripts]")[1].split("\n[")[0]
    targets = [line.split("=", 1)[1].strip().strip('"') for line in scripts.splitlines()
               if "=" in line and not line.startswith("#")]
    for target in targets:
        module, function = target.split(":")
        if module == "flowsim.app.launch":  # the app's work runs as flowsim commands
            continue
        assert module == "flowsim.cli.entry" and function in entry.__all__, target


_COMMAND = textwrap.dedent("""
    import gc
    SEEN_AT_IMPORT = gc.isenabled()
    MADE_AT_IMPORT = [1]
    MADE_AT_IMPORT.append(MADE_AT_IMPORT)  # a cycle: only the cyclic collector could free it

    def main():
        tracked = any(o is MADE_AT_IMPORT for o in gc.get_objects())  # frozen objects are not listed
        print(SEEN_AT_IMPORT, gc.isenabled(), tracked, gc.get_freeze_count() > 0)
""")


def test_the_collector_pauses_while_a_command_is_imported_and_then_leaves_the_import_alone(tmp_path):
    (tmp_path / "a_command.py").write_text(_COMMAND)
    started = subprocess.run([sys.executable, "-c", "from flowsim.cli.entry import _run; _run('a_command')"],
                             capture_output=True, text=True, timeout=60, check=True,
                             env=os.environ | {"PYTHONPATH": str(tmp_path)})
    # paused during the import; running again for the command; the import's objects frozen
    assert started.stdout.split() == ["False", "True", "False", "True"], started.stderr


# A command that stops before a run: which of the run's heavy libraries did it import?
_HEAVY = textwrap.dedent("""
    import atexit, sys
    def heavy():
        print("HEAVY", sorted({m.split(".")[0] for m in sys.modules} & {"pandas", "scipy", "matplotlib"}),
              file=sys.stderr)
    atexit.register(heavy)
    command = sys.argv.pop(1)
    sys.argv = [command, *sys.argv[1:]]
    from flowsim.cli import entry
    getattr(entry, command.replace("-", "_"))()
""")


@pytest.mark.parametrize("command, args, code", [
    ("flowsim", ["services.ic_beds.capacity=-1"], 2),  # found by the checks before the run
    ("flowsim", ["services.ic_bedz.capacity=3"], 2),  # found by Hydra
    ("flowsim", ["--cfg", "job"], 0),
    ("flowsim-collect", ["no_such_sweep"], 2),
    ("flowsim-report", ["no_such_run"], 2),
    ("flowsim-report", ["--help"], 0),
    ("flowsim-calibrate", ["fitt", "extract.csv"], 2),
    ("flowsim-calibrate", ["fit", "--help"], 0),
    ("flowsim-calibrate", ["targets", "no_such_targets.yaml"], 2),
    ("flowsim-size", ["no_such_sizing.yaml"], 2),
    ("flowsim-size", ["--help"], 0),
])
def test_a_config_error_or_the_printed_config_imports_none_of_the_run(command, args, code, tmp_path):
    # pandas and SciPy are a run's (0.4 s of CPU): a one-line error comes in half the time without them
    if command == "flowsim":
        args = [*args, f"hydra.run.dir={tmp_path / 'run'}"]
    proc = subprocess.run([sys.executable, "-c", _HEAVY, command, *args], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == code, proc.stderr
    assert "HEAVY []" in proc.stderr, proc.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command, args", [
    ("flowsim", ["scenario=quick", "run.horizon_days=20", "run.warm_up_days=0", "run.cool_down_days=0"]),
    ("flowsim", ["--help"]),  # any command's printing (entry._run), Hydra's run aside
])
def test_a_reader_that_stops_reading_ends_the_command_quietly(command, args, tmp_path):
    # flowsim | head -3: the pipe's reader gone before the summary is printed (closed here at once)
    if command == "flowsim" and args[0] != "--help":
        args = [*args, f"hydra.run.dir={tmp_path / 'run'}"]
    proc = subprocess.Popen([sys.executable, "-c", _HEAVY, command, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=120)
    assert proc.returncode == entry.EXIT_BROKEN_PIPE, err
    assert "Traceback" not in err and "Error" not in err and "Exception" not in err, err
    if command == "flowsim" and args[0] != "--help":
        assert (tmp_path / "run" / "metrics.json").is_file()  # the run's files were written before


# Each forked worker reports whether it started with the run's libraries (imported once, before forking).
_AT_FORK = textwrap.dedent("""
    import os, sys
    modules = sys.argv.pop(1).split(",")
    # one write(2) of a short line is atomic: print's pieces from two workers interleaved ("FORKED FORKEDT")
    os.register_at_fork(after_in_child=lambda: os.write(
        2, f"FORKED {all(m in sys.modules for m in modules)}\\n".encode()))
    command = sys.argv.pop(1)
    sys.argv = [command, *sys.argv[1:]]
    from flowsim.cli import entry
    getattr(entry, command.replace("-", "_"))()
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="flowsim forks its workers on Linux only")
@pytest.mark.parametrize(("args", "libraries"), [
    (["-m", "seed=1,2,3", "hydra.launcher.n_jobs=2"], ("pandas",)),  # a sweep's jobs
    (["replications=3", "n_jobs=2"], ()),  # replications in parallel: a run needs no pandas
    # a warm start's distributions need SciPy's special functions (their CDFs): once, before the fork
    (["replications=3", "n_jobs=2", "run.initial_census={census}"], ("scipy.special",)),
])
def test_forked_workers_start_with_the_run_imported(args, libraries, tmp_path):
    census = tmp_path / "census.yaml"
    census.write_text("units:\n  ic_beds: {count: 30}\n")
    short = ["scenario=quick", "run.horizon_days=20", "run.warm_up_days=0", "run.cool_down_days=0",
             "outputs.summary=false", f"hydra.run.dir={tmp_path / 'run'}",
             f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    args = [arg.format(census=census) for arg in args]
    _assert_forked_with_the_run(["flowsim", *args, *short], "flowsim.experiment.pipeline",
                                libraries=libraries)


@pytest.mark.parametrize("args, heavy", [
    (["replications=3", "n_jobs=2"], "[]"),
    (["-m", "seed=1,2,3", "hydra.launcher.n_jobs=2"], "['pandas']"),  # the sweep's tables are frames
])
def test_a_parallel_run_or_sweep_imports_no_scipy(args, heavy, tmp_path):
    # its confidence intervals' Student-t quantiles are flowsim's own: importing scipy.special took
    # 0.24 s of CPU before the workers forked, the one part two workers cannot share
    short = ["scenario=quick", "run.horizon_days=20", "run.warm_up_days=0", "run.cool_down_days=0",
             f"hydra.run.dir={tmp_path / 'run'}", f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    proc = subprocess.run([sys.executable, "-c", _HEAVY, "flowsim", *args, *short], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"HEAVY {heavy}" in proc.stderr, proc.stderr


def _assert_forked_with_the_run(argv: list[str], worker_module: str, cwd: Path | None = None,
                                libraries: tuple[str, ...] = ("pandas", "scipy.special")) -> None:
    modules = ",".join([*libraries, worker_module])
    proc = subprocess.run([sys.executable, "-c", _AT_FORK, modules, *argv], capture_output=True, text=True,
                          timeout=300, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    forked = [line.split()[1] for line in proc.stderr.splitlines() if line.startswith("FORKED")]
    assert forked and set(forked) == {"True"}, proc.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="flowsim forks its workers on Linux only")
def test_the_sizing_search_workers_start_with_the_run_imported(tmp_path):
    # flowsim-size imports the search once its input is checked: still before its workers fork
    spec = {"overrides": ["scenario=quick", "housing=off", "outputs.patients=false", "run.horizon_days=20",
                          "run.warm_up_days=0", "run.cool_down_days=0"],
            "seed": 5, "objective": "cost_total",
            "variables": {"ic_beds": {"path": "services.ic_beds.capacity", "low": 36, "high": 39, "step": 3}},
            "search": {"trials": 2, "batch": 2, "replications": 2, "shortlist": 2, "max_replications": 2},
            "validation": {"replications": 2}}
    (tmp_path / "sizing.yaml").write_text(json.dumps(spec), encoding="utf-8")  # JSON is YAML
    _assert_forked_with_the_run(["flowsim-size", "sizing.yaml", "--n-jobs", "2", "--output", "out"],
                                "flowsim.experiment.runner", tmp_path)
