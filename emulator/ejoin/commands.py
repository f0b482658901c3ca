"""The `command` body of goip_send_cmd.html (spec 5.1.3)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator


class Op(StrEnum):
    LOCK = "lock"
    UNLOCK = "unlock"
    SWITCH = "switch"
    RESET = "reset"
    SAVE = "save"
    REBOOT = "reboot"
    GET = "get"
    SET = "set"
    MULTIPLE = "multiple"
    LEDON = "ledon"
    LEDOFF = "ledoff"


PORT_OPS = frozenset({Op.LOCK, Op.UNLOCK, Op.SWITCH, Op.RESET, Op.LEDON, Op.LEDOFF})
# The ops of one firmware family only (profile quirks.firmware, EJOIN-EXTRAS "Firmware
# variants"); every other op is every family's.
FAMILY_OPS: dict[Op, str] = {Op.LEDON: "skyline", Op.LEDOFF: "skyline"}


def family_ops(firmware: str) -> list[Op]:
    """The ops a device of this firmware family takes, in the enum's order."""
    return [op for op in Op if FAMILY_OPS.get(op, firmware) == firmware]


def family_refusal(op: Op, firmware: str) -> str | None:
    """Why a device of this family refuses `op` (it is another family's), or None."""
    family = FAMILY_OPS.get(op, firmware)
    return None if family == firmware else f"op {op.value!r} is a {family} firmware command"


# Attributes of a command that are not settings for get/set.
RESERVED = frozenset(
    {
        "type",
        "op",
        "ports",
        "port",
        "ops",
        "version",
        "username",
        "password",
        "session",
        "seq",
        "auth",
        "expires",
        "auto_fail_sim_switch",
    }
)


def _ports_text(value: Any) -> Any:
    # Lenient firmware parser: "ports": 5 means "5".
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


class SubCommand(BaseModel):
    """One entry of `ops` (spec 5.1.3, 操作属性说明)."""

    model_config = ConfigDict(extra="forbid")

    op: str
    # `port` is what field clients send beside the spec's `ports` (INTERPRETATION.md).
    ports: str = Field(max_length=4096, validation_alias=AliasChoices("ports", "port"))

    _lenient = field_validator("ports", mode="before")(_ports_text)


class CommandBody(BaseModel):
    """A command; extra attributes name settings for `get` and `set`."""

    model_config = ConfigDict(extra="allow")

    type: str | None = None
    op: str
    ports: str | None = Field(None, max_length=4096)
    ops: list[SubCommand] | None = Field(None, max_length=1024)
    auto_fail_sim_switch: int | str | None = None

    _lenient = field_validator("ports", mode="before")(_ports_text)

    @field_validator("type")
    @classmethod
    def _command(cls, value: str | None) -> str | None:
        if value is not None and value != "command":
            raise ValueError(f"must be 'command', not {value!r}")
        return value

    def settings(self) -> dict[str, Any]:
        return {k: v for k, v in (self.model_extra or {}).items() if k.lower() not in RESERVED}
