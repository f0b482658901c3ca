"""Serving a fleet of devices on TCP ports: start, report where, stop cleanly."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from aiohttp import web

from emulator.app import DeviceApp, Runtime, build_app, make_clock
from emulator.clock import RealClock
from emulator.profile import Profile
from emulator.web.front import FrontSite


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
