"""The demo recipe, default settings, against a reasoning teacher: no llm_error, no thinking in the data,
reasoning tokens counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evol.pipeline import run
from evol.pricing import Price, round_cost
from evol.sim.launch import SimProcess
from tests.helpers import demo_config

THINKING = ("<think>", "</think>", "Step 1: consider", "The request ends with")


@pytest.mark.parametrize("think", ["inline", "field"])
def test_the_demo_against_a_reasoning_teacher(tmp_path: Path, think: str) -> None:
    out = tmp_path / think
    with SimProcess("--dialect", "reasoning", "--think", think) as teacher:
        run(demo_config(out, **{"endpoint.base_url": teacher.base_url, "endpoint.model": "evol-sim",
                                "limit": 8, "rounds": 1, "decontam.enabled": False}))
    records = [json.loads(line) for p in out.glob("round-*/*ed.jsonl") if p.name != "evolved.jsonl"
               for line in p.read_text().splitlines()]
    assert records and not any(r.get("reason", "").startswith("llm_error") for r in records)
    for r in records:
        for field in ("instruction", "output"):
            assert not any(t in (r.get(field) or "") for t in THINKING), (field, r[field])
    train = json.loads((out / "train.json").read_text())
    assert train and not any(t in row["instruction"] + row["output"] for row in train for t in THINKING)
    stats = [json.loads((out / f"round-0{i}" / "stats.json").read_text()) for i in (0, 1)]
    for st in stats:
        usage = st["llm_calls_this_process"]
        assert all(u["reasoning_tokens"] > 0 for u in usage.values()), usage
        assert all(u["completion_tokens"] > u["reasoning_tokens"] for u in usage.values())  # counted within
        assert st["tokens"]["answer_reasoning_tokens"] > 0  # the funnel's token table carries them too
    assert not any(r.get("reasoning") for r in records)  # [reasoning] keep is off by default: dropped
    thinking = sum(u["reasoning_tokens"] for u in stats[1]["llm_calls_this_process"].values())
    assert round_cost(stats[1], Price("evol-sim", 0.0, 1.0)) * 1e6 >= thinking  # billed as output
