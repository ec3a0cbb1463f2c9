"""Batch mode: write the requests a run needs next as an OpenAI Batch API file, submit and poll it, and
import its results (or those of `vllm run-batch` on the same file) into the run's response cache.

The run then completes from the cache, at the batch price. A run's requests depend on earlier answers
(a round's answers on its evolutions, a round's pool on the round before), so a run needs several
batches: `evol batch write` collects every request that can be known now (those whose inputs are all in
the cache, see `evol.plan.pending`), and each import moves that frontier on. custom_id is the
request's cache key.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from evol.llm.cache import ResponseCache
from evol.llm.retry import MalformedReply
from evol.llm.transport import api_key, parse_reply
from evol.llm.types import LLMRequest, LLMResult
from evol.rundir import RunDir


def batch_line(req: LLMRequest) -> dict[str, Any]:
    """One line of an OpenAI Batch API input file (also read by `vllm run-batch`)."""
    return {"custom_id": req.cache_key(), "method": "POST", "url": "/v1" + req.path(), "body": req.body()}


def write_files(requests: list[LLMRequest], run: RunDir) -> dict[str, Path]:
    """One input file per API path (a batch may hold one endpoint only), in the run's batch folder: {url: path}."""
    run.batch.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    handles: dict[str, Any] = {}
    try:
        for req in requests:
            line = batch_line(req)
            if line["url"] not in handles:
                files[line["url"]] = run.batch_requests(req.api)
                handles[line["url"]] = files[line["url"]].open("w", encoding="utf-8")
            handles[line["url"]].write(json.dumps(line, ensure_ascii=False) + "\n")
    finally:
        for fh in handles.values():
            fh.close()
    return files


def _api_of(body: dict[str, Any]) -> str:
    obj = str(body.get("object", ""))
    if obj.startswith("chat"):
        return "chat"
    choices = body.get("choices") or [{}]
    return "chat" if isinstance(choices[0], dict) and "message" in choices[0] else "completions"


def import_results(path: Path, cache: ResponseCache, *, model: str = "") -> dict[str, int]:
    """Put the successful lines of a batch output file into the cache; returns counts."""
    counts = {"imported": 0, "failed": 0, "malformed": 0}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                key = row["custom_id"]
                response = row.get("response") or {}
                if row.get("error") or int(response.get("status_code") or 0) != 200:
                    counts["failed"] += 1
                    continue
                body = response["body"]
                probe = LLMRequest(model or body.get("model", ""), _api_of(body))
                texts, finish, usage, served = parse_reply(body, probe)
            except (ValueError, KeyError, TypeError, MalformedReply):
                counts["malformed"] += 1
                continue
            result = LLMResult(texts[0], finish, usage, served, texts=texts if len(texts) > 1 else None)
            cache.put(key, result.to_cache(), model=served, stage="batch")
            counts["imported"] += 1
    return counts


def _sdk(base_url: str, api_key_env: str) -> Any:
    import openai

    return openai.OpenAI(base_url=base_url, api_key=api_key(api_key_env), max_retries=3)


def submit(files: dict[str, Path], base_url: str, api_key_env: str, *, window: str = "24h") -> list[dict[str, Any]]:
    """Upload each file and create its batch; returns [{url, file, input_file_id, batch_id, status}]."""
    sdk = _sdk(base_url, api_key_env)
    out = []
    for url, path in files.items():
        with path.open("rb") as fh:
            uploaded = sdk.files.create(file=fh, purpose="batch")
        batch = sdk.batches.create(input_file_id=uploaded.id, endpoint=url, completion_window=window)  # type: ignore[arg-type]
        out.append({"url": url, "file": str(path), "input_file_id": uploaded.id, "batch_id": batch.id,
                    "status": batch.status})
    return out


def poll(batches: list[dict[str, Any]], base_url: str, api_key_env: str, run: RunDir, cache: ResponseCache, *,
         wait: bool = False, every: float = 30.0, timeout: float = 86400.0) -> list[dict[str, Any]]:
    """Refresh each batch's status; download and import the output of the completed ones."""
    sdk = _sdk(base_url, api_key_env)
    until = time.monotonic() + timeout
    while True:
        for entry in batches:
            if entry.get("imported") is not None:
                continue
            batch = sdk.batches.retrieve(entry["batch_id"])
            entry["status"] = batch.status
            entry["request_counts"] = batch.request_counts.model_dump() if batch.request_counts else None
            if batch.status == "completed" and batch.output_file_id:
                out = run.batch_results(entry["batch_id"])
                out.write_bytes(sdk.files.content(batch.output_file_id).read())
                entry["output"] = str(out)
                entry["imported"] = import_results(out, cache)
        pending = [e for e in batches if e.get("imported") is None and e["status"] not in ("failed", "expired",
                                                                                            "cancelled")]
        if not wait or not pending or time.monotonic() > until:
            return batches
        time.sleep(every)
