"""P1 device API: req/s and p99 at 64 connections with wrk, against references.

Endpoints: goip_post_sms.html (a 1-task POST, each with a new tid, so the emulator
does the real work: validate, queue, send) and goip_get_status.html (the 32x4
dev-status document). References measured in the same run, same wrk settings:
- a bare aiohttp handler in its own process answering the emulator's exact JSON;
- where Java is present, a warmed WireMock standalone stub of the same answers
  (npm package `wiremock` ships the jar; fetched into bench/.cache on first use).
Target: emulator >= 0.9x the bare figure, ahead of WireMock, p99 <= 10 ms.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import SERVE, machine, report, verdict

CACHE = Path(__file__).parent / ".cache"
WIREMOCK_VERSION = "3.13.2"
CONNECTIONS = 64
DURATION = os.environ.get("BENCH_DURATION", "5s")
# The emulator and the bare reference take turns, ROUNDS times each, and the medians are
# compared: a neighbour's burst then hits both sides instead of deciding the verdict.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CREDS = "username=root&password=root"
POST_LUA = """
local thread_counter = 0
function setup(thread)
  thread:set("offset", thread_counter * 100000000)
  thread_counter = thread_counter + 1
end
function init(args)
  counter = offset
end
function request()
  counter = counter + 1
  local body = '{"type":"send-sms","task_num":1,"tasks":[{"tid":' .. counter ..
    ',"to":"13686876620","sms":"hello123"}]}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
"""
BENCH_PROFILE = """
name: bench
seed: 1
sending:
  max_tasks: 10000000
journal:
  max_entries: 10000
"""


def _start(cmd: list[str], ready: str, timeout: float = 60) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if ready in line:
            match = re.search(r"http://[\d.:]+", line)
            if match:
                return proc, match.group(0)
            return proc, ""
    proc.kill()
    raise RuntimeError(f"{cmd[0]} did not become ready")


def _wrk(url: str, script: str | None) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * scale,
        "non2xx": float(non2xx.group(1)) if non2xx else 0.0,
    }


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median req/s, so its p99 belongs to the same run."""
    ordered = sorted(runs, key=lambda run: run["rps"])
    return ordered[len(ordered) // 2]


def _fetch(url: str, body: bytes | None = None) -> Any:
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


def _wiremock_jar() -> Path | None:
    if shutil.which("java") is None or shutil.which("npm") is None:
        return None
    jar = (
        CACHE
        / "node_modules"
        / "wiremock"
        / "build"
        / f"wiremock-standalone-{WIREMOCK_VERSION}.jar"
    )
    if not jar.exists():
        CACHE.mkdir(exist_ok=True)
        subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(CACHE), f"wiremock@{WIREMOCK_VERSION}"],
            check=False,
            capture_output=True,
        )
    return jar if jar.exists() else None


def _wiremock(answers: dict[str, Any], root: Path) -> tuple[subprocess.Popen[str], str] | None:
    jar = _wiremock_jar()
    if jar is None:
        return None
    mappings = root / "mappings"
    mappings.mkdir(parents=True)
    for index, (path, doc) in enumerate(answers.items()):
        stub = {
            "request": {"urlPath": path, "method": "ANY"},
            "response": {
                "status": 200,
                "jsonBody": doc,
                "headers": {"Content-Type": "application/json;charset=utf-8"},
            },
        }
        (mappings / f"{index}.json").write_text(json.dumps(stub))
    port = _free_port()
    proc = subprocess.Popen(
        [
            "java",
            "-jar",
            str(jar),
            "--port",
            str(port),
            "--root-dir",
            str(root),
            "--no-request-journal",
            "--disable-banner",
            "--async-response-enabled",
            "true",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            _fetch(f"{url}/__admin/mappings")
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    return None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    if shutil.which("wrk") is None:
        print("P1 needs wrk: apt-get install wrk (make bench installs it)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        profile = root / "bench.yaml"
        profile.write_text(BENCH_PROFILE)
        script = root / "post.lua"
        script.write_text(POST_LUA)
        emulator, emu_url = _start(
            [
                *SERVE,
                "--profile",
                str(profile),
                "--log-level",
                "warning",
            ],
            "ready",
        )
        procs: list[subprocess.Popen[str]] = [emulator]
        try:
            time.sleep(10)  # let every SIM register (real clock)
            status_path, sms_path = "/goip_get_status.html", "/goip_post_sms.html"
            sample_task = json.dumps(
                {
                    "type": "send-sms",
                    "task_num": 1,
                    "tasks": [{"tid": 1, "to": "13686876620", "sms": "hello123"}],
                }
            ).encode()
            answers = {
                status_path: _fetch(f"{emu_url}{status_path}?{CREDS}"),
                sms_path: _fetch(f"{emu_url}{sms_path}?{CREDS}", sample_task),
            }
            answers_file = root / "answers.json"
            answers_file.write_text(json.dumps(answers))
            bare, bare_url = _start(
                [sys.executable, "-m", "bench.bare_server", str(answers_file)], "ready"
            )
            procs.append(bare)
            targets = {"emulator": emu_url, "bare aiohttp": bare_url}
            wm = _wiremock(answers, root / "wiremock")
            if wm is not None:
                procs.append(wm[0])
                targets["WireMock"] = wm[1]
            runs: dict[tuple[str, str], list[dict[str, float]]] = {}
            for name, url in targets.items():
                if name == "WireMock":  # the JVM needs warming before it is fair to measure
                    _wrk(f"{url}{status_path}?{CREDS}", None)
                    _wrk(f"{url}{sms_path}?{CREDS}", str(script))
            for _ in range(ROUNDS):
                for name, url in targets.items():
                    runs.setdefault((name, "post_sms"), []).append(
                        _wrk(f"{url}{sms_path}?{CREDS}", str(script))
                    )
                    runs.setdefault((name, "get_status"), []).append(
                        _wrk(f"{url}{status_path}?{CREDS}", None)
                    )
            results = {key: _median(values) for key, values in runs.items()}
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()

    rows: list[tuple[str, str]] = []
    for endpoint in ("post_sms", "get_status"):
        emu, ref = results[("emulator", endpoint)], results[("bare aiohttp", endpoint)]
        ratio = emu["rps"] / ref["rps"]
        rows.append(
            (
                f"{endpoint}: emulator",
                f"{emu['rps']:,.0f} req/s, p99 {emu['p99_ms']:.1f} ms"
                f" (non-2xx {emu['non2xx']:.0f})",
            )
        )
        rows.append(
            (f"{endpoint}: bare aiohttp", f"{ref['rps']:,.0f} req/s, p99 {ref['p99_ms']:.1f} ms")
        )
        wm_row = results.get(("WireMock", endpoint))
        if wm_row:
            rows.append(
                (
                    f"{endpoint}: WireMock",
                    f"{wm_row['rps']:,.0f} req/s, p99 {wm_row['p99_ms']:.1f} ms",
                )
            )
        ahead = wm_row is None or emu["rps"] > wm_row["rps"]
        rows.append(
            (
                f"{endpoint}: verdict",
                f"{ratio:.2f}x bare (>= 0.9 {verdict(ratio >= 0.9)}), "
                f"p99 <= 10 ms {verdict(emu['p99_ms'] <= 10)}, "
                f"ahead of WireMock {verdict(ahead) if wm_row else 'n/a (no Java)'}",
            )
        )
    title = f"wrk -t2 -c{CONNECTIONS} -d{DURATION}, median of {ROUNDS} alternating rounds"
    report(f"P1 device API, {title} ({machine()})", rows)


if __name__ == "__main__":
    main()
