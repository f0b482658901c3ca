"""The pytest plugin (entry point `pytest11`): `goip_emulator` and `goip_receiver` fixtures.

Async fixtures: the test project needs pytest-asyncio (asyncio_mode = "auto") or
pytest-aiohttp, as most aiohttp projects already have.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from emulator.testing import CallbackReceiver, Emulator


@pytest.fixture
async def goip_emulator() -> AsyncIterator[Emulator]:
    """A 32x4 GoIP on the default profile and a virtual clock, serving on 127.0.0.1."""
    async with Emulator(clock="virtual") as gw:
        yield gw


@pytest.fixture
async def goip_receiver() -> AsyncIterator[CallbackReceiver]:
    """A callback receiver on 127.0.0.1 recording what the emulator pushes."""
    async with CallbackReceiver() as receiver:
        yield receiver
