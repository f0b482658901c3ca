"""The DBL GoIP as a user's test suite sees it: the goip_dbl and goip_sms_server fixtures
of the pytest plugin, UDP faults, calls and their hang-up, all on real sockets."""

from __future__ import annotations

import pytest

from emulator.testing import BulkError, ControlError, Emulator, SmsServer


async def test_an_injected_sms_arrives_at_the_sms_server_acked(goip_dbl, goip_sms_server):
    await goip_dbl.advance(1)  # the first keepalives: the server logs the lines in
    await goip_sms_server.wait_for(lambda s: len(s.lines) == 8)
    assert sorted(goip_sms_server.lines) == [f"goip{n:02d}" for n in range(1, 9)]
    got = await goip_dbl.inject_sms("3", "+15550001", "héllo; world")
    assert got["outcome"] == "received"
    await goip_sms_server.wait_for(lambda s: s.sms())
    [sms] = goip_sms_server.sms()
    assert (sms.id, sms.srcnum, sms.msg) == ("goip03", "+15550001", "héllo; world")
    # acked: nothing is pending, and the line says it is logged in
    await goip_dbl.advance(30)
    lines = (await goip_dbl.state())["dbl"]
    assert lines[2]["pending"] == [] and lines[2]["sms_login"] is True
    assert goip_sms_server.of_type("req")[-1].fields["SMS_LOGIN"] == "Y"
    assert len(goip_sms_server.of_type("RECEIVE")) == 1  # never retransmitted


async def test_a_bulk_send_waits_then_reports_ok_once_sent(goip_dbl, goip_sms_server):
    await goip_dbl.advance(1)
    await goip_sms_server.wait_for(lambda s: "goip01" in s.lines)
    bulk = await goip_sms_server.send_sms("goip01", ["+15550002", "+15550003"], "hi there")
    assert bulk.results == {}
    await goip_dbl.advance(12)  # two sends of 2-5 s each on the line's one module
    results = await bulk.wait()
    assert [(r.telid, r.number, r.ok) for r in results.values()] == [
        (1, "+15550002", True),
        (2, "+15550003", True),
    ]
    assert [r.sms_no for r in results.values()] == [1, 2]
    await bulk.done()
    sent = await goip_dbl.journal("device", "sms_sent")
    assert [(e["to"], e["via"]) for e in sent] == [("+15550002", "udp"), ("+15550003", "udp")]
    with pytest.raises(BulkError, match="ERROR 9 PASSWORD"):
        await goip_sms_server.send_sms("goip01", "+1", "x", password="nope", sendid=9)


async def test_a_dropped_receive_is_retransmitted_and_journaled(goip_dbl, goip_sms_server):
    await goip_dbl.advance(1)
    fault = await goip_dbl.add_udp_fault("drop", dir="out", keyword="RECEIVE", line=2, count=1)
    assert fault["udp"] == {"action": "drop", "dir": "out", "keyword": "RECEIVE", "line": 2,
                            "seconds": 0, "fraction": 1.0, "count": 1}  # fmt: skip
    await goip_dbl.inject_sms("1", "+1555", "to line 1")  # another line: not dropped
    await goip_dbl.inject_sms("2", "+1555", "to line 2")
    await goip_sms_server.wait_for(lambda s: len(s.sms()) == 1)
    assert goip_sms_server.sms()[0].id == "goip01"
    await goip_dbl.advance(3)  # the retransmission interval
    await goip_sms_server.wait_for(lambda s: len(s.sms()) == 2)
    entries = [
        (e["dir"], e["outcome"], e["reason"])
        for e in await goip_dbl.journal("udp", "RECEIVE")
        if e["line"] == 2
    ]
    assert entries == [
        ("out", "sent", ""),
        ("out", "dropped", f"fault #{fault['id']}"),
        ("out", "retransmit", ""),
        ("in", "acked", ""),
    ]
    [used] = await goip_dbl.faults()
    assert (used["hits"], used["remaining"], used["active"]) == (1, 0, False)


async def test_a_duplicated_push_reaches_the_server_twice(goip_dbl, goip_sms_server):
    await goip_dbl.advance(1)
    await goip_dbl.add_udp_fault("duplicate", dir="out", keyword="RECEIVE")
    await goip_dbl.inject_sms("4", "+1555", "twice")
    await goip_sms_server.wait_for(lambda s: len(s.of_type("RECEIVE")) == 2)
    first, second = goip_sms_server.of_type("RECEIVE")
    assert first.data == second.data  # the same datagram, the same recvid
    assert len(goip_sms_server.sms()) == 1  # which a server stores once
    outcomes = [e["outcome"] for e in await goip_dbl.journal("udp", "RECEIVE") if e["dir"] == "out"]
    assert outcomes == ["sent", "duplicated"]


async def test_a_delay_holds_a_datagram_for_device_seconds(goip_dbl, goip_sms_server):
    await goip_dbl.advance(1)
    await goip_sms_server.wait_for(lambda s: len(s.of_type("req")) == 8)
    await goip_dbl.add_udp_fault("delay", dir="out", keyword="RECEIVE", seconds=5)
    await goip_dbl.inject_sms("1", "+1555", "late")
    await goip_sms_server.quiet()
    assert goip_sms_server.sms() == []  # real time passes; device time does not
    await goip_dbl.advance(2.9)  # before its retransmission, which is delayed too
    assert goip_sms_server.sms() == []
    await goip_dbl.advance(2.1)
    await goip_sms_server.wait_for(lambda s: s.sms())
    assert goip_sms_server.sms()[0].msg == "late"
    [delayed, *_] = [e for e in await goip_dbl.journal("udp") if e["outcome"] == "delayed"]
    assert delayed["type"] == "RECEIVE" and delayed["reason"].endswith("5 s later")


async def test_an_inbound_fault_drops_the_servers_acks(goip_dbl, goip_sms_server):
    await goip_dbl.advance(1)
    await goip_dbl.add_udp_fault("drop", dir="in", keyword="RECEIVE", line=5)
    await goip_dbl.inject_sms("5", "+1555", "never acked")
    await goip_dbl.advance(12)  # 3 retransmissions, each acked, every ack lost
    await goip_sms_server.wait_for(lambda s: len(s.of_type("RECEIVE")) == 4)
    lost = [e for e in await goip_dbl.journal("udp", "RECEIVE") if e["dir"] == "in"]
    assert {e["outcome"] for e in lost} == {"dropped"} and len(lost) >= 3
    outcomes = [e["outcome"] for e in await goip_dbl.journal("udp", "RECEIVE")]
    assert outcomes.count("gave_up") == 1  # the 4th send unanswered for 3 s: given up
    assert await goip_dbl.clear_faults() == 1


async def test_udp_faults_are_refused_where_they_cannot_apply(goip_dbl, goip_emulator):
    with pytest.raises(ControlError, match=r"udp\.line: no line 9"):
        await goip_dbl.add_udp_fault("drop", line=9)
    with pytest.raises(ControlError, match="udp: seconds: action=delay needs a delay"):
        await goip_dbl.add_udp_fault("delay")
    with pytest.raises(ControlError, match=r"udp\.dir"):
        await goip_dbl.add_udp_fault("drop", dir="sideways")
    with pytest.raises(ControlError, match="needs a DBL GoIP device"):
        await goip_emulator.add_udp_fault("drop")
    await goip_dbl.add_udp_fault("drop")
    await goip_dbl.reset()  # a reset clears faults of both kinds
    assert await goip_dbl.faults() == []


async def test_svr_drop_call_ends_the_call_with_hangup_and_num(goip_dbl, goip_sms_server):
    await goip_dbl.advance(1)
    await goip_sms_server.wait_for(lambda s: "goip06" in s.lines)
    await goip_dbl.place_calls("6", talk=600, answer_ratio=1, pdd=1, ring=1, number="+15557")
    await goip_dbl.advance(60)
    [record] = goip_sms_server.of_type("RECORD")
    assert record.fields["dir"] == "2" and record.fields["num"] == "+15557"
    answer = await goip_sms_server.request("goip06", "svr_drop_call 41 goip\n", ["svr_drop_call"])
    assert answer == "svr_drop_call 41 ok"
    await goip_dbl.advance(0)
    await goip_sms_server.wait_for(lambda s: s.of_type("HANGUP"))
    [hangup] = goip_sms_server.of_type("HANGUP")
    assert hangup.fields["num"] == "+15557" and hangup.fields["cause"] == "svr_drop_call"
    states = [g.fields["gsm_remain_state"] for g in goip_sms_server.of_type("STATE")]
    assert states == ["BUSY", "IDLE"]
    with pytest.raises(ControlError, match=r"409.*no call on the air"):
        await goip_dbl.hang_up("6")


async def test_the_user_hangs_up_through_the_control_api(goip_dbl, goip_sms_server):
    await goip_dbl.advance(1)
    await goip_dbl.place_calls("2", talk=300, answer_ratio=1, pdd=1, ring=1)
    await goip_dbl.advance(31)
    ended = await goip_dbl.hang_up("2")
    assert ended["cause"] == "hangup" and ended["number"].startswith("+1555")
    await goip_sms_server.wait_for(lambda s: s.of_type("HANGUP"))
    [record], [hangup] = goip_sms_server.of_type("RECORD"), goip_sms_server.of_type("HANGUP")
    assert record.fields["num"] == hangup.fields["num"] == ended["number"]
    assert hangup.fields["cause"] == "hangup"


async def test_the_helpers_without_the_plugin_and_a_server_that_is_down():
    async with (
        SmsServer(ack=False) as server,
        Emulator("dbl-goip8", sms_server=server.address) as gw,
    ):
        await gw.advance(1)
        await gw.inject_sms("1", "+1555", "unacked")
        await gw.advance(12)
        await server.wait_for(lambda s: len(s.of_type("RECEIVE")) == 4)  # 1 + 3 resends
        assert len(server.sms()) == 1
        assert await gw.line_address(1) == server.line("goip01")


def test_the_sync_fixtures(goip_dbl_sync, goip_sms_server_sync):
    goip_dbl_sync.advance(1)
    goip_sms_server_sync.wait_for(lambda s: len(s.lines) == 8)
    goip_dbl_sync.inject_sms("8", "+15550009", "sync")
    goip_sms_server_sync.wait_for(lambda s: s.sms())
    assert goip_sms_server_sync.sms()[0].id == "goip08"
    bulk = goip_sms_server_sync.send_sms("goip08", "+15550010", "back")
    goip_dbl_sync.advance(6)
    assert bulk.wait()[1].ok
    bulk.done()
