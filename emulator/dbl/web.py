"""A DBL GoIP's web UI and HTTP SMS pages under /default/en_US/ (DBL-GOIP.md 7).

`register(app, dbl)` routes each page of `WEB_PAGES` for a DBL device (the composition
root calls it); everything else under the prefix is the edge's 404. The pages read and
drive the same lines as the UDP side: a send goes through the device's sending engine
(`Dbl.radio`, as a bulk send does), its success takes the line's next sms_no and its
DELIVER push (`DblLine.note_sent`), and the journal gets kind `device` `sms_sent` with
`via` http (send.html) or web (sms_info.html). What the pages remember (each line's last
send, the outbox, inbox entries deleted) lives in RAM: a reboot or a reset forgets it.
The bytes are rendered by emulator/dbl/pages.py.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import structlog
from aiohttp import web

from emulator.config.dbl import WEB_PAGES, WEB_PREFIX
from emulator.core.calls import Window
from emulator.core.device import Device
from emulator.dbl import pages
from emulator.dbl.line import DblLine
from emulator.dbl.pages import Record
from emulator.dbl.ports import SendResult
from emulator.dbl.protocol import split_parts
from emulator.dbl.server import Dbl
from emulator.record.journal import Entry
from emulator.transport.middleware import DREQ
from emulator.transport.request import DeviceRequest, read_body
from emulator.transport.served import DEVICE_APP, Served

log = structlog.get_logger("emulator.web")

HTML = "text/html; charset=utf-8"
XML = "text/xml; charset=utf-8"
REALM = 'Basic realm="GoIP"'
NO_REPLY = "send, but provider not reply."
_SECRET = frozenset({"p", "password"})
_LINE_FIELD = re.compile(r"line([0-9]{1,4})")
_OFF = frozenset({"", "0", "off", "false", "no"})


@dataclass(frozen=True)
class Answer:
    body: str
    status: int = 200
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)
    journal: bool = False  # keep the body in the journal entry (short answers only)


@dataclass
class Params:
    """A page's parameters: the query, then a POST form over it; names lower-cased."""

    values: dict[str, str]
    lines: list[str]  # every `line=` given, in order (a form may repeat it)

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def _pairs(text: str) -> list[tuple[str, str]]:
    return parse_qsl(text, keep_blank_values=True)


def read_params(query: list[tuple[str, str]], form: list[tuple[str, str]]) -> Params:
    values: dict[str, str] = {}
    lines: list[str] = []
    for key, value in (*query, *form):
        name = key.lower()
        values[name] = value
        if name == "line":
            lines.append(value)
    return Params(values, lines)


def scrubbed(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """What the journal keeps of a query or form: the password never."""
    return {k: ("***" if k.lower() in _SECRET else v) for k, v in pairs}


def _same(given: str, wanted: str) -> bool:
    return hmac.compare_digest(given.encode(), wanted.encode())


def authorized(dev: Served, params: Params, header: str | None) -> bool:
    """Query (or form) `u`/`p` first, then HTTP Basic, against the device user."""
    spec = dev.profile.device
    if "u" in params.values and "p" in params.values:
        if _same(params.get("u"), spec.username) & _same(params.get("p"), spec.password):
            return True
    if header is None:
        return False
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, colon, pwd = base64.b64decode(token.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return bool(colon) and _same(user, spec.username) & _same(pwd, spec.password)


def _line_number(text: str, lines: int) -> int | None:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 4:
        return None
    n = int(text)
    return n if 1 <= n <= lines else None


@dataclass
class _Box:
    t: float
    number: str
    text: str


class Pages:
    """What the pages of one DBL device remember, and their answers."""

    def __init__(self, dbl: Dbl, dev: Served) -> None:
        self.dbl = dbl
        self.dev = dev
        self._slots = dbl.spec.inbox_slots
        self._last_key = 0
        self._device: Device | None = None
        self._boots = -1
        self._clear()
        dev.journal.listeners.append(self._journaled)

    # --- memory ---------------------------------------------------------------------------

    def _clear(self) -> None:
        count = len(self.dbl.configs)
        self.records: list[Record] = [Record() for _ in range(count)]
        self.outbox: list[deque[_Box]] = [deque(maxlen=self._slots) for _ in range(count)]
        self.deleted: set[tuple[int, int]] = set()  # inbox (entry id, part) deleted

    def sync(self) -> Device:
        """The current device; what a reset (a new device) or a reboot lost is forgotten."""
        device = self.dev.device
        if device is not self._device:
            self._device, self._boots = device, device.boots
            self._clear()
        elif device.boots != self._boots:
            self._boots = device.boots
            outbox = self.outbox
            self._clear()
            if device.config.device.keeps_inbox_on_reboot:
                self.outbox = outbox
        return device

    def _journaled(self, entry: Entry) -> None:
        """Every SMS the device sent, whoever asked (HTTP, web, UDP), fills the outbox."""
        if entry.kind != "device" or entry.type != "sms_sent" or not entry.data.get("ok"):
            return
        self.sync()
        line = entry.data.get("line")
        if isinstance(line, int) and 1 <= line <= len(self.outbox):
            self.outbox[line - 1].appendleft(
                _Box(entry.t, str(entry.data.get("to", "")), str(entry.data.get("text", "")))
            )

    def next_key(self) -> str:
        """The device clock's seconds, or one more than the previous key if not larger."""
        now = int(self.dev.device.now())
        self._last_key = max(now, self._last_key + 1)
        return pages.key_text(self._last_key)

    # --- lines ----------------------------------------------------------------------------

    def _line(self, n: int) -> DblLine:
        return self.dbl.lines[n - 1]

    def _registered(self, n: int) -> bool:
        return self.dbl.radio.status(n).registered and not self._line(n).disabled

    def _busy(self, n: int) -> bool:
        """Sending (a page's send or USSD, or the UDP side's queue) or in a call."""
        if self.records[n - 1].status == "STARTED":
            return True
        return self._line(n).snapshot().queued > 0 or self.dbl.radio.status(n).in_call

    def _send(self, n: int, number: str, text: str, key: str, via: str) -> None:
        record = Record(key, "STARTED")
        self.records[n - 1] = record
        journal = self.dev.journal

        def done(result: SendResult) -> None:
            sms_no: int | None = None
            if result.ok:
                error = ""
                sms_no = self._line(n).note_sent(number)
            else:
                error = result.error or self.dbl.spec.send_error_code
            if self.records[n - 1] is record:
                self.records[n - 1] = Record(key, "DONE", error)
            journal.record(
                "device", "sms_sent", line=n, to=number, text=text, parts=result.parts,
                sms_no=sms_no, via=via, key=key, ok=result.ok, error=error,
            )  # fmt: skip

        self.dbl.radio.send_sms(n, number, text, done)

    def _ussd(self, device: Device, n: int, code: str, key: str) -> None:
        record = Record(key, "STARTED")
        self.records[n - 1] = record
        journal = self.dev.journal

        def reply() -> None:
            text = self._line(n).ussd_text(code) if self._registered(n) else ""
            if self.records[n - 1] is record:
                self.records[n - 1] = Record(key, "DONE", text or NO_REPLY)
            journal.record(
                "device", "ussd", line=n, key=key, code=code, reply=text, ok=bool(text), via="web"
            )

        device.later(self._line(n).config.ussd_latency, reply)

    # --- pages ----------------------------------------------------------------------------

    def send(self, params: Params) -> Answer:
        """send.html?l=&n=&m= (or msg=): one SMS now, or why not; never queued."""
        n = _line_number(params.get("l"), len(self.records))
        number = params.get("n").strip()
        text = params.get("m") or params.get("msg")
        if n is None:
            return Answer(pages.send_error("invalid line"), journal=True)
        if not number:
            return Answer(pages.send_error("no number"), journal=True)
        if not text:
            return Answer(pages.send_error("no message"), journal=True)
        if not self._registered(n):
            return Answer(pages.send_error(f"L{n} GSM logout"), journal=True)
        if self._busy(n):
            return Answer(pages.send_error(f"L{n} busy"), journal=True)
        key = self.next_key()
        self._send(n, number, text, key, "http")
        return Answer(pages.send_answer(n, number, key), journal=True)

    def send_status(self, key_tag: str) -> Answer:
        tag = "id" if key_tag == "id" else "smskey"
        return Answer(pages.send_status_xml(self.records, tag), content_type=XML)

    def tools(self, params: Params) -> Answer:
        kind = params.get("type").strip().lower()
        if kind in ("sms_inbox", "sms_outbox"):
            if params.get("action").strip().lower() == "del":
                self._delete(kind, params.get("line"), params.get("pos"))
            rows = self._inbox_rows() if kind == "sms_inbox" else self._outbox_rows()
            box: pages.BoxKind = "sms_inbox" if kind == "sms_inbox" else "sms_outbox"
            return Answer(pages.box_page(box, rows, self._slots))
        form: pages.FormKind = "ussd" if kind == "ussd" else "sms"  # the page's first tab
        return Answer(pages.tools_form(form, len(self.records), self.next_key()))

    def info(self, params: Params, kind: pages.FormKind) -> Answer:
        """sms_info.html / ussd_info.html: the form's send on every line chosen."""
        action = params.get("action").strip().lower()
        if action and action != kind:
            return Answer(pages.info_error(kind, f"unknown action {action[:20]}"), journal=True)
        telnum = params.get("telnum").strip()
        content = params.get("smscontent")
        if not telnum:
            reason = "no number" if kind == "sms" else "no USSD code"
            return Answer(pages.info_error(kind, reason), journal=True)
        if kind == "sms" and not content:
            return Answer(pages.info_error(kind, "no message"), journal=True)
        chosen = self._chosen(params)
        key = params.get("smskey").strip() or self.next_key()
        device = self.dev.device
        outcomes: list[tuple[int, str]] = []
        for n in chosen:
            if self.records[n - 1].key == key:
                outcomes.append((n, "skipped: already sent with this smskey"))
            elif not self._registered(n):
                self.records[n - 1] = Record(key, "DONE", "GSM logout")
                outcomes.append((n, "skipped: GSM logout"))
            elif self._busy(n):
                outcomes.append((n, "skipped: busy"))
            elif kind == "sms":
                self._send(n, telnum, content, key, "web")
                outcomes.append((n, f"sending to {telnum}"))
            else:
                self._ussd(device, n, telnum, key)
                outcomes.append((n, f"sending USSD {telnum}"))
        return Answer(pages.info_answer(kind, key, outcomes), journal=True)

    def _chosen(self, params: Params) -> list[int]:
        lines = len(self.records)
        found: set[int] = set()
        for name, value in params.values.items():
            match = _LINE_FIELD.fullmatch(name)
            if match is not None and value.strip().lower() not in _OFF:
                n = _line_number(match[1], lines)
                if n is not None:
                    found.add(n)
        for value in params.lines:
            for part in value.split(","):
                n = _line_number(part, lines)
                if n is not None:
                    found.add(n)
        return sorted(found)

    def status(self, params: Params) -> Answer:
        kind = params.get("type").strip().lower()
        typed: pages.StatusType = next((t for t in pages.STATUS_TYPES if t == kind), "list")
        fields = pages.status_fields(
            typed, self._device_status(), self._line_statuses(), self.dbl.spec.quirks.font_tags
        )
        return Answer(pages.status_xml(fields), content_type=XML)

    # --- inbox and outbox -------------------------------------------------------------------

    def _inbox(self, n: int) -> list[tuple[tuple[int, int], str]]:
        """Line n's inbox entries, newest first: each part of an SMS is its own entry."""
        device = self.dev.device
        offset = device.config.device.utc_offset
        found: list[tuple[tuple[int, int], str]] = []
        for stored in device.inbound.inbox:
            sms = stored.sms
            if sms.flag != 0 or sms.port != n:
                continue
            for i, part in enumerate(split_parts(sms.text)):
                if (stored.id, i) not in self.deleted:
                    found.append(
                        ((stored.id, i), pages.box_entry(sms.ts, offset, sms.sender, part))
                    )
        found.reverse()
        return found[: self._slots]

    def _inbox_rows(self) -> list[list[str]]:
        return [[text for _, text in self._inbox(n)] for n in range(1, len(self.records) + 1)]

    def _outbox_rows(self) -> list[list[str]]:
        offset = self.dev.device.config.device.utc_offset
        return [
            [pages.box_entry(b.t, offset, b.number, b.text) for b in box] for box in self.outbox
        ]

    def _delete(self, kind: str, line_text: str, pos_text: str) -> None:
        """action=del: entry `pos` of line `line`, -1 meaning every one."""
        lines = len(self.records)
        line = -1 if line_text.strip() == "-1" else _line_number(line_text, lines)
        pos_text = pos_text.strip()
        if pos_text == "-1":
            pos: int | None = -1
        elif pos_text.isascii() and pos_text.isdigit() and len(pos_text) <= 4:
            pos = int(pos_text)
        else:
            pos = None
        if line is None or pos is None:
            return
        targets = range(1, lines + 1) if line == -1 else [line]
        if kind == "sms_outbox":
            for n in targets:
                box = self.outbox[n - 1]
                if pos == -1:
                    box.clear()
                elif pos < len(box):
                    del box[pos]
            return
        for n in targets:
            entries = self._inbox(n)
            chosen = entries if pos == -1 else entries[pos : pos + 1]
            self.deleted.update(ident for ident, _ in chosen)
        self._forget_deleted()

    def _forget_deleted(self) -> None:
        """An SMS whose every part was deleted leaves the device's inbox (and its flash)."""
        device = self.dev.device
        inbound = device.inbound
        gone = {
            s.id
            for s in inbound.inbox
            if all((s.id, i) in self.deleted for i in range(len(split_parts(s.sms.text))))
        }
        if gone:
            inbound.inbox = deque(s for s in inbound.inbox if s.id not in gone)
            self.deleted = {d for d in self.deleted if d[0] not in gone}
            device.inbox_changed()

    # --- status.xml ---------------------------------------------------------------------------

    def _device_status(self) -> pages.DeviceStatus:
        spec = self.dev.profile.device
        device = self.dev.device
        octets = spec.ip.split(".")
        route = ".".join([*octets[:3], "1"]) if len(octets) == 4 else ""
        return pages.DeviceStatus(
            sn=spec.mac.replace("-", "").replace(":", "").upper(),
            version=spec.firmware,
            model=spec.name,
            time=pages.local_time(device.now(), device.config.device.utc_offset),
            ip=spec.ip,
            mac=spec.mac.replace("-", ":").upper(),
            default_route=route,
        )

    def _line_statuses(self) -> list[pages.LineStatus]:
        device = self.dev.device
        module = self.dev.profile.device.module
        out = []
        for line in self.dbl.lines:
            n = line.line
            status = self.dbl.radio.status(n)
            registered = status.registered and not line.disabled
            card = device.ports[n - 1].slot.card
            figures = device.calls.figures(n, 1, Window.TOTAL)
            out.append(
                pages.LineStatus(
                    line=n, sim=card is not None, registered=registered,
                    signal=status.signal, operator=status.operator if registered else "",
                    in_call=status.in_call, sms_login=line.sms_login, lac=line.config.lac,
                    cell_id=line.config.cell_id, remain_time=line.remain_time,
                    idle_minutes=status.idle_minutes, acd=_int(figures["acd"]),
                    asr=_int(figures["asr"]), talk_minutes=_int(figures["act_tcd"]) // 60,
                    connected=_int(figures["connected"]), calls=_int(figures["calls"]),
                    number=line.num, imei=status.imei, imsi=status.imsi, iccid=status.iccid,
                    module=module.model, module_version=module.revision,
                )
            )  # fmt: skip
        return out


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


# --- the aiohttp side -------------------------------------------------------------------------

Page = Callable[[Pages, Params], Answer]

ROUTES: dict[str, Page] = {
    "send.html": Pages.send,
    "send_status.xml": lambda p, _params: p.send_status("id"),
    "send_sms_status.xml": lambda p, _params: p.send_status("smskey"),
    "tools.html": Pages.tools,
    "sms_info.html": lambda p, params: p.info(params, "sms"),
    "ussd_info.html": lambda p, params: p.info(params, "ussd"),
    "status.xml": Pages.status,
}
assert set(ROUTES) == set(WEB_PAGES)


def _respond(answer: Answer) -> web.Response:
    return web.Response(
        body=answer.body.encode(),
        status=answer.status,
        headers={"Content-Type": answer.content_type, **answer.headers},
    )


def _handler(name: str, state: Pages) -> Callable[[web.Request], Awaitable[web.Response]]:
    page = ROUTES[name]

    async def handle(request: web.Request) -> web.Response:
        dev = request.app[DEVICE_APP]
        query = _pairs(request.rel_url.raw_query_string)
        dreq = DeviceRequest(path=request.path, method=request.method, query={})
        request[DREQ] = dreq
        dreq.extra["query"] = scrubbed(query)
        form: list[tuple[str, str]] = []
        if request.method == "POST":
            raw = await read_body(
                request, dev.profile.device.max_body, dev.profile.device.read_timeout
            )
            form = _pairs(raw.decode("utf-8", "replace"))
            dreq.extra["body"] = scrubbed(form)
        params = read_params(query, form)
        try:
            answer = _serve(state, name, page, params, request.headers.get("Authorization"))
        except Exception:
            log.exception("request_failed", device=dev.identity.name, path=request.path)
            answer = Answer("Server Error", 500, "text/plain; charset=utf-8")
        if answer.journal:
            dreq.extra["answer"] = answer.body
        return _respond(answer)

    handle.__doc__ = page.__doc__
    return handle


def _serve(state: Pages, name: str, page: Page, params: Params, auth: str | None) -> Answer:
    state.sync()
    if not authorized(state.dev, params, auth):
        if name == "send.html":  # HTTP SMS clients read the refusal from a 200 ([S13])
            return Answer(pages.AUTH_ERROR, journal=True)
        return Answer(pages.unauthorized(), 401, headers={"WWW-Authenticate": REALM})
    return page(state, params)


def register(app: web.Application, dbl: Dbl) -> None:
    """Route GET and POST of every page of a DBL device (the aiohttp edge serves them)."""
    dev: Any = app[DEVICE_APP]
    # One memory per device, however many apps serve it: it listens to the device's journal.
    owners = (getattr(listener, "__self__", None) for listener in dev.journal.listeners)
    state = next((o for o in owners if isinstance(o, Pages) and o.dbl is dbl), None)
    if state is None:
        state = Pages(dbl, dev)
    for name in WEB_PAGES:
        handle = _handler(name, state)
        app.router.add_get(WEB_PREFIX + name, handle)
        app.router.add_post(WEB_PREFIX + name, handle)
