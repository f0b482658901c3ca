"""Served DBL gateways for the tests of this folder: an SMS server socket and a factory of
devices pointed at it, closed when the test ends. Import the fixtures by name."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from conftest import Gateway, make_profile, start_gateway
from sms_server import SmsServer, sms_server

Factory = Callable[..., Awaitable[Gateway]]


def dbl_sections(server: SmsServer) -> dict[str, Any]:
    """A two-line DBL device whose lines talk to `server`, sends 2 s, registration 3 s."""
    return {
        "device": {"personality": "dbl", "ports": 2, "slots": 1},
        "dbl": {"server": server.address, "local_port": 0},
        "sending": {"latency": 2, "failure_rate": 0},
        "behaviour": {"registration_time": 3},
    }


@pytest.fixture
async def server() -> AsyncIterator[SmsServer]:
    async with sms_server() as srv:
        yield srv


@pytest.fixture
async def dbl_gateways() -> AsyncIterator[Callable[[dict[str, Any]], Awaitable[Gateway]]]:
    """Start a DBL gateway from whole profile sections, its lines' sockets bound."""
    made: list[Gateway] = []

    async def start(sections: dict[str, Any]) -> Gateway:
        gw = await start_gateway(make_profile(**sections), seed=1)
        made.append(gw)
        await gw.runtime.open_udp("127.0.0.1")
        return gw

    yield start
    for gw in made:
        await gw.client.close()
        await gw.runtime.close()


def merged(base: dict[str, Any], sections: dict[str, Any]) -> dict[str, Any]:
    """`base` with each section of `sections` merged one level deep."""
    out = dict(base)
    for key, value in sections.items():
        out[key] = {**out.get(key, {}), **value}
    return out


@pytest.fixture
def dbl(server: SmsServer, dbl_gateways: Callable[[dict[str, Any]], Awaitable[Gateway]]) -> Factory:
    """dbl(**sections): the two-line device of `dbl_sections`, sections merged in."""

    async def factory(**sections: Any) -> Gateway:
        return await dbl_gateways(merged(dbl_sections(server), sections))

    return factory
