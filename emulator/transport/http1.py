"""The pusher's plain-HTTP client: one kept-alive HTTP/1.1 connection per callback target.

Why not aiohttp's client here: the device delivers to one URL in order, one POST in
flight, so each callback costs a full round trip and the client's own work is a large
part of it. What a callback needs (write a request, read the status, skip the body)
is a small fraction of what aiohttp's client does per request; with this client one
target receives 1.4x to 1.9x as many callbacks a second (bench P4, docs/decisions.md).
https:// targets still go through aiohttp, which owns TLS and its certificates.

What the other side may do and is handled: answer with Content-Length, chunked
or close-delimited bodies; send 1xx answers first; ask to close the connection; close
an idle kept-alive connection (the POST is then sent once more on a new one, as no
byte of an answer had come back). Whatever else goes wrong on the connection (garbage,
an oversized line, a reset mid-answer) is an HttpError, so a caller handles one error.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024  # status line and headers of an answer
_PIECE = 64 * 1024  # an answer's body is read and dropped this much at a time
_NO_BODY = frozenset({204, 304})


class HttpError(Exception):
    """The POST did not get an HTTP answer; the text says why, for the journal."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int
    head: bytes  # request line and fixed headers, up to Content-Length's value


def endpoint(url: str, content_type: str) -> Endpoint:
    """Parse an http:// URL once per target; ValueError names what is wrong."""
    if not url.isascii():
        raise ValueError(f"{url!r} is not plain ASCII")  # IDNA and the like: aiohttp's job
    parts = urlsplit(url)
    if parts.scheme.lower() != "http":
        raise ValueError(f"{url!r} is not an http:// URL")
    host = parts.hostname
    if not host:
        raise ValueError(f"{url!r} has no host")
    port = parts.port or 80  # ValueError for a port out of range
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if any(c in target for c in " \r\n") or any(c in parts.netloc for c in " \r\n"):
        raise ValueError(f"{url!r} has spaces or line breaks")
    authority = parts.netloc.rpartition("@")[2]
    head = (
        f"POST {target} HTTP/1.1\r\n"
        f"Host: {authority}\r\n"
        f"Content-Type: {content_type}\r\n"
        "Accept: */*\r\n"
        "Content-Length: "
    ).encode("ascii")
    return Endpoint(host, port, head)


class Connection:
    """One TCP connection, kept alive between POSTs to the same target."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = False  # has carried an answer: a failure may be the peer's idle close

    @classmethod
    async def open(cls, where: Endpoint) -> Connection:
        try:
            reader, writer = await asyncio.open_connection(where.host, where.port, limit=MAX_HEAD)
        except (OSError, ValueError) as exc:  # ValueError: a host IDNA cannot encode
            raise HttpError(f"cannot connect to {where.host}:{where.port}: {_why(exc)}") from None
        return cls(reader, writer)

    def close(self) -> None:
        self.writer.close()

    async def post(self, where: Endpoint, body: bytes) -> tuple[int, bool]:
        """(status, keep): send one POST and read its answer to the end."""
        self.writer.write(where.head + b"%d\r\n\r\n" % len(body) + body)
        while True:
            status, headers = await self._read_head()
            if not 100 <= status < 200:
                break
        keep = headers.get("connection", "").lower() != "close"
        if status in _NO_BODY:
            pass
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            await self._skip_chunked()
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise HttpError(
                    f"answer has a bad Content-Length {headers['content-length']!r}"
                ) from None
            await self._skip(length)
        else:  # the body runs to the end of the connection
            while await self.reader.read(_PIECE):
                pass
            keep = False
        self.used = True
        return status, keep

    async def _read_head(self) -> tuple[int, dict[str, str]]:
        try:
            raw = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            raise HttpError(f"answer headers are over {MAX_HEAD} bytes") from None
        lines = raw.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/") or not code.isdigit():
            raise HttpError(f"not an HTTP answer: {lines[0][:60]!r}")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        return int(code), headers

    async def _skip_chunked(self) -> None:
        while True:
            size_line = await self._line()
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise HttpError(f"answer has a bad chunk size {size_line[:20]!r}") from None
            if size == 0:
                while await self._line() != b"\r\n":  # trailers
                    pass
                return
            await self._skip(size + 2)

    async def _line(self) -> bytes:
        try:
            return await self.reader.readuntil(b"\r\n")
        except asyncio.LimitOverrunError:  # "1" and 70,000 zeros is not a chunk size
            raise HttpError(f"answer has a chunk line over {MAX_HEAD} bytes") from None

    async def _skip(self, count: int) -> None:
        """Read `count` bytes and drop them, never holding more than a piece of them."""
        while count > 0:
            piece = min(count, _PIECE)
            await self.reader.readexactly(piece)
            count -= piece


class Client:
    """POSTs to one http:// target over a connection it keeps between calls."""

    def __init__(self, url: str, content_type: str) -> None:
        self.where = endpoint(url, content_type)
        self._conn: Connection | None = None

    async def post(self, body: bytes) -> int:
        """The answer's status; raises HttpError (or TimeoutError from the caller's timeout)."""
        for attempt in (1, 2):
            conn = self._conn
            self._conn = None  # not reusable unless this POST ends cleanly
            if conn is None:
                conn = await Connection.open(self.where)
            try:
                status, keep = await conn.post(self.where, body)
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                conn.close()
                # On a connection that had carried answers, a reset or an end before any
                # byte of this answer is the peer's idle close: a new connection, once.
                nothing_back = isinstance(exc, ConnectionError) or not exc.partial
                if attempt == 1 and conn.used and nothing_back:
                    continue
                raise HttpError(_why(exc)) from None
            except HttpError:
                conn.close()
                raise
            except Exception as exc:  # whatever else the answer did, the attempt failed
                conn.close()
                raise HttpError(_why(exc)) from None
            except BaseException:
                conn.close()  # a timeout or a bad answer leaves the stream in an unknown state
                raise
            if keep:
                self._conn = conn
            else:
                conn.close()
            return status
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _why(exc: BaseException) -> str:
    if isinstance(exc, asyncio.IncompleteReadError):
        return "connection closed before the answer was complete"
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"
