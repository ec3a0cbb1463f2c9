"""Build the LLM requests of each stage from prompt templates and the run's sampling settings."""

from __future__ import annotations

import random

from evol.config import PipelineConfig
from evol.llm import LLMRequest
from evol.prompts import PromptSet


class RequestFactory:
    """Turns a record into the evolve / judge / answer request for it."""

    def __init__(self, cfg: PipelineConfig, prompts: PromptSet, model: str) -> None:
        self.cfg, self.prompts, self.model = cfg, prompts, model
        self.params = cfg.sampling.model_dump(exclude_none=True)
        if not self.params.get("stop"):
            self.params.pop("stop", None)
        if not self.params.get("extra_body"):
            self.params.pop("extra_body", None)
        names = list(cfg.evolve.methods)
        self._names, self._weights = names, [cfg.evolve.methods[n] for n in names]

    def choose_method(self, child_id: str) -> str:
        """A method drawn by an RNG seeded with the run seed and the child's id (order-independent)."""
        rng = random.Random(f"{self.cfg.seed}:{child_id}")
        return rng.choices(self._names, weights=self._weights, k=1)[0]

    def _request(self, text: str, stage: str, round_no: int, params: dict | None = None) -> LLMRequest:
        params = dict(self.params if params is None else params)
        if self.cfg.endpoint.api == "chat":
            return LLMRequest(self.model, "chat", messages=[{"role": "user", "content": text}],
                              params=params, stage=stage, round=round_no)
        return LLMRequest(self.model, "completions", prompt=text, params=params, stage=stage, round=round_no)

    def evolve(self, method: str, instruction: str, round_no: int) -> tuple[LLMRequest, str]:
        text, sha = self.prompts.evolve_prompt(method, instruction)
        return self._request(text, "evolve", round_no), sha

    def answer(self, instruction: str, round_no: int) -> tuple[LLMRequest, str]:
        text = self.prompts.render("answer", instruction=instruction)
        return self._request(text, "answer", round_no), self.prompts.sha("answer")

    def judge(self, parent: str, child: str, round_no: int) -> LLMRequest:
        text = self.prompts.render("judge_equal", parent=parent, child=child)
        return self._request(text, "judge", round_no, {"temperature": 0.0, "max_tokens": 8})
