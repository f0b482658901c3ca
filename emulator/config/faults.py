"""The schema of an HTTP fault (POST /_emulator/faults, a scenario's `fault:`); the
faults themselves are applied by the transport (emulator/transport/faults.py)."""

from __future__ import annotations

from typing import Annotated, Literal

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
