"""The DBL GoIP contract (DBL-GOIP.md), statement by statement, as a black-box tester reads it.

Each test drives a served DBL device from outside: real UDP sockets on 127.0.0.1 for the SMS
server (and a second one where the contract says "from any address"), a real HTTP client for
the web pages and the control API. Sections follow the contract's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from conftest import Gateway, make_profile, start_gateway
from sms_server import UNASKED, SmsServer, sms_server

Addr = tuple[str, int]
T0 = 1767225600  # 2026-01-01T00:00:00Z, the default virtual start
ENDS = [b"\n", b"\r\n", b"", b"\\n"]  # section 2: the four ends of a request


@pytest.fixture
async def server() -> AsyncIterator[SmsServer]:
    async with sms_server() as srv:
        yield srv


@pytest.fixture
async def other() -> AsyncIterator[SmsServer]:
    """A second socket: another address the device hears from."""
    async with sms_server() as srv:
        yield srv


@pytest.fixture
async def dbl(server: SmsServer) -> AsyncIterator[Callable[..., Any]]:
    made: list[Gateway] = []

    async def factory(**sections: Any) -> Gateway:
        base: dict[str, Any] = {
            "device": {"personality": "dbl", "ports": 2, "slots": 1},
            "dbl": {"server": server.address, "local_port": 0},
            "sending": {"latency": 2, "failure_rate": 0},
            "behaviour": {"registration_time": 3},
        }
        for key, value in sections.items():
            base[key] = {**base.get(key, {}), **value}
        gw = await start_gateway(make_profile(**base), seed=1)
        made.append(gw)
        await gw.runtime.open_udp("127.0.0.1")
        return gw

    yield factory
    for gw in made:
        await gw.client.close()
        await gw.runtime.close()


async def up(gw: Gateway, server: SmsServer) -> dict[int, Addr]:
    """Advance to the first keepalives: each line's address, by line."""
    await gw.advance(1)
    found = {}
    for data, addr in await server.recv_all(len(gw.device.ports)):
        fields = dict(f.split(":", 1) for f in data.decode().split(";") if ":" in f)
        found[int(fields["id"].removeprefix("goip"))] = addr
    return found


def fields(data: bytes) -> dict[str, str]:
    return dict(f.split(":", 1) for f in data.decode().split(";") if ":" in f)


async def answers(server: SmsServer, seconds: float = 0.2) -> list[bytes]:
    """What arrived that is neither a keepalive nor a push."""
    return [d for d, _ in await server.quiet(seconds) if not d.startswith(UNASKED)]


async def pushes(server: SmsServer, keyword: str, seconds: float = 0.2) -> list[bytes]:
    return [d for d, _ in await server.quiet(seconds) if d.startswith(keyword.encode() + b":")]


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


async def dbl_state(gw: Gateway) -> list[dict[str, Any]]:
    _, doc = await gw.get("/_emulator/state")
    return doc["dbl"]


async def session(server: SmsServer, addr: Addr, s: int, text: str = "hi") -> None:
    n = len(text.encode())
    assert await server.ask(f"MSG {s} {n} {text}\n".encode(), addr) == f"PASSWORD {s}\n".encode()
    assert await server.ask(f"PASSWORD {s} goip\n".encode(), addr) == f"SEND {s}\n".encode()


def sim_of(doc: dict[str, Any], port: int) -> dict[str, Any]:
    p = doc["ports"][port - 1]
    return next(s["sim"] for s in p["slots"] if s["slot"] == p["current"])


# --- 1. model and start-up -------------------------------------------------------------------


async def test_1_the_first_keepalive_is_due_1s_after_boot_then_every_30s(dbl, server):
    gw = await dbl()
    await gw.advance(0.99)
    assert await server.quiet(0.1) == []
    await gw.advance(0.01)
    assert len(await server.recv_all(2)) == 2
    await gw.advance(29.9)
    assert await server.quiet(0.1) == []
    await gw.advance(0.1)
    assert sorted(fields(d)["req"] for d, _ in await server.recv_all(2)) == ["2", "2"]


def test_1_the_bundled_dbl_goip8_profile():
    from emulator.config.profile import load_profile

    profile = load_profile("dbl-goip8")
    device = profile.device
    assert (device.personality, device.ports, device.slots) == ("dbl", 8, 1)
    assert (device.username, device.password, device.name) == ("admin", "admin", "GoIP-8")
    assert tuple(profile.sending.latency) == (2, 5) and profile.sending.failure_rate == 0
    d = profile.dbl
    assert (d.server, d.local_port, d.client_id, d.client_password) == (
        "127.0.0.1:44444", 9991, "goip{line:02d}", "goip",
    )  # fmt: skip
    assert (d.keepalive_period, d.retransmit_interval, d.retransmit_max) == (30, 3, 3)
    assert (d.session_idle, d.max_sessions, d.delivery_reports, d.delivery_delay) == (
        90, 5, True, 5,
    )  # fmt: skip
    assert (d.inbox_slots, d.send_error_code, d.ussd_latency) == (20, "38", 3)


# --- 2. UDP rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("end", ENDS, ids=["LF", "CRLF", "none", "backslash-n"])
async def test_2_every_request_may_end_in_each_of_the_four_ways(dbl, server, end):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    assert await server.ask(b"MSG 1 5 hello" + end, addr) == b"PASSWORD 1\n"
    assert await server.ask(b"PASSWORD 1 goip" + end, addr) == b"SEND 1\n"
    assert await server.ask(b"SEND 1 1 +15550001" + end, addr) == b"WAIT 1 1\n"
    await gw.advance(2)
    assert await answers(server) == [b"OK 1 1 1\n"]
    assert await server.ask(b"DONE 1" + end, addr) == b"DONE 1\n"
    assert await server.ask(b"get_gsm_num 2 goip" + end, addr) == b"get_gsm_num 2 \n"
    assert await server.ask(b"set_gsm_num 3 +1999 goip" + end, addr) == b"set_gsm_num 3 +1999 ok\n"
    assert await server.ask(b"USSDEXIT 4 goip" + end, addr) == b"USSDEXIT 4\n"
    server.send(b"USSD 5 goip *100#" + end, addr)
    await until(lambda: bool(gw.journal("udp", "USSD")))
    await gw.advance(3)
    assert (await answers(server))[0].startswith(b"USSD 5 Your balance is ")
    sent = gw.journal("device", "sms_sent")
    assert [(s["to"], s["text"]) for s in sent] == [("+15550001", "hello")]
    # Acks too: the keepalive's and a push's.
    server.send(b"reg:1;status:200;" + end, addr)
    await until(lambda: gw.dev.personality.lines[0].sms_login)  # type: ignore[attr-defined]
    await gw.post("/_emulator/sms", {"port": "1", "sender": "+1", "text": "x"})
    r = fields((await pushes(server, "RECEIVE"))[0])["RECEIVE"]
    server.send(f"RECEIVE {r} OK".encode() + end, addr)
    await until(lambda: not gw.dev.personality.lines[0].snapshot().pending)  # type: ignore[attr-defined]


async def test_2_answers_go_to_the_requests_source_and_acks_come_from_anywhere(dbl, server, other):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    # The request comes from another socket: its answer goes back there.
    assert (
        await other.ask(b"get_imei 1 goip\n", addr) == f"get_imei 1 {gw.device.imei(1)}\n".encode()
    )
    assert await server.quiet(0.1) == []
    # A push goes to the server; its ack from the other socket stops it.
    await gw.post("/_emulator/sms", {"port": "1", "sender": "+1", "text": "x"})
    r = fields((await pushes(server, "RECEIVE"))[0])["RECEIVE"]
    other.send(f"RECEIVE {r} OK\n".encode(), addr)
    await until(lambda: not gw.dev.personality.lines[0].snapshot().pending)  # type: ignore[attr-defined]
    # So does the keepalive's ack.
    other.send(b"reg:1;status:200;", addr)
    await until(lambda: gw.dev.personality.lines[0].sms_login)  # type: ignore[attr-defined]


async def test_2_bulk_answers_end_with_lf_keepalives_and_pushes_with_nothing(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    await gw.post("/_emulator/sms", {"port": "1", "sender": "+1", "text": "x"})
    push = (await pushes(server, "RECEIVE"))[0]
    assert not push.endswith((b"\n", b"\r"))
    await gw.advance(30)
    keepalive = [d for d, _ in await server.quiet() if d.startswith(b"req:")]
    assert keepalive and all(d.endswith(b";CGATT:Y;") for d in keepalive)
    assert (await server.ask(b"MSG 1 1 a", addr)).endswith(b"1\n")


async def test_2_a_datagram_the_device_cannot_parse_is_ignored_and_journaled_unparsed(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    for garbage in (b"SEND x 1 +1\n", b"\xff\xfe", b"PASSWORD\n", b"MSG a 1 x\n", b"HELLO 1"):
        server.send(garbage, addr)
    await until(lambda: len(gw.journal("udp")) >= 2 + 5)
    assert await server.quiet(0.1) == []
    ins = [e for e in gw.journal("udp") if e["dir"] == "in"]
    assert [e["outcome"] for e in ins] == ["unparsed"] * 5
    assert all(e["line"] == 1 and e["peer"] == f"127.0.0.1:{server.port}" for e in ins)


# --- 3. keepalive ----------------------------------------------------------------------------


async def test_3_the_keepalive_byte_for_byte(dbl, server):
    gw = await dbl()
    await up(gw, server)
    doc = await gw.state()
    sim = sim_of(doc, 1)
    imei = doc["ports"][0]["imei"]
    await gw.advance(30)
    got = {fields(d)["id"]: d for d, _ in await server.recv_all(2)}
    signal = sim["signal"]
    assert (
        got["goip01"]
        == (
            f"req:2;id:goip01;pass:goip;num:;signal:{signal};gsm_status:LOGIN;voip_status:LOGOUT;"
            f"voip_state:IDLE;remain_time:-1;imei:{imei};imsi:{sim['imsi']};iccid:{sim['iccid']};"
            f"pro:{sim['operator']};idle:0;disable_status:0;SMS_LOGIN:N;SMB_LOGIN:;"
            "CELLINFO:LAC:7E5,CELL ID:5E5B;CGATT:Y;"
        ).encode()
    )


async def test_3_idle_counts_whole_minutes_since_boot_then_since_the_last_call(dbl, server):
    gw = await dbl()
    await up(gw, server)
    await gw.advance(150)  # keepalives at 31..151: 2.5 minutes after boot at the last one
    by_n = {
        fields(d)["req"]: fields(d)["idle"]
        for d, _ in await server.quiet()
        if fields(d)["id"] == "goip01"
    }
    assert by_n == {"2": "0", "3": "1", "4": "1", "5": "2", "6": "2"}
    call = {"port": "1", "pdd": 1, "ring": 1, "talk": 10, "answer_ratio": 1, "number": "+1777"}
    await gw.post("/_emulator/calls", call)
    await gw.advance(30)  # the call ends at 163; keepalive 7 at 181
    k7 = [fields(d) for d, _ in await server.quiet() if d.startswith(b"req:7;id:goip01;")]
    assert k7[0]["idle"] == "0"
    await gw.advance(60)
    k9 = [fields(d) for d, _ in await server.quiet() if d.startswith(b"req:9;id:goip01;")]
    assert k9[0]["idle"] == "1"  # 241 - 163 = 78 s


async def test_3_voip_state_is_active_during_a_call(dbl, server):
    gw = await dbl()
    await up(gw, server)
    call = {"port": "2", "pdd": 1, "ring": 1, "talk": 60, "answer_ratio": 1}
    await gw.post("/_emulator/calls", call)
    await gw.advance(30)
    got = {fields(d)["id"]: fields(d) for d, _ in await server.quiet() if d.startswith(b"req:")}
    assert got["goip02"]["voip_state"] == "ACTIVE" and got["goip01"]["voip_state"] == "IDLE"


async def test_3_without_a_sim_signal_imsi_iccid_pro_are_empty(dbl, server):
    gw = await dbl()
    await up(gw, server)
    await gw.post("/_emulator/sims/1A", {"event": "remove"})
    await gw.advance(30)
    got = {fields(d)["id"]: fields(d) for d, _ in await server.quiet() if d.startswith(b"req:")}
    one = got["goip01"]
    assert (one["signal"], one["imsi"], one["iccid"], one["pro"]) == ("", "", "", "")
    assert (one["gsm_status"], one["CGATT"]) == ("LOGOUT", "N")
    assert one["imei"] == gw.device.imei(1)  # the module's, SIM or not


async def test_3_num_from_the_profile_and_a_per_line_id_and_password(dbl, server):
    gw = await dbl(
        dbl={"lines": {2: {"client_id": "x2", "client_password": "pw2", "num": "+1555"}}}
    )
    await gw.advance(1)
    got = {fields(d)["id"]: d.decode() for d, _ in await server.recv_all(2)}
    assert got["x2"].startswith("req:1;id:x2;pass:pw2;num:+1555;")
    assert got["goip01"].startswith("req:1;id:goip01;pass:goip;num:;")


async def test_3_n_counts_every_keepalive_acked_or_not(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    server.send(b"reg:1;status:200;", addr)
    await gw.advance(90)
    ns = [fields(d)["req"] for d, _ in await server.quiet() if fields(d)["id"] == "goip01"]
    assert ns == ["2", "3", "4"]


async def test_3_only_reg_status_200_logs_in_for_any_of_the_last_3_keepalives(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    line = gw.dev.personality.lines[0]  # type: ignore[attr-defined]
    await gw.advance(60)  # keepalives 2 and 3
    server.send(b"req:3;status:200;", addr)  # node-goip's echo
    server.send(b"reg:3;status:0;", addr)
    await until(lambda: len([e for e in gw.journal("udp") if e["dir"] == "in"]) == 2)
    assert not line.sms_login
    server.send(b"reg:1;status:200;v:1;", addr)  # goip-bridge adds v:1; n = 1 of the last 3
    await until(lambda: line.sms_login)
    ins = [e for e in gw.journal("udp") if e["dir"] == "in"]
    assert [e["outcome"] for e in ins] == ["not_an_ack", "refused", "acked"]
    assert all(e["reason"] for e in ins[:2])
    await gw.advance(30)
    got = [fields(d) for d, _ in await server.quiet() if d.startswith(b"req:4;id:goip01")]
    assert got[0]["SMS_LOGIN"] == "Y"
    # 404 (goipcron's wrong password) logs out at once.
    server.send(b"reg:4;status:404;", addr)
    await until(lambda: not line.sms_login)


async def test_3_three_periods_without_an_ack_fall_back_to_n(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    server.send(b"reg:1;status:200;", addr)
    await until(lambda: gw.dev.personality.lines[0].sms_login)  # type: ignore[attr-defined]
    await gw.advance(120)
    logins = [
        fields(d)["SMS_LOGIN"] for d, _ in await server.quiet() if fields(d)["id"] == "goip01"
    ]
    assert logins == ["Y", "Y", "Y", "N"]  # keepalives 2, 3, 4 unacked: 5 says N


async def test_3_pushes_do_not_wait_for_sms_login(dbl, server):
    gw = await dbl()
    await up(gw, server)
    _, doc = await gw.post("/_emulator/sms", {"port": "2", "sender": "+1", "text": "x"})
    assert doc["outcome"] == "received"
    assert len(await pushes(server, "RECEIVE")) == 1
    assert [line["sms_login"] for line in await dbl_state(gw)] == [False, False]
