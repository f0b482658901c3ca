"""Skyline's eSIM endpoints: goip_get_esims, goip_write_esims, goip_delete_esims
(EJOIN-EXTRAS, "eSIM").

The eUICCs are the core's (`emulator/core/esim.py`); this module reads the requests and
frames the answers. Registered for skyline firmware only: on the other families these
paths are unknown, answered as any unknown path (404). Success is `code` 200, as the
Skyline summary has it for its endpoints.

A write or delete takes a JSON array and answers a JSON array: one `{"port", "slot",
"status"}` per item, in order (1 submitted, 2 port busy, 3 other error); an item that is
refused changes nothing, and the others go ahead. A request refused whole (credentials, a
body that is no array) is answered in the `code`/`reason` envelope.
"""

from __future__ import annotations

from typing import Any

from emulator.config.ports import PortListError
from emulator.core.codes import TaskStatus
from emulator.core.esim import OTHER_ERROR, SUBMITTED, EsimPort, EsimRefused
from emulator.ejoin.auth import authenticated
from emulator.gateway import DeviceApp
from emulator.transport.endpoint import Answer, Endpoint, json_answer
from emulator.transport.errors import ApiError
from emulator.transport.request import DeviceRequest, as_str

MAX_ITEMS = 1024  # items of one write or delete request


def port_json(esim: EsimPort) -> dict[str, Any]:
    """One entry of goip_get_esims' `ports` (and of /_emulator/state's `esim`)."""
    return {
        "port": esim.port,
        "eid": esim.eid,
        "esim_state": esim.state,
        "profiles": [
            {
                "slot": p.slot,
                "enabled": int(p.enabled),
                "iccid": p.iccid,
                "ac": p.ac,
                "cc": p.cc,
                "provider": p.provider,
                "exust": int(p.exust),
                "op": p.op,
                "status": p.status,
                "reason": p.reason,
            }
            for p in esim.profiles
        ],
    }


def get_esims(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """The eSIM ports named in `ports` (all of them when absent), with their profiles."""
    esims = dev.device.esims
    raw = dreq.param("ports")
    text = "all" if raw is None else as_str(raw, "ports", 4096)
    if not text.strip():
        text = "all"
    try:
        refs = dev.names.parse_list(text)
    except PortListError as exc:
        raise ApiError.refused(TaskStatus.INVALID_PORT, str(exc)) from None
    chosen = [esims.ports[n] for n in dict.fromkeys(r.port for r in refs) if n in esims.ports]
    return json_answer(
        {
            "code": 200,
            "reason": "OK",
            "count": len(chosen),
            "ports": [port_json(e) for e in chosen],
        }
    )


def _items(dreq: DeviceRequest, shape: str) -> list[Any]:
    body = dreq.body
    if not isinstance(body, list):
        raise ApiError.bad_request(f"body: a JSON array like [{shape}]")
    if len(body) > MAX_ITEMS:
        raise ApiError.bad_request(f"body: {len(body)} items is over {MAX_ITEMS}")
    return body


def _number(dev: DeviceApp, value: Any, name: str) -> int:
    """A port (a number or any port name; its port counts) or a slot (a number from 1)."""
    if isinstance(value, bool):
        raise EsimRefused(OTHER_ERROR, f"{name}: {value!r} is not a {name}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip():
        if name == "slot":
            if value.strip().isascii() and value.strip().isdigit() and len(value) <= 9:
                return int(value)
        else:
            try:
                return dev.names.parse_name(value).port
            except PortListError:
                pass
    raise EsimRefused(OTHER_ERROR, f"{name}: {value!r} is not a {name}")


def _code(item: dict[str, Any], name: str, needed: bool) -> str:
    value = item.get(name)
    if value is None and not needed:
        return ""
    if not isinstance(value, str):
        raise EsimRefused(OTHER_ERROR, f"{name}: {value!r} is not text")
    return value


def _run(dev: DeviceApp, dreq: DeviceRequest, write: bool) -> Answer:
    shape = '{"port": 1, "slot": 1, "ac": "LPA:1$..."}' if write else '{"port": 1, "slot": 1}'
    esims = dev.device.esims
    results = []
    for item in _items(dreq, shape):
        port: Any = item.get("port") if isinstance(item, dict) else None
        slot: Any = item.get("slot") if isinstance(item, dict) else None
        try:
            if not isinstance(item, dict):
                raise EsimRefused(OTHER_ERROR, f"item: an object like {shape}")
            port = _number(dev, port, "port")
            slot = _number(dev, slot, "slot")
            if write:
                esims.write(port, slot, _code(item, "ac", True), _code(item, "cc", False))
            else:
                esims.delete(port, slot)
            status = SUBMITTED
        except EsimRefused as exc:
            status = exc.status
            dev.log.info("esim_refused", write=write, port=port, slot=slot, reason=str(exc))
        # Echo what was named, plainly: a value that is no JSON scalar is not sent back.
        results.append(
            {
                "port": _echo(port),
                "slot": _echo(slot),
                "status": status,
            }
        )
    dev.log.info("esim", write=write, items=len(results))
    return json_answer(results)


def _echo(value: Any) -> int | str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return value if isinstance(value, str) and len(value) <= 40 else None


def write_esims(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """Download a profile into each slot named, with its activation (and confirmation) code."""
    return _run(dev, dreq, write=True)


def delete_esims(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """Delete the profile of each slot named."""
    return _run(dev, dreq, write=False)


def state_section(dev: DeviceApp) -> dict[str, object]:
    """The eSIM ports in /_emulator/state."""
    return {"esim": [port_json(e) for e in dev.device.esims.ports.values()]}


ENDPOINTS: dict[str, Endpoint] = {
    "/goip_get_esims.html": authenticated(get_esims),
    "/goip_write_esims.html": authenticated(write_esims),
    "/goip_delete_esims.html": authenticated(delete_esims),
}
