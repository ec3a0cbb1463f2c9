"""No part of an API key is ever echoed, whatever its length (the sim echoes the key it was given in its 401)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from evol.errors import EndpointError
from tests.llm.helpers import client, request, sim


@pytest.mark.parametrize("key", ["wrong", "x9Z", "sk-a-much-longer-secret-key-0123456789"])
def test_a_refused_key_is_never_echoed(key: str, monkeypatch: pytest.MonkeyPatch,
                                       caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", key)
    caplog.set_level(logging.DEBUG)

    async def main() -> str:
        async with sim(api_key="sk-right-key") as (url, state):
            c = client(url)
            with pytest.raises(EndpointError) as info:
                await c.complete(request())
            await c.aclose()
        return str(info.value)

    message = asyncio.run(main())
    assert "HTTP 401" in message and "api_key_env" in message
    for part in {key, key[-4:], key[:4]}:
        assert part not in message and part not in caplog.text, part
