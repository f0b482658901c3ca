"""The DBL GoIP contract (DBL-GOIP.md), statement by statement, as a black-box tester reads it.

Each test drives a served DBL device from outside: real UDP sockets on 127.0.0.1 for the SMS
server (and a second one where the contract says "from any address"), a real HTTP client for
the web pages and the control API. Sections follow the contract's.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from conftest import Gateway
from sms_server import UNASKED, SmsServer, sms_server

pytest_plugins = ["dbl_gateways"]  # the server and dbl fixtures

Addr = tuple[str, int]
T0 = 1767225600  # 2026-01-01T00:00:00Z, the default virtual start
ENDS = [b"\n", b"\r\n", b"", b"\\n"]  # section 2: the four ends of a request


@pytest.fixture
async def other() -> AsyncIterator[SmsServer]:
    """A second socket: another address the device hears from."""
    async with sms_server() as srv:
        yield srv


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


async def test_3_a_sim_not_registered_still_shows_its_imsi_iccid_and_pro(dbl, server):
    gw = await dbl()
    await up(gw, server)
    sim = sim_of(await gw.state(), 1)
    await gw.post("/_emulator/sims/1", {"event": "block"})
    await gw.advance(30)
    got = {fields(d)["id"]: fields(d) for d, _ in await server.quiet() if d.startswith(b"req:")}
    one = got["goip01"]
    assert (one["imsi"], one["iccid"], one["pro"]) == (sim["imsi"], sim["iccid"], sim["operator"])
    assert (one["gsm_status"], one["CGATT"]) == ("LOGOUT", "N")


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


# --- 4. device pushes and their acks -----------------------------------------------------------


def r_of(push: bytes) -> int:
    return int(push.split(b";")[0].split(b":")[1])


async def test_4_recvid_is_the_clocks_seconds_or_one_more_and_each_push_has_its_own(dbl, server):
    gw = await dbl()
    await up(gw, server)
    await gw.advance(10.5)  # device time T0 + 11.5
    await gw.post("/_emulator/sms", {"port": "1", "sender": "+1", "text": "a"})
    await gw.post("/_emulator/sms", {"port": "1", "sender": "+1", "text": "b"})
    got = await pushes(server, "RECEIVE")
    assert [r_of(p) for p in got] == [T0 + 11, T0 + 12]
    await gw.advance(3)  # retransmitted with their own r
    again = await pushes(server, "RECEIVE")
    assert sorted(again) == sorted(got)


async def test_4_retransmission_every_3s_four_sends_then_gave_up(dbl, server):
    gw = await dbl()
    await up(gw, server)
    await gw.post("/_emulator/sms", {"port": "1", "sender": "+1", "text": "a"})
    first = await pushes(server, "RECEIVE")
    times = []
    for step in range(1, 14):
        await gw.advance(1)
        if await pushes(server, "RECEIVE", 0.05):
            times.append(step)
    assert len(first) == 1 and times == [3, 6, 9]
    outcomes = [e["outcome"] for e in gw.journal("udp", "RECEIVE")]
    assert outcomes == ["sent", "retransmit", "retransmit", "retransmit", "gave_up"]


@pytest.mark.parametrize(
    ("ack", "outcome"),
    [("{k} {r} OK", "acked"), ("{k} {r} OK thanks", "acked"), ("{k} {r} ERROR full", "refused")],
)
async def test_4_ok_and_error_acks_stop_the_retransmission(dbl, server, ack, outcome):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    await gw.post("/_emulator/sms", {"port": "1", "sender": "+1", "text": "a"})
    r = r_of((await pushes(server, "RECEIVE"))[0])
    server.send(ack.format(k="RECEIVE", r=r).encode(), addr)
    await until(lambda: bool([e for e in gw.journal("udp", "RECEIVE") if e["dir"] == "in"]))
    await gw.advance(15)
    assert await pushes(server, "RECEIVE") == []
    ins = [e for e in gw.journal("udp", "RECEIVE") if e["dir"] == "in"]
    assert [e["outcome"] for e in ins] == [outcome]
    assert (await dbl_state(gw))[0]["pending"] == []


@pytest.mark.parametrize(
    "ack",
    ["RECEIVEOK:{r};id:goip01;password:goip;status:0;", "RECEIVE {w} OK", "receive {r} ok"],
    ids=["goippy", "wrong-r", "lower-case"],
)
async def test_4_other_shapes_are_not_acks_and_the_push_goes_again(dbl, server, ack):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    await gw.post("/_emulator/sms", {"port": "1", "sender": "+1", "text": "a"})
    push = (await pushes(server, "RECEIVE"))[0]
    r = r_of(push)
    server.send(ack.format(r=r, w=r + 1).encode(), addr)
    await until(lambda: bool([e for e in gw.journal("udp") if e["dir"] == "in"]))
    ins = [e for e in gw.journal("udp") if e["dir"] == "in"]
    assert ins[0]["outcome"] == "not_an_ack" and ins[0]["reason"]
    await gw.advance(3)
    assert await pushes(server, "RECEIVE") == [push]
    state = (await dbl_state(gw))[0]["pending"]
    assert state == [{"keyword": "RECEIVE", "recvid": r, "sends": 2}]


async def test_4_a_long_text_arrives_as_parts_each_its_own_receive_and_inbox_entry(dbl, server):
    gw = await dbl()
    await up(gw, server)
    text = "".join(str(i % 10) for i in range(200))  # GSM-7: 153 + 47
    _, doc = await gw.post("/_emulator/sms", {"port": "2", "sender": "+1555", "text": text})
    assert doc["outcome"] == "received"
    got = await pushes(server, "RECEIVE")
    assert [p.split(b";msg:")[1].decode() for p in got] == [text[:153], text[153:]]
    assert r_of(got[1]) == r_of(got[0]) + 1
    ucs = "ж" * 71  # UCS-2: 67 + 4
    await gw.post("/_emulator/sms", {"port": "2", "sender": "+1555", "text": ucs})
    got = await pushes(server, "RECEIVE")
    assert [p.split(b";msg:")[1].decode() for p in got] == [ucs[:67], ucs[67:]]
    received = gw.journal("device", "sms_received")
    assert [len(e["text"]) for e in received] == [153, 47, 67, 4]
    resp = await gw.client.get(
        "/default/en_US/tools.html", params={"type": "sms_inbox", "u": "root", "p": "root"}
    )
    page = await resp.text()
    row = page.split("sms= ")[2].split(";\r\n")[0]
    assert row.count(",+1555,") == 4


async def test_4_msg_is_the_text_as_is_and_smscnum_comes_before_it_with_the_quirk(dbl, server):
    gw = await dbl(
        dbl={"quirks": {"send_smsc": True}}, sims={"defaults": {"smsc": "+8613800100500"}}
    )
    await up(gw, server)
    await gw.post("/_emulator/sms", {"port": "1", "sender": "+1", "text": "a;b:c\nd"})
    push = (await pushes(server, "RECEIVE"))[0]
    assert (
        push
        == (
            f"RECEIVE:{r_of(push)};id:goip01;password:goip;srcnum:+1;smscnum:+8613800100500;"
            "msg:a;b:c\nd"
        ).encode()
    )


async def test_4_each_push_byte_for_byte(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[2]
    call = {"port": "2", "pdd": 1, "ring": 1, "talk": 10, "answer_ratio": 1, "number": "+1777"}
    await gw.post("/_emulator/calls", call)
    await gw.advance(0)
    got = [d for d, _ in await server.quiet()]
    r = r_of(got[0])
    assert got == [
        f"RECORD:{r};id:goip02;password:goip;dir:2;num:+1777".encode(),
        f"STATE:{r + 1};id:goip02;password:goip;gsm_remain_state:BUSY".encode(),
    ]
    for push in got:
        server.send(push.split(b";")[0].replace(b":", b" ") + b" OK", addr)
    await until(lambda: not gw.dev.personality.lines[1].snapshot().pending)  # type: ignore[attr-defined]
    await gw.advance(12)
    ended = [d for d, _ in await server.quiet() if not d.startswith(b"req:")]
    r = r_of(ended[0])
    assert r == T0 + 13
    assert ended == [
        f"HANGUP:{r};id:goip02;password:goip;num:+1777;cause:normal".encode(),
        f"REMAIN:{r + 1};id:goip02;password:goip;gsm_remain_time:-1".encode(),
        f"STATE:{r + 2};id:goip02;password:goip;gsm_remain_state:IDLE".encode(),
    ]


async def test_4_deliver_carries_the_oks_sms_no_once_per_sms_after_the_delay(dbl, server):
    gw = await dbl(dbl={"delivery_delay": 7})
    addr = (await up(gw, server))[1]
    await session(server, addr, 1, "x" * 200)  # two parts
    assert await server.ask(b"SEND 1 1 +15550001\n", addr) == b"WAIT 1 1\n"
    await gw.advance(4)  # 2 s per part
    assert await answers(server) == [b"OK 1 1 1\n"]
    await gw.advance(6.9)
    assert await pushes(server, "DELIVER") == []
    await gw.advance(0.1)
    got = await pushes(server, "DELIVER")
    assert got == [
        f"DELIVER:{T0 + 12};id:goip01;password:goip;sms_no:1;state:0;num:+15550001".encode()
    ]
    # An SMS of send.html takes the next sms_no and gets its DELIVER too.
    resp = await gw.client.get(
        "/default/en_US/send.html",
        params={"u": "root", "p": "root", "l": "1", "n": "+15550002", "m": "hey"},
    )
    assert "Sending,L1" in await resp.text()
    await gw.advance(9)
    got = [d for d in await pushes(server, "DELIVER") if b"+15550002" in d]
    assert len(got) == 1 and b";sms_no:2;state:0;" in got[0]


async def test_4_no_deliver_without_delivery_reports(dbl, server):
    gw = await dbl(dbl={"delivery_reports": False})
    addr = (await up(gw, server))[1]
    await session(server, addr, 1)
    await server.ask(b"SEND 1 1 +15550001\n", addr)
    await gw.advance(20)
    assert await answers(server) == [b"OK 1 1 1\n"]
    assert gw.journal("udp", "DELIVER") == []


# --- 5. bulk send ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "text"),
    [
        ("MSG 1 6 héllo\n", "héllo"),  # é is 2 bytes
        ("MSG 1 2 héllo\n", "h"),  # a cut inside é drops it
        ("MSG 1 3 hello world\n", "hel"),
        ("MSG 1 99 short\\n", "short"),  # fewer bytes follow: all of them
        ("MSG 1 5 hello\\n", "hello"),  # a literal \n after len bytes is dropped
        ("MSG 1 0 \n", ""),
    ],
)
async def test_5_msg_takes_exactly_len_utf8_bytes(dbl, server, request_, text):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    assert await server.ask(request_.encode(), addr) == b"PASSWORD 1\n"
    assert await server.ask(b"PASSWORD 1 goip\n", addr) == b"SEND 1\n"
    await server.ask(b"SEND 1 1 +1555\n", addr)
    await gw.advance(2)
    assert [e["text"] for e in gw.journal("device", "sms_sent")] == [text]


async def test_5_msg_text_is_cut_at_3000_bytes(dbl, server):
    gw = await dbl(sending={"latency": 0})
    addr = (await up(gw, server))[1]
    long = "y" * 3100
    await server.ask(f"MSG 1 3100 {long}\n".encode(), addr)
    await server.ask(b"PASSWORD 1 goip\n", addr)
    await server.ask(b"SEND 1 1 +1555\n", addr)
    await gw.advance(1)
    assert [len(e["text"]) for e in gw.journal("device", "sms_sent")] == [3000]


async def test_5_the_msg_length_quirk_takes_the_rest_of_the_datagram(dbl, server):
    quirky = await dbl(dbl={"quirks": {"msg_length": "ignore"}})
    addr = (await up(quirky, server))[1]
    await server.ask("MSG 1 4 привет мир\n".encode(), addr)  # node-goip: UTF-16 length
    await server.ask(b"PASSWORD 1 goip\n", addr)
    await server.ask(b"SEND 1 1 +1555\n", addr)
    await quirky.advance(5)
    assert [e["text"] for e in quirky.journal("device", "sms_sent")] == ["привет мир"]


async def test_5_a_sixth_open_session_is_busy(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    for s in range(1, 6):
        assert await server.ask(f"MSG {s} 1 a\n".encode(), addr) == f"PASSWORD {s}\n".encode()
    assert await server.ask(b"MSG 6 1 a\n", addr) == b"ERROR 6 BUSY\n"
    assert await server.ask(b"MSG 3 1 a\n", addr) == b"PASSWORD 3\n"  # a repeat: still open
    assert await server.ask(b"DONE 2\n", addr) == b"DONE 2\n"
    assert await server.ask(b"MSG 6 1 a\n", addr) == b"PASSWORD 6\n"
    # The other line has sessions of its own.
    other = (await dbl_state(gw))[1]
    assert other["sessions"] == []


async def test_5_password_errors_and_the_session_waits_for_another(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    assert await server.ask(b"PASSWORD 9 goip\n", addr) == b"ERROR 9 SENDID\n"
    assert await server.ask(b"SEND 9 1 +1\n", addr) == b"ERROR 9 SENDID\n"
    await server.ask(b"MSG 9 1 a\n", addr)
    assert await server.ask(b"SEND 9 1 +1\n", addr) == b"ERROR 9 PASSWORD\n"
    assert await server.ask(b"PASSWORD 9 nope\n", addr) == b"ERROR 9 PASSWORD\n"
    assert await server.ask(b"PASSWORD 9 goip\n", addr) == b"SEND 9\n"
    sessions = (await dbl_state(gw))[0]["sessions"]
    assert sessions == [{"sendid": 9, "authenticated": True, "numbers": []}]
    await gw.post("/_emulator/sims/1A", {"event": "remove"})
    assert await server.ask(b"SEND 9 1 +1\n", addr) == b"ERROR 9 GSM_LOGOUT\n"
    assert await server.ask(b"DONE 9\n", addr) == b"DONE 9\n"
    assert await server.ask(b"DONE 9\n", addr) == b"DONE 9\n"  # unknown: a repeat


async def test_5_wait_then_one_unasked_ok_to_the_sends_address_and_memory_after(dbl, server, other):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    await session(server, addr, 4, "hello")
    assert await other.ask(b"SEND 4 1 +15550001\n", addr) == b"WAIT 4 1\n"
    assert await server.ask(b"SEND 4 2 +15550002\n", addr) == b"WAIT 4 2\n"
    assert await other.ask(b"SEND 4 1 +15550001\n", addr) == b"WAIT 4 1\n"  # still waiting
    state = (await dbl_state(gw))[0]["sessions"][0]["numbers"]
    assert [(n["telid"], n["state"]) for n in state] == [(1, "waiting"), (2, "waiting")]
    await gw.advance(2)
    assert await answers(other) == [b"OK 4 1 1\n"]  # to the address of the SEND that made it
    assert await answers(server) == []
    assert await server.ask(b"SEND 4 2 +15550002\n", addr) == b"WAIT 4 2\n"  # on the air
    await gw.advance(2)
    assert await answers(server) == [b"OK 4 2 2\n"]
    assert await other.ask(b"SEND 4 1 +15550001\n", addr) == b"OK 4 1 1\n"  # from memory
    assert await server.ask(b"SEND 4 2 +15550002\n", addr) == b"OK 4 2 2\n"
    await gw.advance(30)
    assert len(gw.journal("device", "sms_sent")) == 2  # never sent twice
    assert await answers(server) == [] and await answers(other) == []


async def test_5_numbers_accepted_before_done_are_still_sent_and_answered_once(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    await session(server, addr, 5)
    for t in (1, 2, 3):
        await server.ask(f"SEND 5 {t} +1555000{t}\n".encode(), addr)
    assert await server.ask(b"DONE 5\n", addr) == b"DONE 5\n"
    assert (await dbl_state(gw))[0]["sessions"] == []
    await gw.advance(2)
    assert await answers(server) == [b"OK 5 1 1\n"]
    await gw.advance(4)
    assert await answers(server) == [b"OK 5 2 2\n", b"OK 5 3 3\n"]
    assert await server.ask(b"SEND 5 1 +15550001\n", addr) == b"ERROR 5 SENDID\n"


async def test_5_a_repeated_msg_answers_password_and_changes_nothing_after_a_number(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    await session(server, addr, 6, "first")
    await server.ask(b"SEND 6 1 +1\n", addr)
    assert await server.ask(b"MSG 6 6 second\n", addr) == b"PASSWORD 6\n"
    assert await server.ask(b"SEND 6 2 +2\n", addr) == b"WAIT 6 2\n"  # still authenticated
    await gw.advance(4)
    assert [e["text"] for e in gw.journal("device", "sms_sent")] == ["first", "first"]


async def test_5_the_last_10_finished_numbers_are_remembered_older_ones_forgotten(dbl, server):
    gw = await dbl(sending={"latency": 0})
    addr = (await up(gw, server))[1]
    await session(server, addr, 7)
    for t in range(1, 12):
        assert await server.ask(f"SEND 7 {t} +1{t}\n".encode(), addr) == f"WAIT 7 {t}\n".encode()
        await gw.advance(0)
        assert await answers(server, 0.05) == [f"OK 7 {t} {t}\n".encode()]
    assert await server.ask(b"SEND 7 2 +12\n", addr) == b"OK 7 2 2\n"
    assert await server.ask(b"SEND 7 1 +11\n", addr) == b"WAIT 7 1\n"  # forgotten: sent again
    await gw.advance(0)
    assert await answers(server) == [b"OK 7 1 12\n"]


async def test_5_resend_duplicates_quirk_sends_a_waiting_number_again(dbl, server):
    gw = await dbl(dbl={"quirks": {"resend_duplicates": True}})
    addr = (await up(gw, server))[1]
    await session(server, addr, 8)
    assert await server.ask(b"SEND 8 1 +1\n", addr) == b"WAIT 8 1\n"
    assert await server.ask(b"SEND 8 1 +1\n", addr) == b"WAIT 8 1\n"
    await gw.advance(4)
    assert await answers(server) == [b"OK 8 1 1\n", b"OK 8 1 2\n"]
    assert len(gw.journal("device", "sms_sent")) == 2


async def test_5_sms_no_counts_per_line_from_1_and_wraps_after_255(dbl, server):
    gw = await dbl(sending={"latency": 0})
    addr = (await up(gw, server))[1]
    await session(server, addr, 1)
    got: list[bytes] = []
    for t in range(1, 258):
        server.send(f"SEND 1 {t} +1\n".encode(), addr)
        if t % 50 == 0:
            await until(lambda t=t: len(gw.journal("udp", "WAIT")) == t)
            await gw.advance(0)
    await until(lambda: len(gw.journal("udp", "WAIT")) == 257)
    await gw.advance(0)
    await until(lambda: len(gw.journal("device", "sms_sent")) == 257)
    got = [e for e in gw.journal("udp", "OK")]
    assert [e["text"] for e in got[254:]] == ["OK 1 255 255\n", "OK 1 256 0\n", "OK 1 257 1\n"]
    # The other line counts on its own.
    addr2 = (await dbl_state(gw))[1]["local_port"]
    await server.quiet(0.2)
    await session(server, ("127.0.0.1", addr2), 2)
    assert await server.ask(b"SEND 2 1 +1\n", ("127.0.0.1", addr2)) == b"WAIT 2 1\n"
    await gw.advance(0)
    assert b"OK 2 1 1\n" in await answers(server)


async def test_5_numbers_go_out_one_after_another_on_the_line(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    await session(server, addr, 1)
    await session(server, addr, 2)
    await server.ask(b"SEND 1 1 +1\n", addr)
    await server.ask(b"SEND 2 1 +2\n", addr)
    await server.ask(b"SEND 1 2 +3\n", addr)
    seen = []
    for _ in range(6):
        await gw.advance(1)
        seen.append(await answers(server, 0.05))
    assert seen == [[], [b"OK 1 1 1\n"], [], [b"OK 2 1 2\n"], [], [b"OK 1 2 3\n"]]


async def test_5_a_session_is_released_90s_after_its_last_request(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    await server.ask(b"MSG 1 1 a\n", addr)
    await gw.advance(80)
    assert await server.ask(b"PASSWORD 1 goip\n", addr) == b"SEND 1\n"
    await gw.advance(89)
    assert await server.ask(b"SEND 1 1 +1\n", addr) == b"WAIT 1 1\n"
    await gw.advance(89.9)
    assert await answers(server) == [b"OK 1 1 1\n"]
    assert await server.ask(b"SEND 1 1 +1\n", addr) == b"OK 1 1 1\n"  # 89.9 s after SEND
    await gw.advance(90)
    assert await server.ask(b"SEND 1 2 +1\n", addr) == b"ERROR 1 SENDID\n"


# --- 6. commands and USSD ----------------------------------------------------------------------


async def test_6_every_command_answers_as_written(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    imei = gw.device.imei(1)
    cases = [
        (b"get_gsm_num 1 goip", b"get_gsm_num 1 \n"),
        (b"set_gsm_num 2 +15551234 goip", b"set_gsm_num 2 +15551234 ok\n"),
        (b"get_gsm_num 3 goip", b"get_gsm_num 3 +15551234\n"),
        (b"get_gsm_state 4 goip", b"get_gsm_state 4 IDLE\n"),
        (b"get_imei 5 goip", f"get_imei 5 {imei}\n".encode()),
        (b"set_imei 6 12345 goip", b"ERROR 6 IMEI\n"),
        (b"set_imei 7 351234567890123 goip", b"set_imei 7 351234567890123 ok\n"),
        (b"get_imei 8 goip", b"get_imei 8 351234567890123\n"),
        (b"get_exp_time 9 goip", b"get_exp_time 9 -1\n"),
        (b"get_remain_time 10 goip", b"get_remain_time 10 -1\n"),
        (b"get_out_call_interval 11 goip", b"get_out_call_interval 11 0\n"),
        (b"get_gsm_num 12 wrong", b"ERROR 12 PASSWORD\n"),
        (b"USSDEXIT 13 goip", b"USSDEXIT 13\n"),
        (b"USSDEXIT 14 wrong", b"ERROR 14 PASSWORD\n"),
        (b"USSD 15 wrong *100#", b"ERROR 15 PASSWORD\n"),
        (b"svr_drop_call 16 goip", b"svr_drop_call 16 ok\n"),
        (b"module_ctl_i 17 1 goip", b"module_ctl_i 17 ok\n"),
    ]
    for request, answer in cases:
        assert await server.ask(request, addr) == answer, request
    await gw.advance(30)
    k = [fields(d) for d, _ in await server.quiet() if d.startswith(b"req:2;id:goip01")]
    assert k[0]["num"] == "+15551234" and k[0]["imei"] == "351234567890123"


async def test_6_stored_times_and_intervals(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[2]
    assert (await server.ask(b"set_exp_time 1 120 goip", addr)).startswith(b"set_exp_time 1 ")
    assert await server.ask(b"get_exp_time 2 goip", addr) == b"get_exp_time 2 120\n"
    assert (await server.ask(b"reset_remain_time 3 goip", addr)).startswith(b"reset_remain_time 3")
    assert await server.ask(b"get_remain_time 4 goip", addr) == b"get_remain_time 4 120\n"
    assert (await server.ask(b"set_out_call_interval 5 30 goip", addr)).startswith(
        b"set_out_call_interval 5 "
    )
    assert (
        await server.ask(b"get_out_call_interval 6 goip", addr) == b"get_out_call_interval 6 30\n"
    )
    await gw.advance(30)
    k = [fields(d) for d, _ in await server.quiet() if d.startswith(b"req:2;id:goip02")]
    assert k[0]["remain_time"] == "120"


async def test_6_gsm_state_in_a_call_and_when_not_registered(dbl, server):
    gw = await dbl()
    addrs = await up(gw, server)
    call = {"port": "1", "pdd": 1, "ring": 1, "talk": 60, "answer_ratio": 1}
    await gw.post("/_emulator/calls", call)
    await gw.advance(0)
    assert await server.ask(b"get_gsm_state 1 goip", addrs[1]) == b"get_gsm_state 1 ACTIVE\n"
    await gw.post("/_emulator/sims/2A", {"event": "block"})
    assert await server.ask(b"get_gsm_state 2 goip", addrs[2]) == b"ERROR 2 GSM_LOGOUT\n"
    assert await server.ask(b"USSD 3 goip *100#", addrs[2]) == b"USSDERROR 3 GSM_LOGOUT\n"


async def test_6_svr_drop_call_ends_the_call_with_a_hangup(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    call = {"port": "1", "pdd": 1, "ring": 1, "talk": 60, "answer_ratio": 1, "number": "+1777"}
    await gw.post("/_emulator/calls", call)
    await gw.advance(5)
    await server.quiet()
    assert await server.ask(b"svr_drop_call 1 goip\n", addr) == b"svr_drop_call 1 ok\n"
    await gw.advance(0)
    got = [d for d, _ in await server.quiet()]
    assert [d.split(b":")[0] for d in got] == [b"HANGUP", b"REMAIN", b"STATE"]
    assert b";num:+1777;cause:" in got[0]


async def test_6_module_ctl_i_2_disables_the_line(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    assert await server.ask(b"module_ctl_i 1 2 goip\n", addr) == b"module_ctl_i 1 ok\n"
    await gw.advance(30)
    k = [fields(d) for d, _ in await server.quiet() if d.startswith(b"req:2;id:goip01")]
    assert (k[0]["disable_status"], k[0]["gsm_status"]) == ("1", "LOGOUT")
    await server.ask(b"MSG 2 1 a\n", addr)
    assert await server.ask(b"PASSWORD 2 goip\n", addr) == b"ERROR 2 GSM_LOGOUT\n"
    assert await server.ask(b"module_ctl_i 3 1 goip\n", addr) == b"module_ctl_i 3 ok\n"
    await gw.advance(30)
    k = [fields(d) for d, _ in await server.quiet() if d.startswith(b"req:3;id:goip01")]
    assert k[0]["disable_status"] == "0"


async def test_6_module_ctl_i_pushes_the_lines_state(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[2]
    assert await server.ask(b"module_ctl_i 1 2 goip\n", addr) == b"module_ctl_i 1 ok\n"
    await gw.advance(0)
    states = [e["text"] for e in gw.journal("udp", "STATE") if e["outcome"] == "sent"]
    assert states[0].endswith(";id:goip02;password:***;gsm_remain_state:LOGOUT")
    assert await server.ask(b"module_ctl_i 2 1 goip\n", addr) == b"module_ctl_i 2 ok\n"
    await gw.advance(10)
    assert any(d.endswith(b"gsm_remain_state:IDLE") for d in await pushes(server, "STATE"))


async def test_6_svr_reboot_module_logs_out_for_the_registration_time(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    assert await server.ask(b"svr_reboot_module 1 goip\n", addr) == b"svr_reboot_module 1 ok\n"
    await gw.advance(0)
    states = [d for d in await pushes(server, "STATE")]
    assert states and states[0].endswith(b"gsm_remain_state:LOGOUT")
    assert await server.ask(b"get_gsm_state 2 goip\n", addr) == b"ERROR 2 GSM_LOGOUT\n"
    await gw.advance(2.9)  # registration_time (3 s): a DBL line detects its SIM at once
    assert await server.ask(b"get_gsm_state 5 goip\n", addr) == b"ERROR 5 GSM_LOGOUT\n"
    await gw.advance(0.1)
    assert any(d.endswith(b"gsm_remain_state:IDLE") for d in await pushes(server, "STATE"))
    assert await server.ask(b"get_gsm_state 3 goip\n", addr) == b"get_gsm_state 3 IDLE\n"


async def test_6_a_repeated_request_gets_the_same_answer_and_no_second_effect(dbl, server):
    gw = await dbl(device={"reboot_time": 10})
    addr = (await up(gw, server))[1]
    assert await server.ask(b"set_gsm_num 1 +1 goip\n", addr) == b"set_gsm_num 1 +1 ok\n"
    assert await server.ask(b"set_gsm_num 2 +2 goip\n", addr) == b"set_gsm_num 2 +2 ok\n"
    assert await server.ask(b"set_gsm_num 1 +1 goip\n", addr) == b"set_gsm_num 1 +1 ok\n"
    assert await server.ask(b"get_gsm_num 3 goip\n", addr) == b"get_gsm_num 3 +2\n"
    # A USSD repeated while pending is ignored; after its reply, answered from memory.
    server.send(b"USSD 4 goip *100#\n", addr)
    server.send(b"USSD 4 goip *100#\n", addr)
    await until(lambda: len(gw.journal("udp", "USSD")) == 2)
    assert [e["outcome"] for e in gw.journal("udp", "USSD")] == ["answered", "ignored"]
    await gw.advance(3)
    reply = await answers(server)
    assert reply == [b"USSD 4 Your balance is 100.00\n"]
    assert await server.ask(b"USSD 4 goip *100#\n", addr) == reply[0]
    assert len(gw.journal("device", "ussd")) == 1


async def test_6_ussd_replies_map_codes_to_texts(dbl, server):
    gw = await dbl(dbl={"ussd_replies": {"*101#": "Your number is +1555"}, "ussd_latency": 1})
    addr = (await up(gw, server))[1]
    server.send(b"USSD 1 goip *101#\n", addr)
    server.send(b"USSD 2 goip *100#\n", addr)
    await until(lambda: len(gw.journal("udp", "USSD")) == 2)
    await gw.advance(1)
    assert sorted(await answers(server)) == [
        b"USSD 1 Your number is +1555\n", b"USSD 2 Your balance is 100.00\n",
    ]  # fmt: skip


async def test_6_unknown_command_words_get_no_answer_and_are_journaled(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    server.send(b"get_temperature 1 goip\n", addr)
    server.send(b"GET_GSM_NUM 2 goip\n", addr)
    await until(lambda: len([e for e in gw.journal("udp") if e["dir"] == "in"]) == 2)
    assert await server.quiet() == []
    ins = [e for e in gw.journal("udp") if e["dir"] == "in"]
    assert [(e["type"], e["outcome"]) for e in ins] == [
        ("get_temperature", "unparsed"), ("GET_GSM_NUM", "unparsed"),
    ]  # fmt: skip


async def test_6_svr_reboot_dev_silences_the_device_and_counters_restart(dbl, server):
    gw = await dbl(device={"reboot_time": 20})
    addr = (await up(gw, server))[1]
    await gw.advance(30)
    await server.quiet()
    assert await server.ask(b"svr_reboot_dev 1 goip\n", addr) == b"svr_reboot_dev 1 ok\n"
    await gw.advance(1)
    with pytest.raises(aiohttp.ClientError):  # HTTP silent too
        await gw.client.get("/default/en_US/status.xml", params={"u": "root", "p": "root"})
    server.send(b"get_gsm_num 2 goip\n", addr)
    await gw.advance(15)
    assert await answers(server) == []
    await gw.advance(10)
    ks = [fields(d) for d, _ in await server.quiet() if d.startswith(b"req:")]
    assert ks and {k["req"] for k in ks} == {"1"}


# --- 7. HTTP -----------------------------------------------------------------------------------

W = "/default/en_US/"
CREDS = {"u": "root", "p": "root"}  # the test profile's device user
BASIC = {"Authorization": "Basic " + base64.b64encode(b"root:root").decode()}


async def test_7_send_html_answers_and_refusals_byte_for_byte(dbl, server):
    gw = await dbl()
    await up(gw, server)

    async def send(**q: str) -> tuple[int, str, str]:
        resp = await gw.client.get(W + "send.html", params=q)
        return resp.status, await resp.text(), resp.headers["Content-Type"]

    key = f"{T0 + 1:08x}"
    status, body, kind = await send(**CREDS, l="1", n="+1555", m="hi")
    assert (status, body) == (200, f"\nSending,L1 Send SMS to:+1555; ID:{key}\n")
    assert kind.startswith("text/html")
    assert (await send(**CREDS, l="1", n="+1555", m="hi"))[1] == "ERROR,L1 busy"
    assert (await send(**CREDS, l="9", n="+1", m="x"))[1] == "ERROR,invalid line"
    assert (await send(**CREDS, l="2", n="", m="x"))[1] == "ERROR,no number"
    assert (await send(**CREDS, l="2", n="+1", m=""))[1] == "ERROR,no message"
    await gw.post("/_emulator/sims/2A", {"event": "block"})
    assert (await send(**CREDS, l="2", n="+1", m="x"))[1] == "ERROR,L2 GSM logout"
    assert await send(u="root", p="nope", l="1", n="+1", m="x") == (
        200, "ERROR,user or password error", kind,
    )  # fmt: skip
    assert (await send(l="1", n="+1", m="x"))[:2] == (200, "ERROR,user or password error")
    await gw.advance(2)
    assert len(gw.journal("device", "sms_sent")) == 1
    # The next ID: one more than the previous if the clock has not moved past it.
    assert (await send(**CREDS, l="1", n="+1", m="x"))[1].endswith(f"ID:{T0 + 3:08x}\n")


async def test_7_every_page_takes_query_credentials_or_basic_and_others_get_401(dbl, server):
    gw = await dbl()
    for name in ("send_status.xml", "send_sms_status.xml", "status.xml", "tools.html"):
        assert (await gw.client.get(W + name, params=CREDS)).status == 200, name
        assert (await gw.client.get(W + name, headers=BASIC)).status == 200, name
        bad = {"u": "root", "p": "x"}
        assert (await gw.client.get(W + name, params=bad, headers=BASIC)).status == 200, name
        resp = await gw.client.get(W + name, params=bad)
        assert resp.status == 401 and resp.headers["WWW-Authenticate"] == 'Basic realm="GoIP"'
        resp = await gw.client.post(W + name)
        assert resp.status == 401
    resp = await gw.client.get(
        W + "send.html", params={"l": "1", "n": "+1", "m": "x"}, headers=BASIC
    )
    assert (await resp.text()).startswith("\nSending,L1 ")
    for path in (W + "index.html", W + "send.htm", "/goip_send_sms.html"):
        assert (await gw.client.get(path, params=CREDS)).status == 404


async def test_7_send_status_documents_byte_for_byte(dbl, server):
    gw = await dbl()
    resp = await gw.client.get(W + "send.html", params={**CREDS, "l": "2", "n": "+1", "m": "x"})
    key = (await resp.text()).split("ID:")[1].strip()
    resp = await gw.client.get(W + "send_status.xml", params=CREDS)
    assert resp.headers["Content-Type"].startswith("text/xml")
    assert await resp.text() == (
        '<?xml version="1.0" encoding="utf-8"?>\n<send-sms-status>\n'
        "<id1></id1>\n<status1></status1>\n<error1></error1>\n"
        f"<id2>{key}</id2>\n<status2>STARTED</status2>\n<error2></error2>\n"
        "</send-sms-status>\n"
    )
    await gw.advance(2)
    resp = await gw.client.post(W + "send_sms_status.xml", params={**CREDS, "x": "1"})
    assert await resp.text() == (
        '<?xml version="1.0" encoding="utf-8"?>\n<send-sms-status>\n'
        "<smskey1></smskey1>\n<status1></status1>\n<error1></error1>\n"
        f"<smskey2>{key}</smskey2>\n<status2>DONE</status2>\n<error2></error2>\n"
        "</send-sms-status>\n"
    )


async def test_7_the_sms_form_key_and_repeated_posts(dbl, server):
    gw = await dbl()
    html = await (await gw.client.get(W + "tools.html", params={**CREDS, "type": "sms"})).text()
    key = html.split('smskey" value="')[1].split('"')[0]
    assert key == f"{T0:08x}"
    assert f'<input type="hidden" name="smskey" value="{key}">' in html
    for marker in ('name="line1"', 'name="line2"', 'name="telnum"', 'name="smscontent"'):
        assert marker in html
    form = {"smskey": "k1", "action": "sms", "telnum": "+1555", "smscontent": "hey", "line": "2"}
    resp = await gw.client.post(
        W + "sms_info.html", params={"type": "sms"}, data=form, headers=BASIC
    )
    assert resp.status == 200
    await gw.advance(2)
    again = await gw.client.post(W + "sms_info.html", params={"type": "sms", **CREDS}, data=form)
    assert again.status == 200
    await gw.advance(2)
    assert [(e["line"], e["to"], e["via"]) for e in gw.journal("device", "sms_sent")] == [
        (2, "+1555", "web")
    ]
    xml = await (await gw.client.get(W + "send_sms_status.xml", params=CREDS)).text()
    assert "<smskey2>k1</smskey2>\n<status2>DONE</status2>\n<error2></error2>" in xml


async def test_7_status_xml_without_type_is_the_list(dbl, server):
    gw = await dbl(device={"ports": 1})
    plain = await (await gw.client.get(W + "status.xml", params=CREDS)).text()
    listed = await (await gw.client.get(W + "status.xml", params={**CREDS, "type": "list"})).text()
    assert plain == listed
    names = re.findall(r"<(l1_[a-z_0-9]+)>", plain)
    assert names == [
        f"l1_{n}"
        for n in [
            "module_status_gsm",
            "module_title_gsm",
            "module_status",
            "module_title",
            "gsm_sim",
            "gsm_status",
            "status_line",
            "line_state",
            "sms_login",
            "smb_login",
            "gsm_signal",
            "gsm_cur_oper",
            "gsm_cur_bst",
            "volte",
            "lac",
            "sim_remain",
            "nocall_t",
            "acd",
            "asr",
            "callt",
            "callc",
            "rct",
            "sms_count",
            "call_count",
        ]
    ]
    assert plain.startswith('<?xml version="1.0" encoding="utf-8"?>\n<status>\n')
    for value in ("<l1_module_status_gsm>1<", "<l1_gsm_status>Y<", "<l1_sim_remain>NO LIMIT<",
                  "<l1_callc>0/0<", "<l1_sms_count>NO LIMIT<", "<l1_line_state>IDLE<"):  # fmt: skip
        assert value in plain


# --- 8. control API and journal ------------------------------------------------------------------


async def test_8_injected_sms_outcomes_and_port_forms(dbl, server):
    gw = await dbl()
    await up(gw, server)
    status, doc = await gw.post(
        "/_emulator/sms",
        [{"port": "2A", "sender": "+1", "text": "a"}, {"port": "1", "sender": "+2", "text": "b"}],
    )
    assert status == 200
    assert len(await pushes(server, "RECEIVE")) == 2
    await gw.post("/_emulator/sims/1A", {"event": "block"})
    _, doc = await gw.post("/_emulator/sms", {"port": "1", "sender": "+3", "text": "c"})
    assert doc["outcome"] == "held"
    await gw.post("/_emulator/sims/2A", {"event": "remove"})
    _, doc = await gw.post("/_emulator/sms", {"port": "2", "sender": "+4", "text": "d"})
    assert doc["outcome"] == "refused"
    received = gw.journal("device", "sms_received")
    assert [(e["line"], e["sender"], e["text"]) for e in received] == [
        (2, "+1", "a"),
        (1, "+2", "b"),
    ]
    assert all(isinstance(e["recvid"], int) for e in received)


async def test_8_state_and_journal_fields(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    await session(server, addr, 3)
    await server.ask(b"SEND 3 1 +1555\n", addr)
    await gw.post("/_emulator/sms", {"port": "1", "sender": "+1", "text": "a"})
    r = r_of((await pushes(server, "RECEIVE"))[0])
    line = (await dbl_state(gw))[0]
    keys = ("line", "client_id", "server", "sms_login", "keepalive_count")
    assert {k: line[k] for k in keys} == {
        "line": 1, "client_id": "goip01", "server": server.address, "sms_login": False,
        "keepalive_count": 1,
    }  # fmt: skip
    assert line["local_port"] == addr[1]
    assert line["pending"] == [{"keyword": "RECEIVE", "recvid": r, "sends": 1}]
    assert line["sessions"] == [
        {"sendid": 3, "authenticated": True,
         "numbers": [{"telid": 1, "number": "+1555", "state": "waiting"}]},
    ]  # fmt: skip
    await gw.advance(2)
    [sent] = gw.journal("device", "sms_sent")
    assert {k: sent[k] for k in ("line", "to", "text", "parts", "sms_no", "via", "sendid",
                                  "telid", "ok", "error")} == {
        "line": 1, "to": "+1555", "text": "hi", "parts": 1, "sms_no": 1, "via": "udp",
        "sendid": 3, "telid": 1, "ok": True, "error": "",
    }  # fmt: skip
    udp = gw.journal("udp")
    assert all({"type", "dir", "line", "peer", "text", "outcome"} <= set(e) for e in udp)
    kinds = {(e["type"], e["dir"], e["outcome"]) for e in udp}
    assert {
        ("MSG", "in", "answered"), ("PASSWORD", "out", "sent"), ("WAIT", "out", "sent"),
        ("OK", "out", "sent"), ("RECEIVE", "out", "sent"), ("req", "out", "sent"),
    } <= kinds  # fmt: skip
    await gw.client.get(W + "status.xml", params=CREDS)
    assert [e["type"] for e in gw.journal("request")][-1] == "status.xml"


async def test_8_reset_closes_sessions_empties_pushes_and_restarts_keepalives(dbl, server):
    gw = await dbl()
    addr = (await up(gw, server))[1]
    await server.ask(b"MSG 1 1 a\n", addr)
    await gw.post("/_emulator/sms", {"port": "1", "sender": "+1", "text": "a"})
    await gw.post("/_emulator/reset", {})
    line = (await dbl_state(gw))[0]
    assert (line["sessions"], line["pending"], line["keepalive_count"]) == ([], [], 0)
    await server.quiet()
    await gw.advance(3)
    got = [d for d, _ in await server.quiet()]
    assert not any(d.startswith(b"RECEIVE") for d in got)
    assert sorted(fields(d)["req"] for d in got if d.startswith(b"req:")) == ["1", "1"]
