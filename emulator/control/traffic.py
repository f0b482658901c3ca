"""Control API for traffic: inject received SMS, place voice calls, act on tasks.

POST /_emulator/sms     {"port": "1A", "sender": "+1555…", "text": "…"} or a list of them
POST /_emulator/calls   {"port": "1", "count": 3, "answer_ratio": 0.5, "talk": [30, 90]}
DELETE /_emulator/calls/{port}   the port's user hangs up the call on the air
POST /_emulator/tasks/{tid}/{pause|resume|remove}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from emulator import actions
from emulator.clock import LAST_TIME
from emulator.config.ports import PortListError
from emulator.config.scenario import CallsAction
from emulator.control.api import _dev, read_model
from emulator.core.tasks import TASK_OPERATIONS
from emulator.gateway import DeviceApp
from emulator.transport.errors import ApiError, validation_reason
from emulator.transport.middleware import DREQ, json_response
from emulator.transport.request import DeviceRequest, as_int, parse_json, read_body

MAX_BATCH = 10_000


class InboundSms(BaseModel):
    """One received SMS to inject; `ts` (or `timestamp`): Unix seconds or ISO 8601."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    port: str = Field(description="port (current SIM) or port-and-slot: '1', '1A', '1.02'")
    sender: str = Field(min_length=1, max_length=64)
    text: str = Field(max_length=10_000)
    recipient: str | None = Field(None, max_length=64)
    timestamp: float | datetime | None = Field(None, alias="ts")

    @field_validator("port", mode="before")
    @classmethod
    def _port_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("timestamp")
    @classmethod
    def _in_range(cls, value: float | datetime | None) -> float | datetime | None:
        # The device writes ts as a date (spec 7.2.3): years 1970-9999 are what it can write.
        if value is None:
            return None
        try:
            seconds = value.timestamp() if isinstance(value, datetime) else value
        except (OverflowError, OSError, ValueError):
            seconds = -1.0
        if not 0 <= seconds <= LAST_TIME:
            raise ValueError(f"{value} is not a time between 1970 and 9999")
        return value

    @property
    def ts(self) -> float | None:
        if isinstance(self.timestamp, datetime):
            return self.timestamp.timestamp()
        return self.timestamp


_SMS_BATCH = TypeAdapter(InboundSms | list[InboundSms])


def inject(dev: DeviceApp, sms: InboundSms) -> dict[str, Any]:
    """Deliver one SMS; what happened to it, for the answer and the journal."""
    ref = dev.names.parse_name(sms.port)
    got = actions.receive_sms(dev, ref, sms.sender, sms.text, sms.recipient, sms.ts)
    if got.outcome == "received":
        return {"port": sms.port, "outcome": "received", "id": got.id}
    return {"port": sms.port, "outcome": got.outcome, "reason": got.reason}


async def inject_sms(request: web.Request) -> web.Response:
    """Received SMS arriving on ports (one object, or a list of them)."""
    dev = _dev(request)
    raw = await read_body(request, dev.profile.device.max_body, dev.profile.device.read_timeout)
    if not raw.strip():
        raise ApiError.bad_request("body: expected an SMS object or a list of them")
    body = parse_json(raw)
    request[DREQ] = DeviceRequest(request.path, request.method, dict(request.query), body, raw)
    try:
        parsed = _SMS_BATCH.validate_python(body)
    except ValidationError as exc:
        raise ApiError.bad_request(validation_reason(exc)) from None
    batch = parsed if isinstance(parsed, list) else [parsed]
    if len(batch) > MAX_BATCH:
        raise ApiError.bad_request(f"body: {len(batch)} SMS is over {MAX_BATCH} at once")
    for index, sms in enumerate(batch):  # check every port first: all or nothing
        try:
            dev.names.parse_name(sms.port)
        except PortListError as exc:
            where = f"{index}.port" if isinstance(parsed, list) else "port"
            raise ApiError.bad_request(f"{where}: {exc}") from None
    results = [inject(dev, sms) for sms in batch]
    await dev.runtime.settle()  # the recv-sms pushes it caused have been delivered (or failed)
    dev.log.info(
        "sms_injected", count=len(batch), received=sum(r["outcome"] == "received" for r in results)
    )
    return json_response({"results": results} if isinstance(parsed, list) else results[0])


async def place_calls(request: web.Request) -> web.Response:
    """Voice calls on the named ports; each port places its calls one after another."""
    dev = _dev(request)
    call = await read_model(request, CallsAction)
    device = dev.device
    try:
        refs, plan = actions.calls_of(dev, call)
    except ValueError as exc:  # PortListError is one
        raise ApiError.bad_request(str(exc)) from None
    ports = actions.place_calls(dev, refs, plan)
    dev.log.info("calls_placed", ports=call.port, count=call.count)
    return json_response({"ports": ports, "queued": {p: device.calls.queued(p) for p in ports}})


async def hang_up(request: web.Request) -> web.Response:
    """The call on the air on one port ends now (409 when there is none)."""
    dev = _dev(request)
    try:
        ref = dev.names.parse_name(request.match_info["port"])
    except PortListError as exc:
        raise ApiError.bad_request(f"port: {exc}") from None
    try:
        call = actions.hang_up(dev, ref)
    except ValueError as exc:
        raise ApiError.http(409, str(exc)) from None
    await dev.runtime.settle()
    dev.log.info("call_hung_up", port=ref.port)
    return json_response({"port": ref.port, "number": call.number, "cause": call.cause})


async def task_action(request: web.Request) -> web.Response:
    """Pause, resume or remove one task from the dashboard (same effect as spec 6.3.3-6.3.5)."""
    dev = _dev(request)
    tid = as_int(request.match_info["tid"], "tid")
    action = request.match_info["action"]
    if action not in ("pause", "resume", "remove"):
        raise ApiError.http(404, f"no task action {action!r}: pause, resume or remove")
    if not TASK_OPERATIONS[action](dev.device.sending, tid):
        raise ApiError.http(404, f"no task {tid} is queued")
    return json_response({"tid": tid, "action": action})


def state_section(dev: DeviceApp) -> dict[str, object]:
    """Tasks, queues and the inbox in /_emulator/state."""
    device = dev.device
    sending = device.sending
    tasks = [
        {
            "tid": t.tid,
            "paused": t.paused,
            "total": t.total,
            "sending": t.sending,
            "sent": t.sent,
            "failed": t.failed,
            "unsent": t.unsent,
        }
        for t in sorted(sending.tasks.values(), key=lambda t: t.order)
    ]
    return {
        "tasks": tasks,
        "queues": {
            str(i + 1): len(q.waiting) + (q.head is not None) for i, q in enumerate(sending.queues)
        },
        "inbox": {
            "size": len(device.inbound.inbox),
            "next_id": device.inbound.next_id,
            "dropped": device.inbound.dropped,
            "held": sum(len(v) for v in device.inbound.held.values()),
        },
    }


def register(app: web.Application) -> None:
    app.router.add_post("/_emulator/sms", inject_sms)
    app.router.add_post("/_emulator/calls", place_calls)
    app.router.add_delete("/_emulator/calls/{port}", hang_up)
    app.router.add_post("/_emulator/tasks/{tid}/{action}", task_action)
