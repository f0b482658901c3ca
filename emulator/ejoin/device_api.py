"""Status and command endpoints of the device API (spec 4 and 5)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from emulator.actions import PORT_COMMANDS
from emulator.config.ports import PortListError, PortNames, PortRef
from emulator.core.codes import TaskStatus
from emulator.core.settings import SettingError
from emulator.ejoin import envelope, router
from emulator.ejoin.auth import authenticated
from emulator.ejoin.callbacks import dev_status_head, status_entry
from emulator.ejoin.commands import (
    FAMILY_PORT_OPS,
    PORT_OPS,
    RESERVED,
    CommandBody,
    Op,
    family_ops,
    op_refusal,
    setting_refusal,
)
from emulator.gateway import DeviceApp
from emulator.record.jsonio import dumps
from emulator.transport.endpoint import Answer, Endpoint, json_answer
from emulator.transport.errors import ApiError, validation_reason
from emulator.transport.request import DeviceRequest, as_flag, as_int, as_str, raw_param


def get_status(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """Answer dev-status and (re)subscribe the status URL (spec 4.1, example 6.4.1)."""
    device = dev.device
    url = dreq.param("url")
    period = dreq.param("period")
    all_sims = dreq.param("all_sims")
    url_text = None if url is None else as_str(url, "url", 2048)
    period_value = None if period is None else as_int(period, "period", 0, 86_400)
    all_flag = None if all_sims is None else as_flag(all_sims, "all_sims")
    all_flag = _all_slots(dreq, all_flag)
    if url_text is not None and period_value is None:
        period_value = 60  # spec 4.1.2 default
    if url_text is not None or period_value is not None or all_flag is not None:
        try:
            device.subscribe_status(url_text, period_value, all_flag)
        except SettingError as exc:
            raise ApiError.bad_request(f"url: {exc}") from None
        dev.log.info(
            "status_subscribed",
            url=device.settings.status_url,
            period=device.settings.status_period,
        )
    all_sims = device.settings.status_all_sims if all_flag is None else all_flag
    head = dev_status_head(
        device.next_dev_status_seq(), device.settings.status_period, device.identity
    )
    return Answer(dumps(head)[:-1] + b',"status":' + _entries(dev, all_sims) + b"}")


def _all_slots(dreq: DeviceRequest, all_flag: bool | None) -> bool | None:
    """Skyline's `all_slots`, read in every family as `all_sims`: the same setting."""
    all_slots = dreq.param("all_slots")
    if all_slots is None:
        return all_flag
    flag = as_flag(all_slots, "all_slots")
    if all_flag is not None and all_flag != flag:
        raise ApiError.bad_request("all_slots: given beside all_sims with another value; send one")
    return flag


def _entries(dev: DeviceApp, all_sims: bool) -> bytes:
    """The rendered entries of dev-status, kept until the device changes or the day turns."""
    device = dev.device
    key = (device.version, all_sims, device.stats.day())
    cached = dev.status_cache.get(all_sims)
    if cached is None or cached[0] != key:
        skyline = dev.profile.quirks.firmware == "skyline"
        entries = [
            status_entry(device.snapshot(s), dev.names, skyline)
            for s in device.status_slots(all_sims)
        ]
        cached = dev.status_cache[all_sims] = (key, dumps(entries))
    return cached[1]


IDENTITY_PARAMETERS = ("sw_ver", "mac", "ip", "sn", "max_ports", "max_slots", "name")


def identity_parameters(dev: DeviceApp) -> dict[str, object]:
    """What op=get reads besides the settings: the device's identity, read-only.

    `sw_ver` is dev-status `ver`; `sn` is the serial a unit is labelled with, made from
    its MAC (the emulator has no other).
    """
    ident = dev.identity
    return {
        "sw_ver": ident.firmware,
        "mac": ident.mac,
        "ip": ident.ip,
        "sn": ident.mac.replace("-", "").replace(":", "").upper(),
        "max_ports": ident.max_ports,
        "max_slots": ident.max_slots,
        "name": ident.name,
    }


def _command(dreq: Any) -> CommandBody:
    """The command from the JSON body, or from query parameters (op=..&ports=..).

    An empty body (`[]` or `{}`, what PHP's `json_encode([])` posts beside a query
    command) is no body: the query is the command, as firmware reads it.
    """
    if dreq.body is not None and dreq.body not in ([], {}):
        if not isinstance(dreq.body, dict):
            raise ApiError.bad_request('body: a command is a JSON object like {"op": "lock"}')
        source = {k: v for k, v in dreq.body.items() if isinstance(k, str)}
        for key, value in dreq.query.items():
            if key in ("op", "ports") and key not in source:
                source[key] = value
    else:
        # op=get&sms_url&sr_url: names without values name the settings to read.
        source = dict(dreq.query)
        for key in source:
            if key.startswith("sim_number"):  # "+8613..." keeps its + (a form reads a space)
                source[key] = raw_param(dreq, key) or source[key]
    if "op" not in {k.lower() for k in source}:
        raise ApiError(
            15,
            "Invalid CMD: no op given; use op=lock|unlock|switch|reset|"
            "save|reboot|get|set or a multiple command body",
        )
    source = {k.lower() if k.lower() in RESERVED else k: v for k, v in source.items()}
    if "port" in source:  # the field's name for `ports` (INTERPRETATION.md, Lenient input)
        if "ports" in source and source["ports"] != source["port"]:
            raise ApiError.bad_request("port: given beside ports with another value; send one")
        source["ports"] = source.pop("port")
    try:
        return CommandBody.model_validate(source)
    except ValidationError as exc:
        raise ApiError.bad_request(validation_reason(exc)) from None


def _op(text: str, firmware: str) -> Op:
    try:
        op = Op(text.strip().lower())
    except ValueError:
        known = ", ".join(o.value for o in family_ops(firmware))
        raise ApiError.refused(
            TaskStatus.INVALID_CMD, f"unknown op {text!r}; known: {known}"
        ) from None
    if (why := op_refusal(op, firmware)) is not None:
        raise ApiError.refused(TaskStatus.INVALID_CMD, why)
    return op


def _gate_settings(names: list[str], firmware: str) -> None:
    for name in names:
        if (why := setting_refusal(name, firmware)) is not None:
            raise ApiError.refused(TaskStatus.INVALID_CMD, why)


Redial = tuple[bool, float] | None  # (flight, delay) of an op=redial step


def _plan_port_op(names: PortNames, op: Op, ports: str | None) -> tuple[Op, list[PortRef]]:
    if ports is None or not ports.strip():
        raise ApiError.refused(
            TaskStatus.INVALID_PORT, f"op={op.value} needs ports, e.g. ports=1.01,2.02,4-32"
        )
    try:
        refs = names.parse_list(ports)
    except PortListError as exc:
        raise ApiError.refused(TaskStatus.INVALID_PORT, str(exc)) from None
    return op, refs


def send_cmd(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """Run a command on the device (spec 5, example 6.4.2)."""
    device = dev.device
    firmware = dev.profile.quirks.firmware
    body = _command(dreq)
    op = _op(body.op, firmware)

    # Validate everything first, so a command with one bad part changes nothing.
    plan: list[tuple[Op, list[PortRef], Redial]] = []
    if op == Op.MULTIPLE:
        if not body.ops:
            raise ApiError.refused(
                TaskStatus.INVALID_CMD, "op=multiple needs a non-empty 'ops' array"
            )
        for index, sub in enumerate(body.ops):
            sub_op = _op(sub.op, firmware)
            if sub_op not in PORT_OPS | FAMILY_PORT_OPS:
                in_multiple = (o for o in family_ops(firmware) if o in PORT_OPS | FAMILY_PORT_OPS)
                raise ApiError(
                    15,
                    f"Invalid CMD: ops.{index}.op {sub.op!r} is not one of "
                    + ", ".join(o.value for o in in_multiple),
                )
            redial = None
            if sub_op == Op.REDIAL:
                redial = router.redial_parameters(sub.mode, sub.delay, f"ops.{index}.")
            plan.append((*_plan_port_op(dev.names, sub_op, sub.ports), redial))
    elif op in PORT_OPS | FAMILY_PORT_OPS:
        redial = None
        if op == Op.REDIAL:
            extra = {k.lower(): v for k, v in (body.model_extra or {}).items()}
            redial = router.redial_parameters(extra.get("mode"), extra.get("delay"))
        plan.append((*_plan_port_op(dev.names, op, body.ports), redial))

    auto_switch = None
    if body.auto_fail_sim_switch is not None:
        auto_switch = as_flag(body.auto_fail_sim_switch, "auto_fail_sim_switch")

    answer = envelope.ok("goip_send_cmd", dev.profile.quirks.envelope_codes)
    if op == Op.GET:
        names = list(body.settings())
        if not names:
            raise ApiError.refused(
                TaskStatus.INVALID_CMD, "op=get needs setting names, e.g. op=get&sms_url"
            )
        _gate_settings(names, firmware)
        identity = identity_parameters(dev)
        data = [n for n in names if router.is_data_parameter(n)]
        settings = [n for n in names if n.lower() not in identity and n not in data]
        try:
            answer.update(device.get_settings(settings))
        except SettingError as exc:
            raise ApiError.refused(TaskStatus.INVALID_CMD, f"{exc}") from None
        answer.update({n: identity[n.lower()] for n in names if n.lower() in identity})
        answer.update(router.data_values(device.data, data))
    elif op == Op.SET:
        values = body.settings()
        _gate_settings(list(values), firmware)
        if data := [name for name in values if router.is_data_parameter(name)]:
            raise router.read_only(data[0])
        read_only = [name for name in values if name.lower() in IDENTITY_PARAMETERS]
        if read_only:
            raise ApiError(
                15,
                f"Invalid CMD: {read_only[0]!r} is the device's identity and is read-only; "
                "op=get reads it",
            )
        if not values and auto_switch is None:
            raise ApiError.refused(
                TaskStatus.INVALID_CMD, "op=set needs name=value pairs, e.g. sms_url=..."
            )
        try:
            device.set_settings(values)
        except SettingError as exc:
            raise ApiError.refused(TaskStatus.INVALID_CMD, f"{exc}") from None
        if firmware == "skyline":  # Skyline's op=set answer counts what it set
            answer["par_set"] = len(values) + (auto_switch is not None)

    if auto_switch is not None:
        device.set_settings({"auto_fail_sim_switch": int(auto_switch)})
    for port_op, refs, redial in plan:
        if redial is not None:
            device.redial(refs, *redial)
        else:
            PORT_COMMANDS[port_op.value](device, refs)
    if op == Op.SAVE:
        device.save()
    elif op == Op.REBOOT:
        device.reboot()
    dev.log.info("command", op=op.value, ports=body.ports, ops=len(plan))
    return json_answer(answer)


ENDPOINTS: dict[str, Endpoint] = {
    "/goip_get_status.html": authenticated(get_status),
    # Skyline posts op=set as name=value pairs (text/plain or a form), not JSON.
    "/goip_send_cmd.html": authenticated(send_cmd, pairs_body=True),
}
