"""A shared sandbox and HumanEval's 164 problems as RL items (built once per session)."""

from __future__ import annotations

from typing import Any

import pytest

from evol.reward import humaneval
from evol.sandbox import Sandbox, host
from tests.sandbox.conftest import require_bwrap


@pytest.fixture(scope="session")
def box() -> Sandbox:
    require_bwrap()
    return Sandbox(workers=host.cpus())


@pytest.fixture(scope="session")
def humaneval_items(box: Sandbox) -> list[dict[str, Any]]:
    return humaneval.items(box)
