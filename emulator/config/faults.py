"""The schema of a fault (POST /_emulator/faults, a scenario's `fault:`): an HTTP fault
on the device API, applied by the transport (emulator/transport/faults.py), or, given as
`{"udp": {...}}`, a fault on a DBL device's datagrams, applied at its sockets
(emulator/dbl/server.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from emulator.config.dbl import WEB_PAGES, WEB_PREFIX

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
        "goip_send_ussd",
        "goip_send_at",
        "goip_send_sms",
        "goip_get_esims",  # skyline firmware
        "goip_write_esims",
        "goip_delete_esims",
        "crypt_sess",
        "encrypt_sess",
        *WEB_PAGES,  # a DBL GoIP's pages keep their extension: "send.html", "status.xml"
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
        name = value.strip().removeprefix(WEB_PREFIX).lstrip("/")
        if name not in WEB_PAGES:
            name = name.removesuffix(".html").removesuffix(".json")
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


class UdpFault(BaseModel):
    """What goes wrong with a DBL device's datagrams: the next `count` that match (a
    line, a direction, a keyword; any when absent), for a `duration`, a `fraction`."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    action: Literal["drop", "delay", "duplicate"]
    line: int | None = Field(None, ge=1, description="one line; all when absent")
    dir: Literal["in", "out"] | None = Field(
        None, description="out: what the device sends; in: what it receives; both when absent"
    )
    keyword: str | None = Field(
        None,
        min_length=1,
        max_length=32,
        pattern=r"^[A-Za-z_]+$",
        description="the datagram's keyword as the journal types it: req, reg, RECEIVE, MSG...",
    )
    seconds: float = Field(
        0, ge=0, le=86_400, description="device seconds: the delay, or how late the copy comes"
    )
    count: int | None = Field(None, ge=1, le=1_000_000)
    duration: float | None = Field(None, gt=0, le=366 * 86_400, description="device seconds")
    fraction: float = Field(1.0, gt=0, le=1)

    @model_validator(mode="after")
    def _delay_needs_time(self) -> UdpFault:
        if self.action == "delay" and self.seconds == 0:
            raise ValueError("seconds: action=delay needs a delay above 0")
        return self


class UdpFaultSpec(BaseModel):
    """`{"udp": {...}}`: the fault's body names its kind, as it reads in a scenario."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    udp: UdpFault

    def problem(self, personality: str, lines: int) -> str | None:
        """Why this device cannot take the fault (not DBL, no such line), if it cannot."""
        if personality != "dbl":
            return "udp: a UDP fault needs a DBL GoIP device (device.personality: dbl)"
        line = self.udp.line
        if line is not None and line > lines:
            return f"udp.line: no line {line}: the device has 1-{lines}"
        return None


AnyFault = FaultSpec | UdpFaultSpec


def fault_spec(value: Any) -> AnyFault:
    """A fault's body as the model of its kind, told apart by the `udp` key: a refusal
    names that kind's fields alone (`udp.seconds`, `status`), never the other's."""
    if isinstance(value, FaultSpec | UdpFaultSpec):
        return value
    model = UdpFaultSpec if isinstance(value, dict) and "udp" in value else FaultSpec
    return model.model_validate(value)
