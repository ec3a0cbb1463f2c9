"""`evol reward serve` (HTTP, port 0), `evol reward score FILE`, and the TRL/verl example in docs/rl.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from evol.cli import app
from evol.reward.server import make_server
from evol.sandbox import Sandbox
from tests.reward.test_score import ADD, GOOD

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def url(box: Sandbox) -> Iterator[str]:
    server = make_server(box, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def post(url: str, body: Any) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"{url}/score", json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_server_scores_a_batch(url: str) -> None:
    status, reply = post(url, {"items": [ADD, ADD], "completions": [GOOD, "def add(a, b):\n    return 0\n"]})
    assert status == 200 and reply["rewards"] == [1.0, 1 / 3]
    assert reply["results"][0]["verified"] and reply["results"][1]["cases"] == [False, False, True]
    with urllib.request.urlopen(f"{url}/health", timeout=30) as health:
        assert json.loads(health.read())["ok"] is True


def test_the_server_refuses_a_malformed_request(url: str) -> None:
    assert post(url, {"items": [ADD]})[0] == 400
    assert post(url, {"items": [ADD], "completions": []})[0] == 400
    assert post(url, {"items": "x", "completions": "y"})[0] == 400


def test_reward_score_over_an_items_file(tmp_path: Path) -> None:
    items = tmp_path / "rl.jsonl"
    items.write_text("\n".join(json.dumps({**ADD, "reference": GOOD}) for _ in range(2)) + "\n")
    done = CliRunner().invoke(app, ["reward", "score", str(items)])
    assert done.exit_code == 0, done.output
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["reward"] for r in rows] == [1.0, 1.0]
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps(GOOD) + "\n" + json.dumps({"completion": "def add(a, b):\n    return a\n"}) + "\n")
    out = tmp_path / "scores.jsonl"
    done = CliRunner().invoke(app, ["reward", "score", str(items), "--completions", str(answers), "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert [json.loads(line)["verified"] for line in out.read_text().splitlines()] == [True, False]


def test_reward_serve_binds_the_port_it_is_given() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "evol", "reward", "serve", "--port", "0"], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "listening on http://127.0.0.1:" in line, line
        with urllib.request.urlopen(line.split()[-1] + "/health", timeout=60) as health:
            assert json.loads(health.read())["ok"] is True
        port = line.split(":")[-1].strip()
        taken = subprocess.run([sys.executable, "-m", "evol", "reward", "serve", "--port", port], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=120)
        assert taken.returncode == 2 and taken.stderr.startswith(f"error: --host 127.0.0.1 --port {port}: cannot "
                                                                 "listen there"), taken.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert proc.returncode == 143 and proc.stderr.read().strip() == "terminated: stopped serving"


@pytest.mark.parametrize("args,code,says", [
    (["--port", "99999"], 2, "'--port': Input should be less than or equal to 65535 (see `evol reward serve --help`)"),
])
def test_reward_serve_refuses_a_bad_port_in_one_line(args: list[str], code: int, says: str) -> None:
    done = subprocess.run([sys.executable, "-m", "evol", "reward", "serve", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == code and says in done.stderr and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("line,says", [
    ('{"completion": "x"', "answers.jsonl:2: not valid JSON"),
    ('{"text": "x"}', "answers.jsonl:2: expected a JSON string, a chat message list, or an object with `completion`"),
    ("42", "answers.jsonl:2: expected a JSON string"),
])
def test_a_bad_completions_line_is_named(tmp_path: Path, line: str, says: str) -> None:
    items = tmp_path / "rl.jsonl"
    items.write_text("\n".join(json.dumps({**ADD, "reference": GOOD}) for _ in range(2)) + "\n")
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps(GOOD) + "\n" + line + "\n")
    done = subprocess.run([sys.executable, "-m", "evol", "reward", "score", str(items), "--completions", str(answers)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 3 and done.stderr.startswith("error: ") and says in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_missing_items_file_is_named_without_blaming_a_write(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "evol", "reward", "score", str(tmp_path / "none.jsonl")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 5, done.stderr
    assert done.stderr.strip() == f"error: {tmp_path / 'none.jsonl'}: no such file or directory"


def test_the_trl_and_verl_example_runs() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / "docs" / "examples" / "rl_reward.py")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    steps = [json.loads(line) for line in done.stdout.splitlines()]
    assert [s["rewards"] for s in steps] == [[1.0, 0.0, 0.0]] * 2
