"""`evol reward serve`: the scorer behind a small local HTTP server, for RL trainers that call out.

    POST /score  {"items": [item, ...], "completions": [text, ...]}
              -> {"rewards": [float, ...], "results": [Reward.to_dict(), ...]}
    GET /health  -> {"ok": true, "workers": N}

Standard library only (`http.server`, one thread per request; the sandbox's worker slots bound the work).
Bind it to localhost: the server runs whatever code it is sent, in the sandbox.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from evol.reward import score
from evol.sandbox.settings import SandboxLike

MAX_BODY = 64 << 20


def make_server(sandbox: SandboxLike, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A server bound to (host, port) (port 0: any free one; `server.server_address` says which)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path == "/health":
                self._reply(200, {"ok": True, "workers": sandbox.workers})
            else:
                self._reply(404, {"error": "GET /health or POST /score"})

        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/score":
                self._reply(404, {"error": "POST /score"})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 < length <= MAX_BODY:
                    raise ValueError(f"a JSON body of 1 to {MAX_BODY} bytes is needed")
                body = json.loads(self.rfile.read(length))
                items, completions = body["items"], body["completions"]
                if not isinstance(items, list) or not isinstance(completions, list):
                    raise ValueError("items and completions are lists")
                rewards = score(items, completions, sandbox=sandbox)
            except (ValueError, KeyError, TypeError) as exc:
                self._reply(400, {"error": f"{type(exc).__name__}: {exc}"})
                return
            self._reply(200, {"rewards": [r.reward for r in rewards], "results": [r.to_dict() for r in rewards]})

        def _reply(self, code: int, obj: dict[str, Any]) -> None:
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
            pass  # quiet: one line per scored batch would drown a training log

    return ThreadingHTTPServer((host, port), Handler)
