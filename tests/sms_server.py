"""A real SMS server socket on 127.0.0.1 for the DBL tests: what arrives, and answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

Addr = tuple[str, int]
# What a line sends unasked: keepalives and pushes.
UNASKED = (b"req:", b"RECEIVE:", b"DELIVER:", b"STATE:", b"RECORD:", b"HANGUP:", b"REMAIN:")


class SmsServer(asyncio.DatagramProtocol):
    """Collects datagrams in arrival order; `send` answers to any address."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[tuple[bytes, Addr]] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None
        self.skipped: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Addr) -> None:
        self.inbox.put_nowait((data, (addr[0], addr[1])))

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def send(self, data: bytes, addr: Addr) -> None:
        assert self.transport is not None
        self.transport.sendto(data, addr)

    async def recv(self, timeout: float = 5.0) -> tuple[bytes, Addr]:
        return await asyncio.wait_for(self.inbox.get(), timeout)

    async def recv_all(self, count: int, timeout: float = 5.0) -> list[tuple[bytes, Addr]]:
        return [await self.recv(timeout) for _ in range(count)]

    async def keepalives(self, count: int, timeout: float = 5.0) -> list[tuple[bytes, Addr]]:
        """The next `count` keepalives; pushes between them are kept in `skipped`."""
        found: list[tuple[bytes, Addr]] = []
        while len(found) < count:
            data, addr = await self.recv(timeout)
            if data.startswith(b"req:"):
                found.append((data, addr))
            else:
                self.skipped.append(data)
        return found

    async def quiet(self, seconds: float = 0.2) -> list[tuple[bytes, Addr]]:
        """Whatever arrives within `seconds` of real time (nothing, when all is well)."""
        await asyncio.sleep(seconds)
        found = []
        while not self.inbox.empty():
            found.append(self.inbox.get_nowait())
        return found

    async def ask(self, data: bytes, addr: Addr, timeout: float = 5.0) -> bytes:
        """Send a request to a line and return its answer: the next datagram that is no
        keepalive or push (those are kept in `skipped`)."""
        self.send(data, addr)
        while True:
            answer, _ = await self.recv(timeout)
            if not answer.startswith(UNASKED):
                return answer
            self.skipped.append(answer)


@asynccontextmanager
async def sms_server() -> AsyncIterator[SmsServer]:
    loop = asyncio.get_running_loop()
    transport, server = await loop.create_datagram_endpoint(SmsServer, local_addr=("127.0.0.1", 0))
    try:
        yield server
    finally:
        transport.close()
