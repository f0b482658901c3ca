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
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ENDPOINTS = frozenset(
    {
        "goip_get_status",
        "goip_send_cmd",
        "goip_post_sms",
        "goip_pause_sms",
        "goip_resume_sms",
        "goip_remove_sms",
        "goip_get_tasks",
        "goip_get_sms",
        "goip_get_sms_stat",
        "goip_get_call_stat",
        "crypt_sess",
        "encrypt_sess",
    }
)

Millis = Annotated[float, Field(ge=0, le=120_000)]


class FaultSpec(BaseModel):
    """What a user asks for; validated with errors that name the field."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    action: Literal["delay", "error", "drop"]
    endpoint: str | None = Field(None, description="e.g. goip_post_sms; all when absent")
    status: int = Field(500, ge=400, le=599, description="HTTP status for action=error")
    delay_ms: Millis | tuple[Millis, Millis] = Field(
        0, description="real milliseconds, fixed or [min, max], for action=delay"
    )
    count: int | None = Field(None, ge=1, le=1_000_000)
    duration: float | None = Field(None, gt=0, le=366 * 86_400, description="device seconds")
    fraction: float = Field(1.0, gt=0, le=1)

    @field_validator("endpoint")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name = value.strip().lstrip("/").removesuffix(".html").removesuffix(".json")
        if name not in ENDPOINTS:
            raise ValueError(f"{value!r} is not a device endpoint ({', '.join(sorted(ENDPOINTS))})")
        return name

    @model_validator(mode="after")
    def _delay_needs_time(self) -> FaultSpec:
        if self.action == "delay" and self.delay_ms in (0, (0, 0)):
            raise ValueError("delay_ms: action=delay needs a delay above 0")
        if isinstance(self.delay_ms, tuple) and self.delay_ms[1] < self.delay_ms[0]:
            raise ValueError("delay_ms: [min, max] must have min <= max")
        return self


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
