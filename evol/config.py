"""The pipeline config: one pydantic model per concern, loaded from TOML, strict about keys and types."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from evol.config_file import apply_overrides, read_toml
from evol.datafields import NotData, digest_of
from evol.decontam.config import DecontamConfig
from evol.dedup.config import DedupConfig
from evol.errors import ConfigError
from evol.llm.reasoning import ReasoningSettings
from evol.llm.types import TokenParam
from evol.sandbox.settings import SandboxSettings


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
ENV_NAME_RULE = ("takes the name of the environment variable that holds the API key (e.g. OPENAI_API_KEY), not the "
                 "key itself: an upper-case name, or the name of a variable that is set")


def env_name(value: str) -> str:
    """An environment variable's name, never a key typed in its place (it would be saved in the run folder):
    a valid name that is upper-case or set. The error never repeats the value."""
    if not ENV_NAME.fullmatch(value) or not (value.isupper() or value in os.environ):
        raise ValueError(ENV_NAME_RULE)
    return value


EnvName = Annotated[str, AfterValidator(env_name)]


class CallsSettings(Strict):
    """The [calls] section: the calls log does not shape the data (changing it never blocks a resume)."""

    enabled: bool = True
    text: bool = False  # also store each call's prompt and reply text (they can be large, and private)


class EndpointSettings(Strict):
    """Where LLM calls go. An empty base_url falls back to OPENAI_BASE_URL, then to the built-in sim.

    Only `model`, `api` and `stage_api` shape the data; the rest (`NotData`) may change on a resume.
    """

    base_url: NotData[str | list[str]] = ""
    api_key_env: NotData[EnvName] = "OPENAI_API_KEY"
    model: str = "gpt-3.5-turbo"
    api: Literal["chat", "completions"] = "chat"
    concurrency: NotData[int] = Field(64, ge=1, le=4096)
    timeout: NotData[float] = Field(120.0, gt=0)
    max_attempts: NotData[int] = Field(6, ge=1, le=50)
    item_deadline: NotData[float] = Field(900.0, gt=0)
    backoff_base: NotData[float] = Field(0.5, ge=0, le=60)  # seconds; full-jitter backoff doubles it per attempt
    transport: NotData[Literal["aiohttp", "openai-aiohttp", "openai-httpx"]] = "aiohttp"
    # per LLM stage (those of the stage table with prompts: checked when the run's stages are known)
    stage_api: dict[str, Literal["chat", "completions"]] = {}  # overrides `api`


class Sampling(Strict):
    """Teacher sampling parameters (WizardCoder: temperature 1, top_p 0.95, max_tokens 2048)."""

    temperature: float = Field(1.0, ge=0, le=2)
    top_p: float = Field(0.95, gt=0, le=1)
    max_tokens: int = Field(2048, ge=1)
    seed: int | None = None
    n: int | None = Field(None, ge=1, le=128)
    stop: list[str] = []
    # vLLM sampling extras, sent through extra_body (merged with it; extra_body wins on a clash)
    top_k: int | None = None
    min_p: float | None = Field(None, ge=0, le=1)
    repetition_penalty: float | None = Field(None, gt=0)
    extra_body: dict[str, Any] = {}
    # Reasoning models: how hard to think (sent as reasoning_effort; dropped where the endpoint refuses it),
    # and how the endpoint names the output cap (auto: max_tokens, switched once on a 400 that names it).
    # token_param is the endpoint's dialect, not the data's: never sent as is, never in a cache key.
    reasoning_effort: Literal["minimal", "low", "medium", "high"] | None = None
    token_param: NotData[TokenParam] = "auto"


class SeedSettings(Strict):
    paths: list[str] = ["data/seeds/code_seeds.jsonl"]
    answer: bool = True  # ask the teacher to answer seeds that come without an output


class EvolveSettings(Strict):
    """Which methods evolve instructions, how often each is drawn, and what a failed evolution does."""

    methods: dict[str, float] = {
        "add_constraints": 1.0,
        "replace_requirement": 1.0,
        "more_reasoning": 1.0,
        "erroneous_code": 1.0,
        "complexity": 0.25,
    }
    on_failed: Literal["carry_parent", "drop"] = "carry_parent"
    adapt: bool = False  # reweight each round's method mix from the previous rounds' measured yield
    adapt_floor: float = Field(0.05, ge=0, lt=1)  # no method's share drops below this when adapting

    @field_validator("methods")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("at least one method is needed")
        if any(w < 0 for w in v.values()) or sum(v.values()) <= 0:
            raise ValueError("weights must be >= 0 with a positive sum")
        return v


class EliminateSettings(Strict):
    """Failed-evolution rules (WizardLM's elimination), plus the optional LLM equality judge."""

    min_words: int = Field(4, ge=0)
    max_words: int = Field(1200, ge=1)
    judge: bool = False
    skip: list[str] = []  # rule names to switch off, e.g. ["lost_code_block"]
    custom: list[str] = []  # your own rules by dotted path, e.g. ["mypkg.rules:no_todo"] (evol/stages/custom.py)
    copy_phrases: list[str] = [
        "#rewritten prompt#", "#given prompt#", "#the given prompt#", "#rewritten test#", "#given test#",
        "#created prompt#", "given prompt", "rewritten prompt", "created prompt",
    ]


class FilterSettings(Strict):
    """Response filters applied to each answer."""

    refusal_max_words: int = Field(80, ge=0)
    refusal_phrases: list[str] = ["sorry", "as an ai", "i cannot", "i can't", "i'm unable", "i am unable"]
    check_python_syntax: bool = True
    execute_code: bool = False  # run ```python blocks in the sandbox and reject crashes
    skip: list[str] = []  # rule names to switch off, e.g. ["stopwords_only"]
    custom: list[str] = []  # your own rules by dotted path, e.g. ["mypkg.rules:no_todo"] (evol/stages/custom.py)


class RoleSettings(Strict):
    """One verification role's own teacher (tests or answers): its endpoint and model.

    Unset fields fall back to [endpoint]. One model's shared misreading passes its own tests: tests and
    answers from different models make it less likely (docs/verification.md)."""

    base_url: NotData[str | list[str]] = ""
    api_key_env: NotData[EnvName | None] = None
    model: str | None = None


class RefereeSettings(RoleSettings):
    """The referee (`[verify.referee]`): a model asked which output a contested case should have, when the
    tests and a group of answers disagree and the counting alone would drop a case or reject the item
    (evol/verification/referee.py). Best a stronger model, or at least not the answerer's."""

    enabled: bool = False


class VerifySettings(Strict):
    """Verified evolution: tests from the teacher, answers run against them in the sandbox."""

    enabled: bool = False
    mode: Literal["separate", "joint"] = "separate"  # tests from their own request (sees the instruction only)
    max_answers: int = Field(3, ge=1, le=20)  # answer attempts per item (reject sampling)
    keep_unverifiable: bool = False  # keep (marked) items whose answer cannot be run, instead of rejecting
    require_gain: list[str] = ["add_constraints", "replace_requirement", "complexity"]
    # A parent without a verified answer (a seed that failed verification): "drop" it (it is no parent), or
    # "check" its children's gain against the answer it had. Never waved through (docs/verification.md).
    unverified_parents: Literal["drop", "check"] = "drop"
    # Several answers judged against the tests and each other (evol/verification/agreement.py).
    answers: int = Field(1, ge=1, le=16)  # k answers per item (one request with n = k where the endpoint takes n)
    consensus: float = Field(0.5, gt=0, le=1)  # share of the k answers whose agreement overrules a test case
    on_suspect: Literal["drop", "reject"] = "drop"  # a case contradicted by a strong consensus: drop it, or the item
    min_cases: int = Field(1, ge=1)  # cases that must remain after dropping suspect ones
    min_pass_rate: float = Field(0.0, ge=0, le=1)  # share of the k answers that must pass the kept cases
    # Tests with teeth (evol/verification/mutants.py): mutants of the chosen answer the kept cases must kill.
    mutants: int = Field(0, ge=0, le=64)  # mutants tried per item (0: no mutation testing)
    min_mutation_score: float = Field(0.0, ge=0, le=1)  # below it the item is rejected `weak_tests` ...
    # ... unless n > 0 new inputs (expected values from the agreeing answers) lift it (evol/stages/more_cases.py)
    more_cases: int = Field(0, ge=0, le=32)
    tests: RoleSettings = RoleSettings()  # the tests writer's own endpoint/model
    answer: RoleSettings = RoleSettings()  # the answerer's own endpoint/model (answers, resampled answers)
    referee: RefereeSettings = RefereeSettings()  # settles contested cases (off unless enabled)
    timeout_s: float = Field(5.0, gt=0, le=600)
    memory_mb: int = Field(1024, ge=64)


class ExtraStage(Strict):
    """A stage a recipe adds (evol/stages/compose.py): its dotted path and where it goes (default: before decontam)."""

    path: str
    after: str | None = None
    before: str | None = None


class StagesSettings(Strict):
    """The [stages] section: stages added to the table's, in order, e.g. ["mypkg.stages:lint"]."""

    extra: list[str | ExtraStage] = []


class PipelineConfig(Strict):
    """A whole evolution run. Fields marked `NotData` do not shape the data (see evol.datafields)."""

    name: NotData[str] = "run"
    out_dir: NotData[str] = "data/runs"
    seed: int = 0
    rounds: NotData[int] = Field(3, ge=0, le=100)  # raising it extends a run: its finished rounds are kept
    limit: int | None = Field(None, ge=1)
    prompts_dir: str | None = None
    cache: NotData[bool] = True
    endpoint: EndpointSettings = EndpointSettings()
    sampling: Sampling = Sampling()
    seeds: SeedSettings = SeedSettings()
    evolve: EvolveSettings = EvolveSettings()
    eliminate: EliminateSettings = EliminateSettings()
    filters: FilterSettings = FilterSettings()
    verify: VerifySettings = VerifySettings()
    stages: StagesSettings = StagesSettings()
    dedup: DedupConfig = DedupConfig()
    decontam: DecontamConfig = DecontamConfig()
    reasoning: ReasoningSettings = ReasoningSettings()
    sandbox: SandboxSettings = SandboxSettings()
    prices: NotData[dict[str, dict[str, float]]] = {}  # model -> {"input": $/1M tokens, "output": $/1M tokens}
    calls: NotData[CallsSettings] = CallsSettings()  # the calls log (evol/calls.py)

    def run_dir(self) -> Path:
        return Path(self.out_dir) / self.name

    def digest(self) -> str:
        """A short hash of the whole config, operational fields included (the manifest's config_digest).

        What a resume must agree on is the narrower data view: `evol.pipeline.data_digest`.
        """
        return digest_of(self.model_dump(mode="json"))


def error_text(err: Any) -> str:
    """A pydantic error's message, without the "Value error, " that pydantic puts before a validator's own."""
    return str(err["msg"]).removeprefix("Value error, ")


def _format_error(path: Path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = "unknown key" if err["type"] == "extra_forbidden" else error_text(err)
        lines.append(f"{path}: {key}: {msg}")
    return "\n".join(lines)


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> PipelineConfig:
    """Load a TOML pipeline config, apply dotted-key overrides (CLI flags), and validate strictly."""
    path = Path(path)
    data = apply_overrides(read_toml(path), overrides or {}, path)
    try:
        return PipelineConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(path, exc)) from None


def resolve_base_urls(cfg: EndpointSettings) -> list[str]:
    """Configured endpoint URLs, or OPENAI_BASE_URL; empty means 'use the built-in simulator'."""
    urls = cfg.base_url if isinstance(cfg.base_url, list) else [cfg.base_url]
    urls = [u for u in urls if u]
    if not urls and os.environ.get("OPENAI_BASE_URL"):
        urls = [os.environ["OPENAI_BASE_URL"]]
    return urls


def to_toml(cfg: PipelineConfig) -> str:
    """Render a resolved config as TOML (for `config.resolved.toml`): sections as tables, dicts inline."""
    data = cfg.model_dump(mode="json", exclude_none=True)
    lines = [f"{_key(k)} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for section, body in data.items():
        if isinstance(body, dict):
            lines.append(f"\n[{_key(section)}]")
            lines.extend(f"{_key(k)} = {_toml_value(v)}" for k, v in body.items())
    return "\n".join(lines) + "\n"


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot render {type(v).__name__} as TOML")
