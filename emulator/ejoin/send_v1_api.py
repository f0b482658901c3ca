"""The older single-port send: `goip_send_sms.html` (spec 6.2; EJOIN-EXTRAS, "The older
single-port send").

One send-sms task made of the query (`port` -> `from`, `recipients` -> `to`), read by
the same `parse_task` as `goip_post_sms.html` and queued by the same `Sending`, so it
is listed by `goip_get_tasks.html`, paused, resumed and removed by its tid, reported
and counted like any other task. Only the envelope is its own: `{"code": 0, "reason":
"OK", "tid": ...}`, or the refusing status's code and reason with no tid.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from emulator.core.codes import TaskStatus
from emulator.core.tasks import TaskSpec
from emulator.ejoin.auth import authorize
from emulator.ejoin.task_wire import parse_task
from emulator.gateway import DeviceApp
from emulator.record import jsonio
from emulator.transport.endpoint import Answer, Endpoint, json_answer
from emulator.transport.errors import REFUSED_CODES, ApiError
from emulator.transport.request import DeviceRequest

FIRST_TID = 1_000_000_000  # where the device numbers a task sent without a tid
# Query parameters that are task attributes, under the task's own names.
ATTRIBUTES = ("tid", "sms", "sdr", "fdr", "dr", "tmo", "intvl", "coding", "sr_cnt", "sr_prd")
_WHERE = "query"
_CREDENTIALS = frozenset({"username", "password"})


def _task_of(dreq: DeviceRequest) -> dict[str, Any]:
    query = dreq.query
    task: dict[str, Any] = {name: query[name] for name in ATTRIBUTES if name in query}
    if task.get("tid") in (None, ""):
        task["tid"] = FIRST_TID  # a placeholder: the lowest free tid is chosen below
    if "recipients" in query:
        task["to"] = query["recipients"]
    if "port" in query:
        task["from"] = query["port"]
    if "smsc" in query:
        task["smc"] = query["smsc"]
    return task


def _refused(code: TaskStatus | int, reason: str) -> Answer:
    return json_answer({"code": int(code), "reason": reason})


def _refuse_json_body(raw: bytes) -> None:
    """A JSON body with content is another vendor's API on this path (Dinstar posts
    `{"port":[0],"text":...,"param":[...]}`, ports from 0): a 400 naming the body, not a
    send from the query beside it. Any other body is ignored, the query being the request:
    no JSON, `[]` or `{}` (what PHP's json_encode makes of an empty array), credentials."""
    if raw.strip()[:1] not in (b"{", b"["):
        return
    try:
        doc = jsonio.loads(raw)
    except jsonio.JsonRefused:
        return
    if isinstance(doc, dict):
        doc = [key for key in doc if str(key).lower() not in _CREDENTIALS]
    if doc:
        raise ApiError.bad_request(
            "body: a JSON body is not this endpoint's form (a Dinstar-style send?); "
            "send the query: port, recipients, sms"
        )


def send_sms(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """Send one SMS task from a port (or the device's choice) to `recipients`."""
    _refuse_json_body(dreq.raw)
    raw, dreq.raw = dreq.raw, b""  # the query is the request; a body is not read
    try:
        authorize(dev, dreq)
    except ApiError as exc:
        if exc.code not in REFUSED_CODES:
            raise
        return _refused(exc.code, exc.reason)
    finally:
        dreq.raw = raw
    given_tid = dreq.query.get("tid") not in (None, "")
    try:
        _, outcome = parse_task(dev.names, _task_of(dreq), _WHERE)
    except ApiError as exc:
        if exc.http_status == 400:  # name the query parameter, not a task attribute
            reason = exc.reason
            for attr, param in (("to", "recipients"), ("from", "port"), ("smc", "smsc")):
                reason = reason.replace(f"{_WHERE}.{attr}:", f"{param}:")
            reason = reason.removeprefix(f"{_WHERE}.")
            raise ApiError.bad_request(reason) from None
        raise
    if not isinstance(outcome, TaskSpec):
        return _refused(outcome, outcome.reason)
    sending = dev.device.sending
    spec = outcome
    code = sending.check(spec, set())
    if not given_tid:
        while code == TaskStatus.DUPLICATED_TID:
            spec = replace(spec, tid=spec.tid + 1)
            code = sending.check(spec, set())
    if code != TaskStatus.OK:
        return _refused(code, code.reason)
    task = sending.submit(spec)
    dev.log.info("task_accepted", tid=task.tid, messages=task.total, ports=spec.from_text or "auto")
    return json_answer({"code": 0, "reason": "OK", "tid": task.tid})


ENDPOINTS: dict[str, Endpoint] = {"/goip_send_sms.html": send_sms}
