"""`evol infer`: decode a JSONL of instructions with the training prompt and write the responses.

Input lines: {"idx", "Instruction"} (WizardCoder's eval files) or {"instruction"[, "input"][, "id"]}.
Output lines: {"id", "instruction", "response", "finish_reason", "usage"}, in input order. Responses are
journaled to OUT.partial as they arrive, so an interrupted run continues where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from evol.errors import DataError
from evol.eval.backends import Backend, GenRequest, GenResult, Sampling
from evol.io import JsonlAppender, atomic_write_jsonl, read_jsonl


def read_instructions(path: Path) -> tuple[list[GenRequest], dict[str, Any]]:
    """One request per input line, and each request key's original id (idx/id, else the line number)."""
    if not path.exists():
        raise DataError(f"{path}: no such file")
    requests: list[GenRequest] = []
    ids: dict[str, Any] = {}
    for n, rec in enumerate(read_jsonl(path)):
        text = rec.get("instruction", rec.get("Instruction"))
        if not isinstance(text, str) or not text.strip():
            raise DataError(f"{path}:{n + 1}: needs a non-empty 'instruction' (or 'Instruction')")
        key = rec.get("idx", rec.get("id", n))
        if str(key) in ids:
            raise DataError(f"{path}:{n + 1}: duplicate id {key!r}")
        ids[str(key)] = key
        requests.append(GenRequest(str(key), text, str(rec.get("input") or "")))
    return requests, ids


def infer(
    in_path: Path, out_path: Path, backend: Backend, sampling: Sampling, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Decode every instruction not yet answered; returns counts (written, failed, reused)."""
    requests, ids = read_instructions(in_path)
    partial = out_path.with_name(out_path.name + ".partial")
    done = {str(r["id"]): r for r in read_jsonl(partial, tolerate_partial_tail=True)} if partial.exists() else {}
    todo = [r for r in requests if r.key not in done]
    by_key = {r.key: r for r in requests}
    failed: dict[str, str] = {}
    if todo:
        log(f"decoding {len(todo)} instructions with {backend.name} ({len(done)} already done)")
        with JsonlAppender(partial) as sink:

            def on_result(res: GenResult) -> None:
                if res.error is not None:
                    failed[res.key] = res.error
                    return
                rec = {
                    "id": ids[res.key],
                    "instruction": by_key[res.key].instruction,
                    "response": res.text,
                    "finish_reason": res.finish_reason,
                    "usage": res.usage,
                }
                done[res.key] = rec
                sink.write(rec)

            backend.generate(todo, sampling, on_result)
    ordered = [done[r.key] for r in requests if r.key in done]
    atomic_write_jsonl(out_path, ordered)
    if not failed:
        partial.unlink(missing_ok=True)
    return {
        "written": len(ordered),
        "failed": len(failed),
        "reused": len(requests) - len(todo),
        "errors": sorted(set(failed.values()))[:5],
    }
