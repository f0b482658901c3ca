"""Names and values the field uses beside the spec's: `port` for `ports`, the identity
read by op=get, and the cookie login some web-managed firmware answers with."""

from __future__ import annotations

from conftest import CREDS, small

CMD = "/goip_send_cmd.html"


async def test_port_is_read_as_ports_in_commands(gateway, receiver):
    await gateway.get("/goip_get_status.html", url=receiver.url, period=60, **CREDS)
    status, doc = await gateway.get(CMD, op="lock", port="2", **CREDS)
    assert (status, doc) == (200, {"code": 0, "reason": "OK"})
    body = {"type": "command", "op": "multiple", "ops": [{"op": "lock", "port": "3"}]}
    status, doc = await gateway.post(CMD, body, **CREDS)
    assert (status, doc) == (200, {"code": 0, "reason": "OK"})
    await gateway.advance(0)
    locked = {d["port"] for d in receiver.of_type("port-status")}
    assert locked == {"2.01", "3.01"}
    status, doc = await gateway.get(CMD, op="lock", port="2", ports="3", **CREDS)
    assert status == 400 and "port" in doc["reason"]


async def test_op_get_reads_the_identity_and_set_refuses_it(gateway):
    _, status_doc = await gateway.get("/goip_get_status.html", **CREDS)
    resp = await gateway.client.get(f"{CMD}?username=root&password=root&op=get&sw_ver&mac&sms_url")
    doc = await resp.json()
    assert doc["code"] == 0 and doc["sw_ver"] == status_doc["ver"]
    assert doc["mac"] == status_doc["mac"] and "sms_url" in doc
    for name in ("ip", "sn", "max_ports"):
        resp = await gateway.client.get(f"{CMD}?username=root&password=root&op=get&{name}")
        assert name in await resp.json()
    before = await gateway.get("/_emulator/state")
    status, doc = await gateway.get(CMD, op="set", sw_ver="9", **CREDS)
    assert doc["code"] == 15 and "sw_ver" in doc["reason"] and "read-only" in doc["reason"]
    assert await gateway.get("/_emulator/state") == before


async def test_cookie_login_is_off_by_default(gateway):
    resp = await gateway.client.get("/goip_get_status.html", params=CREDS)
    assert "Set-Cookie" not in resp.headers


async def test_cookie_login_as_a_quirk(gateway_factory):
    gw = await gateway_factory(small(quirks={"cookie_auth": True}))
    resp = await gw.client.get("/goip_get_status.html", params=CREDS)
    assert resp.status == 200 and "GOIPSESSID" in resp.cookies
    cookie = resp.cookies["GOIPSESSID"].value
    # The cookie stands in for credentials on every endpoint.
    headers = {"Cookie": f"GOIPSESSID={cookie}"}
    gw.client.session.cookie_jar.clear()
    resp = await gw.client.get(CMD, params={"op": "get", "sms_url": ""}, headers=headers)
    assert (await resp.json())["code"] == 0
    resp = await gw.client.get("/goip_get_sms.html", headers=headers)
    assert (await resp.json())["code"] == 0
    # A made-up cookie is no login, and a reboot forgets them all.
    resp = await gw.client.get(
        CMD, params={"op": "get", "sms_url": ""}, headers={"Cookie": "GOIPSESSID=0123"}
    )
    assert (await resp.json())["code"] == 1
    resp = await gw.client.get(CMD, params={"op": "reboot"}, headers=headers)
    assert (await resp.json())["code"] == 0
    await gw.advance(gw.dev.profile.device.reboot_time + 1)
    resp = await gw.client.get(CMD, params={"op": "get", "sms_url": ""}, headers=headers)
    assert (await resp.json())["code"] == 1
