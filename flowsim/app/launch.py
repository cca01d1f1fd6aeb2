"""``flowsim-app``: start the planner's web app (Streamlit) on this machine.

``flowsim-app [--workspace DIR] [--config-dir DIR ...] [--port N] [--no-browser]``. Each browser session
writes its runs to its own folder under ``DIR/sessions/``; ``--config-dir`` adds your own systems
(``system/NAME.yaml``, e.g. a ``flowsim-calibrate`` output folder) to the starting points.
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from flowsim.model.errors import EXIT_CONFIG_ERROR, ArgumentParser, ConfigError

__all__ = ["app_command", "check_address", "main"]

PAGE = Path(__file__).resolve().with_name("page.py")


def _parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="flowsim-app", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Start flowsim's web app: pick a system, edit it in forms, run it, compare options, "
                    "download the config, results and board pack. Open the address it prints.",
        epilog="examples:\n  flowsim-app\n  flowsim-app --config-dir calibration --port 8600\n\n"
               "documentation: docs/how-to/app.md in the flowsim source")
    parser.add_argument("--workspace", default="app_runs", metavar="DIR",
                        help="where sessions write their runs, and saved/ scenarios shared by all (default: "
                             "app_runs)")
    parser.add_argument("--config-dir", action="append", default=[], metavar="DIR",
                        help="a config folder with system/NAME.yaml (your own or calibrated system); "
                             "repeatable")
    parser.add_argument("--port", type=int, default=8501, help="the port to serve on (default: 8501)")
    parser.add_argument("--address", default="localhost",
                        help="the address to serve on (default: localhost, this machine only)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    return parser


def app_command(port: int, address: str, headless: bool) -> list[str]:
    """The Streamlit command that serves the page."""
    return [sys.executable, "-m", "streamlit", "run", str(PAGE), "--server.port", str(port),
            "--server.address", address, "--server.headless", str(headless).lower(),
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            "--theme.base", "light", "--client.toolbarMode", "minimal"]


def check_address(address: str, port: int) -> None:
    """Make sure Streamlit can serve on ``address``:``port`` (it would fail after "serving on ...").

    Raises
    ------
    ConfigError
        Naming ``--port`` (outside 1-65535, or taken) or ``--address`` (does not resolve, or is not an
        address of this machine).
    """
    if not 1 <= port <= 65535:
        raise ConfigError("--port", f"must be from 1 to 65535, got {port}", "give a free port, e.g. 8501")
    try:
        found = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        reason = error.strerror if isinstance(error, socket.gaierror) else "not a host name"
        raise ConfigError("--address", f"{address!r} is not an address ({reason})",
                          "give localhost (this machine only), 0.0.0.0 (every network) or an address of "
                          "this machine") from None
    family, kind, protocol, _, where = found[0]
    # bind as the server will (it reuses an address in TIME_WAIT): a port in use or a foreign address fails
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(where)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ConfigError("--port", f"{port} is in use on {address}",
                                  "stop what serves there or give another port, e.g. --port 8502") from None
            if error.errno == errno.EACCES:
                raise ConfigError("--port", f"cannot serve on port {port} ({error.strerror})",
                                  "give a port from 1024 (lower ones need administrator rights)") from None
            raise ConfigError("--address", f"cannot serve on {address} ({error.strerror})",
                              "give localhost (this machine only), 0.0.0.0 (every network) or an address "
                              "of this machine") from None


def _fail(message: str) -> NoReturn:
    print(f"flowsim-app: error: {message}", file=sys.stderr)
    sys.exit(EXIT_CONFIG_ERROR)


def main(argv: Sequence[str] | None = None) -> None:
    """``flowsim-app``: check the folders, then serve the app until interrupted."""
    args = _parser().parse_args(argv)
    if importlib.util.find_spec("streamlit") is None:
        _fail("the web app needs Streamlit, which is not installed; fix: make app, or pip install "
              "'flowsim[app]'")
    for folder in args.config_dir:
        if not (Path(folder) / "system").is_dir() and not (Path(folder) / "scenario").is_dir():
            _fail(f"--config-dir {folder}: holds no system/ or scenario/ folder; fix: give a config folder "
                  "such as a flowsim-calibrate output (with system/NAME.yaml)")
    workspace = Path(args.workspace).resolve()
    try:
        (workspace / "saved").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _fail(f"--workspace {workspace}: cannot be written ({error.strerror}); fix: give a folder you can "
              "write to")
    try:  # Streamlit itself would fail only after "serving on ..." is printed
        check_address(args.address, args.port)
    except ConfigError as error:
        _fail(str(error))
    folders = os.pathsep.join(str(Path(d).resolve()) for d in args.config_dir)
    environment = {**os.environ, "FLOWSIM_APP_WORKSPACE": str(workspace), "FLOWSIM_APP_CONFIG_DIRS": folders}
    print(f"flowsim-app: serving on http://{args.address}:{args.port} (Ctrl+C stops it); sessions write to "
          f"{workspace}/sessions/", flush=True)
    command = app_command(args.port, args.address, args.no_browser)
    # Streamlit takes this process's place (and its PID), so stopping flowsim-app stops the server
    os.execve(command[0], command, environment)
