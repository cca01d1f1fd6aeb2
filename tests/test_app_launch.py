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
import time
import urllib.request

import pytest
from conftest import APP_LAUNCH, app_healthy

pytest.importorskip("streamlit")

def test_a_config_folder_without_systems_is_refused_in_one_line(tmp_path):
    done = subprocess.run([*APP_LAUNCH, "--config-dir", str(tmp_path / "nowhere"), "--no-browser"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"flowsim-app: error: --config-dir {tmp_path / 'nowhere'}: holds no system/ or scenario/ folder; "
        "fix: give a config folder such as a flowsim-calibrate output (with system/NAME.yaml)"]


def test_a_workspace_that_cannot_be_written_is_refused_in_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = subprocess.run([*APP_LAUNCH, "--workspace", str(blocker), "--no-browser"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"flowsim-app: error: --workspace {blocker}: cannot be "
                                                   "written")


@pytest.mark.parametrize(("argv", "line"), [
    (["--port", "85010"], "--port: must be from 1 to 65535, got 85010; fix: give a free port, e.g. 8501"),
    (["--port", "-1"], "--port: must be from 1 to 65535, got -1; fix: give a free port, e.g. 8501"),
    (["--port", "web"], "argument --port: invalid int value: 'web'; fix: see flowsim-app --help"),
    (["--address", "10.0.0.300"], "--address: '10.0.0.300' is not an address ("),
])
def test_a_port_or_address_it_cannot_serve_on_is_refused_before_serving(tmp_path, argv, line):
    done = subprocess.run([*APP_LAUNCH, "--workspace", str(tmp_path / "ws"), "--no-browser", *argv],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and "serving" not in done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"flowsim-app: error: {line}"), done.stderr


def test_a_port_in_use_is_refused_before_serving(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([*APP_LAUNCH, "--workspace", str(tmp_path / "ws"), "--no-browser",
                               "--address", "127.0.0.1", "--port", str(port)],
                              capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and "serving" not in done.stdout
    assert done.stderr.splitlines() == [f"flowsim-app: error: --port: {port} is in use on 127.0.0.1; fix: "
                                        "stop what serves there or give another port, e.g. --port 8502"]


def test_it_serves_the_page_and_stopping_it_stops_the_server(tmp_path, flowsim_app):
    app, port = flowsim_app(tmp_path)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert b"<title>" in page.read()
        assert (tmp_path / "ws" / "saved").is_dir()
        os.kill(app.pid, signal.SIGTERM)  # the PID a user's kill or Ctrl+C reaches
        app.wait(timeout=30)
        deadline = time.monotonic() + 15
        while app_healthy(port):
            assert time.monotonic() < deadline, "the server outlived flowsim-app"
            time.sleep(0.5)
    finally:
        try:
            os.killpg(app.pid, signal.SIGKILL)  # anything left in its group
        except ProcessLookupError:
            pass
