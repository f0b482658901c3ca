"""The `command` body of goip_send_cmd.html (spec 5.1.3)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from emulator.core import settings as settings_mod


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
    LEDON = "ledon"  # skyline firmware
    LEDOFF = "ledoff"  # skyline firmware
    REDIAL = "redial"  # router firmware


PORT_OPS = frozenset({Op.LOCK, Op.UNLOCK, Op.SWITCH, Op.RESET, Op.LEDON, Op.LEDOFF})

# The family gate (EJOIN-EXTRAS, "Firmware variants"): the ops and settings of one firmware
# family (`quirks.firmware`); every other family refuses them `15 Invalid CMD`. A name not
# here is every family's. Settings are named without their index: `port_rx_tx` for
# `port_rx_tx(3)`; the core's settings say their own family, the read-only parameters
# of the router (ejoin/router.py) are the personality's.
FAMILY_OPS: dict[Op, str] = {
    Op.LEDON: "skyline",
    Op.LEDOFF: "skyline",
    Op.REDIAL: "router",
}
FAMILY_SETTINGS: dict[str, str] = {
    **settings_mod.FAMILY,
    "port_public_ip": "router",
    "port_rx_tx": "router",
}
# Ops of a family that act on ports with parameters of their own, and may stand inside
# `multiple` (redial's mode and delay).
FAMILY_PORT_OPS = frozenset({Op.REDIAL})


def family_ops(firmware: str) -> list[Op]:
    """The ops a device of this family knows, in the enum's order."""
    return [op for op in Op if FAMILY_OPS.get(op, firmware) == firmware]


def op_refusal(op: Op, firmware: str) -> str | None:
    """Why a device of `firmware` refuses `op`, or None when it knows it."""
    family = FAMILY_OPS.get(op, firmware)
    return None if family == firmware else f"op {op.value!r} is a {family} firmware command"


def setting_refusal(name: str, firmware: str) -> str | None:
    """Why a device of `firmware` refuses the setting `name` (`ttl`, `port_rx_tx(0)`)."""
    base = name.strip().lower().partition("(")[0]
    family = FAMILY_SETTINGS.get(base, firmware)
    return None if family == firmware else f"setting {name!r} is a {family} firmware setting"


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


REDIAL_PARAMETERS = ("mode", "delay")
_REDIAL_KEYS = {name: f"redial:{name}" for name in REDIAL_PARAMETERS}


class SubCommand(BaseModel):
    """One entry of `ops` (spec 5.1.3, 操作属性说明)."""

    model_config = ConfigDict(extra="forbid")

    op: str
    # `port` is what field clients send beside the spec's `ports` (INTERPRETATION.md).
    ports: str = Field(max_length=4096, validation_alias=AliasChoices("ports", "port"))
    # op=redial's parameters (router firmware), read by the endpoint as the query's are.
    # Only a redial entry takes them: any other op refuses them as unknown attributes.
    mode: Any = Field(None, validation_alias=_REDIAL_KEYS["mode"])
    delay: Any = Field(None, validation_alias=_REDIAL_KEYS["delay"])

    _lenient = field_validator("ports", mode="before")(_ports_text)

    @model_validator(mode="before")
    @classmethod
    def _redial_parameters(cls, data: Any) -> Any:
        if isinstance(data, dict) and str(data.get("op", "")).strip().lower() == Op.REDIAL:
            return {_REDIAL_KEYS.get(k, k): v for k, v in data.items()}
        return data


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
