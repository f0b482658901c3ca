"""Who may use the device API: username/password, or a security session (spec 3).

A request that carries `session` authenticates with `session`/`seq`/`auth`
(3.2.3) instead of a password; its POST body arrives encrypted with the key
MD5(username + password + auth + session + seq) as base64 text, and is
decrypted here before anything reads it. Answers go back in clear (3.1 step 4).
"""

from __future__ import annotations

from aiohttp import web

from emulator.app import DeviceApp
from emulator.core.crypto import Crypt, DecryptError, KeyForm, cipher_key, decode_body
from emulator.core.sessions import SessionError
from emulator.web.middleware import DREQ
from emulator.web.request import (
    DeviceRequest,
    check_credentials,
    parse_json,
    parse_query,
    read_body,
)
from emulator.wire.errors import ApiError, invalid_user, unauthorized


def credentials_of(dev: DeviceApp) -> dict[str, str]:
    spec = dev.profile.device
    return {spec.username: spec.password}


async def read_request(request: web.Request, max_body: int) -> DeviceRequest:
    """The request's parameters and, for a POST, its body of at most `max_body` bytes."""
    dreq = DeviceRequest(path=request.path, method=request.method, query=parse_query(request))
    request[DREQ] = dreq
    if request.method == "POST":
        dreq.raw = await read_body(request, max_body)
    return dreq


def authorize(dev: DeviceApp, dreq: DeviceRequest) -> None:
    """Open the body and check who sent it; refused ones raise code 1 or 14.

    Nothing a refused request carries is acted upon (INTERPRETATION.md, Authentication).
    """
    in_session = "session" in dreq.query
    body = _open_session(dev, dreq) if in_session else dreq.raw
    if body.strip():
        dreq.body = parse_json(body)
        dreq.clear = body
    if not in_session:
        spec = dev.profile.device
        if not check_credentials(dreq, spec.username, spec.password):
            raise invalid_user()


def _open_session(dev: DeviceApp, dreq: DeviceRequest) -> bytes:
    """Authorise by session/seq/auth and return the decrypted body."""
    device = dev.device
    known = credentials_of(dev)
    query = dreq.query
    missing = [name for name in ("seq", "auth") if not query.get(name)]
    if missing:
        raise unauthorized(f"a request in a session needs {' and '.join(missing)}")
    try:
        session = device.sessions.check(
            query["session"],
            query["seq"],
            query["auth"],
            dreq.path,
            device.now(),
            known.get,
            query.get("expires"),
            commit=False,
        )
    except SessionError as exc:
        dev.log.info("session_refused", path=dreq.path, code=int(exc.code))
        raise unauthorized(exc.desc) from None
    body = dreq.raw
    if body.strip() and session.crypt != Crypt.NONE:
        key = cipher_key(
            session.username,
            known[session.username],
            query["auth"],
            session.session,
            query["seq"],
            KeyForm(dev.profile.quirks.crypt_key),
        )
        try:
            body = decode_body(session.crypt, key, body)
        except DecryptError as exc:
            raise ApiError.bad_request(
                f"body does not decrypt with the session's {session.crypt.value} key: {exc}"
            ) from None
        try:
            parse_json(body)
        except ApiError as exc:
            raise ApiError.bad_request(f"decrypted body: {exc.reason}") from None
    device.sessions.commit(session)
    dreq.user = session.username
    return body
