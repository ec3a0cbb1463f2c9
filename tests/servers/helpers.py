"""Start a third-party server in its own process on a free loopback port, and check a finished run."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from evol.config import PipelineConfig
from evol.lifetime import stop_process
from evol.pipeline import run
from tests.helpers import demo_config

START_SECONDS = 240.0  # a loaded 2-core CI machine imports torch or litellm slowly


class Server:
    """A server subprocess; `port()` reads its port from a callback (its log)."""

    def __init__(self, cmd: list[str], log: Path, port: Callable[[], int | None], env: dict[str, str]) -> None:
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        self._port = port
        self.base_url = ""

    def wait(self, health: str = "/v1/models", timeout: float = START_SECONDS) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited at start-up:\n{self.tail()}")
            port = self._port()
            if port:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}{health}", timeout=5).status_code < 500:
                        self.base_url = f"http://127.0.0.1:{port}/v1"
                        return self.base_url
                except httpx.HTTPError:
                    pass
            time.sleep(0.25)
        raise AssertionError(f"the server did not start within {timeout:.0f} s:\n{self.tail()}")

    def tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""

    def stop(self) -> None:
        stop_process(self.proc, timeout=15)


def port_in_log(log: Path) -> Callable[[], int | None]:
    """The port from a uvicorn start-up line ("Uvicorn running on http://127.0.0.1:PORT")."""
    def read() -> int | None:
        text = log.read_text(errors="replace") if log.exists() else ""
        found = re.search(r"running on https?://[\d.]+:(\d+)", text)
        return int(found.group(1)) if found and found.group(1) != "0" else None
    return read


def short_run(out: Path, base_url: str, model: str, **extra: object) -> PipelineConfig:
    """The demo recipe, 3 seeds, 1 round, against `base_url`; returns its config once it finished."""
    cfg = demo_config(out, **{"endpoint.base_url": base_url, "endpoint.model": model, "limit": 3, "rounds": 1,
                              **extra})
    run(cfg)
    return cfg


def check_accounted(out: Path) -> tuple[list[dict], list[dict]]:
    """Every pool item is kept or rejected (with a stage and reason); nothing kept or exported is empty."""
    kept_all, rejected_all = [], []
    for rnd in sorted(out.glob("round-*")):
        pool = [json.loads(x) for x in (rnd / ("seeds.jsonl" if rnd.name == "round-00" else "pool.jsonl"))
                .read_text().splitlines()]
        kept = [json.loads(x) for x in (rnd / "kept.jsonl").read_text().splitlines()]
        rejected = [json.loads(x) for x in (rnd / "rejected.jsonl").read_text().splitlines()]
        assert len(kept) + len(rejected) == len(pool), rnd.name
        stats = json.loads((rnd / "stats.json").read_text())
        assert stats["pool"] == len(pool) and stats["kept"] == len(kept)
        assert all(r["stage"] and r["reason"] for r in rejected)
        assert all(k["instruction"].strip() and (k.get("output") or "").strip() for k in kept)
        kept_all += kept
        rejected_all += rejected
    train = json.loads((out / "train.json").read_text())
    assert len(train) <= len(kept_all)
    assert all(row["instruction"].strip() and row["output"].strip() for row in train)
    return kept_all, rejected_all
