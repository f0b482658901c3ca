"""Sending SMS over HTTP (spec 6): submit, pause, resume, remove and list tasks."""

from __future__ import annotations

import re
from typing import Any

from emulator.config.ports import PortListError
from emulator.core.codes import TaskStatus
from emulator.core.settings import SettingError, parse_value
from emulator.core.tasks import TASK_OPERATIONS, TaskSpec, messages_of
from emulator.ejoin import envelope
from emulator.ejoin.auth import authenticated, authorize
from emulator.ejoin.task_wire import parse_task
from emulator.gateway import DeviceApp
from emulator.transport.endpoint import Answer, Endpoint, json_answer
from emulator.transport.errors import REFUSED_CODES, ApiError
from emulator.transport.request import SESSION_PARAMS, DeviceRequest, as_flag, as_int, as_str, show

MAX_TASKS_PER_REQUEST = 10_000
TOP_LEVEL = ("sr_url", "sr_cnt", "sr_prd", "sms_url", "sms_cnt", "sms_prd")


def _tasks_of(dreq: DeviceRequest) -> tuple[list[Any], dict[str, Any]]:
    """The raw tasks and top-level settings: JSON send-sms (1.1) or query (1.0)."""
    if dreq.method == "POST" and dreq.body is not None:
        body = dreq.body
        if not isinstance(body, dict):
            raise ApiError.bad_request("body: send-sms is a JSON object with a 'tasks' array")
        kind = body.get("type")
        if kind is not None and kind != "send-sms":
            raise ApiError.bad_request(f"type: must be 'send-sms', not {kind!r}")
        tasks = body.get("tasks")
        if not isinstance(tasks, list) or not tasks:
            raise ApiError.bad_request("tasks: expected a non-empty array of tasks")
        if len(tasks) > MAX_TASKS_PER_REQUEST:
            raise ApiError.bad_request(f"tasks: {len(tasks)} tasks is over {MAX_TASKS_PER_REQUEST}")
        if body.get("task_num") is not None:
            as_int(body["task_num"], "task_num", 0)
        top = {k: v for k, v in body.items() if isinstance(k, str) and k.lower() in TOP_LEVEL}
        return tasks, top
    task = {k: v for k, v in dreq.query.items() if k not in ("username", "password", "version")}
    top = {k: task.pop(k) for k in list(task) if k in TOP_LEVEL and k not in ("sr_cnt", "sr_prd")}
    return [task], top


def post_sms(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """Submit SMS tasks (spec 6.3.1, example 6.4.3): one status per task, 0 = accepted."""
    device = dev.device
    answer = {
        **envelope.ok("goip_post_sms", dev.profile.quirks.envelope_codes),
        "type": "task-status",
    }
    try:
        authorize(dev, dreq)
    except ApiError as exc:
        if exc.code not in REFUSED_CODES:
            raise
        # Every task gets the refusal (INTERPRETATION.md, Authentication).
        tids = _tids_for_refusal(dreq)
        answer["status"] = [{"tid": tid, "status": f"{exc.code} {exc.reason}"} for tid in tids]
        return json_answer(answer)
    raw_tasks, top = _tasks_of(dreq)
    parsed = [parse_task(dev.names, raw, f"tasks.{i}") for i, raw in enumerate(raw_tasks)]
    settings = {k.lower(): v for k, v in top.items() if v is not None}
    try:
        for name, value in settings.items():
            parse_value(device.settings, name, value)
    except SettingError as exc:
        raise ApiError.bad_request(str(exc)) from None

    statuses: list[dict[str, Any]] = []
    accepted: list[TaskSpec] = []
    pending: set[int] = set()
    pending_messages = 0
    for tid, outcome in parsed:
        if isinstance(outcome, TaskSpec):
            code = device.sending.check(outcome, pending, pending_messages)
            if code == TaskStatus.OK:
                accepted.append(outcome)
                pending.add(outcome.tid)
                pending_messages += messages_of(outcome)
        else:
            code = outcome
        statuses.append({"tid": tid, "status": str(code)})
    if accepted:
        if settings:
            device.set_settings(settings)  # the request's report and receive settings come along
        for spec in accepted:
            task = device.sending.submit(spec)
            dev.log.info(
                "task_accepted", tid=task.tid, messages=task.total, ports=spec.from_text or "auto"
            )
    answer["status"] = statuses
    return json_answer(answer)


def _tids_for_refusal(dreq: DeviceRequest) -> list[Any]:
    body = dreq.body if isinstance(dreq.body, dict) else None
    if body is not None and isinstance(body.get("tasks"), list):
        return [t.get("tid") if isinstance(t, dict) else None for t in body["tasks"]] or [None]
    tid = dreq.query.get("tid")
    if tid is not None and re.fullmatch(r"-?[0-9]{1,18}", tid):
        return [int(tid)]
    return [tid]


# What a pause, resume or remove may carry besides `tids` (6.3.3.2; a session's in 3.2.3).
_TASK_OP_QUERY = frozenset({"username", "password", "version", "tids"}) | SESSION_PARAMS
_TASK_OP_BODY = frozenset({"username", "password", "version", "tids"})


def _tids(dreq: DeviceRequest) -> list[int] | None:
    """The `tids` of a pause, resume or remove (6.3.3.3); None means every task.

    Only a request with no `tids` at all means every task: a body that is not a JSON
    object, `tids` that is not a list of task ids, or a name the spec does not have
    (`{"tid": [7]}` is a typo, not "every task") is a 400 that acts on nothing
    (INTERPRETATION.md, "Pause, resume and remove").
    """
    unknown = sorted(set(dreq.query) - _TASK_OP_QUERY)
    if unknown:
        raise ApiError.bad_request(
            f"{unknown[0]}: unknown parameter; name the tasks as tids=7,8 or a body "
            '{"tids": [7, 8]}'
        )
    in_body: Any = None
    if dreq.clear:
        body = dreq.body
        if not isinstance(body, dict):
            raise ApiError.bad_request(
                f'body: expected a JSON object like {{"tids": [7, 8]}}, not {show(body)}'
            )
        for key, value in body.items():
            name = key.lower()
            if name not in _TASK_OP_BODY:
                raise ApiError.bad_request(
                    f'{key}: unknown attribute; name the tasks as {{"tids": [7, 8]}}'
                )
            if name == "tids":
                in_body = value
                if not isinstance(value, list):
                    raise ApiError.bad_request(
                        f"tids: expected a list of task ids like [7, 8], not {show(value)}"
                    )
    in_query = dreq.query.get("tids")
    if in_query is not None and in_body is not None:
        raise ApiError.bad_request("tids: given both in the query and in the body")
    if in_body is not None:
        items: list[Any] = in_body
    elif in_query is not None:
        items = [v for v in in_query.split(",") if v.strip()]
        if not items:
            raise ApiError.bad_request("tids: expected task ids like tids=7,8, not an empty value")
    else:
        return None
    if len(items) > MAX_TASKS_PER_REQUEST:
        raise ApiError.bad_request(f"tids: {len(items)} tids is over {MAX_TASKS_PER_REQUEST}")
    tids = []
    for i, value in enumerate(items):
        if not isinstance(value, int | str):
            raise ApiError.bad_request(f"tids.{i}: {show(value)} is not a task id")
        tids.append(as_int(value, f"tids.{i}", -(2**63), 2**63 - 1))
    return tids


def _task_op(dev: DeviceApp, dreq: DeviceRequest, endpoint: str, op: str) -> Answer:
    sending = dev.device.sending
    tids = _tids(dreq)
    answer: dict[str, Any] = envelope.ok(endpoint, dev.profile.quirks.envelope_codes)
    action = TASK_OPERATIONS[op]
    if tids is None:
        for tid in list(sending.tasks):
            action(sending, tid)
    else:
        results = []
        for tid in tids:
            done = action(sending, tid)
            # A tid the device does not hold: the closest code of the table (6.3.3).
            code = TaskStatus.OK if done else TaskStatus.TID_EXPECTED
            results.append({"tid": tid, "status": str(code)})
        answer["results"] = results
    dev.log.info("tasks_" + op, tids=tids if tids is not None else "all")
    return json_answer(answer)


def pause_sms(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """Pause queued SMS tasks (spec 6.3.3, example 6.4.4)."""
    return _task_op(dev, dreq, "goip_pause_sms", "pause")


def resume_sms(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """Resume paused SMS tasks (spec 6.3.4, example 6.4.5)."""
    return _task_op(dev, dreq, "goip_resume_sms", "resume")


def remove_sms(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """Remove queued SMS tasks (spec 6.3.5, example 6.4.6)."""
    return _task_op(dev, dreq, "goip_remove_sms", "remove")


def get_tasks(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """List the tasks queued on a port (spec 6.3.6, example 6.4.7)."""
    device = dev.device
    port_raw = dreq.param("port")
    if port_raw is None:
        raise ApiError.refused(TaskStatus.INVALID_PORT, "port is required, e.g. port=1")
    try:
        port = dev.names.parse_name(as_str(port_raw, "port", 40)).port
    except PortListError as exc:
        raise ApiError.refused(TaskStatus.INVALID_PORT, f"{exc}") from None
    pos = as_int(dreq.param("pos") if dreq.param("pos") is not None else 0, "pos", 0)
    num = as_int(dreq.param("num") if dreq.param("num") is not None else 10, "num", 0, 100_000)
    content = dreq.param("has_content")
    has_content = as_flag(content, "has_content") if content is not None else False
    tasks = device.sending.tasks_on_port(port)
    chosen = tasks[pos : pos + num]
    listed = []
    for task in chosen:
        entry: dict[str, Any] = {
            "tid": task.tid,
            "state": 1 if task.paused else 0,
            "from": task.from_text,
            "to": ",".join(task.recipients),
            "chs": task.chs,
            "coding": task.coding,
        }
        if has_content:
            entry["sms"] = task.sms
        listed.append(entry)
    answer = envelope.ok("goip_get_tasks", dev.profile.quirks.envelope_codes)
    answer.update({"total_num": len(tasks), "task_num": len(listed), "tasks": listed})
    return json_answer(answer)


ENDPOINTS: dict[str, Endpoint] = {
    "/goip_post_sms.html": post_sms,
    "/goip_pause_sms.html": authenticated(pause_sms),
    "/goip_resume_sms.html": authenticated(resume_sms),
    "/goip_remove_sms.html": authenticated(remove_sms),
    "/goip_get_tasks.html": authenticated(get_tasks),
}
