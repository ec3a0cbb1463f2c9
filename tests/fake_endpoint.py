"""A tiny OpenAI-style endpoint in a thread of its own: every completion answers one status and body."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from aiohttp import web

Body = dict[str, Any] | Callable[[str], dict[str, Any]]  # a body, or one made from the key the request gave


@contextlib.contextmanager
def serving(status: int, body: Body, models: list[str] | None = None) -> Iterator[str]:
    """Yields the base URL. `models`: what GET /v1/models lists (None: no such route, a 404)."""

    async def reply(request: web.Request) -> web.Response:
        key = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return web.json_response(body(key) if callable(body) else body, status=status)

    async def listing(_: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": m, "object": "model"} for m in models or ()]})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", reply)
    if models is not None:
        app.router.add_get("/v1/models", listing)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.run_until_complete(runner.cleanup())
        loop.close()
