"""AT passthrough: `goip_send_at.html` (EJOIN-EXTRAS, "AT passthrough").

What the module answers is the core's (`emulator/core/at.respond`); this module reads
the request and frames the answer as the USSD endpoint does (five keys). The one
command that writes, `AT+EGMR=1,7,"<imei>"`, goes through the device's settings
(`imei(n)`), so dev-status, `op=get` and `/_emulator/state` show it at once.

Answers take no device time; a mute module (Skyline's `16`, which no `ejoin` device
reaches) would need a wait, so until that firmware is served it answers `6 Timeout`
at once rather than holding a synchronous endpoint.
"""

from __future__ import annotations

from emulator.actions import send_at as module_answer
from emulator.config.ports import PortRef
from emulator.core.at import module_answers
from emulator.core.codes import TaskStatus
from emulator.core.ussd import port_ranges
from emulator.ejoin.ussd_api import authorized, five_keys, port_of, seconds, text_param
from emulator.gateway import DeviceApp
from emulator.transport.endpoint import Answer, Endpoint
from emulator.transport.errors import ApiError
from emulator.transport.request import DeviceRequest

MAX_AT = 560  # a module's command line buffer (3GPP TS 27.007 asks for at least 80)
DEFAULT_TIMEOUT = 10


def _answering(dev: DeviceApp) -> str:
    return port_ranges(p.number for p in dev.device.ports if module_answers(int(p.slot.state)))


def send_at(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """One AT command to a port's module; what it printed (CRLF-framed) in `resp`."""
    refused = authorized(dev, dreq)
    if refused is not None:
        return five_keys(dev, TaskStatus(refused.code), "", _answering(dev), refused.reason)
    try:
        port = port_of(dev, dreq)
        command = text_param(dreq, "at", MAX_AT)
        seconds(dreq, "timeout", DEFAULT_TIMEOUT, 1, 600)
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
    resp = module_answer(dev, PortRef(port), command)
    if resp is None:
        return five_keys(dev, TaskStatus.TIMEOUT, "", _answering(dev))
    return five_keys(dev, TaskStatus.OK, resp, _answering(dev))


ENDPOINTS: dict[str, Endpoint] = {"/goip_send_at.html": send_at}
