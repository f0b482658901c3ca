"""Builds the emulated devices and their aiohttp applications.

A `Runtime` owns what a process shares: the one clock, the HTTP client session
for callbacks, the profile, the seed and the state directory. Each `DeviceApp`
owns one device with its own journal, pusher, random source and flash, so two
devices in a fleet share nothing they should not (STYLE.md, aiohttp). Nothing
here is global: tests build a runtime with a virtual clock and drive the apps
with the aiohttp test client.
"""

from __future__ import annotations

import asyncio
import math
import random
import secrets
from collections.abc import Callable
from pathlib import Path

import aiohttp
import structlog
from aiohttp import web

from emulator.clock import LAST_TIME, Clock, ClockError, RealClock, VirtualClock
from emulator.config.build import core_config
from emulator.core.device import Device, FlashImage
from emulator.core.events import Callback, DevStatus, Identity, PortStatus
from emulator.core.sessions import secret_ids
from emulator.core.settings import SettingError
from emulator.faults import Faults
from emulator.flash import Flash, FlashError
from emulator.journal import Journal
from emulator.profile import Profile
from emulator.push.pusher import Pusher
from emulator.scenario import ScenarioRunner
from emulator.wire.callbacks import render
from emulator.wire.ports import PortNames

log = structlog.get_logger("emulator")


def device_rng(seed: int, index: int, stream: str) -> random.Random:
    """An independent, reproducible random stream per device and purpose."""
    return random.Random(f"{seed}:{index}:{stream}")


def fleet_identity(profile: Profile, index: int) -> Identity:
    """Device i of a fleet: the profile's identity with a distinct MAC, IP and name."""
    spec = profile.device
    if index == 0:
        return Identity(spec.name, spec.mac, spec.ip, spec.firmware, spec.ports, spec.slots)
    octets = [int(x, 16) for x in spec.mac.replace(":", "-").split("-")]
    value = int.from_bytes(bytes(octets), "big") + index
    mac = "-".join(f"{b:02x}" for b in value.to_bytes(6, "big"))
    ip_parts = spec.ip.split(".")
    try:
        last = (int(ip_parts[-1]) + index - 1) % 254 + 1
        ip = ".".join([*ip_parts[:-1], str(last)])
    except ValueError:
        ip = spec.ip
    return Identity(f"{spec.name}-{index}", mac, ip, spec.firmware, spec.ports, spec.slots)


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
        app = DeviceApp(self, len(self.devices))
        self.devices.append(app)
        return app

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
            await dev.pusher.close()
            if dev.flash is not None:
                dev.flash.close()
        if self._session is not None:
            await self._session.close()
        if isinstance(self.clock, RealClock):
            self.clock.detach()


class DeviceApp:
    """One emulated gateway with its journal and pusher."""

    def __init__(self, runtime: Runtime, index: int) -> None:
        self.runtime = runtime
        self.index = index
        self.profile = runtime.profile
        self.identity = fleet_identity(self.profile, index)
        # How this device writes and reads port names: the EJOIN personality's format.
        spec = self.profile.device
        self.names = PortNames(spec.ports, spec.slots, self.profile.quirks.port_format)
        self.core_config = core_config(self.profile, index)
        self.log = log.bind(device=self.identity.name)
        seed = runtime.effective_seed
        self.journal = Journal(
            runtime.clock.now, self.profile.journal.max_entries, self.profile.journal.max_bytes
        )
        self.pusher = Pusher(
            device=self.identity.name,
            timers=runtime.clock,
            journal=self.journal,
            config=self.profile.push,
            session=runtime.session,
            rng=device_rng(seed, index, "push"),
        )
        # Later modules hook in here: run on every new device, and add sections to /state.
        self.faults = Faults(device_rng(seed, index, "faults"))
        self.status_cache: dict[bool, tuple[tuple[int, bool, int], bytes]] = {}
        self.login_cookies: dict[str, int] = {}  # quirks.cookie_auth: token -> boot
        self.extensions: list[Callable[[DeviceApp], None]] = []
        self.state_sections: list[Callable[[DeviceApp], dict[str, object]]] = []
        self.metric_sections: list[Callable[[DeviceApp], list[str]]] = []
        self.flash: Flash | None = None
        kept: FlashImage | None = None
        if runtime.state_dir is not None:
            spec = self.profile.device
            self.flash = Flash(runtime.state_dir / str(index), spec.ports, spec.slots)
            kept = self.flash.open()
        try:
            self.device = self._new_device(kept)
        except FlashError:
            if self.flash is not None:
                self.flash.close()  # let a corrected start take the directory
            raise
        self.scenario = self._start_scenario()

    def _start_scenario(self) -> ScenarioRunner:
        runner = ScenarioRunner(
            self,
            list(self.profile.scenario),
            device_rng(self.runtime.effective_seed, self.index, "scenario"),
        )
        runner.start()
        return runner

    def _new_device(self, kept: FlashImage | None = None) -> Device:
        """Power on, from what flash kept (`kept`) or factory-fresh (None)."""
        try:
            device = Device(
                self.core_config,
                self.runtime.clock,
                device_rng(self.runtime.effective_seed, self.index, "device"),
                index=self.index,
                identity=self.identity,
                session_ids=None if self.runtime.seed_fixed else secret_ids(),
                flash=kept,
            )
        except SettingError as exc:
            if self.flash is None:
                raise
            raise self.flash.unreadable(f"saved {exc}") from None
        device.outbox.listener = self._on_event
        if self.flash is not None:
            flash = self.flash
            try:
                flash.write(device.flash_image())  # this boot counts
            except OSError as exc:
                raise FlashError(f"cannot write state file {flash.path}: {exc}") from None
            device.flash_listener = lambda: self._store(flash, device)
            self.log.info(
                "flash_loaded" if kept else "flash_fresh",
                file=str(flash.path),
                boots=device.boots,
                inbox=len(device.inbound.inbox),
            )
        return device

    def _store(self, flash: Flash, device: Device) -> None:
        # Before the answer that acknowledges the change goes out: a save answered is kept.
        try:
            flash.write(device.flash_image())
        except OSError as exc:
            self.log.error("flash_write_failed", file=str(flash.path), error=str(exc))

    def _on_event(self, event: Callback) -> None:
        if isinstance(event, PortStatus):
            snap = event.snapshot
            self.log.debug("port_status", port=snap.port, slot=snap.slot, st=int(snap.state))
        elif isinstance(event, DevStatus):
            self.log.debug("dev_status", seq=event.seq)
        self.pusher.submit(event.url, event.type, render(event, self.names, self.profile.quirks))

    def reset(self) -> None:
        """Back to the profile's initial state: a new device, no queued callbacks, empty journal.

        A factory reset: what the device kept in flash is erased too.
        """
        self.device.flash_listener = None
        self.device.shutdown()
        if self.flash is not None:
            self.flash.erase()
        self.pusher.clear()
        self.journal.clear()
        self.faults.clear()
        self.device = self._new_device()
        self.status_cache.clear()
        self.login_cookies.clear()
        for extend in self.extensions:
            extend(self)
        self.scenario.stop()
        self.scenario = self._start_scenario()

    @property
    def control_token(self) -> str | None:
        return self.profile.device.control_token


DEVICE_APP = web.AppKey("device_app", DeviceApp)


def build_app(device_app: DeviceApp) -> web.Application:
    """The aiohttp application of one device: the spec's API plus /_emulator/."""
    from emulator.web import (
        control,
        control_traffic,
        device_api,
        endpoint,
        inbox_api,
        middleware,
        security_api,
        sms_api,
    )

    app = web.Application(
        middlewares=[middleware.journal_and_errors],
        client_max_size=device_app.profile.device.max_body + 1,
    )
    app[DEVICE_APP] = device_app
    endpoint.register(
        app,
        {
            **device_api.ENDPOINTS,
            **security_api.ENDPOINTS,
            **sms_api.ENDPOINTS,
            **inbox_api.ENDPOINTS,
        },
    )
    control_traffic.register(app)
    if control_traffic.state_section not in device_app.state_sections:
        device_app.state_sections.append(control_traffic.state_section)
    control.register(app)
    return app


def make_clock(kind: str, profile: Profile, speed: float = 1.0) -> Clock:
    if kind == "virtual":
        return VirtualClock(profile.start_time.timestamp())
    return RealClock(speed=speed)
