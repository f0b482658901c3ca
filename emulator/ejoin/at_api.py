"""AT passthrough: `goip_send_at.html` (EJOIN-EXTRAS, "AT passthrough").

What the module answers is the core's (`emulator/core/at.respond`); this module reads
the request and frames the answer as the USSD endpoint does (five keys). The one
command that writes, `AT+EGMR=1,7,"<imei>"`, goes through the device's settings
(`imei(n)`), so dev-status, `op=get` and `/_emulator/state` show it at once.

Answers take no device time. A mute module (Skyline's `16 Module Response Timeout`)
answers nothing: on skyline firmware the endpoint is awaited (`send_at_waiting`, served
by aiohttp like goip_send_ussd) and answers `6 Timeout` when the request's `timeout`
has passed in device time; the other families never reach 16 and keep the synchronous
endpoint the front serves.
"""

from __future__ import annotations

import asyncio

from emulator.actions import send_at as module_answer
from emulator.config.ports import PortRef
from emulator.core.at import module_answers
from emulator.core.codes import TaskStatus
from emulator.core.ussd import port_ranges
from emulator.ejoin.ussd_api import authorized, five_keys, port_of, seconds, text_param
from emulator.gateway import DeviceApp
from emulator.transport.endpoint import Answer, AsyncEndpoint, Endpoint
from emulator.transport.errors import ApiError
from emulator.transport.request import DeviceRequest

MAX_AT = 560  # a module's command line buffer (3GPP TS 27.007 asks for at least 80)
DEFAULT_TIMEOUT = 10


def _answering(dev: DeviceApp) -> str:
    return port_ranges(p.number for p in dev.device.ports if module_answers(int(p.slot.state)))


def _read(dev: DeviceApp, dreq: DeviceRequest) -> Answer | tuple[int, str, int]:
    """The answer of a request that reaches no module, or its port, command and timeout."""
    refused = authorized(dev, dreq)
    if refused is not None:
        return five_keys(dev, TaskStatus(refused.code), "", _answering(dev), refused.reason)
    try:
        port = port_of(dev, dreq)
        command = text_param(dreq, "at", MAX_AT)
        timeout = seconds(dreq, "timeout", DEFAULT_TIMEOUT, 1, 600)
    except ApiError as exc:
        if exc.http_status != 200:
            raise
        return five_keys(dev, TaskStatus(exc.code), "", _answering(dev))
    if port is None and command is None:
        return five_keys(dev, TaskStatus.OK, "", _answering(dev))
    if port is None:
        return five_keys(dev, TaskStatus.INVALID_PORT, "", _answering(dev))
    if not command or not command.strip():
        return five_keys(dev, TaskStatus.USSD_EXPECTED, "", _answering(dev), "AT Expected")
    return port, command, timeout


def send_at(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """One AT command to a port's module; what it printed (CRLF-framed) in `resp`."""
    read = _read(dev, dreq)
    if isinstance(read, Answer):
        return read
    port, command, _ = read
    resp = module_answer(dev, PortRef(port), command)
    if resp is None:
        return five_keys(dev, TaskStatus.TIMEOUT, "", _answering(dev))
    return five_keys(dev, TaskStatus.OK, resp, _answering(dev))


async def send_at_waiting(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """As send_at; a mute module (16) is waited on for `timeout` device seconds, then
    `6 Timeout` (skyline firmware)."""
    read = _read(dev, dreq)
    if isinstance(read, Answer):
        return read
    port, command, timeout = read
    resp = module_answer(dev, PortRef(port), command)
    if resp is None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def expire() -> None:
            if not done.done():  # the client may have gone meanwhile
                done.set_result(None)

        # The clock's own timer, not the device's: a reboot meanwhile does not void it.
        handle = dev.device.timers.call_later(timeout, expire)
        try:
            await done
        finally:
            handle.cancel()
        return five_keys(dev, TaskStatus.TIMEOUT, "", _answering(dev))
    return five_keys(dev, TaskStatus.OK, resp, _answering(dev))


ENDPOINTS: dict[str, Endpoint] = {"/goip_send_at.html": send_at}
# Skyline's, in place of ENDPOINTS: its answer may wait on the device clock.
WAITING_ENDPOINTS: dict[str, AsyncEndpoint] = {"/goip_send_at.html": send_at_waiting}
