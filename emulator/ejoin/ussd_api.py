"""USSD over HTTP: `goip_send_ussd.html` (EJOIN-EXTRAS, "USSD"; Ejoin HTTP-USSD API v1.1).

The dialogue itself is the core's (`emulator/core/ussd.py`, one `UssdNetwork` per
gateway); this module reads the request, refuses what is not a USSD request, and
waits for the network's answer on the device clock when `ussd.latency` holds it.
The endpoint is awaited, so it is served by aiohttp (the front hands it over).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote

from emulator.actions import dial_ussd
from emulator.config.ports import PortListError, PortRef
from emulator.core.codes import TaskStatus
from emulator.core.ussd import (
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    UssdAnswer,
    dials_ussd,
    port_ranges,
)
from emulator.ejoin.auth import authorize
from emulator.gateway import DeviceApp
from emulator.record.jsonio import dumps
from emulator.transport.endpoint import Answer, AsyncEndpoint
from emulator.transport.errors import REFUSED_CODES, ApiError
from emulator.transport.request import DeviceRequest, as_int, as_str, raw_param

MAX_USSD = 182  # GSM 03.38: a USSD string is at most 182 characters
_DOUBLE = ("%2a", "%23", "%2b")  # what a client that encoded twice leaves after one decode


def five_keys(
    dev: DeviceApp, code: TaskStatus, resp: str, ports: str, reason: str | None = None
) -> Answer:
    """The answer of both passthrough endpoints: always these five keys, HTTP 200."""
    doc = {
        "code": int(code),
        "reason": reason or code.reason,
        "resp": resp,
        "max-port": dev.identity.max_ports,
        "port": ports,
    }
    return Answer(dumps(doc))


def usable_ports(dev: DeviceApp) -> str:
    """The ports whose current SIM dials USSD now, as "1,3-6,8"."""
    return port_ranges(p.number for p in dev.device.ports if dials_ussd(int(p.slot.state)))


def authorized(dev: DeviceApp, dreq: DeviceRequest) -> ApiError | None:
    """Credentials or a session; the refusal (1 or 14) to answer, if any.

    A body is ignored (the contract's POST carries the query), so it is not read as JSON.
    """
    raw, dreq.raw = dreq.raw, b""
    try:
        authorize(dev, dreq)
    except ApiError as exc:
        if exc.code not in REFUSED_CODES:
            raise
        return exc
    finally:
        dreq.raw = raw
    return None


def text_param(dreq: DeviceRequest, name: str, limit: int) -> str | None:
    """`ussd` or `at`: decoded once with `+` kept; a twice-encoded value is decoded again."""
    if dreq.query.get(name) is None:
        return None
    value = raw_param(dreq, name)
    if value is None:  # given in a PHP list form (`ussd[]=`): as the parsed query has it
        value = dreq.query[name]
    if any(marker in value.lower() for marker in _DOUBLE):
        value = unquote(value)
    return as_str(value, name, limit)


def port_of(dev: DeviceApp, dreq: DeviceRequest) -> int | None:
    """The one port named (only the port counts), None when absent; a list or no port of
    the device is `2 Invalid Port`."""
    raw = dreq.query.get("port")
    if raw is None:
        return None
    text = as_str(raw, "port", 40)
    try:
        return dev.names.parse_name(text).port
    except PortListError:
        raise ApiError(int(TaskStatus.INVALID_PORT), TaskStatus.INVALID_PORT.reason) from None


def seconds(dreq: DeviceRequest, name: str, default: int, low: int, high: int) -> int:
    raw = dreq.query.get(name)
    if raw is None or raw.strip() == "":
        return default
    return as_int(raw, name, low, high)


async def send_ussd(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """Dial a service code or reply to the port's open menu; the network's text in `resp`."""
    refused = authorized(dev, dreq)
    if refused is not None:
        return five_keys(dev, TaskStatus(refused.code), "", usable_ports(dev), refused.reason)
    try:
        port = port_of(dev, dreq)
        ussd = text_param(dreq, "ussd", MAX_USSD)
        timeout = seconds(dreq, "timeout", int(DEFAULT_TIMEOUT), 1, 600)
        retries = seconds(dreq, "retries", DEFAULT_RETRIES, 0, 10)
    except ApiError as exc:
        if exc.http_status != 200:
            raise
        return five_keys(dev, TaskStatus(exc.code), "", usable_ports(dev))
    if port is None and ussd is None:  # the ports query: credentials and usable ports
        return five_keys(dev, TaskStatus.OK, "", usable_ports(dev))
    if port is None:
        return five_keys(dev, TaskStatus.INVALID_PORT, "", usable_ports(dev))
    if not ussd or not ussd.strip():
        return five_keys(dev, TaskStatus.USSD_EXPECTED, "", usable_ports(dev))
    request = dial_ussd(dev, PortRef(port), ussd, timeout, retries)
    answer = request.answer
    if answer is None:  # held: the network answers on a timer of the device clock
        future: asyncio.Future[UssdAnswer] = asyncio.get_running_loop().create_future()

        def deliver(result: UssdAnswer) -> None:
            if not future.done():  # the client may have gone meanwhile
                future.set_result(result)

        request.add_done_callback(deliver)
        answer = await future
    log: dict[str, Any] = {"port": port, "ussd": ussd, "code": int(answer.status)}
    dev.log.info("ussd", **log)
    return five_keys(dev, answer.status, answer.resp, usable_ports(dev))


ENDPOINTS: dict[str, AsyncEndpoint] = {"/goip_send_ussd.html": send_ussd}
