"""The front: serves plain device API requests itself and hands anything else to aiohttp.

Under load, aiohttp's request and response machinery costs about 120 µs a request on
the CI machine, several times the emulator's own work for a status query (bench P1).
The front reads the head of the common request, an HTTP/1.1 GET or POST with a
Content-Length body, calls the same endpoint functions as aiohttp's handlers
(`emulator/web/endpoint.py`), journals it the same way and writes the answer with the
headers aiohttp would write. The first request it does not take goes to aiohttp with
the connection, for good, along with every byte not yet served: another path (the
control API, the dashboard), another method or HTTP version, a chunked, compressed or
expected body, an upgrade, a head over 8 KiB or with anything odd in it, a fault armed,
a rebooting device. aiohttp then answers as it always did, including every error.
tests/e2e/test_front.py sends the same requests both ways and compares the bytes.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE
from yarl import URL

from emulator.app import DEVICE_APP, DeviceApp
from emulator.web.endpoint import ENDPOINTS, Endpoint, call, error_answer
from emulator.web.middleware import CONTENT_TYPE, record
from emulator.web.request import DeviceRequest, lower_query
from emulator.wire.errors import ApiError

MAX_HEAD = 8190  # aiohttp's line limit; a longer head is aiohttp's to judge
MAX_HEADERS = 100  # aiohttp allows 128
KEEPALIVE = 3630.0  # aiohttp's keepalive_timeout: an idle connection lives as long either way
CACHED = 512  # request heads and queries remembered per device, parsed once
_ODD = re.compile(rb"[^\t\r\n\x20-\x7e]")  # control and non-ASCII bytes: llhttp's to judge
_SKIP = frozenset({b"transfer-encoding", b"content-encoding", b"expect", b"upgrade"})
_REASONS = {s.value: s.phrase.encode() for s in HTTPStatus}
_Head = tuple[str, str, str, int, bool, Endpoint]  # method, path, query, length, close, endpoint


class _Date:
    """The Date header, rendered once a second as aiohttp does."""

    second = -1
    text = b""

    @classmethod
    def now(cls) -> bytes:
        second = int(time.time())  # the web edge: the HTTP Date is the host's, not the device's
        if second != cls.second:
            cls.second, cls.text = second, formatdate(second, usegmt=True).encode()
        return cls.text


_HEAD = (
    "HTTP/1.1 %d %s\r\nContent-Type: " + CONTENT_TYPE + "\r\nContent-Length: %d\r\n"
    "Date: %s\r\nServer: " + SERVER_SOFTWARE + "\r\n"
).encode()


def _read_head(head: bytes, endpoints: dict[str, Endpoint], max_body: int) -> _Head | None:
    """The request line and the headers that matter, or None when aiohttp should have it."""
    lines = head.split(b"\r\n")
    if (
        len(lines) > MAX_HEADERS
        or _ODD.search(head) is not None
        or head.count(b"\r") != len(lines) - 1
        or head.count(b"\n") != len(lines) - 1
    ):
        return None
    parts = lines[0].split(b" ")
    if len(parts) != 3 or parts[2] != b"HTTP/1.1" or parts[0] not in (b"GET", b"POST"):
        return None
    target = parts[1].decode()
    path, _, query = target.partition("?")
    endpoint = endpoints.get(path)
    if endpoint is None or "#" in target:
        return None
    length = 0
    close = False
    hosts = lengths = 0
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name.replace(b"-", b"").isalnum():
            return None
        name = name.lower()
        if name == b"host":
            hosts += 1
        elif name == b"content-length":
            value = value.strip()
            lengths += 1
            if not value.isdigit():
                return None
            length = int(value)
        elif name == b"connection":
            tokens = [t.strip() for t in value.lower().split(b",")]
            if b"upgrade" in tokens:
                return None
            close = close or b"close" in tokens
        elif name in _SKIP:
            return None
    if hosts != 1 or lengths > 1 or length > max_body:
        return None
    return parts[0].decode(), path, query, length, close, endpoint


class Front(asyncio.Protocol):
    """One connection, until it is closed or handed to aiohttp."""

    __slots__ = (
        "_aiohttp",
        "_buf",
        "_conns",
        "_dev",
        "_endpoints",
        "_heads",
        "_last",
        "_loop",
        "_paused",
        "_queries",
        "_timer",
        "transport",
    )

    def __init__(
        self,
        site: FrontSite,
        dev: DeviceApp,
        endpoints: dict[str, Endpoint],
        aiohttp: Callable[[], asyncio.Protocol],
    ) -> None:
        self._dev = dev
        self._endpoints = endpoints
        self._aiohttp = aiohttp
        self._conns = site.connections
        # A platform sends the same heads and queries over and over (the same poll, the
        # same POST headers): each is parsed once. The result depends on nothing else.
        self._heads = site.heads
        self._queries = site.queries
        self._buf = b""
        self._paused = False
        self._loop = asyncio.get_running_loop()
        self._last = self._loop.time()
        self._timer: asyncio.TimerHandle | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._conns.add(self)
        self._timer = self._loop.call_at(self._last + KEEPALIVE, self._idle)

    def connection_lost(self, exc: Exception | None) -> None:
        self._forget()

    def data_received(self, data: bytes) -> None:
        self._last = self._loop.time()
        self._buf = self._buf + data if self._buf else data
        if not self._paused:
            self._serve_buffered()

    def eof_received(self) -> bool | None:
        return None  # the client is done: close, as aiohttp does

    def pause_writing(self) -> None:
        # The client is not reading its answers: stop reading its requests until it does.
        self._paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self._paused = False
        if self.transport is not None:
            self.transport.resume_reading()
            self._serve_buffered()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _forget(self) -> None:
        self._conns.discard(self)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _idle(self) -> None:
        due = self._last + KEEPALIVE
        if self._loop.time() >= due:
            self.close()
        else:
            self._timer = self._loop.call_at(due, self._idle)

    def _serve_buffered(self) -> None:
        buf = self._buf
        while buf and not self._paused and self.transport is not None:
            end = buf.find(b"\r\n\r\n", 0, MAX_HEAD + 4)
            if end < 0:
                if len(buf) > MAX_HEAD:
                    self._hand_over(buf)
                    return
                break
            head = buf[:end]
            request = self._heads.get(head)
            if request is None:
                request = _read_head(head, self._endpoints, self._dev.profile.device.max_body)
                if request is None:
                    self._hand_over(buf)
                    return
                if len(self._heads) >= CACHED:
                    self._heads.clear()
                self._heads[head] = request
            dev = self._dev
            if dev.faults.armed or dev.device.unavailable_until is not None:
                self._hand_over(buf)
                return
            method, path, query, length, close, endpoint = request
            start = end + 4
            if len(buf) < start + length:
                break  # the body is still on its way
            body = buf[start : start + length] if method == "POST" else b""
            buf = buf[start + length :]
            self._serve(method, path, query, body, endpoint, close)
            if close:
                self.close()
                buf = b""
        self._buf = buf

    def _serve(
        self, method: str, path: str, query: str, body: bytes, endpoint: Endpoint, close: bool
    ) -> None:
        dev = self._dev
        dreq: DeviceRequest | None
        try:
            params = self._queries.get(query)
            if params is None:
                pairs = URL.build(path=path, query_string=query, encoded=True).query.items()
                params = lower_query(pairs)
                if len(self._queries) >= CACHED:
                    self._queries.clear()
                self._queries[query] = params
            dreq = DeviceRequest(path=path, method=method, query=params.copy(), raw=body)
        except ApiError as exc:
            dreq = None
            answer, status = error_answer(exc)
        else:
            answer, status = call(dev, endpoint, dreq)
        record(dev, "request", method, path, query, status, dreq, answer)
        head = _HEAD % (status, _REASONS.get(status, b""), len(answer), _Date.now())
        assert self.transport is not None
        self.transport.write(head + (b"Connection: close\r\n\r\n" if close else b"\r\n") + answer)

    def _hand_over(self, data: bytes) -> None:
        """aiohttp takes the connection from here, with the bytes not yet served."""
        transport = self.transport
        assert transport is not None
        self._forget()
        self.transport = None
        self._buf = b""
        protocol = self._aiohttp()
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        protocol.data_received(data)


class FrontSite(web.BaseSite):
    """A TCP site whose connections meet the front first (`front=False`: aiohttp alone)."""

    def __init__(
        self,
        runner: web.AppRunner,
        host: str | None = None,
        port: int = 0,
        *,
        sock: socket.socket | None = None,
        front: bool = True,
    ) -> None:
        super().__init__(runner)
        self._app_runner = runner
        self._host = host
        self._port = port
        self._sock = sock
        self._front = front
        self.connections: set[Front] = set()
        self.heads: dict[bytes, _Head] = {}
        self.queries: dict[str, dict[str, str]] = {}

    @property
    def name(self) -> str:
        return str(URL.build(scheme="http", host=self._host or "0.0.0.0", port=self._port))

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        factory = self._factory()
        if self._sock is not None:
            self._server = await loop.create_server(factory, sock=self._sock, backlog=self._backlog)
        else:
            self._server = await loop.create_server(
                factory, self._host, self._port, reuse_address=True, backlog=self._backlog
            )

    def _factory(self) -> Callable[[], asyncio.Protocol]:
        aiohttp = self._app_runner.server
        assert aiohttp is not None, "the runner is set up before its site starts"
        app = self._app_runner.app
        dev, endpoints = app[DEVICE_APP], app[ENDPOINTS]
        # The front writes no cookies: a cookie-login device is served by aiohttp alone.
        if not self._front or dev.profile.quirks.cookie_auth:
            return aiohttp
        return lambda: Front(self, dev, endpoints, aiohttp)

    async def stop(self) -> None:
        for conn in list(self.connections):
            conn.close()
        await super().stop()
