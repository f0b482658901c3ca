"""goip_send_cmd.html (spec 5, example 6.4.2): every op, by query and by JSON body."""

import pytest
from conftest import CREDS

from emulator.core.codes import SimState

CMD = "/goip_send_cmd.html"


async def test_example_642_switch_by_json_body_with_capitalised_username(gateway):
    status, doc = await gateway.post(
        CMD,
        {"type": "command", "op": "switch", "ports": "2.02"},
        Username="root",
        password="root",
    )
    assert (status, doc) == (200, {"code": 0, "reason": "OK"})
    assert (await gateway.current_slot(2)) == 2


async def test_credentials_may_come_in_the_body(gateway):
    status, doc = await gateway.post(CMD, {"type": "command", "op": "lock", "ports": "3", **CREDS})
    assert doc == {"code": 0, "reason": "OK"}
    assert (await gateway.port_st(3)) == SimState.USER_LOCKED


@pytest.mark.parametrize("op", ["lock", "unlock", "switch", "reset"])
async def test_port_ops_by_query(gateway, op):
    status, doc = await gateway.get(CMD, op=op, ports="1.02", **CREDS)
    assert (status, doc) == (200, {"code": 0, "reason": "OK"})


@pytest.mark.parametrize("empty", [[], {}])
async def test_an_empty_json_body_beside_a_query_command_is_no_body(gateway, empty):
    """PHP clients post json_encode([]) with op=lock&ports=... in the query."""
    status, doc = await gateway.post(CMD, empty, op="lock", ports="3", **CREDS)
    assert (status, doc) == (200, {"code": 0, "reason": "OK"})
    assert (await gateway.port_st(3)) == SimState.USER_LOCKED
    status, doc = await gateway.post(CMD, empty, op="set", sms_prd=7, **CREDS)
    assert (status, doc) == (200, {"code": 0, "reason": "OK"})
    assert (await gateway.settings())["sms_prd"] == 7


async def test_lock_result_is_reported_by_port_status_push(gateway, receiver):
    await gateway.get("/goip_get_status.html", url=receiver.url, period=60, **CREDS)
    await gateway.get(CMD, op="lock", ports="2.01", **CREDS)
    await gateway.advance(0)
    pushed = receiver.of_type("port-status")
    assert len(pushed) == 1
    assert pushed[0]["port"] == "2.01"
    assert pushed[0]["st"] == "12 Locked by User" == pushed[0]["status"]
    assert list(pushed[0]) == [
        "type",
        "port",
        "seq",
        "st",
        "status",
        "bal",
        "opr",
        "sn",
        "imei",
        "imsi",
        "iccid",
        "sig",
    ]


async def test_multiple_runs_every_op_or_none(gateway):
    body = {
        "type": "command",
        "op": "multiple",
        "ops": [{"op": "lock", "ports": "1.01"}, {"op": "switch", "ports": "2.02"}],
    }
    status, doc = await gateway.post(CMD, body, **CREDS)
    assert doc == {"code": 0, "reason": "OK"}
    assert (await gateway.port_st(1)) == SimState.USER_LOCKED
    assert (await gateway.current_slot(2)) == 2

    bad = {
        "type": "command",
        "op": "multiple",
        "ops": [{"op": "lock", "ports": "3.01"}, {"op": "switch", "ports": "9Z"}],
    }
    status, doc = await gateway.post(CMD, bad, **CREDS)
    assert doc["code"] == 2 and "9Z" in doc["reason"]
    assert (await gateway.port_st(3)) == SimState.OK  # the lock did not happen


async def test_set_get_save_and_reboot(gateway):
    status, doc = await gateway.get(CMD, op="set", sms_url="http://127.0.0.1:1/sms", **CREDS)
    assert doc == {"code": 0, "reason": "OK"}
    resp = await gateway.client.get(f"{CMD}?username=root&password=root&op=get&sms_url&sr_url")
    assert await resp.json() == {
        "code": 0,
        "reason": "OK",
        "sms_url": "http://127.0.0.1:1/sms",
        "sr_url": "",
    }
    await gateway.get(CMD, op="save", **CREDS)
    await gateway.get(CMD, op="set", sr_url="http://127.0.0.1:1/sr", **CREDS)
    status, doc = await gateway.get(CMD, op="reboot", **CREDS)
    assert doc == {"code": 0, "reason": "OK"}
    with pytest.raises(Exception):
        await gateway.client.get("/goip_get_status.html", params=CREDS)
    await gateway.advance(30)
    resp = await gateway.client.get(f"{CMD}?username=root&password=root&op=get&sms_url&sr_url")
    assert await resp.json() == {
        "code": 0,
        "reason": "OK",
        "sms_url": "http://127.0.0.1:1/sms",
        "sr_url": "",
    }


async def test_array_setting_by_index(gateway):
    status, doc = await gateway.post(
        CMD, {"type": "command", "op": "set", "imei(0)": "860000000000999"}, **CREDS
    )
    assert doc["code"] == 0
    status, doc = await gateway.get("/goip_get_status.html", **CREDS)
    assert doc["status"][0]["imei"] == "860000000000999"


@pytest.mark.parametrize(
    ("params", "code", "words"),
    [
        ({"op": "explode", "ports": "1"}, 15, "unknown op 'explode'"),
        ({}, 15, "no op"),
        ({"op": "lock"}, 2, "needs ports"),
        ({"op": "lock", "ports": "33"}, 2, "port 33 is outside 1-4"),
        ({"op": "switch", "ports": "1Q"}, 2, "1Q"),
        ({"op": "get", "colour": ""}, 15, "unknown setting 'colour'"),
        ({"op": "set", "sr_cnt": "lots"}, 15, "sr_cnt"),
        ({"op": "set", "sms_url": "ftp://x"}, 15, "not an http"),
    ],
)
async def test_refused_commands_name_the_problem_and_change_nothing(gateway, params, code, words):
    before = (await gateway.state())["ports"]
    status, doc = await gateway.get(CMD, **params, **CREDS)
    assert status == 200
    assert doc["code"] == code
    assert words in doc["reason"]
    assert (await gateway.state())["ports"] == before


async def test_wrong_credentials(gateway):
    status, doc = await gateway.get(CMD, op="reboot", username="root", password="bad")
    assert doc == {"code": 1, "reason": "Invalid User"}
    assert (await gateway.state())["device"]["rebooting_until"] is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "JSON object"),
        (b'{"op": "lock", "ports": ["1"]}', "ports"),
        (b'{"type": "status", "op": "lock", "ports": "1"}', "must be 'command'"),
    ],
)
async def test_bad_bodies_are_400_naming_the_problem(gateway, body, words):
    resp = await gateway.client.post(CMD, data=body, params=CREDS)
    assert resp.status == 400
    doc = await resp.json()
    assert doc["code"] == 400 and words in doc["reason"]
    assert resp.headers["Content-Type"] == "application/json;charset=utf-8"


async def test_auto_fail_sim_switch_attribute_sets_the_setting(gateway):
    await gateway.post(
        CMD, {"type": "command", "op": "reset", "ports": "1", "auto_fail_sim_switch": "0"}, **CREDS
    )
    assert (await gateway.settings())["auto_fail_sim_switch"] is False


async def test_envelope_code_quirk(gateway_factory):
    from conftest import small

    gw = await gateway_factory(small(quirks={"envelope_codes": {"goip_send_cmd": 200}}))
    _, doc = await gw.get(CMD, op="save", **CREDS)
    assert doc == {"code": 200, "reason": "OK"}


def test_envelope_code_quirk_names_unknown_endpoints():
    from conftest import small

    from emulator.config.profile import ProfileError

    with pytest.raises(ProfileError, match="'goip_frob' is not one of goip_send_cmd"):
        small(quirks={"envelope_codes": {"goip_frob": 1}})
