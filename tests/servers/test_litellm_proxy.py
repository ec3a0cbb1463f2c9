"""A real third-party server: a LiteLLM proxy routing to the sim, which plays an OpenAI reasoning model.

LiteLLM's pins clash with evol's venv (it wants rich 13, another huggingface_hub), so it runs from its own
venv, `.venv-litellm`, made by `make litellm-venv` (which `.ci/run` and `make test-deps` call). Nothing
leaves the machine: LITELLM_LOCAL_MODEL_COST_MAP stops its start-up fetch of the model price list.

What this shows: the proxy wraps the upstream 400 ("litellm.BadRequestError: OpenAIException - Unsupported
parameter: 'max_tokens' ...") but keeps its text and `param`, so evol's dialect is learnt through it; it
passes `reasoning_content` and `completion_tokens_details.reasoning_tokens` through.
Incompatibility found: the proxy refuses to start without a master key of some strength (or an explicit
opt-out); evol sends it as the API key from the variable named by endpoint.api_key_env.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from pathlib import Path

import httpx
import pytest

from evol.llm import EndpointConfig, LLMClient, LLMRequest, LLMResult
from evol.sim.launch import SimProcess
from tests.helpers import REPO
from tests.servers.helpers import Server, check_accounted, port_in_log, short_run

LITELLM = REPO / ".venv-litellm" / "bin" / "litellm"
CONFIG = """model_list:
  - model_name: teacher
    litellm_params:
      model: openai/evol-sim
      api_base: {url}
      api_key: sk-sim-upstream
"""
THINKING = ("<think>", "Step 1: consider", "The request ends with")


async def _one_request(url: str) -> LLMResult:
    client = LLMClient([EndpointConfig(url, api_key_env="LITELLM_PROXY_KEY", token_param="max_completion_tokens")])
    try:
        return await client.complete(LLMRequest("teacher", "chat", params={"max_tokens": 512, "temperature": 1.0},
                                                messages=[{"role": "user", "content": "Reverse a list."}]))
    finally:
        await client.aclose()


@pytest.mark.slow
def test_a_short_run_through_a_litellm_proxy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert LITELLM.exists(), f"{LITELLM} is missing: run `make litellm-venv` (a venv with litellm[proxy])"
    key = "sk-" + secrets.token_hex(16)
    monkeypatch.setenv("LITELLM_PROXY_KEY", key)
    with SimProcess("--dialect", "reasoning", "--think", "field") as upstream:
        (tmp_path / "litellm.yaml").write_text(CONFIG.format(url=upstream.base_url))
        log = tmp_path / "litellm.log"
        env = {**os.environ, "LITELLM_MASTER_KEY": key, "LITELLM_LOCAL_MODEL_COST_MAP": "True",
               "NO_COLOR": "1"}
        proxy = Server([str(LITELLM), "--config", str(tmp_path / "litellm.yaml"), "--host", "127.0.0.1",
                        "--port", "0"], log, port_in_log(log), env)
        try:
            url = proxy.wait(health="/health/liveliness")  # /v1/models without a key: a 500 (no DB)
            one = asyncio.run(_one_request(url))
            short_run(tmp_path / "run", url, "teacher", **{"endpoint.api_key_env": "LITELLM_PROXY_KEY",
                                                           "decontam.enabled": False})
        finally:
            proxy.stop()
        upstream_counts = httpx.get(upstream.base_url.removesuffix("/v1") + "/stats").json()["counts"]
    assert one.reasoning and "Step 1" in one.reasoning and "Step 1" not in one.text  # reasoning_content passed
    kept, rejected = check_accounted(tmp_path / "run")
    assert kept and not any(r["reason"].startswith("llm_error") for r in rejected)
    assert not any(t in r["instruction"] + (r.get("output") or "") for r in kept + rejected for t in THINKING)
    assert upstream_counts["bad_param"] >= 2  # max_tokens, then top_p: learnt through the proxy
    stats = json.loads((tmp_path / "run" / "round-01" / "stats.json").read_text())
    assert all(u["reasoning_tokens"] > 0 for u in stats["llm_calls_this_process"].values())
    assert key not in log.read_text() and key not in (tmp_path / "run" / "manifest.json").read_text()
