"""The process: one clock, the seeds, the fleet of gateways and their servers.

The composition root: a `Runtime` owns what a process shares (the clock, the HTTP
client session for callbacks, the profile, the seed and the state directory) and
builds each gateway with its aiohttp application; `Server` binds them to TCP ports.
Nothing here is global: tests build a runtime with a virtual clock and drive the
apps with the aiohttp test client.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import socket
from pathlib import Path

import aiohttp
import structlog
from aiohttp import web

from emulator.clock import LAST_TIME, Clock, ClockError, RealClock, VirtualClock
from emulator.config.profile import Profile
from emulator.control import api as control
from emulator.control import data_link as control_data_link
from emulator.control import traffic as control_traffic
from emulator.dbl import web as dbl_web
from emulator.dbl.server import Dbl
from emulator.ejoin import (
    at_api,
    device_api,
    esim_api,
    inbox_api,
    security_api,
    send_v1_api,
    sms_api,
    ussd_api,
)
from emulator.ejoin.personality import Ejoin
from emulator.gateway import DeviceApp
from emulator.transport import endpoint, middleware
from emulator.transport.front import FrontSite
from emulator.transport.served import DEVICE_APP

log = structlog.get_logger("emulator")


class Runtime:
    """What the devices of one process share."""

    def __init__(
        self,
        profile: Profile,
        clock: Clock,
        seed: int | None = None,
        state_dir: Path | None = None,
    ) -> None:
        self.profile = profile
        self.clock = clock
        # `seed` is the one fixed by --seed or the profile, None when nobody fixed one
        # (then security session ids come from a cryptographic source); every seeded
        # stream is fed `effective_seed`, drawn and logged when none was fixed, so any
        # run can be repeated with --seed.
        self.seed = profile.seed if seed is None else seed
        self.effective_seed = self.seed if self.seed is not None else secrets.randbelow(2**32)
        # The device's flash lives here, one subdirectory per device of the fleet;
        # None: every start is a factory-fresh device.
        self.state_dir = state_dir
        self.devices: list[DeviceApp] = []
        self._session: aiohttp.ClientSession | None = None
        self._advancing = asyncio.Lock()
        # Fixed: the profile or the caller named a seed, and asked for a repeatable run.
        # Otherwise security session ids come from `secrets`, not from the seed.
        self.seed_fixed = self.seed is not None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # The device opens many short callbacks to few targets: keep connections alive.
            connector = aiohttp.TCPConnector(limit=256, limit_per_host=64)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    def add_device(self) -> DeviceApp:
        index = len(self.devices)
        if self.profile.device.personality == "dbl":
            dbl = Dbl(self.profile, index)
            app = DeviceApp(self, index, lambda _profile: dbl)
            dbl.bind(lambda: app.device, self.clock, lambda: app.journal, app.identity.name)
            dbl.use_faults(app.faults)
            app.extensions.append(lambda gw: dbl.reset(gw.device))
            app.state_sections.append(lambda _gw: dbl.state())
            app.metric_sections.append(lambda _gw: dbl.metrics())
        else:
            app = DeviceApp(self, index, Ejoin)
        self.devices.append(app)
        return app

    async def open_udp(self, host: str) -> None:
        """Bind the UDP sockets of every DBL device's lines and start them (DBL-GOIP 1)."""
        for dev in self.devices:
            if isinstance(dev.personality, Dbl) and not dev.personality.sockets:
                await dev.personality.open(host)

    async def settle(self) -> None:
        """Wait until every device's callbacks in flight have been answered."""
        for dev in self.devices:
            if dev.pusher.busy:
                await dev.pusher.settle()

    async def advance(self, seconds: float) -> int:
        """Move virtual time, delivering each timer's callbacks before the next fires."""
        if not isinstance(self.clock, VirtualClock):
            raise ClockError("the clock is real: start with --clock virtual to advance it")
        if not 0 <= seconds < math.inf:
            raise ClockError(f"cannot advance by {seconds} seconds: time only moves forward")
        # One advance at a time, each by exactly its seconds: two at once would both
        # read the same start and move the clock once (ten of 10 s must make 100 s).
        async with self._advancing:
            until = self.clock.now() + seconds
            if until > LAST_TIME:
                raise ClockError(
                    f"cannot advance by {seconds} seconds: the device's calendar ends at "
                    "9999-12-31T23:59:59Z"
                )
            fired = 0
            await self.settle()
            while self.clock.step(until):
                fired += 1
                if any(dev.pusher.busy for dev in self.devices):
                    await self.settle()
            await self.settle()
            return fired

    async def close(self) -> None:
        for dev in self.devices:
            if isinstance(dev.personality, Dbl):
                dev.personality.close()
            await dev.pusher.close()
            if dev.flash is not None:
                dev.flash.close()
        if self._session is not None:
            await self._session.close()
        if isinstance(self.clock, RealClock):
            self.clock.detach()


def build_app(device_app: DeviceApp) -> web.Application:
    """The aiohttp application of one device: the spec's API plus /_emulator/."""
    app = web.Application(
        middlewares=[middleware.journal_and_errors],
        client_max_size=device_app.profile.device.max_body + 1,
    )
    app[DEVICE_APP] = device_app
    ejoin = device_app.profile.device.personality == "ejoin"
    # Skyline firmware: the eSIM endpoints, and AT answers that wait for a mute module.
    skyline = ejoin and device_app.profile.quirks.firmware == "skyline"
    endpoint.register(  # a DBL device serves nothing of the EJOIN API
        app,
        {
            **device_api.ENDPOINTS,
            **security_api.ENDPOINTS,
            **sms_api.ENDPOINTS,
            **inbox_api.ENDPOINTS,
            **({} if skyline else at_api.ENDPOINTS),
            **send_v1_api.ENDPOINTS,
            **(esim_api.ENDPOINTS if skyline else {}),
        }
        if ejoin
        else {},
    )
    if ejoin:  # its answer may wait on the device clock: served by aiohttp, never the front
        endpoint.register_async(
            app, {**ussd_api.ENDPOINTS, **(at_api.WAITING_ENDPOINTS if skyline else {})}
        )
    if skyline and esim_api.state_section not in device_app.state_sections:
        device_app.state_sections.append(esim_api.state_section)
    if isinstance(device_app.personality, Dbl):  # its web UI and HTTP SMS pages
        dbl_web.register(app, device_app.personality)
    control_traffic.register(app)
    if control_traffic.state_section not in device_app.state_sections:
        device_app.state_sections.append(control_traffic.state_section)
    control_data_link.register(app, device_app)  # router firmware's data links
    control.register(app)
    return app


def make_clock(kind: str, profile: Profile, speed: float = 1.0) -> Clock:
    if kind == "virtual":
        return VirtualClock(profile.start_time.timestamp())
    return RealClock(speed=speed)


class Server:
    """N devices on consecutive ports (or free ports with port=0), one shared clock."""

    def __init__(
        self,
        profile: Profile,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        devices: int = 1,
        clock: str = "real",
        speed: float = 1.0,
        seed: int | None = None,
        front: bool = True,
        state_dir: Path | None = None,
    ) -> None:
        if devices < 1:
            raise ValueError(f"devices must be at least 1, got {devices}")
        self.host = host
        self.port = port
        self.count = devices
        self.front = front  # False: aiohttp serves every request (emulator/web/front.py)
        self.runtime = Runtime(profile, make_clock(clock, profile, speed), seed, state_dir)
        self._runners: list[web.AppRunner] = []
        self.urls: list[str] = []

    @property
    def devices(self) -> list[DeviceApp]:
        return self.runtime.devices

    async def start(self) -> list[str]:
        # Every device boots at the clock's start, before it follows the loop, so the
        # boot's timers land where they would under the virtual clock (same seed, same run).
        devices = [self.runtime.add_device() for _ in range(self.count)]
        clock = self.runtime.clock
        if isinstance(clock, RealClock):
            clock.attach(asyncio.get_running_loop())
        for index, dev in enumerate(devices):
            # aiohttp serves what the front passes on: the same idle bound for those.
            runner = web.AppRunner(
                build_app(dev),
                access_log=None,
                handle_signals=False,
                keepalive_timeout=dev.profile.device.keepalive_timeout,
            )
            await runner.setup()
            port = 0 if self.port == 0 else self.port + index
            site = FrontSite(runner, self.host, port, front=self.front)
            await site.start()
            self._runners.append(runner)
            bound = bound_port(site)
            host = f"[{self.host}]" if ":" in self.host else self.host
            self.urls.append(f"http://{host}:{bound}")
        await self.runtime.open_udp(self.host)  # `ready` waits for every line's socket
        return self.urls

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()
        await self.runtime.close()


def bound_port(site: web.BaseSite) -> int:
    server = site._server  # aiohttp keeps the asyncio server here; its sockets know the port
    sockets = getattr(server, "sockets", None) or []
    for sock in sockets:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            return int(sock.getsockname()[1])
    raise RuntimeError("the site has no bound TCP socket")
