"""The profile's `ussd:` section (EJOIN-EXTRAS, "Menu trees") and its core form.

`UssdSpec` validates what a person writes (a misspelt key, a code that is not a
service code, an unknown `{field}` or a top-up that is not positive is an error naming
its field); `to_config` turns it into the core's frozen `UssdConfig`. The built-in
tree stays the default network unless the profile defines `networks.default`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, field_validator

from emulator.config.common import Model, span
from emulator.core.at import ModuleInfo
from emulator.core.ussd import (
    DEFAULT_TREE,
    TEXT_FIELDS,
    UssdConfig,
    UssdNode,
    UssdTree,
    is_service_code,
)

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_DEFAULTS = UssdTree()


def _check_text(value: str) -> str:
    unknown = [name for name in _PLACEHOLDER.findall(value) if name not in TEXT_FIELDS]
    if unknown:
        raise ValueError(
            f"unknown text field {{{unknown[0]}}}; known: "
            + ", ".join(f"{{{name}}}" for name in TEXT_FIELDS)
        )
    return value


def _check_keys(value: dict[str, Any], what: str, want_code: bool) -> dict[str, Any]:
    seen: dict[str, str] = {}
    for key in value:
        trimmed = key.strip()
        if not trimmed:
            raise ValueError(f"an empty {what}")
        if want_code and not is_service_code(trimmed):
            raise ValueError(
                f"{key!r} is not a service code: it starts with * or # and ends with #"
            )
        if not want_code and is_service_code(trimmed):
            raise ValueError(f"{key!r} is a service code, so a reply can never match it")
        if trimmed in seen:
            raise ValueError(f"{key!r} and {seen[trimmed]!r} are the same {what} once trimmed")
        seen[trimmed] = key
    return value


class UssdNodeSpec(Model):
    """A menu node: the text the network answers, and the replies that lead on."""

    text: str = Field(description="what the network answers; {balance} {number}... of the SIM")
    topup: float | None = Field(None, gt=0, description="added to the SIM's balance first")
    options: dict[str, UssdNodeSpec] = Field(
        default_factory=dict, description="reply -> node; none: the dialogue closes"
    )

    _text = field_validator("text")(_check_text)

    @field_validator("options")
    @classmethod
    def _replies(cls, value: dict[str, UssdNodeSpec]) -> dict[str, UssdNodeSpec]:
        return _check_keys(value, "reply", want_code=False)

    def to_node(self) -> UssdNode:
        return UssdNode(
            text=self.text,
            topup=self.topup or 0.0,
            options={key: node.to_node() for key, node in self.options.items()},
        )


class UssdNetworkSpec(Model):
    """One operator's menu tree."""

    unknown: str = Field(_DEFAULTS.unknown, description="an unknown code, a reply to nothing")
    invalid: str = Field(_DEFAULTS.invalid, description="a reply that matches no option")
    codes: dict[str, UssdNodeSpec] = Field(default_factory=dict)

    _text = field_validator("unknown", "invalid")(_check_text)

    @field_validator("codes")
    @classmethod
    def _codes(cls, value: dict[str, UssdNodeSpec]) -> dict[str, UssdNodeSpec]:
        return _check_keys(value, "service code", want_code=True)

    def to_tree(self) -> UssdTree:
        return UssdTree(
            codes={key: node.to_node() for key, node in self.codes.items()},
            unknown=self.unknown,
            invalid=self.invalid,
        )


Span = Annotated[tuple[float, float], Field(description="seconds, or [min, max]")]


class UssdSpec(Model):
    """The `ussd:` section: timing, lost answers, and menu trees by operator id."""

    latency: Span = Field((0.0, 0.0), description="until the network answers; 0: at once")
    session_timeout: float = Field(30.0, gt=0, description="an open dialogue's life")
    failure_rate: float = Field(0.0, ge=0, le=1, description="share of answers lost")
    networks: dict[str, UssdNetworkSpec] = Field(
        default_factory=dict,
        description='by operator id ("46001"), or "default"; the built-in tree otherwise',
    )

    _latency = field_validator("latency", mode="before")(span)

    @field_validator("latency")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if low < 0 or high < low:
            raise ValueError(f"[{low}, {high}] is not a span: 0 <= min <= max")
        return value

    @field_validator("networks")
    @classmethod
    def _operator_ids(cls, value: dict[str, UssdNetworkSpec]) -> dict[str, UssdNetworkSpec]:
        for key in value:
            if key != "default" and not key.isdigit():
                raise ValueError(
                    f"{key!r} is not an operator id: the leading digits of a SIM's "
                    'operator ("46001"), or "default"'
                )
        return value


def to_config(spec: UssdSpec) -> UssdConfig:
    """The core's form of the section; the built-in tree unless `networks.default` is set."""
    networks = {"default": DEFAULT_TREE}
    networks.update({key: network.to_tree() for key, network in spec.networks.items()})
    return UssdConfig(
        networks=networks,
        latency=spec.latency,
        session_timeout=spec.session_timeout,
        failure_rate=spec.failure_rate,
    )


_MODULE = ModuleInfo()


class ModuleSpec(Model):
    """`device.module`: what every port's GSM module names itself (ATI, AT+CGMI...)."""

    manufacturer: str = Field(_MODULE.manufacturer, min_length=1, max_length=60)
    model: str = Field(_MODULE.model, min_length=1, max_length=60)
    revision: str = Field(_MODULE.revision, min_length=1, max_length=60)

    def to_info(self) -> ModuleInfo:
        return ModuleInfo(self.manufacturer, self.model, self.revision)
