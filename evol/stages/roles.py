"""Verification roles on their own teachers: `[verify.tests]`, `[verify.answer]` and `[verify.referee]` may name
another model and endpoint than `[endpoint]`, because one model's shared misreading passes its own tests
(docs/verification.md).

A role's `model` goes into its requests (and so into their cache keys); its `base_url` gets a client of its own
(same cache, same limits as `[endpoint]`, its own `api_key_env` if given). Unset fields fall back to `[endpoint]`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evol.config import PipelineConfig, RoleSettings, resolve_base_urls

ROLES = ("tests", "answer", "referee")  # the name its requests carry as their stage


def role(cfg: PipelineConfig, stage: str) -> RoleSettings | None:
    """The role settings a stage's requests follow (None: the stage has no role, or verification is off)."""
    return getattr(cfg.verify, stage) if cfg.verify.enabled and stage in ROLES else None


def model_for(cfg: PipelineConfig, stage: str, default: str) -> str:
    """The model a stage's requests name."""
    found = role(cfg, stage)
    return found.model if found is not None and found.model else default


def role_clients(cfg: PipelineConfig, cache_path: Path | None) -> dict[str, Any]:
    """An LLM client per role that names an endpoint of its own, keyed by stage."""
    from evol.llm import LLMClient

    out: dict[str, Any] = {}
    for stage in ROLES:
        found = role(cfg, stage)
        if found is None or not found.base_url:
            continue
        settings = cfg.endpoint.model_copy(update={"base_url": found.base_url,
                                                   "api_key_env": found.api_key_env or cfg.endpoint.api_key_env})
        out[stage] = LLMClient.from_settings(settings, resolve_base_urls(settings), cache_path=cache_path,
                                             sampling=cfg.sampling)
    return out
