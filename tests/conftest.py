"""Shared fixtures: small systems whose behaviour theory predicts; a real headless browser.

The browser fixtures use the system's Chromium and ChromeDriver through Selenium. Without them the
tests that ask for them skip, saying what to install; with ``FLOWSIM_REQUIRE_BROWSER=1`` (as in CI)
they fail instead. Files a person should look at (screenshots, PDFs) go to ``$FLOWSIM_ARTEFACTS``
when set, else the test's temporary folder.
"""

from __future__ import annotations

import base64
import copy
import importlib.util
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from flowsim.model.compose_store import CACHE_ENV
from flowsim.reporting.pdf import find_browser

_MADE_CACHE = pytest.StashKey[str]()


@pytest.fixture(autouse=True)
def _root_logging_as_it_was():
    """Each test leaves the root logger as it found it. A ``flowsim`` run in-process has Hydra point
    the root logger's handlers at the test's captured output, closed when that test ends; a later test
    in the same worker whose libraries log (nbclient: "Executing notebook ...") then printed "--- Logging
    error ---" into its own output (test_damaged_outputs after test_bad_input: found in a clean clone)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)

# The longest test files, longest first (seconds on two workers, 2026-12-03): `make test` hands whole
# files to its workers in this order (--no-loadscope-reorder), so that no long file starts last and
# runs alone while the other worker waits. pytest-xdist's own order, most tests first, left the files
# of few long tests (the docs' examples, the sweeps, the sizing grid) to the end.
LONGEST_FIRST = (
    "test_docs_examples.py", "test_sweep.py", "test_bad_input.py", "test_app_page.py", "test_sizing_grid.py",
    "test_notebooks.py", "test_cli_size.py", "test_queueing.py", "test_sweep_check.py", "test_board.py",
    "test_app_browser.py", "test_report.py", "test_configs.py", "test_damaged_outputs.py",
    "test_report_freshness.py", "test_seed_schemes.py", "test_entry.py", "test_identity.py",
    "test_app_jobs.py", "test_app_saved.py", "test_run_folder.py", "test_random_configs.py",
    "test_board_browser.py", "test_app_fields.py", "test_compose_once.py", "test_board_sizing.py",
)


def pytest_configure(config: pytest.Config) -> None:
    """pytest keeps the test modules it rewrites (their asserts explained) even where
    PYTHONDONTWRITEBYTECODE is set: rewriting them is most of collecting the suite (about 11 s of 17 in
    each worker, every run), and pytest heeds the setting. Only this process: commands the tests start
    keep the environment they were given (``make`` compiles flowsim's own modules for them).

    Compositions kept on disk (:mod:`flowsim.model.compose_store`) go to a folder of this run's own,
    shared by its workers and the commands they start, and removed at the end: the suite starts as
    on a new machine and writes nothing to the user's cache. ``FLOWSIM_CACHE_DIR`` given is kept."""
    sys.dont_write_bytecode = False
    if not os.environ.get(CACHE_ENV):  # set here in the controller; its workers inherit it
        folder = tempfile.mkdtemp(prefix="flowsim-test-cache-")
        os.environ[CACHE_ENV] = folder
        config.stash[_MADE_CACHE] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    """The run's cache folder removed (by the process that made it)."""
    folder = config.stash.get(_MADE_CACHE, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        del os.environ[CACHE_ENV]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files of :data:`LONGEST_FIRST` first, in its order; within a file, tests keep theirs."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest as collected


def load_script(name: str, path: Path) -> ModuleType:
    """Import a script by path (benchmarks and experiments are not packages), once per session."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def single_unit_config(
    *,
    rate_per_day: float = 10.0,
    capacity: int = 5,
    los: dict[str, Any] | None = None,
    pathway: str = "P2",
    horizon_days: float = 2000.0,
    warm_up_days: float = 200.0,
    seed: int = 1,
) -> dict[str, Any]:
    """Plain-dict config of one unit fed by homogeneous Poisson arrivals of a single pathway.

    No seasonality, no readmission, P2 patients all go home, so the unit is an M/G/c queue
    (``capacity`` servers, FCFS, waiting room unlimited) and the acute delay is its queueing wait.
    """
    shares = {"P0": 0.0, "P1": 0.0, "P2": 0.0, "P3": 0.0}
    shares[pathway] = 1.0
    return {
        "seed": seed,
        "replications": 1,
        "n_jobs": 1,
        "run": {"start_date": "2025-01-06", "horizon_days": horizon_days,
                "warm_up_days": warm_up_days},
        "arrivals": {"rate_per_day": rate_per_day},
        "pathways": {"shares": shares, "p0_admin_delay_days": {"kind": "fixed", "value": 0.0}},
        "services": {
            "unit": {"pathways": [pathway], "capacity": capacity,
                     "los_days": copy.deepcopy(los or {"kind": "exponential", "mean": 0.4})},
        },
        "after_p2": {"shares": {"home": 1.0}},
        "readmission": {
            "probability": {},
            "time_to_readmission_days": {"kind": "fixed", "value": 1.0},
            "clinical_los_days": {"kind": "fixed", "value": 1.0},
        },
        "costs": {"acute_bed_day": 395.0},
    }


@pytest.fixture
def single_unit():
    """Factory fixture: ``single_unit(capacity=3, ...)`` -> config dict (see single_unit_config)."""
    return single_unit_config


def _require(found: str | None, what: str) -> str:
    """``found``, or skip (fail under FLOWSIM_REQUIRE_BROWSER=1) saying what to install."""
    if found:
        return found
    reason = f"{what}; install chromium and chromium-driver (apt install chromium chromium-driver)"
    if os.environ.get("FLOWSIM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}: FLOWSIM_REQUIRE_BROWSER=1 asks for the browser tests", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> str:
    """The system's Chromium (or Chrome)."""
    return _require(find_browser(), "no Chromium or Chrome on PATH to view and print in a real browser")


@pytest.fixture(scope="module")
def chromedriver(browser) -> str:
    """ChromeDriver, for Selenium."""
    return _require(shutil.which("chromedriver"), "no chromedriver on PATH for Selenium")


@pytest.fixture
def artefacts(tmp_path) -> Path:
    """Where a test leaves files for a person to look at: $FLOWSIM_ARTEFACTS (CI uploads it) or tmp."""
    folder = Path(os.environ.get("FLOWSIM_ARTEFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def driver(browser, chromedriver, tmp_path_factory):
    """Headless Chromium driven by Selenium, 1280 x 1000 CSS pixels, offline but for this machine.

    Its temporary folder is the test session's: Chromium leaves the folder of its singleton socket in
    the system's temporary folder after every session (one per test module, a hundred a day).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = browser
    offline = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", offline):
        options.add_argument(argument)
    scratch = tmp_path_factory.mktemp("chromium")
    service = Service(executable_path=chromedriver, env={**os.environ, "TMPDIR": str(scratch)})
    chrome = webdriver.Chrome(options=options, service=service)
    yield chrome
    chrome.quit()


def full_page_png(chrome) -> bytes:
    """The whole page, not just the window, as PNG (Chrome DevTools: capture beyond the viewport)."""
    size = chrome.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = chrome.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    return base64.b64decode(shot["data"])


@pytest.fixture
def screenshot():
    """``screenshot(driver)``: the whole page as PNG bytes."""
    return full_page_png


def flowsim_error_line(*overrides: str) -> str:
    """The line ``flowsim OVERRIDES`` prints for a wrong config, after ``flowsim: error: ``; exit code 2."""
    done = subprocess.run([sys.executable, "-m", "flowsim", *overrides], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    return done.stderr.strip().splitlines()[-1].removeprefix("flowsim: error: ")


@pytest.fixture(scope="session")
def cli_error():
    """``cli_error(*overrides)``: the CLI's one-line message for a wrong config (what the app must show)."""
    return flowsim_error_line


APP_LAUNCH = [sys.executable, "-c", "from flowsim.app.launch import main; main()"]


def app_healthy(port: int) -> bool:
    """Whether a flowsim-app (Streamlit) server answers its health check on ``port`` of this machine."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
            return answer.read().strip() == b"ok"
    except OSError:
        return False


def start_flowsim_app(folder: Path, *args: str, timeout_s: float = 90) -> tuple[subprocess.Popen, int]:
    """``flowsim-app ARGS`` on a free port, its workspace in ``folder``; once it answers: (process, port).

    The process leads its own process group; the caller stops it.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = folder / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen([*APP_LAUNCH, "--workspace", str(folder / "ws"), "--port", str(port),
                                   "--address", "127.0.0.1", "--no-browser", *args],
                                  stdout=out, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True)
    deadline = time.monotonic() + timeout_s
    while not app_healthy(port):
        assert server.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"flowsim-app did not start in {timeout_s:g} s"
        time.sleep(0.5)
    return server, port


@pytest.fixture(scope="session")
def flowsim_app():
    """``flowsim_app(folder, *args)``: start flowsim-app (see :func:`start_flowsim_app`)."""
    return start_flowsim_app


@pytest.fixture
def uninstall(monkeypatch):
    """``uninstall(name)``: the package ``name`` looks not installed to ``importlib.metadata.version``."""
    from importlib import metadata

    real = metadata.version
    missing: set[str] = set()

    def version(name: str) -> str:
        if name in missing:
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "version", version)
    return missing.add
