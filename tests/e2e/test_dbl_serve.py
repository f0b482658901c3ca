"""`goip-emulator serve` as a DBL GoIP: the real process, a real SMS server socket."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys

import aiohttp
from sms_server import sms_server


def run_serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--clock", "virtual", "--port", "0", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


async def test_dbl_goip8_is_ready_with_a_socket_per_line_and_talks_to_its_server(serve):
    async with sms_server() as server:
        served = await serve(
            "--profile", "dbl-goip8", "--clock", "virtual", "--host", "127.0.0.1",
            "--sms-server", server.address, "--sms-local-port", "0",
        )  # fmt: skip
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{served.url}/_emulator/state") as resp:
                lines = (await resp.json())["dbl"]
            assert [line["line"] for line in lines] == list(range(1, 9))
            assert all(line["server"] == server.address for line in lines)
            ports = [line["local_port"] for line in lines]
            assert len(set(ports)) == 8 and all(ports)
            async with http.post(f"{served.url}/_emulator/clock/advance", json={"seconds": 1}):
                pass
            got = await server.recv_all(8)
            by_port = {addr[1]: data.decode() for data, addr in got}
            assert set(by_port) == set(ports)
            for n, port in enumerate(ports, 1):
                assert by_port[port].startswith(f"req:1;id:goip{n:02d};pass:goip;")
                assert ";gsm_status:LOGIN;" in by_port[port]  # warm boot: registered at ready
            # A bulk send through line 3, answered to the address it came from.
            addr = ("127.0.0.1", ports[2])
            assert await server.ask(b"MSG 1 2 hi\n", addr) == b"PASSWORD 1\n"
            assert await server.ask(b"PASSWORD 1 goip\n", addr) == b"SEND 1\n"
            assert await server.ask(b"SEND 1 1 +15550003\n", addr) == b"WAIT 1 1\n"
            async with http.post(f"{served.url}/_emulator/clock/advance", json={"seconds": 5}):
                pass
            assert (await server.recv())[0] == b"OK 1 1 1\n"
            async with http.get(
                f"{served.url}/_emulator/journal", params={"kind": "device"}
            ) as resp:
                entries = (await resp.json())["entries"]
            sent = [e for e in entries if e["type"] == "sms_sent"]
            assert [(e["line"], e["to"], e["ok"]) for e in sent] == [(3, "+15550003", True)]
            # Nothing of the EJOIN API.
            async with http.get(
                f"{served.url}/goip_get_status.html",
                params={"username": "admin", "password": "admin"},
            ) as resp:
                assert resp.status == 404


async def test_a_udp_port_in_use_is_a_one_line_error_naming_the_line():
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        # Line 2 of a GoIP-4 binds local_port + 1: the port taken.
        result = await asyncio.to_thread(
            run_serve, "--profile", "dbl-goip4", "--sms-local-port", str(port - 1)
        )
    finally:
        taken.close()
    assert result.returncode == 2
    assert "ready" not in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("goip-emulator:")]
    assert len(errors) == 1
    assert f"line 2: cannot bind UDP 127.0.0.1:{port}" in errors[0]


def test_sms_server_flags_are_refused_on_an_ejoin_profile():
    result = run_serve("--profile", "goip8", "--sms-server", "127.0.0.1:44444")
    assert result.returncode == 2
    assert "--sms-server: profile 'goip8' is not a DBL GoIP device" in result.stderr


def test_a_malformed_sms_server_is_refused():
    result = run_serve("--profile", "dbl-goip1", "--sms-server", "localhost")
    assert result.returncode == 2
    assert "--sms-server: 'localhost' is not HOST:PORT" in result.stderr


async def test_the_udp_sink_plays_the_sms_server_prints_and_acks(serve):
    sink = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "emulator", "sink", "--udp", "0", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert sink.stderr is not None and sink.stdout is not None
        banner = (await asyncio.wait_for(sink.stderr.readline(), 20)).decode()
        assert banner.startswith("sink listening on udp://127.0.0.1:")
        address = banner.split("udp://")[1].strip()
        served = await serve(
            "--profile", "dbl-goip1", "--clock", "virtual",
            "--sms-server", address, "--sms-local-port", "0",
        )  # fmt: skip
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{served.url}/_emulator/clock/advance", json={"seconds": 1}):
                pass
            keepalive = json.loads(await asyncio.wait_for(sink.stdout.readline(), 20))
            assert keepalive["text"].startswith("req:1;id:goip01;")
            assert keepalive["ack"] == "reg:1;status:200;"
            body = {"port": "1", "sender": "+15550009", "text": "hello sink"}
            async with http.post(f"{served.url}/_emulator/sms", json=body):
                pass
            push = json.loads(await asyncio.wait_for(sink.stdout.readline(), 20))
            recvid = push["text"].split(";")[0].removeprefix("RECEIVE:")
            assert push["text"].endswith(";srcnum:+15550009;msg:hello sink")
            assert push["ack"] == f"RECEIVE {recvid} OK\n"
            for _ in range(100):  # the acks travel back: logged in, nothing pending
                async with http.get(f"{served.url}/_emulator/state") as resp:
                    line = (await resp.json())["dbl"][0]
                if line["sms_login"] and not line["pending"]:
                    break
                await asyncio.sleep(0.05)
            assert line["sms_login"] and line["pending"] == []
    finally:
        sink.terminate()
        await sink.wait()
