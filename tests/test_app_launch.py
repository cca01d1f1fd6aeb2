"""``flowsim-app`` as a user starts and stops it.

Wrong folders stop it before anything is served, in one line with exit code 2; it serves the page on
the port asked for; and stopping the ``flowsim-app`` process (its PID: Ctrl+C, ``kill``) stops the
server, leaving no web server behind on the port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytest.importorskip("streamlit")

LAUNCH = [sys.executable, "-c", "from flowsim.app.launch import main; main()"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
            return answer.read().strip() == b"ok"
    except OSError:
        return False


def test_a_config_folder_without_systems_is_refused_in_one_line(tmp_path):
    done = subprocess.run([*LAUNCH, "--config-dir", str(tmp_path / "nowhere"), "--no-browser"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"flowsim-app: error: --config-dir {tmp_path / 'nowhere'}: holds no system/ or scenario/ folder; "
        "fix: give a config folder such as a flowsim-calibrate output (with system/NAME.yaml)"]


def test_a_workspace_that_cannot_be_written_is_refused_in_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = subprocess.run([*LAUNCH, "--workspace", str(blocker), "--no-browser"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"flowsim-app: error: --workspace {blocker}: cannot be "
                                                   "written")


def test_it_serves_the_page_and_stopping_it_stops_the_server(tmp_path):
    port = _free_port()
    app = subprocess.Popen([*LAUNCH, "--workspace", str(tmp_path / "ws"), "--port", str(port), "--address",
                            "127.0.0.1", "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           cwd=tmp_path, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not _healthy(port):
            assert app.poll() is None, app.stdout.read().decode()
            assert time.monotonic() < deadline, "flowsim-app did not start in 90 s"
            time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert b"<title>" in page.read()
        assert (tmp_path / "ws" / "saved").is_dir()
        os.kill(app.pid, signal.SIGTERM)  # the PID a user's kill or Ctrl+C reaches
        app.wait(timeout=30)
        deadline = time.monotonic() + 15
        while _healthy(port):
            assert time.monotonic() < deadline, "the server outlived flowsim-app"
            time.sleep(0.5)
    finally:
        if app.poll() is None:
            os.killpg(app.pid, signal.SIGKILL)
        else:
            try:
                os.killpg(app.pid, signal.SIGKILL)  # anything it left in its group
            except ProcessLookupError:
                pass
        app.stdout.close()
