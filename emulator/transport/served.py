"""What the transport knows of the gateway it serves, and where it finds it.

The transport (the front, the aiohttp edge, the admission gate) serves any gateway
that has these; it never imports the gateway, which sits above it.
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from emulator.config.profile import Profile
from emulator.core.device import Device
from emulator.core.events import Identity
from emulator.record.journal import Journal
from emulator.transport.faults import Faults


class Clocked(Protocol):
    @property
    def clock(self) -> Any: ...


class Served(Protocol):
    """A gateway as the transport sees it."""

    @property
    def profile(self) -> Profile: ...
    @property
    def identity(self) -> Identity: ...
    @property
    def device(self) -> Device: ...
    @property
    def faults(self) -> Faults: ...
    @property
    def journal(self) -> Journal: ...
    @property
    def runtime(self) -> Clocked: ...
    @property
    def log(self) -> Any: ...


DEVICE_APP: web.AppKey[Any] = web.AppKey("device_app")
