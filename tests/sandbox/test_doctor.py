"""`evol sandbox doctor` reports the layers in force and every runner."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from evol.cli import app
from evol.sandbox import Sandbox
from evol.sandbox.languages import RUNNERS
from tests.sandbox.conftest import require_bwrap


def test_doctor_prints_layers_and_runners() -> None:
    require_bwrap()
    done = CliRunner().invoke(app, ["sandbox", "doctor", "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["isolation"] == Sandbox(workers=1).isolation.describe()
    assert set(report["runners"]) == set(RUNNERS) and report["runners"]["python"]["available"]
    text = CliRunner().invoke(app, ["sandbox", "doctor"]).output
    assert "capabilities" in text and all(name in text for name in RUNNERS)
