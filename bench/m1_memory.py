"""M1 memory: the RSS of `goip-emulator serve` idle, under slow bodies and one huge task.

Not a timed benchmark: it shows what the transport's bounds (docs/decisions.md,
"Transport under abuse") hold the process to.
- idle: after boot and one request;
- slow bodies: SLOW_CONNECTIONS connections each send a head announcing 1 MiB and all
  but 1 KiB of the body, then stall; the peak RSS while they hang, and how long the
  device holds them (device.read_timeout closes them with a 408);
- huge task: one goip_post_sms.html POST of 48 tasks x 10,000 recipients (about 6 MB of
  JSON; the bench profile allows bodies of 16 MiB), the RSS once it is answered.
The bounds are the profile's defaults: read_timeout 30 s, max_body_in_flight 32 MiB.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import tempfile
import time

from bench.common import SERVE, machine, report, rss_mb

SLOW_CONNECTIONS = int(os.environ.get("BENCH_SLOW_CONNECTIONS", "800"))
HOLD_LIMIT = float(os.environ.get("BENCH_HOLD_LIMIT", "90"))
BODY = 1024 * 1024
PROFILE = """
name: memory
seed: 1
device:
  max_body: 16777216
journal:
  max_entries: 10000
"""
CREDS = "username=root&password=root"


async def _start(profile: str) -> tuple[asyncio.subprocess.Process, int]:
    proc = await asyncio.create_subprocess_exec(
        *SERVE,
        "--profile",
        profile,
        "--log-level",
        "warning",
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    while True:
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        if line.startswith("ready "):
            return proc, int(line.split()[1].rsplit(":", 1)[1])


async def _request(port: int, raw: bytes, timeout: float = 120) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    match = re.search(rb"Content-Length: (\d+)", head)
    body = await reader.readexactly(int(match.group(1))) if match else b""
    writer.close()
    return int(head.split()[1]), body


async def _slow_body(port: int, held: list[float], started: float) -> None:
    """Send all but the last KiB of a 1 MiB body, then wait for the device to give up."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = (
            f"POST /goip_post_sms.html?{CREDS} HTTP/1.1\r\nHost: x\r\n"
            f"Content-Length: {BODY}\r\n\r\n"
        ).encode()
        writer.write(head)
        chunk = b"x" * 65536
        sent = 0
        while sent < BODY - 1024:
            part = chunk[: min(len(chunk), BODY - 1024 - sent)]
            writer.write(part)
            sent += len(part)
            await writer.drain()  # a device that is not reading holds us here
    except (ConnectionError, OSError):
        held.append(time.monotonic() - started)
        return
    with contextlib.suppress(ConnectionError, OSError, TimeoutError):
        # A device without a bound holds them for an hour: the bench stops waiting before.
        await asyncio.wait_for(reader.read(), HOLD_LIMIT)
    held.append(time.monotonic() - started)
    writer.close()


async def _watch(pid: int, until: asyncio.Event, peak: list[float]) -> None:
    while not until.is_set():
        peak[0] = max(peak[0], rss_mb(pid))
        await asyncio.sleep(0.1)


def _huge_task() -> bytes:
    tasks = [
        {
            "tid": t,
            "to": ",".join(str(13_000_000_000 + t * 10_000 + i) for i in range(10_000)),
            "sms": "hello",
        }
        for t in range(1, 49)
    ]
    body = json.dumps({"type": "send-sms", "task_num": len(tasks), "tasks": tasks}).encode()
    return (
        f"POST /goip_post_sms.html?{CREDS} HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _run() -> list[tuple[str, str]]:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(PROFILE)
    proc, port = await _start(f.name)
    try:
        await _request(port, f"GET /goip_get_sms.html?{CREDS} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        await asyncio.sleep(1)
        idle = rss_mb(proc.pid)

        done = asyncio.Event()
        peak = [0.0]
        watcher = asyncio.create_task(_watch(proc.pid, done, peak))
        held: list[float] = []
        started = time.monotonic()
        await asyncio.gather(*(_slow_body(port, held, started) for _ in range(SLOW_CONNECTIONS)))
        done.set()
        await watcher
        after_slow = rss_mb(proc.pid)

        raw = _huge_task()
        started = time.monotonic()
        status, answer = await _request(port, raw)
        huge_s = time.monotonic() - started
        await asyncio.sleep(1)
        huge = rss_mb(proc.pid)
        doc = json.loads(answer)
        codes = sorted({s.get("status", "?") for s in doc.get("status", [])} or {doc.get("code")})
    finally:
        proc.terminate()
        await proc.wait()
        os.unlink(f.name)
    return [
        ("idle", f"{idle:.0f} MB"),
        (
            f"slow bodies: {SLOW_CONNECTIONS} x 1 MiB - 1 KiB",
            f"peak {peak[0]:.0f} MB, {after_slow:.0f} MB after; held {min(held):.1f}-"
            f"{max(held):.1f} s" + (" (the bench's limit)" if max(held) >= HOLD_LIMIT else ""),
        ),
        (
            "huge task: 48 x 10,000 recipients",
            f"{huge:.0f} MB after; {len(raw) / 1e6:.1f} MB body, HTTP {status}, "
            f"task status {codes}, {huge_s:.1f} s",
        ),
    ]


def main() -> None:
    rows = asyncio.run(_run())
    report(f"M1 memory of serve, default transport bounds ({machine()})", rows)


if __name__ == "__main__":
    main()
