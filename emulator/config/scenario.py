"""Timed events from a profile's `scenario:`: the outside world acting on the device.

Each entry fires once `at` a device time (seconds after start), or `every` period
from `start` (default: one period in), until `until` or `count` firings, each
moved by up to ±`jitter` seconds drawn from the seed. Its one action is a SIM
event on some slots, an HTTP fault, a command, a reboot, an inbound SMS or voice
calls. Texts are templates: `{n}` is the firing number (from 1), `{port}` the
port, `{t}` the device time. Every firing is journaled; an action the device
refuses (blocking an empty slot) is journaled with its reason and the scenario
goes on.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from emulator.config.common import Model, span
from emulator.config.faults import AnyFault, fault_spec
from emulator.core.calls import CallPlan

MAX_CALL_SPAN = 86_400.0


class SimAction(Model):
    slots: str = Field(description="slots, ports or ranges: '3B', '1-4', 'all'")
    event: str
    value: int | None = None
    amount: float | None = None

    def params(self) -> dict[str, object]:
        """The event's parameters, as the control API takes them."""
        found: dict[str, object] = {}
        if self.value is not None:
            found["value"] = self.value
        if self.amount is not None:
            found["amount"] = self.amount
        return found


class CommandAction(Model):
    op: Literal["lock", "unlock", "switch", "reset", "save"]
    ports: str | None = None


class SmsAction(Model):
    ports: str = Field(description="ports or slots that receive, e.g. '1-8' or 'all'")
    sender: str = "+15550{n:06d}"
    text: str | list[str] = Field(
        "Scenario message {n}", description="a template, or a list of them taken in turn"
    )
    recipient: str | None = None
    pick: Literal["cycle", "random", "each"] = "cycle"


class CallsAction(Model):
    """Voice calls on ports (POST /_emulator/calls takes the same fields)."""

    port: str = Field(description="ports: '1', '1-4', 'all'")
    count: int = Field(1, ge=1, le=100_000)
    interval: tuple[float, float] = (0.0, 0.0)
    pdd: tuple[float, float] = (2.0, 6.0)
    ring: tuple[float, float] = (3.0, 15.0)
    talk: tuple[float, float] = (30.0, 180.0)
    alert_ratio: float = Field(1.0, ge=0, le=1)
    answer_ratio: float = Field(0.7, ge=0, le=1)
    peer: str | None = Field(None, description="another port: the calls go port to port (13, 14)")
    number: str | None = Field(
        None,
        min_length=1,
        max_length=32,
        pattern=r"^[0-9A-Za-z+*#]+$",
        description="the number called; absent: the device makes up one per call (+1555...)",
    )

    _spans = field_validator("interval", "pdd", "ring", "talk", mode="before")(span)

    @field_validator("port", "peer", "number", mode="before")
    @classmethod
    def _port_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("interval", "pdd", "ring", "talk")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        # A call that never ends would hold its port in state 4 for good: a day at most.
        if not 0 <= value[0] <= value[1] <= MAX_CALL_SPAN:
            raise ValueError(
                f"[{value[0]}, {value[1]}] must be 0 <= min <= max <= {MAX_CALL_SPAN} seconds"
            )
        return value

    def plan(self, peer: int | None = None) -> CallPlan:
        """The core's plan; `peer` is the port number `peer` names (the edge parses it)."""
        return CallPlan(
            peer=peer,
            count=self.count,
            interval=self.interval,
            pdd=self.pdd,
            ring=self.ring,
            talk=self.talk,
            alert_ratio=self.alert_ratio,
            answer_ratio=self.answer_ratio,
            number=self.number,
        )


class UssdAction(Model):
    """A USSD string dialled on one port, as goip_send_ussd.html would."""

    port: str = Field(description="one port, e.g. '1' (1A and 1.01 mean port 1 too)")
    code: str = Field(min_length=1, max_length=182, description="'*100#', or a menu reply '1'")
    timeout: int = Field(120, ge=1, le=600)
    retries: int = Field(3, ge=0, le=10)

    @field_validator("port", "code", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class AtAction(Model):
    """One AT command to a port's module, as goip_send_at.html would."""

    port: str = Field(description="one port, e.g. '1'")
    command: str = Field(min_length=1, max_length=560)

    @field_validator("port", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


ACTIONS = ("sim", "fault", "command", "reboot", "sms", "calls", "ussd", "at_command")


class ScenarioEvent(Model):
    at: float | None = Field(None, ge=0)
    every: float | None = Field(None, gt=0)
    start: float | None = Field(None, ge=0)
    until: float | None = Field(None, ge=0)
    count: int | None = Field(None, ge=1)
    jitter: float = Field(0, ge=0)
    name: str | None = None

    sim: SimAction | None = None
    fault: AnyFault | None = Field(None, description="an HTTP fault, or {udp: {...}}")
    command: CommandAction | None = None
    reboot: bool | None = None
    sms: SmsAction | None = None
    calls: CallsAction | None = None
    ussd: UssdAction | None = None
    # Not `at:`, which is already when a one-time event fires.
    at_command: AtAction | None = None

    @field_validator("fault", mode="wrap")
    @classmethod
    def _fault_kind(cls, value: Any, handler: Any) -> AnyFault | None:
        return None if value is None else fault_spec(value)

    @model_validator(mode="after")
    def _one_time_one_action(self) -> ScenarioEvent:
        if (self.at is None) == (self.every is None):
            raise ValueError("give exactly one of 'at' (once) or 'every' (repeating)")
        if self.at is not None and (self.start, self.until, self.count) != (None, None, None):
            raise ValueError("'start', 'until' and 'count' go with 'every', not 'at'")
        actions = [name for name in ACTIONS if getattr(self, name) not in (None, False)]
        if len(actions) != 1:
            found = ", ".join(actions) or "none"
            raise ValueError(f"give exactly one action of {', '.join(ACTIONS)} (found {found})")
        return self

    @property
    def action(self) -> str:
        for name in ACTIONS:
            if getattr(self, name) not in (None, False):
                return name
        raise AssertionError("validated to have one action")
