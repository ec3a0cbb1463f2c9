"""Missing, half-written and interrupted run directories: a clear one-line error or a warning, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evol.cli import app
from evol.errors import DataError
from evol.report import load_run

COMMANDS = (["report"], ["stats"], ["show", "s-0"], ["export", "--format", "hf"])


def _cli(*args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output, result.exception


def _assert_clean_failure(args: list[str], needle: str) -> None:
    code, output, exc = _cli(*args)
    assert code == DataError.exit_code, output
    assert exc is None or isinstance(exc, SystemExit), f"unexpected exception {exc!r}"
    assert "Traceback" not in output and needle in output, output


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_missing_folder(command: list[str], tmp_path: Path) -> None:
    _assert_clean_failure([command[0], str(tmp_path / "nope"), *command[1:]], "no such run directory")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_folder_without_manifest(command: list[str], tmp_path: Path) -> None:
    (tmp_path / "round-00").mkdir()
    _assert_clean_failure([command[0], str(tmp_path), *command[1:]], "not an evol run directory (no manifest.json)")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_run_stopped_before_its_first_write(command: list[str], tmp_path: Path) -> None:
    """Ctrl-C before round 0 wrote anything: the folder is a run's (its lock is there), not a stranger's."""
    from evol.rundir import RunDir

    with RunDir(tmp_path / "run").locked():
        pass
    _assert_clean_failure([command[0], str(tmp_path / "run"), *command[1:]], "the run stopped before it wrote anything")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_no_finished_round(command: list[str], run_copy: Path) -> None:
    for folder in run_copy.glob("round-0[1-9]"):
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
    (run_copy / "round-00" / "stats.json").unlink()
    _assert_clean_failure([command[0], str(run_copy), *command[1:]], "no finished round")


def test_half_written_files(run_copy: Path) -> None:
    kept = run_copy / "round-01" / "kept.jsonl"
    kept.write_bytes(kept.read_bytes()[:-40])  # cut inside the last line
    _assert_clean_failure(["stats", str(run_copy)], "kept.jsonl")
    (run_copy / "manifest.json").write_text('{"status": "runn')
    _assert_clean_failure(["report", str(run_copy)], "manifest.json: not valid JSON")


def test_missing_kept_file(run_copy: Path) -> None:
    (run_copy / "round-02" / "rejected.jsonl").unlink()
    with pytest.raises(DataError, match="rejected.jsonl: missing"):
        load_run(run_copy)


def test_a_file_instead_of_a_folder(tmp_path: Path) -> None:
    (tmp_path / "train.json").write_text("[]")
    _assert_clean_failure(["stats", str(tmp_path / "train.json")], "not a directory")


def test_interrupted_run_is_shown_with_a_warning(interrupted_run: Path) -> None:
    run = load_run(interrupted_run)
    assert [r.number for r in run.rounds] == [0, 1]
    assert run.warnings and "not finished" in run.warnings[0]
    code, output, _ = _cli("stats", str(interrupted_run))
    assert code == 0 and "not finished" in output
    code, output, _ = _cli("report", str(interrupted_run))
    assert code == 0, output
    assert "not finished (status: interrupted)" in (interrupted_run / "report.html").read_text()


def test_real_cli_prints_one_line(tmp_path: Path) -> None:
    """The installed entry point (not CliRunner): exit code 3 and one red line on stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    done = subprocess.run([sys.executable, "-m", "evol", "stats", str(tmp_path)], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 3
    assert done.stderr.strip().startswith("error:") and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
