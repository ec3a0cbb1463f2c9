"""Verify by agreement (`verify.answers = k > 1`): k answers run on every test case, judged against the tests
and each other (evol/verification/agreement.py).

The k answers come from the answer stage (one request with n = k where the endpoint takes it); a seed that
ships its own output gets the others asked here. Each answer that passes the response filters, in the item's
language, runs on every case in the sandbox. A case a strong consensus of answers contradicts is dropped (or
the item rejected); the chosen answer is one of the largest agreeing group that passes the kept cases. The
record keeps only the trusted cases (`cases`, `tests`; the dropped ones in `cases_dropped` with why), so the
gain check and the exports judge with them; `agreement` says k, the groups, the pass rate and which answer was
kept; `difficulty` is the pass rate over k.

With `[verify.referee] enabled`, the cases whose fate rests on answers against answers (agreement.py
`contested`) go to the referee in one request, and the agreement is decided again with its rulings
(`agreement.referee`: each case and whose side it took).
"""

from __future__ import annotations

import asyncio
from typing import Any

from evol.llm import LLMFailure
from evol.sandbox import Limits
from evol.stages import verify
from evol.stages.context import Item, ItemContext, Reject, ask, call
from evol.stages.rules import first_failure
from evol.stages.verify import _precheck, cases_of
from evol.stages.write_tests import plain_tests
from evol.verification import Case, answer_code, judge, run_cases
from evol.verification.agreement import Agreement, Key, agree, contested, freeze
from evol.verification.cases import count_asserts
from evol.verification.judge import CaseRun, Output, passes
from evol.verification.referee import Dispute, disputes, rulings, shown

NOT_THE_ANSWER = frozenset({"tests_broken", "unverifiable"})


def key(out: Output | None) -> Key:
    """An answer's output on one case as an agreement key."""
    if out is None:
        return None
    return ("v", freeze(out.value)) if out.ok else ("e", out.error)


async def verify_run(ctx: ItemContext, item: Item) -> Reject | None:
    """The verify stage: by agreement of k answers when `verify.answers > 1`, else one answer at a time."""
    return await (run if ctx.verify.answers > 1 else verify.run)(ctx, item)


async def run(ctx: ItemContext, item: Item) -> Reject | None:
    record = item.record
    language, code = answer_code(record.get("output") or "", record.get("lang"))
    cases = cases_of(record)
    record.update(code=code, language=language)
    early = _precheck(ctx, language, code, cases)
    if early is not None:
        return _finish(ctx, record, early.status, early.detail, cases, 1, 0.0)
    texts = await answers(ctx, item)
    codes = await asyncio.to_thread(_runnable, ctx, record, texts, language or "python")
    limits = Limits(timeout_s=ctx.verify.timeout_s, memory_mb=ctx.verify.memory_mb)
    todo = [(i, c) for i, c in enumerate(codes) if c is not None]
    runs: dict[int, CaseRun] = dict(zip([i for i, _ in todo], await asyncio.gather(*(
        asyncio.to_thread(run_cases, ctx.sandbox, c, language, cases, limits) for _, c in todo)), strict=True))
    seconds = sum(r.seconds for r in runs.values())
    if not runs:
        return _finish(ctx, record, "failed_tests", "no answer could run", cases, len(texts), seconds)
    first = judge(cases, runs[min(runs)], language or "python", record["instruction"])
    if first.status in NOT_THE_ANSWER:
        return _finish(ctx, record, first.status, first.detail, cases, len(texts), seconds)
    lang = language or "python"
    keys = [[key(o) for o in runs[i].outputs] if i in runs else [None] * len(cases) for i in range(len(texts))]
    ok = [[passes(c, o, lang) for c, o in zip(cases, runs[i].outputs, strict=True)] if i in runs
          else [False] * len(cases) for i in range(len(texts))]
    v = ctx.verify
    settings = {"consensus": v.consensus, "on_suspect": v.on_suspect, "min_cases": v.min_cases,
                "min_pass_rate": v.min_pass_rate}
    result = agree(keys, ok, **settings)
    brief = referee_brief(ctx, cases, keys, ok, runs, result, lang)
    ruled = await ask_referee(ctx, item, brief) if brief else {}
    if ruled:
        result = agree(keys, ok, **settings, rulings=ruled)
    record["agreement"] = result.to_record()
    if brief:
        record["agreement"]["referee"] = [
            {"case": d.case, "ruling": {True: "tests", False: "answers"}.get(ruled.get(d.case), "none")}
            for d in brief]
    if result.chosen is not None:
        record.update(output=texts[result.chosen], code=codes[result.chosen])
        group = next(g for g in result.groups if result.chosen in g)
        item.agreeing = list(dict.fromkeys(c for c in (codes[i] for i in group) if c is not None))
    dropped = {d["case"]: d["why"] for d in result.dropped_cases}
    if dropped and v.on_suspect == "drop":
        record["cases_dropped"] = [{**cases[i].to_record(), "why": why} for i, why in dropped.items()]
        cases = [cases[i] for i in result.kept_cases]
        record["cases"] = [c.to_record() for c in cases]
        record["tests"] = plain_tests(cases, lang)
    detail = "" if result.ok else f"{result.status}: {len(result.passing)} of {len(texts)} answers pass"
    return _finish(ctx, record, result.status, detail, cases, len(texts), seconds, result.pass_rate)


def referee_brief(ctx: ItemContext, cases: list[Case], keys: list[list[Key]], ok: list[list[bool]],
                  runs: dict[int, CaseRun], result: Agreement, language: str) -> list[Dispute]:
    """The contested cases to put to the referee (none when it is off or nothing rests on answers alone)."""
    if not ctx.verify.referee.enabled:
        return []
    found = contested(keys, ok, result)
    others = {c.case: shown(runs[c.example].outputs[c.case].value, cases[c.case], language) for c in found}
    return disputes(cases, others)


async def ask_referee(ctx: ItemContext, item: Item, brief: list[Dispute]) -> dict[int, bool]:
    """The referee's rulings on the brief (none when its call fails: the counting stands)."""
    reply = await ask(ctx, item, "referee", "referee", instruction=item.record["instruction"],
                      disputes="\n\n".join(d.text for d in brief))
    return {} if isinstance(reply, Reject) else rulings(reply.text, brief)


async def answers(ctx: ItemContext, item: Item) -> list[str]:
    """The item's k answers: those the answer stage got, and the rest asked now (each its own request)."""
    record = item.record
    texts = list(record.pop("answers", None) or [record.get("output") or ""])
    want = ctx.verify.answers if (ctx.answer_seeds or item.round_no > 0) else len(texts)
    if len(texts) >= want:
        return texts[:want]
    requests = [ctx.requests.answer(record["instruction"], item.round_no, i)[0] for i in range(len(texts), want)]
    results = await asyncio.gather(*(call(ctx, item, r) for r in requests), return_exceptions=True)
    usage = record["usage"].setdefault("answer", {})
    for result in results:
        if isinstance(result, LLMFailure):
            texts.append("")
            continue
        if isinstance(result, BaseException):
            raise result
        texts.append(result.text.strip())
        for name, n in (result.usage or {}).items():
            usage[name] = usage.get(name, 0) + n
    return texts


def _runnable(ctx: ItemContext, record: dict[str, Any], texts: list[str], language: str) -> list[str | None]:
    """Each answer's code when it passes the response filters and is in `language` (else None)."""
    out: list[str | None] = []
    for text in texts:
        lang, code = answer_code(text, record.get("lang"))
        fine = code is not None and lang == language
        out.append(code if fine and first_failure(ctx.responses, {**record, "output": text}) is None else None)
    return out


def _finish(ctx: ItemContext, record: dict[str, Any], status: str, detail: str, cases: list[Case], k: int,
            seconds: float, pass_rate: float | None = None) -> Reject | None:
    """Store the verification outcome; the rejection, if any."""
    language = record.get("language")
    checks = record.get("checks") or ""
    passed = len(cases) if status == "verified" else None
    record["verification"] = {"status": status, "attempts": k, "passed": passed, "total": len(cases),
                              "cases": len(cases),
                              "checks": count_asserts([checks]) if language == "python" else int(bool(checks)),
                              "seconds": round(seconds, 4), "language": language, "k": k,
                              "pass_rate": None if pass_rate is None else round(pass_rate, 4)}
    record["difficulty"] = "never" if pass_rate is None else round(pass_rate, 4)
    if status == "verified" or (status == "unverifiable" and ctx.verify.keep_unverifiable):
        return None
    return Reject(status, {"detail": detail} if detail else {})
