"""Datagrams to callbacks and back: one bound UDP socket per DBL line.

The edge knows nothing of the protocol: what arrives is handed to `received`, whole,
at once, on the event loop; `send` hands a datagram to the socket (asyncio writes it
at once when the socket can take it, so a virtual-clock advance that made it has
handed it over before it returns).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

import structlog

log = structlog.get_logger("emulator")

Addr = tuple[str, int]
Received = Callable[[bytes, Addr], None]


class UdpEndpoint(asyncio.DatagramProtocol):
    """One bound socket; `received` is told of every datagram."""

    def __init__(self, received: Received, name: str) -> None:
        self._received = received
        self.name = name
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport is not a subclass of DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            self._received(data, (str(addr[0]), int(addr[1])))
        except Exception:  # one bad datagram must not close the line's socket
            log.exception("udp_handler_failed", socket=self.name, size=len(data))

    def error_received(self, exc: Exception) -> None:
        # An ICMP port unreachable from a server that is not up yet: UDP goes on.
        log.debug("udp_error", socket=self.name, error=str(exc))

    def send(self, data: bytes, addr: Addr) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, addr)

    @property
    def local_port(self) -> int:
        if self.transport is None:
            return 0
        return int(self.transport.get_extra_info("sockname")[1])

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None


async def open_udp(host: str, port: int, received: Received, name: str) -> UdpEndpoint:
    """A socket bound on host:port (0: any free port); OSError when it cannot be."""
    loop = asyncio.get_running_loop()
    _, endpoint = await loop.create_datagram_endpoint(
        lambda: UdpEndpoint(received, name), local_addr=(host, port)
    )
    return endpoint
