"""HTTP faults on the device API, injected through POST /_emulator/faults and scenarios.

A rule says what goes wrong (`delay` the answer, answer an HTTP `error`, or `drop`
the connection unanswered), on which endpoint (all when absent), and for how long:
the next `count` matching requests, a `duration` of device time from when it was
added, a `fraction` of matching requests (drawn from the seeded random), or any
mix. The first active rule that matches a request applies. Pure: time and
randomness come in from the caller.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from emulator.config.faults import ENDPOINTS, FaultSpec

__all__ = ["ENDPOINTS", "Fault", "FaultSpec", "Faults", "Hit"]


@dataclass(slots=True)
class Fault:
    id: int
    spec: FaultSpec
    added: float
    remaining: int | None
    hits: int = 0

    def active(self, now: float) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        return not (self.spec.duration is not None and now >= self.added + self.spec.duration)

    def as_json(self, now: float) -> dict[str, object]:
        return {
            "id": self.id,
            **self.spec.model_dump(exclude_none=True),
            "remaining": self.remaining,
            "hits": self.hits,
            "active": self.active(now),
        }


@dataclass(frozen=True, slots=True)
class Hit:
    """What to do to one request."""

    fault_id: int
    action: str
    status: int
    delay: float  # real seconds


class Faults:
    """The fault rules of one device."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._rules: list[Fault] = []
        self._next_id = 1

    def add(self, spec: FaultSpec, now: float) -> Fault:
        fault = Fault(self._next_id, spec, now, spec.count)
        self._next_id += 1
        self._rules.append(fault)
        return fault

    def remove(self, fault_id: int) -> bool:
        before = len(self._rules)
        self._rules = [f for f in self._rules if f.id != fault_id]
        return len(self._rules) != before

    def clear(self) -> int:
        count = len(self._rules)
        self._rules.clear()
        return count

    def list(self) -> list[Fault]:
        return list(self._rules)

    @property
    def armed(self) -> bool:
        """Any rule at all: when none, a request is not even looked at."""
        return bool(self._rules)

    def match(self, endpoint: str, now: float) -> Hit | None:
        """The fault that applies to a request to `endpoint` now, if any (and count it)."""
        if not self._rules:
            return None
        for fault in self._rules:
            spec = fault.spec
            if not fault.active(now) or (spec.endpoint and spec.endpoint != endpoint):
                continue
            if spec.fraction < 1 and self._rng.random() >= spec.fraction:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
            fault.hits += 1
            delay = spec.delay_ms
            if isinstance(delay, tuple):
                delay = self._rng.uniform(*delay)
            return Hit(fault.id, spec.action, spec.status, float(delay) / 1000)
        return None
