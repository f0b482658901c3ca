"""Shared helpers: child processes, a receiver process, RSS, and the report format."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import subprocess
import sys
from typing import Any

# `goip-emulator serve` on a free port, as the benchmarks start it (options follow).
SERVE = [sys.executable, "-m", "emulator", "serve", "--port", "0"]


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


def rss_mb(pid: int | None = None) -> float:
    """Resident set size from /proc (Linux), in MB."""
    with open(f"/proc/{pid or os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_child(module: str, *args: str, timeout: float = 600) -> dict[str, Any]:
    """Run `python -m module args` and parse the JSON object it prints last."""
    out = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{module} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n== {title}")
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


async def start_receiver_process() -> tuple[asyncio.subprocess.Process, str]:
    """A callback receiver in its own process, so it does not share our CPU time slice."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.receiver",
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
    return proc, line.split()[-1]
