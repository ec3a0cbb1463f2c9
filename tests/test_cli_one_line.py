"""Every bad input ends in one `error:` line with a documented exit code (docs/cli.md), never key material."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from evol.pipeline import run
from evol.sim.launch import SimProcess
from tests.fake_endpoint import serving
from tests.helpers import REPO, demo_config

SECRET = "sk-proj-Q7w2e9R4t6Y8u1I3o5P0"


def evol(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evol", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=timeout, env={**os.environ, **(env or {})})


def one_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    """The one `error:` line, last on stderr (after a run's progress bar, if any); and the exit code."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == code, (done.returncode, done.stderr[-2000:])
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0] and "Traceback" not in done.stderr, done.stderr[-2000:]
    return errors[0]


def run_args(out: Path, url: str, *extra: str) -> list[str]:
    return ["run", "--config", str(REPO / "pipelines/demo.toml"), "--out", str(out), "--limit", "3", "--rounds", "0",
            "--seeds", str(REPO / "data/seeds/code_seeds.jsonl"), "--base-url", url, "--model", "evol-sim", *extra]


@pytest.mark.parametrize("args,says", [
    (["estimate", "--prices"], "No such option: --prices"),
    (["run", "--no-such-flag"], "No such option: --no-such-flag"),
    (["export"], "Missing argument 'RUN'"),
    (["run", "--rounds", "many"], "'--rounds'"),
    (["no-such-command"], "No such command"),
    (["eval", "humaneval", "--samples-file", "s.jsonl", "--timeout", "-1"], "--timeout -1.0: must be above 0"),
    (["eval", "humaneval", "--model", "m", "--top-p", "0"], "--top-p 0.0: must be above 0"),
    (["eval", "humaneval", "--model", "m", "--workers", "0"], "'--workers'"),
    (["infer", "in.jsonl", "out.jsonl", "--model", "m", "--concurrency", "0"], "'--concurrency'"),
    (["infer", "in.jsonl", "out.jsonl", "--model", "m", "--max-tokens", "0"], "'--max-tokens'"),
    (["infer", "in.jsonl", "out.jsonl", "--model", "m", "--temperature", "-1"], "'--temperature'"),
])
def test_a_usage_error_is_one_line_with_exit_code_2(args: list[str], says: str) -> None:
    assert says in one_line(evol(*args), 2)


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "run"
    run(demo_config(out, limit=3, rounds=0, **{"decontam.enabled": False}))
    return out


@pytest.mark.parametrize("target", ["/proc/x.json", "/dev/null/x.json"])
def test_a_filesystem_error_of_export_is_one_line_with_exit_code_5(finished: Path, target: str) -> None:
    line = one_line(evol("export", str(finished), "--out", target), 5)
    assert "cannot write" in line


def test_a_filesystem_error_of_run_is_one_line_with_exit_code_5(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    line = one_line(evol(*run_args(tmp_path / "file" / "run", "http://127.0.0.1:9/v1")), 5)
    assert "file" in line


def quoting_the_key(key: str) -> dict[str, Any]:
    """An error body quoting the key it was given, in part, as servers do."""
    return {"error": {"message": f"key {key[:12]}...{key[-6:]} may not use this model", "type": "permission_error"}}


@pytest.mark.parametrize("status", [403, 404, 400])
def test_a_refusing_endpoint_is_one_line_with_exit_code_4_and_no_key(tmp_path: Path, status: int) -> None:
    with serving(status, quoting_the_key) as url:
        done = evol(*run_args(tmp_path / "run", url), env={"OPENAI_API_KEY": SECRET})
    line = one_line(done, 4)
    assert str(status) in line
    for part in (SECRET, SECRET[:12], SECRET[-6:]):
        assert part not in done.stderr + done.stdout, part
    files = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert files and not any(SECRET[-6:].encode() in p.read_bytes() for p in files)


def test_no_key_set_and_a_refused_key_are_told_apart(tmp_path: Path) -> None:
    with SimProcess("--require-key", SECRET) as sim:
        unset = evol(*run_args(tmp_path / "a", sim.base_url), env={"OPENAI_API_KEY": ""})
        wrong = evol(*run_args(tmp_path / "b", sim.base_url), env={"OPENAI_API_KEY": "sk-wrong-key-0000"})
    assert "no API key is set" in one_line(unset, 4) and "OPENAI_API_KEY is not set" in one_line(unset, 4)
    refused = one_line(wrong, 4)
    assert "refused the API key" in refused and "0000" not in refused


def test_a_second_ctrl_c_still_ends_in_one_line(tmp_path: Path) -> None:
    """Ctrl-C more than once, the later ones while the first one's clean-up waits for replies already paid for."""
    with SimProcess("--latency", "5") as sim:
        proc = subprocess.Popen([sys.executable, "-m", "evol", *run_args(tmp_path / "run", sim.base_url)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO)
        stats = sim.base_url.removesuffix("/v1") + "/stats"
        while proc.poll() is None and not httpx.get(stats, timeout=10).json()["counts"].get("requests"):
            pass  # a request is in flight (it takes 5 s): the clean-up will have a reply to wait for
        while proc.poll() is None:  # Ctrl-C, again and again until it ends: some land during the clean-up
            proc.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.2)
        _, err = proc.communicate(timeout=60)
    lines = [line for line in err.splitlines() if line.strip()]
    assert proc.returncode == 130, err
    assert lines[-1] == "interrupted: what finished is saved; rerun the same command to resume", err
    assert "Unclosed" not in err and "Traceback" not in err and "error" not in err.lower(), err


def test_the_sim_on_a_port_in_use_is_one_line_with_exit_code_2() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line(evol("sim", "--port", str(port)), 2)
    assert f"--port {port}: cannot listen there" in line


def test_sigterm_runs_the_ctrl_c_clean_up_and_keeps_every_call_in_the_log(tmp_path: Path) -> None:
    """A scheduler's SIGTERM: the calls log drains (each request the sim served has its row), exit 143."""
    import sqlite3

    with SimProcess("--latency", "0.3") as sim:
        args = [*run_args(tmp_path / "run", sim.base_url, "--concurrency", "4")]
        args[args.index("--limit") + 1] = "40"
        proc = subprocess.Popen([sys.executable, "-m", "evol", *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, cwd=REPO)
        stats = sim.base_url.removesuffix("/v1") + "/stats"
        while proc.poll() is None and httpx.get(stats, timeout=10).json()["counts"].get("requests", 0) < 8:
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
        served = httpx.get(stats, timeout=10).json()["counts"]["requests"]
    lines = [line for line in err.splitlines() if line.strip()]
    assert proc.returncode == 143, err
    assert lines[-1] == "terminated: what finished is saved; rerun the same command to resume", err
    with contextlib.closing(sqlite3.connect(tmp_path / "run" / "calls.sqlite")) as db:
        logged = db.execute("select count(*) from calls").fetchone()[0]
    assert logged == served > 0, (logged, served)


@pytest.mark.parametrize("where", ["flag", "toml", "role"])
def test_a_key_given_where_its_variable_s_name_goes_is_refused_and_never_repeated(tmp_path: Path, where: str) -> None:
    """`--api-key-env sk-...` (a key typed for a name) would be saved in config.resolved.toml: refused, exit 2."""
    out = tmp_path / "run"
    if where == "flag":
        done = evol(*run_args(out, "http://127.0.0.1:9/v1", "--api-key-env", SECRET))
    else:
        section = "endpoint" if where == "toml" else "verify.tests"
        config = tmp_path / "c.toml"
        config.write_text(f'[{section}]\napi_key_env = "{SECRET}"\n')
        done = evol("run", "--config", str(config), "--out", str(out), "--limit", "3", "--rounds", "0")
    line = one_line(done, 2)
    assert "api_key_env" in line or "--api-key-env" in line
    assert "not the key itself" in line
    for part in (SECRET, SECRET[:12], SECRET[-6:]):
        assert part not in done.stderr + done.stdout, part
    assert not out.exists()
    lower = evol(*run_args(out, "http://127.0.0.1:9/v1", "--api-key-env", "myteacherkey"))
    assert "not the key itself" in one_line(lower, 2)  # not upper-case and not set: not taken for a name


def test_an_eval_given_a_key_for_its_variable_s_name_refuses_it(tmp_path: Path) -> None:
    done = evol("eval", "humaneval", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--limit", "1",
                "--out", str(tmp_path / "e"), "--api-key-env", SECRET)
    assert "--api-key-env: takes the name" in one_line(done, 2) and SECRET[-6:] not in done.stderr


def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    """`evol calls RUN --json | head -1`: the broken pipe is the reader's choice, not an error (exit 0, no line)."""
    script = ("import typer\nfrom evol.commands.app import friendly\n"
              "@friendly\ndef many() -> None:\n    for i in range(200_000):\n        typer.echo('x' * 100)\n"
              "many()\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"x" * 100 + b"\n"
    proc.stdout.close()  # as `head -1` does
    assert proc.wait(timeout=120) == 0
    assert proc.stderr.read() == b""


def test_infer_against_an_unreachable_endpoint_is_one_line_with_exit_code_4(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text('{"instruction": "Reverse a list."}\n')
    done = evol("infer", str(tmp_path / "in.jsonl"), str(tmp_path / "out.jsonl"), "--model", "m",
                "--base-url", "http://127.0.0.1:9/v1")
    assert "http://127.0.0.1:9/v1: cannot reach the endpoint" in one_line(done, 4)
