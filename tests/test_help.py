"""``flowsim --help`` and every console script's help: short, human, with examples and the docs."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from flowsim.cli.help import describe_option, human_help
from flowsim.model.compose import config_dir, load_config


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120)


def test_flowsim_help_is_the_human_help_not_hydras():
    done = _run("-m", "flowsim", "--help")
    assert done.returncode == 0 and done.stderr == ""
    text = done.stdout
    assert text.startswith("usage: flowsim [GROUP=OPTION ...]")
    assert "Powered by Hydra" not in text and "== Config ==" not in text
    assert len(text.splitlines()) < 60  # short: a screenful
    # every shipped option of every group is listed, under its group
    for group in ("system", "housing", "scenario", "experiment"):
        options = sorted(p.stem for p in (config_dir() / group).glob("*.yaml"))
        assert options, group
        block = text.split(f"  {group}: ")[1]
        for option in options:
            assert re.search(rf"^    {re.escape(option)}\b", block, re.M), (group, option)
    assert text.count("\n  flowsim ") >= 3  # three examples
    assert "quick" in text and "Documentation:" in text and "--hydra-help" in text


def test_flowsim_help_answers_without_importing_the_run(capsys, monkeypatch):
    # the console script's path: what the process imported by the time it printed the help
    heavy = "{'hydra', 'numpy', 'pandas', 'pyarrow', 'scipy', 'simpy', 'omegaconf'}"
    probe = ("import atexit, sys; atexit.register(lambda: print(sorted({m.split('.')[0] for m in "
             f"sys.modules}} & {heavy}), file=sys.stderr)); sys.argv = ['flowsim', 'scenario=quick', "
             "'--help']; from flowsim.cli.entry import flowsim; flowsim()")
    done = _run("-c", probe)
    assert done.returncode == 0 and done.stderr.strip() == "[]", done.stderr
    # the same help as the command's own function gives (a caller in-process, Hydra imported)
    from flowsim.cli.main import main

    monkeypatch.setattr(sys, "argv", ["flowsim", "-h"])
    main()
    assert capsys.readouterr().out == done.stdout


def test_the_keys_the_help_names_exist():
    text = human_help(config_dir())
    keys = re.findall(r"\b[a-z_]+(?:\.[a-z_<>]+)+\b", text.split("Main keys:")[1].split("Examples:")[0])
    keys += ["seed", "replications", "n_jobs"]
    config = load_config([])
    for key in keys:
        node = config
        for part in key.replace("<unit>", "care_home_unit").split("."):
            assert part in node, key
            node = node[part]


def test_an_option_is_described_by_its_first_comment_line(tmp_path):
    option = tmp_path / "x.yaml"
    option.write_text("# @package _global_\n#\n# Ten more beds.\n# More text.\nservices: {}\n")
    assert describe_option(option) == "Ten more beds."
    option.write_text("services: {}\n# a comment after the content\n")
    assert describe_option(option) == ""


def test_hydras_own_help_is_still_there():
    done = _run("-m", "flowsim", "--hydra-help")
    assert done.returncode == 0 and "Hydra (" in done.stdout


@pytest.mark.parametrize("module, prog", [
    ("flowsim.reporting.report", "flowsim-report"), ("flowsim.reporting.board", "flowsim-board"),
    ("flowsim.cli.warmup", "flowsim-warmup"), ("flowsim.cli.main", "flowsim-collect"),
    ("flowsim.cli.calibrate", "flowsim-calibrate"),
])
def test_each_console_script_has_examples_and_docs(module, prog):
    call = "collect_main" if prog == "flowsim-collect" else "main"
    done = _run("-c", f"import sys; sys.argv[0] = '{prog}'; from {module} import {call}; {call}()", "--help")
    assert done.returncode == 0
    examples = done.stdout.split("examples:\n")[1]
    assert len(re.findall(rf"^  {prog}\b", examples, re.M)) == 3
    assert "documentation: docs/" in examples
