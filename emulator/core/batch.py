"""A buffer flushed when it holds `count` items or `period` seconds after the first one.

Spec 6.3.1.3 describes the same rule twice: status reports by `sr_cnt`/`sr_prd` and
received SMS by `sms_cnt`/`sms_prd` ("缓冲数到达该值, 立即发送 ... 该时间超时 ... 立即发送").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from emulator.core.timers import TimerHandle

T = TypeVar("T")


class Batch(Generic[T]):
    def __init__(
        self,
        later: Callable[[float, Callable[[], None]], TimerHandle],
        limits: Callable[[], tuple[int, int]],
        emit: Callable[[tuple[T, ...]], None],
    ) -> None:
        self._later = later  # the device's: a reboot voids the timer
        self._limits = limits  # read at each add: the settings may change at any time
        self._emit = emit
        self._items: list[T] = []
        self._timer: TimerHandle | None = None

    def add(self, item: T) -> None:
        self._items.append(item)
        count, period = self._limits()
        if len(self._items) >= max(count, 1):
            self.flush()
        elif self._timer is None:
            self._timer = self._later(period, self._due)

    def _due(self) -> None:
        self._timer = None
        self.flush()

    def flush(self) -> None:
        self.clear_timer()
        if self._items:
            items, self._items = tuple(self._items), []
            self._emit(items)

    def clear(self) -> None:
        """Forget what waits (a reboot: RAM is lost)."""
        self.clear_timer()
        self._items.clear()

    def clear_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
