"""The front answers as aiohttp does: the same bytes on the wire, the same journal.

Two gateways from one profile and seed, one behind the front and one served by aiohttp
alone, get the same raw requests, whole, pipelined or a few bytes at a time; their
answers (all but the Date header) and their journals must be equal. What the front
passes on to aiohttp is in the mix on purpose: HEAD, HTTP/1.0, chunked bodies, encoded
paths, missing or doubled Host headers, the control API."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
from urllib.parse import quote

import pytest
from conftest import small, start_gateway
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.transport import front

DEVICE_PATHS = [
    "/goip_get_status.html",
    "/goip_send_cmd.html",
    "/goip_post_sms.html",
    "/goip_pause_sms.html",
    "/goip_resume_sms.html",
    "/goip_remove_sms.html",
    "/goip_get_tasks.html",
    "/goip_get_sms.html",
    "/goip_get_sms_stat.html",
    "/goip_get_call_stat.html",
    "/crypt_sess.json",
]
OTHER_PATHS = [
    "/_emulator/health",
    "/_emulator/clock",
    "/goip_nothing.html",
    "/goip%5Fget%5Fstatus.html",
    "/goip_get_status.html#top",
    "//goip_get_status.html",
]
# No url names: a request must never make the device call anything but loopback.
NAMES = ["op", "ports", "port", "tid", "tids", "to", "sms", "sms_id", "sms_num", "slots"]
NAMES += ["type", "pos", "num", "has_content", "all_sims", "period", "session", "cnonce"]
NAMES += ["auth", "username", "password", "Username", "x"]
DATE = re.compile(rb"\r\nDate: [^\r]*")
EXTRA = [  # the last three are malformed
    b"Content-Type: application/json",
    b"Accept: */*",
    b"X-Trace: 1",
    b"Connection: keep-alive",
    b"Connection: close",
    b"Expect: 100-continue",
    b"Content-Encoding: identity",
    b"User-Agent: platform/1.0",
    b"Connection: Upgrade",
    b"Bad Header: x",
    b"X-Odd: \x01",
    b"X-Long: " + b"a" * 9000,
]
FRONT = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "400")) // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

values = st.text(max_size=24) | st.integers(-5, 2**70).map(str) | st.sampled_from(["1", "1A"])
bodies = st.one_of(
    st.just(b""),
    st.builds(
        lambda tasks: json.dumps({"type": "send-sms", "tasks": tasks}).encode(),
        st.lists(
            st.fixed_dictionaries(
                {"tid": st.integers(-2, 40), "to": st.sampled_from(["100", "1,2", ""])},
                optional={"sms": st.text(max_size=10), "from": st.sampled_from(["1", "9A"])},
            ),
            max_size=3,
        ),
    ),
    st.builds(lambda t: json.dumps({"tids": t}).encode(), st.lists(st.integers(0, 40))),
    st.just(b'{"op": "lock", "ports": "1"}'),
    st.binary(max_size=60),
)


@st.composite
def requests(draw: st.DrawFn, well_formed: bool = False, last: bool = True) -> bytes:
    """One request as bytes, mostly what the front serves, often what it passes on.

    `well_formed`: none that aiohttp refuses as HTTP. aiohttp parses all the bytes it
    has before it answers any, so a malformed request pipelined behind good ones costs
    the good ones their answers; the front answers those, and the comparison would fail
    on aiohttp's account. Malformed requests are compared one to a connection. For the
    same reason only the `last` of a pipelined batch may close the connection."""
    method = draw(st.sampled_from(["GET", "POST", "POST", "GET", "HEAD", "PUT"]))
    path = draw(st.sampled_from(DEVICE_PATHS * 3 + OTHER_PATHS))
    pairs = draw(st.lists(st.tuples(st.sampled_from(NAMES), values), max_size=5))
    if draw(st.booleans()):
        pairs = [("username", "root"), ("password", "root"), *pairs]
    mode = draw(st.sampled_from(["quote", "plus", "raw"]))
    parts = []
    for name, value in pairs:
        if mode == "quote":
            parts.append(f"{name}={quote(value, safe='')}")
        elif mode == "plus":
            parts.append(f"{name}={quote(value, safe='').replace('%20', '+')}")
        else:  # printable ASCII as it comes: '&', '=', '%' and '#' left to the parsers
            parts.append(f"{name}={''.join(c for c in value if ' ' < c <= '~')}")
    target = path + ("?" + "&".join(parts) if parts else "")
    version = draw(st.sampled_from(["HTTP/1.1"] * 6 + ["HTTP/1.0"] * last))
    body = draw(bodies) if method in ("POST", "PUT") or draw(st.integers(0, 9)) == 0 else b""
    hosts = 1 if well_formed else draw(st.sampled_from([1, 1, 1, 1, 1, 0, 2]))
    extra = EXTRA[:-3] if well_formed else EXTRA
    extra = extra if last else [h for h in extra if h != b"Connection: close"]
    headers = [b"Host: 127.0.0.1"] * hosts
    headers += draw(st.lists(st.sampled_from(extra), max_size=2, unique=True))
    if draw(st.integers(0, 7)) == 0:
        headers.append(b"Transfer-Encoding: chunked")
        framed = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
    else:
        if body or method == "POST":
            headers.append(b"Content-Length: %d" % len(body))
        framed = body
    line = f"{method} {target} {version}".encode()
    return b"\r\n".join([line, *headers]) + b"\r\n\r\n" + framed


async def read_answers(reader: asyncio.StreamReader, methods: list[bytes]) -> list[bytes]:
    """An answer for each request's method, its Date masked; stops at the connection's end."""
    answers: list[bytes] = []
    pending = list(methods)
    while pending:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            if head.startswith(b"HTTP/1.1 100"):
                answers.append(head)
                continue
            method = pending.pop(0)
            length = re.search(rb"\r\nContent-Length: (\d+)", head, re.IGNORECASE)
            size = 0 if method == b"HEAD" or length is None else int(length.group(1))
            body = await asyncio.wait_for(reader.readexactly(size), 5)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            rest = exc.partial if isinstance(exc, asyncio.IncompleteReadError) else b""
            answers.append(b"<end>" + rest)
            break
        except TimeoutError:
            answers.append(b"<silent>")
            break
        answers.append(DATE.sub(b"\r\nDate: -", head) + body)
    return answers


async def exchange(gw, chunks: list[bytes], methods: list[bytes]) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.client.port)
    try:
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
        return await read_answers(reader, methods)
    finally:
        writer.close()


def entries(gw) -> list[dict]:
    """The journal since the last reset (ids go on counting across resets)."""
    return [{k: v for k, v in e.items() if k != "id"} for e in gw.journal()]


class Pair:
    """The same device twice: behind the front and behind aiohttp alone."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.fast = self.run(start_gateway(small(), seed=7, front=True))
        self.slow = self.run(start_gateway(small(), seed=7, front=False))
        self.run(self.fast.advance(10))
        self.run(self.slow.advance(10))

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def compare(self, chunks: list[bytes], requests: list[bytes]) -> None:
        for gw in (self.fast, self.slow):  # each example from the same fresh state
            gw.dev.reset()
            self.run(gw.advance(10))
        methods = [r.split(b" ", 1)[0] for r in requests]
        fast = self.run(exchange(self.fast, chunks, methods))
        slow = self.run(exchange(self.slow, chunks, methods))
        assert fast == slow, b"".join(chunks)[:300]
        assert entries(self.fast) == entries(self.slow), (chunks, fast)

    def close(self) -> None:
        for gw in (self.fast, self.slow):
            self.run(gw.client.close())
            self.run(gw.runtime.close())
        self.loop.close()


@pytest.fixture(scope="module")
def pair():
    made = Pair()
    yield made
    made.close()


def test_one_request_at_a_time_is_answered_alike(pair):
    @FRONT
    @given(request=requests())
    def check(request):
        pair.compare([request], [request])

    check()


def test_pipelined_and_dribbled_requests_are_answered_alike(pair):
    @FRONT
    @given(
        batch=st.lists(requests(well_formed=True, last=False), max_size=3),
        final=requests(well_formed=True),
        data=st.data(),
    )
    def check(batch, final, data):
        batch = [*batch, final]
        stream = b"".join(batch)
        cuts = sorted(data.draw(st.lists(st.integers(1, len(stream) - 1), max_size=5)))
        chunks = [
            stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True) if b > a
        ]
        pair.compare(chunks, batch)

    check()


def test_the_front_serves_the_common_requests_itself(pair):
    """The comparison above would pass if the front passed everything on: it must not."""
    fast = pair.fast
    site_conns: list[front.Front] = []
    original = front.Front.connection_made

    def spy(self, transport):
        site_conns.append(self)
        original(self, transport)

    front.Front.connection_made = spy  # type: ignore[method-assign]
    try:
        request = b"GET /goip_get_tasks.html?username=root&password=root&port=1 HTTP/1.1\r\n"
        answers = pair.run(exchange(fast, [request + b"Host: x\r\n\r\n"] * 3, [b"GET"] * 3))
    finally:
        front.Front.connection_made = original  # type: ignore[method-assign]
    assert len(answers) == 3 and all(a.startswith(b"HTTP/1.1 200 OK") for a in answers)
    assert site_conns and site_conns[0].transport is not None  # still the front's
    assert isinstance(site_conns[0].transport.get_protocol(), front.Front)


async def test_many_pipelined_requests_unread_then_read(gateway_factory, monkeypatch):
    """A client that sends faster than it reads: the front waits for it, loses nothing."""
    pauses = []
    pause = front.Front.pause_writing
    monkeypatch.setattr(front.Front, "pause_writing", lambda self: pauses.append(pause(self)))
    gw = await gateway_factory(small(device={"ports": 32, "slots": 4}))
    await gw.advance(10)
    request = b"GET /goip_get_status.html?username=root&password=root HTTP/1.1\r\nHost: x\r\n\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.client.port)
    # A small receive window, so the answers (about 8 MB) back up into the device.
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    writer.write(request * 2000)
    await asyncio.sleep(0.5)  # the answers pile up in the device's send buffer
    answers = await read_answers(reader, [b"GET"] * 2000)
    writer.close()
    assert pauses  # the device did stop reading while its answers were not taken
    assert len(answers) == 2000 and all(a.startswith(b"HTTP/1.1 200 OK") for a in answers)
    assert len(gw.journal("request")) == 2000


async def test_an_idle_connection_is_closed_after_the_keepalive(gateway_factory):
    gw = await gateway_factory(small(device={"keepalive_timeout": 0.2}))
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.client.port)
    writer.write(b"GET /goip_get_sms.html?username=root&password=root HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_answers(reader, [b"GET"]))[0].startswith(b"HTTP/1.1 200 OK")
    assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the device
    writer.close()


async def test_stopping_the_device_closes_its_connections(gateway_factory):
    gw = await gateway_factory()
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.client.port)
    writer.write(b"GET /goip_get_sms.html?username=root&password=root HTTP/1.1\r\nHost: x\r\n\r\n")
    await read_answers(reader, [b"GET"])
    await gw.client.close()
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()


async def test_the_emulator_can_leave_every_request_to_aiohttp(monkeypatch):
    from emulator.testing import Emulator

    fronted = []
    made = front.Front.connection_made
    monkeypatch.setattr(
        front.Front, "connection_made", lambda self, t: (fronted.append(self), made(self, t))
    )
    async with Emulator(small(), front=False) as emu:
        doc = await emu.get("/goip_get_sms.html")
    assert doc["code"] == 0
    assert fronted == []


async def test_raw_utf8_in_the_request_line_is_read_as_its_text(gateway_factory):
    """A client that does not percent-encode (`sms=你好`) is served as firmware serves it;
    control bytes and non-ASCII headers are still aiohttp's to refuse."""
    gw = await gateway_factory(small())
    await gw.advance(10)
    line = "GET /goip_send_sms.html?username=root&password=root&port=1&recipients=123&sms=你好"
    [answer] = await exchange(gw, [f"{line} HTTP/1.1\r\nHost: x\r\n\r\n".encode()], [b"GET"])
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["code"] == 0
    _, doc = await gw.get(
        "/goip_get_tasks.html", port=1, has_content=1, username="root", password="root"
    )
    assert [t["sms"] for t in doc["tasks"]] == ["你好"]
    for bad in (
        b"GET /goip_get_status.html?username=root&password=root&x=\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /goip_get_status.html?username=root&password=root&x=\xff HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /goip_get_status.html HTTP/1.1\r\nHost: x\r\nX-Name: é\r\n\r\n".encode(),
    ):
        [answer] = await exchange(gw, [bad], [b"GET"])
        assert not answer.startswith(b"HTTP/1.1 5"), answer
