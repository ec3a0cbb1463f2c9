"""RunDir owns the run folder: every file a run writes is one of its paths, and no other module spells one."""

from __future__ import annotations

import ast
from pathlib import Path

from evol.pipeline import run
from evol.rundir import RunDir
from tests.helpers import REPO, demo_config

RUN_FILES = ("manifest.json", "config.resolved.toml", "cache.sqlite", "train.json", "stats.json", "kept.jsonl",
             "rejected.jsonl", "pool.jsonl", "seeds.jsonl", "evolved.jsonl", "answered.jsonl", "calls.sqlite",
             "state.json", "run.lock")
RUN_FILE_PREFIXES = ("round-", "requests-", "results-")  # round folders, batch mode's request and result files


def _layout(files: RunDir, rounds: int) -> set[Path]:
    per_round = (files.pool, files.journal, files.kept, files.rejected, files.stats, files.dedup_index)
    return {files.manifest, files.resolved_config, files.cache, files.calls, files.train, files.lock} | {
        path(n) for path in per_round for n in range(rounds + 1)}


def test_every_file_a_run_writes_is_a_rundir_path(tmp_path: Path) -> None:
    result = run(demo_config(tmp_path / "r", limit=6, rounds=1, **{"decontam.enabled": False}))
    files = RunDir(result.run_dir)
    sidecars = ("cache.sqlite-", "calls.sqlite-")  # SQLite's -wal / -shm files
    written = {p for p in files.path.rglob("*") if p.is_file() and not p.name.startswith(sidecars)}
    assert written == _layout(files, 1)
    assert files.round_numbers() == ([0, 1], []) and files.finished_rounds() == [0, 1]
    assert files.read_manifest()["status"] == "finished" and files.read_resolved_config()["rounds"] == 1


def test_a_state_copy_leaves_out_the_cache_manifest_and_batch_files(tmp_path: Path) -> None:
    files = RunDir(tmp_path / "run")
    files.stats(0).parent.mkdir(parents=True)
    for path in (files.stats(0), files.manifest, files.cache, files.batch_state, files.batch_requests("chat")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    copy = files.copy_state(tmp_path / "copy")
    assert sorted(p.relative_to(copy.path).as_posix() for p in copy.path.rglob("*") if p.is_file()) == [
        "round-00/stats.json"]
    assert RunDir(tmp_path / "missing").copy_state(tmp_path / "empty").path.is_dir()


def _run_file_literals(path: Path) -> list[str]:
    """String literals (f-string parts too) that are a run file's name or a round folder's."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if text in RUN_FILES or text.startswith(RUN_FILE_PREFIXES):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {text!r}")
    return found


def test_no_module_but_rundir_spells_a_run_file() -> None:
    modules = [p for p in (REPO / "evol").rglob("*.py") if p.name != "rundir.py"]
    assert len(modules) > 100
    assert [hit for p in modules for hit in _run_file_literals(p)] == []
    assert _run_file_literals(REPO / "evol" / "rundir.py")  # the check sees the names where they are
