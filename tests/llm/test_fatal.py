"""One fatal-error policy: a run whose every request fails the same way stops with that message (exit 4),
whatever its size; an item's own failure stays the item's; a bug propagates; preflight uses the same rules."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evol.errors import EndpointError
from evol.llm import EndpointConfig, LLMClient, LLMFailure
from evol.llm.fatal import RunStopped
from evol.preflight import check_endpoints
from evol.sim.dialect import SimDialect
from evol.sim.launch import SimProcess
from tests.helpers import DEMO, REPO
from tests.llm.helpers import client, request, sim


def _forced_max_tokens(url: str) -> LLMClient:
    """A client that must send max_tokens: a reasoning endpoint's 400 then cannot be fixed."""
    return LLMClient([EndpointConfig(url, token_param="max_tokens")], backoff_base=0.01)


@pytest.mark.parametrize("n", [1, 6, 45])
def test_requests_that_all_fail_the_same_way_stop_the_run_whatever_its_size(n: int) -> None:
    async def main() -> list[BaseException | object]:
        async with sim(dialect=SimDialect("reasoning")) as (url, _):
            c = _forced_max_tokens(url)
            outcomes = await asyncio.gather(*(c.complete(request(i, temperature=1.0)) for i in range(n)),
                                            return_exceptions=True)
            await c.aclose()
        return outcomes

    outcomes = asyncio.run(main())
    assert all(isinstance(o, RunStopped) for o in outcomes), outcomes
    message = str(outcomes[0])
    assert "max_tokens" in message and "http_400" in message and "resume" in message


def test_an_items_own_failure_is_released_by_the_first_success() -> None:
    async def main() -> tuple[object, object]:
        async with sim(latency=0.05) as (url, _):
            c = client(url)
            bad = request(0)
            bad.messages = None  # the sim answers 400: this item's own fault
            outcomes = await asyncio.gather(c.complete(bad), c.complete(request(1)), return_exceptions=True)
            await c.aclose()
        return outcomes[0], outcomes[1]

    failed, ok = asyncio.run(main())
    assert isinstance(failed, LLMFailure) and failed.kind == "http_400"
    assert not isinstance(ok, BaseException) and ok.text  # type: ignore[union-attr]


def test_a_programming_error_propagates_instead_of_becoming_a_rejection(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(self: object, req: object) -> None:
        raise TypeError("a bug in the transport")

    async def main() -> None:
        async with sim() as (url, _):
            c = client(url)
            monkeypatch.setattr(type(c.endpoints[0].transport), "send", broken)
            with pytest.raises(TypeError, match="a bug"):
                await c.complete(request(0))
            assert c.endpoints[0].limit.in_flight == 0  # its slot was given back
            await c.aclose()

    asyncio.run(main())


def test_preflight_stops_on_a_refused_key_by_type_and_skips_an_unreachable_replica(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-0000")
    with SimProcess("--require-key", "sk-right-key-1111") as strict, SimProcess() as open_sim:
        dead = "http://127.0.0.1:9/v1"
        with pytest.raises(RunStopped) as info:
            check_endpoints([dead, strict.base_url], "OPENAI_API_KEY")
        assert info.value.cause == "auth" and "sk-wrong" not in str(info.value)
        assert check_endpoints([dead, open_sim.base_url], "OPENAI_API_KEY") == [open_sim.base_url]
        with pytest.raises(EndpointError, match="cannot reach"):
            check_endpoints([dead], "OPENAI_API_KEY")


def _run(config: Path, out: Path, url: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "evol", "run", "--config", str(config), "--out", str(out), "--base-url", url,
           "--model", "evol-sim", "--limit", "6", "--rounds", "1", "--seeds", str(REPO / "data/seeds/code_seeds.jsonl")]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})


def test_a_small_run_that_cannot_work_exits_4_and_the_fixed_rerun_resumes(tmp_path: Path) -> None:
    forced = tmp_path / "forced.toml"
    forced.write_text(DEMO.read_text().replace("[sampling]\n", '[sampling]\ntoken_param = "max_tokens"\n'))
    with SimProcess("--dialect", "reasoning") as teacher:
        stopped = _run(forced, tmp_path / "run", teacher.base_url)
        assert stopped.returncode == 4, stopped.stderr[-2000:]
        assert "max_tokens" in stopped.stderr and "resume" in stopped.stderr
        assert not (tmp_path / "run" / "train.json").exists()
        fixed = _run(DEMO, tmp_path / "run", teacher.base_url)  # token_param back to auto: same data digest
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    stats = json.loads((tmp_path / "run" / "round-00" / "stats.json").read_text())
    assert stats["pool"] == 6 and stats["llm_errors"] == 0 and stats["answered"] == 6  # none written off
    assert json.loads((tmp_path / "run" / "train.json").read_text())
