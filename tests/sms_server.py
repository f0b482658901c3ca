"""The DBL tests' SMS server: the public helper (emulator/testing/sms_server.py) with
its answers off, so a test sends each ack itself and sees every datagram in its queue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from emulator.testing.sms_server import UNASKED, SmsServer

__all__ = ["UNASKED", "SmsServer", "sms_server"]


@asynccontextmanager
async def sms_server() -> AsyncIterator[SmsServer]:
    async with SmsServer(ack=False, login=False) as server:
        yield server
