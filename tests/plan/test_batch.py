"""Batch mode: write the frontier, answer it (Batch API on the sim, or the run-batch stand-in), import,
and the run completes from the cache with zero calls and the same data."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from evol.cli import app
from evol.llm.cache import ResponseCache
from evol.pipeline import run
from evol.plan.batch import batch_line, import_results, write_files
from evol.plan.pending import collect
from evol.rundir import RunDir
from evol.sim.launch import SimProcess
from evol.sim.offline import run_batch
from tests.helpers import DEMO, REPO, demo_config
from tests.llm.helpers import request

SMALL = {"limit": 6, "rounds": 1, "decontam.enabled": False, "endpoint.model": "evol-sim"}


def test_batch_line_is_the_openai_shape() -> None:
    req = request(1, top_p=0.9, extra_body={"top_k": 5})
    line = batch_line(req)
    assert line["custom_id"] == req.cache_key() and line["method"] == "POST"
    assert line["url"] == "/v1/chat/completions" and line["body"]["top_k"] == 5 and "extra_body" not in line["body"]


def test_batches_then_a_run_that_makes_no_call(tmp_path: Path) -> None:
    with SimProcess() as ref:
        run(demo_config(tmp_path / "ref", **SMALL, **{"endpoint.base_url": ref.base_url}))
    cfg = demo_config(tmp_path / "run", **SMALL, **{"endpoint.base_url": "http://127.0.0.1:9/v1"})
    rounds = []
    for _ in range(5):
        requests, summary = collect(cfg)
        if not requests:
            break
        rounds.append(summary["by_stage"])
        files = write_files(requests, RunDir(tmp_path))
        cache = ResponseCache(cfg.run_dir() / "cache.sqlite")
        for path in files.values():
            run_batch(path, tmp_path / "out.jsonl")
            assert import_results(tmp_path / "out.jsonl", cache)["imported"] == len(requests)
        cache.close()
    assert rounds == [{"answer": 6}, {"evolve": 6}, {"answer": rounds[2]["answer"]}]
    log = tmp_path / "calls.log"
    with SimProcess("--log", str(log)) as sim:
        run(cfg.model_copy(update={"endpoint": cfg.endpoint.model_copy(update={"base_url": sim.base_url})}))
    assert not log.exists() or log.read_text() == ""
    assert (tmp_path / "run" / "train.json").read_bytes() == (tmp_path / "ref" / "train.json").read_bytes()


def test_batch_commands_submit_poll_and_import_through_the_api(tmp_path: Path) -> None:
    config = tmp_path / "small.toml"
    config.write_text(DEMO.read_text().replace('"data/seeds/', f'"{REPO}/data/seeds/')
                      .replace("limit = 50", "limit = 4").replace("rounds = 3", "rounds = 1"))
    runner = CliRunner()
    out = tmp_path / "run"
    with SimProcess() as sim:
        common = ["--config", str(config), "--out", str(out), "--base-url", sim.base_url]
        wrote = runner.invoke(app, ["batch", "write", *common, "--model", "evol-sim"])
        assert wrote.exit_code == 0 and "4 requests" in wrote.output, wrote.output
        sent = runner.invoke(app, ["batch", "submit", *common])
        assert sent.exit_code == 0 and "completed" in sent.output, sent.output
        polled = runner.invoke(app, ["batch", "status", *common])
        assert polled.exit_code == 0 and "imported" in polled.output, polled.output
    state = json.loads((out / "batch" / "state.json").read_text())
    assert state["batches"][0]["imported"]["imported"] == 4
    assert ResponseCache(out / "cache.sqlite").stats()["entries"] == 4


def test_batch_commands_stop_at_once_while_a_run_holds_the_folder(tmp_path: Path) -> None:
    """Writing, submitting, polling or importing into a folder a run is using would race it for the cache and
    spend twice: each batch command takes the run's lock, and names the holder in one line (exit 3)."""
    import os

    config = tmp_path / "small.toml"
    config.write_text(DEMO.read_text().replace('"data/seeds/', f'"{REPO}/data/seeds/')
                      .replace("limit = 50", "limit = 2"))
    out = tmp_path / "run"
    (tmp_path / "results.jsonl").write_text("")
    common = ["--config", str(config), "--out", str(out)]
    runner = CliRunner()
    with RunDir(out).locked():  # this process plays the run still going
        for args in (["write", *common, "--base-url", "http://127.0.0.1:9/v1"], ["submit", *common],
                     ["status", *common], ["import", str(tmp_path / "results.jsonl"), *common]):
            done = runner.invoke(app, ["batch", *args])
            assert done.exit_code == 3 and f"process {os.getpid()}" in done.output, (args, done.output)
    assert not (out / "batch").exists() and not (out / "cache.sqlite").exists()


def test_the_offline_batch_route_asks_what_the_built_in_sim_run_will_ask(tmp_path: Path) -> None:
    """No endpoint configured: `evol run` answers with the built-in simulator's model, so the batch files ask
    for that model too, and the run that follows the import is served from the cache (no new entry)."""
    cfg = demo_config(tmp_path / "run", limit=4, rounds=0, **{"decontam.enabled": False})
    assert not cfg.endpoint.base_url and cfg.endpoint.model != "evol-sim"
    requests, _ = collect(cfg)
    assert requests and {r.model for r in requests} == {"evol-sim"}
    files = write_files(requests, RunDir(tmp_path))
    cache = ResponseCache(cfg.run_dir() / "cache.sqlite")
    for path in files.values():
        run_batch(path, tmp_path / "out.jsonl")
        import_results(tmp_path / "out.jsonl", cache)
    before = cache.stats()["entries"]
    cache.close()
    assert collect(cfg)[0] == []
    run(cfg)
    after = ResponseCache(cfg.run_dir() / "cache.sqlite")
    assert after.stats()["entries"] == before
    after.close()
