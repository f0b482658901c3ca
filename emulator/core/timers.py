"""What the core needs from a clock: the time, and timers that fire later.

The core depends on this protocol, never on a concrete clock, so the same device
runs under real time, accelerated time and virtual time (see emulator.clock).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class TimerHandle(Protocol):
    """A scheduled callback that can be cancelled before it fires."""

    @property
    def when(self) -> float: ...

    def cancel(self) -> None: ...

    @property
    def cancelled(self) -> bool: ...


class Timers(Protocol):
    """The one source of time for a device: `now()` is seconds since the Unix epoch."""

    def now(self) -> float: ...

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle: ...
