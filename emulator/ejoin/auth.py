"""Who may use the device API: username/password, or a security session (spec 3).

A request that carries `session` authenticates with `session`/`seq`/`auth`
(3.2.3) instead of a password; its POST body arrives encrypted with the key
MD5(username + password + auth + session + seq) as base64 text (or in one of
the variants clients in the field use), and is decrypted here before anything
reads it. Answers go back in clear (3.1 step 4).
"""

from __future__ import annotations

import secrets

from emulator.core.crypto import DecryptError, KeyForm
from emulator.core.sessions import SessionError
from emulator.gateway import DeviceApp
from emulator.transport.endpoint import Answer, Endpoint
from emulator.transport.errors import ApiError, invalid_user, unauthorized
from emulator.transport.request import (
    DeviceRequest,
    check_credentials,
    parse_json,
    parse_json_or_pairs,
)


def credentials_of(dev: DeviceApp) -> dict[str, str]:
    spec = dev.profile.device
    return {spec.username: spec.password}


def authenticated(endpoint: Endpoint, *, pairs_body: bool = False) -> Endpoint:
    """The endpoint, behind the device's authentication: how an endpoint is registered
    when it takes credentials or a session (every goip_*.html but the handshake and
    goip_post_sms, whose refusal is answered per task). `pairs_body`: a body that is not
    JSON may be `name=value&...` pairs (Skyline's op=set)."""

    def guarded(dev: DeviceApp, dreq: DeviceRequest) -> Answer:
        authorize(dev, dreq, pairs_body)
        return endpoint(dev, dreq)

    guarded.__doc__ = endpoint.__doc__
    guarded.__name__ = endpoint.__name__
    return guarded


def authorize(dev: DeviceApp, dreq: DeviceRequest, pairs_body: bool = False) -> None:
    """Open the body and check who sent it; refused ones raise code 1 or 14.

    Nothing a refused request carries is acted upon (INTERPRETATION.md, Authentication).
    """
    in_session = "session" in dreq.query
    body = _open_session(dev, dreq) if in_session else dreq.raw
    if body.strip():
        dreq.body = parse_json_or_pairs(body) if pairs_body else parse_json(body)
        dreq.clear = body
    if not in_session:
        spec = dev.profile.device
        if check_credentials(dreq, spec.username, spec.password):
            if dev.profile.quirks.cookie_auth:
                dreq.set_cookie = _issue_cookie(dev)
        elif dreq.cookie is not None and _cookie_valid(dev, dreq.cookie):
            dreq.user = spec.username
        else:
            raise invalid_user()


MAX_COOKIES = 64


def _issue_cookie(dev: DeviceApp) -> str:
    """A login cookie for this boot of the device (quirks.cookie_auth); the oldest of
    MAX_COOKIES is forgotten, as a web server's session table would."""
    token = secrets.token_hex(16)
    cookies = dev.login_cookies
    cookies[token] = dev.device.boots
    while len(cookies) > MAX_COOKIES:
        del cookies[next(iter(cookies))]
    return token


def _cookie_valid(dev: DeviceApp, token: str) -> bool:
    # A reboot forgets the logins: they lived in the device's RAM.
    return dev.login_cookies.get(token) == dev.device.boots


def _open_session(dev: DeviceApp, dreq: DeviceRequest) -> bytes:
    """Authorise by session/seq/auth and return the decrypted body.

    The client's variant (seq order, key, encoding, padding) goes in the journal entry.
    """
    device = dev.device
    query = dreq.query
    missing = [name for name in ("seq", "auth") if not query.get(name)]
    if missing:
        raise unauthorized(f"a request in a session needs {' and '.join(missing)}")
    try:
        opened = device.sessions.open_request(
            query["session"],
            query["seq"],
            query["auth"],
            dreq.path,
            device.now(),
            credentials_of(dev).get,
            dreq.raw,
            query.get("expires"),
            KeyForm(dev.profile.quirks.crypt_key),
        )
    except SessionError as exc:
        dev.log.info("session_refused", path=dreq.path, code=int(exc.code))
        raise unauthorized(exc.desc) from None
    except DecryptError as exc:
        raise ApiError.bad_request(f"body does not decrypt: {exc}") from None
    dreq.extra["session_variant"] = opened.label
    dreq.user = opened.session.username
    return opened.body
