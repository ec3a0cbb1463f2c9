"""The requests a run still needs: its frontier, for batch mode.

The rounds of a scratch copy of the run folder are replayed with a client that answers from the run's
cache alone (`evol.llm.cache_only`); every request it cannot answer, in the earliest round that has
any, is one the run needs next. Requests of later rounds cannot be known yet: they depend on these.
"""

from __future__ import annotations

import io
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console

from evol.config import PipelineConfig
from evol.llm.cache_only import CacheOnlyClient
from evol.llm.types import LLMRequest
from evol.pipeline import effective_model, run_rounds
from evol.rundir import RunDir


def collect(cfg: PipelineConfig) -> tuple[list[LLMRequest], dict[str, Any]]:
    """(requests the run needs next and are not cached yet, summary: requests, cache_hits, round, by_stage)."""
    files = RunDir(cfg.run_dir())
    client = CacheOnlyClient(files.cache)  # read in place; the copy holds no cache, manifest or batch files
    with tempfile.TemporaryDirectory(prefix="evol-batch-") as tmp:
        files.copy_state(Path(tmp) / files.path.name)
        scratch_cfg = cfg.model_copy(update={"out_dir": tmp, "name": files.path.name})
        run_rounds(scratch_cfg, client, effective_model(cfg), Console(file=io.StringIO(), width=132))
    requests = list(client.requests.values())
    summary = {"requests": len(requests), "cache_hits": client.hits, "round": client.first_deferred_round,
               "by_stage": dict(sorted(Counter(r.stage for r in requests).items()))}
    return requests, summary
