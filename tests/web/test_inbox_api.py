"""Received SMS, the inbox, statistics and calls over HTTP (spec 7-10), control API too."""

import base64

import pytest
from conftest import CREDS, small

from emulator.config.profile import load_profile


async def inject(gw, *items):
    body = list(items) if len(items) > 1 else items[0]
    return await gw.post("/_emulator/sms", body)


async def test_inject_push_and_read_back(gateway, receiver):
    await gateway.get("/goip_send_cmd.html", op="set", sms_url=receiver.url, **CREDS)
    status, doc = await inject(gateway, {"port": "2", "sender": "+15550001", "text": "héllo"})
    assert (status, doc) == (200, {"port": "2", "outcome": "received", "id": 1})
    await gateway.advance(0)
    [push] = receiver.of_type("recv-sms")
    entry = push["sms"][0]
    assert push["sms_num"] == 1 and "sim_src" not in push
    assert entry[:5] == [
        0,
        "2.01",
        1767225610,
        "+15550001",
        (await gateway.sim(2))["number"],
    ]
    assert base64.b64decode(entry[5]).decode() == "héllo"
    _, doc = await gateway.get("/goip_get_sms.html", **CREDS)
    assert doc["code"] == 0 and doc["sms_num"] == 1 and doc["next_sms"] == 2
    assert doc["data"] == [entry] and len(doc["ssrc"]) == 16
    _, doc = await gateway.get("/goip_get_sms.html", sms_id=1, sms_del=1, **CREDS)
    _, doc = await gateway.get("/goip_get_sms.html", **CREDS)
    assert doc["sms_num"] == 0 and doc["data"] == []


async def test_field_firmware_header_block_and_sim_src(gateway_factory, receiver):
    gw = await gateway_factory(load_profile("field-firmware"))
    await gw.advance(10)
    await gw.get("/goip_send_cmd.html", op="set", sms_url=receiver.url, **CREDS)
    await inject(gw, {"port": "3.02", "sender": "10010", "text": "line one\nline two"})
    await inject(gw, {"port": "3", "sender": "10010", "text": "first"})
    await gw.advance(0)
    pushes = receiver.of_type("recv-sms")
    assert all(p["sim_src"] == 1 for p in pushes)
    entry = pushes[0]["sms"][0]
    assert entry[1] == "3.01"  # 3.02 is not current: the network held that one
    decoded = base64.b64decode(entry[5]).decode()
    header, _, text = decoded.partition("\r\n\r\n")  # as field clients do
    assert text == "first"
    lines = header.split("\r\n")
    assert lines[0] == "Sender: 10010"
    assert lines[1].startswith('Receiver: "3.01" ')
    assert lines[2] == "SMSC: +8613010112500"
    assert lines[3] == "SCTS: 260101000010+00"


async def test_control_sms_errors_and_outcomes(gateway_factory):
    gw = await gateway_factory(small(sims={"overrides": [{"slots": "4.02", "present": False}]}))
    await gw.advance(10)
    status, doc = await inject(gw, {"port": "9", "sender": "1", "text": "x"})
    assert status == 400 and "port 9" in doc["reason"]
    status, doc = await inject(gw, {"port": "1", "text": "x"})
    assert status == 400 and "sender" in doc["reason"]
    status, doc = await inject(
        gw,
        {"port": "4.02", "sender": "1", "text": "x"},
        {"port": "1.02", "sender": "1", "text": "y"},
    )
    assert [r["outcome"] for r in doc["results"]] == ["refused", "held"]
    assert "4.02 has no SIM" in doc["results"][0]["reason"]


@pytest.mark.parametrize(
    ("params", "pairs"),
    [
        ({}, [(1, 1), (2, 1), (3, 1), (4, 1)]),
        ({"ports": "2"}, [(2, 1)]),
        ({"ports": "1-2", "slots": "all"}, [(1, 1), (1, 2), (2, 1), (2, 2)]),
        ({"ports": "all", "slots": "2"}, [(1, 2), (2, 2), (3, 2), (4, 2)]),
        ({"ports": "1,3", "slots": "1-2"}, [(1, 1), (1, 2), (3, 1), (3, 2)]),
    ],
)
async def test_sms_stat_selection(gateway, params, pairs):
    _, doc = await gateway.get("/goip_get_sms_stat.html", **params, **CREDS)
    assert doc["code"] == 200 and doc["count"] == len(pairs)
    assert [(s["port"], s["slot"]) for s in doc["stats"]] == pairs


async def test_sms_stat_counts_in_windows(gateway_factory, receiver):
    gw = await gateway_factory(
        small(
            sending={"latency": 1}, sims={"overrides": [{"slots": "2.01", "send_failure_rate": 1}]}
        )
    )
    await gw.advance(10)
    await inject(gw, {"port": "1", "sender": "1", "text": "x"})
    await gw.post(
        "/goip_post_sms.html",
        {
            "type": "send-sms",
            "tasks": [
                {"tid": 1, "to": "1,2,3", "sms": "x", "from": "1"},
                {"tid": 2, "to": "1,2", "sms": "x", "from": "2"},
            ],
        },
        **CREDS,
    )
    await gw.advance(1)
    _, doc = await gw.get("/goip_get_sms_stat.html", ports="1-2", **CREDS)
    one, two = doc["stats"]
    assert (one["received"], one["sent"], one["sent_ok"], one["unsent"], one["sending"]) == (
        1,
        1,
        1,
        1,
        1,
    )
    assert (two["sent"], two["sent_failed"], two["con_failed"]) == (1, 1, 1)
    await gw.advance(10)
    _, doc = await gw.get("/goip_get_sms_stat.html", ports="1-2", **CREDS)
    one, two = doc["stats"]
    assert (one["sent_ok"], one["unsent"], one["sending"]) == (3, 0, 0)
    assert (two["sent_failed"], two["con_failed"]) == (2, 2)
    await gw.advance(3600)
    _, doc = await gw.get("/goip_get_sms_stat.html", ports="1", type=0, **CREDS)
    assert doc["stats"][0]["sent"] == 0
    _, doc = await gw.get("/goip_get_sms_stat.html", ports="1", type=3, **CREDS)
    assert doc["stats"][0]["sent"] == 3 and doc["stats"][0]["received"] == 1


@pytest.mark.parametrize(
    ("params", "code"),
    [({"ports": "x"}, 2), ({"ports": "7"}, 2), ({"slots": "5"}, 400), ({"type": "4"}, 400)],
)
async def test_stat_selection_errors(gateway, params, code):
    status, doc = await gateway.get("/goip_get_sms_stat.html", **params, **CREDS)
    assert doc["code"] == code


async def test_calls_through_the_control_api(gateway, receiver):
    await gateway.get("/goip_get_status.html", url=receiver.url, **CREDS)
    status, doc = await gateway.post(
        "/_emulator/calls",
        {"port": "2", "count": 2, "pdd": 1, "ring": 2, "talk": 61, "answer_ratio": 1},
    )
    assert status == 200 and doc["ports"] == [2]
    await gateway.advance(200)
    states = [d["st"] for d in receiver.of_type("port-status") if d["port"] == "2.01"]
    assert states == ["4 In Call", "3 OK", "4 In Call", "3 OK"]
    _, doc = await gateway.get("/goip_get_call_stat.html", ports="2", **CREDS)
    assert doc["stats"] == [
        {
            "port": 2,
            "slot": 1,
            "calls": 2,
            "alerted": 2,
            "connected": 2,
            "con_failed": 0,
            "nc": "2/2",
            "pdd": 1,
            "acd": 61,
            "asr": 100,
            "tcd": 4,
            "act_tcd": 122,
        }
    ]
    _, status_doc = await gateway.get("/goip_get_status.html", **CREDS)
    assert status_doc["status"][1]["tot_dur"] == "2/-1"
    status, doc = await gateway.post("/_emulator/calls", {"port": "2", "count": 0})
    assert status == 400 and "count" in doc["reason"]
    status, doc = await gateway.post("/_emulator/calls", {"port": "2", "talk": [9, 3]})
    assert status == 400 and "talk" in doc["reason"]


async def test_scenario_sms_and_calls(gateway_factory, receiver):
    gw = await gateway_factory(
        small(
            push={"sms_url": receiver.url},
            scenario=[
                {"every": 10, "count": 3, "sms": {"ports": "1-2", "text": "n={n} port={port}"}},
                {"at": 25, "sms": {"ports": "4", "text": ["from a list", "unused"]}},
                {"at": 15, "calls": {"port": "3", "talk": 5, "answer_ratio": 1}},
            ],
        )
    )
    await gw.advance(60)
    texts = [
        base64.b64decode(e[5]).decode() for p in receiver.of_type("recv-sms") for e in p["sms"]
    ]
    assert texts == ["n=1 port=1", "n=2 port=2", "from a list", "n=3 port=1"]
    _, doc = await gw.get("/goip_get_call_stat.html", ports="3", **CREDS)
    assert doc["stats"][0]["connected"] == 1


async def test_inbound_flood_profile_streams(gateway_factory, receiver):
    gw = await gateway_factory(load_profile("inbound-flood"))
    await gw.get("/goip_send_cmd.html", op="set", sms_url=receiver.url, **CREDS)
    await gw.advance(120)
    received = sum(p["sms_num"] for p in receiver.of_type("recv-sms"))
    assert 40 <= received <= 60  # one every 2 s, after the SIMs registered
    assert all(p["sms_num"] <= 20 for p in receiver.of_type("recv-sms"))


async def test_campaign_profile_reports_failures_and_delivery(gateway_factory, receiver):
    gw = await gateway_factory(load_profile("campaign"))
    await gw.advance(30)
    await gw.get("/goip_send_cmd.html", op="set", sms_url=receiver.url, **CREDS)
    to = ",".join(f"1555{n:04d}" for n in range(64))
    await gw.post(
        "/goip_post_sms.html",
        {
            "type": "send-sms",
            "sr_url": receiver.url,
            "tasks": [{"tid": 1, "to": to, "sms": "promo", "dr": 1, "fdr": 1}],
        },
        **CREDS,
    )
    await gw.advance(3600)
    finals = [r for p in receiver.of_type("status-report") for r in p["rpts"]]
    assert finals[-1]["sent"] + finals[-1]["failed"] == 64
    assert finals[-1]["failed"] >= 1  # port 4 fails half its messages
    reports = [e for p in receiver.of_type("recv-sms") for e in p["sms"] if e[0] == 1]
    assert len(reports) == finals[-1]["sent"]


async def test_injected_timestamps(gateway):
    _, doc = await inject(
        gateway,
        {"port": "1", "sender": "1", "text": "a", "ts": 1767225000},
        {"port": "1", "sender": "1", "text": "b", "timestamp": "2026-01-01T00:05:00+00:00"},
    )
    assert [r["outcome"] for r in doc["results"]] == ["received", "received"]
    _, inbox = await gateway.get("/goip_get_sms.html", **CREDS)
    assert [e[2] for e in inbox["data"]] == [1767225000, 1767225900]
