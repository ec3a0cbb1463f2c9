"""System programs the tests need. Tests never install them: `make test-deps` (scripts/test-deps.sh) does."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable

import pytest


def require(package: str, names: Iterable[str]) -> str:
    """The first of `names` (program names or absolute paths) found; fails the test naming the fix if none."""
    for name in names:
        found = name if os.path.isabs(name) and os.access(name, os.X_OK) else shutil.which(name)
        if found:
            return found
    pytest.fail(f"{package} is not installed: run `make test-deps` (or `apt-get install -y {package}`)",
                pytrace=False)
