"""``check_output_file`` / ``check_output_folder``: an output path is refused in one line before work."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flowsim.cli.output_path import check_output_file, check_output_folder
from flowsim.model.errors import ConfigError

SYSFS = Path("/sys/kernel")  # no file can be made here, even by root


def _message(call, *args) -> str:
    with pytest.raises(ConfigError) as caught:
        call(*args)
    return str(caught.value)


def test_a_new_file_in_a_folder_is_accepted_and_nothing_is_written(tmp_path):
    assert check_output_file(tmp_path / "fit.png", "--figure", "fit.png") == tmp_path / "fit.png"
    assert list(tmp_path.iterdir()) == []


def test_a_file_path_that_cannot_be_a_file_is_refused_naming_the_option(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    assert _message(check_output_file, tmp_path, "--figure", "fit.png") == (
        f"--figure: {str(tmp_path)!r} is a folder, not a file; fix: give a file name, "
        f"e.g. {tmp_path / 'fit.png'}")
    assert _message(check_output_file, tmp_path / "no" / "fit.png", "--figure", "fit.png") == (
        f"--figure: folder {str(tmp_path / 'no')!r} does not exist; fix: create it or give another path")
    assert _message(check_output_file, tmp_path / "notes.txt" / "fit.png", "--figure", "fit.png") == (
        f"--figure: {str(tmp_path / 'notes.txt')!r} is a file, not a folder; fix: give a path in a folder, "
        "e.g. fit.png")


@pytest.mark.skipif(not SYSFS.is_dir(), reason="needs Linux's sysfs")
def test_a_file_in_a_folder_no_one_may_write_in_is_refused_with_the_reason():
    assert _message(check_output_file, SYSFS / "fit.png", "--figure", "fit.png") == (
        f"--figure: cannot write {str(SYSFS / 'fit.png')!r} (Permission denied); fix: give a path you can "
        "write to")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root is not stopped by mode bits")
def test_a_read_only_file_in_a_writable_folder_is_refused(tmp_path):
    kept = tmp_path / "fit.png"
    kept.write_bytes(b"an earlier figure")
    kept.chmod(0o400)
    assert _message(check_output_file, kept, "--figure", "fit.png") == (
        f"--figure: cannot write {str(kept)!r} (Permission denied); fix: give a path you can write to")


def test_an_output_folder_is_made_or_refused_naming_the_option(tmp_path):
    assert check_output_folder(tmp_path / "a" / "b", "--output") == tmp_path / "a" / "b"
    assert (tmp_path / "a" / "b").is_dir()
    (tmp_path / "notes.txt").write_text("x")
    assert _message(check_output_folder, tmp_path / "notes.txt", "--output") == (
        f"--output: {str(tmp_path / 'notes.txt')!r} is a file, not a folder; fix: give --output a new or "
        "existing folder, not a file")
    assert _message(check_output_folder, tmp_path / "notes.txt" / "sub", "--output") == (
        f"--output: {str(tmp_path / 'notes.txt')!r} is a file, so {str(tmp_path / 'notes.txt' / 'sub')!r} "
        "cannot be a folder in it; fix: give --output a new or existing folder, not a file")


@pytest.mark.skipif(not SYSFS.is_dir(), reason="needs Linux's sysfs")
def test_an_output_folder_that_cannot_be_written_is_refused_with_the_reason():
    assert _message(check_output_folder, SYSFS, "--output") == (
        f"--output: cannot write results to {str(SYSFS)!r} (Permission denied); fix: give --output a folder "
        "you can write to, e.g. --output=outputs/my_run")
