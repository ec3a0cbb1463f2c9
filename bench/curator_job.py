"""The fixed job (evolve + answer, one round) with bespokelabs-curator 0.1.31, for bench/llm_peers.py.

Runs in bench/.venv-curator, not in evol's venv. Curator's way: one ``curator.LLM`` per step over the whole
dataset (all evolutions, then all answers), online mode, the OpenAI backend pointed at the sim. Its documented
knobs for a concurrency target: ``max_concurrent_requests`` (64 here) with request/token rate limits set high
enough never to bind (it otherwise reads them from response headers, or falls back to 200 requests/min).
The prompts are evol's own files, so the sim serves every tool the same work. Prints one JSON line.
usage: python bench/curator_job.py BASE_URL SEEDS.jsonl N CONCURRENCY WORK_DIR
"""

import json
import os
import sys
from pathlib import Path

base_url, seeds_path, n, concurrency, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
prompts = Path(__file__).resolve().parents[1] / "prompts"
os.environ["CURATOR_CACHE_DIR"] = work  # a fresh cache: nothing is reused between runs
os.environ.setdefault("TELEMETRY_ENABLED", "false")
os.environ.setdefault("CURATOR_DISABLE_RICH_DISPLAY", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# No network here: tiktoken's cl100k_base comes from the copy litellm (a curator dependency) ships.
import litellm  # noqa: E402

os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(Path(litellm.__file__).parent / "litellm_core_utils" / "tokenizers"))

from bespokelabs import curator  # noqa: E402

EVOLVE = (prompts / "evolve_code.txt").read_text(encoding="utf-8")
METHOD = (prompts / "methods" / "code" / "add_constraints.txt").read_text(encoding="utf-8").strip()
ANSWER = (prompts / "answer.txt").read_text(encoding="utf-8")
SETTINGS = {
    "model_name": "evol-sim",
    "backend": "openai",
    "generation_params": {"temperature": 1.0, "top_p": 0.95, "max_tokens": 2048},
    "backend_params": {
        "base_url": base_url,
        "api_key": "sk-no-key-needed",
        "max_concurrent_requests": concurrency,
        "max_requests_per_minute": 1_000_000,
        "max_tokens_per_minute": 1_000_000_000,
        "request_timeout": 120,
    },
}


class Evolve(curator.LLM):
    def prompt(self, row):
        return EVOLVE.format(method=METHOD, instruction=row["instruction"])

    def parse(self, row, response):
        return {"parent": row["instruction"], "instruction": response}


class Answer(curator.LLM):
    def prompt(self, row):
        return ANSWER.format(instruction=row["instruction"])

    def parse(self, row, response):
        return {**row, "output": response}


rows = []
with open(seeds_path, encoding="utf-8") as fh:
    for line in fh:
        if line.strip() and len(rows) < n:
            rows.append({"instruction": json.loads(line)["instruction"]})

evolved = Evolve(**SETTINGS)(rows)
answered = Answer(**SETTINGS)(evolved.dataset)
data = answered.dataset
print(json.dumps({"rows": len(data), "answered": sum(1 for r in data if r.get("output"))}))
