"""The front: serves plain device API requests itself and hands anything else to aiohttp.

Under load, aiohttp's request and response machinery costs about 120 µs a request on
the CI machine, several times the emulator's own work for a status query (bench P1).
The front reads the head of the common request, an HTTP/1.1 GET or POST with a
Content-Length body, calls the same endpoint functions as aiohttp's handlers
(`emulator/web/endpoint.py`), journals it the same way and writes the answer with the
headers aiohttp would write. The first request it does not take goes to aiohttp with
the connection, for good, along with every byte not yet served: another path (the
control API, the dashboard), another method, HTTP/1.0, a chunked, compressed or
expected body, an upgrade, a head over 8 KiB or with anything odd in it, a fault armed,
a rebooting device. aiohttp then answers as it always did, including every error.
tests/e2e/test_front.py sends the same requests both ways and compares the bytes.

The front also bounds what a connection may cost (docs/decisions.md, "Transport under
abuse"): a request line without HTTP/1.0 or HTTP/1.1 is refused with a 400 at once; a
head that cannot be one the front takes (bare LF line ends, a TLS ClientHello, control
bytes) goes to aiohttp as soon as that shows, not when 8 KiB have come; a request must
arrive whole within `device.read_timeout` (else 408) and an idle connection closes after
`device.keepalive_timeout`; it reads at most READ_SIZE bytes at a time, and a body that is
still arriving holds a share of `device.max_body_in_flight` or waits, unread, for one.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections import deque
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus

import structlog
from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE
from yarl import URL

from emulator.record.jsonio import dumps
from emulator.transport.admission import gated
from emulator.transport.endpoint import ENDPOINTS, Endpoint, call, error_answer
from emulator.transport.errors import ApiError
from emulator.transport.middleware import CONTENT_TYPE, record
from emulator.transport.request import DeviceRequest, lower_query
from emulator.transport.served import DEVICE_APP, Served

MAX_HEAD = 8190  # aiohttp's line limit; a longer head is aiohttp's to judge
MAX_HEADERS = 100  # aiohttp allows 128
READ_SIZE = 16 * 1024  # bytes read from a socket at a time: what a connection holds unaccounted
CACHED = 512  # request heads and queries remembered per device, parsed once
VERSIONS = (b"HTTP/1.1", b"HTTP/1.0")  # any other request line is refused at once
BAD_VERSION = "the request line must end in HTTP/1.1 or HTTP/1.0"
_ODD = re.compile(rb"[^\t\r\n\x20-\x7e]")  # control and non-ASCII bytes: llhttp's to judge
# A request line may carry raw UTF-8 (clients that do not percent-encode `sms=你好`), as
# firmware's CGI takes it; control bytes never, and headers stay ASCII.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HIGH = re.compile(rb"[\x80-\xff]")
_EMPTY_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(?=\r\n)", re.IGNORECASE)
_SKIP = frozenset({b"transfer-encoding", b"content-encoding", b"expect", b"upgrade"})
_REASONS = {s.value: s.phrase.encode() for s in HTTPStatus}
_Head = tuple[str, str, str, int, bool, Endpoint]  # method, path, query, length, close, endpoint
log = structlog.get_logger("emulator.web")


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
    odd = _ODD.search(head) is not None
    if (
        len(lines) > MAX_HEADERS
        or (odd and not _utf8_line(head, lines[0]))
        or head.count(b"\r") != len(lines) - 1
        or head.count(b"\n") != len(lines) - 1
    ):
        return None
    parts = lines[0].split(b" ")
    if len(parts) != 3 or parts[2] != b"HTTP/1.1" or parts[0] not in (b"GET", b"POST"):
        return None
    raw_target = _HIGH.sub(_percent, parts[1]) if odd else parts[1]
    target = raw_target.decode()
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
            if not value:
                continue  # an empty length is no length (aiohttp's parser would refuse it)
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


def _percent(byte: re.Match[bytes]) -> bytes:
    return b"%%%02X" % byte[0][0]


def _utf8_line(head: bytes, line: bytes) -> bool:
    """The head's only odd bytes are UTF-8 text in its request line."""
    if _CONTROL.search(line) is not None or _ODD.search(head, len(line)) is not None:
        return False
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _refusal(head: bytes) -> str | None:
    """Why a complete head is refused outright: its request line names no HTTP/1.x."""
    line = head.split(b"\r\n", 1)[0]
    if line.rsplit(b" ", 1)[-1] not in VERSIONS:
        return BAD_VERSION
    return None


def _hopeless(buf: bytes) -> bool:
    """A head still arriving that the front will never take: aiohttp may judge it now.

    A request starts with a method (upper-case letters); a TLS ClientHello or other
    binary starts otherwise. Bare LF or CR line ends and control bytes do not pass
    `_read_head` either, so there is no reason to wait for the rest of them."""
    if not buf[:1].isupper() or _CONTROL.search(buf) is not None:
        return True
    line_end = buf.find(b"\r\n")
    if line_end != -1 and _HIGH.search(buf, line_end) is not None:
        return True
    crlf = buf.count(b"\r\n")
    lone_cr = buf.count(b"\r") - crlf - buf.endswith(b"\r")
    return lone_cr != 0 or buf.count(b"\n") != crlf


def _answer(status: int, body: bytes, close: bool) -> bytes:
    head = _HEAD % (status, _REASONS.get(status, b""), len(body), _Date.now())
    return head + (b"Connection: close\r\n\r\n" if close else b"\r\n") + body


class Front(asyncio.BufferedProtocol):
    """One connection, until it is closed or handed to aiohttp."""

    __slots__ = (
        "_aiohttp",
        "_at",
        "_buf",
        "_dev",
        "_endpoints",
        "_grant",
        "_heads",
        "_keepalive",
        "_loop",
        "_need",
        "_now",
        "_parts",
        "_paused",
        "_queries",
        "_read_timeout",
        "_since",
        "_site",
        "_size",
        "_timer",
        "_view",
        "_waiting",
        "transport",
    )

    def __init__(
        self,
        site: FrontSite,
        dev: Served,
        endpoints: dict[str, Endpoint],
        aiohttp: Callable[[], asyncio.Protocol],
    ) -> None:
        self._site = site
        self._dev = dev
        self._endpoints = endpoints
        self._aiohttp = aiohttp
        # A platform sends the same heads and queries over and over (the same poll, the
        # same POST headers): each is parsed once. The result depends on nothing else.
        self._heads = site.heads
        self._queries = site.queries
        self._view = site.view
        self._buf = b""  # bytes not yet served, joined
        self._parts: list[bytes] = []  # a body's bytes as they come, joined once it is whole
        self._size = 0  # bytes in _parts
        self._need = 0  # bytes _parts must reach before they are joined and served
        self._grant = 0  # this connection's share of the device's bodies in flight
        self._waiting = False  # for a share, not reading meanwhile
        self._paused = False  # the client does not read its answers
        spec = dev.profile.device
        self._read_timeout = spec.read_timeout
        self._keepalive = spec.keepalive_timeout
        self._loop = asyncio.get_running_loop()
        self._now = self._since = self._loop.time()
        self._at = 0.0  # when the timer fires
        self._timer: asyncio.TimerHandle | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._site.connections.add(self)
        self._arm(self._since + self._keepalive)

    def connection_lost(self, exc: Exception | None) -> None:
        self._forget()

    def get_buffer(self, sizehint: int) -> memoryview:
        # One buffer per site: recv_into fills it and buffer_updated copies out at once.
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        data = bytes(self._view[:nbytes])
        now = self._now = self._loop.time()
        if self._need:
            self._parts.append(data)
            self._size += nbytes
            if self._size < self._need:
                return  # a body on its way: joined once, when whole
            self._buf = b"".join(self._parts)
            self._parts = []
            self._need = self._size = 0
        elif self._buf:
            self._buf += data  # the rest of a head: at most MAX_HEAD + READ_SIZE bytes
        else:
            self._buf = data
            self._since = now  # a request begins
            due = now + self._read_timeout
            if due < self._at:
                self._arm(due)
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
            self._since = self._now = self._loop.time()
            if not self._waiting:
                self.transport.resume_reading()
            self._serve_buffered()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _forget(self) -> None:
        self._site.connections.discard(self)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._waiting:
            self._waiting = False
            self._site.waiters.remove(self)
        if self._grant:
            self._site.release(self._grant)
            self._grant = 0

    def _arm(self, due: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._at = due
        self._timer = self._loop.call_at(due, self._tick)

    def _tick(self) -> None:
        self._timer = None
        partial = bool(self._buf or self._parts)
        due = self._since + (self._read_timeout if partial else self._keepalive)
        if self._loop.time() < due:
            self._arm(due)
        elif partial and not self._paused and self.transport is not None:
            # Too slow a request (or one waiting too long for room for its body).
            log.info("request_timeout", device=self._dev.identity.name, after=self._read_timeout)
            reason = f"the request did not arrive within {self._read_timeout:g} s"
            self._refuse(408, reason)
        else:
            self.close()  # idle past the keep-alive, or not reading its answers

    def _refuse(self, status: int, reason: str) -> None:
        """Answer in the device's envelope and close: nothing more is read."""
        transport = self.transport
        assert transport is not None
        self._forget()
        self._buf, self._parts, self._need = b"", [], 0
        refusal = ApiError.http(status, reason)
        transport.write(_answer(status, dumps(refusal.envelope()), True))
        transport.close()

    def granted(self, share: int) -> None:
        """Room for the body this connection waits to read (FrontSite.release)."""
        self._waiting = False
        self._grant = share
        if self.transport is not None and not self._paused:
            self.transport.resume_reading()

    def _serve_buffered(self) -> None:
        if self._need:
            return  # still waiting for a body's bytes
        buf = self._buf
        served = False
        while buf and not self._paused and self.transport is not None:
            end = buf.find(b"\r\n\r\n", 0, MAX_HEAD + 4)
            if end < 0:
                if len(buf) > MAX_HEAD or _hopeless(buf):
                    self._hand_over(buf)
                    return
                break
            head = buf[:end]
            request = self._heads.get(head)
            if request is None:
                request = _read_head(head, self._endpoints, self._dev.profile.device.max_body)
                if request is None:
                    refusal = _refusal(head)
                    if refusal is not None:
                        self._refuse(400, refusal)
                    else:
                        self._hand_over(buf)
                    return
                if len(self._heads) >= CACHED:
                    self._heads.clear()
                self._heads[head] = request
            dev = self._dev
            if gated(dev):
                self._hand_over(buf)
                return
            method, path, query, length, close, endpoint = request
            start = end + 4
            if len(buf) < start + length:
                self._await_body(buf, start + length)
                break
            if self._grant:
                self._site.release(self._grant)
                self._grant = 0
            body = buf[start : start + length] if method == "POST" else b""
            buf = buf[start + length :]
            served = True
            self._serve(method, path, query, body, endpoint, close)
            if close:
                self.close()
                buf = b""
        self._buf = buf
        if served:
            self._since = self._now  # what is left began to arrive with the last bytes
            if not buf and self._at > self._now + self._keepalive:
                self._arm(self._now + self._keepalive)

    def _await_body(self, buf: bytes, total: int) -> None:
        """The body is still on its way: gather it in parts, with room for it or waiting."""
        self._parts = [buf]
        self._size = len(buf)
        self._need = total
        self._buf = b""
        if self._grant or self._waiting:
            return
        if self._site.reserve(total):
            self._grant = total
        else:
            self._waiting = True
            self._site.waiters.append(self)
            assert self.transport is not None
            self.transport.pause_reading()

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
            dreq = DeviceRequest(
                path=path, method=method, query=params.copy(), raw=body, raw_query=query
            )
        except ApiError as exc:
            dreq = None
            answer, status = error_answer(exc)
        else:
            answer, status = call(dev, endpoint, dreq)
        record(dev, "request", method, path, query, status, dreq, answer)
        assert self.transport is not None
        self.transport.write(_answer(status, answer, close))

    def _hand_over(self, data: bytes) -> None:
        """aiohttp takes the connection from here, with the bytes not yet served."""
        transport = self.transport
        assert transport is not None
        self._forget()
        self.transport = None
        self._buf = b""
        end = data.find(b"\r\n\r\n", 0, MAX_HEAD + 4)
        if end >= 0:  # an empty Content-Length is no length, for aiohttp too
            data = _EMPTY_LENGTH.sub(b"", data[: end + 2]) + data[end + 2 :]
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
        self.view = memoryview(bytearray(READ_SIZE))
        self.budget = runner.app[DEVICE_APP].profile.device.max_body_in_flight
        self.in_flight = 0  # bytes of bodies granted to connections still reading them
        self.waiters: deque[Front] = deque()

    @property
    def name(self) -> str:
        return str(URL.build(scheme="http", host=self._host or "0.0.0.0", port=self._port))

    def reserve(self, length: int) -> bool:
        """Room for a request of `length` bytes; one always fits, however large."""
        if self.in_flight and self.in_flight + length > self.budget:
            return False
        self.in_flight += length
        return True

    def release(self, length: int) -> None:
        self.in_flight -= length
        waiters = self.waiters
        while waiters:
            front = waiters[0]
            want = front._need  # what it reserves: the whole request, mostly its body
            if not self.reserve(want):
                break
            waiters.popleft()
            front.granted(want)

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

    def _factory(self) -> Callable[[], asyncio.BaseProtocol]:
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
