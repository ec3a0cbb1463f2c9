"""Filesystem faults under `evol run`: one line naming the path and the cause, exit 5, the manifest marked
`failed` with the reason, and after the cause is fixed the rerun resumes to the same train.json.

The disk-full and read-only cases use a small tmpfs (mounting needs root, as CI has; elsewhere the test
fails saying so); as root, the permission case makes the folder immutable (chattr +i) instead of 0555.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ARGS = ["--seeds", str(REPO / "data/seeds/code_seeds.jsonl"), "--limit", "40", "--rounds", "2"]


def evol_run(out: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "evol", "run", "--out", str(out), *ARGS]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=300, **kwargs)  # type: ignore[call-overload]


def assert_one_line(proc: subprocess.CompletedProcess[str], path: Path, cause: str) -> str:
    assert proc.returncode == 5, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith(f"error: {path}") and f"cannot write: {cause}" in line, line
    return line


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs (run the suite as root, as CI does): {done.stderr.strip()}",
                    pytrace=False)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture(scope="module")
def clean_train(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("clean") / "run"
    assert evol_run(out).returncode == 0
    return (out / "train.json").read_bytes()


def test_disk_full_fails_in_one_line_marks_the_manifest_and_resumes_to_the_same_train_json(
        tmp_path: Path, clean_train: bytes) -> None:
    with tmpfs(tmp_path / "small", "300k") as disk:
        out = disk / "run"
        proc = evol_run(out)
        line = assert_one_line(proc, disk, "no space left on device")
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["status"] == "failed" and manifest["failure"] in line
        subprocess.run(["mount", "-o", "remount,size=8m", str(disk)], check=True)  # the cause, fixed
        again = evol_run(out)
        assert again.returncode == 0, again.stderr[-3000:]
        assert (out / "train.json").read_bytes() == clean_train
        assert json.loads((out / "manifest.json").read_text())["status"] == "finished"


def test_a_read_only_out_is_one_line(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "1m") as disk:
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        assert_one_line(evol_run(disk / "run"), disk / "run", "read-only file system")


def test_an_out_under_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    assert_one_line(evol_run(tmp_path / "file" / "run"), tmp_path / "file" / "run", "a parent of it is a file")


def test_permission_denied_is_one_line(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    root = os.geteuid() == 0
    if root:  # root writes through file modes: make the folder immutable instead (EPERM)
        done = subprocess.run(["chattr", "+i", str(locked)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"chattr +i failed on {locked}: {done.stderr.strip()}", pytrace=False)
    try:
        assert_one_line(evol_run(locked / "run"), locked / "run", "permission denied")
    finally:
        if root:
            subprocess.run(["chattr", "-i", str(locked)], check=False)
