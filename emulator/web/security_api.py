"""The security-session handshake: /crypt_sess.json and its alias /encrypt_sess.json (spec 3.2)."""

from __future__ import annotations

from aiohttp import web

from emulator.app import DEVICE_APP
from emulator.core.sessions import SessionError
from emulator.web.auth import credentials_of
from emulator.web.middleware import DREQ, json_response
from emulator.web.request import DeviceRequest, parse_query, read_body


async def handshake(request: web.Request) -> web.Response:
    """Open a session: username, cnonce, auth, crypt, expires -> code, session, expires."""
    dev = request.app[DEVICE_APP]
    query = parse_query(request)
    request[DREQ] = DeviceRequest(path=request.path, method=request.method, query=query)
    if request.method == "POST":
        # Parameters travel in the URL (3.2.1): the body is read, within bounds, and ignored.
        await read_body(request, dev.profile.device.max_body)
    missing = [name for name in ("username", "cnonce", "auth") if not query.get(name)]
    if missing:
        return json_response({"code": 1, "desc": f"missing {', '.join(missing)}"})
    device = dev.device
    try:
        session = device.sessions.open(
            query["username"],
            query["cnonce"],
            query["auth"],
            query.get("crypt"),
            query.get("expires"),
            device.now(),
            credentials_of(dev).get,
            request.path,
        )
    except SessionError as exc:
        dev.log.info("handshake_refused", code=int(exc.code), desc=exc.desc)
        return json_response({"code": int(exc.code), "desc": exc.desc})
    dev.log.info("session_opened", crypt=session.crypt.value, expires=session.expires)
    return json_response({"code": 0, "session": session.session, "expires": session.expires})


def register(app: web.Application) -> None:
    for path in ("/crypt_sess.json", "/encrypt_sess.json"):
        app.router.add_get(path, handshake)
        app.router.add_post(path, handshake)
