"""goip_send_at.html over HTTP (EJOIN-EXTRAS, "AT passthrough"): what the module prints."""

import pytest
from conftest import CREDS, small
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

AT = "/goip_send_at.html"
KEYS = ["code", "reason", "resp", "max-port", "port"]
OK = "\r\nOK\r\n"


async def at(gw, command=None, **params):
    if command is not None:
        params["at"] = command
    status, doc = await gw.get(AT, **CREDS, **params)
    assert status == 200 and list(doc) == KEYS, doc
    return doc


async def test_ports_query(gateway):
    assert await at(gateway) == {
        "code": 0,
        "reason": "OK",
        "resp": "",
        "max-port": 4,
        "port": "1-4",
    }


@pytest.mark.parametrize(
    ("params", "code", "reason"),
    [
        ({"at": "AT"}, 2, "Invalid Port"),
        ({"port": "5", "at": "AT"}, 2, "Invalid Port"),
        ({"port": "1-2", "at": "AT"}, 2, "Invalid Port"),
        ({"port": "1"}, 3, "AT Expected"),
        ({"port": "1", "at": ""}, 3, "AT Expected"),
    ],
)
async def test_refusals(gateway, params, code, reason):
    doc = await at(gateway, **params)
    assert (doc["code"], doc["reason"], doc["resp"]) == (code, reason, "")


async def test_wrong_credentials(gateway):
    _, doc = await gateway.get(AT, username="root", password="no", port=1, at="AT")
    assert (doc["code"], doc["reason"], doc["resp"]) == (1, "Invalid User", "")


async def test_identity_commands_of_the_module(gateway):
    assert (await at(gateway, "AT", port=1))["resp"] == OK
    ati = "\r\nQuectel\r\nEC20F\r\nRevision: EC20FAR06A01M4G\r\n" + OK
    assert (await at(gateway, "ati", port=1))["resp"] == ati
    resp = await gateway.client.get(f"{AT}?username=root&password=root&port=1&at=%20AT%2BCGMR%20")
    assert (await resp.json())["resp"] == "\r\nEC20FAR06A01M4G\r\n" + OK
    imei = await gateway.imei(2)
    for command in ("AT+CGSN", "AT+GSN"):
        assert (await at(gateway, command, port="2.01"))["resp"] == f"\r\n{imei}\r\n" + OK


async def test_module_from_the_profile(gateway_factory):
    module = {"manufacturer": "SIMCOM", "model": "SIM800", "revision": "R14"}
    gw = await gateway_factory(small(device={"module": module}))
    await gw.advance(10)
    assert (await at(gw, "AT+CGMI", port=1))["resp"] == "\r\nSIMCOM\r\n" + OK
    assert (await at(gw, "AT+CGMM", port=1))["resp"] == "\r\nSIM800\r\n" + OK


async def test_sim_commands_read_the_current_card(gateway):
    sim = await gateway.sim(1)
    assert (await at(gateway, "AT+CIMI", port=1))["resp"] == f"\r\n{sim['imsi']}\r\n" + OK
    for command, prefix in (("AT+CCID", "+CCID"), ("AT+ICCID", "+ICCID"), ("at+qccid", "+QCCID")):
        doc = await at(gateway, command, port=1)
        assert doc["resp"] == f"\r\n{prefix}: {sim['iccid']}\r\n" + OK
    assert (await at(gateway, "AT+CPIN?", port=1))["resp"] == "\r\n+CPIN: READY\r\n" + OK
    assert (await at(gateway, "AT+CSQ", port=1))["resp"] == f"\r\n+CSQ: {sim['signal']},99\r\n" + OK
    cops = '\r\n+COPS: 0,0,"CHINA UNICOM GSM"\r\n' + OK
    assert (await at(gateway, "AT+COPS?", port=1))["resp"] == cops
    for command, prefix in (
        ("AT+CREG?", "+CREG"),
        ("AT+CGREG?", "+CGREG"),
        ("AT+CEREG?", "+CEREG"),
    ):
        assert (await at(gateway, command, port=1))["resp"] == f"\r\n{prefix}: 0,1\r\n" + OK


async def test_cnum_type_follows_the_number(gateway):
    number = (await gateway.sim(1))["number"]
    kind = 145 if number.startswith("+") else 129
    doc = await at(gateway, "AT+CNUM", port=1)
    assert doc["resp"] == f'\r\n+CNUM: "","{number}",{kind}\r\n' + OK


async def test_empty_slot_and_blocked_card(gateway):
    await gateway.post("/_emulator/sims/1.01", {"event": "remove"})
    assert (await at(gateway, "AT+CIMI", port=1))["resp"] == "\r\n+CME ERROR: 10\r\n"
    assert (await at(gateway, "AT+CREG?", port=1))["resp"] == "\r\n+CREG: 0,0\r\n" + OK
    await gateway.post("/_emulator/sims/2.02", {"event": "remove"})  # nothing to switch to
    await gateway.post("/_emulator/sims/2.01", {"event": "block"})
    await gateway.advance(10)  # the operator refuses it at its next registration
    assert (await at(gateway, "AT+CREG?", port=2))["resp"] == "\r\n+CREG: 0,3\r\n" + OK
    assert (await at(gateway, "AT+CSQ", port=2))["resp"] == "\r\n+CSQ: 99,99\r\n" + OK
    assert (await at(gateway, "AT+COPS?", port=2))["resp"] == "\r\n+COPS: 0\r\n" + OK
    assert (await at(gateway))["port"] == "1-4"  # every module still answers


@pytest.mark.parametrize("command", ['AT+CUSD=1,"*100#"', 'AT+CCHO="A0"', "AT+COPS=?", "AT;ATI"])
async def test_unsupported_commands_answer_error_code_0(gateway, command):
    doc = await at(gateway, command, port=1)
    assert (doc["code"], doc["resp"]) == (0, "\r\nERROR\r\n")


async def test_egmr_writes_the_module_imei_everywhere(gateway):
    before = await at(gateway, "AT+EGMR=0,7", port=3)
    assert before["resp"] == f'\r\n+EGMR: "{await gateway.imei(3)}"\r\n' + OK
    assert (await at(gateway, 'AT+EGMR=1,7,"861234567890123"', port=3))["resp"] == OK
    _, status = await gateway.get("/goip_get_status.html", **CREDS)
    assert status["status"][2]["imei"] == "861234567890123"
    assert status["status"][2]["st"] == 3  # SIM untouched
    _, got = await gateway.get("/goip_send_cmd.html", op="get", **{"imei(2)": ""}, **CREDS)
    assert got["imei(2)"] == "861234567890123"
    assert (await at(gateway, "AT+CGSN", port=3))["resp"] == "\r\n861234567890123\r\n" + OK
    assert status["status"][0]["imei"] != "861234567890123"


async def test_egmr_with_a_bad_imei_writes_nothing(gateway):
    imei = await gateway.imei(1)
    assert (await at(gateway, 'AT+EGMR=1,7,"12345"', port=1))["resp"] == "\r\nERROR\r\n"
    assert await gateway.imei(1) == imei


async def test_plus_is_kept_and_post_body_ignored(gateway):
    resp = await gateway.client.get(f"{AT}?username=root&password=root&port=1&at=AT+CIMI")
    doc = await resp.json()
    assert doc["resp"] == f"\r\n{(await gateway.sim(1))['imsi']}\r\n" + OK
    status, doc = await gateway.post(AT, b"garbage", port=1, at="AT", **CREDS)
    assert status == 200 and doc["resp"] == OK


async def test_timeout_is_checked(gateway):
    status, doc = await gateway.get(AT, port=1, at="AT", timeout="0", **CREDS)
    assert status == 400 and doc["reason"].startswith("timeout:")


async def test_journal_type(gateway):
    await at(gateway, "AT", port=1)
    [entry] = gateway.journal("request", "goip_send_at")
    assert entry["answer"]["resp"] == OK


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    command=st.one_of(
        st.text(max_size=40),
        st.builds(lambda s: "AT+EGMR=1,7," + s, st.text(alphabet='"0123456789,', max_size=20)),
        st.sampled_from(["AT+CGSN", "ATI", "AT+CIMI", "at+creg?"]),
    ),
    port=st.sampled_from(["1", "4.02", "0", "x", ""]),
)
async def test_random_commands_never_fail_and_change_only_an_egmr_write(gateway, command, port):
    _, before = await gateway.get("/_emulator/state")
    status, doc = await gateway.get(AT, port=port, at=command, **CREDS)
    assert status in (200, 400) and doc["reason"]
    _, after = await gateway.get("/_emulator/state")
    before.pop("clock"), after.pop("clock")
    if doc.get("resp") != OK or "EGMR=1" not in command.upper():
        assert after == before
