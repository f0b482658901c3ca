"""What every request goes through: reachability, error envelopes and the journal.

`ApiError` becomes the endpoint's envelope with its HTTP status; a route that
does not exist is a JSON 404/405. An unexpected exception is logged with its
traceback and answered `{"code": 7, "reason": "Server Error"}` with HTTP 500:
a bug stays visible to the property tests instead of being dressed up as success.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web
from aiohttp.http import HttpVersion10, HttpVersion11

from emulator.config.dbl import WEB_PREFIX
from emulator.core.device import DeviceUnavailable
from emulator.record.jsonio import dumps
from emulator.transport.admission import admit
from emulator.transport.errors import ApiError
from emulator.transport.faults import Hit
from emulator.transport.request import DeviceRequest
from emulator.transport.served import DEVICE_APP

CONTENT_TYPE = "application/json;charset=utf-8"
CONTROL_PREFIX = "/_emulator/"
UNKNOWN = "unknown"  # the endpoint label of every path that is no route
DREQ: web.RequestKey[DeviceRequest] = web.RequestKey("goip_dreq", DeviceRequest)
_QUIET = frozenset(
    {
        "/_emulator/journal",
        "/_emulator/journal/stream",
        "/_emulator/health",
        "/_emulator/metrics",
        "/_emulator/state",
        "/_emulator/ui",
        "/_emulator/ui/ui.js",
        "/_emulator/ui/ui.css",
    }
)
_VERSIONS = (HttpVersion11, HttpVersion10)
log = structlog.get_logger("emulator.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class JsonResponse(web.Response):
    """An answer whose body is a JSON document: the journal keeps its bytes as the answer."""


def json_response(doc: Any, status: int = 200) -> web.Response:
    """A JSON answer with the device's exact Content-Type (INTERPRETATION.md, Envelopes)."""
    return JsonResponse(body=dumps(doc), status=status, headers={"Content-Type": CONTENT_TYPE})


def raw_json_response(body: bytes, status: int = 200) -> web.Response:
    """An answer already encoded."""
    return JsonResponse(body=body, status=status, headers={"Content-Type": CONTENT_TYPE})


def endpoint_name(path: str) -> str:
    """'/goip_post_sms.html' -> 'goip_post_sms'; control paths keep their shape, and a
    DBL GoIP's page its extension ('/default/en_US/status.xml' -> 'status.xml')."""
    if path.startswith(CONTROL_PREFIX):
        return path[len(CONTROL_PREFIX) :] or "/"
    if path.startswith(WEB_PREFIX):
        return path[len(WEB_PREFIX) :] or "/"
    return path.lstrip("/").removesuffix(".html").removesuffix(".json") or "/"


async def _drop(request: web.Request) -> web.StreamResponse:
    """Behave like a host that is not answering: close the connection, send nothing."""
    if request.transport is not None:
        request.transport.close()
    response = web.StreamResponse()
    response.force_close()
    return response


async def _inject(dev: Any, request: web.Request, hit: Hit) -> web.StreamResponse | None:
    """Apply an injected fault; None means: go on and answer normally (after a delay)."""
    dev.journal.record(
        "request",
        endpoint_name(request.path),
        method=request.method,
        path=request.path,
        outcome="fault",
        fault=hit.fault_id,
        action=hit.action,
    )
    dev.log.info("fault_injected", path=request.path, fault=hit.fault_id, action=hit.action)
    if hit.delay > 0:
        await asyncio.sleep(hit.delay)  # a real delay: the client's socket waits for real
    if hit.action == "error":
        return _error(ApiError.http(hit.status, f"injected fault #{hit.fault_id}"))
    if hit.action == "drop":
        return await _drop(request)
    return None


def _error(exc: ApiError) -> web.Response:
    """Every error the aiohttp edge answers, in the one envelope ApiError makes."""
    return json_response(exc.envelope(), exc.http_status)


@web.middleware
async def journal_and_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    dev = request.app[DEVICE_APP]
    control = request.path.startswith(CONTROL_PREFIX)
    try:
        if request.version not in _VERSIONS:  # the front refuses these before aiohttp sees them
            response = _error(
                ApiError.bad_request("the request line must end in HTTP/1.1 or HTTP/1.0")
            )
            response.force_close()
            return response
        if request.method == "HEAD" and not control and request.match_info.http_exception is None:
            # aiohttp routes HEAD to GET handlers, and a device API GET may change state
            # (op=reboot): HEAD runs nothing and is refused as the method it is.
            raise web.HTTPMethodNotAllowed("HEAD", ["GET", "POST"])
        if not control:
            hit = admit(dev, endpoint_name(request.path))
            if hit is not None:
                injected = await _inject(dev, request, hit)
                if injected is not None:
                    return injected
        response = await handler(request)
    except DeviceUnavailable as exc:
        dev.journal.record(
            "request",
            endpoint_name(request.path),
            method=request.method,
            path=request.path,
            status=0,
            outcome="dropped",
            reason=str(exc),
        )
        return await _drop(request)
    except ApiError as exc:
        response = _error(exc)
    except web.HTTPException as exc:
        if exc.status >= 400:
            reason = exc.reason if exc.status != 404 else f"no such endpoint {request.path}"
            response = _error(ApiError.http(exc.status, reason))
            if exc.status == 405:
                response.headers.update({k: v for k, v in exc.headers.items() if k == "Allow"})
        else:
            raise
    except Exception:
        log.exception("request_failed", device=dev.identity.name, path=request.path)
        response = _error(ApiError.server_error())

    if request.path not in _QUIET:
        dreq = request.get(DREQ)
        answer = response.body if type(response) is JsonResponse else None
        kind = "control" if control else "request"
        method, path, query = request.method, request.path, request.query_string
        # Every path that is no route counts as one in the metrics: scans stay one series.
        no_route = request.match_info.http_exception
        counted_as = UNKNOWN if no_route is not None and no_route.status == 404 else None
        record(dev, kind, method, path, query, response.status, dreq, answer, counted_as)
    return response


def record(
    dev: Any,
    kind: str,
    method: str,
    path: str,
    query: str,
    status: int,
    dreq: DeviceRequest | None,
    answer: Any,
    counted_as: str | None = None,
) -> None:
    """Journal a request served: the raw query, the body as read, the answer's bytes."""
    data: dict[str, Any] = {"method": method, "path": path, "query": query or {}, "status": status}
    if dreq is not None and dreq.body is not None:
        data["body"] = dreq.clear or dreq.raw
    if answer is not None:
        data["answer"] = answer
    if dreq is not None and dreq.extra:
        data.update(dreq.extra)
    dev.journal.add(kind, endpoint_name(path), data, counted_as)
    dev.log.debug("served", kind=kind, path=path, status=status)
