"""Config errors name the key and the file; flags override the file; the resolved config round-trips."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from evol.config import load_config, resolve_base_urls, to_toml
from evol.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rounds = 3\ncolour = 'red'\n", "colour: unknown key"),
        ("[endpoint]\nmodle = 'x'\n", "endpoint.modle: unknown key"),
        ("rounds = 'three'\n", "rounds:"),
        ("[sampling]\ntemperature = 7\n", "sampling.temperature:"),
        ("[evolve]\non_failed = 'explode'\n", "evolve.on_failed:"),
        ("[dedup]\nthreshold = 'high'\n", "dedup.threshold:"),
        ("rounds = [\n", "invalid TOML"),
    ],
)
def test_errors_name_key_and_file(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_shipped_configs_load_and_flags_override() -> None:
    wiz = load_config(REPO / "pipelines/wizardcoder.toml")
    assert wiz.rounds == 3 and wiz.sampling.temperature == 1.0 and wiz.sampling.top_p == 0.95
    assert wiz.sampling.max_tokens == 2048
    assert wiz.eliminate.judge  # the paper's first elimination rule
    cfg = load_config(REPO / "pipelines/demo.toml", {"rounds": 1, "endpoint.model": "m", "limit": None})
    assert cfg.rounds == 1 and cfg.endpoint.model == "m" and cfg.limit == 50


def test_unknown_method_is_a_start_up_error() -> None:
    from evol.prompts import PromptSet

    with pytest.raises(ConfigError, match="unknown method"):
        PromptSet(["add_constraints", "make_it_harder"])


def test_resolved_config_round_trips() -> None:
    cfg = load_config(REPO / "pipelines/wizardcoder.toml")
    again = tomllib.loads(to_toml(cfg))
    assert load_config_from_dict(again) == cfg


def load_config_from_dict(data: dict) -> object:
    from evol.config import PipelineConfig

    return PipelineConfig.model_validate(data)


def test_endpoint_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config(REPO / "pipelines/demo.toml")
    assert resolve_base_urls(cfg.endpoint) == []
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert resolve_base_urls(cfg.endpoint) == ["http://127.0.0.1:9/v1"]
    cfg = load_config(REPO / "pipelines/demo.toml", {"endpoint.base_url": ["http://a/v1", "http://b/v1"]})
    assert resolve_base_urls(cfg.endpoint) == ["http://a/v1", "http://b/v1"]
