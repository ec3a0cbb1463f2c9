"""The sim's batch side: answering batch input lines, and a small OpenAI Files + Batches API.

A batch is answered at once when it is created (status "completed"), fault-free. The server that mounts
the API passes itself in as the ``Answerer``; this module never imports it (`evol.sim.offline` answers
a batch file without a server, like `vllm run-batch`).
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any, Protocol

from aiohttp import web


class Answerer(Protocol):
    """What answers a batch line: the sim's fault-free reply to a request body."""

    def answer(self, body: dict[str, Any], chat: bool) -> dict[str, Any]: ...


def answer_line(sim: Answerer, line: dict[str, Any]) -> dict[str, Any]:
    """One output line for one input line of a batch file (the OpenAI / vLLM output shape)."""
    rid = hashlib.sha256(line["custom_id"].encode()).hexdigest()[:16]
    url = line.get("url", "")
    if url not in ("/v1/chat/completions", "/v1/completions"):
        return {"id": f"batch_req_{rid}", "custom_id": line["custom_id"], "response": None,
                "error": {"code": "invalid_url", "message": f"unsupported url {url!r}"}}
    body = sim.answer(line["body"], chat=url.endswith("chat/completions"))
    return {"id": f"batch_req_{rid}", "custom_id": line["custom_id"],
            "response": {"status_code": 200, "request_id": rid, "body": body}, "error": None}


def answer_text(sim: Answerer, text: str) -> str:
    return "".join(json.dumps(answer_line(sim, json.loads(ln))) + "\n" for ln in text.splitlines() if ln.strip())


class BatchAPI:
    """POST /v1/files, GET /v1/files/{id}/content, POST /v1/batches, GET /v1/batches/{id}."""

    def __init__(self, sim: Answerer) -> None:
        self.sim = sim
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}

    def register(self, app: web.Application) -> None:
        app.router.add_post("/v1/files", self.upload)
        app.router.add_get("/v1/files/{id}/content", self.content)
        app.router.add_post("/v1/batches", self.create)
        app.router.add_get("/v1/batches/{id}", self.retrieve)

    def _file(self, data: bytes, purpose: str, name: str) -> dict[str, Any]:
        fid = f"file-{len(self.files) + 1:06d}"
        self.files[fid] = data
        return {"id": fid, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                "filename": name, "purpose": purpose, "status": "processed"}

    async def upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form.get("file")
        if upload is None or not hasattr(upload, "file"):
            return web.json_response({"error": {"message": "no file", "type": "invalid_request_error"}}, status=400)
        return web.json_response(self._file(upload.file.read(), str(form.get("purpose", "batch")),
                                            upload.filename or "upload.jsonl"))

    async def content(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["id"])
        if data is None:
            return web.json_response({"error": {"message": "no such file", "type": "not_found"}}, status=404)
        return web.Response(body=data, content_type="application/jsonl")

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        data = self.files.get(body.get("input_file_id", ""))
        if data is None:
            return web.json_response({"error": {"message": "no such file", "type": "not_found"}}, status=404)
        out = answer_text(self.sim, data.decode("utf-8")).encode("utf-8")
        output = self._file(out, "batch_output", "output.jsonl")
        n = out.count(b"\n")
        bid = f"batch_{len(self.batches) + 1:06d}"
        now = int(time.time())
        self.batches[bid] = {
            "id": bid, "object": "batch", "endpoint": body.get("endpoint"), "errors": None,
            "input_file_id": body["input_file_id"], "completion_window": body.get("completion_window", "24h"),
            "status": "completed", "output_file_id": output["id"], "error_file_id": None, "created_at": now,
            "completed_at": now, "request_counts": {"total": n, "completed": n, "failed": 0}, "metadata": None,
        }
        return web.json_response(self.batches[bid])

    async def retrieve(self, request: web.Request) -> web.Response:
        batch = self.batches.get(request.match_info["id"])
        if batch is None:
            return web.json_response({"error": {"message": "no such batch", "type": "not_found"}}, status=404)
        return web.json_response(batch)
