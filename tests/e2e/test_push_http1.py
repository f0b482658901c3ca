"""The pusher's plain-HTTP client against a raw loopback server that answers the way
real platforms do: sized, chunked and close-delimited bodies, 1xx first, idle
connections closed under it, garbage, silence."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from emulator.config.profile import Push
from emulator.core.timers import TimerHandle
from emulator.push.pusher import Pusher
from emulator.record.journal import Journal
from emulator.transport import http1

OK_SIZED = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"
OK_CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"3;ext=1\r\nabc\r\n5\r\nde\r\nf\r\n0\r\nX-Trailer: 1\r\n\r\n"
)

Answer = Callable[[int, bytes], bytes | None]  # (request number, body) -> bytes to send


@dataclass
class RawServer:
    """Reads each POST in full, records its body, answers what `answer` says.

    `answer` returning None closes the connection without a word; b"" says nothing
    for a second first.
    """

    answer: Answer
    bodies: list[bytes] = field(default_factory=list)
    connections: int = 0
    close_after_each: bool = False
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.decode().split("\r\n"):
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":")[1])
                body = await reader.readexactly(length)
                self.bodies.append(body)
                reply = self.answer(len(self.bodies), body)
                if reply is None:
                    break
                if not reply:  # silence: hold the connection open, then give up on it
                    await asyncio.sleep(1)
                    break
                writer.write(reply)
                await writer.drain()
                if self.close_after_each or b"Connection: close" in reply:
                    break
                sized = b"Content-Length" in reply or b"chunked" in reply or b" 204 " in reply
                if not sized:
                    break  # a close-delimited body ends with the connection
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[..., Any]]:
    servers: list[asyncio.Server] = []

    async def start(answer: Answer, **kw: Any) -> RawServer:
        raw = RawServer(answer, **kw)
        server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        raw.url = f"http://127.0.0.1:{port}/cb?x=1"
        return raw

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def client(url: str) -> http1.Client:
    return http1.Client(url, "application/json;charset=utf-8")


@pytest.mark.parametrize("reply", [OK_SIZED, OK_CHUNKED, b"HTTP/1.1 204 No Content\r\n\r\n"])
async def test_kept_alive_across_answers_of_every_framing(raw_server, reply: bytes) -> None:
    server = await raw_server(lambda n, body: reply)
    cli = client(server.url)
    statuses = [await cli.post(b'{"n":%d}' % i) for i in range(5)]
    assert statuses == [int(reply[9:12])] * 5
    assert server.bodies == [b'{"n":%d}' % i for i in range(5)]
    assert server.connections == 1
    cli.close()


async def test_close_delimited_body_and_connection_close_open_a_new_connection(
    raw_server,
) -> None:
    replies = [
        b"HTTP/1.0 200 OK\r\n\r\nall of it",
        OK_SIZED.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"),
    ]
    server = await raw_server(lambda n, body: replies[(n - 1) % 2])
    cli = client(server.url)
    assert [await cli.post(b"{}") for _ in range(4)] == [200] * 4
    assert server.connections == 4


async def test_informational_answers_are_skipped(raw_server) -> None:
    server = await raw_server(lambda n, body: b"HTTP/1.1 100 Continue\r\n\r\n" + OK_SIZED)
    cli = client(server.url)
    assert await cli.post(b"{}") == 200
    assert await cli.post(b"{}") == 200
    cli.close()


async def test_an_idle_connection_closed_by_the_peer_is_replaced_once(raw_server) -> None:
    server = await raw_server(lambda n, body: OK_SIZED, close_after_each=True)
    cli = client(server.url)
    assert [await cli.post(b'{"n":%d}' % i) for i in range(3)] == [200] * 3
    # Each POST after the first found the old connection closed and went again.
    assert server.bodies == [b'{"n":0}', b'{"n":1}', b'{"n":2}']
    assert server.connections == 3


async def test_silence_and_garbage_are_errors_that_say_so(raw_server) -> None:
    server = await raw_server(lambda n, body: None)
    with pytest.raises(http1.HttpError, match="closed before the answer"):
        await client(server.url).post(b"{}")
    server = await raw_server(lambda n, body: b"SMTP ready\r\n\r\n")
    with pytest.raises(http1.HttpError, match="not an HTTP answer"):
        await client(server.url).post(b"{}")
    server = await raw_server(lambda n, body: b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")
    with pytest.raises(http1.HttpError, match="bad Content-Length"):
        await client(server.url).post(b"{}")


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        # A chunk size line of "1" and 70,000 zeros: more than a line may hold.
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1" + b"0" * 70_000, "chunk line"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", "closed before the answer"),
    ],
)
async def test_a_malformed_body_is_an_http_error(raw_server, reply: bytes, words: str) -> None:
    server = await raw_server(lambda n, body: reply, close_after_each=True)
    cli = client(server.url)
    with pytest.raises(http1.HttpError, match=words):
        await cli.post(b"{}")
    server.answer = lambda n, body: OK_SIZED  # the next POST starts on a clean connection
    assert await cli.post(b"{}") == 200
    cli.close()


async def test_nobody_listening_is_a_connect_error(unused_tcp_port: int) -> None:
    with pytest.raises(http1.HttpError, match=r"cannot connect to 127\.0\.0\.1"):
        await client(f"http://127.0.0.1:{unused_tcp_port}/").post(b"{}")


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/", "ftp://x/", "http:///nohost", "http://h:99999/", "http://é.cn/"]
)
def test_urls_the_lean_client_leaves_to_aiohttp(url: str) -> None:
    with pytest.raises(ValueError):
        client(url)


class _Timers:
    """Just enough of the clock for a pusher whose deliveries all succeed or fail fast."""

    def __init__(self) -> None:
        self.scheduled: list[float] = []

    def now(self) -> float:
        return 0.0

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        self.scheduled.append(delay)
        return asyncio.get_running_loop().call_later(0, callback)  # type: ignore[return-value]


def _pusher(config: Push) -> tuple[Pusher, Journal]:
    journal = Journal(lambda: 0.0)
    pusher = Pusher(
        device="goip",
        timers=_Timers(),  # type: ignore[arg-type]
        journal=journal,
        config=config,
        session=lambda: pytest.fail("aiohttp is not used for http:// targets"),  # type: ignore[arg-type,return-value]
        rng=random.Random(1),
    )
    return pusher, journal


async def _drain(pusher: Pusher) -> None:
    """Until every callback is delivered (retries run at once under _Timers), then close."""
    for _ in range(300):
        await pusher.settle()
        if pusher.queued == 0:
            break
        await asyncio.sleep(0.01)
    await pusher.close()


async def test_the_pusher_keeps_order_and_journals_failures_through_the_lean_client(
    raw_server,
) -> None:
    fail = {3}
    server = await raw_server(
        lambda n, body: b"HTTP/1.1 500 Boom\r\nContent-Length: 0\r\n\r\n" if n in fail else OK_SIZED
    )
    pusher, journal = _pusher(Push())
    for i in range(5):
        pusher.submit(server.url, "port-status", {"seq": i})
    await _drain(pusher)
    seqs = [int(body[7:-1]) for body in server.bodies]
    assert seqs == [0, 1, 2, 2, 3, 4]  # the third POST failed and was sent again, in order
    outcomes = [e.as_json()["outcome"] for e in journal.query(kind="callback")]
    assert outcomes == ["delivered", "delivered", "failed", "delivered", "delivered", "delivered"]
    failed = next(journal.query(kind="callback", type_="port-status", since=2))
    assert failed.as_json()["error"] == "HTTP 500"
    assert failed.as_json()["body"] == {"seq": 2}


async def test_a_target_that_never_answers_times_out_and_is_retried(raw_server) -> None:
    def answer(n: int, body: bytes) -> bytes | None:
        if n == 1:
            return b""  # nothing: the POST hangs until the pusher's timeout
        return OK_SIZED

    server = await raw_server(answer)
    pusher, journal = _pusher(Push(timeout=0.2))
    pusher.submit(server.url, "recv-sms", {"seq": 0})
    await _drain(pusher)
    entries = [e.as_json() for e in journal.query(kind="callback")]
    assert [e["outcome"] for e in entries] == ["failed", "delivered"]
    assert entries[0]["error"] == "no answer within 0.2 s"
    assert server.bodies == [b'{"seq":0}', b'{"seq":0}']
    assert server.connections == 2  # the timed-out connection is not reused


async def test_a_redirect_is_a_failed_attempt_not_followed(raw_server) -> None:
    server = await raw_server(
        lambda n, body: b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n"
    )
    cli = client(server.url)
    assert await cli.post(b"{}") == 302
    assert len(server.bodies) == 1  # nothing went to /elsewhere
    cli.close()


async def test_an_ipv6_loopback_target_gets_a_bracketed_host_header() -> None:
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        heads.append(head)
        await reader.readexactly(2)
        writer.write(OK_SIZED)
        await writer.drain()
        writer.close()

    try:
        server = await asyncio.start_server(handle, "::1", 0)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    port = server.sockets[0].getsockname()[1]
    try:
        assert await client(f"http://[::1]:{port}/cb").post(b"{}") == 200
    finally:
        server.close()
        await server.wait_closed()
    assert f"Host: [::1]:{port}\r\n".encode() in heads[0]


async def test_a_large_answer_body_is_skipped_in_pieces(raw_server) -> None:
    big = b"x" * 300_000
    server = await raw_server(
        lambda n, body: b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(big), big)
    )
    cli = client(server.url)
    assert [await cli.post(b"{}") for _ in range(2)] == [200, 200]
    assert server.connections == 1
    cli.close()
