"""Fixtures of the sandbox tests: a sandbox with every layer, the same with the guard off, and tool checks."""

from __future__ import annotations

import shutil

import pytest

from evol.sandbox import Limits, Sandbox, probe
from evol.sandbox.runners import RUNNERS

FAST = Limits(timeout_s=1.0, memory_mb=256)


def require_bwrap() -> None:
    """As root the sandbox needs bubblewrap: fail (never skip) with the command that installs it."""
    if probe.is_root() and shutil.which("bwrap") is None:
        pytest.fail(f"bubblewrap is not installed: run `{probe.INSTALL_BWRAP}` (or `make test-deps`)")


def require_runner(language: str) -> None:
    """Fail with the install command when a runner's tool is missing."""
    missing = RUNNERS[language].missing()
    if missing:
        pytest.fail(f"the {language} runner cannot run: {missing}")


@pytest.fixture(scope="module")
def sb() -> Sandbox:
    require_bwrap()
    return Sandbox(FAST, workers=2)


@pytest.fixture(scope="module")
def bare(sb: Sandbox) -> Sandbox:
    """Guard off: only the kernel layers (namespaces, uid, rlimits) stand."""
    return Sandbox(FAST, workers=2, isolation=sb.isolation, guard=False)
