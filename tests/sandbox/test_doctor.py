"""`evol sandbox doctor` reports the layers in force and every runner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from evol.cli import app
from evol.sandbox import Sandbox, probe
from evol.sandbox.languages import RUNNERS
from tests.sandbox.conftest import require_bwrap


def test_doctor_prints_layers_and_runners() -> None:
    require_bwrap()
    done = CliRunner().invoke(app, ["sandbox", "doctor", "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["isolation"] == Sandbox(workers=1).isolation.describe()
    assert set(report["runners"]) == set(RUNNERS) and report["runners"]["python"]["available"]
    needs = report["stages"]  # what the stages declare they need (evol/stages/requires.py), verification on
    assert {n["need"] for n in needs["verify"]} == {"sandbox local", "runner python"}
    assert all(n["missing"] is None for n in needs["verify"]) and needs["answer"] == []
    text = CliRunner().invoke(app, ["sandbox", "doctor"]).output
    assert "capabilities" in text and all(name in text for name in RUNNERS)


def test_doctor_says_how_to_fix_a_machine_without_a_safe_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """EVOL_SANDBOX=bwrap where bwrap is missing: one line with the install command, exit code 1."""
    monkeypatch.setenv("EVOL_SANDBOX", "bwrap")
    monkeypatch.setattr(probe, "_cache", {})
    monkeypatch.setattr(probe, "_bwrap_version", lambda: "")
    real_which = probe.shutil.which
    monkeypatch.setattr(probe.shutil, "which", lambda name: None if name == "bwrap" else real_which(name))
    done = CliRunner().invoke(app, ["sandbox", "doctor"])
    assert done.exit_code == 1
    assert "isolation: unavailable" in done.output and probe.INSTALL_BWRAP in done.output
