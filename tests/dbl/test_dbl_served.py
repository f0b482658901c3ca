"""A DBL GoIP gateway served on real UDP sockets, talking to a real SMS server socket.

The gateway runs on the virtual clock behind the aiohttp test client; the SMS server is
a UDP socket on 127.0.0.1 in the test. What is asserted is what the server sees on the
wire and what the control API (state, journal) shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from conftest import Gateway
from sms_server import UNASKED, SmsServer

from emulator.core.stats import Window

pytest_plugins = ["dbl_gateways"]  # the server and dbl fixtures

Addr = tuple[str, int]


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Real time for a datagram the test sent to be handled by the device."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


async def lines_up(gw: Gateway, server: SmsServer) -> dict[int, Addr]:
    """Advance to the first keepalives: each line's address, by its id."""
    await gw.advance(1)
    found = {}
    for data, addr in await server.recv_all(gw.device.config.device.ports):
        fields = dict(f.split(":", 1) for f in data.decode().split(";") if ":" in f)
        found[int(fields["id"].removeprefix("goip"))] = addr
    return found


async def state(gw: Gateway) -> list[dict[str, Any]]:
    _, doc = await gw.get("/_emulator/state")
    return doc["dbl"]


async def test_each_line_sends_its_first_keepalive_1s_after_boot_from_its_own_port(dbl, server):
    gw = await dbl()
    await gw.advance(0.9)
    assert await server.quiet() == []
    await gw.advance(0.1)
    got = sorted(await server.recv_all(2))
    texts = [d.decode() for d, _ in got]
    assert texts[0].startswith("req:1;id:goip01;pass:goip;num:;signal:25;gsm_status:LOGIN;")
    assert texts[1].startswith("req:1;id:goip02;")
    assert all(
        t.endswith(";SMS_LOGIN:N;SMB_LOGIN:;CELLINFO:LAC:7E5,CELL ID:5E5B;CGATT:Y;") for t in texts
    )
    ports = {addr[1] for _, addr in got}
    lines = await state(gw)
    assert len(ports) == 2 and ports == {line["local_port"] for line in lines}
    assert [line["keepalive_count"] for line in lines] == [1, 1]
    await gw.advance(30)
    again = sorted(d.decode() for d, _ in await server.recv_all(2))
    assert again[0].startswith("req:2;id:goip01;") and again[1].startswith("req:2;id:goip02;")


async def test_an_ack_logs_the_line_in_and_the_next_keepalive_says_so(dbl, server):
    gw = await dbl()
    addr = (await lines_up(gw, server))[1]
    server.send(b"reg:1;status:200;", addr)
    await until(lambda: gw.dev.personality.lines[0].sms_login)  # type: ignore[attr-defined]
    lines = await state(gw)
    assert [line["sms_login"] for line in lines] == [True, False]
    await gw.advance(30)
    texts = sorted(d.decode() for d, _ in await server.recv_all(2))
    assert "SMS_LOGIN:Y;" in texts[0] and "SMS_LOGIN:N;" in texts[1]
    acks = [e for e in gw.journal("udp", "reg") if e["dir"] == "in"]
    assert acks[0]["outcome"] == "acked" and acks[0]["line"] == 1
    # A refusal logs it out again (goipcron's 404 for a wrong password).
    server.send(b"reg:2;status:404;", addr)
    await until(lambda: not gw.dev.personality.lines[0].sms_login)  # type: ignore[attr-defined]
    assert [e["sms_login"] for e in gw.journal("device", "sms_login")] == [True, False]
    resp = await gw.client.get("/_emulator/metrics")
    metrics = (await resp.text()).splitlines()
    assert 'goip_udp_datagrams_total{type="reg",outcome="acked"} 1' in metrics
    assert 'goip_udp_datagrams_total{type="reg",outcome="refused"} 1' in metrics
    assert 'goip_dbl_keepalives_total{line="2"} 2' in metrics
    assert 'goip_dbl_sms_login{line="1"} 0' in metrics


async def test_an_injected_sms_is_pushed_as_receive_and_retransmitted_until_acked(dbl, server):
    gw = await dbl()
    addr = (await lines_up(gw, server))[2]
    status, doc = await gw.post(
        "/_emulator/sms", {"port": "2", "sender": "+15551234", "text": "hi; there"}
    )
    assert status == 200 and doc["outcome"] == "received"
    # Sent before the control request was answered: no advance needed.
    data, src = await server.recv()
    text = data.decode()
    assert src == addr
    recvid = text.split(";")[0].removeprefix("RECEIVE:")
    assert text == f"RECEIVE:{recvid};id:goip02;password:goip;srcnum:+15551234;msg:hi; there"
    await gw.advance(3)
    assert (await server.recv())[0] == data  # unacked: the same datagram, the same recvid
    server.send(f"RECEIVE {recvid} OK\n".encode(), addr)
    await until(lambda: not gw.dev.personality.lines[1].snapshot().pending)  # type: ignore[attr-defined]
    await gw.advance(10)
    assert all(not d.startswith(b"RECEIVE") for d, _ in await server.quiet())
    outcomes = [(e["dir"], e["outcome"]) for e in gw.journal("udp", "RECEIVE")]
    assert outcomes == [("out", "sent"), ("out", "retransmit"), ("in", "acked")]
    received = gw.journal("device", "sms_received")
    assert received[0]["sender"] == "+15551234" and received[0]["recvid"] == int(recvid)


async def test_an_unacked_receive_is_sent_four_times_then_given_up(dbl, server):
    gw = await dbl()
    await lines_up(gw, server)
    await gw.post("/_emulator/sms", {"port": "1", "sender": "+1555", "text": "x"})
    sends = [(await server.recv())[0]]
    for _ in range(4):
        await gw.advance(3)
        sends += [d for d, _ in await server.quiet(0.1) if d.startswith(b"RECEIVE")]
    assert len(sends) == 4 and len(set(sends)) == 1
    outcomes = [e["outcome"] for e in gw.journal("udp", "RECEIVE")]
    assert outcomes == ["sent", "retransmit", "retransmit", "retransmit", "gave_up"]
    assert (await state(gw))[0]["pending"] == []


async def test_an_sms_held_by_the_network_arrives_as_receive_when_the_sim_registers(dbl, server):
    gw = await dbl()
    await lines_up(gw, server)
    status, _ = await gw.post("/_emulator/sims/1A", {"event": "block"})
    assert status == 200
    state_push, addr = await server.recv()  # the line's state changed
    assert state_push.endswith(b";id:goip01;password:goip;gsm_remain_state:LOGOUT")
    recvid = state_push.split(b";")[0].removeprefix(b"STATE:")
    server.send(b"STATE " + recvid + b" OK", addr)
    await until(lambda: not gw.dev.personality.lines[0].snapshot().pending)  # type: ignore[attr-defined]
    _, doc = await gw.post("/_emulator/sms", {"port": "1", "sender": "+1555", "text": "later"})
    assert doc["outcome"] == "held"
    assert await server.quiet() == []
    await gw.post("/_emulator/sims/1A", {"event": "unblock"})
    await gw.advance(3)  # registration_time
    pushed = [d.decode() for d, _ in await server.quiet()]
    assert len(pushed) == 2
    assert pushed[0].startswith("STATE:") and pushed[0].endswith(";gsm_remain_state:IDLE")
    assert pushed[1].startswith("RECEIVE:") and pushed[1].endswith(";srcnum:+1555;msg:later")


async def test_a_bulk_send_goes_through_the_device_and_answers_wait_then_ok(dbl, server):
    gw = await dbl()
    addr = (await lines_up(gw, server))[1]
    assert await server.ask(b"MSG 7 5 hello\n", addr) == b"PASSWORD 7\n"
    assert await server.ask(b"PASSWORD 7 goip\n", addr) == b"SEND 7\n"
    assert await server.ask(b"SEND 7 1 +15550001\n", addr) == b"WAIT 7 1\n"
    assert (await state(gw))[0]["sessions"][0]["numbers"][0]["state"] == "waiting"
    await gw.advance(1.9)
    assert await server.quiet() == []
    await gw.advance(0.1)  # sending.latency: 2 s for one part
    data, src = await server.recv()
    assert (data, src) == (b"OK 7 1 1\n", addr)  # unasked, to the address of the SEND
    assert await server.ask(b"SEND 7 1 +15550001\n", addr) == b"OK 7 1 1\n"  # from memory
    assert await server.ask(b"DONE 7\n", addr) == b"DONE 7\n"
    sent = gw.journal("device", "sms_sent")
    assert len(sent) == 1
    assert {k: sent[0][k] for k in ("line", "to", "text", "ok", "sms_no", "via")} == {
        "line": 1, "to": "+15550001", "text": "hello", "ok": True, "sms_no": 1, "via": "udp",
    }  # fmt: skip
    # The device's own counters (EJOIN's goip_get_sms_stat figures) saw it on port 1.
    assert gw.device.stats.count(1, 1, "sent_ok", Window.TOTAL) == 1
    assert gw.device.stats.count(2, 1, "sent_ok", Window.TOTAL) == 0
    # The delivery report follows delivery_delay (5 s) after the SMS went out.
    await gw.advance(5)
    report = [d.decode() for d, _ in await server.quiet() if d.startswith(b"DELIVER")]
    assert len(report) == 1
    assert report[0].endswith(";id:goip01;password:goip;sms_no:1;state:0;num:+15550001")


async def test_a_failed_send_answers_the_profiles_error_code(dbl, server):
    gw = await dbl(sending={"failure_rate": 1})
    addr = (await lines_up(gw, server))[2]
    await server.ask(b"MSG 3 2 yo\n", addr)
    await server.ask(b"PASSWORD 3 goip\n", addr)
    assert await server.ask(b"SEND 3 9 +1555\n", addr) == b"WAIT 3 9\n"
    await gw.advance(2)
    assert (await server.recv())[0] == b"ERROR 3 9 errorstatus:38\n"
    sent = gw.journal("device", "sms_sent")
    assert [(s["ok"], s["error"], s["sms_no"]) for s in sent] == [(False, "38", None)]


async def test_a_line_whose_sim_is_out_refuses_bulk_sends_and_says_logout(dbl, server):
    gw = await dbl()
    addr = (await lines_up(gw, server))[1]
    await gw.post("/_emulator/sims/1A", {"event": "remove"})
    await server.ask(b"MSG 4 1 a\n", addr)
    assert await server.ask(b"PASSWORD 4 goip\n", addr) == b"ERROR 4 GSM_LOGOUT\n"
    assert await server.ask(b"PASSWORD 4 nope\n", addr) == b"ERROR 4 PASSWORD\n"
    await gw.advance(30)
    texts = {d.decode().split(";")[1]: d.decode() for d, _ in await server.keepalives(2)}
    assert "gsm_status:LOGOUT;" in texts["id:goip01"] and "signal:;" in texts["id:goip01"]
    assert "gsm_status:LOGIN;" in texts["id:goip02"]


async def test_a_call_on_a_line_pushes_record_state_hangup_remain_state(dbl, server):
    gw = await dbl()
    await lines_up(gw, server)
    call = {"port": "2", "pdd": 1, "ring": 1, "talk": 10, "answer_ratio": 1, "number": "+1777"}
    status, _ = await gw.post("/_emulator/calls", call)
    assert status == 200
    await gw.advance(0)
    started = [d.decode() for d, _ in await server.quiet()]
    assert [p.split(":")[0] for p in started] == ["RECORD", "STATE"]
    assert started[0].endswith(";id:goip02;password:goip;dir:2;num:+1777")
    assert started[1].endswith(";gsm_remain_state:BUSY")
    for push in started:  # acked: what follows is the call's end alone
        keyword, recvid = push.split(";")[0].split(":")
        server.send(f"{keyword} {recvid} OK".encode(), (await state_addr(gw, 2)))
    await until(lambda: not gw.dev.personality.lines[1].snapshot().pending)  # type: ignore[attr-defined]
    await gw.advance(12)
    ended = [d.decode() for d, _ in await server.quiet() if not d.startswith(b"req:")]
    assert [p.split(":")[0] for p in ended] == ["HANGUP", "REMAIN", "STATE"]
    assert ended[0].endswith(";id:goip02;password:goip;num:+1777;cause:normal")
    assert ended[1].endswith(";gsm_remain_time:-1")
    assert ended[2].endswith(";gsm_remain_state:IDLE")


async def state_addr(gw: Gateway, line: int) -> Addr:
    return ("127.0.0.1", (await state(gw))[line - 1]["local_port"])


async def test_commands_answer_from_the_device(dbl, server):
    gw = await dbl()
    addr = (await lines_up(gw, server))[2]
    imei = gw.device.imei(2)
    assert await server.ask(b"get_imei 11 goip\n", addr) == f"get_imei 11 {imei}\n".encode()
    assert await server.ask(b"get_gsm_state 12 goip\n", addr) == b"get_gsm_state 12 IDLE\n"
    assert await server.ask(b"set_gsm_num 13 +1999 goip\n", addr) == b"set_gsm_num 13 +1999 ok\n"
    new = b"set_imei 14 861234567890123 goip\n"
    assert await server.ask(new, addr) == b"set_imei 14 861234567890123 ok\n"
    assert await server.ask(b"get_imei 15 goip\n", addr) == b"get_imei 15 861234567890123\n"
    await gw.advance(30)
    texts = [d.decode() for d, _ in await server.recv_all(2)]
    assert any(t.startswith("req:2;id:goip02;pass:goip;num:+1999;") for t in texts)


async def test_a_dbl_device_serves_no_ejoin_api_but_the_control_api(dbl):
    gw = await dbl()
    resp = await gw.client.get(
        "/goip_get_status.html", params={"username": "root", "password": "root"}
    )
    assert resp.status == 404
    resp = await gw.client.post("/goip_post_sms.html", data=b"{}")
    assert resp.status == 404
    status, doc = await gw.get("/_emulator/health")
    assert status == 200


async def test_reset_closes_sessions_and_restarts_the_keepalive_count(dbl, server):
    gw = await dbl()
    addr = (await lines_up(gw, server))[1]
    await server.ask(b"MSG 5 1 z\n", addr)
    assert len((await state(gw))[0]["sessions"]) == 1
    status, _ = await gw.post("/_emulator/reset", {})
    assert status == 200
    lines = await state(gw)
    assert lines[0]["sessions"] == [] and lines[0]["keepalive_count"] == 0
    await gw.advance(1)
    texts = sorted(d.decode() for d, _ in await server.recv_all(2))
    assert texts[0].startswith("req:1;id:goip01;") and texts[1].startswith("req:1;id:goip02;")
    # The new device's SMS still reach the line.
    await gw.post("/_emulator/sms", {"port": "1", "sender": "+1", "text": "after"})
    assert (await server.recv())[0].endswith(b";srcnum:+1;msg:after")


async def test_a_rebooted_device_is_silent_then_counts_keepalives_from_1(dbl, server):
    gw = await dbl(device={"reboot_time": 10})
    addr = (await lines_up(gw, server))[1]
    assert await server.ask(b"svr_reboot_dev 21 goip\n", addr) == b"svr_reboot_dev 21 ok\n"
    await gw.advance(0)
    server.send(b"get_gsm_num 22 goip\n", addr)
    assert await server.quiet() == []  # rebooting: nothing heard, nothing said
    await gw.advance(11)
    texts = sorted(d.decode() for d, _ in await server.keepalives(2))
    assert texts[0].startswith("req:1;id:goip01;")


async def test_a_reboot_loses_the_sms_on_the_air_and_the_line_sends_again_after(dbl, server):
    gw = await dbl(device={"reboot_time": 10})
    addr = (await lines_up(gw, server))[1]
    await server.ask(b"MSG 1 1 a\n", addr)
    await server.ask(b"PASSWORD 1 goip\n", addr)
    assert await server.ask(b"SEND 1 1 +1555\n", addr) == b"WAIT 1 1\n"
    assert await server.ask(b"svr_reboot_dev 2 goip\n", addr) == b"svr_reboot_dev 2 ok\n"
    await gw.advance(14)  # rebooted at 10 s, registered 3 s later (a reboot is cold)
    answers = [d for d, _ in await server.quiet() if not d.startswith(UNASKED)]
    assert answers == []  # the SMS on the air was lost with the RAM: no OK, no ERROR
    assert (await state(gw))[0]["queued"] == 0
    await server.ask(b"MSG 3 1 b\n", addr)
    assert await server.ask(b"PASSWORD 3 goip\n", addr) == b"SEND 3\n"
    assert await server.ask(b"SEND 3 1 +1666\n", addr) == b"WAIT 3 1\n"
    await gw.advance(2)
    assert [d for d, _ in await server.quiet() if not d.startswith(UNASKED)] == [b"OK 3 1 1\n"]


async def test_ussd_is_answered_after_its_latency_with_the_sim_balance(dbl, server):
    gw = await dbl(sims={"defaults": {"balance": 12.5}})
    addr = (await lines_up(gw, server))[1]
    server.send(b"USSD 31 goip *100#\n", addr)
    await until(lambda: bool(gw.journal("udp", "USSD")))
    await gw.advance(2.9)
    assert [d for d, _ in await server.quiet() if not d.startswith(UNASKED)] == []
    await gw.advance(0.1)  # dbl.ussd_latency: 3 s
    assert (await server.recv())[0] == b"USSD 31 Your balance is 12.50\n"
    assert [(e["code"], e["ok"]) for e in gw.journal("device", "ussd")] == [("*100#", True)]


async def test_the_journal_holds_no_password_of_any_datagram(dbl, server):
    gw = await dbl(dbl={"client_password": "s3cret"})
    addr = (await lines_up(gw, server))[1]
    await gw.post("/_emulator/sms", {"port": "1", "sender": "+1", "text": "x;password:keep"})
    await server.ask(b"MSG 1 1 a\n", addr)
    assert await server.ask(b"PASSWORD 1 s3cret\n", addr) == b"SEND 1\n"
    assert await server.ask(b"get_gsm_num 2 s3cret\n", addr) == b"get_gsm_num 2 \n"
    server.send(b"USSD 3 s3cret *100#\n", addr)
    await until(lambda: bool(gw.journal("udp", "USSD")))
    resp = await gw.client.get("/_emulator/journal")
    text = await resp.text()
    assert "s3cret" not in text
    texts = {(e["dir"], e["type"]): e["text"] for e in gw.journal("udp")}
    assert texts["in", "PASSWORD"].startswith("PASSWORD 1 ***")
    assert texts["in", "USSD"] == "USSD 3 *** *100#\n"
    assert texts["in", "get_gsm_num"] == "get_gsm_num 2 ***\n"
    assert texts["out", "RECEIVE"].endswith(";password:***;srcnum:+1;msg:x;password:keep")
    assert ";pass:***;" in texts["out", "req"]
