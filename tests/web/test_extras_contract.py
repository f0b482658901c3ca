"""The EJOIN-EXTRAS contract on the wire, statement by statement, as a black-box client
sees it: what the other test files of these endpoints leave unsaid, by contract section."""

import asyncio
import json

import pytest
from conftest import CREDS, small

from emulator.client.crypto import SecureSession, handshake_params

USSD = "/goip_send_ussd.html"
AT = "/goip_send_at.html"
SEND = "/goip_send_sms.html"
CMD = "/goip_send_cmd.html"
STATUS = "/goip_get_status.html"
KEYS = ["code", "reason", "resp", "max-port", "port"]
JSON_TYPE = "application/json;charset=utf-8"
CRLF = "\r\n"


async def raw_get(gw, path, query):
    """A GET with the query exactly as written (no re-encoding by the client library)."""
    resp = await gw.client.get(f"{path}?{query}")
    return resp.status, resp.headers.get("Content-Type"), await resp.json(content_type=None)


async def five(gw, path, **params):
    status, doc = await gw.get(path, **CREDS, **params)
    assert status == 200 and list(doc) == KEYS, doc
    assert isinstance(doc["code"], int) and isinstance(doc["max-port"], int)
    assert isinstance(doc["resp"], str) and isinstance(doc["port"], str)
    return doc


async def at(gw, command, port=1, **params):
    return await five(gw, AT, port=port, at=command, **params)


async def ussd_state(gw, port):
    return (await gw.state())["ports"][port - 1]["ussd"]


async def without_clock(gw):
    doc = await gw.state()
    doc.pop("clock")
    return doc


async def registered(gateway_factory, **sections):
    gw = await gateway_factory(small(**sections))
    await gw.advance(10)
    return gw


# -- INTERPRETATION.md rules on these endpoints ----------------------------------------


@pytest.mark.parametrize(
    ("path", "query"),
    [
        (USSD, "port=1&ussd=*100%23"),
        (USSD, "port=9&ussd=*100%23"),
        (AT, "port=1&at=AT"),
        (AT, "port=1"),
        (SEND, "port=1&recipients=5&sms=x"),
        (SEND, "port=1&recipients=5"),
    ],
)
async def test_every_answer_is_json_utf8(gateway, path, query):
    status, ctype, _ = await raw_get(gateway, path, f"username=root&password=root&{query}")
    assert (status, ctype) == (200, JSON_TYPE)
    status, ctype, doc = await raw_get(gateway, path, f"username=root&password=no&{query}")
    assert (status, ctype, doc["code"], doc["reason"]) == (200, JSON_TYPE, 1, "Invalid User")


async def test_parameter_names_are_case_insensitive(gateway):
    _, _, doc = await raw_get(gateway, USSD, "Username=root&PASSWORD=root&Port=1&USSD=*100%23")
    assert (doc["code"], doc["resp"]) == (0, "Your balance is 100.00.")
    _, _, doc = await raw_get(gateway, AT, "username=root&password=root&PORT=1&AT=at%2Bcgmi")
    assert (doc["code"], doc["resp"]) == (0, f"{CRLF}Quectel{CRLF}{CRLF}OK{CRLF}")
    _, _, doc = await raw_get(gateway, SEND, "USERNAME=root&password=root&Recipients=5&SMS=hi")
    assert doc["code"] == 0


@pytest.mark.parametrize("path", [USSD, AT, SEND])
async def test_a_refused_request_changes_nothing(gateway, path):
    before = await without_clock(gateway)
    query = "port=1&ussd=*123%23&at=AT%2BEGMR%3D1%2C7%2C%22865847053403202%22&recipients=5&sms=x"
    await raw_get(gateway, path, f"username=root&password=bad&{query}")
    assert await without_clock(gateway) == before


async def session_of(gw):
    _, answer = await gw.get("/crypt_sess.json", **handshake_params("root", "root", "c1"))
    return SecureSession.from_handshake("root", "root", answer)


@pytest.mark.parametrize(
    ("path", "params"),
    [(USSD, {"port": "1", "ussd": "*100#"}), (AT, {"port": "1", "at": "AT+CGMI"})],
)
async def test_a_security_session_authenticates_with_the_path_as_url_resource(
    gateway, path, params
):
    session = await session_of(gateway)
    status, doc = await gateway.get(path, **params, **session.sign(path))
    assert (status, doc["code"], doc["reason"]) == (200, 0, "OK") and doc["resp"]
    status, doc = await gateway.get(path, **params, **session.sign("/goip_get_status.html"))
    assert (status, list(doc), doc["code"], doc["resp"]) == (200, KEYS, 14, "")


async def test_send_sms_in_a_security_session(gateway):
    session = await session_of(gateway)
    status, doc = await gateway.get(
        SEND, port=1, recipients=5, sms="x", **session.sign("/goip_send_sms.html")
    )
    assert (status, doc["code"], doc["reason"]) == (200, 0, "OK")


async def test_a_login_cookie_stands_in_for_credentials(gateway_factory):
    gw = await registered(gateway_factory, quirks={"cookie_auth": True})
    resp = await gw.client.get(STATUS, params=CREDS)
    headers = {"Cookie": f"GOIPSESSID={resp.cookies['GOIPSESSID'].value}"}
    gw.client.session.cookie_jar.clear()
    for path, params in ((USSD, {"port": "1", "ussd": "*100#"}), (AT, {"port": "1", "at": "AT"})):
        resp = await gw.client.get(path, params=params, headers=headers)
        assert (await resp.json())["code"] == 0, path
    resp = await gw.client.get(USSD, params={"port": "1", "ussd": "*100#"})
    assert (await resp.json())["code"] == 1


@pytest.mark.parametrize(
    ("endpoint", "path", "params"),
    [
        ("goip_send_at", AT, {"port": 1, "at": "AT"}),
        ("goip_send_sms", SEND, {"port": 1, "recipients": 5, "sms": "x"}),
    ],
)
async def test_faults_journal_and_metrics_go_by_endpoint_name(gateway, endpoint, path, params):
    await gateway.get(path, **params, **CREDS)
    assert [e["answer"]["code"] for e in gateway.journal("request", endpoint)] == [0]
    resp = await gateway.client.get("/_emulator/metrics")
    assert endpoint in await resp.text()
    await gateway.post("/_emulator/faults", {"action": "error", "endpoint": endpoint})
    status, _ = await gateway.get(path, **params, **CREDS)
    assert status == 500
    assert (await gateway.get(USSD, **CREDS))[0] == 200


# -- USSD -----------------------------------------------------------------------------


async def test_post_with_the_query_answers_as_a_get(gateway):
    status, doc = await gateway.post(USSD, {"port": 2, "ussd": "*101#"}, **CREDS, port=1)
    assert status == 200 and (doc["code"], doc["reason"]) == (3, "USSD Expected")


async def test_in_call_and_no_balance_sims_are_listed_under_port(gateway):
    await gateway.post("/_emulator/sims/2.01", {"event": "no_balance"})
    await gateway.post(
        "/_emulator/calls",
        {"port": "3", "count": 1, "talk": 60, "pdd": 1, "ring": 1, "answer_ratio": 1},
    )
    await gateway.advance(3)
    assert await gateway.port_st(3) == 4
    await gateway.post("/_emulator/sims/4.01", {"event": "read_error"})
    doc = await five(gateway, USSD)
    assert (doc["code"], doc["reason"], doc["resp"], doc["port"]) == (0, "OK", "", "1-3")
    assert (await five(gateway, USSD, port=3, ussd="*100#"))["code"] == 0


async def test_a_new_code_on_a_busy_port_leaves_its_dialogue_as_it_was(gateway):
    await five(gateway, USSD, port=1, ussd="*123#")
    opened = await ussd_state(gateway, 1)
    await gateway.advance(10)
    before = await without_clock(gateway)
    busy = await five(gateway, USSD, port=1, ussd="*123#")
    assert (busy["code"], busy["reason"], busy["resp"]) == (4, "Pending USSD", "")
    assert await without_clock(gateway) == before
    assert await ussd_state(gateway, 1) == opened
    await gateway.advance(20)  # 30 s after the menu's answer, not after the refusal
    assert await ussd_state(gateway, 1) is None


NESTED = {
    "networks": {
        "default": {
            "codes": {
                "*5#": {
                    "text": "A\n1. B",
                    "options": {"1": {"text": "B\n2. C", "options": {"2": {"text": "C"}}}},
                }
            }
        }
    }
}


async def test_session_timeout_counts_from_the_last_answer_and_options_nest(gateway_factory):
    gw = await registered(gateway_factory, ussd={**NESTED, "session_timeout": 10})
    assert (await five(gw, USSD, port=1, ussd="*5#"))["resp"] == "A\n1. B"
    await gw.advance(8)
    _, _, doc = await raw_get(gw, USSD, "username=root&password=root&port=1&ussd=%201%20")
    assert doc["resp"] == "B\n2. C"
    state = await ussd_state(gw, 1)
    assert state == {"code": "*5#", "state": "open", "expires": gw.clock.now() + 10}
    await gw.advance(9)
    assert (await five(gw, USSD, port=1, ussd="2"))["resp"] == "C"
    assert await ussd_state(gw, 1) is None


async def test_a_held_code_blocks_its_port_only(gateway_factory):
    gw = await registered(gateway_factory, ussd={"latency": 5})
    task = asyncio.ensure_future(five(gw, USSD, port=1, ussd="*100#"))
    for _ in range(200):
        await asyncio.sleep(0.005)
        if await ussd_state(gw, 1) is not None:
            break
    assert (await five(gw, USSD, port=1, ussd="*101#"))["code"] == 4
    other = asyncio.ensure_future(five(gw, USSD, port=2, ussd="*100#"))
    await asyncio.sleep(0.05)
    await gw.advance(5)
    assert (await task)["resp"] == "Your balance is 100.00."
    assert (await other)["resp"] == "Your balance is 100.00."


TOPUP = {"networks": {"default": {"codes": {"*5#": {"topup": 5, "text": "ok {balance}"}}}}}


async def test_retries_with_latency_are_bounded_by_the_timeout(gateway_factory):
    """Attempts at 4 s and 8 s are carried out and lost; the third would end at 12 s,
    after the 10 s timeout: 6 Timeout at 10 s, two top-ups applied."""
    gw = await registered(gateway_factory, ussd={**TOPUP, "latency": 4, "failure_rate": 1})
    task = asyncio.ensure_future(five(gw, USSD, port=1, ussd="*5#", timeout=10, retries=5))
    await asyncio.sleep(0.05)
    await gw.advance(9.9)
    assert not task.done()
    await gw.advance(0.1)
    doc = await task
    assert (doc["code"], doc["reason"], doc["resp"]) == (6, "Timeout", "")
    assert (await gw.sim(1))["balance"] == pytest.approx(110)
    assert await ussd_state(gw, 1) is None


async def test_a_held_answer_is_6_when_the_sim_leaves_service(gateway_factory):
    gw = await registered(gateway_factory, ussd={"latency": 5})
    task = asyncio.ensure_future(five(gw, USSD, port=1, ussd="*100#"))
    await asyncio.sleep(0.05)
    await gw.post("/_emulator/sims/1.01", {"event": "block"})
    doc = await asyncio.wait_for(task, 2)
    assert (doc["code"], doc["reason"]) == (6, "Timeout")


async def test_ussd_is_allowed_during_an_inter_call(gateway):
    await gateway.post(
        "/_emulator/calls", {"port": "1", "peer": "2", "count": 1, "talk": 60, "pdd": 1, "ring": 1}
    )
    await gateway.advance(1)
    assert await gateway.port_st(1) in (13, 14) and await gateway.port_st(2) in (13, 14)
    assert (await five(gateway, USSD))["port"] == "1-4"
    assert (await five(gateway, USSD, port=2, ussd="*100#"))["code"] == 0


async def test_no_usable_port_is_an_empty_port_list(gateway_factory):
    gw = await registered(gateway_factory, device={"slots": 1})
    for port in range(1, 5):
        await gw.post(f"/_emulator/sims/{port}.01", {"event": "block"})
    doc = await five(gw, USSD)
    assert (doc["code"], doc["port"], doc["max-port"]) == (0, "", 4)
    doc = await five(gw, USSD, port=1, ussd="*100#")
    assert (doc["code"], doc["reason"], doc["resp"], doc["port"]) == (5, "SIM Unregistered", "", "")


async def test_text_fields_of_the_current_sim(gateway_factory):
    tree = {"networks": {"default": {"codes": {"*9#": {"text": "{number}|{balance}|{imei}"}}}}}
    gw = await registered(gateway_factory, ussd=tree)
    card = await gw.sim(2)
    doc = await five(gw, USSD, port="2B", ussd="*9#")
    assert doc["resp"] == f"{card['number']}|100.00|{await gw.imei(2)}"


# -- AT passthrough ----------------------------------------------------------------------


async def test_at_is_framed_by_crlf_and_matched_loosely(gateway):
    card = await gateway.sim(1)
    assert (await at(gateway, "AT+CIMI"))["resp"] == f"{CRLF}{card['imsi']}{CRLF}{CRLF}OK{CRLF}"
    _, _, doc = await raw_get(gateway, AT, "username=root&password=root&port=1&at=%20at%2Bcimi%20")
    assert doc["resp"] == f"{CRLF}{card['imsi']}{CRLF}{CRLF}OK{CRLF}"
    assert (await at(gateway, "AT"))["resp"] == f"{CRLF}OK{CRLF}"
    assert (await at(gateway, "AT+CIMI;+CSQ"))["resp"] == f"{CRLF}ERROR{CRLF}"
    ati = await at(gateway, "ati")
    assert ati["resp"] == (
        f"{CRLF}Quectel{CRLF}EC20F{CRLF}Revision: EC20FAR06A01M4G{CRLF}{CRLF}OK{CRLF}"
    )
    assert (ati["code"], ati["reason"], ati["max-port"], ati["port"]) == (0, "OK", 4, "1-4")


@pytest.mark.parametrize(
    ("command", "line"),
    [
        ("AT+CGMM", "EC20F"),
        ("AT+CGMR", "EC20FAR06A01M4G"),
        ("AT+CPIN?", "+CPIN: READY"),
        ("AT+CREG?", "+CREG: 0,1"),
        ("AT+CGREG?", "+CGREG: 0,1"),
        ("AT+CEREG?", "+CEREG: 0,1"),
    ],
)
async def test_one_information_line(gateway, command, line):
    assert (await at(gateway, command))["resp"] == f"{CRLF}{line}{CRLF}{CRLF}OK{CRLF}"


async def test_identity_lines_come_from_the_port(gateway):
    card, imei = await gateway.sim(2), await gateway.imei(2)
    for command in ("AT+CGSN", "AT+GSN"):
        assert (await at(gateway, command, 2))["resp"] == f"{CRLF}{imei}{CRLF}{CRLF}OK{CRLF}"
    for command, prefix in (("AT+CCID", "+CCID"), ("AT+ICCID", "+ICCID"), ("AT+QCCID", "+QCCID")):
        doc = await at(gateway, command, 2)
        assert doc["resp"] == f"{CRLF}{prefix}: {card['iccid']}{CRLF}{CRLF}OK{CRLF}"
    doc = await at(gateway, "AT+CSQ", 2)
    assert doc["resp"] == f"{CRLF}+CSQ: {card['signal']},99{CRLF}{CRLF}OK{CRLF}"
    name = card["operator"].split(" ", 1)[1]
    assert (await at(gateway, "AT+COPS?", 2))["resp"] == (
        f'{CRLF}+COPS: 0,0,"{name}"{CRLF}{CRLF}OK{CRLF}'
    )


@pytest.mark.parametrize(
    ("event", "st", "stat", "sim_error"),
    [
        ("block", 8, 3, None),
        ("register_fail", 6, 3, None),
        ("remove", 0, 0, 10),
        ("read_error", 9, 0, 13),
        ("lock", 12, 0, 10),
    ],
)
async def test_registration_and_sim_errors_follow_the_state(
    gateway_factory, event, st, stat, sim_error
):
    gateway = await registered(gateway_factory, device={"slots": 1})
    if event == "lock":
        await gateway.get(CMD, op="lock", ports="1", **CREDS)
    else:
        await gateway.post("/_emulator/sims/1.01", {"event": event})
    await gateway.advance(10)
    assert await gateway.port_st(1) == st
    assert (await at(gateway, "AT+CREG?"))["resp"] == f"{CRLF}+CREG: 0,{stat}{CRLF}{CRLF}OK{CRLF}"
    assert (await at(gateway, "AT+CSQ"))["resp"] == f"{CRLF}+CSQ: 99,99{CRLF}{CRLF}OK{CRLF}"
    assert (await at(gateway, "AT+COPS?"))["resp"] == f"{CRLF}+COPS: 0{CRLF}{CRLF}OK{CRLF}"
    if sim_error is not None:
        for command in ("AT+CIMI", "AT+CCID", "AT+CNUM", "AT+CPIN?"):
            doc = await at(gateway, command)
            assert (doc["code"], doc["resp"]) == (0, f"{CRLF}+CME ERROR: {sim_error}{CRLF}")


async def test_registering_is_searching(gateway_factory):
    gw = await gateway_factory(small())
    await gw.advance(2)
    assert await gw.port_st(1) == 2
    assert (await at(gw, "AT+CGREG?"))["resp"] == f"{CRLF}+CGREG: 0,2{CRLF}{CRLF}OK{CRLF}"


async def test_egmr_writes_the_imei_and_leaves_the_sim_alone(gateway, receiver):
    await gateway.get(STATUS, url=receiver.url, **CREDS)
    before = await gateway.port_st(3)
    doc = await at(gateway, 'at+egmr=1,7,"356938035643809"', 3)
    assert (doc["code"], doc["resp"]) == (0, f"{CRLF}OK{CRLF}")
    assert (await at(gateway, "AT+EGMR=0,7", 3))["resp"] == (
        f'{CRLF}+EGMR: "356938035643809"{CRLF}{CRLF}OK{CRLF}'
    )
    _, status = await gateway.get(STATUS, **CREDS)
    assert status["status"][2]["imei"] == "356938035643809"
    _, got = await gateway.get(CMD, op="get", **{"imei(2)": ""}, **CREDS)
    assert got["imei(2)"] == "356938035643809"
    assert await gateway.port_st(3) == before
    await asyncio.sleep(0.05)
    assert receiver.of_type("port-status") == []


async def test_answers_take_no_device_time(gateway):
    now = gateway.clock.now()
    await at(gateway, "ATI")
    await five(gateway, USSD, port=1, ussd="*100#")
    assert gateway.clock.now() == now


async def test_at_ports_are_the_modules_that_answer_whatever_the_sim(gateway):
    await gateway.post("/_emulator/sims/1.01", {"event": "remove"})
    await gateway.post("/_emulator/sims/1.02", {"event": "remove"})
    await gateway.advance(10)
    doc = await five(gateway, AT)
    assert (doc["code"], doc["reason"], doc["resp"], doc["port"]) == (0, "OK", "", "1-4")
    doc = await at(gateway, "AT+CGSN")
    assert doc["resp"] == f"{CRLF}{await gateway.imei(1)}{CRLF}{CRLF}OK{CRLF}"
    doc = await five(gateway, AT, port="1,2", at="AT")
    assert (doc["code"], doc["reason"], doc["resp"]) == (2, "Invalid Port", "")
    doc = await five(gateway, AT, port="1", at="")
    assert (doc["code"], doc["reason"], doc["resp"]) == (3, "AT Expected", "")


# -- the older send ------------------------------------------------------------------------


async def tasks(gw, port):
    _, doc = await gw.get("/goip_get_tasks.html", port=port, has_content=1, **CREDS)
    return doc["tasks"]


async def test_recipients_are_trimmed_and_charset_is_any_spelling(gateway):
    for charset in ("utf8", "UTF-8", "gbk"):
        status, doc = await gateway.get(
            SEND, port="1A", recipients=" 555 , 666 ", sms="héllo", charset=charset, **CREDS
        )
        assert (status, doc["code"], doc["reason"]) == (200, 0, "OK")
    listed = await tasks(gateway, 1)
    assert [(t["to"], t["sms"]) for t in listed] == [("555,666", "héllo")] * 3


async def test_port_may_be_a_list_or_absent(gateway):
    _, doc = await gateway.get(SEND, port="2-3", recipients="1,2,3,4", sms="x", **CREDS)
    assert doc["code"] == 0
    _, doc = await gateway.get(SEND, recipients="1", sms="y", **CREDS)
    assert list(doc) == ["code", "reason", "tid"] and doc["code"] == 0
    assert isinstance(doc["tid"], int)


async def test_task_attributes_and_smsc(gateway):
    _, doc = await gateway.get(
        SEND, port=1, recipients="5", sms="x", tmo=30, intvl=100, coding=2, smsc="13800", **CREDS
    )
    assert doc["code"] == 0
    [task] = await tasks(gateway, 1)
    assert task["coding"] == 2
    status, doc = await gateway.get(SEND, port=1, recipients="5", sms="x", intvl="x", **CREDS)
    assert status == 400 and doc["reason"].startswith("intvl")


DINSTAR = {
    "port": [0],
    "text": "hello",
    "param": [{"number": "555", "text_param": [], "user_id": 1}],
}


async def test_a_dinstar_json_body_is_a_400_naming_the_body(gateway):
    status, doc = await gateway.post(SEND, DINSTAR, **CREDS)
    assert status == 400 and doc["code"] == 400 and doc["reason"].startswith("body")
    assert await tasks(gateway, 1) == []
    status, doc = await gateway.post(SEND, json.dumps(DINSTAR), **CREDS, recipients=5, sms="x")
    assert status == 400 and doc["reason"].startswith("body")
    assert await tasks(gateway, 1) == []


@pytest.mark.parametrize("body", [b"", b"[]", b"{}", b"not json", b'{"username": "root"}'])
async def test_post_with_the_same_query_is_accepted(gateway, body):
    status, doc = await gateway.post(SEND, body, **CREDS, port=1, recipients=5, sms="x")
    assert (status, doc["code"]) == (200, 0)


# -- inter-calling --------------------------------------------------------------------------


async def test_an_unanswered_port_call_ends_after_pdd_and_ring(gateway, receiver):
    await gateway.get(STATUS, url=receiver.url, **CREDS)
    call = {"port": "2", "peer": "4", "count": 1, "pdd": 2, "ring": 3, "answer_ratio": 0}
    assert (await gateway.post("/_emulator/calls", call))[0] == 200
    await gateway.advance(4.9)
    assert (await gateway.port_st(2), await gateway.port_st(4)) == (14, 14)
    await gateway.advance(0.2)
    assert (await gateway.port_st(2), await gateway.port_st(4)) == (3, 3)
    for port in ("2.01", "4.01"):
        pushed = [d["st"] for d in receiver.of_type("port-status") if d["port"] == port]
        assert pushed == ["14 Waiting for Port Call", "3 OK"], port
    _, stats = await gateway.get("/goip_get_call_stat.html", ports="2,4", **CREDS)
    by_port = {e["port"]: e for e in stats["stats"]}
    assert (by_port[2]["calls"], by_port[2]["connected"], by_port[4]["calls"]) == (1, 0, 0)


# -- Skyline -------------------------------------------------------------------------------


async def sky(gateway_factory, **sections):
    quirks = {"firmware": "skyline", **sections.pop("quirks", {})}
    return await registered(gateway_factory, quirks=quirks, **sections)


async def test_par_set_counts_every_parameter_set(gateway_factory):
    gw = await sky(gateway_factory)
    _, doc = await gw.get(CMD, op="set", sms_url="http://127.0.0.1:9/x", **CREDS)
    assert doc == {"code": 0, "reason": "OK", "par_set": 1}
    _, doc = await gw.get(
        CMD, op="set", **{"sim_imei(0)": "865847053403202", "sim_number(3)": "+8613"}, **CREDS
    )
    assert doc == {"code": 0, "reason": "OK", "par_set": 2}
    assert isinstance(doc["par_set"], int)


async def test_op_get_reads_a_slot_identity(gateway_factory):
    gw = await sky(gateway_factory)
    await gw.get(CMD, op="set", **{"sim_imei(3)": "865847053403202"}, **CREDS)
    resp = await gw.client.get(f"{CMD}?username=root&password=root&op=get&sim_imei(3)")
    doc = await resp.json()
    assert doc == {"code": 0, "reason": "OK", "sim_imei(3)": "865847053403202"}


async def test_all_slots_holds_until_changed_in_every_family(gateway):
    _, doc = await gateway.get(STATUS, all_slots=1, **CREDS)
    assert len(doc["status"]) == 8
    _, doc = await gateway.get(STATUS, **CREDS)
    assert len(doc["status"]) == 8
    _, doc = await gateway.get(STATUS, all_slots=0, **CREDS)
    assert len(doc["status"]) == 4
    _, doc = await gateway.get(STATUS, **CREDS)
    assert len(doc["status"]) == 4


async def test_led_answer_and_no_push(gateway_factory, receiver):
    gw = await sky(gateway_factory)
    await gw.get(STATUS, url=receiver.url, **CREDS)
    _, doc = await gw.get(CMD, op="ledon", ports="2", **CREDS)
    assert doc == {"code": 0, "reason": "OK"}
    _, status = await gw.get(STATUS, all_slots=1, **CREDS)
    assert [e["led"] for e in status["status"] if e["port"].startswith("2.")] == [1, 1]
    assert all(e["led"] == 0 for e in status["status"] if not e["port"].startswith("2."))
    await asyncio.sleep(0.05)
    assert receiver.of_type("port-status") == []


async def test_an_unset_slot_shows_its_ports_imei(gateway_factory):
    gw = await sky(gateway_factory)
    module = await gw.imei(1)
    await gw.get(CMD, op="set", **{"sim_imei(1)": "865847053403202"}, **CREDS)
    _, doc = await gw.get(STATUS, all_slots=1, **CREDS)
    by_port = {e["port"]: e for e in doc["status"]}
    assert (by_port["1.01"]["imei"], by_port["1.02"]["imei"]) == (module, "865847053403202")
    facts = [(by_port["1.01"][k], by_port["1.02"][k]) for k in ("active", "inserted", "led")]
    assert facts == [(1, 0), (1, 1), (0, 0)]


@pytest.mark.parametrize("activate", ["reset", "reboot"])
async def test_the_module_takes_the_current_slots_imei_at_reset_and_reboot(
    gateway_factory, activate
):
    gw = await sky(gateway_factory)
    module = (await at(gw, "AT+CGSN"))["resp"]
    await gw.get(CMD, op="set", **{"sim_imei(0)": "865847053403202"}, **CREDS)
    assert (await at(gw, "AT+CGSN"))["resp"] == module
    await gw.get(CMD, op="save", **CREDS)
    await gw.get(CMD, op=activate, ports="1", **CREDS)
    await gw.advance(60)
    assert (await at(gw, "AT+CGSN"))["resp"] == f"{CRLF}865847053403202{CRLF}{CRLF}OK{CRLF}"


async def test_slot_identities_are_lost_at_reboot_unless_saved(gateway_factory):
    gw = await sky(gateway_factory)
    await gw.get(CMD, op="set", **{"sim_number(0)": "+111"}, **CREDS)
    await gw.get(CMD, op="save", **CREDS)
    await gw.get(
        CMD, op="set", **{"sim_number(0)": "+222", "sim_imei(1)": "865847053403202"}, **CREDS
    )
    await gw.get(CMD, op="reboot", **CREDS)
    await gw.advance(60)
    resp = await gw.client.get(
        f"{CMD}?username=root&password=root&op=get&sim_number(0)&sim_imei(1)"
    )
    assert await resp.json() == {
        "code": 0,
        "reason": "OK",
        "sim_number(0)": "+111",
        "sim_imei(1)": "",
    }


async def test_esim_op_time_defaults_to_30_seconds(gateway_factory):
    gw = await sky(gateway_factory, device={"esim_ports": "1"})
    item = [{"port": 1, "slot": 1, "ac": "LPA:1$x$y"}]
    _, doc = await gw.post("/goip_write_esims.html", item, **CREDS)
    assert doc == [{"port": 1, "slot": 1, "status": 1}]
    _, doc = await gw.post("/goip_write_esims.html", [{"port": 1, "slot": 2, "ac": "z"}], **CREDS)
    assert doc == [{"port": 1, "slot": 2, "status": 2}]

    async def profile():
        _, doc = await gw.get("/goip_get_esims.html", ports="1", **CREDS)
        return doc["ports"][0]["profiles"][0]

    await gw.advance(29)
    assert ((await profile())["op"], (await profile())["status"]) == (1, 2)
    await gw.advance(1)
    done = await profile()
    assert (done["op"], done["status"], done["exust"]) == (0, 0, 1)


async def test_to_all_is_validated_and_changes_nothing(gateway_factory):
    gw = await sky(gateway_factory)
    body = {"type": "send-sms", "task_num": 1, "tasks": [{"tid": 5, "to": "1", "sms": "x"}]}
    body["tasks"][0]["to_all"] = "1"
    status, doc = await gw.post("/goip_post_sms.html", body, **CREDS)
    assert status == 200 and doc["status"][0]["status"] == "0 OK"
    body["tasks"][0]["to_all"] = "maybe"
    body["tasks"][0]["tid"] = 6
    status, doc = await gw.post("/goip_post_sms.html", body, **CREDS)
    assert status == 400 and "to_all" in doc["reason"]


# -- Router --------------------------------------------------------------------------------


async def test_redial_answer_envelope(gateway_factory, receiver):
    gw = await registered(gateway_factory, quirks={"firmware": "router"})
    await gw.get(STATUS, url=receiver.url, **CREDS)
    _, doc = await gw.get(CMD, op="redial", ports="1", mode=1, **CREDS)
    assert doc == {"code": 0, "reason": "OK"}
    await gw.advance(10)
    assert receiver.of_type("port-status") == []
    _, doc = await gw.get(CMD, op="redial", ports="1", **CREDS)
    assert doc == {"code": 0, "reason": "OK"}
    await gw.advance(10)
    assert receiver.of_type("port-status")
