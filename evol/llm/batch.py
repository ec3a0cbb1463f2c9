"""Batch mode: write the requests a run needs next as an OpenAI Batch API file, submit and poll it, and
import its results (or those of `vllm run-batch` on the same file) into the run's response cache.

The run then completes from the cache, at the batch price. A run's requests depend on earlier answers
(a round's answers on its evolutions, a round's pool on the round before), so a run needs several
batches: `evol batch write` collects every request that can be known now (those whose inputs are all in
the cache), and each import moves that frontier on. custom_id is the request's cache key.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from evol.llm.cache import ResponseCache
from evol.llm.retry import MalformedReply
from evol.llm.transport import api_key, parse_reply
from evol.llm.types import LLMFailure, LLMRequest, LLMResult
from evol.llm.usage import UsageLedger

DEFERRED = "deferred"  # the failure kind of a request that waits for a batch (only seen in the scratch run)


def batch_line(req: LLMRequest) -> dict[str, Any]:
    """One line of an OpenAI Batch API input file (also read by `vllm run-batch`)."""
    return {"custom_id": req.cache_key(), "method": "POST", "url": "/v1" + req.path(), "body": req.body()}


class BatchCollector:
    """Stands in for LLMClient during a scratch run: answers from the cache, records every miss.

    A miss fails its item with kind "deferred" (in the scratch copy only). Requests of a round after one
    that had a miss are not recorded: they would start from an incomplete pool.
    """

    def __init__(self, cache_path: Path | None) -> None:
        self.cache = ResponseCache(cache_path) if cache_path and cache_path.exists() else None
        self.requests: dict[str, LLMRequest] = {}
        self.ledger = UsageLedger()
        self.hits = 0
        self.first_deferred_round: int | None = None

    async def complete(self, req: LLMRequest) -> LLMResult:
        key = req.cache_key()
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            self.hits += 1
            return LLMResult.from_cache(hit)
        rnd = req.round if req.round is not None else 0
        if self.first_deferred_round is None or rnd <= self.first_deferred_round:
            self.first_deferred_round = rnd if self.first_deferred_round is None else min(self.first_deferred_round,
                                                                                            rnd)
            self.requests[key] = req
        raise LLMFailure(DEFERRED, "waits for a batch")

    def snapshot(self) -> list[dict[str, Any]]:
        return []

    async def aclose(self) -> None:
        if self.cache is not None:
            self.cache.close()


def _scratch_copy(run_dir: Path, scratch: Path) -> None:
    """The run's journals and state, without its cache (read in place) and manifest (it names the run dir)."""
    if run_dir.exists():
        shutil.copytree(run_dir, scratch, ignore=shutil.ignore_patterns("cache.sqlite*", "batch", "manifest.json"))
    else:
        scratch.mkdir(parents=True)


class _Factory:
    """Builds the given client whichever way the pipeline asks for one."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.client

    def from_settings(self, *args: Any, **kwargs: Any) -> Any:
        return self.client


def collect(cfg: Any) -> tuple[list[LLMRequest], dict[str, Any]]:
    """The requests the run needs next and are not cached yet (runs the pipeline on a scratch copy)."""
    from rich.console import Console

    from evol.pipeline import run

    run_dir = cfg.run_dir()
    collector = BatchCollector(run_dir / "cache.sqlite")
    with tempfile.TemporaryDirectory(prefix="evol-batch-") as tmp:
        scratch = Path(tmp) / run_dir.name
        _scratch_copy(run_dir, scratch)
        update: dict[str, Any] = {"out_dir": tmp, "name": run_dir.name}
        if not cfg.endpoint.base_url:
            update["endpoint"] = cfg.endpoint.model_copy(update={"base_url": "http://batch.invalid/v1"})
        scratch_cfg = cfg.model_copy(update=update)
        run(scratch_cfg, Console(file=io.StringIO(), width=132), client_factory=_Factory(collector))
    summary = {"requests": len(collector.requests), "cache_hits": collector.hits,
               "round": collector.first_deferred_round,
               "by_stage": _count(r.stage for r in collector.requests.values())}
    return list(collector.requests.values()), summary


def _count(items: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return dict(sorted(out.items()))


def write_files(requests: list[LLMRequest], folder: Path) -> dict[str, Path]:
    """One input file per API path (a batch may hold one endpoint only): {url: path}."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    handles: dict[str, Any] = {}
    try:
        for req in requests:
            line = batch_line(req)
            if line["url"] not in handles:
                name = "requests-chat.jsonl" if req.api == "chat" else "requests-completions.jsonl"
                files[line["url"]] = folder / name
                handles[line["url"]] = (folder / name).open("w", encoding="utf-8")
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


def poll(batches: list[dict[str, Any]], base_url: str, api_key_env: str, folder: Path, cache: ResponseCache, *,
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
                out = folder / f"results-{entry['batch_id']}.jsonl"
                out.write_bytes(sdk.files.content(batch.output_file_id).read())
                entry["output"] = str(out)
                entry["imported"] = import_results(out, cache)
        pending = [e for e in batches if e.get("imported") is None and e["status"] not in ("failed", "expired",
                                                                                            "cancelled")]
        if not wait or not pending or time.monotonic() > until:
            return batches
        time.sleep(every)
