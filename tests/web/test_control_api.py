"""The emulator's own control API under /_emulator/."""

import asyncio

import pytest
from conftest import CREDS, small

from emulator.core.codes import SimState


async def test_health(gateway):
    status, doc = await gateway.get("/_emulator/health")
    assert (status, doc["status"]) == (200, "ok")


async def test_state_shows_ports_slots_settings_and_clock(gateway):
    status, doc = await gateway.get("/_emulator/state")
    assert status == 200
    assert doc["clock"]["kind"] == "virtual"
    assert doc["clock"]["iso"] == "2026-01-01T00:00:10+00:00"
    assert len(doc["ports"]) == 4
    first = doc["ports"][0]
    assert first["current"] == "1.01"
    assert first["slots"][0]["st"] == 3 and first["slots"][0]["status"] == "3 OK"
    assert first["slots"][1]["status"] == "1 Idle SIM"
    assert len(doc["device"]["ssrc"]) == 16


async def test_sim_event_block_is_pushed_as_port_status(gateway_factory, receiver):
    gw = await gateway_factory(small(behaviour={"auto_fail_sim_switch": False}))
    await gw.advance(10)
    await gw.get("/goip_get_status.html", url=receiver.url, **CREDS)
    status, doc = await gw.post("/_emulator/sims/3.01", {"event": "block"})
    assert (status, doc["st"]) == (200, 8)
    await gw.advance(0)
    assert [(d["port"], d["status"]) for d in receiver.of_type("port-status")] == [
        ("3.01", "8 Blocked by Operator")
    ]


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("/_emulator/sims/3.01", {"event": "melt"}, 400, "event: 'melt' is not one of"),
        ("/_emulator/sims/3", {"event": "block"}, 400, "names a port"),
        ("/_emulator/sims/9.01", {"event": "block"}, 400, "port 9 is outside 1-4"),
        ("/_emulator/sims/3.01", {"event": "insert"}, 409, "cannot insert"),
        ("/_emulator/sims/3.01", {"event": "signal", "value": "x"}, 400, "signal"),
        ("/_emulator/sims/3.01", [1], 400, "JSON object"),
        ("/_emulator/clock/advance", {"seconds": -1}, 400, "seconds"),
        ("/_emulator/clock/advance", {"seconds": "10"}, 400, "not a number"),
    ],
)
async def test_control_errors(gateway, path, body, status, words):
    got, doc = await gateway.post(path, body)
    assert got == status
    assert words in doc["reason"]
    assert set(await gateway.port_states()) == {SimState.OK}


async def test_advance_answers_after_due_timers_ran(gateway_factory):
    gw = await gateway_factory()
    status, doc = await gw.post("/_emulator/clock/advance", {"seconds": 6})
    assert status == 200 and doc["fired"] > 0
    assert doc["iso"] == "2026-01-01T00:00:06+00:00"
    assert set(await gw.port_states()) == {SimState.OK}


async def test_journal_filters_and_clear(gateway, receiver):
    await gateway.get("/goip_get_status.html", url=receiver.url, **CREDS)
    await gateway.get("/goip_send_cmd.html", op="lock", ports="1.01", **CREDS)
    await gateway.advance(60)
    status, doc = await gateway.get("/_emulator/journal", kind="request")
    types = [e["type"] for e in doc["entries"]]
    assert types == ["goip_get_status", "goip_send_cmd"]
    assert doc["entries"][0]["query"]["password"] == "***"
    status, doc = await gateway.get("/_emulator/journal", kind="callback", type="port-status")
    assert [e["outcome"] for e in doc["entries"]] == ["delivered"]
    first_id = doc["entries"][0]["id"]
    status, doc = await gateway.get("/_emulator/journal", since=first_id)
    assert all(e["id"] > first_id for e in doc["entries"])
    assert any(e["type"] == "dev-status" for e in doc["entries"])
    resp = await gateway.client.delete("/_emulator/journal")
    assert (await resp.json())["cleared"] > 0
    status, doc = await gateway.get("/_emulator/journal")
    assert doc["entries"] == []
    status, doc = await gateway.get("/_emulator/journal", kind="bogus")
    assert status == 400


async def test_reset_returns_to_the_profile(gateway):
    await gateway.get("/goip_send_cmd.html", op="lock", ports="all", **CREDS)
    status, doc = await gateway.post("/_emulator/reset", {})
    assert status == 200
    assert (await gateway.port_states()) == [SimState.DETECTED] * 4
    await gateway.advance(10)
    assert (await gateway.port_states()) == [SimState.OK] * 4


async def test_control_token(gateway_factory):
    gw = await gateway_factory(small(device={"control_token": "s3cret"}))
    status, doc = await gw.get("/_emulator/state")
    assert status == 401 and "token" in doc["reason"]
    resp = await gw.client.get("/_emulator/state", headers={"X-Emulator-Token": "s3cret"})
    assert resp.status == 200
    resp = await gw.client.get("/_emulator/state", headers={"Authorization": "Bearer s3cret"})
    assert resp.status == 200
    status, _ = await gw.get("/_emulator/health")
    assert status == 200  # health stays open for container health checks


async def test_unknown_path_is_a_json_404(gateway):
    status, doc = await gateway.get("/goip_nothing.html")
    assert status == 404 and "no such endpoint" in doc["reason"]


async def test_callbacks_survive_a_target_that_is_down(gateway, receiver):
    receiver.down = True
    await gateway.get("/goip_get_status.html", url=receiver.url, **CREDS)
    await gateway.get("/goip_send_cmd.html", op="lock", ports="1.01,2A,3A", **CREDS)
    await gateway.advance(600)  # ten virtual minutes down: retried with backoff
    failed = gateway.journal("callback")
    assert failed and all(e["outcome"] == "failed" for e in failed)
    receiver.down = False
    await gateway.advance(120)
    ports = [d["port"] for d in receiver.of_type("port-status")]
    assert ports == ["1.01", "2.01", "3.01"]  # nothing lost, order kept
    assert len(receiver.of_type("dev-status")) == 12


async def test_a_full_queue_drops_the_oldest_waiting_and_counts_it(gateway_factory, receiver):
    gw = await gateway_factory(small(push={"max_queue": 3}))
    await gw.advance(10)
    receiver.down = True
    await gw.get("/goip_get_status.html", url=receiver.url, **CREDS)
    await gw.get("/goip_send_cmd.html", op="lock", ports="1", **CREDS)
    # 1A's first attempt fails before the others come, so it is waiting for its retry.
    async with asyncio.timeout(10):
        while not [
            e
            for e in gw.journal("callback")
            if e["outcome"] == "failed" and e["body"].get("port") == "1.01"
        ]:
            await asyncio.sleep(0.01)
    for port in ("2", "3", "4"):
        await gw.get("/goip_send_cmd.html", op="lock", ports=port, **CREDS)
    await gw.advance(0)
    dropped = [e for e in gw.journal("callback") if e["outcome"] == "dropped"]
    assert [e["body"]["port"] for e in dropped] == ["1.01"]  # the oldest, waiting for its retry
    metrics = await (await gw.client.get("/_emulator/metrics")).text()
    assert f'goip_callbacks_dropped_total{{target="{receiver.url}"}} 1' in metrics
    receiver.down = False
    await gw.advance(120)
    assert [d["port"] for d in receiver.of_type("port-status")] == ["2.01", "3.01", "4.01"]


async def test_the_dashboard_is_found_with_a_slash_and_has_a_favicon(gateway):
    resp = await gateway.client.get("/_emulator/ui/?x=1", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/_emulator/ui?x=1"
    resp = await gateway.client.get("/_emulator/ui/")
    assert resp.status == 200 and "<title>goip-emulator</title>" in await resp.text()
    assert 'rel="icon"' in await resp.text()
    resp = await gateway.client.get("/_emulator/ui/favicon.svg")
    assert resp.status == 200 and resp.content_type == "image/svg+xml"
    assert (await resp.text()).startswith("<svg")
