"""What the device lends its engines (sending, inbound, calls): no more than they need.

An engine sees the device's clock (`now`, `later`, whose timers a reboot voids), its
randomness (`rng`, `draw`), its configuration, its ports, its live settings and
statistics, and the outbox its events go to; and it may say that something a status
entry shows has changed. What else an engine needs of another part (the inbox of a
delivery report, a SIM transition for a call) it is handed by name when it is built,
so the device's commands, sessions and other engines stay out of its reach.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from emulator.core.timers import TimerHandle

if TYPE_CHECKING:
    from emulator.core.config import CoreConfig
    from emulator.core.device import Device
    from emulator.core.events import Outbox
    from emulator.core.settings import Settings
    from emulator.core.slots import Port
    from emulator.core.stats import Stats


class EngineContext:
    __slots__ = ("_device", "config", "draw", "later", "now", "ports", "rng", "stats")

    def __init__(self, device: Device) -> None:
        self._device = device
        self.config: CoreConfig = device.config
        self.ports: list[Port] = device.ports
        self.rng: random.Random = device.rng
        self.stats: Stats = device.stats
        # Bound once: the engines call these for every message (bench P2).
        self.now: Callable[[], float] = device.timers.now
        # Schedules a callback that a reboot or a reset of the device voids.
        self.later: Callable[[float, Callable[[], None]], TimerHandle] = device.later
        # A duration drawn from the seed: `(low, high)` spans, `(x, x)` exactly x.
        self.draw: Callable[[tuple[float, float]], float] = device.draw

    # Settings and the outbox are replaced at a reboot: read through the device.
    @property
    def settings(self) -> Settings:
        return self._device.settings

    @property
    def outbox(self) -> Outbox:
        return self._device.outbox

    @property
    def version(self) -> int:
        """Grows on every change a status entry can show."""
        return self._device.version

    def changed(self) -> None:
        """Something a status entry shows has changed (dev-status renders it anew)."""
        self._device.version += 1
