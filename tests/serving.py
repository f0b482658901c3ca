"""Start the real command line program, as a user would (the `serve` fixture)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class Served:
    proc: asyncio.subprocess.Process
    urls: list[str]

    @property
    def url(self) -> str:
        return self.urls[0]

    async def stop(self) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), 15)


async def start_serve(
    *args: str, devices: int = 1, env: dict[str, str] | None = None, port: bool = True
) -> Served:
    """`goip-emulator serve` on a free port (`port=False`: leave the port to `env`)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        "serve",
        *(["--port", "0"] if port else []),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    urls: list[str] = []
    assert proc.stdout is not None
    while len(urls) < devices:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        if not line:
            err = await proc.stderr.read() if proc.stderr else b""
            raise AssertionError(f"serve exited before ready: {err.decode()[-2000:]}")
        text = line.decode().strip()
        if text.startswith("ready "):
            urls.append(text.split()[1])
    return Served(proc, urls)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Any]]:
    started: list[Served] = []

    async def run(
        *args: str, devices: int = 1, env: dict[str, str] | None = None, port: bool = True
    ) -> Served:
        served = await start_serve(*args, devices=devices, env=env, port=port)
        started.append(served)
        return served

    yield run
    for served in started:
        if served.proc.returncode is None:
            served.proc.kill()
            await served.proc.wait()
