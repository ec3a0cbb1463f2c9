"""Scoring: judge each sample in the sandbox, journal the outcome, and summarize pass@k.

A problem whose tests convert to cases (157 of HumanEval's 164 `check`s) is scored by the trusted judge: the
expected values never enter the sandbox and the results cross as typed records. One that ships a canonical
solution but whose tests do not convert is scored by its check replayed on the completion's results, apart from
its code (evol/eval/recorded.py; `judge: "replay"`). Only a problem with neither (a local file without
canonical solutions) runs its test program with the completion and passes on the exit status the parent observes
(`judge: "exit_status"` in results.jsonl): a completion can forge that one, and the summary counts such samples
(`forgeable_samples`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from evol.eval import outdir
from evol.eval.passk import mean_pass_at_k
from evol.eval.problems import Problem
from evol.eval.recorded import recorded_cases, replayed
from evol.io import JsonlAppender, read_jsonl
from evol.sandbox import Sandbox
from evol.verification import Case
from evol.verification.judge import judge, passes, run_cases


def score_samples(
    by_id: dict[str, Problem], samples_path: Path, results_path: Path, sandbox: Sandbox, log: Callable[[str], None]
) -> int:
    """Score every sample without a result yet; returns how many were scored now."""
    scored = outdir.done_keys(results_path)
    todo: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    for rec in read_jsonl(samples_path, tolerate_partial_tail=True) if samples_path.exists() else []:
        key = (rec["task_id"], int(rec["sample_index"]))
        if key not in scored and key not in seen and rec["task_id"] in by_id:
            seen.add(key)
            todo.append(rec)
    if not todo:
        return 0
    log(f"scoring {len(todo)} samples in the sandbox ({len(scored)} already scored)")

    needed = {rec["task_id"] for rec in todo}
    cases = {task_id: problem.cases() for task_id, problem in by_id.items() if task_id in needed}
    replays = {task_id: recorded_cases(sandbox, by_id[task_id]) for task_id, found in cases.items()
               if found is None and by_id[task_id].canonical_solution and by_id[task_id].entry_point}
    step = max(1, len(todo) // 10)
    with JsonlAppender(results_path) as sink, ThreadPoolExecutor(max_workers=sandbox.workers) as pool:
        futures = {pool.submit(score_one, sandbox, by_id[rec["task_id"]], cases[rec["task_id"]], rec["completion"],
                               replays.get(rec["task_id"])): rec for rec in todo}
        for done, fut in enumerate(as_completed(futures), start=1):
            rec = futures[fut]
            sink.write({"task_id": rec["task_id"], "sample_index": rec["sample_index"], **fut.result()})
            if done % step == 0 and done < len(todo):
                log(f"  scored {done}/{len(todo)}")
    return len(todo)


def score_one(sandbox: Sandbox, problem: Problem, cases: list[Any] | None, completion: str,
              recorded: list[Case] | None = None) -> dict[str, Any]:
    """One sample's result record: by the judge on the problem's cases, else by its check replayed on the
    completion's results (`recorded`: the calls the check makes), else by the test program's exit status."""
    if cases is None and recorded is not None:
        run = run_cases(sandbox, problem.code(completion), "python", recorded)
        verdict = replayed(sandbox, problem, recorded, run)
        status = "passed" if verdict["passed"] else "timed_out" if verdict["kind"] == "Timeout" else "failed"
        return {"status": status, "kind": None if verdict["passed"] else verdict["kind"],
                "error": (verdict["error"] or None) and str(verdict["error"])[:500], "exit_code": run.exit_code,
                "duration_s": round(run.seconds, 4), "judge": "replay"}
    if cases is None:
        res = sandbox.run(problem.program(completion), exit_ok=False)
        return {**res.to_record(), "error": res.error[:500] if res.error else None, "judge": "exit_status"}
    run = run_cases(sandbox, problem.code(completion), "python", cases)
    verdict = judge(cases, run, "python", problem.prompt)
    status = {"verified": "passed", "timeout": "timed_out"}.get(verdict.status, "failed")
    kind = None
    if status == "timed_out":
        kind = "Timeout"
    elif status == "failed":
        first = next((o for c, o in zip(cases, run.outputs, strict=True) if not passes(c, o, "python")), None)
        kind = ("AssertionError" if first.ok else first.error) if first is not None else "Crash"
    return {"status": status, "kind": kind, "error": (verdict.detail or None) and verdict.detail[:500],
            "exit_code": run.exit_code, "duration_s": round(run.seconds, 4), "judge": "cases",
            "cases_passed": verdict.passed, "cases_total": verdict.total}


def summarize(out: Path, problems: list[Problem], expected: int | dict[str, int], settings: Any,
              sandbox: Sandbox) -> dict[str, Any]:
    """pass@k over problems, counts by status, completeness, and the settings that produced them. `expected`:
    samples per problem, or each problem's own count (a samples file may give them different counts)."""
    results: dict[tuple[str, int], dict[str, Any]] = {}
    path = out / "results.jsonl"
    for rec in read_jsonl(path, tolerate_partial_tail=True) if path.exists() else []:
        results.setdefault((rec["task_id"], int(rec["sample_index"])), rec)
    wanted = {p.task_id for p in problems}
    counts: dict[str, tuple[int, int]] = {}
    status: Counter[str] = Counter()
    forgeable = 0  # samples judged by the exit status of a program holding their code
    for (task_id, _), rec in results.items():
        if task_id not in wanted:
            continue
        n, c = counts.get(task_id, (0, 0))
        counts[task_id] = (n + 1, c + (rec["status"] == "passed"))
        status[rec["status"]] += 1
        forgeable += rec.get("judge") == "exit_status"
    wants = expected if isinstance(expected, dict) else dict.fromkeys(wanted, expected)
    missing = sum(max(0, wants.get(t, 0) - counts.get(t, (0, 0))[0]) for t in wanted)
    complete = missing == 0
    scores = mean_pass_at_k(counts)  # an incomplete run: over the problems scored so far
    benchmark = Path(settings.problems).name if settings.problems else "HumanEval"
    return {
        **{k: round(v, 6) for k, v in scores.items()},
        "benchmark": benchmark,
        "model": settings.model,
        "problems": len(wanted),
        "samples_per_problem": max(wants.values(), default=0),
        "complete": complete,
        "missing_samples": missing,
        "passed": status["passed"],
        "failed": status["failed"],
        "timed_out": status["timed_out"],
        "forgeable_samples": forgeable,
        "temperature": settings.temperature,
        "top_p": settings.top_p,
        "max_tokens": settings.max_tokens,
        "prompt_style": settings.prompt_style,
        "postprocess": settings.postprocess,
        "backend": settings.backend,
        "sandbox": sandbox.describe(),
    }
