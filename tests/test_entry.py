"""The console scripts' entry points (flowsim/cli/entry.py): OpenBLAS held to one thread, unless set."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from flowsim.cli import entry

# Start a command as its console script does and report the process's threads once it has imported
# everything (Linux: /proc). `flowsim --cfg job` imports the whole CLI, numpy and SciPy included.
_PROBE = textwrap.dedent("""
    import atexit, sys
    def threads():
        status = open("/proc/self/status").read()
        print("THREADS", status.split("Threads:")[1].split()[0], file=sys.stderr)
    atexit.register(threads)
    how, folder = sys.argv[1:]
    sys.argv = ["flowsim", "--cfg", "job", "hydra.run.dir=" + folder]
    if how == "script":
        from flowsim.cli.entry import flowsim
        flowsim()
    else:
        from flowsim.cli.main import main
        main()
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
