"""Received SMS and statistics over HTTP (spec 8, 9, 10)."""

from __future__ import annotations

from typing import Any

from emulator.config.ports import PortListError
from emulator.core.codes import TaskStatus
from emulator.core.stats import Window
from emulator.ejoin import envelope
from emulator.ejoin.auth import authenticated
from emulator.ejoin.callbacks import sms_entry
from emulator.gateway import DeviceApp
from emulator.transport.endpoint import Answer, Endpoint, json_answer
from emulator.transport.errors import ApiError
from emulator.transport.request import DeviceRequest, as_flag, as_int, as_str


def get_sms(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """Read the inbox from sms_id on (spec 8): ssrc, sms_num, next_sms, data."""
    device = dev.device
    sms_id = as_int(_param(dreq, "sms_id", 1), "sms_id", 0, 2**62)
    sms_num = as_int(_param(dreq, "sms_num", 0), "sms_num", 0, 1_000_000)
    delete = as_flag(_param(dreq, "sms_del", 0), "sms_del")
    found, next_sms = device.inbound.query(max(sms_id, 1), sms_num, delete)
    answer = envelope.ok("goip_get_sms", dev.profile.quirks.envelope_codes)
    answer.update(
        {
            "ssrc": device.ssrc,
            "sms_num": len(found),
            "next_sms": next_sms,
            "data": [sms_entry(s.sms, dev.names, dev.profile.quirks) for s in found],
        }
    )
    return json_answer(answer)


def _param(dreq: DeviceRequest, name: str, default: Any) -> Any:
    value = dreq.param(name)
    return default if value is None or value == "" else value


def _selection(dev: DeviceApp, dreq: DeviceRequest) -> tuple[list[tuple[int, int]], Window]:
    """ports (default all), slots (default each port's current one), type (spec 9.1.2)."""
    names, device = dev.names, dev.device
    try:
        ports_text = as_str(_param(dreq, "ports", "all"), "ports", 4096)
        ports = names.parse_numbers(ports_text, len(device.ports), "port")
    except PortListError as exc:
        raise ApiError.refused(TaskStatus.INVALID_PORT, f"{exc}") from None
    slots_raw = dreq.param("slots")
    try:
        slots = (
            None
            if slots_raw is None or slots_raw == ""
            else names.parse_numbers(as_str(slots_raw, "slots", 4096), names.slots, "slot")
        )
    except PortListError as exc:
        raise ApiError.bad_request(f"slots: {exc}") from None
    window = Window(as_int(_param(dreq, "type", 0), "type", 0, 3))
    pairs = [
        (port, slot)
        for port in ports
        for slot in (slots if slots is not None else [device.ports[port - 1].current])
    ]
    return pairs, window


def get_sms_stat(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """SMS statistics per port and slot in a window (spec 9)."""
    device = dev.device
    pairs, window = _selection(dev, dreq)
    stats = []
    for port, slot in pairs:
        unsent, sending, con_failed = device.sending.gauges(port, slot)

        def count(name: str, port: int = port, slot: int = slot) -> int:
            return device.stats.count(port, slot, name, window)

        stats.append(
            {
                "port": port,
                "slot": slot,
                "received": count("received"),
                "sent": count("sent"),
                "sent_ok": count("sent_ok"),
                "sent_failed": count("sent_failed"),
                "con_failed": con_failed,
                "unsent": unsent,
                "sending": sending,
            }
        )
    answer = envelope.ok("goip_get_sms_stat", dev.profile.quirks.envelope_codes)
    answer.update({"count": len(stats), "stats": stats})
    return json_answer(answer)


def get_call_stat(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """Call statistics per port and slot in a window (spec 10)."""
    device = dev.device
    pairs, window = _selection(dev, dreq)
    stats = [device.calls.figures(port, slot, window) for port, slot in pairs]
    answer = envelope.ok("goip_get_call_stat", dev.profile.quirks.envelope_codes)
    answer.update({"count": len(stats), "stats": stats})
    return json_answer(answer)


ENDPOINTS: dict[str, Endpoint] = {
    "/goip_get_sms.html": authenticated(get_sms),
    "/goip_get_sms_stat.html": authenticated(get_sms_stat),
    "/goip_get_call_stat.html": authenticated(get_call_stat),
}
