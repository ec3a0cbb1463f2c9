"""A HumanEval-style evaluation: generate (or import) samples, score them in the sandbox, summarize pass@k.

Everything lands in one folder, appended a line at a time, so --resume picks up where a run stopped:
samples.jsonl (raw text + extracted code), results.jsonl (passed / failed + error / timed_out),
summary.json (pass@k for every k up to the samples per problem, counts, settings, sandbox layers).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evol.errors import DataError
from evol.eval import outdir
from evol.eval.backends import Backend, GenRequest, GenResult, Sampling
from evol.eval.problems import Problem, load_problems
from evol.eval.scoring import score_samples, summarize
from evol.eval.styles import PostprocessStyle, PromptStyle, decode_response, humaneval_prompt, postprocessor
from evol.io import JsonlAppender, atomic_write_json, read_jsonl
from evol.sandbox import Limits, Sandbox


@dataclass
class EvalSettings:
    model: str
    backend: str = "endpoint"
    api: str = "completions"
    samples: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 512
    seed: int | None = 0
    problems: str | None = None
    samples_file: str | None = None
    limit: int | None = None
    timeout_s: float = 5.0
    memory_mb: int = 1024
    prompt_style: PromptStyle = "evol"
    postprocess: PostprocessStyle = "evol"

    def sampling(self) -> Sampling:
        """WizardCoder's script sends no stop strings (it stops at EOS or max length); evol stops at the next
        ``### Instruction:``."""
        if self.prompt_style == "wizardcoder":
            return Sampling(self.temperature, self.top_p, self.max_tokens, stop=(), seed=self.seed)
        return Sampling(self.temperature, self.top_p, self.max_tokens, seed=self.seed)


def evaluate(
    settings: EvalSettings,
    out: Path,
    *,
    resume: bool = False,
    backend: Backend | None = None,
    sandbox: Sandbox | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run (or continue) one evaluation into `out`; returns the summary also written to summary.json."""
    every = load_problems(settings.problems)
    problems = every[: settings.limit] if settings.limit is not None else every
    by_id = {p.task_id: p for p in problems}
    outdir.prepare(out, asdict(settings), resume)
    samples_path, started = out / "samples.jsonl", time.monotonic()
    expected: int | dict[str, int]
    if settings.samples_file:
        expected = import_samples(Path(settings.samples_file), by_id, samples_path, settings,
                                  {p.task_id for p in every})
        if len(expected) < len(problems):  # the file covers some problems: pass@k is over those
            log(f"note: the samples file covers {len(expected)} of {len(problems)} problems; pass@k is over those "
                f"{len(expected)}")
        problems = [p for p in problems if p.task_id in expected]
        by_id = {p.task_id: p for p in problems}
    else:
        if backend is None:
            raise DataError("no backend to generate samples with")
        expected = settings.samples
        generate_samples(problems, settings, backend, samples_path, log)
    gen_seconds = time.monotonic() - started
    sandbox = sandbox or Sandbox(Limits(timeout_s=settings.timeout_s, memory_mb=settings.memory_mb))
    score_samples(by_id, samples_path, out / "results.jsonl", sandbox, log)
    summary = summarize(out, problems, expected, settings, sandbox)
    summary["seconds"] = {"generate": round(gen_seconds, 2), "total": round(time.monotonic() - started, 2)}
    atomic_write_json(out / "summary.json", summary)
    return summary


def sample_record(
    problem: Problem, index: int, raw: str, settings: EvalSettings | None = None, **extra: Any
) -> dict[str, Any]:
    """One samples.jsonl line: the model's raw text and the code extracted from it (as the settings' styles say)."""
    prompt_style = settings.prompt_style if settings else "evol"
    extract = postprocessor(settings.postprocess if settings else "evol")
    return {
        "task_id": problem.task_id,
        "sample_index": index,
        "raw": raw,
        "completion": extract(decode_response(raw, prompt_style), problem.entry_point),
        **extra,
    }


def gen_request(problem: Problem, index: int, settings: EvalSettings) -> GenRequest:
    """The request for one sample; WizardCoder's prompt is built whole here, evol's by the backend's template."""
    text = humaneval_prompt(problem.prompt, "wizardcoder") if settings.prompt_style == "wizardcoder" else ""
    return GenRequest(problem.task_id, problem.instruction, sample_index=index, prompt_text=text)


def generate_samples(
    problems: list[Problem], settings: EvalSettings, backend: Backend, path: Path, log: Callable[[str], None]
) -> None:
    """Ask the backend for every (problem, sample) not yet in samples.jsonl; append each as it comes."""
    have = outdir.done_keys(path)
    todo = [
        gen_request(p, i, settings) for p in problems for i in range(settings.samples) if (p.task_id, i) not in have
    ]
    if not todo:
        return
    log(f"generating {len(todo)} samples ({len(have)} already done) with {backend.name}")
    by_id = {p.task_id: p for p in problems}
    failures: dict[str, int] = {}
    with JsonlAppender(path) as sink:

        def on_result(res: GenResult) -> None:
            if res.error is not None:
                kind = res.error.split(":")[0]
                failures[kind] = failures.get(kind, 0) + 1
                return
            sink.write(
                sample_record(
                    by_id[res.key],
                    res.sample_index,
                    res.text,
                    settings,
                    finish_reason=res.finish_reason,
                    usage=res.usage,
                )
            )

        backend.generate(todo, settings.sampling(), on_result)
    if failures:
        log(f"warning: {sum(failures.values())} requests failed {failures}; rerun with --resume to retry them")


def import_samples(path: Path, by_id: dict[str, Problem], out_path: Path, settings: EvalSettings | None = None,
                   every: set[str] | None = None) -> dict[str, int]:
    """Copy a samples file ({"task_id", "completion"}) into samples.jsonl; returns the samples of each problem
    it covers (problems may have different counts). A task_id outside `every` (the benchmark's ids) is a
    DataError naming the line; one outside `by_id` (past --limit) is skipped.

    Each completion is treated exactly like model output (post-processed the same way).
    """
    if not path.exists():
        raise DataError(f"{path}: no such samples file")
    have = outdir.done_keys(out_path)
    counts: dict[str, int] = {}
    with JsonlAppender(out_path) as sink:
        for lineno, rec in enumerate(read_jsonl(path), start=1):
            task_id = str(rec.get("task_id"))
            if task_id not in by_id:
                if rec.get("task_id") is None:
                    raise DataError(f"{path}:{lineno}: no task_id")
                if every is not None and task_id not in every:
                    raise DataError(f"{path}:{lineno}: task_id {task_id!r} is not a problem of this benchmark")
                continue  # a problem outside --limit
            text = rec.get("completion", rec.get("raw", rec.get("response")))
            if not isinstance(text, str):
                raise DataError(f"{path}:{lineno}: needs a string 'completion'")
            index = int(rec.get("sample_index", counts.get(task_id, 0)))
            counts[task_id] = max(counts.get(task_id, 0), index + 1)
            if (task_id, index) not in have:
                sink.write(sample_record(by_id[task_id], index, text, settings))
                have.add((task_id, index))
    if not counts:
        raise DataError(f"{path}: no samples for these problems")
    return counts
