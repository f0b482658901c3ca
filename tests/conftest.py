"""Shared fixtures: devices on a virtual clock, a gateway behind the aiohttp test
client, and a real HTTP callback receiver on 127.0.0.1."""

from __future__ import annotations

import json
import random
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from serving import serve  # noqa: F401  (the fixture that starts `goip-emulator serve`)
from yarl import URL

from emulator.actions import SIM_EVENT_CALLS
from emulator.clock import VirtualClock
from emulator.config.build import core_config
from emulator.config.profile import Profile, parse_profile
from emulator.core.device import Device
from emulator.gateway import DeviceApp, fleet_identity
from emulator.runtime import Runtime, build_app
from emulator.testing import CallbackReceiver
from emulator.transport.front import FrontSite

CREDS = {"username": "root", "password": "root"}


def make_profile(text: str = "", **sections: Any) -> Profile:
    """A profile from YAML text and/or sections given as dicts (sections win)."""
    data = yaml.safe_load(text) if text else {}
    data = data or {}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return parse_profile(yaml.safe_dump(data), "<test>")


# Cold: the tests of registration watch the power-on sequence (a served device is warm).
SMALL = {"device": {"ports": 4, "slots": 2}, "behaviour": {"registration_time": 5, "boot": "cold"}}


def small(**sections: Any) -> Profile:
    """The 4 ports x 2 slots test device, with some sections changed (merged one level deep)."""
    merged: dict[str, Any] = {k: dict(v) for k, v in SMALL.items()}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return make_profile(**merged)


def make_device(profile: Profile | None = None, seed: int = 1) -> tuple[Device, VirtualClock]:
    """A core device on a virtual clock, no event loop needed."""
    profile = profile or make_profile(**SMALL)
    clock = VirtualClock(profile.start_time.timestamp())
    return device_of(profile, clock, random.Random(seed)), clock


def sim_event(device: Device, ref: Any, event: str, params: dict[str, Any] | None = None) -> Any:
    """A SIM event by name on a core device, as the control API and scenarios name them."""
    return SIM_EVENT_CALLS[event](device, ref, params or {})


def device_of(profile: Profile, clock: VirtualClock, rng: random.Random, **options: Any) -> Device:
    """The core device a profile describes (device 0 of a fleet), as the gateway builds it."""
    return Device(core_config(profile), clock, rng, identity=fleet_identity(profile, 0), **options)


@pytest.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    """A real callback receiver on 127.0.0.1 (the one users get from emulator.testing)."""
    async with CallbackReceiver() as rec:
        yield rec


@dataclass
class Gateway:
    """One device behind the aiohttp test client, on a virtual clock."""

    runtime: Runtime
    dev: DeviceApp
    client: TestClient

    @property
    def device(self) -> Device:
        return self.dev.device

    @property
    def clock(self) -> VirtualClock:
        assert isinstance(self.runtime.clock, VirtualClock)
        return self.runtime.clock

    async def advance(self, seconds: float) -> None:
        await self.runtime.advance(seconds)

    async def get(self, path: str, **params: Any) -> tuple[int, Any]:
        resp = await self.client.get(path, params={k: str(v) for k, v in params.items()})
        return resp.status, await resp.json(content_type=None)

    async def post(self, path: str, body: Any, **params: Any) -> tuple[int, Any]:
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        resp = await self.client.post(
            path, data=data, params={k: str(v) for k, v in params.items()}
        )
        return resp.status, await resp.json(content_type=None)

    # What a user's script sees: /_emulator/state, never the device's internals.
    async def state(self) -> dict[str, Any]:
        resp = await self.client.get("/_emulator/state")
        return await resp.json()

    async def port_st(self, port: int) -> int:
        """The state code of a port's current slot."""
        doc = (await self.state())["ports"][port - 1]
        return next(s["st"] for s in doc["slots"] if s["slot"] == doc["current"])

    async def port_states(self) -> list[int]:
        doc = await self.state()
        return [
            next(s["st"] for s in p["slots"] if s["slot"] == p["current"]) for p in doc["ports"]
        ]

    async def current_slot(self, port: int) -> int:
        """The index (1 = first slot) of a port's current slot."""
        doc = (await self.state())["ports"][port - 1]
        return [s["slot"] for s in doc["slots"]].index(doc["current"]) + 1

    async def sim(self, port: int) -> dict[str, Any]:
        """The card in a port's current slot, as /_emulator/state shows it."""
        doc = (await self.state())["ports"][port - 1]
        return next(s["sim"] for s in doc["slots"] if s["slot"] == doc["current"])

    async def imei(self, port: int) -> str:
        """The IMEI of a port's module, as /_emulator/state shows it."""
        return (await self.state())["ports"][port - 1]["imei"]

    async def task_ids(self) -> list[int]:
        return [t["tid"] for t in (await self.state())["tasks"]]

    async def settings(self) -> dict[str, Any]:
        return (await self.state())["settings"]

    def journal(self, kind: str | None = None, type_: str | None = None) -> list[Any]:
        return [e.as_json() for e in self.dev.journal.query(kind, type_)]


class FrontTestServer(TestServer):
    """aiohttp's test server with the device's front on its socket, as `serve` runs it:
    every test of the device API goes through the front, and through aiohttp for what
    the front passes on."""

    def __init__(self, app: Any, *, front: bool = True) -> None:
        super().__init__(app, host="127.0.0.1")
        self.front = front

    async def start_server(self, loop: Any = None, **kwargs: Any) -> None:
        if self.runner:
            return
        self.runner = await self._make_runner(handler_cancellation=True, **kwargs)
        await self.runner.setup()
        sock = self.socket_factory(self.host, 0, socket.AF_INET)
        self.host, self.port = sock.getsockname()[:2]
        await FrontSite(self.runner, sock=sock, front=self.front).start()
        self.scheme = "http"
        self._root = URL(f"http://{self.host}:{self.port}")


async def start_gateway(profile: Profile, seed: int | None = None, front: bool = True) -> Gateway:
    clock = VirtualClock(profile.start_time.timestamp())
    runtime = Runtime(profile, clock, seed)
    dev = runtime.add_device()
    client = TestClient(FrontTestServer(build_app(dev), front=front))
    await client.start_server()
    return Gateway(runtime, dev, client)


@pytest.fixture
async def gateway_factory() -> AsyncIterator[Callable[..., Any]]:
    """Call with a Profile (default: 4 ports x 2 slots, 5 s registration)."""
    made: list[Gateway] = []

    async def factory(profile: Profile | None = None, seed: int | None = None) -> Gateway:
        gw = await start_gateway(profile or make_profile(**SMALL), seed)
        made.append(gw)
        return gw

    yield factory
    for gw in made:
        await gw.client.close()
        await gw.runtime.close()


@pytest.fixture
async def gateway(gateway_factory: Callable[..., Any]) -> Gateway:
    """A registered 4x2 device: the clock has run past registration."""
    gw: Gateway = await gateway_factory()
    await gw.advance(10)
    return gw
