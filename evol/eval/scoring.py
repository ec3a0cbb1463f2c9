"""Scoring: run each sample's test program in the sandbox, journal the outcome, and summarize pass@k."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from evol.eval import outdir
from evol.eval.passk import mean_pass_at_k
from evol.eval.problems import Problem
from evol.io import JsonlAppender, read_jsonl
from evol.sandbox import Sandbox, run_many


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

    def programs() -> Iterator[tuple[int, str]]:
        for i, rec in enumerate(todo):
            yield i, by_id[rec["task_id"]].program(rec["completion"])

    step = max(1, len(todo) // 10)
    with JsonlAppender(results_path) as sink:
        for done, (i, res) in enumerate(run_many(sandbox, programs(), exit_ok=False), start=1):
            rec = todo[i]
            error = res.error[:500] if res.error else None
            sink.write(
                {"task_id": rec["task_id"], "sample_index": rec["sample_index"], **res.to_record(), "error": error}
            )
            if done % step == 0 and done < len(todo):
                log(f"  scored {done}/{len(todo)}")
    return len(todo)


def summarize(out: Path, problems: list[Problem], expected: int, settings: Any, sandbox: Sandbox) -> dict[str, Any]:
    """pass@k over problems, counts by status, completeness, and the settings that produced them."""
    results: dict[tuple[str, int], dict[str, Any]] = {}
    path = out / "results.jsonl"
    for rec in read_jsonl(path, tolerate_partial_tail=True) if path.exists() else []:
        results.setdefault((rec["task_id"], int(rec["sample_index"])), rec)
    wanted = {p.task_id for p in problems}
    counts: dict[str, tuple[int, int]] = {}
    status: Counter[str] = Counter()
    for (task_id, _), rec in results.items():
        if task_id not in wanted:
            continue
        n, c = counts.get(task_id, (0, 0))
        counts[task_id] = (n + 1, c + (rec["status"] == "passed"))
        status[rec["status"]] += 1
    missing = sum(max(0, expected - counts.get(t, (0, 0))[0]) for t in wanted)
    complete = missing == 0
    scores = mean_pass_at_k(counts)  # an incomplete run: over the problems scored so far
    benchmark = Path(settings.problems).name if settings.problems else "HumanEval"
    return {
        **{k: round(v, 6) for k, v in scores.items()},
        "benchmark": benchmark,
        "model": settings.model,
        "problems": len(wanted),
        "samples_per_problem": expected,
        "complete": complete,
        "missing_samples": missing,
        "passed": status["passed"],
        "failed": status["failed"],
        "timed_out": status["timed_out"],
        "temperature": settings.temperature,
        "top_p": settings.top_p,
        "max_tokens": settings.max_tokens,
        "prompt_style": settings.prompt_style,
        "postprocess": settings.postprocess,
        "backend": settings.backend,
        "sandbox": sandbox.describe(),
    }
