"""No secret reaches a log line, and under --log-format json every stderr line is JSON.

The real `goip-emulator serve` process gets malformed requests carrying a known password
(aiohttp's own parse errors used to print their raw bytes), a refused handshake (whose
desc quotes the auth digest) and callback URLs with user:pass@."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys

PASSWORD = "Pw-7c1e9f2a"


async def send(port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    try:
        return await asyncio.wait_for(reader.read(65536), 3)
    except (TimeoutError, ConnectionError):
        return b""
    finally:
        writer.close()


async def test_malformed_requests_leave_no_password_in_json_logs(serve, tmp_path):
    profile = tmp_path / "secret.yaml"
    profile.write_text(f"device:\n  ports: 4\n  slots: 1\n  password: {PASSWORD}\n")
    served = await serve(
        "--profile", str(profile), "--log-format", "json", "--log-level", "debug", "--no-front"
    )
    port = int(served.url.rsplit(":", 1)[1])
    creds = f"username=root&password={PASSWORD}".encode()
    digest = hashlib.md5(f"root{PASSWORD}abc/crypt_sess.json".encode()).hexdigest()[::-1]
    requests = [
        b"GET /goip_get_status.html?" + creds + b"\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /goip_get_status.html?" + creds + b"&x=" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
        b"GET /goip_get_status.html?" + creds + b" HTTP/1.1\r\nHost: x\r\nX: \x02\r\n\r\n",
        b"POST /goip_get_sms.html?" + creds + b" HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        b"GET /goip_get_status.html?" + creds + b" HTTP/1.1\nHost: x\n\n",
        b"\x16\x03\x01" + creds,
        b"GET /goip_get_status.html?" + creds + b" HTTP/2.0\r\nHost: x\r\n\r\n",
        f"GET /crypt_sess.json?username=root&cnonce=abc&auth={digest} HTTP/1.1\r\n"
        "Host: x\r\n\r\n".encode(),
        b"GET /goip_get_status.html?"
        + creds
        + b"&url=http://cb:"
        + PASSWORD.encode()
        + b"@127.0.0.1:9/x&period=60 HTTP/1.1\r\nHost: x\r\n\r\n",
    ]
    for raw in requests:
        await send(port, raw)
    # and the same through the front
    await served.stop()
    served = await serve("--profile", str(profile), "--log-format", "json", "--log-level", "debug")
    port = int(served.url.rsplit(":", 1)[1])
    for raw in requests:
        await send(port, raw)
    await asyncio.sleep(0.2)
    assert await served.stop() == 0
    stderr = (await served.proc.stderr.read()).decode()
    lines = stderr.splitlines()
    assert any('"http_error"' in line for line in lines)  # the parse errors were logged
    assert any('"handshake_refused"' in line for line in lines)
    for line in lines:
        json.loads(line)  # every line is a JSON object
        assert PASSWORD not in line, line
        assert digest not in line, line


def test_asyncio_and_warnings_come_out_as_json_without_the_password():
    script = f"""
import asyncio, gc, warnings, logging
from emulator.record.logs import configure
configure("json")

async def fails():
    raise ValueError("GET /x?username=root&password={PASSWORD}")

async def main():
    asyncio.get_running_loop().create_task(fails())
    await asyncio.sleep(0.05)
    gc.collect()

asyncio.run(main())
gc.collect()
warnings.warn("http://u:{PASSWORD}@host/")
logging.getLogger("aiohttp.access").warning("GET /?password={PASSWORD}")
raise RuntimeError("token={PASSWORD}")
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode != 0
    lines = out.stderr.splitlines()
    events = [json.loads(line)["event"] for line in lines]
    assert any(e.startswith("Task exception was never retrieved") for e in events)
    assert "uncaught_exception" in events
    assert any("u:***@host" in line for line in lines)
    assert all(PASSWORD not in line for line in lines), out.stderr
