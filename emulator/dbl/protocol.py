"""Every datagram of the DBL GoIP SMS-server protocol, both directions (DBL-GOIP.md 2-6).

Device messages (keepalive, pushes, answers) are what a GoIP line sends; server messages
(acks, bulk requests, commands) are what an SMS server sends to a line. Each kind is a
frozen dataclass whose `encode()` gives the exact bytes on the wire; `parse_from_server`
and `parse_from_device` read them back. Parsing never raises: a datagram that is not one
of the contract's shapes becomes `Unparsed` with the reason, so the caller can journal it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal

# The four ends of a request (section 2): LF, CRLF, the two characters `\` `n` that PHP
# single quotes and C# verbatim strings send, or nothing.
LINE_ENDS: tuple[bytes, ...] = (b"\r\n", b"\n", b"\\n")
ANSWER_END = b"\n"  # bulk answers end with LF (section 2); keepalives and pushes with nothing

PUSH_KEYWORDS: tuple[str, ...] = ("RECEIVE", "DELIVER", "STATE", "RECORD", "HANGUP", "REMAIN")
MAX_TEXT_BYTES = 3000  # section 5: a longer MSG text is cut there

GsmStatus = Literal["LOGIN", "LOGOUT"]
VoipState = Literal["IDLE", "ACTIVE"]
RemainState = Literal["IDLE", "BUSY", "LOGOUT"]
ErrorReason = Literal["BUSY", "PASSWORD", "SENDID", "GSM_LOGOUT", "IMEI"]
ERROR_REASONS: tuple[str, ...] = ("BUSY", "PASSWORD", "SENDID", "GSM_LOGOUT", "IMEI")

_DECIMAL = re.compile(r"[0-9]+")
_SIGNED = re.compile(r"-?[0-9]+")


def strip_line_end(data: bytes) -> bytes:
    """`data` without one trailing line end of section 2 (none is fine too)."""
    for end in LINE_ENDS:
        if data.endswith(end):
            return data[: -len(end)]
    return data


def _decimal(text: str) -> int | None:
    return int(text) if _DECIMAL.fullmatch(text) else None


def _signed(text: str) -> int | None:
    return int(text) if _SIGNED.fullmatch(text) else None


def _yn(flag: bool) -> str:
    return "Y" if flag else "N"


@dataclass(frozen=True)
class Unparsed:
    """A datagram that is none of the contract's shapes; ignored and journaled `unparsed`."""

    raw: bytes
    reason: str
    type: str = ""  # the keyword it seemed to start with, for the journal

    def encode(self) -> bytes:
        return self.raw


# --- device to server: keepalive and pushes (sections 3, 4) --------------------------------


@dataclass(frozen=True)
class Keepalive:
    """`req:<n>;id:...;CGATT:<Y|N>;`, fields in the fixed order goipcron reads by position."""

    type: ClassVar[str] = "req"
    req: int
    id: str
    password: str
    num: str = ""
    signal: int | None = None  # empty without a SIM
    gsm_status: GsmStatus = "LOGOUT"
    voip_status: GsmStatus = "LOGOUT"
    voip_state: VoipState = "IDLE"
    remain_time: int = -1
    imei: str = ""
    imsi: str = ""
    iccid: str = ""
    pro: str = ""
    idle: int = 0
    disable_status: bool = False
    sms_login: bool = False
    smb_login: str = ""
    lac: str = "7E5"
    cell_id: str = "5E5B"
    cgatt: bool = False

    def encode(self) -> bytes:
        signal = "" if self.signal is None else str(self.signal)
        return (
            f"req:{self.req};id:{self.id};pass:{self.password};num:{self.num};signal:{signal};"
            f"gsm_status:{self.gsm_status};voip_status:{self.voip_status};"
            f"voip_state:{self.voip_state};remain_time:{self.remain_time};imei:{self.imei};"
            f"imsi:{self.imsi};iccid:{self.iccid};pro:{self.pro};idle:{self.idle};"
            f"disable_status:{int(self.disable_status)};SMS_LOGIN:{_yn(self.sms_login)};"
            f"SMB_LOGIN:{self.smb_login};CELLINFO:LAC:{self.lac},CELL ID:{self.cell_id};"
            f"CGATT:{_yn(self.cgatt)};"
        ).encode()


@dataclass(frozen=True)
class Receive:
    """An SMS arrived: `RECEIVE:<r>;id:;password:;srcnum:;[smscnum:;]msg:<text as is>`."""

    type: ClassVar[str] = "RECEIVE"
    recvid: int
    id: str
    password: str
    srcnum: str
    msg: str
    smscnum: str | None = None  # only with quirks.send_smsc

    def encode(self) -> bytes:
        smsc = "" if self.smscnum is None else f"smscnum:{self.smscnum};"
        return (
            f"RECEIVE:{self.recvid};id:{self.id};password:{self.password};"
            f"srcnum:{self.srcnum};{smsc}msg:{self.msg}"
        ).encode()


@dataclass(frozen=True)
class Deliver:
    """A status report: `DELIVER:<r>;...;sms_no:<k>;state:<s>;num:<to>` (0 = delivered)."""

    type: ClassVar[str] = "DELIVER"
    recvid: int
    id: str
    password: str
    sms_no: int
    state: int
    num: str

    def encode(self) -> bytes:
        return (
            f"DELIVER:{self.recvid};id:{self.id};password:{self.password};"
            f"sms_no:{self.sms_no};state:{self.state};num:{self.num}"
        ).encode()


@dataclass(frozen=True)
class State:
    """The line's state changed: `STATE:<r>;...;gsm_remain_state:<IDLE|BUSY|LOGOUT>`."""

    type: ClassVar[str] = "STATE"
    recvid: int
    id: str
    password: str
    gsm_remain_state: RemainState

    def encode(self) -> bytes:
        return (
            f"STATE:{self.recvid};id:{self.id};password:{self.password};"
            f"gsm_remain_state:{self.gsm_remain_state}"
        ).encode()


@dataclass(frozen=True)
class Record:
    """A call started: `RECORD:<r>;...;dir:<1 in|2 out>;num:<num>`."""

    type: ClassVar[str] = "RECORD"
    recvid: int
    id: str
    password: str
    dir: Literal[1, 2]
    num: str

    def encode(self) -> bytes:
        return (
            f"RECORD:{self.recvid};id:{self.id};password:{self.password};"
            f"dir:{self.dir};num:{self.num}"
        ).encode()


@dataclass(frozen=True)
class Hangup:
    """A call ended: `HANGUP:<r>;...;num:<num>;cause:<text>`."""

    type: ClassVar[str] = "HANGUP"
    recvid: int
    id: str
    password: str
    num: str
    cause: str

    def encode(self) -> bytes:
        return (
            f"HANGUP:{self.recvid};id:{self.id};password:{self.password};"
            f"num:{self.num};cause:{self.cause}"
        ).encode()


@dataclass(frozen=True)
class Remain:
    """After each call: `REMAIN:<r>;...;gsm_remain_time:<min>`."""

    type: ClassVar[str] = "REMAIN"
    recvid: int
    id: str
    password: str
    gsm_remain_time: int

    def encode(self) -> bytes:
        return (
            f"REMAIN:{self.recvid};id:{self.id};password:{self.password};"
            f"gsm_remain_time:{self.gsm_remain_time}"
        ).encode()


Push = Receive | Deliver | State | Record | Hangup | Remain


# --- device to server: answers of the bulk protocol and commands (sections 5, 6) ----------


@dataclass(frozen=True)
class PasswordPrompt:
    """`PASSWORD <s>`: the MSG was taken, the server must authenticate."""

    type: ClassVar[str] = "PASSWORD"
    sendid: int

    def encode(self) -> bytes:
        return f"PASSWORD {self.sendid}\n".encode()


@dataclass(frozen=True)
class SendPrompt:
    """`SEND <s>`: authenticated, numbers may come."""

    type: ClassVar[str] = "SEND"
    sendid: int

    def encode(self) -> bytes:
        return f"SEND {self.sendid}\n".encode()


@dataclass(frozen=True)
class Wait:
    """`WAIT <s> <t>`: the number is queued or on the air."""

    type: ClassVar[str] = "WAIT"
    sendid: int
    telid: int

    def encode(self) -> bytes:
        return f"WAIT {self.sendid} {self.telid}\n".encode()


@dataclass(frozen=True)
class SendOk:
    """`OK <s> <t> <sms_no>`: the SMS went out (no space before the LF)."""

    type: ClassVar[str] = "OK"
    sendid: int
    telid: int
    sms_no: int

    def encode(self) -> bytes:
        return f"OK {self.sendid} {self.telid} {self.sms_no}\n".encode()


@dataclass(frozen=True)
class SendError:
    """`ERROR <s> <t> errorstatus:<code>`: the SMS failed."""

    type: ClassVar[str] = "ERROR"
    sendid: int
    telid: int
    code: str

    def encode(self) -> bytes:
        return f"ERROR {self.sendid} {self.telid} errorstatus:{self.code}\n".encode()


@dataclass(frozen=True)
class ErrorAnswer:
    """`ERROR <s> <BUSY|PASSWORD|SENDID|GSM_LOGOUT|IMEI>`: a refused request."""

    type: ClassVar[str] = "ERROR"
    sendid: int
    reason: ErrorReason

    def encode(self) -> bytes:
        return f"ERROR {self.sendid} {self.reason}\n".encode()


@dataclass(frozen=True)
class DoneAnswer:
    """`DONE <s>`: the session is closed (also the server's request, same shape)."""

    type: ClassVar[str] = "DONE"
    sendid: int

    def encode(self) -> bytes:
        return f"DONE {self.sendid}\n".encode()


@dataclass(frozen=True)
class CommandReply:
    """`<command> <s> <value>`: `value` is all after the space (`"<num> ok"` for set_gsm_num)."""

    command: str
    sendid: int
    value: str

    @property
    def type(self) -> str:
        return self.command

    def encode(self) -> bytes:
        return f"{self.command} {self.sendid} {self.value}\n".encode()


@dataclass(frozen=True)
class UssdReply:
    """`USSD <s> <reply>`, after `ussd_latency`."""

    type: ClassVar[str] = "USSD"
    sendid: int
    reply: str

    def encode(self) -> bytes:
        return f"USSD {self.sendid} {self.reply}\n".encode()


@dataclass(frozen=True)
class UssdError:
    """`USSDERROR <s> <text>`: no USSD possible (SIM not registered)."""

    type: ClassVar[str] = "USSDERROR"
    sendid: int
    text: str

    def encode(self) -> bytes:
        return f"USSDERROR {self.sendid} {self.text}\n".encode()


@dataclass(frozen=True)
class UssdExitReply:
    """`USSDEXIT <s>`."""

    type: ClassVar[str] = "USSDEXIT"
    sendid: int

    def encode(self) -> bytes:
        return f"USSDEXIT {self.sendid}\n".encode()


Answer = (
    PasswordPrompt
    | SendPrompt
    | Wait
    | SendOk
    | SendError
    | ErrorAnswer
    | DoneAnswer
    | CommandReply
    | UssdReply
    | UssdError
    | UssdExitReply
)
DeviceMessage = Keepalive | Push | Answer


# --- server to device: acks, bulk requests, commands -----------------------------------------


@dataclass(frozen=True)
class KeepaliveAck:
    """`reg:<n>;status:<code>;` (extra fields such as goip-bridge's `v:1;` are kept, unused)."""

    type: ClassVar[str] = "reg"
    reg: int
    status: int
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def logs_in(self) -> bool:
        return self.status == 200

    def encode(self, end: bytes = b"") -> bytes:
        extra = "".join(f"{k}:{v};" for k, v in self.extra)
        return f"reg:{self.reg};status:{self.status};{extra}".encode() + end


@dataclass(frozen=True)
class KeepaliveEcho:
    """An ack that starts `req:` (node-goip, GoIpSmsClient): it never logs a line in."""

    type: ClassVar[str] = "req"
    req: int
    fields: tuple[tuple[str, str], ...] = ()

    def encode(self, end: bytes = b"") -> bytes:
        rest = "".join(f"{k}:{v};" for k, v in self.fields)
        return f"req:{self.req};{rest}".encode() + end


@dataclass(frozen=True)
class PushAck:
    """`<KEYWORD> <r> OK[...]` (ok) or `<KEYWORD> <r> ERROR <text>` (refusal)."""

    keyword: str
    recvid: int
    ok: bool
    text: str = ""  # the refusal's text, or what followed OK

    @property
    def type(self) -> str:
        return self.keyword

    def encode(self, end: bytes = b"") -> bytes:
        if self.ok:
            body = f"{self.keyword} {self.recvid} OK{self.text}"
        else:
            body = f"{self.keyword} {self.recvid} ERROR {self.text}"
        return body.encode() + end


@dataclass(frozen=True)
class Msg:
    """`MSG <s> <len> <text>`: opens a bulk session (`length` as sent, `text` as taken)."""

    type: ClassVar[str] = "MSG"
    sendid: int
    length: int
    text: str

    def encode(self, end: bytes = b"") -> bytes:
        return f"MSG {self.sendid} {self.length} {self.text}".encode() + end


@dataclass(frozen=True)
class Password:
    """`PASSWORD <s> <pw>`."""

    type: ClassVar[str] = "PASSWORD"
    sendid: int
    password: str

    def encode(self, end: bytes = b"") -> bytes:
        return f"PASSWORD {self.sendid} {self.password}".encode() + end


@dataclass(frozen=True)
class Send:
    """`SEND <s> <t> <number>`."""

    type: ClassVar[str] = "SEND"
    sendid: int
    telid: int
    number: str

    def encode(self, end: bytes = b"") -> bytes:
        return f"SEND {self.sendid} {self.telid} {self.number}".encode() + end


@dataclass(frozen=True)
class Done:
    """`DONE <s>`: the server ends the session."""

    type: ClassVar[str] = "DONE"
    sendid: int

    def encode(self, end: bytes = b"") -> bytes:
        return f"DONE {self.sendid}".encode() + end


# Command word -> how many arguments come between the sendid and the password (section 6).
COMMAND_ARITY: dict[str, int] = {
    "get_gsm_num": 0,
    "set_gsm_num": 1,
    "get_gsm_state": 0,
    "get_imei": 0,
    "set_imei": 1,
    "get_exp_time": 0,
    "set_exp_time": 1,
    "get_remain_time": 0,
    "reset_remain_time": 0,
    "get_out_call_interval": 0,
    "set_out_call_interval": 1,
    "svr_drop_call": 0,
    "svr_reboot_module": 0,
    "svr_reboot_dev": 0,
    "module_ctl_i": 1,
}


@dataclass(frozen=True)
class Command:
    """`<command> <s> [<arg>] <pw>`: the password is the last field."""

    command: str
    sendid: int
    args: tuple[str, ...]
    password: str

    @property
    def type(self) -> str:
        return self.command

    def encode(self, end: bytes = b"") -> bytes:
        return " ".join((self.command, str(self.sendid), *self.args, self.password)).encode() + end


@dataclass(frozen=True)
class Ussd:
    """`USSD <s> <pw> <code>`: the password comes second here."""

    type: ClassVar[str] = "USSD"
    sendid: int
    password: str
    code: str

    def encode(self, end: bytes = b"") -> bytes:
        return f"USSD {self.sendid} {self.password} {self.code}".encode() + end


@dataclass(frozen=True)
class UssdExit:
    """`USSDEXIT <s> <pw>`."""

    type: ClassVar[str] = "USSDEXIT"
    sendid: int
    password: str

    def encode(self, end: bytes = b"") -> bytes:
        return f"USSDEXIT {self.sendid} {self.password}".encode() + end


ServerMessage = (
    KeepaliveAck
    | KeepaliveEcho
    | PushAck
    | Msg
    | Password
    | Send
    | Done
    | Command
    | Ussd
    | UssdExit
)


# --- parsing -------------------------------------------------------------------------------


def _decode(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _fields(text: str) -> list[tuple[str, str]] | None:
    """`k:v;k:v;` as pairs (a trailing `;` is optional); None if a field has no `:`."""
    body = text[:-1] if text.endswith(";") else text
    pairs: list[tuple[str, str]] = []
    for part in body.split(";"):
        key, colon, value = part.partition(":")
        if not colon:
            return None
        pairs.append((key, value))
    return pairs


def _type_of(text: str) -> str:
    """The keyword a datagram starts with, for the journal of an unparsed one."""
    return re.split(r"[ :;]", text, maxsplit=1)[0][:32]


def keyword_of(data: bytes) -> str:
    """The keyword a datagram starts with (`req`, `RECEIVE`, `MSG`, `WAIT`...), as the
    journal types it: what a UDP fault's `keyword` names."""
    return _type_of(data.decode("utf-8", "replace"))


def looks_like_push_ack(raw: bytes) -> bool:
    """Whether an unparsed datagram was meant as a push ack (journaled `not_an_ack`)."""
    head = raw[:16].upper()
    return any(head.startswith(k.encode()) for k in PUSH_KEYWORDS)


def take_msg_text(rest: bytes, length: int | None) -> str | None:
    """The text of a MSG after its `len` field (section 5 decision), None if not UTF-8.

    Exactly `length` bytes are taken; a cut inside a UTF-8 character drops that character;
    if fewer follow, all are taken but the line end. `length=None` (quirks.msg_length:
    ignore) takes the rest of the datagram but the line end.
    """
    rest = strip_line_end(rest) if length is None or length > len(rest) else rest[:length]
    rest = rest[:MAX_TEXT_BYTES]
    # A cut inside a character leaves at most 3 bytes of it at the end.
    for drop in range(4):
        text = _decode(rest[: len(rest) - drop] if drop else rest)
        if text is not None:
            return text
    return None


def parse_from_server(
    data: bytes, *, msg_length: Literal["bytes", "ignore"] = "bytes"
) -> ServerMessage | Unparsed:
    """Read one datagram an SMS server sent to a line; never raises."""
    try:
        return _parse_from_server(data, msg_length)
    except Exception as exc:  # garbage must never take a line down
        return Unparsed(data, f"parser error: {type(exc).__name__}")


def _parse_from_server(data: bytes, msg_length: str) -> ServerMessage | Unparsed:
    if data.startswith(b"MSG "):
        return _parse_msg(data, msg_length)
    text = _decode(strip_line_end(data))
    if text is None:
        return Unparsed(data, "not UTF-8")
    if not text:
        return Unparsed(data, "empty datagram")
    kind = _type_of(text)
    if text.startswith(("reg:", "req:")):
        return _parse_keepalive_ack(data, text, kind)
    words = text.split(" ")
    head = words[0]
    if head in PUSH_KEYWORDS:
        return _parse_push_ack(data, text, head)
    if head == "PASSWORD":
        s = _decimal(words[1]) if len(words) > 1 else None
        if s is None:
            return Unparsed(data, "PASSWORD needs a decimal sendid", kind)
        return Password(s, text.split(" ", 2)[2] if len(words) > 2 else "")
    if head == "SEND":
        if len(words) < 4:
            return Unparsed(data, "SEND needs <sendid> <telid> <number>", kind)
        s, t = _decimal(words[1]), _decimal(words[2])
        number = text.split(" ", 3)[3]
        if s is None or t is None:
            return Unparsed(data, "SEND needs a decimal sendid and telid", kind)
        if not number:
            return Unparsed(data, "SEND has an empty number", kind)
        return Send(s, t, number)
    if head == "DONE":
        s = _decimal(words[1]) if len(words) == 2 else None
        if s is None:
            return Unparsed(data, "DONE needs exactly a decimal sendid", kind)
        return Done(s)
    if head == "USSD":
        if len(words) < 4:
            return Unparsed(data, "USSD needs <sendid> <password> <code>", kind)
        s = _decimal(words[1])
        code = text.split(" ", 3)[3]
        if s is None:
            return Unparsed(data, "USSD needs a decimal sendid", kind)
        if not code:
            return Unparsed(data, "USSD has an empty code", kind)
        return Ussd(s, words[2], code)
    if head == "USSDEXIT":
        s = _decimal(words[1]) if len(words) == 3 else None
        if s is None:
            return Unparsed(data, "USSDEXIT needs <sendid> <password>", kind)
        return UssdExit(s, words[2])
    if head in COMMAND_ARITY:
        arity = COMMAND_ARITY[head]
        if len(words) != arity + 3:
            return Unparsed(data, f"{head} takes {arity + 2} fields after the command", kind)
        s = _decimal(words[1])
        if s is None:
            return Unparsed(data, f"{head} needs a decimal sendid", kind)
        return Command(head, s, tuple(words[2 : 2 + arity]), words[-1])
    if looks_like_push_ack(data):
        return Unparsed(data, "not an ack: the keyword must be upper case, then <r> OK", kind)
    return Unparsed(data, "unknown command word", kind)


def _parse_msg(data: bytes, msg_length: str) -> Msg | Unparsed:
    parts = data.split(b" ", 3)
    if len(parts) < 4:
        rest_known = strip_line_end(data).split(b" ", 3)
        if len(rest_known) != 3:
            return Unparsed(data, "MSG needs <sendid> <len> <text>", "MSG")
        parts = [*rest_known, b""]
    s, length = _decimal(parts[1].decode("latin-1")), _decimal(parts[2].decode("latin-1"))
    if s is None or length is None:
        return Unparsed(data, "MSG needs a decimal sendid and length", "MSG")
    text = take_msg_text(parts[3], None if msg_length == "ignore" else length)
    if text is None:
        return Unparsed(data, "MSG text is not UTF-8", "MSG")
    return Msg(s, length, text)


def _parse_keepalive_ack(data: bytes, text: str, kind: str) -> ServerMessage | Unparsed:
    pairs = _fields(text)
    if not pairs:
        return Unparsed(data, "a field has no ':'", kind)
    n = _decimal(pairs[0][1])
    if n is None:
        return Unparsed(data, f"{kind} needs a decimal keepalive number", kind)
    if kind == "req":
        return KeepaliveEcho(n, tuple(pairs[1:]))
    if len(pairs) < 2 or pairs[1][0] != "status":
        return Unparsed(data, "reg ack needs status: second", kind)
    status = _signed(pairs[1][1])
    if status is None:
        return Unparsed(data, "reg ack status is not a number", kind)
    return KeepaliveAck(n, status, tuple(pairs[2:]))


def _parse_push_ack(data: bytes, text: str, keyword: str) -> PushAck | Unparsed:
    parts = text.split(" ", 2)
    r = _decimal(parts[1]) if len(parts) > 1 else None
    if r is None:
        return Unparsed(data, f"not an ack: {keyword} needs a decimal recvid", keyword)
    rest = parts[2] if len(parts) > 2 else ""
    if rest.startswith("OK"):
        return PushAck(keyword, r, True, rest[2:])
    if rest == "ERROR" or rest.startswith("ERROR "):
        return PushAck(keyword, r, False, rest[6:])
    return Unparsed(data, f"not an ack: {keyword} <r> must be followed by OK or ERROR", keyword)


def parse_from_device(data: bytes) -> DeviceMessage | Unparsed:
    """Read one datagram a line sent (what an SMS server or a test sees); never raises."""
    try:
        return _parse_from_device(data)
    except Exception as exc:
        return Unparsed(data, f"parser error: {type(exc).__name__}")


_KEEPALIVE_KEYS = [
    "req",
    "id",
    "pass",
    "num",
    "signal",
    "gsm_status",
    "voip_status",
    "voip_state",
    "remain_time",
    "imei",
    "imsi",
    "iccid",
    "pro",
    "idle",
    "disable_status",
    "SMS_LOGIN",
    "SMB_LOGIN",
    "CELLINFO",
    "CGATT",
]


def _parse_from_device(data: bytes) -> DeviceMessage | Unparsed:
    text = _decode(data)
    if text is None:
        return Unparsed(data, "not UTF-8")
    kind = _type_of(text)
    if text.startswith("req:"):
        return _parse_keepalive(data, text)
    for keyword in PUSH_KEYWORDS:
        if text.startswith(keyword + ":"):
            return _parse_push(data, text, keyword)
    if not text.endswith("\n"):
        return Unparsed(data, "an answer ends with LF", kind)
    body = text[:-1]
    words = body.split(" ")
    head = words[0]
    s = _decimal(words[1]) if len(words) > 1 else None
    if s is None:
        return Unparsed(data, "an answer needs a decimal sendid", kind)
    simple = {"PASSWORD": PasswordPrompt, "SEND": SendPrompt, "DONE": DoneAnswer}
    if head in simple and len(words) == 2:
        return simple[head](s)
    if head == "USSDEXIT" and len(words) == 2:
        return UssdExitReply(s)
    if head in ("USSD", "USSDERROR") and len(words) > 2:
        rest = body.split(" ", 2)[2]
        return UssdReply(s, rest) if head == "USSD" else UssdError(s, rest)
    if head == "WAIT" and len(words) == 3 and (t := _decimal(words[2])) is not None:
        return Wait(s, t)
    if head == "OK" and len(words) == 4:
        t, k = _decimal(words[2]), _decimal(words[3])
        if t is not None and k is not None:
            return SendOk(s, t, k)
    if head == "ERROR":
        if len(words) == 3 and words[2] in ERROR_REASONS:
            return ErrorAnswer(s, words[2])  # type: ignore[arg-type]
        if len(words) == 4 and (t := _decimal(words[2])) is not None:
            code = words[3].removeprefix("errorstatus:")
            if code != words[3]:
                return SendError(s, t, code)
    if head in COMMAND_ARITY and len(words) > 2:
        return CommandReply(head, s, body.split(" ", 2)[2])
    return Unparsed(data, "not an answer of the contract", kind)


def _parse_keepalive(data: bytes, text: str) -> Keepalive | Unparsed:
    pairs = _fields(text)
    if pairs is None or [k for k, _ in pairs] != _KEEPALIVE_KEYS:
        return Unparsed(data, "keepalive fields are not in the fixed order", "req")
    v = dict(pairs)
    cell = v["CELLINFO"]
    lac, _, cell_id = cell.removeprefix("LAC:").partition(",CELL ID:")
    req, remain, idle = _decimal(v["req"]), _signed(v["remain_time"]), _decimal(v["idle"])
    signal = None if v["signal"] == "" else _decimal(v["signal"])
    if req is None or remain is None or idle is None or (v["signal"] and signal is None):
        return Unparsed(data, "a numeric keepalive field is not a number", "req")
    enums = (v["gsm_status"], v["voip_status"])
    if any(e not in ("LOGIN", "LOGOUT") for e in enums) or v["voip_state"] not in (
        "IDLE",
        "ACTIVE",
    ):
        return Unparsed(data, "a status field has an unknown value", "req")
    return Keepalive(
        req=req,
        id=v["id"],
        password=v["pass"],
        num=v["num"],
        signal=signal,
        gsm_status=v["gsm_status"],  # type: ignore[arg-type]
        voip_status=v["voip_status"],  # type: ignore[arg-type]
        voip_state=v["voip_state"],  # type: ignore[arg-type]
        remain_time=remain,
        imei=v["imei"],
        imsi=v["imsi"],
        iccid=v["iccid"],
        pro=v["pro"],
        idle=idle,
        disable_status=v["disable_status"] == "1",
        sms_login=v["SMS_LOGIN"] == "Y",
        smb_login=v["SMB_LOGIN"],
        lac=lac,
        cell_id=cell_id,
        cgatt=v["CGATT"] == "Y",
    )


def _prefixed(text: str, keys: tuple[str, ...]) -> list[str] | None:
    """Values of `k1:v1;k2:v2;...;kn:<rest>`, the last one taking the rest as is."""
    values: list[str] = []
    rest = text
    for i, key in enumerate(keys):
        if not rest.startswith(key + ":"):
            return None
        rest = rest[len(key) + 1 :]
        if i == len(keys) - 1:
            values.append(rest)
        else:
            value, sep, rest = rest.partition(";")
            if not sep:
                return None
            values.append(value)
    return values


_PUSH_KEYS: dict[str, tuple[str, ...]] = {
    "DELIVER": ("sms_no", "state", "num"),
    "STATE": ("gsm_remain_state",),
    "RECORD": ("dir", "num"),
    "HANGUP": ("num", "cause"),
    "REMAIN": ("gsm_remain_time",),
}


def _parse_push(data: bytes, text: str, keyword: str) -> Push | Unparsed:
    pieces = text.split(";", 3)
    head = _prefixed(";".join(pieces[:3]), (keyword, "id", "password"))
    if head is None or len(pieces) < 4:
        return Unparsed(data, f"{keyword} needs <r>;id:;password: first", keyword)
    r = _decimal(head[0])
    if r is None:
        return Unparsed(data, f"{keyword} recvid is not decimal", keyword)
    ident, password, rest = head[1], head[2], pieces[3]
    if keyword == "RECEIVE":
        with_smsc = _prefixed(rest, ("srcnum", "smscnum", "msg"))
        if with_smsc is not None:
            return Receive(r, ident, password, with_smsc[0], with_smsc[2], with_smsc[1])
        plain = _prefixed(rest, ("srcnum", "msg"))
        if plain is None:
            return Unparsed(data, "RECEIVE needs srcnum: then msg:", keyword)
        return Receive(r, ident, password, plain[0], plain[1])
    values = _prefixed(rest, _PUSH_KEYS[keyword])
    if values is None:
        return Unparsed(data, f"{keyword} fields are not {_PUSH_KEYS[keyword]}", keyword)
    if keyword == "DELIVER":
        k, st = _decimal(values[0]), _signed(values[1])
        if k is None or st is None:
            return Unparsed(data, "DELIVER sms_no and state are numbers", keyword)
        return Deliver(r, ident, password, k, st, values[2])
    if keyword == "STATE":
        if values[0] not in ("IDLE", "BUSY", "LOGOUT"):
            return Unparsed(data, "STATE has an unknown gsm_remain_state", keyword)
        return State(r, ident, password, values[0])  # type: ignore[arg-type]
    if keyword == "RECORD":
        if values[0] not in ("1", "2"):
            return Unparsed(data, "RECORD dir is 1 or 2", keyword)
        return Record(r, ident, password, int(values[0]), values[1])  # type: ignore[arg-type]
    if keyword == "HANGUP":
        return Hangup(r, ident, password, values[0], values[1])
    minutes = _signed(values[0])
    if minutes is None:
        return Unparsed(data, "REMAIN gsm_remain_time is a number", keyword)
    return Remain(r, ident, password, minutes)


# --- parts of a long inbound SMS (section 4) -------------------------------------------------

_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = frozenset("\f^{}\\[~]|€")


def split_parts(text: str) -> list[str]:
    """The parts a text arrives in: 160 GSM-7 / 70 UCS-2 in one, else 153 / 67 per part.

    GSM-7 extension characters take two septets and are never split from their escape;
    UCS-2 counts UTF-16 units and never splits a surrogate pair.
    """
    gsm7 = (_GSM7 | _GSM7_EXT).issuperset(text)

    def cost(ch: str) -> int:
        if gsm7:
            return 2 if ch in _GSM7_EXT else 1
        return 2 if ord(ch) > 0xFFFF else 1

    single, multi = (160, 153) if gsm7 else (70, 67)
    if sum(map(cost, text)) <= single:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        c = cost(ch)
        if used + c > multi:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += c
    parts.append("".join(current))
    return parts
