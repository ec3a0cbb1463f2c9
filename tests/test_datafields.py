"""What a resume must agree on: fields marked NotData on the config models stay out of the data digest;
a different data config is refused naming its keys; raising --rounds extends a finished run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from evol.config import PipelineConfig
from evol.datafields import NotData, data_view, differences, is_data
from evol.errors import ConfigError
from evol.pipeline import data_config, data_digest, run
from tests.helpers import REPO, demo_config

SMALL = {"limit": 6, "decontam.enabled": False}


class _Section(BaseModel):
    speed: NotData[int] = Field(1, ge=1)
    size: int = 2


class _Config(BaseModel):
    where: NotData[str] = "here"
    what: str = "x"
    section: _Section = _Section()


def test_the_data_view_follows_the_marker_on_the_model() -> None:
    assert data_view(_Config()) == {"what": "x", "section": {"size": 2}}
    assert _Section.model_fields["speed"].metadata[0].ge == 1  # the marker keeps the field's constraints

    class Unmarked(_Config):
        where: str = "here"  # the same field without the marker shapes the data

    assert data_view(Unmarked()) == {"where": "here", "what": "x", "section": {"size": 2}}


def test_operational_fields_leave_the_digest_alone_and_data_fields_change_it() -> None:
    base = PipelineConfig()
    assert not is_data(PipelineConfig, "rounds") and is_data(PipelineConfig, "seed")
    same = PipelineConfig.model_validate({"rounds": 7, "name": "other", "cache": False,
                                          "prices": {"m": {"input": 1.0, "output": 2.0}},
                                          "endpoint": {"concurrency": 3, "timeout": 5, "transport": "openai-httpx"}})
    assert data_digest(same) == data_digest(base) and same.digest() != base.digest()
    for change in ({"seed": 1}, {"sampling": {"temperature": 0.5}}, {"dedup": {"threshold": 0.8}},
                   {"eliminate": {"judge": True}}):
        assert data_digest(PipelineConfig.model_validate(change)) != data_digest(base), change
    online = PipelineConfig.model_validate({"endpoint": {"base_url": "http://127.0.0.1:9/v1"}})
    assert data_digest(online) != data_digest(base)  # the sim's model answers when no endpoint is set
    other = PipelineConfig.model_validate({"endpoint": {"base_url": "http://127.0.0.1:9/v1", "model": "other"}})
    assert data_digest(other) != data_digest(online)


def test_differences_name_the_dotted_keys() -> None:
    old = data_config(PipelineConfig())
    new = data_config(PipelineConfig.model_validate({"seed": 4, "sampling": {"top_p": 0.5}}))
    assert differences(old, new) == ["sampling.top_p: 0.95 -> 0.5", "seed: 0 -> 4"]
    assert differences(old, old) == []


def test_a_resume_with_another_data_config_is_refused_naming_the_keys(tmp_path: Path) -> None:
    out = tmp_path / "run"
    run(demo_config(out, rounds=0, **SMALL))
    changed = demo_config(out, rounds=0, **SMALL, **{"sampling.temperature": 0.3, "eliminate.min_words": 5,
                                                     "endpoint.concurrency": 2})
    with pytest.raises(ConfigError) as err:
        run(changed)
    assert "sampling.temperature: 1.0 -> 0.3" in str(err.value) and "eliminate.min_words: 4 -> 5" in str(err.value)
    assert "concurrency" not in str(err.value) and str(out) in str(err.value)


def test_raising_rounds_extends_a_finished_run_with_the_new_rounds_only(tmp_path: Path) -> None:
    out = tmp_path / "grown"
    first = run(demo_config(out, rounds=1, **SMALL))
    assert len(first.stats) == 2
    before = {p.relative_to(out): (p.read_bytes(), p.stat().st_mtime_ns) for p in out.glob("round-0[01]/*")}
    grown = run(demo_config(out, rounds=2, **SMALL))
    assert [s["round"] for s in grown.stats] == [0, 1, 2]
    assert {p.relative_to(out): (p.read_bytes(), p.stat().st_mtime_ns) for p in out.glob("round-0[01]/*")} == before
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "finished" and {u["round"] for u in manifest["usage"]} == {"2"}
    fresh = run(demo_config(tmp_path / "fresh", rounds=2, **SMALL))
    assert (out / "train.json").read_bytes() == (fresh.run_dir / "train.json").read_bytes()
    with pytest.raises(ConfigError, match="rounds: this run already finished round 2"):
        run(demo_config(out, rounds=1, **SMALL))


def test_a_difference_inside_a_table_names_the_one_value() -> None:
    """A changed method weight is named as itself, not as two cut-off copies of the whole methods table."""
    old = data_config(PipelineConfig())
    weights = dict(old["evolve"]["methods"])
    changed = next(iter(weights))
    new = data_config(PipelineConfig.model_validate({"evolve": {"methods": {**weights, changed: 0.123}}}))
    assert differences(old, new) == [f"evolve.methods.{changed}: {json.dumps(weights[changed])} -> 0.123"]


def test_a_shipped_recipe_resumes_from_another_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same seed file spelled two ways (relative here, the shipped copy's absolute path elsewhere) is the same
    data: the run resumes; a seed file with other bytes is still refused, naming seeds.paths."""
    from evol.pipeline import same_seed_files

    shipped = REPO / "data" / "seeds" / "code_seeds.jsonl"
    here = data_config(PipelineConfig())
    assert here["seeds"]["paths"] == ["data/seeds/code_seeds.jsonl"]
    monkeypatch.chdir(REPO)
    elsewhere = data_config(PipelineConfig.model_validate({"seeds": {"paths": [str(shipped)]}}))
    assert same_seed_files(here, elsewhere) and same_seed_files(elsewhere, here)
    other = tmp_path / "seeds.jsonl"
    other.write_bytes(shipped.read_bytes() + b'{"instruction": "one more"}\n')
    changed = data_config(PipelineConfig.model_validate({"seeds": {"paths": [str(other)]}}))
    assert not same_seed_files(here, changed)
    also_seed = data_config(PipelineConfig.model_validate({"seed": 9, "seeds": {"paths": [str(shipped)]}}))
    assert not same_seed_files(here, also_seed)  # another difference besides the spelling


def test_the_same_command_resumes_whichever_folder_it_runs_from(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "run"
    args = [sys.executable, "-m", "evol", "run", "--config", "demo", "--out", str(out), "--limit", "3", "--rounds",
            "0", "--no-cache"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    (tmp_path / "elsewhere").mkdir()
    for where in (tmp_path / "elsewhere", REPO):  # the shipped seeds by absolute path, then by relative path
        done = subprocess.run(args, cwd=where, capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 0, done.stderr[-1500:]
    other = tmp_path / "seeds.jsonl"
    other.write_text('{"instruction": "Reverse a string without slicing."}\n')
    done = subprocess.run([*args, "--seeds", str(other)], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env=env)
    assert done.returncode == 2 and "seeds.paths" in done.stderr, done.stderr[-1500:]
