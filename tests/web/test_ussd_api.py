"""goip_send_ussd.html over HTTP (EJOIN-EXTRAS, "USSD"): the wire, the dialogues, the clock."""

import asyncio

import pytest
from conftest import CREDS, make_profile, small
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.config.profile import ProfileError, parse_profile

USSD = "/goip_send_ussd.html"
KEYS = ["code", "reason", "resp", "max-port", "port"]
DOTTED = {"port_format": "dotted"}


async def ussd(gw, **params):
    status, doc = await gw.get(USSD, **CREDS, **params)
    assert status == 200 and list(doc) == KEYS, doc
    return doc


async def state_of(gw, port):
    _, doc = await gw.get("/_emulator/state")
    return doc["ports"][port - 1]["ussd"]


async def balance(gw, port):
    _, doc = await gw.get("/goip_get_status.html", **CREDS)
    return doc["status"][port - 1]["bal"]


def four(**sections):
    return small(quirks=DOTTED, **sections)


async def registered(gateway_factory, **sections):
    gw = await gateway_factory(four(**sections))
    await gw.advance(10)
    return gw


async def test_ports_query_lists_usable_ports_collapsed(gateway):
    assert await ussd(gateway) == {
        "code": 0,
        "reason": "OK",
        "resp": "",
        "max-port": 4,
        "port": "1-4",
    }
    await gateway.post("/_emulator/sims/3.01", {"event": "block"})
    assert (await ussd(gateway))["port"] == "1-2,4"


async def test_wrong_credentials_are_code_1_with_the_five_keys(gateway):
    status, doc = await gateway.get(USSD, username="root", password="x", port=1, ussd="*100#")
    assert status == 200 and list(doc) == KEYS
    assert (doc["code"], doc["reason"], doc["resp"]) == (1, "Invalid User", "")


async def test_balance_and_number_codes_answer_from_the_current_sim(gateway):
    doc = await ussd(gateway, port=1, ussd="*100#")
    assert (doc["code"], doc["resp"]) == (0, "Your balance is 100.00.")
    number = (await gateway.sim(2))["number"]
    assert (await ussd(gateway, port="2.01", ussd="*101#"))["resp"] == f"Your number is {number}."
    assert await state_of(gateway, 1) is None  # a node without options closes at once


@pytest.mark.parametrize(
    ("params", "code", "reason"),
    [
        ({"ussd": "*100#"}, 2, "Invalid Port"),
        ({"port": "9", "ussd": "*100#"}, 2, "Invalid Port"),
        ({"port": "1,2", "ussd": "*100#"}, 2, "Invalid Port"),
        ({"port": "x", "ussd": "*100#"}, 2, "Invalid Port"),
        ({"port": "1"}, 3, "USSD Expected"),
        ({"port": "1", "ussd": ""}, 3, "USSD Expected"),
    ],
)
async def test_refusals_have_their_code_and_no_resp(gateway, params, code, reason):
    doc = await ussd(gateway, **params)
    assert (doc["code"], doc["reason"], doc["resp"], doc["port"]) == (code, reason, "", "1-4")


async def test_spaces_alone_are_no_ussd(gateway):
    resp = await gateway.client.get(f"{USSD}?username=root&password=root&port=1&ussd=%20%20")
    doc = await resp.json()
    assert (doc["code"], doc["reason"]) == (3, "USSD Expected")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"timeout": "0"}, "timeout"),
        ({"timeout": "601"}, "timeout"),
        ({"timeout": "soon"}, "timeout"),
        ({"retries": "11"}, "retries"),
        ({"retries": "-1"}, "retries"),
    ],
)
async def test_wrong_numbers_are_400_naming_the_field(gateway, params, field):
    status, doc = await gateway.get(USSD, port=1, ussd="*100#", **params, **CREDS)
    assert status == 400 and doc["reason"].startswith(f"{field}:")
    assert await state_of(gateway, 1) is None


async def test_every_port_form_means_the_port(gateway):
    for name in ("1", "1.01", "1A", "1.02"):
        assert (await ussd(gateway, port=name, ussd="*100#"))["code"] == 0


async def test_menu_reply_tops_up_and_the_balance_shows_everywhere(gateway):
    """The tour's top-up: dial the menu, reply 2, see it in dev-status and in *100#."""
    menu = await ussd(gateway, port=1, ussd="*123#")
    assert menu["resp"] == "Top-up menu\n1. Add 10.00\n2. Add 20.00\n0. Exit"
    open_ = await state_of(gateway, 1)
    assert open_["code"] == "*123#" and open_["state"] == "open"
    assert open_["expires"] == gateway.clock.now() + 30
    done = await ussd(gateway, port=1, ussd="2")
    assert done["resp"] == "Top-up of 20.00 done. New balance 120.00."
    assert await state_of(gateway, 1) is None
    assert await balance(gateway, 1) == "120.00"
    assert await balance(gateway, 2) == "100.00"
    assert (await ussd(gateway, port=1, ussd="*100#"))["resp"] == "Your balance is 120.00."
    [entry, *_] = gateway.journal("request", "goip_send_ussd")
    assert entry["query"]["ussd"] == "*123#" and entry["answer"]["resp"] == menu["resp"]


async def test_unknown_code_invalid_choice_and_reply_to_nothing(gateway):
    assert (await ussd(gateway, port=1, ussd="*999#"))["resp"] == "Unknown application"
    assert (await ussd(gateway, port=1, ussd="1"))["resp"] == "Unknown application"
    await ussd(gateway, port=1, ussd="*123#")
    doc = await ussd(gateway, port=1, ussd="7")
    assert (doc["code"], doc["resp"]) == (0, "Invalid choice.")
    assert await state_of(gateway, 1) is None
    assert await balance(gateway, 1) == "100.00"


async def test_busy_port_refuses_a_new_code_other_ports_are_free(gateway):
    await ussd(gateway, port=1, ussd="*123#")
    busy = await ussd(gateway, port=1, ussd="*100#")
    assert (busy["code"], busy["reason"], busy["resp"]) == (4, "Pending USSD", "")
    assert (await state_of(gateway, 1))["state"] == "open"
    assert (await ussd(gateway, port=2, ussd="*100#"))["code"] == 0
    assert (await ussd(gateway, port=1, ussd="0"))["resp"] == "Goodbye."


async def test_open_dialogue_closes_silently_after_session_timeout(gateway_factory):
    gw = await registered(gateway_factory, ussd={"session_timeout": 12})
    await ussd(gw, port=1, ussd="*123#")
    await gw.advance(11)
    assert (await state_of(gw, 1))["state"] == "open"
    await gw.advance(1)
    assert await state_of(gw, 1) is None
    assert (await ussd(gw, port=1, ussd="1"))["resp"] == "Unknown application"
    assert await balance(gw, 1) == "100.00"


@pytest.mark.parametrize("event", ["block", "remove"])
async def test_sim_without_service_is_5(gateway, event):
    await gateway.post("/_emulator/sims/2.01", {"event": event})
    doc = await ussd(gateway, port=2, ussd="*100#")
    assert (doc["code"], doc["reason"]) == (5, "SIM Unregistered")
    assert doc["port"] == "1,3-4"


async def test_no_balance_sim_still_dials_and_a_topup_registers_it(gateway):
    await gateway.post("/_emulator/sims/1.01", {"event": "no_balance"})
    await ussd(gateway, port=1, ussd="*123#")
    assert (await ussd(gateway, port=1, ussd="1"))["resp"].endswith("New balance 10.00.")
    _, doc = await gateway.get("/goip_get_status.html", **CREDS)
    assert doc["status"][0]["st"] == 3


@pytest.mark.parametrize(
    "drop",
    [
        lambda gw: gw.get("/goip_send_cmd.html", op="reset", ports="1", **CREDS),
        lambda gw: gw.get("/goip_send_cmd.html", op="switch", ports="1.02", **CREDS),
        lambda gw: gw.post("/_emulator/sims/1.01", {"event": "block"}),
        lambda gw: gw.post("/_emulator/reset", {}),
    ],
    ids=["reset", "switch", "sim-left", "emulator-reset"],
)
async def test_dialogue_is_dropped(gateway, drop):
    await ussd(gateway, port=1, ussd="*123#")
    await ussd(gateway, port=2, ussd="*123#")
    await drop(gateway)
    assert await state_of(gateway, 1) is None
    await gateway.advance(10)
    assert (await ussd(gateway, port=1, ussd="1"))["resp"] == "Unknown application"


async def test_reboot_drops_every_dialogue(gateway):
    await ussd(gateway, port=3, ussd="*123#")
    await gateway.get("/goip_send_cmd.html", op="reboot", **CREDS)
    await gateway.advance(60)
    assert await state_of(gateway, 3) is None
    assert (await ussd(gateway, port=3, ussd="*123#"))["code"] == 0


async def held(gw, **params):
    """Send a request the network answers later; return its task once it is waiting."""
    task = asyncio.ensure_future(ussd(gw, **params))
    for _ in range(200):
        await asyncio.sleep(0.005)
        if (await state_of(gw, int(params["port"]))) is not None or task.done():
            break
    return task


async def test_latency_holds_the_answer_until_the_device_clock_reaches_it(gateway_factory):
    gw = await registered(gateway_factory, ussd={"latency": 4})
    task = await held(gw, port=1, ussd="*123#")
    waiting = await state_of(gw, 1)
    assert waiting == {"code": "*123#", "state": "waiting", "expires": gw.clock.now() + 120}
    refused = await ussd(gw, port=1, ussd="1")  # a reply before the network answered
    assert refused["code"] == 4
    await gw.advance(3.9)
    assert not task.done()
    await gw.advance(0.1)
    doc = await task
    assert doc["code"] == 0 and doc["resp"].startswith("Top-up menu")
    assert (await state_of(gw, 1))["state"] == "open"


async def test_timeout_passing_first_answers_6_and_drops_the_dialogue(gateway_factory):
    gw = await registered(gateway_factory, ussd={"latency": 10})
    task = await held(gw, port=1, ussd="*123#", timeout=3)
    await gw.advance(3)
    doc = await task
    assert (doc["code"], doc["reason"], doc["resp"]) == (6, "Timeout", "")
    assert await state_of(gw, 1) is None
    await gw.advance(20)
    assert await state_of(gw, 1) is None


TOPUP_TREE = {
    "networks": {
        "default": {
            "codes": {
                "*555#": {"topup": 5, "text": "Added 5, balance {balance}."},
                "*100#": {"text": "Your balance is {balance}."},
            }
        }
    }
}


@pytest.mark.parametrize(("retries", "added"), [(0, 5), (2, 15)])
async def test_lost_answers_are_retried_and_each_attempt_is_carried_out(
    gateway_factory, retries, added
):
    gw = await registered(gateway_factory, ussd={**TOPUP_TREE, "failure_rate": 1})
    doc = await ussd(gw, port=1, ussd="*555#", retries=retries)
    assert (doc["code"], doc["resp"]) == (6, "")
    assert await balance(gw, 1) == f"{100 + added:.2f}"


async def test_default_retries_are_3(gateway_factory):
    gw = await registered(gateway_factory, ussd={**TOPUP_TREE, "failure_rate": 1})
    await ussd(gw, port=1, ussd="*555#")
    assert await balance(gw, 1) == "120.00"


async def test_operator_tree_and_text_fields(gateway_factory):
    tree = {
        "networks": {
            "46001": {
                "unknown": "No such service",
                "codes": {"#9#": {"text": "{port} {imsi} {imei} {operator} {iccid}"}},
            }
        }
    }
    gw = await registered(gateway_factory, ussd=tree)
    card, imei = await gw.sim(1), await gw.imei(1)
    doc = await ussd(gw, port=1, ussd="#9#")
    assert doc["resp"] == f"1.01 {card['imsi']} {imei} {card['operator']} {card['iccid']}"
    assert (await ussd(gw, port=1, ussd="*100#"))["resp"] == "No such service"


async def test_percent_decoding_keeps_plus_and_undoes_double_encoding(gateway_factory):
    tree = {"networks": {"default": {"codes": {"*1*+380#": {"text": "plus kept"}}}}}
    gw = await registered(gateway_factory, ussd=tree)
    base = "username=root&password=root&port=1&ussd="
    for raw in ("*1*%2B380%23", "*1*+380%23", "%252A1%252A%252B380%2523"):
        resp = await gw.client.get(f"{USSD}?{base}{raw}")
        assert (await resp.json())["resp"] == "plus kept", raw


async def test_post_with_the_query_ignores_the_body(gateway):
    status, doc = await gateway.post(USSD, b"\xff not json", port=1, ussd="*100#", **CREDS)
    assert status == 200 and doc["resp"] == "Your balance is 100.00."


async def test_http_fault_on_the_endpoint(gateway):
    await gateway.post("/_emulator/faults", {"action": "error", "endpoint": "goip_send_ussd"})
    status, doc = await gateway.get(USSD, port=1, ussd="*100#", **CREDS)
    assert status == 500 and doc["reason"] == "injected fault #1"
    assert (await gateway.get("/goip_get_status.html", **CREDS))[0] == 200


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"latency": [5, 1]}, "latency"),
        ({"failure_rate": 2}, "failure_rate"),
        ({"networks": {"default": {"codes": {"100": {"text": "x"}}}}}, "not a service code"),
        ({"networks": {"default": {"codes": {"*1#": {"text": "{nope}"}}}}}, "unknown text"),
        ({"networks": {"telco": {}}}, "not an operator id"),
        ({"session_timout": 3}, "session_timout"),
    ],
)
def test_profile_section_is_validated(section, message):
    with pytest.raises(ProfileError) as err:
        parse_profile(__import__("yaml").safe_dump({"ussd": section}), "p.yaml")
    assert message in str(err.value) and "p.yaml" in str(err.value)


def test_profile_section_loads():
    profile = make_profile(ussd={"latency": [1, 2], **TOPUP_TREE})
    assert profile.ussd.latency == (1.0, 2.0)


USSD_TEXT = st.text(alphabet="*#+0123456789 %&=aZ", max_size=24)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=USSD_TEXT, port=st.sampled_from(["1", "2.01", "0", "9", "", "1-2"]))
async def test_random_strings_never_fail_and_refusals_change_nothing(gateway, text, port):
    _, before = await gateway.get("/_emulator/state")
    status, doc = await gateway.get(USSD, port=port, ussd=text, **CREDS)
    assert status == 200 and list(doc) == KEYS
    _, after = await gateway.get("/_emulator/state")
    if doc["code"] != 0:
        before.pop("clock"), after.pop("clock")
        assert after == before
    else:
        await gateway.post("/_emulator/reset", {})
        await gateway.advance(10)


async def test_counted_in_the_metrics(gateway):
    await ussd(gateway, port=1, ussd="*100#")
    resp = await gateway.client.get("/_emulator/metrics")
    text = await resp.text()
    assert any("goip_send_ussd" in line and line.startswith("goip_") for line in text.splitlines())


async def test_front_hands_a_kept_alive_connection_over_for_ussd(gateway):
    """One connection: a request the front serves, then one aiohttp serves."""
    reader, writer = await asyncio.open_connection(gateway.client.host, gateway.client.port)
    head = "GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    creds = "username=root&password=root"
    writer.write(head.format(f"/goip_send_at.html?{creds}&port=1&at=AT").encode())
    writer.write(head.format(f"{USSD}?{creds}&port=1&ussd=*100%23").encode())
    await writer.drain()
    data = b""
    while data.count(b"HTTP/1.1 200") < 2 or not data.rstrip().endswith(b"}"):
        chunk = await asyncio.wait_for(reader.read(65536), 5)
        if not chunk:
            break
        data += chunk
    writer.close()
    assert b'"resp":"\\r\\nOK\\r\\n"' in data and b"Your balance is 100.00." in data
