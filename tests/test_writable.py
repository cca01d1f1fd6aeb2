"""``why_not_writable``: a folder's answer to "can a file be made here", from making one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flowsim.experiment.writable import why_not_writable


def test_a_folder_that_takes_files_has_no_reason_and_is_left_as_it_was(tmp_path):
    (tmp_path / "kept.txt").write_text("results")
    assert why_not_writable(tmp_path) is None
    assert why_not_writable(str(tmp_path)) is None
    assert [p.name for p in tmp_path.iterdir()] == ["kept.txt"]  # the probe file is gone


def test_a_missing_folder_says_so(tmp_path):
    assert why_not_writable(tmp_path / "missing") == "No such file or directory"


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's sysfs")
def test_a_folder_no_one_may_write_in_gives_the_systems_reason():
    assert why_not_writable("/sys/kernel") == "Permission denied"  # refused even to root, unlike mode bits


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root is not stopped by mode bits")
def test_a_read_only_folder_gives_the_systems_reason(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert why_not_writable(locked) == "Permission denied"
    finally:
        locked.chmod(0o700)
