"""Requests per stage: chat or completions, seed / n / stop, and vLLM extras through extra_body."""

from __future__ import annotations

from pathlib import Path

from evol.config import load_config
from evol.prompts import PromptSet
from evol.stages.requests import RequestFactory

REPO = Path(__file__).resolve().parents[2]


def factory(**overrides: object) -> RequestFactory:
    cfg = load_config(REPO / "pipelines/demo.toml", overrides)
    return RequestFactory(cfg, PromptSet(list(cfg.evolve.methods)), "m")


def test_default_params_are_unchanged_so_old_cache_keys_still_hit() -> None:
    assert factory().params == {"temperature": 1.0, "top_p": 0.95, "max_tokens": 2048}


def test_vllm_extras_go_to_extra_body_and_openai_options_stay_top_level() -> None:
    f = factory(**{"sampling.top_k": 20, "sampling.min_p": 0.05, "sampling.repetition_penalty": 1.1,
                   "sampling.seed": 7, "sampling.n": 2, "sampling.stop": ["###"],
                   "sampling.extra_body": {"top_k": 40, "use_beam_search": False}})
    assert f.params["seed"] == 7 and f.params["n"] == 2 and f.params["stop"] == ["###"]
    assert f.params["extra_body"] == {"top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1,
                                      "use_beam_search": False}
    req, _ = f.answer("Write a function.", 1)
    body = req.body()
    assert body["top_k"] == 40 and body["min_p"] == 0.05 and "extra_body" not in body and body["seed"] == 7


def test_api_per_stage() -> None:
    f = factory(**{"endpoint.stage_api": {"answer": "completions"}})
    answer, _ = f.answer("Write a function.", 1)
    evolve, _ = f.evolve("add_constraints", "Write a function.", 1)
    assert answer.api == "completions" and answer.prompt and answer.messages is None
    assert answer.path() == "/completions" and "prompt" in answer.body()
    assert evolve.api == "chat" and evolve.messages and evolve.path() == "/chat/completions"
    everything = factory(**{"endpoint.api": "completions"})
    assert everything.judge("a", "b", 1).api == "completions"
