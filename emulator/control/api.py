"""The emulator's own control API under /_emulator/ (DESIGN.md, "Control API").

Never part of a real device. JSON in and out; errors use the same
`{"code", "reason"}` envelope as the device API, with the HTTP status saying
what kind of problem it is (400 bad input, 401 token, 409 not possible now).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel, ValidationError

from emulator import actions
from emulator.clock import ClockError
from emulator.config.faults import FaultSpec, fault_spec
from emulator.config.ports import PortListError
from emulator.control import metrics as metrics_mod
from emulator.core.device import Slot
from emulator.core.ports import PortRef
from emulator.core.sim import REGISTERED, REGISTERING, SIM_EVENTS, IllegalTransition
from emulator.gateway import DeviceApp, gateway_of
from emulator.record.journal import KINDS, Entry, redact
from emulator.transport.errors import ApiError, validation_reason
from emulator.transport.middleware import DREQ, json_response
from emulator.transport.request import DeviceRequest, as_int, parse_json, read_body

M = TypeVar("M", bound=BaseModel)
MAX_ADVANCE = 400 * 86_400  # a year and a bit of virtual time per call


def _authorize(request: web.Request, dev: DeviceApp) -> None:
    token = dev.control_token
    if not token:
        return
    # A browser's EventSource and a bookmarked dashboard can only send it in the URL.
    given = request.headers.get("X-Emulator-Token", "") or request.query.get("token", "")
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        given = auth[7:].strip()
    # aiohttp keeps a header's undecodable bytes as surrogates: compare them as bytes.
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode()):
        raise ApiError.http(401, "control API token missing or wrong: send X-Emulator-Token")


async def _json_object(request: web.Request, required: bool = True) -> dict[str, Any]:
    spec = gateway_of(request.app).profile.device
    raw = await read_body(request, spec.max_body, spec.read_timeout)
    body = parse_json(raw) if raw.strip() else None
    request[DREQ] = DeviceRequest(request.path, request.method, dict(request.query), body, raw)
    if body is None and not required:
        return {}
    if not isinstance(body, dict):
        raise ApiError.bad_request("body: expected a JSON object")
    return body


async def read_model(request: web.Request, model: type[M]) -> M:
    """The JSON object body validated as `model`; a 400 naming the bad fields otherwise."""
    body = await _json_object(request)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise ApiError.bad_request(validation_reason(exc)) from None


def _dev(request: web.Request) -> DeviceApp:
    dev = gateway_of(request.app)
    _authorize(request, dev)
    return dev


def slot_json(dev: DeviceApp, slot: Slot) -> dict[str, Any]:
    card = slot.card
    doc = {
        "slot": dev.names.format(slot.port, slot.index),
        "st": int(dev.device.shown_state(slot)),
        "status": str(dev.device.shown_state(slot)),
        "sim": None
        if card is None
        else {
            "imsi": card.imsi,
            "iccid": card.iccid,
            "number": card.number,
            "operator": card.operator,
            "balance": card.balance,
            "signal": card.signal,
            "blocked": card.blocked,
            "read_error": card.read_error,
            "register_fail": card.register_fail,
        },
    }
    device = dev.device
    if device.skyline:  # the slot's LED and own identity ("" unset: status shows the port's)
        n = device.slot_number(slot.port, slot.index)
        settings = device.settings
        doc.update(led=settings.led[n], imei=settings.sim_imei[n], number=settings.sim_number[n])
    return doc


def clock_json(dev: DeviceApp) -> dict[str, Any]:
    clock = dev.runtime.clock
    now = clock.now()
    return {
        "kind": clock.kind,
        "now": round(now, 3),
        "iso": datetime.fromtimestamp(now, UTC).isoformat(),
        "pending_timers": clock.pending,
    }


async def health(request: web.Request) -> web.Response:
    """Serving, and how far its SIMs are: a script waits for `registering` 0 after a reboot."""
    dev = gateway_of(request.app)
    device = dev.device
    current = [port.slot.state for port in device.ports]
    return json_response(
        {
            "status": "ok",
            "device": dev.identity.name,
            "rebooting": device.unavailable_until is not None,
            "registered": sum(state in REGISTERED for state in current),
            "registering": sum(state in REGISTERING for state in current),
            "ports": len(current),
        }
    )


async def state(request: web.Request) -> web.Response:
    """Everything a test script may want to assert on, in one document."""
    dev = _dev(request)
    device = dev.device
    settings = device.settings
    ports = [
        {
            "port": port.number,
            "current": dev.names.format(port.number, port.current),
            "imei": device.imei(port.number),
            "seq": port.seq,
            "slots": [slot_json(dev, s) for s in port.slots],
            "ussd": dev.ussd.dialogue(port.number),
        }
        for port in device.ports
    ]
    doc = {
        "device": {
            "name": dev.identity.name,
            "mac": dev.identity.mac,
            "ip": dev.identity.ip,
            "firmware": dev.identity.firmware,
            "max_ports": dev.identity.max_ports,
            "max_slots": dev.identity.max_slots,
            "ssrc": device.ssrc,
            "boots": device.boots,
            "seed": dev.runtime.effective_seed,  # --seed with it repeats the run
            "rebooting_until": device.unavailable_until,
        },
        "clock": clock_json(dev),
        "settings": {
            "status_url": settings.status_url,
            "status_period": settings.status_period,
            "status_all_sims": settings.status_all_sims,
            "sr_url": settings.sr_url,
            "sms_url": settings.sms_url,
            "sr_cnt": settings.sr_cnt,
            "sr_prd": settings.sr_prd,
            "sms_cnt": settings.sms_cnt,
            "sms_prd": settings.sms_prd,
            "auto_fail_sim_switch": settings.auto_fail_sim_switch,
        },
        "push": {
            url: {
                "queued": len(t.queue),
                "delivered": t.delivered,
                "failed_attempts": t.failed_attempts,
                "dropped": t.dropped,
                "retrying": t.retry is not None,
            }
            for url, t in dev.pusher.targets.items()
        },
        "ports": ports,
    }
    for section in dev.state_sections:
        doc.update(section(dev))
    return json_response(redact(doc))  # a callback URL's user:pass@ shows no password


async def sim_event(request: web.Request) -> web.Response:
    """Something happens to the SIM in one slot: {"event": "block"} on /sims/3B."""
    dev = _dev(request)
    body = await _json_object(request)
    device = dev.device
    try:
        ref = dev.names.parse_name(request.match_info["slot"])
    except PortListError as exc:
        raise ApiError.bad_request(f"slot: {exc}") from None
    if ref.slot is None and device.config.device.slots == 1:
        ref = PortRef(ref.port, 1)  # a port of one slot names its SIM: a DBL line's `sims/3`
    if ref.slot is None:
        raise ApiError.bad_request(
            f"slot: {request.match_info['slot']!r} names a port; name a slot like 3B"
        )
    event = body.get("event")
    if not isinstance(event, str) or event not in SIM_EVENTS:
        raise ApiError.bad_request(f"event: {event!r} is not one of {', '.join(SIM_EVENTS)}")
    params = {k: v for k, v in body.items() if k != "event"}
    try:
        slot = actions.sim_event(dev, ref, event, params)
    except IllegalTransition as exc:
        raise ApiError.http(409, str(exc)) from None
    except ValueError as exc:
        raise ApiError.bad_request(str(exc)) from None
    dev.log.info("sim_event", port=ref.port, slot=ref.slot, sim_event=event, st=int(slot.state))
    await dev.runtime.settle()  # answer once the callbacks it caused were delivered (or failed)
    port = device.ports[slot.port - 1]
    # The port may have moved on (auto switch after a block): say where it is now.
    current = {
        "current": dev.names.format(port.number, port.current),
        "st": int(port.slot.state),
        "status": str(port.slot.state),
    }
    return json_response({**slot_json(dev, slot), "port": current})


async def advance(request: web.Request) -> web.Response:
    """Move the virtual clock; answers when every due timer ran and its callbacks were sent."""
    dev = _dev(request)
    body = await _json_object(request)
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ApiError.bad_request(f"seconds: {seconds!r} is not a number")
    if not 0 <= seconds <= MAX_ADVANCE:
        raise ApiError.bad_request(f"seconds: {seconds} is outside 0-{MAX_ADVANCE}")
    try:
        fired = await dev.runtime.advance(float(seconds))
    except ClockError as exc:
        raise ApiError.http(409, str(exc)) from None
    return json_response({"fired": fired, **clock_json(dev)})


async def clock(request: web.Request) -> web.Response:
    return json_response(clock_json(_dev(request)))


async def journal(request: web.Request) -> web.Response:
    """Entries since an id, filtered by kind and type: ?kind=callback&type=port-status&since=12."""
    dev = _dev(request)
    kind = request.query.get("kind")
    if kind is not None and kind not in KINDS:
        raise ApiError.bad_request(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    since = as_int(request.query.get("since", "0"), "since", 0)
    limit = as_int(request.query.get("limit", "100000"), "limit", 1, 1_000_000)
    entries = []
    for entry in dev.journal.query(kind, request.query.get("type"), since):
        entries.append(entry.as_json())
        if len(entries) >= limit:
            break
    return json_response(
        {"entries": entries, "last_id": dev.journal.last_id, "evicted": dev.journal.evicted}
    )


async def clear_journal(request: web.Request) -> web.Response:
    dev = _dev(request)
    return json_response({"cleared": dev.journal.clear(), "last_id": dev.journal.last_id})


async def reset(request: web.Request) -> web.Response:
    """Back to the profile's initial state (the clock keeps its time)."""
    dev = _dev(request)
    dev.reset()
    dev.log.info("reset")
    return json_response({"status": "ok"})


async def add_fault(request: web.Request) -> web.Response:
    """Inject an HTTP fault on the device API: {"action": "error", "status": 503, "count": 3},
    or a UDP fault on a DBL device's datagrams: {"udp": {"action": "drop", "dir": "out"}}."""
    dev = _dev(request)
    body = await _json_object(request)
    try:
        spec = fault_spec(body)
    except ValidationError as exc:
        raise ApiError.bad_request(validation_reason(exc)) from None
    now = dev.runtime.clock.now()
    try:
        fault = actions.add_fault(dev, spec)
    except ValueError as exc:
        raise ApiError.bad_request(str(exc)) from None
    rule = fault.rule
    where = rule.endpoint if isinstance(rule, FaultSpec) else f"udp {rule.dir or 'in+out'}"
    dev.log.info("fault_added", fault=fault.id, action=rule.action, endpoint=where)
    return json_response(fault.as_json(now))


async def list_faults(request: web.Request) -> web.Response:
    dev = _dev(request)
    now = dev.runtime.clock.now()
    return json_response({"faults": [f.as_json(now) for f in dev.faults.list()]})


async def clear_faults(request: web.Request) -> web.Response:
    dev = _dev(request)
    return json_response({"cleared": dev.faults.clear()})


async def remove_fault(request: web.Request) -> web.Response:
    dev = _dev(request)
    fault_id = as_int(request.match_info["fault_id"], "fault id", 1)
    if not dev.faults.remove(fault_id):
        raise ApiError.http(404, f"no fault #{fault_id}")
    return json_response({"cleared": 1})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition format 0.0.4."""
    dev = _dev(request)
    return web.Response(
        text=metrics_mod.render(dev),
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Version": "0.0.4"},
    )


UI = Path(__file__).parent / "ui"
UI_FILES = {
    "ui.js": "application/javascript",
    "ui.css": "text/css",
    "favicon.svg": "image/svg+xml",
}


async def dashboard(request: web.Request) -> web.Response:
    """The live dashboard (static files shipped in the package; no build step, no CDN)."""
    dev = _dev(request)
    page = (UI / "index.html").read_text(encoding="utf-8")
    token = dev.control_token
    if token:
        # The browser fetches ui.js and ui.css without our header: the token the page
        # was opened with rides along in their URLs (quote() leaves nothing HTML-special).
        suffix = f"?token={quote(token, safe='')}"
        for name in UI_FILES:
            page = page.replace(f'"ui/{name}"', f'"ui/{name}{suffix}"')
    return web.Response(text=page, content_type="text/html", charset="utf-8")


async def dashboard_slash(request: web.Request) -> web.Response:
    """/_emulator/ui/ is the dashboard too; its relative file links need the slashless URL."""
    _dev(request)
    raise web.HTTPFound(request.rel_url.with_path("/_emulator/ui", keep_query=True))


async def dashboard_file(request: web.Request) -> web.Response:
    _dev(request)
    name = request.match_info["name"]
    if name not in UI_FILES:
        raise ApiError.http(404, f"no such file {name}")
    return web.Response(body=(UI / name).read_bytes(), content_type=UI_FILES[name], charset="utf-8")


async def journal_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the journal's entries as they happen (after `since`)."""
    dev = _dev(request)
    since = as_int(request.query.get("since", str(max(0, dev.journal.last_id - 100))), "since", 0)
    queue: asyncio.Queue[Entry] = asyncio.Queue(maxsize=10_000)

    def listen(entry: Entry) -> None:
        if not queue.full():  # a reader that falls that far behind misses entries
            queue.put_nowait(entry)

    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    journal = dev.journal
    journal.listeners.append(listen)
    try:
        # The backlog too: a reader may leave while it goes out, which is no error.
        for entry in list(journal.query(since=since)):
            await _send_event(response, entry)
        while True:
            try:
                entry = await asyncio.wait_for(queue.get(), 15)
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            await _send_event(response, entry)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        journal.listeners.remove(listen)
    return response


async def _send_event(response: web.StreamResponse, entry: Entry) -> None:
    data = json.dumps(entry.as_json(), ensure_ascii=False, default=str)
    await response.write(f"id: {entry.id}\ndata: {data}\n\n".encode())


def register(app: web.Application) -> None:
    r = app.router
    r.add_get("/_emulator/health", health)
    r.add_get("/_emulator/state", state)
    r.add_post("/_emulator/sims/{slot}", sim_event)
    r.add_get("/_emulator/clock", clock)
    r.add_post("/_emulator/clock/advance", advance)
    r.add_get("/_emulator/journal", journal)
    r.add_get("/_emulator/journal/stream", journal_stream)
    r.add_get("/_emulator/ui", dashboard)
    r.add_get("/_emulator/ui/", dashboard_slash)
    r.add_get("/_emulator/ui/{name}", dashboard_file)
    r.add_delete("/_emulator/journal", clear_journal)
    r.add_post("/_emulator/reset", reset)
    r.add_get("/_emulator/metrics", metrics)
    r.add_get("/_emulator/faults", list_faults)
    r.add_post("/_emulator/faults", add_fault)
    r.add_delete("/_emulator/faults", clear_faults)
    r.add_delete("/_emulator/faults/{fault_id}", remove_fault)
