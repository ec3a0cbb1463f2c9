"""Shared config-file helpers: TOML reading, dotted overrides, and located JSON errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from evol.config_file import apply_overrides, read_toml
from evol.errors import ConfigError, DataError
from evol.io import parse_json


def test_overrides_set_nested_keys_skip_none_and_refuse_a_value_as_section(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text('rounds = 2\n[endpoint]\nmodel = "a"\n')
    data = apply_overrides(read_toml(f), {"endpoint.model": "b", "rounds": None, "new.key": 1}, f)
    assert data == {"rounds": 2, "endpoint": {"model": "b"}, "new": {"key": 1}}
    with pytest.raises(ConfigError, match=r"c.toml: rounds.x: 'rounds' is not a section"):
        apply_overrides(data, {"rounds.x": 1}, f)


def test_read_toml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing.toml: no such config file"):
        read_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("x = [\n")
    with pytest.raises(ConfigError, match=r"bad.toml: invalid TOML"):
        read_toml(bad)


def test_parse_json_reports_the_file_line() -> None:
    assert parse_json('{"a": 1}', "f.json") == {"a": 1}
    with pytest.raises(DataError, match=r"^f.json:3: not valid JSON"):
        parse_json('[\n1,\n2,,\n]', "f.json")
    with pytest.raises(ConfigError, match=r"^f.jsonl:7: not valid JSON"):
        parse_json("{oops", "f.jsonl", first_line=7, error=ConfigError)
