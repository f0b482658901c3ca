"""Callback delivery against receivers that misbehave for their first attempts, then
behave: raw asyncio servers on 127.0.0.1, the emulator on a virtual clock. Whatever a
receiver does, every callback is delivered once it recovers, in order, and nothing is
left stuck; and however many URLs the settings name over time, the targets are bounded."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import structlog
from conftest import CREDS, Gateway, small

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"
BAD_ANSWERS = {
    "500": b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nBoom",
    "redirect": b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n",
    # Headers promise 20 bytes; 5 come, then the connection closes.
    "close mid-answer": b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nshort",
    # The answer: a chunk size line of "1" and 70,000 zeros, never ended.
    "malformed chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1" + b"0" * 70_000,
}
MISBEHAVIOURS = [
    "down",
    "hanging",
    "500",
    "slow",
    "redirect",
    "close mid-answer",
    "endless body",
    "malformed chunked",
]
TIMEOUT = 0.2  # real seconds an attempt may take (push.timeout)
BAD = 2  # attempts each receiver spoils before it behaves
# The path decides the client: plain ASCII goes through the lean HTTP/1.1 client, a URL
# that is not plain ASCII through aiohttp.
CLIENTS = {"lean": "/cb", "aiohttp": "/cb/é"}


class Receiver:
    """Answers its first `bad` POSTs the way `mode` says, then 200 to every POST."""

    def __init__(self, mode: str, bad: int) -> None:
        self.mode = mode
        self.bad = bad
        self.attempts = 0
        self.accepted: list[bytes] = []  # bodies of the POSTs answered 200 after recovering
        self.writers: set[asyncio.StreamWriter] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: *(\d+)", head)[1])  # type: ignore[index]
                body = await reader.readexactly(length)
                self.attempts += 1
                if self.attempts > self.bad:
                    self.accepted.append(body)
                    writer.write(OK)
                    await writer.drain()
                    continue
                await self.misbehave(reader, writer)
                return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client went away, as it should after a spoiled answer
        finally:
            self.writers.discard(writer)
            writer.close()

    async def misbehave(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "hanging":
            await reader.read()  # not a byte back, until the client gives up
        elif self.mode == "slow":
            for byte in OK:  # the whole answer would take 20 times the timeout
                if writer.is_closing() or reader.at_eof():
                    return
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(TIMEOUT / 2)
        elif self.mode == "endless body":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
            piece = b"0" * 65536
            while not reader.at_eof() and not writer.is_closing():
                writer.write(piece)
                await writer.drain()
        else:
            writer.write(BAD_ANSWERS[self.mode])
            await writer.drain()
            if self.mode == "malformed chunked":
                await reader.read()  # keep the connection: the client must give up by itself


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., Any]]:
    """start(mode, bad, port=0) -> (Receiver, port) listening on 127.0.0.1."""
    started: list[tuple[asyncio.Server, Receiver]] = []

    async def start(mode: str, bad: int, port: int = 0) -> tuple[Receiver, int]:
        rec = Receiver(mode, bad)
        server = await asyncio.start_server(rec.handle, "127.0.0.1", port)
        started.append((server, rec))
        return rec, server.sockets[0].getsockname()[1]

    yield start
    for server, rec in started:
        server.close()
        for writer in list(rec.writers):
            writer.close()
        await server.wait_closed()


@pytest.fixture
async def loop_errors() -> AsyncIterator[list[dict[str, Any]]]:
    """What reaches the loop's exception handler ("Task exception was never retrieved")."""
    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    before = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    yield errors
    loop.set_exception_handler(before)


async def _lock_each_port(gw: Gateway) -> None:
    """Four port-status callbacks, one for each of ports 1-4 as it is locked."""
    for port in range(1, 5):
        status, doc = await gw.get("/goip_send_cmd.html", op="lock", ports=str(port), **CREDS)
        assert status == 200 and doc["code"] == 0, doc


def _ports(bodies: list[bytes]) -> list[tuple[int, int]]:
    """(port number, st) of each port-status body, whatever the port-name format."""
    docs = [json.loads(b) for b in bodies]
    return [(int(re.match(r"\d+", d["port"])[0]), d["st"]) for d in docs]  # type: ignore[index]


async def _failed(gw: Gateway) -> int:
    return sum(1 for e in gw.journal("callback") if e["outcome"] == "failed")


@pytest.mark.parametrize("client", CLIENTS.keys())
@pytest.mark.parametrize("mode", MISBEHAVIOURS)
async def test_every_callback_is_delivered_in_order_once_the_receiver_recovers(
    gateway_factory, receivers, loop_errors, unused_tcp_port: int, mode: str, client: str
) -> None:
    gw: Gateway = await gateway_factory(small(push={"timeout": TIMEOUT}))
    await gw.advance(10)
    port = unused_tcp_port
    rec: Receiver | None = None
    if mode != "down":  # a receiver that is down is not listening at all
        rec, port = await receivers(mode, BAD)
    url = f"http://127.0.0.1:{port}{CLIENTS[client]}"
    await gw.get("/goip_get_status.html", url=url, period=3600, **CREDS)
    await _lock_each_port(gw)
    if rec is None:
        while await _failed(gw) < BAD:  # each step lets at most one retry fire
            await gw.advance(1)
        rec, _ = await receivers("down", 0, port)  # back up on the same port
    await gw.advance(600)  # far beyond the backoff of BAD failures

    # Order kept, each callback accepted once.
    locked = "12 Locked by User"
    assert _ports(rec.accepted) == [(1, locked), (2, locked), (3, locked), (4, locked)]
    entries = gw.journal("callback")
    failed = [e for e in entries if e["outcome"] == "failed"]
    assert [e["attempt"] for e in failed] == list(range(1, BAD + 1))
    assert all(e["body"] == entries[0]["body"] for e in failed)  # the head was retried
    assert [e["attempt"] for e in entries if e["outcome"] == "delivered"] == [BAD + 1] + [1] * 3
    # Nothing stuck: the target holds nothing, waits for no retry, and shows the history.
    status, state = await gw.get("/_emulator/state")
    assert state["push"] == {
        url: {
            "queued": 0,
            "delivered": 4,
            "failed_attempts": BAD,
            "dropped": 0,
            "retrying": False,
        }
    }
    assert loop_errors == []


@pytest.mark.parametrize("client", CLIENTS.keys())
async def test_a_failed_attempt_is_a_warning_without_the_credentials(
    gateway_factory, unused_tcp_port: int, client: str
) -> None:
    gw: Gateway = await gateway_factory(small(push={"timeout": TIMEOUT}))
    await gw.advance(10)
    url = f"http://alice:s3cret@127.0.0.1:{unused_tcp_port}{CLIENTS[client]}"
    await gw.get("/goip_get_status.html", url=url, period=3600, **CREDS)
    with structlog.testing.capture_logs() as logs:
        await gw.get("/goip_send_cmd.html", op="lock", ports="1", **CREDS)
        await gw.advance(0)
    (line,) = [e for e in logs if e["event"] == "callback_failed"]
    assert line["log_level"] == "warning"
    assert line["url"] == f"http://***@127.0.0.1:{unused_tcp_port}{CLIENTS[client]}"
    assert (line["device"], line["type"], line["attempt"]) == ("goip", "port-status", 1)
    assert line["error"]
    assert "s3cret" not in repr(logs) and "alice" not in repr(logs)


async def test_a_target_no_setting_names_is_forgotten_once_it_holds_nothing(
    gateway_factory, receivers
) -> None:
    gw: Gateway = await gateway_factory(small(push={"timeout": TIMEOUT}))
    await gw.advance(10)
    old, old_port = await receivers("500", BAD)
    new, new_port = await receivers("500", 0)
    old_url, new_url = (f"http://127.0.0.1:{p}/cb" for p in (old_port, new_port))
    await gw.get("/goip_get_status.html", url=old_url, period=3600, **CREDS)
    await gw.get("/goip_send_cmd.html", op="lock", ports="1", **CREDS)
    await gw.advance(0)  # its first attempt fails: it waits for a retry
    await gw.get("/goip_get_status.html", url=new_url, period=3600, **CREDS)
    await gw.get("/goip_send_cmd.html", op="lock", ports="2", **CREDS)
    await gw.advance(0)
    _, state = await gw.get("/_emulator/state")
    assert sorted(state["push"]) == sorted([old_url, new_url])  # the old one still holds 1A
    await gw.advance(600)
    _, state = await gw.get("/_emulator/state")
    assert list(state["push"]) == [new_url]
    assert [p for p, _ in _ports(old.accepted)] == [1]
    assert [p for p, _ in _ports(new.accepted)] == [2]


URLS = 2000
MAX_TARGETS = 40


async def test_two_thousand_urls_keep_the_targets_bounded(
    gateway_factory, receivers, unused_tcp_port: int
) -> None:
    gw: Gateway = await gateway_factory(small(push={"timeout": 1, "max_targets": MAX_TARGETS}))
    await gw.advance(10)
    device = gw.device
    one = gw.dev.names.parse_list("1")
    # Nothing listens on the port: every URL's callback fails and waits for its retry.
    # The device's own methods drive the flood (2,000 requests of the API would be slow).
    for i in range(URLS):
        device.subscribe_status(f"http://127.0.0.1:{unused_tcp_port}/cb{i}", 3600, None)
        (device.lock if i % 2 == 0 else device.unlock)(one)
        await gw.advance(0)  # the attempt is made (and refused) before the next URL comes
    _, state = await gw.get("/_emulator/state")
    assert len(state["push"]) == MAX_TARGETS
    assert all(t["queued"] >= 1 and t["retrying"] for t in state["push"].values())
    # The newest URLs are held; each older one was let go, its callbacks journaled as dropped.
    urls = [f"http://127.0.0.1:{unused_tcp_port}/cb{i}" for i in range(URLS)]
    assert list(state["push"]) == urls[-MAX_TARGETS:]
    dropped = [e for e in gw.journal("callback") if e["outcome"] == "dropped"]
    assert {e["url"] for e in dropped} == set(urls[:-MAX_TARGETS])
    assert all("push.max_targets" in e["reason"] for e in dropped)
    metrics = await (await gw.client.get("/_emulator/metrics")).text()
    assert f"goip_callback_targets {MAX_TARGETS}\n" in metrics
    assert f'goip_callbacks_total{{type="port-status",outcome="dropped"}} {len(dropped)}' in metrics

    # Nothing is stuck behind the flood: a working receiver gets what is sent to it, and
    # the dead targets no setting names are let go for it.
    rec, port = await receivers("500", 0)
    await gw.get("/goip_get_status.html", url=f"http://127.0.0.1:{port}/", period=3600, **CREDS)
    await gw.get("/goip_send_cmd.html", op="lock", ports="2", **CREDS)
    await gw.advance(0)
    assert [p for p, _ in _ports(rec.accepted)] == [2]
    _, state = await gw.get("/_emulator/state")
    assert len(state["push"]) == MAX_TARGETS


async def test_a_new_url_is_dropped_while_every_held_target_is_mid_attempt(
    gateway_factory, receivers
) -> None:
    gw: Gateway = await gateway_factory(small(push={"timeout": TIMEOUT, "max_targets": 1}))
    await gw.advance(10)
    slow, slow_port = await receivers("hanging", 1)
    fine, fine_port = await receivers("500", 0)
    slow_url, fine_url = (f"http://127.0.0.1:{p}/cb" for p in (slow_port, fine_port))
    await gw.get("/goip_get_status.html", url=slow_url, period=3600, **CREDS)
    await gw.get("/goip_send_cmd.html", op="lock", ports="1", **CREDS)
    while not slow.attempts:  # its POST is on the wire, unanswered
        await asyncio.sleep(0.01)
    await gw.get("/goip_get_status.html", url=fine_url, period=3600, **CREDS)
    await gw.get("/goip_send_cmd.html", op="lock", ports="2", **CREDS)
    (dropped,) = [e for e in gw.journal("callback") if e["outcome"] == "dropped"]
    assert dropped["url"] == fine_url and "push.max_targets" in dropped["reason"]
    await gw.advance(600)
    assert [p for p, _ in _ports(slow.accepted)] == [1]  # retried after its timeout
    # The table had room again: the next callback to the new URL is delivered.
    await gw.get("/goip_send_cmd.html", op="lock", ports="3", **CREDS)
    await gw.advance(0)
    assert [p for p, _ in _ports(fine.accepted)] == [3]
    _, state = await gw.get("/_emulator/state")
    assert list(state["push"]) == [fine_url]
