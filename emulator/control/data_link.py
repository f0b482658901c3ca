"""Control API for router firmware's data links (EJOIN-EXTRAS, "Router").

GET  /_emulator/state   carries "data_links": each port's link (state, ip, rx, tx)
POST /_emulator/data    {"port": "1", "rx": 1500, "tx": 300}: bytes over a port's link

Nothing in the emulator makes IP traffic, and the router document names no source of it:
what `port_rx_tx(n)` counts is what a test says went over the link, here.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator

from emulator.config.ports import PortListError
from emulator.control.api import _dev, read_model
from emulator.core.data_link import DataLink, LinkDown
from emulator.gateway import DeviceApp
from emulator.transport.errors import ApiError
from emulator.transport.middleware import json_response

MAX_BYTES = 2**53  # what a JSON reader keeps exactly


class Traffic(BaseModel):
    model_config = ConfigDict(extra="forbid")

    port: str = Field(description="the port whose link carried it: '1', '1A', '1.01'")
    rx: int = Field(0, ge=0, le=MAX_BYTES, strict=True, description="bytes received")
    tx: int = Field(0, ge=0, le=MAX_BYTES, strict=True, description="bytes sent")

    @field_validator("port", mode="before")
    @classmethod
    def _port_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def link_json(link: DataLink) -> dict[str, object]:
    return {
        "port": link.port,
        "state": link.state.value,
        "ip": link.ip,
        "rx": link.rx,
        "tx": link.tx,
        "dials_at": None if link.dialing is None else link.dialing.when,
    }


def state_section(dev: DeviceApp) -> dict[str, object]:
    data = dev.device.data
    return {} if data is None else {"data_links": [link_json(link) for link in data.links]}


async def add_traffic(request: web.Request) -> web.Response:
    dev = _dev(request)
    body = await read_model(request, Traffic)
    data = dev.device.data
    assert data is not None  # the route is there on router firmware only
    try:
        port = dev.names.parse_name(body.port).port
        dev.device.port(port)
    except PortListError as exc:
        raise ApiError.bad_request(f"port: {exc}") from None
    try:
        link = data.traffic(port, body.rx, body.tx)
    except LinkDown as exc:
        raise ApiError.http(409, str(exc)) from None
    dev.log.info("data_traffic", port=port, rx=body.rx, tx=body.tx)
    return json_response(link_json(link))


def register(app: web.Application, dev: DeviceApp) -> None:
    if dev.device.data is None:
        return
    app.router.add_post("/_emulator/data", add_traffic)
    if state_section not in dev.state_sections:
        dev.state_sections.append(state_section)
