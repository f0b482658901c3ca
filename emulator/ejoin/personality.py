"""The EJOIN personality as a gateway holds it: how ports are written, how callbacks look.

The gateway (emulator/gateway.py) is handed a personality by the composition root and
knows it only through this shape, so a second personality (DBL GoIP) serves the same
device model without touching the first.
"""

from __future__ import annotations

from typing import Any

from emulator.config.ports import PortNames
from emulator.config.profile import Profile
from emulator.core.events import Callback
from emulator.ejoin.callbacks import render


class Ejoin:
    """Port names in the profile's `quirks.port_format`; callbacks as spec 4, 6.3.2, 7."""

    def __init__(self, profile: Profile) -> None:
        spec = profile.device
        self.names = PortNames(spec.ports, spec.slots, profile.quirks.port_format)
        self._quirks = profile.quirks

    def render(self, event: Callback) -> dict[str, Any]:
        return render(event, self.names, self._quirks)

    def deliver(self, event: Callback) -> bool:
        return False  # every callback goes to the HTTP pusher
