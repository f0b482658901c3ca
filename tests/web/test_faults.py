"""HTTP faults injected on the device API through /_emulator/faults."""

import aiohttp
import pytest
from conftest import CREDS

STATUS = "/goip_get_status.html"


async def test_error_for_the_next_n_requests_then_normal(gateway):
    status, fault = await gateway.post(
        "/_emulator/faults", {"action": "error", "status": 503, "count": 2}
    )
    assert status == 200 and fault["id"] == 1 and fault["remaining"] == 2
    got = [(await gateway.get(STATUS, **CREDS))[0] for _ in range(3)]
    assert got == [503, 503, 200]
    _, listed = await gateway.get("/_emulator/faults")
    assert listed["faults"][0]["hits"] == 2 and listed["faults"][0]["active"] is False
    faulted = [e for e in gateway.journal("request") if e.get("outcome") == "fault"]
    assert len(faulted) == 2


async def test_endpoint_filter_leaves_other_endpoints_alone(gateway):
    await gateway.post("/_emulator/faults", {"action": "error", "endpoint": "goip_send_cmd"})
    assert (await gateway.get(STATUS, **CREDS))[0] == 200
    status, doc = await gateway.get("/goip_send_cmd.html", op="get", sms_url="", **CREDS)
    assert status == 500 and doc["reason"] == "injected fault #1"


async def test_drop_closes_the_connection_unanswered(gateway):
    await gateway.post("/_emulator/faults", {"action": "drop", "count": 1})
    with pytest.raises(aiohttp.ClientError):
        await gateway.client.get(STATUS, params=CREDS)
    assert (await gateway.get(STATUS, **CREDS))[0] == 200


async def test_delay_then_a_normal_answer(gateway):
    await gateway.post("/_emulator/faults", {"action": "delay", "delay_ms": [5, 10], "count": 1})
    status, doc = await gateway.get(STATUS, **CREDS)
    assert status == 200 and doc["type"] == "dev-status"


async def test_duration_is_device_time(gateway):
    await gateway.post("/_emulator/faults", {"action": "error", "duration": 60})
    assert (await gateway.get(STATUS, **CREDS))[0] == 500
    await gateway.advance(60)
    assert (await gateway.get(STATUS, **CREDS))[0] == 200


async def test_fraction_is_drawn_from_the_seed(gateway_factory):
    outcomes = []
    for _ in range(2):
        gw = await gateway_factory(seed=42)
        await gw.post("/_emulator/faults", {"action": "error", "fraction": 0.5})
        outcomes.append([(await gw.get(STATUS, **CREDS))[0] for _ in range(40)])
    assert outcomes[0] == outcomes[1]
    assert 5 < outcomes[0].count(500) < 35


async def test_clear_and_remove(gateway):
    await gateway.post("/_emulator/faults", {"action": "error"})
    await gateway.post("/_emulator/faults", {"action": "drop"})
    resp = await gateway.client.delete("/_emulator/faults/1")
    assert resp.status == 200
    resp = await gateway.client.delete("/_emulator/faults/1")
    assert resp.status == 404
    resp = await gateway.client.delete("/_emulator/faults")
    assert (await resp.json())["cleared"] == 1
    assert (await gateway.get(STATUS, **CREDS))[0] == 200


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"action": "explode"}, "action"),
        ({"action": "error", "status": 200}, "status"),
        ({"action": "error", "endpoint": "goip_nothing"}, "not a device endpoint"),
        ({"action": "delay"}, "delay_ms"),
        ({"action": "error", "fraction": 2}, "fraction"),
        ({"action": "error", "colour": "red"}, "colour"),
    ],
)
async def test_bad_fault_specs_name_the_field(gateway, body, words):
    status, doc = await gateway.post("/_emulator/faults", body)
    assert status == 400 and words in doc["reason"]
    _, listed = await gateway.get("/_emulator/faults")
    assert listed["faults"] == []


async def test_control_api_is_never_faulted(gateway):
    await gateway.post("/_emulator/faults", {"action": "drop"})
    status, _ = await gateway.get("/_emulator/state")
    assert status == 200


async def test_the_body_limit_is_a_profile_setting(gateway_factory):
    from conftest import small

    gw = await gateway_factory(small(device={"max_body": 2048}))
    resp = await gw.client.post("/goip_send_cmd.html", params=CREDS, data=b"x" * 3000)
    assert resp.status == 413
    assert "over 2048" in (await resp.json())["reason"]
