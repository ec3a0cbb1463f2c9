"""Shared fixtures for the dedup tests."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from .redis_server import start_redis, stop_redis


@pytest.fixture
def rng() -> random.Random:
    return random.Random(1234)


@pytest.fixture(scope="session")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real redis-server on loopback for the whole session (fails, never skips, when none can be had)."""
    proc, port = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield port
    finally:
        stop_redis(proc)


@pytest.fixture
def redis_storage(redis_port: int) -> dict[str, Any]:
    """A datasketch Redis storage_config with a basename of its own (one fresh index per test)."""
    return {"type": "redis", "redis": {"host": "127.0.0.1", "port": redis_port}, "basename": f"t-{uuid.uuid4().hex}"}
