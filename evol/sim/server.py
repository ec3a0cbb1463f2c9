"""The sim's HTTP server (aiohttp): /v1/chat/completions, /v1/completions, /v1/models, /health, /stats."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from evol.sim.dialect import refusal, shape
from evol.sim.faults import SimOptions
from evol.sim.mark import SYNTHETIC_HEADER
from evol.sim.responder import count_tokens, respond


class Sim:
    def __init__(self, opts: SimOptions) -> None:
        self.opts = opts
        self.rng = random.Random(opts.seed)
        self.counts: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.queue = asyncio.Semaphore(opts.capacity) if opts.capacity and opts.overload == "queue" else None
        self._log = Path(opts.log_path).open("a", encoding="utf-8") if opts.log_path else None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.on_response_prepare.append(_mark_synthetic)  # every reply, errors included, says what it is
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_post("/v1/completions", self.completions)
        app.router.add_get("/v1/models", self.models)
        app.router.add_get("/health", self.health)
        app.router.add_get("/stats", self.stats)
        from evol.sim.batch import BatchAPI

        BatchAPI(self).register(app)
        return app

    async def health(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def models(self, request: web.Request) -> web.Response:
        if (refused := self._key_refused(request)) is not None:
            return refused
        return web.json_response({"object": "list", "data": [{"id": self.opts.model, "object": "model",
                                                               "owned_by": "evol-sim", "synthetic": True}]})

    async def stats(self, _: web.Request) -> web.Response:
        return web.json_response({"counts": dict(self.counts), "max_in_flight": self.max_in_flight})

    async def chat(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, chat=True)

    async def completions(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, chat=False)

    async def _serve(self, request: web.Request, *, chat: bool) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw)
            prompt = prompt_of(body, chat)
        except (ValueError, KeyError, TypeError, AttributeError):
            self.counts["bad_request"] += 1
            return web.json_response({"error": {"message": "malformed request", "type": "invalid_request_error"}},
                                     status=400)
        self.counts["requests"] += 1
        if (refused := self._key_refused(request)) is not None:
            return refused
        if self.opts.quota_after is not None and self.counts["ok"] >= self.opts.quota_after:
            return self._error(429, "You exceeded your current quota", code="insufficient_quota")
        if (refused := refusal(body, self.opts.dialect)) is not None:
            self.counts["bad_param"] += 1
            return web.json_response({"error": {"message": refused.message, "type": "invalid_request_error",
                                                "param": refused.param, "code": refused.code}}, status=400)
        if self.opts.p429 and self.rng.random() < self.opts.p429:
            return self._error(429, "rate limited")  # rate limits answer at once, before any work
        cap = self.opts.capacity
        if cap and self.opts.overload != "queue" and self.in_flight >= cap:
            status = int(self.opts.overload)
            self.counts[f"overload_{status}"] += 1
            return self._error(status, "server overloaded")
        if self.queue is not None:
            async with self.queue:
                return await self._handle(request, raw, body, prompt, chat)
        return await self._handle(request, raw, body, prompt, chat)

    async def _handle(self, request: web.Request, raw: bytes, body: dict, prompt: str,
                      chat: bool) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            o, r = self.opts, self.rng.random
            # The reply is built before the wait, as a real server computes during its latency: replies that
            # come due together then leave together instead of queueing behind each other's JSON work.
            text, reply = self._answer(body, prompt, chat)
            payload = json.dumps(reply)
            delay = o.latency + (r() * o.jitter if o.jitter else 0.0)
            if o.pslow and r() < o.pslow:
                delay *= 10
            if delay:
                await asyncio.sleep(delay)
            if o.p500 and r() < o.p500:
                return self._error(500, "internal error")
            if o.p503 and r() < o.p503:
                return self._error(503, "unavailable")
            if o.pdrop and r() < o.pdrop:
                self.counts["dropped"] += 1
                if request.transport is not None:
                    request.transport.close()
                raise web.HTTPServiceUnavailable()
            if o.pmalformed and r() < o.pmalformed:
                self.counts["malformed"] += 1
                return web.Response(text='{"id": "cmpl-broken", "choices": [', content_type="application/json")
            if o.ptruncate and r() < o.ptruncate:
                message = reply["choices"][0].get("message") or {}
                payload = json.dumps(self._reply(prompt, text[: len(text) // 2], "length", chat,
                                                 message.get("reasoning_content"), _reasoning_tokens(reply)))
                self.counts["truncated"] += 1
            self.counts["ok"] += 1
            self._served(request, raw)
            return web.Response(text=payload, content_type="application/json")
        finally:
            self.in_flight -= 1

    def _key_refused(self, request: web.Request) -> web.Response | None:
        """The 401 for a request without the key the sim was started with (None: let it in)."""
        if self.opts.api_key is None or request.headers.get("Authorization") == f"Bearer {self.opts.api_key}":
            return None
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        # echoes the key it was given, as some servers do: the client must keep it out of its logs
        return self._error(401, f"Incorrect API key provided: {given}", code="invalid_api_key")

    def close(self) -> None:
        if self._log is not None:
            self._log.close()

    def _served(self, request: web.Request, raw: bytes) -> None:
        """Log a successful reply (hash of the request body), unless its client is already gone."""
        if self._log is None:
            return
        if request.transport is None or request.transport.is_closing():
            self.counts["abandoned"] += 1
            return
        self._log.write(hashlib.sha256(raw).hexdigest()[:16] + "\n")
        self._log.flush()

    def _error(self, status: int, message: str, code: str | None = None) -> web.Response:
        self.counts[f"http_{status}" if code is None else code] += 1
        headers = {}
        if status == 429 and self.opts.retry_after is not None and code is None:
            headers["retry-after-ms"] = str(int(self.opts.retry_after * 1000))
            headers["retry-after"] = str(max(1, math.ceil(self.opts.retry_after)))
        kind = code or ("rate_limit_exceeded" if status == 429 else "server_error")
        return web.json_response({"error": {"message": message, "type": kind, "code": kind}},
                                 status=status, headers=headers)

    def answer(self, body: dict, chat: bool) -> dict:
        """The fault-free reply to a request body (used by the batch endpoints)."""
        return self._answer(body, prompt_of(body, chat), chat)[1]

    def _answer(self, body: dict, prompt: str, chat: bool) -> tuple[str, dict]:
        """The reply content (cut at the output cap, finish_reason "length") and the whole reply body.

        The sim's dialect (evol.sim.dialect) decides how thinking shows and whether the reply is JSON.
        """
        content, thought, finish, thought_tokens = shape(body, self.opts.dialect, prompt,
                                                            respond(prompt, body.get("seed")))
        reply = self._reply(prompt, content, finish, chat, thought, thought_tokens)
        for i in range(1, int(body.get("n") or 1)):  # n choices: each its own draw, as a sampling server's
            text, thought, finish, tokens = shape(body, self.opts.dialect, prompt,
                                                  respond(prompt, f"{body.get('seed')}#{i}"))
            more = self._reply(prompt, text, finish, chat, thought, tokens)
            reply["choices"].append({**more["choices"][0], "index": i})
            for key in ("completion_tokens", "total_tokens"):
                reply["usage"][key] += more["usage"]["completion_tokens"]
        return content or "", reply

    def _reply(self, prompt: str, text: str | None, finish: str, chat: bool, reasoning: str | None = None,
               reasoning_tokens: int = 0) -> dict:
        inline = self.opts.dialect.think == "inline"
        completion = count_tokens(text) if text else 0
        usage: dict = {"prompt_tokens": count_tokens(prompt),
                       "completion_tokens": completion + (0 if inline else reasoning_tokens)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if self.opts.dialect.dialect == "reasoning":
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
        rid = hashlib.sha256((prompt + (text or "")).encode()).hexdigest()[:24]
        if chat:
            message = {"role": "assistant", "content": text}
            if reasoning is not None:
                message["reasoning_content"] = reasoning
            choice = {"index": 0, "message": message, "finish_reason": finish}
            return {"id": f"chatcmpl-{rid}", "object": "chat.completion", "created": int(time.time()),
                    "model": self.opts.model, "choices": [choice], "usage": usage}
        choice = {"index": 0, "text": text or "", "finish_reason": finish, "logprobs": None}
        if reasoning is not None:
            choice["reasoning_content"] = reasoning
        return {"id": f"cmpl-{rid}", "object": "text_completion", "created": int(time.time()),
                "model": self.opts.model, "choices": [choice], "usage": usage}


async def _mark_synthetic(_: web.Request, response: web.StreamResponse) -> None:
    response.headers[SYNTHETIC_HEADER] = "true"


def _reasoning_tokens(reply: dict) -> int:
    return int((reply["usage"].get("completion_tokens_details") or {}).get("reasoning_tokens") or 0)


def prompt_of(body: dict, chat: bool) -> str:
    """The text a request asks about: its messages' contents, or its prompt."""
    if chat:
        return "\n".join(m.get("content") or "" for m in body["messages"])
    return body["prompt"] if isinstance(body["prompt"], str) else "\n".join(body["prompt"])


async def start(opts: SimOptions) -> tuple[web.AppRunner, Sim, int]:
    """Start the sim in the running loop (tests use it in-process); returns its runner, state and port."""
    sim = Sim(opts)
    runner = web.AppRunner(sim.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, opts.host, opts.port, backlog=4096)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, sim, port


async def serve(opts: SimOptions, port_file: Path | None = None, ready: asyncio.Event | None = None,
                announce: Callable[[int], None] | None = None) -> None:
    """Run the sim until cancelled; writes the bound port to `port_file` (and calls `announce`) once listening."""
    runner, sim, port = await start(opts)
    if announce is not None:
        announce(port)
    if port_file is not None:
        tmp = port_file.with_suffix(".tmp")
        tmp.write_text(str(port))
        tmp.replace(port_file)
    if ready is not None:
        ready.set()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        sim.close()
