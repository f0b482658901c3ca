"""The command line as a Unix tool: pipes that close early, pure JSON on stdout, clear
one-line errors with exit code 2, and a `serve` that never ends in a traceback."""

import asyncio
import base64
import json
import os
import socket
import struct
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from serving import start_serve

BIN = Path(sys.executable).parent / "goip-emulator"


def goip(*args, env=None, stdout=subprocess.PIPE, timeout=60):
    """The installed entry point, as a user runs it."""
    return subprocess.run(
        [str(BIN), *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


def with_closed_stdout(*args):
    """Run with stdout a pipe whose reader is already gone: every write meets EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return goip(*args, stdout=write_end)
    finally:
        os.close(write_end)


def assert_one_line_error(result, *words):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


# -- closed pipes --------------------------------------------------------------------


def test_profiles_into_a_closed_pipe_ends_quietly():
    result = with_closed_stdout("profiles")
    assert result.stderr == ""
    assert result.returncode == 141


async def test_state_json_into_a_closed_pipe_ends_quietly(serve):
    served = await serve("--clock", "virtual")
    result = await asyncio.to_thread(with_closed_stdout, "state", "--json", "--url", served.url)
    assert result.stderr == ""
    assert result.returncode == 141


async def test_state_json_piped_into_head(serve):
    served = await serve("--clock", "virtual")
    shell = f"'{BIN}' state --json --url {served.url} | head -n 2"
    result = await asyncio.to_thread(
        subprocess.run, ["sh", "-c", shell], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.splitlines()[0] == "{"
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


# -- environment and startup errors ----------------------------------------------------


@pytest.mark.parametrize("command", [["profiles"], ["validate", "default"], ["state"]])
def test_a_bad_goip_port_does_not_break_other_commands(command):
    result = goip(*command, env={"GOIP_PORT": "abc", "GOIP_URL": "http://127.0.0.1:9"})
    assert "Traceback" not in result.stderr and "GOIP_PORT" not in result.stderr
    assert result.returncode == (3 if command == ["state"] else 0)  # their own outcome


def test_serve_with_a_bad_goip_port_is_one_line_exit_2():
    result = goip("serve", env={"GOIP_PORT": "abc"})
    assert_one_line_error(result, "GOIP_PORT='abc'", "not a port number")


def test_serve_with_a_bad_goip_clock_is_one_line_exit_2():
    result = goip("serve", "--port", "0", env={"GOIP_CLOCK": "bogus"})
    assert_one_line_error(result, "GOIP_CLOCK='bogus'", "real, virtual")


def test_speed_with_a_virtual_clock_is_refused():
    result = goip("serve", "--port", "0", "--clock", "virtual", "--speed", "10")
    assert_one_line_error(result, "--speed", "virtual")
    result = goip("serve", "--port", "0", "--speed", "10", env={"GOIP_CLOCK": "virtual"})
    assert_one_line_error(result, "--speed")


def test_serve_with_a_bad_profile_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("device:\n  ports: 0\n  slots: 99\n")
    result = goip("serve", "--port", "0", "--profile", str(bad))
    assert_one_line_error(result, "cannot load profile", "bad.yaml:2", "more")


async def test_serve_on_a_port_in_use_is_one_line_exit_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = await asyncio.to_thread(goip, "serve", "--port", str(port))
    assert_one_line_error(result, f"cannot listen on 127.0.0.1:{port}")


# -- the sink ------------------------------------------------------------------------


async def start_sink(*args):
    proc = await asyncio.create_subprocess_exec(
        str(BIN),
        "sink",
        "--port",
        "0",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    stream = proc.stderr if "--json" in args else proc.stdout
    banner = (await asyncio.wait_for(stream.readline(), 20)).decode()
    assert banner.startswith("sink listening on http://127.0.0.1:")
    return proc, banner.split()[-1]


def recv_sms(text, headers=""):
    content = base64.b64encode((headers + text).encode()).decode()
    return {
        "type": "recv-sms",
        "sms_num": 1,
        "sms": [[0, "2.01", 1767225600, "+15550001", "13800000001", content]],
    }


async def test_sink_json_stdout_is_pure_json_with_texts_decoded(serve):
    served = await serve("--clock", "virtual", "--profile", "field-firmware")
    proc, url = await start_sink("--json")
    try:
        async with aiohttp.ClientSession() as http:
            await http.get(
                f"{served.url}/goip_send_cmd.html",
                params={"username": "root", "password": "root", "op": "set", "sms_url": url},
            )
            await http.post(f"{served.url}/_emulator/clock/advance", json={"seconds": 30})
            async with http.post(
                f"{served.url}/_emulator/sms",
                json={"port": "2", "sender": "+15550001", "text": "héllo"},
            ) as resp:
                assert (await resp.json())["outcome"] == "received"
        line = json.loads(await asyncio.wait_for(proc.stdout.readline(), 20))
        [sms] = line["sms"]
        assert sms["text"] == "héllo"  # the header block of field firmware split off
        assert sms["headers"]["Sender"] == "+15550001"
        assert "SMSC" in sms["headers"] and "SCTS" in sms["headers"]
        assert line["body"]["type"] == "recv-sms"  # the body as it came, too
    finally:
        proc.terminate()
        await proc.wait()
    rest = await proc.stdout.read()
    for extra in rest.decode().splitlines():
        json.loads(extra)  # nothing but JSON on stdout


async def test_sink_shows_received_texts_decoded():
    proc, url = await start_sink()
    try:
        async with aiohttp.ClientSession() as http:
            await http.post(url, json=recv_sms("STOP"))
            headers = 'Sender: +15550001\r\nReceiver: "2.01" 1380\r\nSMSC: +86130\r\n\r\n'
            await http.post(url, json=recv_sms("second", headers))
        lines = []
        while not any("'second'" in line for line in lines):
            lines.append((await asyncio.wait_for(proc.stdout.readline(), 20)).decode())
    finally:
        proc.terminate()
        await proc.wait()
    text = "".join(lines)
    assert "sms on 2.01 from +15550001 to 13800000001: 'STOP'" in text
    assert "'second'  [Sender: +15550001" in text and "SMSC: +86130" in text


# -- the event stream ------------------------------------------------------------------


async def test_an_event_stream_reader_that_goes_away_is_no_error():
    served = await start_serve("--clock", "virtual", "--log-format", "json")
    try:
        async with aiohttp.ClientSession() as http:
            # A backlog large enough to be going out when the reader leaves.
            big = [{"port": "1", "sender": "+1555", "text": "x" * 5000} for _ in range(150)]
            for _ in range(4):
                async with http.post(f"{served.url}/_emulator/sms", json=big) as resp:
                    assert resp.status == 200
        host, port = served.url.removeprefix("http://").split(":")
        for _ in range(3):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect((host, int(port)))
            sock.sendall(b"GET /_emulator/journal/stream?since=0 HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(64).startswith(b"HTTP/1.1 200")
            # Reset, not a polite close: what a browser tab that is killed does.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        async with aiohttp.ClientSession() as http:
            for slot in ("4A", "4B", "4C"):  # new entries for readers that are gone
                await http.post(f"{served.url}/_emulator/sims/{slot}", json={"event": "block"})
            async with http.get(f"{served.url}/_emulator/health") as resp:
                assert resp.status == 200
    finally:
        assert await served.stop() == 0
    err = (await served.proc.stderr.read()).decode()
    levels = [json.loads(line).get("level") for line in err.splitlines() if line.startswith("{")]
    assert levels and "error" not in levels, err[-3000:]
