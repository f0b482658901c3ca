"""The device socket under abuse and at its edges, with raw sockets on 127.0.0.1.

Timeouts are wall-clock (the transport is not the device's clock) and set short in
each test's profile, so these tests are fast."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest
from conftest import small, start_gateway

from emulator.runtime import Server

CREDS = "username=root&password=root"
STATUS = f"/goip_get_status.html?{CREDS}".encode()


async def connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def answer(reader: asyncio.StreamReader, timeout: float = 5) -> tuple[int, bytes, bytes]:
    """Status, head and body of the next answer."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    status = int(head.split(b" ", 2)[1])
    length = re.search(rb"\r\nContent-Length: (\d+)", head, re.IGNORECASE)
    body = await asyncio.wait_for(reader.readexactly(int(length.group(1))), timeout)
    return status, head, body


async def closed(reader: asyncio.StreamReader, timeout: float = 5) -> bool:
    return await asyncio.wait_for(reader.read(), timeout) == b""


@pytest.fixture(params=[True, False], ids=["front", "aiohttp"])
async def both(request):
    """A registered device behind the front, then behind aiohttp alone."""
    made = []

    async def factory(**device):
        gw = await start_gateway(small(device=device), front=request.param)
        await gw.advance(10)
        made.append(gw)
        return gw

    yield factory
    for gw in made:
        await gw.client.close()
        await gw.runtime.close()


@pytest.fixture
async def fronted():
    made = []

    async def factory(**device):
        gw = await start_gateway(small(device=device))
        await gw.advance(10)
        made.append(gw)
        return gw

    yield factory
    for gw in made:
        await gw.client.close()
        await gw.runtime.close()


# A. Bounded under abuse


async def test_a_head_that_does_not_arrive_in_time_is_a_408_and_closed(fronted):
    gw = await fronted(read_timeout=0.3, keepalive_timeout=5)
    reader, writer = await connect(gw.client.port)
    started = time.monotonic()
    writer.write(b"GET " + STATUS + b" HTTP/1.1\r\nHost: x\r\n")  # never ends
    status, head, body = await answer(reader)
    assert status == 408 and json.loads(body)["code"] == 408
    assert b"Connection: close" in head and await closed(reader)
    assert 0.25 < time.monotonic() - started < 3
    writer.close()


async def test_a_body_that_does_not_arrive_in_time_is_a_408_and_closed(fronted):
    gw = await fronted(read_timeout=0.3, keepalive_timeout=5)
    reader, writer = await connect(gw.client.port)
    writer.write(post_head(900) + b"{" * 100)
    status, _, body = await answer(reader)
    assert status == 408 and json.loads(body)["reason"].startswith("the request did not arrive")
    assert await closed(reader)
    assert gw.journal("request") == []  # nothing was served
    writer.close()


async def test_trickling_bytes_does_not_keep_a_request_alive(fronted):
    gw = await fronted(read_timeout=0.4, keepalive_timeout=5)
    reader, writer = await connect(gw.client.port)
    request = b"GET " + STATUS + b" HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200
    started = time.monotonic()
    for byte in request:  # a byte every 20 ms: never idle, never done
        writer.write(bytes([byte]))
        await asyncio.sleep(0.02)
        if reader.at_eof() or reader._buffer:
            break
    status, _, _ = await answer(reader)
    assert status == 408 and time.monotonic() - started < 2
    writer.close()


async def test_aiohttp_closes_idle_connections_after_the_profiles_keepalive():
    """What the front passes on (here the control API) follows the same idle bound."""
    server = Server(small(device={"keepalive_timeout": 0.3}), port=0, clock="virtual")
    urls = await server.start()
    try:
        reader, writer = await connect(int(urls[0].rsplit(":", 1)[1]))
        writer.write(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await answer(reader))[0] == 200
        started = time.monotonic()
        assert await closed(reader)
        assert time.monotonic() - started < 3
        writer.close()
    finally:
        await server.stop()


def post_head(length: int) -> bytes:
    return (
        f"POST /goip_post_sms.html?{CREDS} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def padded_body(size: int) -> bytes:
    doc = b'{"type":"send-sms","tasks":[{"tid":1,"to":"100","sms":"hi"}],"pad":"'
    return doc + b"x" * (size - len(doc) - 2) + b'"}'


async def test_bodies_beyond_the_bytes_in_flight_wait_their_turn_unread(fronted):
    # Room for one 40,000-byte body at a time: the second waits, its bytes left unread
    # in the socket, until the first is whole; then it is served too. Nothing refused.
    # (A body that comes whole in one read, 16 KiB, is served without waiting.)
    gw = await fronted(max_body=65536, max_body_in_flight=65536, read_timeout=5)
    body = padded_body(40_000)
    r1, w1 = await connect(gw.client.port)
    w1.write(post_head(len(body)) + body[:100])
    await asyncio.sleep(0.1)
    r2, w2 = await connect(gw.client.port)
    w2.write(post_head(len(body)) + body)
    with pytest.raises(TimeoutError):
        await answer(r2, timeout=0.3)  # whole on the wire, but there is no room for it yet
    w1.write(body[100:])
    assert (await answer(r1))[0] == 200
    status, _, doc = await answer(r2)
    assert status == 200 and json.loads(doc)["code"] == 200
    assert len(gw.journal("request", "goip_post_sms")) == 2
    w1.close()
    w2.close()


async def test_a_waiting_body_is_timed_out_like_a_slow_one(fronted):
    gw = await fronted(max_body=65536, max_body_in_flight=65536, read_timeout=0.4)
    body = padded_body(40_000)
    r1, w1 = await connect(gw.client.port)
    w1.write(post_head(len(body)) + body[:10])  # holds the room and stalls
    await asyncio.sleep(0.05)
    r2, w2 = await connect(gw.client.port)
    w2.write(post_head(len(body)) + body)
    assert (await answer(r1))[0] == 408
    # The first one's room is free again: the second is read and served, in its time.
    status = (await answer(r2))[0]
    assert status in (200, 408)
    r3, w3 = await connect(gw.client.port)
    w3.write(post_head(len(body)) + body)
    assert (await answer(r3))[0] == 200
    for w in (w1, w2, w3):
        w.close()


async def test_a_large_body_in_small_segments_is_served(fronted):
    gw = await fronted(max_body=2 * 1024 * 1024)
    body = padded_body(1024 * 1024)
    reader, writer = await connect(gw.client.port)
    writer.write(post_head(len(body)))
    for i in range(0, len(body), 4096):
        writer.write(body[i : i + 4096])
        await writer.drain()
    status, _, doc = await answer(reader)
    assert status == 200 and json.loads(doc)["code"] == 200
    writer.close()


async def test_a_chunked_body_over_max_body_is_a_413_like_a_sized_one(both):
    gw = await both(max_body=1024)
    reader, writer = await connect(gw.client.port)
    chunk = b"a" * 1500
    writer.write(
        f"POST /goip_post_sms.html?{CREDS} HTTP/1.1\r\nHost: x\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode()
        + b"%x\r\n%s\r\n0\r\n\r\n" % (len(chunk), chunk)
    )
    status, head, body = await answer(reader)
    assert status == 413 and json.loads(body)["code"] == 413
    writer.write(post_head(1500) + b"a" * 1500)
    reader, writer = await connect(gw.client.port)
    writer.write(post_head(1500) + b"a" * 1500)
    assert (await answer(reader))[0] == 413
    writer.close()


async def test_unknown_paths_count_under_one_metrics_label(both):
    gw = await both()
    reader, writer = await connect(gw.client.port)
    for i in range(30):
        writer.write(b"GET /scan/%d.php HTTP/1.1\r\nHost: x\r\n\r\n" % i)
        assert (await answer(reader))[0] == 404
    writer.close()
    text = await (await gw.client.get("/_emulator/metrics")).text()
    rows = [line for line in text.splitlines() if line.startswith("goip_requests_total{")]
    assert rows == ['goip_requests_total{endpoint="unknown",status="404"} 30']
    assert len(gw.journal("request")) == 30  # the journal still has each path


@pytest.mark.parametrize(
    "raw",
    [
        b"GET " + STATUS + b" HTTP/1.1\nHost: x\n",  # bare LF, the blank line still to come
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40),  # a TLS ClientHello
        b"\x00\x01garbage",
        b"GET " + STATUS + b"\x01",
    ],
    ids=["bare-lf", "tls", "binary", "control-byte"],
)
async def test_a_head_the_front_cannot_take_is_answered_at_once(fronted, raw):
    gw = await fronted(read_timeout=30, keepalive_timeout=30)
    reader, writer = await connect(gw.client.port)
    writer.write(raw)
    status, _, _ = await answer(reader, timeout=2)  # not held until a timeout
    assert status == 400
    writer.close()


# B. Strict request lines, HEAD, empty Content-Length


@pytest.mark.parametrize(
    "line",
    [
        b"GET /goip_send_cmd.html?op=reboot&" + CREDS.encode() + b" HTTP/2.0",
        b"GET /goip_send_cmd.html?op=reboot&" + CREDS.encode(),
        b"GET /goip_send_cmd.html?op=reboot&" + CREDS.encode() + b" HTTP/1.2",
    ],
    ids=["http2", "no-version", "http1.2"],
)
async def test_a_request_line_without_http_1x_is_refused_and_runs_nothing(both, line):
    gw = await both()
    boots = (await gw.state())["device"]["boots"]
    reader, writer = await connect(gw.client.port)
    writer.write(line + b"\r\nHost: x\r\n\r\n")
    status, head, body = await answer(reader)
    assert status == 400
    if b"application/json" in head or gw.client.server.front:  # else aiohttp's own refusal
        doc = json.loads(body)
        assert doc["code"] == 400 and "HTTP/1.1" in doc["reason"]
    assert (await gw.state())["device"]["boots"] == boots and (await gw.state())["device"][
        "rebooting_until"
    ] is None
    writer.close()


async def test_head_runs_no_handler_that_changes_state(both):
    gw = await both()
    boots = (await gw.state())["device"]["boots"]
    reader, writer = await connect(gw.client.port)
    writer.write(
        b"HEAD /goip_send_cmd.html?op=reboot&" + CREDS.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 405") and b"Allow: GET,POST" in head
    # No body follows a HEAD: the next answer on the connection is the next request's.
    writer.write(b"GET " + STATUS + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await answer(reader))[0] == 200
    assert (await gw.state())["device"]["boots"] == boots and (await gw.state())["device"][
        "rebooting_until"
    ] is None
    writer.close()


async def test_an_empty_content_length_is_read_as_none(fronted):
    gw = await fronted()
    reader, writer = await connect(gw.client.port)
    writer.write(b"GET " + STATUS + b" HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n")
    status, _, body = await answer(reader)
    assert status == 200 and json.loads(body)["type"] == "dev-status"
    # Also for what the front hands to aiohttp (here the control API).
    writer.write(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n")
    status, _, body = await answer(reader)
    assert status == 200 and json.loads(body)["status"] == "ok"
    writer.close()


@pytest.mark.parametrize("path", ["/goip_post_sms.html", "/_emulator/sms"])
async def test_a_trickled_chunked_body_is_timed_out_whoever_reads_it(both, path):
    """aiohttp reads chunked bodies itself: its read is bounded by read_timeout too."""
    gw = await both(read_timeout=0.5, keepalive_timeout=5)
    reader, writer = await connect(gw.client.port)
    writer.write(
        f"POST {path}?{CREDS} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        + b"1\r\n{\r\n"
    )
    status, _, body = await answer(reader, timeout=5)
    assert status == 408 and json.loads(body)["code"] == 408
    writer.close()
