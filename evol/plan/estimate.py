"""`evol estimate`: expected calls, tokens and dollars of a run, before anything is spent.

Prompt tokens come from rendering the real prompts for the real seeds (round 1 exactly; later rounds
scale the instruction by `growth` a round). Completion tokens: an evolution is about as long as its
instruction times `growth`; an answer as long as the seeds' own outputs on average (or
`answer_tokens` without them), capped at max_tokens. Tokens are counted at about 4 characters each.
Every stage of the table that calls the LLM and that the config uses gets a row, in pipeline order: the
built-ins by their own model above (`verify`: the answers reject sampling asks for again), any other (a
recipe's stage) one call per item that reaches it, its template's tokens plus the instruction's (and the
answer's, after `answer`) in, `reply_tokens` out.
A reasoning model also thinks before each reply: `reasoning_tokens` a call (by default a rough figure for
the configured sampling.reasoning_effort, 0 without one), counted within the completion tokens (and
billed as such), capped at max_tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evol.llm.usage import cost


def count_tokens(text: str) -> int:
    """About 4 characters a token (close enough for GPT-style BPE on English and code)."""
    return max(1, (len(text) + 3) // 4)


@dataclass
class Assumptions:
    growth: float = 1.35  # an evolved instruction vs its parent, in tokens
    pass_rate: float = 0.85  # share of evolutions that survive elimination (and get an answer)
    keep_rate: float = 0.8  # share of a round's pool kept (matters only with on_failed = "drop")
    answer_tokens: int = 350  # completion tokens of an answer when the seeds have no outputs
    tests_tokens: int = 250  # completion tokens of a tests reply (verification)
    resample_rate: float = 0.3  # share of verified items whose answer fails and is asked again (each time)
    reasoning_tokens: int | None = None  # thinking tokens a call; None: by sampling.reasoning_effort
    reply_tokens: int = 150  # completion tokens of a call of a stage without a model of its own
    referee_rate: float = 0.06  # share of items with contested cases (a referee request; bench/verify_quality.py)
    weak_rate: float = 0.05  # share of verified items whose cases kill too few mutants (a more_inputs request)


# Rough thinking tokens a call of a code task at each reasoning_effort (an assumption: set
# Assumptions.reasoning_tokens to what the teacher really spends, read from a first run's stats.json).
EFFORT_TOKENS = {"minimal": 64, "low": 400, "medium": 1200, "high": 3000}


@dataclass
class StageEstimate:
    stage: str
    calls: float = 0.0
    prompt_tokens: float = 0.0
    completion_tokens: float = 0.0
    reasoning_tokens: float = 0.0
    rounds: list[int] = field(default_factory=list)
    think: float = 0.0  # thinking tokens a call

    def add(self, rnd: int, calls: float, prompt: float, completion: float) -> None:
        self.calls += calls
        self.prompt_tokens += prompt
        self.completion_tokens += completion + calls * self.think
        self.reasoning_tokens += calls * self.think
        if rnd not in self.rounds:
            self.rounds.append(rnd)


def estimate(cfg: Any, assume: Assumptions | None = None) -> dict[str, Any]:
    """{"stages": [...], "total": {...}, "cost", "batch_cost", "price", "assumptions", "seeds"}."""
    from evol.records import child_id
    from evol.seeds import load_seeds
    from evol.stages.compose import prompt_set, run_stages
    from evol.stages.requests import RequestFactory

    a = assume or Assumptions()
    seeds, _ = load_seeds(cfg.seeds.paths, cfg.limit)
    verify = cfg.verify.mode if cfg.verify.enabled else None
    llm_stages = [s for s in run_stages(cfg) if s.calls_llm and s.active(cfg)]
    prompts = prompt_set(cfg, llm_stages)
    factory = RequestFactory(cfg, prompts, cfg.endpoint.model)
    n = cfg.sampling.n or 1
    k = cfg.verify.answers if verify == "separate" else 1  # k answers in one request (n = k) instead of resampling
    cap = cfg.sampling.max_tokens
    outputs = [count_tokens(s["output"]) for s in seeds if s.get("output")]
    answer_out = min(cap, sum(outputs) / len(outputs) if outputs else a.answer_tokens)
    answer_tpl = count_tokens(prompts.render("answer", instruction=""))
    judge_tpl = count_tokens(prompts.render("judge_equal", parent="", child=""))
    think = a.reasoning_tokens if a.reasoning_tokens is not None else EFFORT_TOKENS.get(
        getattr(cfg.sampling, "reasoning_effort", None) or "", 0)
    stages = {s.name: StageEstimate(s.name, think=min(think, cap)) for s in llm_stages}
    after_answer = {s.name for s in llm_stages[[s.name for s in llm_stages].index("answer") + 1:]}
    own = {s.name: sum(count_tokens(prompts.templates[p.name].text.format_map(_Blank())) for p in s.prompts)
           for s in llm_stages if s.name not in BUILT_IN}
    if verify == "joint":
        answer_tpl = count_tokens(prompts.render("answer_with_tests", instruction="", language="python"))
        answer_out += a.tests_tokens
    tests_tpl = count_tokens(prompts.render("tests", instruction="", language="python")) if verify == "separate" else 0
    extras = {name: count_tokens(prompts.templates[name].text.format_map(_Blank()))
              for name in ("referee", "more_inputs") if name in prompts.templates}

    def verified(rnd: int, items: float, instr_tokens: float) -> None:
        """Tests requests, and the extra answers reject sampling asks for, for `items` answered items."""
        if verify == "separate":
            stages["tests"].add(rnd, items, items * (tests_tpl + instr_tokens), items * a.tests_tokens * n)
        extra = 0 if k > 1 else sum(items * a.resample_rate ** i for i in range(1, cfg.verify.max_answers))
        if extra:
            stages["verify"].add(rnd, extra, extra * (answer_tpl + instr_tokens), extra * answer_out * n)
        if "referee" in extras and k > 1:  # contested cases: the task and a few inputs with two outputs each
            heard = items * a.referee_rate
            stages["verify"].add(rnd, heard, heard * (extras["referee"] + instr_tokens + 60),
                                 heard * a.reply_tokens * n)
        if "more_inputs" in extras:
            weak = items * a.weak_rate
            stages["more_cases"].add(rnd, weak, weak * (extras["more_inputs"] + instr_tokens + 40),
                                     weak * a.reply_tokens * n)

    def others(rnd: int, items: float, instr_tokens: float) -> None:
        """One call per item of each stage without a model of its own (after `answer`: the answer goes in too)."""
        for name, tpl in own.items():
            prompt = tpl + instr_tokens + (answer_out if name in after_answer else 0)
            stages[name].add(rnd, items, items * prompt, items * a.reply_tokens * n)

    if cfg.seeds.answer:
        todo = [s for s in seeds if not s.get("output")]
        stages["answer"].add(0, len(todo), sum(answer_tpl + count_tokens(s["instruction"]) for s in todo),
                             len(todo) * answer_out * n * k)
    seed_instr = sum(count_tokens(s["instruction"]) for s in seeds) / max(1, len(seeds))
    if verify:
        verified(0, float(len(seeds)), seed_instr)
    others(0, float(len(seeds)), seed_instr)
    pool = float(len(seeds))
    for rnd in range(1, cfg.rounds + 1):
        scale = a.growth ** (rnd - 1)
        evolve_prompt = 0.0
        instr = 0.0
        for s in seeds:
            text, _ = prompts.evolve_prompt(factory.choose_method(child_id(s["id"], rnd)), s["instruction"])
            ins = count_tokens(s["instruction"]) * scale
            instr += ins
            evolve_prompt += count_tokens(text) - count_tokens(s["instruction"]) + ins
        per_seed = pool / len(seeds)
        evolved_out = min(cap, instr / len(seeds) * a.growth)
        stages["evolve"].add(rnd, pool, evolve_prompt * per_seed, pool * evolved_out * n)
        if cfg.eliminate.judge:
            stages["judge"].add(rnd, pool * a.pass_rate,
                                pool * a.pass_rate * (judge_tpl + instr / len(seeds) + evolved_out), pool * 2)
        answered = pool * a.pass_rate
        stages["answer"].add(rnd, answered, answered * (answer_tpl + evolved_out), answered * answer_out * n * k)
        if verify:
            verified(rnd, answered, evolved_out)
        others(rnd, answered, evolved_out)
        if cfg.evolve.on_failed == "drop":
            pool *= a.keep_rate
    rows = [_row(s) for s in stages.values() if s.calls]
    total = {k: sum(r[k] for r in rows)
             for k in ("calls", "prompt_tokens", "completion_tokens", "reasoning_tokens")}
    price = (cfg.prices or {}).get(cfg.endpoint.model)
    return {"model": cfg.endpoint.model, "seeds": len(seeds), "rounds": cfg.rounds, "stages": rows, "total": total,
            "price": price, "cost": cost(total, price), "batch_cost": cost(total, price, batch=True),
            "assumptions": a.__dict__}


class _Blank(dict):
    """Every placeholder of a template rendered empty (its own tokens alone)."""

    def __missing__(self, key: str) -> str:
        return ""


BUILT_IN = frozenset({"evolve", "judge", "answer", "tests", "verify", "more_cases"})  # stages modelled above


def _row(s: StageEstimate) -> dict[str, Any]:
    return {"stage": s.stage, "rounds": s.rounds, "calls": round(s.calls), "prompt_tokens": round(s.prompt_tokens),
            "completion_tokens": round(s.completion_tokens), "reasoning_tokens": round(s.reasoning_tokens)}
