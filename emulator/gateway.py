"""One emulated gateway: its device, journal, pusher, faults, flash and port names.

Each `DeviceApp` owns one device with its own journal, pusher, random source and
flash, so two devices in a fleet share nothing they should not (STYLE.md, aiohttp).
What the devices of a process share is the `Runtime` (emulator/runtime.py), which
builds them; the personalities' handlers find their gateway under `DEVICE_APP`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

import structlog
from aiohttp import web

from emulator.actions import ScenarioRunner
from emulator.config.build import core_config
from emulator.config.ports import PortNames
from emulator.config.profile import Profile
from emulator.config.ussd import to_config as ussd_config
from emulator.core.device import Device, FlashImage
from emulator.core.events import Callback, DevStatus, Identity, PortStatus
from emulator.core.sessions import secret_ids
from emulator.core.settings import SettingError
from emulator.core.slots import Port
from emulator.core.ussd import UssdNetwork
from emulator.push.pusher import Pusher
from emulator.record.flash import Flash, FlashError
from emulator.record.journal import Journal
from emulator.transport.faults import Faults
from emulator.transport.served import DEVICE_APP

if TYPE_CHECKING:
    from emulator.runtime import Runtime

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


class Personality(Protocol):
    """What a gateway needs of its personality (emulator/ejoin/personality.py,
    emulator/dbl/server.py)."""

    names: PortNames

    def render(self, event: Callback) -> dict[str, Any]: ...

    def deliver(self, event: Callback) -> bool:
        """True when the personality delivered the event itself (not over the HTTP pusher)."""
        ...


class DeviceApp:
    """One emulated gateway with its journal and pusher."""

    def __init__(
        self, runtime: Runtime, index: int, personality: Callable[[Profile], Personality]
    ) -> None:
        self.runtime = runtime
        self.index = index
        self.profile = runtime.profile
        self.identity = fleet_identity(self.profile, index)
        # How this device writes and reads port names and renders its callbacks.
        self.personality = personality(self.profile)
        self.names = self.personality.names
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
        self.ussd_config = ussd_config(self.profile.ussd)
        self.ussd = self._new_ussd()
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

    def _new_ussd(self) -> UssdNetwork:
        """The operators' USSD side of this device's ports (EJOIN-EXTRAS, "USSD")."""
        seed = self.runtime.effective_seed
        return UssdNetwork(
            self.ussd_config, self.runtime.clock, device_rng(seed, self.index, "ussd")
        )

    def _port_changed(self, port: Port) -> None:
        self.ussd.port_changed(port.number, int(port.slot.state))

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
        device.port_listeners.append(self._port_changed)
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
        if self.personality.deliver(event):
            return
        self.pusher.submit(event.url, event.type, self.personality.render(event))

    def reset(self) -> None:
        """Back to the profile's initial state: a new device, no queued callbacks, empty journal.

        A factory reset: what the device kept in flash is erased too.
        """
        self.device.flash_listener = None
        self.device.shutdown()
        self.ussd.reset()  # a request still waiting is answered 6 Timeout, not left hanging
        self.ussd = self._new_ussd()
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


def gateway_of(app: web.Application) -> DeviceApp:
    """The gateway an aiohttp application serves (registered under DEVICE_APP)."""
    return cast(DeviceApp, app[DEVICE_APP])
