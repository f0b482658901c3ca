"""Inter-calling (states 13 and 14): a call from one port of the device to another, as
`POST /_emulator/calls` with `peer` places it, seen on both ports and in the caller's
statistics only."""

from __future__ import annotations

from conftest import CREDS


async def test_a_port_calls_another_both_show_14_then_13_then_3(gateway, receiver):
    await gateway.get("/goip_get_status.html", url=receiver.url, **CREDS)
    status, doc = await gateway.post(
        "/_emulator/calls",
        {"port": "1", "peer": "3", "count": 1, "pdd": 2, "ring": 3, "talk": 60, "answer_ratio": 1},
    )
    assert status == 200 and doc["ports"] == [1]
    await gateway.advance(1)
    assert (await gateway.port_st(1), await gateway.port_st(3)) == (14, 14)
    # Neither port sends SMS meanwhile, as in 4 In Call.
    _, answer = await gateway.post(
        "/goip_post_sms.html",
        {"type": "send-sms", "tasks": [{"tid": 5, "to": "1", "sms": "x", "from": "3"}]},
        **CREDS,
    )
    assert answer["status"] == [{"tid": 5, "status": "5 SIM Unregistered"}]
    await gateway.advance(5)
    assert (await gateway.port_st(1), await gateway.port_st(3)) == (13, 13)
    await gateway.advance(60)
    assert (await gateway.port_st(1), await gateway.port_st(3)) == (3, 3)
    for port in ("1.01", "3.01"):
        pushed = [d["st"] for d in receiver.of_type("port-status") if d["port"] == port]
        assert pushed == ["14 Waiting for Port Call", "13 Port Calling Port", "3 OK"], port
    _, stats = await gateway.get("/goip_get_call_stat.html", ports="1,3", **CREDS)
    by_port = {e["port"]: e for e in stats["stats"]}
    assert (by_port[1]["calls"], by_port[1]["connected"], by_port[1]["act_tcd"]) == (1, 1, 60)
    assert by_port[3]["calls"] == 0  # the peer's statistics do not count it


async def test_a_call_to_a_peer_not_ok_fails_at_once(gateway):
    await gateway.get("/goip_send_cmd.html", op="lock", ports="2", **CREDS)
    status, _ = await gateway.post("/_emulator/calls", {"port": "1", "peer": "2", "pdd": 1})
    assert status == 200
    await gateway.advance(1)
    assert await gateway.port_st(1) == 3
    _, stats = await gateway.get("/goip_get_call_stat.html", ports="1", **CREDS)
    entry = stats["stats"][0]
    assert (entry["calls"], entry["alerted"], entry["connected"]) == (1, 0, 0)


async def test_a_peer_is_another_port_of_the_device(gateway):
    before = await gateway.state()
    for body, field in (
        ({"port": "1", "peer": "1"}, "peer"),
        ({"port": "1-2", "peer": "2"}, "peer"),
        ({"port": "1", "peer": "9"}, "peer"),
        ({"port": "1", "peer": "x"}, "peer"),
    ):
        status, doc = await gateway.post("/_emulator/calls", body)
        assert status == 400 and doc["reason"].startswith(field), doc
    after = await gateway.state()
    before.pop("clock"), after.pop("clock")
    assert after == before
