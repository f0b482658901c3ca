"""The security-session handshake: /crypt_sess.json and its alias /encrypt_sess.json (spec 3.2)."""

from __future__ import annotations

from emulator.core.sessions import SessionError
from emulator.ejoin.auth import credentials_of
from emulator.gateway import DeviceApp
from emulator.transport.endpoint import Answer, Endpoint, json_answer
from emulator.transport.request import DeviceRequest


def handshake(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
    """Open a session: username, cnonce, auth, crypt, expires -> code, session, expires.

    Parameters travel in the URL (3.2.1): a POST's body is read, within bounds, and ignored.
    """
    query = dreq.query
    missing = [name for name in ("username", "cnonce", "auth") if not query.get(name)]
    if missing:
        return json_answer({"code": 1, "desc": f"missing {', '.join(missing)}"})
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
            dreq.path,
        )
    except SessionError as exc:
        dev.log.info("handshake_refused", code=int(exc.code))  # desc quotes the auth digest
        return json_answer({"code": int(exc.code), "desc": exc.desc})
    # Which handshake path the client's auth named: either is accepted at either URL.
    dreq.extra["session_variant"] = f"auth-path={session.handshake_path}"
    dev.log.info("session_opened", crypt=session.crypt.value, expires=session.expires)
    return json_answer({"code": 0, "session": session.session, "expires": session.expires})


ENDPOINTS: dict[str, Endpoint] = {"/crypt_sess.json": handshake, "/encrypt_sess.json": handshake}
