"""`serve --ready-file` and the `health` verb: how the Docker image's health check finds
the port actually served."""

from __future__ import annotations

import json
import subprocess
import sys


async def test_health_reads_the_port_from_the_ready_file(serve, tmp_path):
    ready = tmp_path / "ready"
    served = await serve("--clock", "virtual", "--ready-file", str(ready))
    assert ready.read_text() == f"ready {served.url}\n"
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "health", "--ready-file", str(ready)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["status"] == "ok" and doc["registering"] == 0 and doc["registered"] == 32
    await served.stop()


def test_health_without_a_ready_file_fails_clearly(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "health", "--ready-file", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0 and "cannot read" in result.stderr
