"""HTTP faults on the device API, injected through POST /_emulator/faults and scenarios.

A rule says what goes wrong (`delay` the answer, answer an HTTP `error`, or `drop`
the connection unanswered), on which endpoint (all when absent), and for how long:
the next `count` matching requests, a `duration` of device time from when it was
added, a `fraction` of matching requests (drawn from the seeded random), or any
mix. The first active rule that matches a request applies. Pure: time and
randomness come in from the caller.

A UDP rule (`{"udp": {...}}`, a DBL device's datagrams) lives in the same list, with
the same ids, counts and clearing; the sockets ask `match_udp`, HTTP requests never see it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from emulator.config.faults import ENDPOINTS, FaultSpec, UdpFault, UdpFaultSpec

__all__ = ["ENDPOINTS", "Fault", "FaultSpec", "Faults", "Hit", "UdpFaultSpec", "UdpHit"]


@dataclass(slots=True)
class Fault:
    id: int
    spec: FaultSpec | UdpFaultSpec
    added: float
    remaining: int | None
    hits: int = 0

    @property
    def rule(self) -> FaultSpec | UdpFault:
        """The fields that say when it applies (count, duration, fraction), of either kind."""
        return self.spec.udp if isinstance(self.spec, UdpFaultSpec) else self.spec

    def active(self, now: float) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        duration = self.rule.duration
        return not (duration is not None and now >= self.added + duration)

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


@dataclass(frozen=True, slots=True)
class UdpHit:
    """What to do to one datagram: drop it, hand it on `seconds` of device time later,
    or hand it on and a copy `seconds` later."""

    fault_id: int
    action: str
    seconds: float


class Faults:
    """The fault rules of one device."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._rules: list[Fault] = []
        self._next_id = 1

    def add(self, spec: FaultSpec | UdpFaultSpec, now: float) -> Fault:
        count = spec.udp.count if isinstance(spec, UdpFaultSpec) else spec.count
        fault = Fault(self._next_id, spec, now, count)
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
        """Any HTTP rule at all: when none, a request is not even looked at."""
        # The common case, no rule at all, without a generator: asked on every request.
        return bool(self._rules) and any(isinstance(f.spec, FaultSpec) for f in self._rules)

    def match(self, endpoint: str, now: float) -> Hit | None:
        """The fault that applies to a request to `endpoint` now, if any (and count it)."""
        if not self._rules:
            return None
        for fault in self._rules:
            spec = fault.spec
            if not isinstance(spec, FaultSpec):
                continue
            if not fault.active(now) or (spec.endpoint and spec.endpoint != endpoint):
                continue
            if not self._take(fault):
                continue
            delay = spec.delay_ms
            if isinstance(delay, tuple):
                delay = self._rng.uniform(*delay)
            return Hit(fault.id, spec.action, spec.status, float(delay) / 1000)
        return None

    def match_udp(self, line: int, direction: str, keyword: str, now: float) -> UdpHit | None:
        """The UDP fault that applies to one datagram of `line` now, if any (and count it)."""
        for fault in self._rules:
            if not isinstance(fault.spec, UdpFaultSpec) or not fault.active(now):
                continue
            rule = fault.spec.udp
            if (
                (rule.line is not None and rule.line != line)
                or (rule.dir is not None and rule.dir != direction)
                or (rule.keyword is not None and rule.keyword != keyword)
            ):
                continue
            if self._take(fault):
                return UdpHit(fault.id, rule.action, rule.seconds)
        return None

    def _take(self, fault: Fault) -> bool:
        """Whether the matching rule applies this time (its fraction), counting it if so."""
        fraction = fault.rule.fraction
        if fraction < 1 and self._rng.random() >= fraction:
            return False
        if fault.remaining is not None:
            fault.remaining -= 1
        fault.hits += 1
        return True
