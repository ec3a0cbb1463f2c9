"""A real third-party server: Hugging Face `transformers serve` with a tiny random model built here.

The server is started through its command line (`transformers serve MODEL --port 0 ...`), the public
interface, never through transformers' internal classes, which change between releases.

The model and its tokenizer are made from scratch at test time (tests/servers/tiny_model.py); nothing comes
from a hub (HF_HUB_OFFLINE=1). The tiny model writes word salad: the run must finish with every item
accounted for, and what it wrote rejected with reasons, or kept non-empty, never stored empty.

Incompatibilities found (transformers 5.x serve):
  - `response_format` is accepted and ignored (logged as an unused field): a JSON schema is not enforced,
    so evol marks such replies `structured = False` unless their text parses as a JSON object;
  - `top_p` is ignored when sampling is off for the model's generation config (a warning, not an error);
  - without continuous batching it generates one request at a time: keep max_tokens small against it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO
from tests.servers.helpers import Server, check_accounted, port_in_log, short_run

NEEDS = ("fastapi", "uvicorn", "transformers", "torch")


@pytest.mark.slow
def test_a_short_run_against_transformers_serve(tmp_path: Path) -> None:
    missing = [m for m in NEEDS if importlib.util.find_spec(m) is None]
    assert not missing, f"missing {missing}: run `make install` (the dev extra has fastapi and uvicorn)"
    model, log = tmp_path / "tiny", tmp_path / "server.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    server = Server([sys.executable, "-m", "tests.servers.serve_tiny", str(model),
                     str(REPO / "data/seeds/code_seeds.jsonl")], log, port_in_log(log), env)
    try:
        url = server.wait()
        short_run(tmp_path / "run", url, str(model), **{"sampling.max_tokens": 32, "decontam.enabled": False})
    finally:
        server.stop()
    kept, rejected = check_accounted(tmp_path / "run")
    assert kept or rejected
    assert not any(r["reason"].startswith("llm_error") for r in rejected), [r["reason"] for r in rejected]
    assert "POST /v1/chat/completions" in server.tail(100_000)  # the run really talked to transformers serve
