"""The `dbl:` profile section: how a DBL GoIP device talks to its SMS server (DBL-GOIP 1).

Read by the DBL personality (emulator/dbl/personality.py), which turns it into one
`LineConfig` per line; `--sms-server` and `--sms-local-port` override `server` and
`local_port` (emulator/cli.py).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from emulator.config.common import Model

# The pages of the web UI and HTTP SMS under WEB_PREFIX (DBL-GOIP.md 7): their names are
# the journal's request types, the metrics' endpoints and what an HTTP fault may name.
WEB_PREFIX = "/default/en_US/"
WEB_PAGES = (
    "send.html",
    "send_status.xml",
    "send_sms_status.xml",
    "tools.html",
    "sms_info.html",
    "ussd_info.html",
    "status.xml",
)


class AddressError(ValueError):
    """A HOST:PORT that is not one."""


def parse_address(text: str) -> tuple[str, int]:
    """`127.0.0.1:44444` or `[::1]:44444` -> (host, port); AddressError otherwise."""
    found = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:([0-9]{1,5})|([^\s:\[\]]+):([0-9]{1,5})", text)
    if found is None:
        raise AddressError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:44444 or [::1]:44444)")
    host = found[1] or found[3]
    port = int(found[2] or found[4])
    if not 1 <= port <= 65535:
        raise AddressError(f"{text!r}: port {port} is outside 1-65535")
    return host, port


class DblQuirks(Model):
    """Firmware differences of the DBL family (docs/dbl.md)."""

    send_smsc: bool = Field(False, description="RECEIVE carries smscnum: (Send SMSC Number)")
    msg_length: Literal["bytes", "ignore"] = Field(
        "bytes", description="MSG <len> counts UTF-8 bytes, or is ignored (the rest is the text)"
    )
    resend_duplicates: bool = Field(
        False, description="a repeated SEND of a waiting number sends it again (a GoIP8)"
    )
    font_tags: bool = Field(
        False,
        description="status.xml wraps bad values (not registered, weak signal) in an escaped "
        "red <font> tag, as field firmware does",
    )


class DblLineSpec(Model):
    """What one line changes of the section's defaults."""

    client_id: str | None = None
    client_password: str | None = None
    num: str | None = None


class DblSpec(Model):
    """Defaults of DBL-GOIP.md section 1."""

    server: str = Field("127.0.0.1:44444", description="the SMS server of every line, HOST:PORT")
    local_port: int = Field(
        9991, ge=0, le=65535, description="line n binds local_port+n-1; 0: any free port"
    )
    client_id: str = Field("goip{line:02d}", description="template over {line}")
    client_password: str = "goip"
    lines: dict[int, DblLineSpec] = Field(default_factory=dict)
    keepalive_period: float = Field(30.0, gt=0)
    first_keepalive: float = Field(1.0, ge=0, description="seconds after boot")
    retransmit_interval: float = Field(3.0, gt=0)
    retransmit_max: int = Field(3, ge=0)
    session_idle: float = Field(90.0, gt=0)
    max_sessions: int = Field(5, ge=1)
    delivery_reports: bool = True
    delivery_delay: float = Field(5.0, ge=0)
    inbox_slots: int = Field(20, ge=1)
    send_error_code: str = "38"
    ussd_latency: float = Field(3.0, ge=0)
    ussd_replies: dict[str, str] = Field(default_factory=dict)
    part_gap: float = Field(0.0, ge=0)
    lac: str = "7E5"
    cell_id: str = "5E5B"
    quirks: DblQuirks = DblQuirks()

    @field_validator("server")
    @classmethod
    def _address(cls, value: str) -> str:
        parse_address(value)
        return value

    @field_validator("client_id")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            value.format(line=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"template {value!r} does not format: {exc}") from None
        return value

    @property
    def address(self) -> tuple[str, int]:
        return parse_address(self.server)
