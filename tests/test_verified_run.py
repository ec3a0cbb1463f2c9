"""Verified evolution end to end through the real sim: every kept pair carries tests its answer passes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evol.pipeline import run
from evol.sim.launch import SimProcess
from tests.helpers import REPO, verified_config


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def run_script(source: str, where: Path, timeout: float = 60) -> int | None:
    """Run `source` as a fresh script in an empty folder: its exit status, None when it ran past `timeout`.

    (The sim's code is known and harmless; this is the issue's own check, outside the sandbox on purpose.)
    """
    where.mkdir()
    (where / "check.py").write_text(source)
    try:
        return subprocess.run([sys.executable, "check.py"], cwd=where, capture_output=True, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return None


@pytest.fixture(scope="module")
def verified_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("verified") / "run"
    run(verified_config(out, limit=16, rounds=2))
    return out


def test_every_kept_record_is_verified_and_reruns_as_a_plain_script(verified_run: Path, tmp_path: Path) -> None:
    kept = [r for n in (1, 2) for r in jsonl(verified_run / f"round-{n:02d}" / "kept.jsonl")]
    assert kept
    python = [r for r in kept if r["language"] == "python"]
    for record in kept:
        assert record["verification"]["status"] == "verified" and record["code"] and record["tests"]
        assert 0 < record["difficulty"] <= 1 and record["agreement"]["chosen"] is not None  # pass rate over k
    for i, record in enumerate(python):
        assert run_script(record["code"] + "\n\n" + record["tests"], tmp_path / f"k{i}") == 0, record["id"]


def test_every_kept_child_that_needs_gain_beats_its_parent(verified_run: Path, tmp_path: Path) -> None:
    records = {r["id"]: r for n in (0, 1, 2) for r in jsonl(verified_run / f"round-{n:02d}" / "kept.jsonl")}
    judged = [r for r in records.values() if r["round"] > 0 and r["method"] in
              ("add_constraints", "replace_requirement", "complexity") and r["language"] == "python"
              and r["parent_id"] in records]  # an unverified parent's child is #20's (gain on trusted ground)
    assert judged
    for i, child in enumerate(judged):
        parent = records[child["parent_id"]]
        # a naive parent meeting a large-input test runs far past the sandbox's 2 s: that is not exiting 0
        assert run_script(parent["code"] + "\n\n" + child["tests"], tmp_path / f"g{i}", timeout=10) != 0, child["id"]


def test_no_kept_child_of_an_unverified_parent_skipped_its_gain_check(verified_run: Path) -> None:
    kept = {r["id"]: r for n in (0, 1, 2) for r in jsonl(verified_run / f"round-{n:02d}" / "kept.jsonl")}
    children = [r for r in kept.values() if r["round"] > 0]
    assert children
    for child in children:  # round 1's parents are the verified seeds; later ones, verified children
        assert child["parent_id"] in kept, child["id"]


def test_the_funnel_and_stats_show_verification_and_method_yield(verified_run: Path) -> None:
    stats = [json.loads((verified_run / f"round-{n:02d}" / "stats.json").read_text()) for n in (0, 1, 2)]
    for st in stats:
        assert st["verified"] == st["verification"]["status"]["verified"]
        assert st["pool"] == st["kept"] + sum(st[k] for k in ("evolve_rejected", "eliminated", "answer_rejected",
                                                                "filtered", "tests_rejected", "unverified",
                                                                "weak_tests", "no_gain", "contaminated",
                                                                "deduplicated", "llm_errors"))
    assert sum(st["no_gain"] for st in stats) > 0  # the sim's requirements that change nothing testable
    assert {"evolved", "eliminated", "verified", "no_tested_gain", "deduplicated", "kept"} <= set(
        stats[1]["by_method"]["complexity"])
    assert abs(sum(stats[2]["method_weights"].values()) - 1) < 1e-3


def cli_run(out: Path, base_url: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "evol", "run", "--config", str(REPO / "pipelines/verified.toml"), "--out",
           str(out), "--seeds", str(REPO / "data/seeds/code_seeds.jsonl"), "--limit", "24", "--rounds", "1",
           "--concurrency", "4", "--base-url", base_url, "--model", "evol-sim"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)


@pytest.mark.slow
def test_sigkill_during_verification_then_resume_gives_the_same_train_json(tmp_path: Path) -> None:
    with SimProcess("--latency", "0.02") as sim:
        proc = cli_run(tmp_path / "clean", sim.base_url)
        assert proc.wait(timeout=300) == 0, proc.stderr.read().decode() if proc.stderr else ""
        crashed = tmp_path / "crashed"
        proc = cli_run(crashed, sim.base_url)
        journal = crashed / "round-01" / "evolved.jsonl"
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and (not journal.exists() or journal.read_text().count("\n") < 4):
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not (crashed / "round-01" / "stats.json").exists(), "the kill came too late to test anything"
        proc = cli_run(crashed, sim.base_url)
        assert proc.wait(timeout=300) == 0, proc.stderr.read().decode() if proc.stderr else ""
    assert (crashed / "train.json").read_bytes() == (tmp_path / "clean" / "train.json").read_bytes()
    kept = jsonl(crashed / "round-01" / "kept.jsonl")
    assert kept and all(r["verification"]["status"] == "verified" for r in kept)


def test_rl_export_hf_columns_and_report(verified_run: Path) -> None:
    from evol.export import kept_records
    from evol.report.exporters import export_run
    from evol.report.page import write_report

    result = export_run(verified_run, "rl")
    rows = jsonl(result.path)
    verified = [r for r in kept_records(verified_run) if r["verification"]["status"] == "verified"]
    assert len(rows) == len(verified) > 0
    assert set(rows[0]) == {"prompt", "tests", "cases", "reference", "language", "difficulty"}
    assert rows[0]["reference"] == verified[0]["code"] and rows[0]["tests"] == verified[0]["tests"]
    hf = export_run(verified_run, "hf", force=True)
    card = (hf.path / "README.md").read_text()
    assert "verification_status" in card and "tests" in card
    import datasets
    import pyarrow.parquet as pq

    assert datasets.load_from_disk(str(hf.path))["train"].features["difficulty"].dtype == "float64"
    table = pq.read_table(export_run(verified_run, "parquet", lineage=True).path)  # difficulty is a float
    assert table.to_pylist() == jsonl(export_run(verified_run, "jsonl", lineage=True).path)
    assert {type(row["difficulty"]) for row in table.to_pylist()} == {float}
    page = write_report(verified_run).read_text()
    assert "<h3>Verification</h3>" in page and "no tested gain" in page


def test_weak_tests_get_more_cases_through_the_sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """#20 (teeth): vacuous tests (the empty input only) ask the sim for inputs and keep the added cases."""
    from evol.sandbox import Limits, default_sandbox
    from evol.verification import Case, check

    monkeypatch.setenv("EVOL_SIM_RATES", json.dumps({"tests_vacuous": 1.0, "tests_unparsable": 0.0}))
    out = tmp_path / "run"
    run(verified_config(out, limit=12, rounds=0, **{"verify.min_cases": 1}))
    every = jsonl(out / "round-00" / "kept.jsonl") + jsonl(out / "round-00" / "rejected.jsonl")
    grown = [r for r in every if (r.get("mutation") or {}).get("cases_added")]
    assert grown and all(r["mutation"]["score"] > r["mutation"]["score_before"] for r in grown)
    kept_ids = {r["id"] for r in jsonl(out / "round-00" / "kept.jsonl")}
    kept = [r for r in grown if r["id"] in kept_ids]
    assert kept and all(len(r["cases"]) == 1 + r["cases_added"] for r in kept)
    for record in kept:
        cases = [Case.from_record(c) for c in record["cases"]]
        assert check(default_sandbox(), record["code"], "python", cases, Limits(timeout_s=5.0)).ok
