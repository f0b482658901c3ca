"""What a DBL line needs from the rest of the emulator, as Protocols, and what it reports.

The line owns the SMS-server protocol only; the SIM, the module and sending belong to the
shared hardware model, reached through `Radio`. Time comes from `Timers` (the names of
emulator.clock), datagrams leave through `Emit`, and every datagram in or out is reported
to `Journal` as one frozen event (DBL-GOIP.md 8).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

Addr = tuple[str, int]


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Timers(Protocol):
    """`emulator.clock.VirtualClock` and `RealClock` satisfy this."""

    def now(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle: ...


@dataclass(frozen=True)
class ModuleStatus:
    """What the keepalive and the commands show of a line's module and SIM right now."""

    registered: bool = False  # the SIM is registered (EJOIN state 3): gsm_status LOGIN
    signal: int | None = None  # 0-31, 99 unknown; None without a SIM
    imei: str = ""
    imsi: str = ""
    iccid: str = ""
    operator: str = ""
    in_call: bool = False
    idle_minutes: int = 0  # whole minutes since the line's last call (or boot)


@dataclass(frozen=True)
class SendResult:
    """How one SMS ended on the air; `error` is the failure code (empty: the profile's)."""

    ok: bool
    error: str = ""
    parts: int = 1


class Radio(Protocol):
    """The shared SIM and sending model, seen from one DBL device."""

    def can_send(self, line: int) -> bool:
        """The line's SIM is registered and can take an SMS (else GSM_LOGOUT)."""
        ...

    def status(self, line: int) -> ModuleStatus: ...

    def send_sms(
        self, line: int, number: str, text: str, done: Callable[[SendResult], None]
    ) -> None:
        """Put one SMS on the air; call `done` once, later, when it was sent or failed."""
        ...

    def ussd_reply(self, line: int, code: str) -> str:
        """The network's answer to `code` (the default text names the SIM balance)."""
        ...

    def drop_call(self, line: int) -> None: ...

    def reboot_module(self, line: int) -> None: ...

    def reboot_device(self) -> None: ...

    def set_enabled(self, line: int, enabled: bool) -> None: ...

    def set_imei(self, line: int, imei: str) -> None: ...


Emit = Callable[[bytes, Addr], None]

Outcome = Literal[
    "sent",
    "retransmit",
    "acked",
    "refused",
    "gave_up",
    "answered",
    "ignored",
    "unparsed",
    "not_an_ack",
    # what a UDP fault did to it (POST /_emulator/faults {"udp": ...}), at the socket
    "dropped",
    "delayed",
    "duplicated",
]


@dataclass(frozen=True)
class UdpEvent:
    """Journal kind `udp`: one datagram in or out and what became of it."""

    dir: Literal["in", "out"]
    line: int
    peer: Addr
    type: str
    text: str
    outcome: Outcome
    reason: str = ""


@dataclass(frozen=True)
class SmsSentEvent:
    """Journal kind `device`, `sms_sent`, for an SMS of the bulk protocol."""

    line: int
    to: str
    text: str
    parts: int
    sms_no: int | None
    sendid: int
    telid: int
    ok: bool
    error: str
    via: Literal["udp"] = "udp"


@dataclass(frozen=True)
class SmsReceivedEvent:
    """Journal kind `device`, `sms_received`: one part pushed as RECEIVE."""

    line: int
    sender: str
    text: str
    recvid: int


@dataclass(frozen=True)
class UssdEvent:
    """Journal kind `device`, `ussd`."""

    line: int
    sendid: int
    code: str
    reply: str
    ok: bool


@dataclass(frozen=True)
class LoginEvent:
    """SMS_LOGIN changed (Y or N), and why: the journal says why a line is (not) in."""

    line: int
    sms_login: bool
    reason: str


JournalEvent = UdpEvent | SmsSentEvent | SmsReceivedEvent | UssdEvent | LoginEvent
Journal = Callable[[JournalEvent], None]
