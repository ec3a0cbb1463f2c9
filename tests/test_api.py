"""The Python API (evol.run / evol.open_run) and custom rules named by dotted path in the config."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import datasets
import pytest

import evol
from evol.config import EliminateSettings, FilterSettings
from evol.errors import ConfigError
from evol.stages.custom import load_rules
from evol.stages.eliminate import elimination_rules
from evol.stages.response_filters import response_rules
from tests.helpers import REPO

SMALL = {"rounds": 1, "limit": 8}


def test_import_evol_stays_light() -> None:
    code = "import sys, evol; print(sorted(m for m in ('evol.api', 'evol.pipeline', 'datasets') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_run_returns_records_and_a_dataset_equal_to_train_json(tmp_path: Path) -> None:
    run = evol.run("demo", out=tmp_path / "api", quiet=True, **SMALL)  # a shipped recipe by name, sim endpoint
    assert run.simulated and run.path == tmp_path / "api"
    assert [r.number for r in run.rounds] == [0, 1]
    for rnd in run.rounds:
        assert len(rnd.kept) == rnd.stats["kept"] and rnd.kept
        assert all(r["stage"] and r["reason"] for r in rnd.rejected)
    assert all(r["round"] == 1 and r["parent_id"] for r in run.rounds[1].kept)
    ds = run.to_dataset()
    assert isinstance(ds, datasets.Dataset)
    rows = json.loads((tmp_path / "api" / "train.json").read_text())
    assert ds.to_list() == rows and len(rows) == len(run.kept)
    assert evol.open_run(tmp_path / "api").to_dataset().to_list() == rows


def test_custom_rules_from_dotted_paths_reject_with_their_own_reasons(tmp_path: Path) -> None:
    custom = {"eliminate.custom": ["tests.stages.custom_rules:odd_length"],
              "filters.custom": ["tests.stages.custom_rules:EvenWords"], "decontam.enabled": False}
    run = _run_with(tmp_path / "custom", custom)
    rejected = run.rejected  # both rounds: round 0 answers seeds (filters apply), round 1 evolves them
    assert {"custom_odd_length", "custom_even_words"} <= {r["reason"] for r in rejected}
    assert {r["stage"] for r in rejected if r["reason"] == "custom_odd_length"} == {"eliminate"}
    assert {r["stage"] for r in rejected if r["reason"] == "custom_even_words"} == {"filter"}
    assert all(len(r["output"].split()) % 2 == 1 for r in run.kept)
    assert run.rounds[1].kept and all(len(r["instruction"]) % 2 == 0 for r in run.rounds[1].kept)


def _run_with(out: Path, overrides: dict[str, object]) -> evol.Run:
    from evol.pipeline import run as run_pipeline
    from evol.recipes import load_recipe

    cfg = load_recipe("demo", {"out_dir": str(out.parent), "name": out.name, "rounds": 1, "limit": 16,
                               **overrides})
    return evol.open_run(run_pipeline(cfg).run_dir)


@pytest.mark.parametrize(("spec", "says"), [
    ("tests.stages.no_such_module:rule", "cannot import 'tests.stages.no_such_module'"),
    ("tests.stages.custom_rules:missing", "has no attribute 'missing'"),
    ("tests.stages.custom_rules", "is not a dotted path"),
    ("tests.stages.custom_rules:NOT_A_RULE", "is a int, not a Rule or a function"),
])
def test_a_bad_dotted_path_is_one_config_error_naming_the_key(spec: str, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        elimination_rules(EliminateSettings(custom=[spec]))
    message = str(info.value)
    assert message.startswith("eliminate.custom: ") and says in message and "\n" not in message
    with pytest.raises(ConfigError, match=r"^filters\.custom: "):
        response_rules(FilterSettings(custom=[spec]))


def test_custom_rules_come_after_the_built_ins() -> None:
    rules = elimination_rules(EliminateSettings(custom=["tests.stages.custom_rules:odd_length"]))
    assert rules[-1].name == "odd_length" and len(rules) == len(elimination_rules(EliminateSettings())) + 1
    assert [r.name for r in load_rules(["tests.stages.custom_rules:EvenWords"], "k")] == ["even_words"]


def test_a_bad_dotted_path_stops_evol_run_with_exit_code_2(tmp_path: Path) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text((REPO / "pipelines/demo.toml").read_text() + '\n[filters]\ncustom = ["nope.rules:no_todo"]\n')
    done = subprocess.run([sys.executable, "-m", "evol", "run", "--config", str(toml), "--out", str(tmp_path / "r"),
                           "--limit", "2", "--rounds", "1"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: filters.custom: cannot import 'nope.rules'")
