"""Counters per port and slot, read through the windows of spec 9 and 10.

`type` 0 = the last hour, 1 = the last two hours, 2 = since local midnight,
3 = since the counters were created (INTERPRETATION.md, "Statistics"). Windows
slide with the device clock: a count leaves the one-hour window exactly an hour
of emulated time after it was made. Counts are kept in one-second buckets for
the last two hours, plus a running total for today and for all time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from enum import IntEnum

LAST_TWO_HOURS = 7200


class Window(IntEnum):
    LAST_HOUR = 0
    LAST_TWO_HOURS = 1
    TODAY = 2
    TOTAL = 3


class Tally:
    """One counter of one slot."""

    __slots__ = ("buckets", "day", "today", "total")

    def __init__(self) -> None:
        self.buckets: deque[list[int]] = deque()  # [second, amount], oldest first
        self.day = -1
        self.today = 0
        self.total = 0

    def add(self, second: int, day: int, amount: int) -> None:
        if self.buckets and self.buckets[-1][0] == second:
            self.buckets[-1][1] += amount
        else:
            self.buckets.append([second, amount])
        cutoff = second - LAST_TWO_HOURS
        while self.buckets and self.buckets[0][0] <= cutoff:
            self.buckets.popleft()
        if day != self.day:
            self.day, self.today = day, 0
        self.today += amount
        self.total += amount

    def read(self, window: Window, second: int, day: int) -> int:
        if window == Window.TOTAL:
            return self.total
        if window == Window.TODAY:
            return self.today if day == self.day else 0
        span = 3600 if window == Window.LAST_HOUR else LAST_TWO_HOURS
        cutoff = second - span
        amount = 0
        for bucket_second, bucket_amount in reversed(self.buckets):
            if bucket_second <= cutoff:
                break
            amount += bucket_amount
        return amount


class Stats:
    """Named counters (received, sent_ok, calls, talk_seconds...) per (port, slot)."""

    def __init__(self, now: Callable[[], float], utc_offset: float = 0.0) -> None:
        self._now = now
        self._offset = utc_offset
        self._tallies: dict[tuple[int, int, str], Tally] = {}

    def _clock(self) -> tuple[int, int]:
        now = self._now()
        return int(now), int((now + self._offset) // 86_400)

    def day(self) -> int:
        """Today's number in the device's local time (what the TODAY window counts)."""
        return self._clock()[1]

    def add(self, port: int, slot: int, name: str, amount: int = 1) -> None:
        key = (port, slot, name)
        tally = self._tallies.get(key)
        if tally is None:
            tally = self._tallies[key] = Tally()
        second, day = self._clock()
        tally.add(second, day, amount)

    def count(self, port: int, slot: int, name: str, window: Window) -> int:
        tally = self._tallies.get((port, slot, name))
        if tally is None:
            return 0
        second, day = self._clock()
        return tally.read(window, second, day)
