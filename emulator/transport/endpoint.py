"""A device API endpoint apart from aiohttp: a function of the device and the request.

Two ways in reach the same functions: aiohttp's handlers, through the middleware, and
the front (`emulator/web/front.py`), which serves plain requests without aiohttp's
request and response machinery. Whichever way a request comes, its answer is made by
the same code, so it is the same bytes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import structlog
from aiohttp import web

from emulator.record.jsonio import dumps
from emulator.transport.errors import ApiError
from emulator.transport.middleware import DREQ, raw_json_response
from emulator.transport.request import DeviceRequest, parse_query, read_body
from emulator.transport.served import DEVICE_APP, Served

log = structlog.get_logger("emulator.web")


COOKIE = "GOIPSESSID"  # the login cookie of quirks.cookie_auth


async def read_request(request: web.Request, max_body: int) -> DeviceRequest:
    """The request's parameters and, for a POST, its body of at most `max_body` bytes."""
    dreq = DeviceRequest(
        path=request.path,
        method=request.method,
        query=parse_query(request),
        raw_query=request.rel_url.raw_query_string,
    )
    request[DREQ] = dreq
    if request.app[DEVICE_APP].profile.quirks.cookie_auth:
        dreq.cookie = request.cookies.get(COOKIE)
    if request.method == "POST":
        timeout = request.app[DEVICE_APP].profile.device.read_timeout
        dreq.raw = await read_body(request, max_body, timeout)
    return dreq


class Answer(NamedTuple):
    """A device API answer: its JSON body and HTTP status."""

    body: bytes
    status: int = 200


Endpoint = Callable[[Served, DeviceRequest], Answer]
# An endpoint whose answer may wait on the device clock (goip_send_ussd with a latency).
# It is served by aiohttp alone: the front serves only what `ENDPOINTS` lists, so it
# hands these requests over, and never waits inside its synchronous protocol.
AsyncEndpoint = Callable[[Served, DeviceRequest], Awaitable[Answer]]
ENDPOINTS: web.AppKey[dict[str, Endpoint]] = web.AppKey("device_endpoints", dict)
_SERVER_ERROR = ApiError.server_error()


def json_answer(doc: Any, status: int = 200) -> Answer:
    return Answer(dumps(doc), status)


def error_answer(exc: ApiError) -> Answer:
    return Answer(dumps(exc.envelope()), exc.http_status)


def call(dev: Served, endpoint: Endpoint, dreq: DeviceRequest) -> Answer:
    """The endpoint's answer; a refusal in its envelope, a bug as the spec's code 7 and a 500.

    A bug is logged with its traceback and answered 500 rather than dressed up as
    success, so the property tests see it.
    """
    try:
        return endpoint(dev, dreq)
    except ApiError as exc:
        return error_answer(exc)
    except Exception:
        log.exception("request_failed", device=dev.identity.name, path=dreq.path)
        return error_answer(_SERVER_ERROR)


async def call_async(dev: Served, endpoint: AsyncEndpoint, dreq: DeviceRequest) -> Answer:
    """As `call`, for an endpoint whose answer is awaited."""
    try:
        return await endpoint(dev, dreq)
    except ApiError as exc:
        return error_answer(exc)
    except Exception:
        log.exception("request_failed", device=dev.identity.name, path=dreq.path)
        return error_answer(_SERVER_ERROR)


def _respond(dreq: DeviceRequest, answer: Answer) -> web.Response:
    response = raw_json_response(*answer)
    if dreq.set_cookie is not None:
        response.set_cookie(COOKIE, dreq.set_cookie, path="/", httponly=True)
    return response


def _aiohttp_handler(endpoint: Endpoint) -> Callable[[web.Request], Any]:
    async def handle(request: web.Request) -> web.Response:
        dev = request.app[DEVICE_APP]
        dreq = await read_request(request, dev.profile.device.max_body)
        return _respond(dreq, call(dev, endpoint, dreq))

    handle.__doc__ = endpoint.__doc__
    return handle


def register_async(app: web.Application, endpoints: dict[str, AsyncEndpoint]) -> None:
    """Route GET and POST of every path to its awaited endpoint, with aiohttp only.

    The middleware gives them the same admission, faults and journal as the others.
    """
    for path, endpoint in endpoints.items():

        async def handle(request: web.Request, endpoint: AsyncEndpoint = endpoint) -> web.Response:
            dev = request.app[DEVICE_APP]
            dreq = await read_request(request, dev.profile.device.max_body)
            return _respond(dreq, await call_async(dev, endpoint, dreq))

        handle.__doc__ = endpoint.__doc__
        app.router.add_get(path, handle)
        app.router.add_post(path, handle)


def register(app: web.Application, endpoints: dict[str, Endpoint]) -> None:
    """Route GET and POST of every path to its endpoint; the front finds them in the app."""
    for path, endpoint in endpoints.items():
        handle = _aiohttp_handler(endpoint)
        app.router.add_get(path, handle)
        app.router.add_post(path, handle)
    app[ENDPOINTS] = endpoints
