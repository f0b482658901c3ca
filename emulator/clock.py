"""One clock per process: a heap of timers, read by every device.

`VirtualClock` moves only when told (`advance`, `step`) and fires due timers in
time order, then insertion order, so a run is deterministic. `RealClock` follows
the asyncio loop, optionally `speed` times faster than the wall. Both implement
`emulator.core.timers.Timers`, which is all the core sees.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable

LAST_TIME = 253_402_300_799.0  # 9999-12-31T23:59:59Z: dates past it cannot be written


class ClockError(Exception):
    """A request the clock cannot honour (e.g. advancing real time)."""


class Timer:
    """A callback due at `when` (emulated epoch seconds)."""

    __slots__ = ("_cancelled", "_scheduler", "callback", "seq", "when")

    def __init__(
        self, scheduler: Scheduler, when: float, seq: int, callback: Callable[[], None]
    ) -> None:
        self._scheduler = scheduler
        self.when = when
        self.seq = seq
        self.callback = callback
        self._cancelled = False

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        if not self._cancelled:
            self._cancelled = True
            self._scheduler._cancelled_count += 1


class Scheduler:
    """A heap of timers ordered by due time, then by insertion."""

    def __init__(self, start: float) -> None:
        self._now = start
        # (when, seq, timer): tuples compare in C, which matters with a heap of
        # 100,000 report timers (bench P1, P2); seq is unique, so timers never compare.
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._cancelled_count = 0
        self._in_timer = False

    def now(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        seq = next(self._seq)
        timer = Timer(self, when, seq, callback)
        heapq.heappush(self._heap, (when, seq, timer))
        # Cancelled timers stay in the heap until they reach the top; compact
        # when they dominate so long runs with many cancellations stay small.
        if self._cancelled_count > 1024 and self._cancelled_count > len(self._heap) // 2:
            self._heap = [e for e in self._heap if not e[2]._cancelled]
            heapq.heapify(self._heap)
            self._cancelled_count = 0
        self._on_schedule(timer)
        return timer

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return self.call_at(self.now() + max(0.0, delay), callback)

    def next_due(self) -> float | None:
        """Due time of the earliest live timer, or None when nothing is scheduled."""
        heap = self._heap
        while heap and heap[0][2]._cancelled:
            heapq.heappop(heap)
            self._cancelled_count -= 1
        return heap[0][0] if heap else None

    @property
    def pending(self) -> int:
        return len(self._heap) - self._cancelled_count

    def _fire_next(self, until: float) -> bool:
        due = self.next_due()
        if due is None or due > until:
            return False
        timer = heapq.heappop(self._heap)[2]
        # A timer scheduled in the past fires at the current time: time never goes back.
        self._now = max(self._now, timer.when)
        timer._cancelled = True  # fired timers cannot be cancelled any more
        self._in_timer = True
        try:
            timer.callback()
        finally:
            self._in_timer = False
        return True

    def _on_schedule(self, timer: Timer) -> None:
        """Hook for clocks that must re-arm an external wake-up."""


class VirtualClock(Scheduler):
    """Time that moves only when told, so tests never sleep."""

    kind = "virtual"

    def step(self, until: float) -> bool:
        """Fire the next timer due at or before `until`.

        Returns False, with the clock moved to `until`, when none is due. The
        control API steps one timer at a time so that callbacks pushed by one
        timer are delivered before the next one fires, as on a real device.
        """
        if self._fire_next(until):
            return True
        self._now = max(self._now, until)
        return False

    def advance(self, seconds: float) -> int:
        """Move time forward, firing every due timer in order; returns how many fired."""
        if seconds < 0:
            raise ClockError(f"cannot advance by {seconds} seconds: time only moves forward")
        until = self._now + seconds
        fired = 0
        while self.step(until):
            fired += 1
        return fired


class RealClock(Scheduler):
    """Wall time from the asyncio loop, `speed` times faster (1 = real time)."""

    kind = "real"

    def __init__(self, start: float | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ClockError(f"speed must be positive, got {speed}")
        super().__init__(time.time() if start is None else start)
        self.speed = speed
        self._epoch0 = self._now
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_t0 = 0.0
        self._wakeup: asyncio.TimerHandle | None = None

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start following `loop`; timers scheduled before this fire once attached."""
        self._loop = loop
        self._loop_t0 = loop.time()
        self._epoch0 = self._now
        self._rearm()

    def detach(self) -> None:
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None
        self._loop = None

    def now(self) -> float:
        # Inside a timer, time is the timer's due time, as under the virtual clock, so
        # what it schedules lands where it would in virtual time whatever the loop's lag.
        if self._loop is None or self._in_timer:
            return self._now
        return max(self._now, self._epoch0 + (self._loop.time() - self._loop_t0) * self.speed)

    def _on_schedule(self, timer: Timer) -> None:
        if self._loop is None:
            return
        if self._wakeup is None or timer.when < self._wakeup_when:
            self._rearm()

    _wakeup_when = float("inf")

    def _rearm(self) -> None:
        if self._loop is None:
            return
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None
        due = self.next_due()
        if due is None:
            self._wakeup_when = float("inf")
            return
        self._wakeup_when = due
        loop_when = self._loop_t0 + (due - self._epoch0) / self.speed
        self._wakeup = self._loop.call_at(loop_when, self._run_due)

    def _run_due(self) -> None:
        self._wakeup = None
        until = self.now()
        while self._fire_next(until):
            pass
        self._now = max(self._now, until)
        self._rearm()


Clock = VirtualClock | RealClock
