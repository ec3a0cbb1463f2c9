"""The fixed job (evolve + answer, N seeds, one round) with distilabel's EvolInstruct, for bench/llm_peers.py.

Runs in bench/.venv-distilabel (distilabel 1.5.3), not in evol's venv. distilabel's knob for concurrency is the
batch: its LLM sends one input batch's requests together (asyncio.gather), so input_batch_size = the loader's
batch size = the concurrency. Prints one JSON line.
usage: python bench/distilabel_job.py BASE_URL SEEDS.jsonl N BATCH_SIZE WORK_DIR
"""

import json
import os
import sys
import time

started = time.perf_counter()
base_url, seeds_path, n, batch, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
os.environ["DISTILABEL_CACHE_DIR"] = work
os.environ.setdefault("OPENAI_API_KEY", "sk-no-key-needed")

from distilabel.models.llms import OpenAILLM  # noqa: E402
from distilabel.pipeline import Pipeline  # noqa: E402
from distilabel.steps import LoadDataFromDicts  # noqa: E402
from distilabel.steps.tasks import EvolInstruct  # noqa: E402

rows = []
with open(seeds_path, encoding="utf-8") as fh:
    for line in fh:
        if line.strip() and len(rows) < n:
            rows.append({"instruction": json.loads(line)["instruction"]})

with Pipeline(name="evol-bench", cache_dir=work) as pipeline:
    load = LoadDataFromDicts(data=rows, batch_size=batch)
    evolve = EvolInstruct(
        llm=OpenAILLM(model="evol-sim", base_url=base_url, api_key="sk-no-key-needed", timeout=120,
                      generation_kwargs={"temperature": 1.0, "top_p": 0.95, "max_new_tokens": 2048}),
        num_evolutions=1, generate_answers=True, input_batch_size=batch,
    )
    load >> evolve

job_started = time.perf_counter()
distiset = pipeline.run(use_cache=False)
job_seconds = time.perf_counter() - job_started
data = distiset["default"]["train"]
answers = sum(1 for r in data if r.get("answer"))
print(json.dumps({"rows": len(data), "answered": answers, "job_seconds": job_seconds,
                  "wall_seconds": time.perf_counter() - started}))
