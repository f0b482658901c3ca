"""Who may use the device API: username/password (or a security session, spec 3)."""

from __future__ import annotations

from aiohttp import web

from emulator.app import DEVICE_APP
from emulator.web.middleware import DREQ
from emulator.web.request import DeviceRequest, check_credentials, read_request
from emulator.wire.errors import invalid_user


async def open_request(request: web.Request, *, authenticate: bool = True) -> DeviceRequest:
    """Read the request and check its credentials; refused ones raise `1 Invalid User`.

    Nothing a refused request carries is acted upon (INTERPRETATION.md, Authentication).
    """
    dreq = await read_request(request)
    request[DREQ] = dreq
    if authenticate:
        spec = request.app[DEVICE_APP].profile.device
        if not check_credentials(dreq, spec.username, spec.password):
            raise invalid_user()
    return dreq
