"""The bytes of a DBL GoIP's web pages (DBL-GOIP.md 7), pure: values in, text out.

Scrapers read these pages by position and by literal markers (`smskey" value="`,
`var sms, pos;` + LF, CRLF after each inbox line), so every separator here is
deliberate; tests/dbl/test_dbl_pages.py pins the bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

BoxKind = Literal["sms_inbox", "sms_outbox"]
FormKind = Literal["sms", "ussd"]
Fields = list[tuple[str, str]]

KEY_MASK = 0xFFFFFFFF  # an ID is 8 hex digits: the clock's seconds modulo 2**32
_RED = '<font color="#FF0000">{}</font>'
WEAK_SIGNAL = 10  # below this (or 99, unknown) status.xml shows the signal as bad


def key_text(value: int) -> str:
    """A send ID / smskey: 8 lower-case hex digits (`6a52acc8`, `0000006d`)."""
    return f"{value & KEY_MASK:08x}"


def xml_text(value: str) -> str:
    """Element text as the firmware escapes it: `&` and `<` only (a `>` stays, as in
    `&lt;font color="#FF0000">N&lt;/font>`), and the one `>` XML forbids, after `]]`."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace("]]>", "]]&gt;")


def html_text(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def page(title: str, body: str) -> str:
    """An HTML page of the web UI around `body`."""
    return (
        "<html>\r\n<head>\r\n"
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n'
        f"<title>{html_text(title)}</title>\r\n</head>\r\n<body>\r\n{body}</body>\r\n</html>\r\n"
    )


# --- send.html ---------------------------------------------------------------------------


def send_answer(line: int, number: str, key: str) -> str:
    """send.html's answer to a send it started ([S3] takes what follows `ID:`)."""
    return f"\nSending,L{line} Send SMS to:{number}; ID:{key}\n"


def send_error(reason: str) -> str:
    """send.html's refusal, `ERROR,<reason>` as the contract writes it (no line end)."""
    return f"ERROR,{reason}"


AUTH_ERROR = send_error("user or password error")


# --- send_status.xml, send_sms_status.xml -------------------------------------------------


@dataclass(frozen=True)
class Record:
    """A line's last send: its key, STARTED/DONE ("" if the line never sent), error."""

    key: str = ""
    status: str = ""
    error: str = ""


def send_status_xml(records: Sequence[Record], key_tag: Literal["id", "smskey"]) -> str:
    """`<send-sms-status>` with `<idN>` (or `<smskeyN>`), `<statusN>`, `<errorN>` per line."""
    out = ['<?xml version="1.0" encoding="utf-8"?>', "<send-sms-status>"]
    for n, rec in enumerate(records, 1):
        out.append(f"<{key_tag}{n}>{xml_text(rec.key)}</{key_tag}{n}>")
        out.append(f"<status{n}>{xml_text(rec.status)}</status{n}>")
        out.append(f"<error{n}>{xml_text(rec.error)}</error{n}>")
    out.append("</send-sms-status>")
    return "\n".join(out) + "\n"


# --- tools.html?type=sms|ussd, sms_info.html, ussd_info.html ------------------------------


def tools_form(kind: FormKind, lines: int, key: str) -> str:
    """The send form: the hidden smskey first (clients split on `smskey" value="`)."""
    target = "sms_info.html?type=sms" if kind == "sms" else "ussd_info.html?type=ussd"
    boxes = "".join(
        f'<input type="checkbox" name="line{n}" value="1">{n}\r\n' for n in range(1, lines + 1)
    )
    body = (
        f'<form name="{kind}_form" method="post" action="{target}">\r\n'
        f'<input type="hidden" name="smskey" value="{key}">\r\n'
        f'<input type="hidden" name="action" value="{kind.upper()}">\r\n'
        f"{boxes}"
        '<input type="text" name="telnum" value="">\r\n'
        '<textarea name="smscontent"></textarea>\r\n'
        '<input type="submit" name="send" value="Send">\r\n'
        "</form>\r\n"
    )
    return page("SMS" if kind == "sms" else "USSD", body)


def info_answer(kind: FormKind, key: str, outcomes: Iterable[tuple[int, str]]) -> str:
    """sms_info.html / ussd_info.html: per chosen line what became of it."""
    rows = "".join(f"<p>L{n}: {html_text(what)}</p>\r\n" for n, what in outcomes)
    what = "SMS" if kind == "sms" else "USSD"
    rows = rows or "<p>no line chosen</p>\r\n"
    return page(what, f"<p>{what} smskey {html_text(key)}</p>\r\n{rows}")


def info_error(kind: FormKind, reason: str) -> str:
    return page("SMS" if kind == "sms" else "USSD", f"<p>ERROR,{html_text(reason)}</p>\r\n")


def unauthorized() -> str:
    return page("401 Unauthorized", "<h1>401 Unauthorized</h1>\r\n")


# --- tools.html?type=sms_inbox|sms_outbox -------------------------------------------------


def _local(ts: float, utc_offset: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC) + timedelta(seconds=utc_offset)


def local_time(ts: float, utc_offset: float) -> str:
    """status.xml's `time`: `YYYY-MM-DD HH:MM:SS`, device local time."""
    return f"{_local(ts, utc_offset):%Y-%m-%d %H:%M:%S}"


def box_entry(ts: float, utc_offset: float, number: str, text: str) -> str:
    """One inbox/outbox string: `MM-DD HH:MM:SS,<number>,<text>` in device local time."""
    return f"{_local(ts, utc_offset):%m-%d %H:%M:%S},{number},{text}"


def box_script(rows: Sequence[Sequence[str]], slots: int) -> str:
    """The script's text: `var sms, pos;` LF, then per line N its `sms= [...];` and
    `pos=0;sms_row_insert(lN_sms_store, sms, pos, N);` each ending CRLF, then `// end` CRLF.

    Each array holds `slots` strings, newest first, unused ones "" (JSON, non-ASCII as is).
    """
    out = ["var sms, pos;\n"]
    for n, entries in enumerate(rows, 1):
        padded = [*entries[:slots], *([""] * (slots - len(entries)))]
        array = json.dumps(padded, ensure_ascii=False, separators=(",", ":"))
        out.append(f"sms= {array};\r\n")
        out.append(f"pos=0;sms_row_insert(l{n}_sms_store, sms, pos, {n});\r\n")
    out.append("// end\r\n")
    return "".join(out)


def box_page(kind: BoxKind, rows: Sequence[Sequence[str]], slots: int) -> str:
    title = "SMS Inbox" if kind == "sms_inbox" else "SMS Outbox"
    tables = "".join(f'<table id="l{n}_sms_store"></table>\r\n' for n in range(1, len(rows) + 1))
    return page(
        title,
        f'<script language="javascript">{box_script(rows, slots)}</script>\r\n{tables}',
    )


# --- status.xml ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LineStatus:
    """What status.xml shows of one line, read from the device model."""

    line: int
    sim: bool
    registered: bool
    signal: int | None
    operator: str
    in_call: bool
    sms_login: bool
    lac: str
    cell_id: str
    remain_time: int
    idle_minutes: int
    acd: int
    asr: int
    talk_minutes: int
    connected: int
    calls: int
    number: str
    imei: str
    imsi: str
    iccid: str
    module: str
    module_version: str


@dataclass(frozen=True)
class DeviceStatus:
    sn: str
    version: str
    model: str
    time: str
    ip: str
    mac: str
    default_route: str


StatusType = Literal["list", "base", "gsm", "callforward"]
STATUS_TYPES: tuple[StatusType, ...] = ("list", "base", "gsm", "callforward")


def _yn(flag: bool) -> str:
    return "Y" if flag else "N"


def status_fields(
    kind: StatusType, device: DeviceStatus, lines: Sequence[LineStatus], font_tags: bool
) -> Fields:
    """The elements of `status.xml?type=<kind>`, in order ([S12] reads these names)."""

    def bad(value: str, is_bad: bool) -> str:
        return _RED.format(value) if font_tags and is_bad else value

    def signal(s: LineStatus) -> str:
        if s.signal is None:
            return ""
        return bad(str(s.signal), s.signal < WEAK_SIGNAL or s.signal == 99)

    def remain(s: LineStatus) -> str:
        return "NO LIMIT" if s.remain_time < 0 else str(s.remain_time)

    out: Fields = []
    if kind == "base":
        out += [
            ("sn", device.sn), ("version", device.version), ("model", device.model),
            ("time", device.time), ("ech0_ip", device.ip), ("eth0_hwaddr", device.mac),
            ("eth1_ip", ""), ("ppp0_ip", ""), ("default_route", device.default_route),
            ("dns", ""),
        ]  # fmt: skip
    elif kind == "gsm":
        out.append(("remote_sim_enable", "N"))
    for s in lines:
        n = s.line
        status = bad(_yn(s.registered), not s.registered)
        sim = bad(_yn(s.sim), not s.sim)
        if kind == "list":
            fields: Fields = [
                ("module_status_gsm", str(n)), ("module_title_gsm", f"GSM{n}"),
                ("module_status", "Y"), ("module_title", f"Line{n}"), ("gsm_sim", sim),
                ("gsm_status", status), ("status_line", "N"),
                ("line_state", "ACTIVE" if s.in_call else "IDLE"),
                ("sms_login", _yn(s.sms_login)), ("smb_login", ""), ("gsm_signal", signal(s)),
                ("gsm_cur_oper", s.operator), ("gsm_cur_bst", s.cell_id if s.registered else ""),
                ("volte", ""), ("lac", s.lac if s.registered else ""), ("sim_remain", remain(s)),
                ("nocall_t", str(s.idle_minutes)), ("acd", str(s.acd)), ("asr", str(s.asr)),
                ("callt", str(s.talk_minutes)), ("callc", f"{s.connected}/{s.calls}"),
                ("rct", ""), ("sms_count", "NO LIMIT"), ("call_count", "NO LIMIT"),
            ]  # fmt: skip
        elif kind == "base":
            fields = [
                ("status_line", "N"), ("gsm_status", status), ("sim_remain", remain(s)),
                ("config_mode", ""), ("digits", ""), ("proxy", ""), ("server", ""),
                ("sip_prefix", ""), ("fw_to_voip", ""), ("fw_to_pstn", ""),
            ]  # fmt: skip
        elif kind == "gsm":
            bst = s.cell_id if s.registered else ""
            fields = [
                ("module_status_gsm", str(n)), ("module_status_gsm2", ""), ("gsm_sim", sim),
                ("gsm_status", status), ("gsm_signal", signal(s)), ("gsm_gprs_login", "N"),
                ("gsm_gprs_attach", _yn(s.registered)), ("gsm_cur_oper", s.operator),
                ("gsm_bst", bst), ("gsm_cur_bst", bst), ("lac", s.lac if s.registered else ""),
                ("gsm_module", s.module), ("gsm_module_ver", s.module_version),
                ("gsm_number", s.number), ("gsm_imei", s.imei), ("sim_imsi", s.imsi),
                ("sim_iccid", s.iccid),
            ]  # fmt: skip
        else:
            fields = [
                ("module_status_ccfc", str(n)), ("cf_uncnd_status", "OFF"),
                ("cf_busy_status", "OFF"), ("cf_noreply_status", "OFF"),
                ("cf_notreachable_status", "OFF"),
            ]  # fmt: skip
        out += [(f"l{n}_{name}", value) for name, value in fields]
    return out


def status_xml(fields: Fields) -> str:
    """`<?xml ...?>` then `<status>` with one element per field, one per line of text."""
    out = ['<?xml version="1.0" encoding="utf-8"?>', "<status>"]
    out += [f"<{name}>{xml_text(value)}</{name}>" for name, value in fields]
    out.append("</status>")
    return "\n".join(out) + "\n"
