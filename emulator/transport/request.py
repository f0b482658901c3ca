"""Reading a device API request: parameters, JSON body and credentials.

Parameter names are matched case-insensitively (`Username=` appears in the
spec's examples). For POST, credentials and other parameters may also come as
top-level attributes of the JSON body (spec 6.3.1.2 note). Clients send numbers
as strings and strings as numbers; `int_param` and friends accept both and name
the field when neither fits (INTERPRETATION.md, "Lenient input").
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, unquote_plus

from aiohttp import web

from emulator.record import jsonio
from emulator.transport.errors import ApiError

MAX_BODY = 1024 * 1024  # the default of device.max_body; a device's web server has a limit too
SESSION_PARAMS = frozenset({"session", "seq", "auth", "expires"})  # spec 3.2.3
_DIGITS = re.compile(r"\s*-?[0-9]+\s*")  # ASCII digits only: "٣" is no task id


@dataclass(slots=True)
class DeviceRequest:
    """A request's parameters (names lowercased) and its JSON body, if any."""

    path: str
    method: str
    query: dict[str, str]
    body: Any = None
    raw: bytes = b""
    clear: bytes = b""  # the JSON body as read: a session's decrypted; empty when none
    user: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    cookie: str | None = None  # the login cookie it carried (quirks.cookie_auth)
    set_cookie: str | None = None  # a login cookie to answer with (quirks.cookie_auth)
    # The query as sent, for the parameters that keep a literal `+` (a USSD string, an AT
    # command): the parsed `query` reads `+` as a space, as forms do.
    raw_query: str = ""

    def param(self, name: str) -> Any:
        """A query parameter, or for a JSON object body a top-level attribute of that name."""
        if name in self.query:
            return self.query[name]
        if isinstance(self.body, dict):
            for key, value in self.body.items():
                if isinstance(key, str) and key.lower() == name:
                    return value
        return None

    def has(self, name: str) -> bool:
        return self.param(name) is not None


def raw_param(dreq: DeviceRequest, name: str) -> str | None:
    """A query parameter percent-decoded once with `+` kept (`*125*10*+3809#`), or None.

    The last occurrence wins when the parsed query accepted it (same values only).
    """
    found: str | None = None
    for pair in dreq.raw_query.split("&"):
        key, _, value = pair.partition("=")
        if unquote_plus(key).lower() == name:
            found = unquote(value)
    return found


def parse_query(request: web.Request) -> dict[str, str]:
    return lower_query(request.query.items())


_LISTED = re.compile(r"(.+)\[([0-9]*)\]")  # PHP's http_build_query: tids[]=7, tids[0]=7


def lower_query(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Parameters by lowercased name; one given twice must have one value.

    A list in PHP's form (`tids[]=7&tids[]=8`, `tids[0]=7&tids[1]=8`) becomes the
    comma-separated value the device reads (`tids=7,8`), in index order.
    """
    out: dict[str, str] = {}
    lists: dict[str, list[tuple[int, str]]] = {}
    for key, value in pairs:
        name = key.lower()
        listed = _LISTED.fullmatch(name)
        if listed is not None:
            items = lists.setdefault(listed[1], [])
            index = int(listed[2]) if listed[2] and len(listed[2]) <= 9 else len(items)
            items.append((index, value))
            continue
        if name in out and out[name] != value:
            raise ApiError.bad_request(
                f"parameter {name!r} is given more than once with different values"
            )
        out[name] = value
    for name, items in lists.items():
        if name in out:
            raise ApiError.bad_request(f"parameter {name!r} is given both as a list and alone")
        items.sort(key=lambda item: item[0])
        out[name] = ",".join(value for _, value in items)
    return out


async def read_body(request: web.Request, limit: int, timeout: float = 30.0) -> bytes:
    """The body, at most `limit` bytes (the profile's `device.max_body`; a 413 beyond),
    whole within `timeout` seconds (`device.read_timeout`; a 408 beyond), however it is
    framed: a chunked body trickled a byte at a time holds nothing for long."""
    coding = request.headers.get("Content-Encoding", "").strip().lower()
    if coding not in ("", "identity"):
        # The device's web server reads bodies as sent; it decompresses nothing.
        raise ApiError(
            415, f"Content-Encoding {coding!r} is not supported: send the body uncompressed", 415
        )
    length = request.content_length
    if length is not None and length > limit:
        raise ApiError.http(413, f"body of {length} bytes is over {limit}")
    content = request.content
    if length is not None and content.is_eof():
        # A small POST arrives with its headers: take what is buffered, without the
        # chunk loop of request.read() (a tenth of a one-task goip_post_sms, bench P1).
        return content.read_nowait()
    try:
        async with asyncio.timeout(timeout):
            return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError.http(413, f"body is over {limit} bytes") from None
    except TimeoutError:
        raise ApiError.http(408, f"body did not arrive whole within {timeout:g} s") from None


def parse_json(raw: bytes) -> Any:
    """The body as JSON values: the one place request bytes become them (wire/jsonio.py)."""
    try:
        return jsonio.loads(raw)
    except jsonio.JsonRefused as exc:
        raise ApiError.bad_request(f"body {exc}") from None


_PAIR_NAME = re.compile(r"[A-Za-z0-9_.()\[\]-]{1,64}")


def parse_json_or_pairs(raw: bytes) -> Any:
    """JSON, or else `name=value&name=value` pairs as a dict (Skyline posts op=set so,
    as text/plain or a form): values percent-decoded once with `+` kept, as the
    firmware reads text/plain. A body that is neither is refused as JSON would be."""
    try:
        return parse_json(raw)
    except ApiError:
        pairs = _pairs(raw)
        if pairs is None:
            raise
        return pairs


def _pairs(raw: bytes) -> dict[str, str] | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    out: dict[str, str] = {}
    for piece in re.split(r"[&\r\n]+", text.strip()):
        name, equals, value = piece.partition("=")
        name = unquote(name).strip()
        if not equals or not _PAIR_NAME.fullmatch(name):
            return None
        value = unquote(value)
        if out.get(name, value) != value:
            raise ApiError.bad_request(
                f"parameter {name!r} is given more than once with different values"
            )
        out[name] = value
    return out or None


def check_credentials(dreq: DeviceRequest, username: str, password: str) -> bool:
    """username/password from the query or the body, compared in constant time."""
    user, pwd = dreq.param("username"), dreq.param("password")
    if not isinstance(user, str) or not isinstance(pwd, str):
        return False
    ok_user = hmac.compare_digest(user.encode(), username.encode())
    ok_pwd = hmac.compare_digest(pwd.encode(), password.encode())
    if ok_user and ok_pwd:
        dreq.user = user
        return True
    return False


# -- lenient scalar parameters ---------------------------------------------------------


def as_int(value: Any, name: str, low: int | None = None, high: int | None = None) -> int:
    """A JSON number or a string of digits, within [low, high]; else a 400 naming `name`."""
    if isinstance(value, bool):
        raise ApiError.bad_request(f"{name}: {value!r} is not a whole number")
    if isinstance(value, str) and _DIGITS.fullmatch(value) and len(value.strip()) <= 18:
        value = int(value)
    elif isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        value = int(value)
    if not isinstance(value, int):
        raise ApiError.bad_request(f"{name}: {show(value)} is not a whole number")
    if low is not None and value < low:
        raise ApiError.bad_request(f"{name}: {value} is below {low}")
    if high is not None and value > high:
        raise ApiError.bad_request(f"{name}: {value} is above {high}")
    return value


def as_flag(value: Any, name: str) -> bool:
    return as_int(value, name, 0, 1) == 1


def as_str(value: Any, name: str, max_len: int = 4096) -> str:
    """A string; numbers are accepted and written in decimal (lenient firmware parser)."""
    if isinstance(value, bool) or value is None:
        raise ApiError.bad_request(f"{name}: {show(value)} is not text")
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        raise ApiError.bad_request(f"{name}: {show(value)} is not text")
    if len(value) > max_len:
        raise ApiError.bad_request(f"{name}: {len(value)} characters is over {max_len}")
    return value


def show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
