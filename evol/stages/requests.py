"""Build the LLM requests of each stage from prompt templates and the run's sampling settings."""

from __future__ import annotations

import random
from typing import Any

from evol.config import PipelineConfig
from evol.llm import LLMRequest
from evol.prompts import PromptSet
from evol.stages.roles import model_for

VLLM_EXTRAS = ("top_k", "min_p", "repetition_penalty")
# The tests stage's reply, where the endpoint supports response_format (else parsed from fenced blocks).
CASE_SCHEMA = {"type": "object", "properties": {"call": {"type": "string"}, "stdin": {"type": "string"},
                                               "expected": {"type": "string"}, "tolerance": {"type": "number"},
                                               "raises": {"type": "string"}},
               "required": ["expected"], "additionalProperties": False}
TESTS_SCHEMA = {"type": "object", "properties": {"cases": {"type": "array", "items": CASE_SCHEMA},
                                                 "checks": {"type": "string"}},
                "required": ["cases"], "additionalProperties": False}


def sampling_params(cfg: PipelineConfig) -> dict[str, Any]:
    """The [sampling] section as request parameters: unset ones left out, vLLM extras in extra_body.

    Unset parameters are left out (not sent as null), so adding a knob never changes an old cache key.
    """
    params = cfg.sampling.model_dump(exclude_none=True, exclude={"token_param"})  # the dialect, not a parameter
    extras = {k: params.pop(k) for k in VLLM_EXTRAS if k in params}
    extra_body = {**extras, **(params.pop("extra_body", None) or {})}
    if not params.get("stop"):
        params.pop("stop", None)
    if extra_body:
        params["extra_body"] = extra_body
    return params


class RequestFactory:
    """Turns a record into the evolve / judge / answer request for it."""

    def __init__(self, cfg: PipelineConfig, prompts: PromptSet, model: str) -> None:
        self.cfg, self.prompts, self.model = cfg, prompts, model
        self.params = sampling_params(cfg)
        names = list(cfg.evolve.methods)
        self._names, self._weights = names, [cfg.evolve.methods[n] for n in names]

    def choose_method(self, child_id: str, weights: dict[str, float] | None = None) -> str:
        """A method drawn by an RNG seeded with the run seed and the child's id (order-independent).

        `weights` (a round's adapted mix) replaces the configured weights when given.
        """
        rng = random.Random(f"{self.cfg.seed}:{child_id}")
        chosen = self._weights if weights is None else [weights.get(n, 0.0) for n in self._names]
        return rng.choices(self._names, weights=chosen, k=1)[0]

    def api(self, stage: str) -> str:
        """The API a stage uses: endpoint.stage_api[stage], else endpoint.api."""
        return self.cfg.endpoint.stage_api.get(stage, self.cfg.endpoint.api)

    def _request(self, text: str, stage: str, round_no: int, params: dict | None = None,
                 sample_index: int = 0) -> LLMRequest:
        params = dict(self.params if params is None else params)
        model = model_for(self.cfg, stage, self.model)  # a verification role may name its own model
        if self.api(stage) == "chat":
            return LLMRequest(model, "chat", messages=[{"role": "user", "content": text}],
                              params=params, stage=stage, round=round_no, sample_index=sample_index)
        return LLMRequest(model, "completions", prompt=text, params=params, stage=stage, round=round_no,
                          sample_index=sample_index)

    def _attempt_params(self, attempt: int) -> dict[str, Any]:
        """The sampling parameters of attempt `attempt`: attempt 0 as configured, later ones with their own seed."""
        params = dict(self.params)
        if attempt:
            params["seed"] = (self.cfg.sampling.seed or 0) + attempt
        return params

    def evolve(self, method: str, instruction: str, round_no: int, attempt: int = 0) -> tuple[LLMRequest, str]:
        """The evolve request; a retry (attempt k > 0: a carried parent evolved again) has its own cache key
        and sampling seed, so it is a new call that can differ, and a resumed run makes the same one."""
        text, sha = self.prompts.evolve_prompt(method, instruction)
        return self._request(text, "evolve", round_no, self._attempt_params(attempt), attempt), sha

    def answer(self, instruction: str, round_no: int, attempt: int = 0, joint: bool = False,
               language: str = "python") -> tuple[LLMRequest, str]:
        """The answer request; attempt k > 0 (reject sampling) has its own cache key and sampling seed.

        `joint`: the answer and its tests come from one request (the answer_with_tests template).
        """
        name = "answer_with_tests" if joint else "answer"
        values = {"instruction": instruction, "language": language} if joint else {"instruction": instruction}
        request = self._request(self.prompts.render(name, **values), "answer", round_no,
                                self._attempt_params(attempt), attempt)
        return request, self.answer_sha(joint)

    def answer_sha(self, joint: bool = False) -> str:
        """The sha of the answer template in use."""
        return self.prompts.sha("answer_with_tests" if joint else "answer")

    def tests(self, instruction: str, language: str, round_no: int) -> tuple[LLMRequest, str]:
        """The tests request: it sees the instruction (and the language to write in), never the answer."""
        text = self.prompts.render("tests", instruction=instruction, language=language)
        request = self._request(text, "tests", round_no)
        request.json_schema = TESTS_SCHEMA  # structured where the endpoint supports it, else fenced blocks
        return request, self.prompts.sha("tests")

    def ask(self, stage: str, template: str, round_no: int, **values: str) -> tuple[LLMRequest, str]:
        """Any stage's request: `template` rendered with `values`, the run's sampling, the stage's API."""
        return self._request(self.prompts.render(template, **values), stage, round_no), self.prompts.sha(template)

    def judge(self, parent: str, child: str, round_no: int) -> LLMRequest:
        text = self.prompts.render("judge_equal", parent=parent, child=child)
        return self._request(text, "judge", round_no, {"temperature": 0.0, "max_tokens": 8})
