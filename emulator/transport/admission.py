"""The one admission gate of the device API: a rebooting device answers nothing, and an
armed HTTP fault (POST /_emulator/faults) may apply to a request.

Both ways in use it: the front hands a connection over to aiohttp while the gate is
closed (`gated`), and aiohttp's middleware applies it (`admit`), so there is one rule.
"""

from __future__ import annotations

from emulator.transport.faults import Hit
from emulator.transport.served import Served


def gated(dev: Served) -> bool:
    """Whether requests must pass the gate now: the device reboots or a fault is armed."""
    return dev.faults.armed or dev.device.unavailable_until is not None


def admit(dev: Served, endpoint: str) -> Hit | None:
    """The fault to inject on this request, if one matches; DeviceUnavailable (raised by
    the device) while it reboots."""
    dev.device.check_available()
    if dev.faults.armed:
        return dev.faults.match(endpoint, dev.runtime.clock.now())
    return None
