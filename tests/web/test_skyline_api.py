"""Skyline firmware over HTTP (EJOIN-EXTRAS, "Skyline"): all_slots, slot facts, LEDs,
per-slot identities, the module-timeout state."""

import asyncio

import pytest
from conftest import CREDS, small
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.config.profile import ProfileError, load_profile

STATUS = "/goip_get_status.html"
CMD = "/goip_send_cmd.html"
AT = "/goip_send_at.html"
USSD = "/goip_send_ussd.html"
IMEI = "865847053403202"
ENTRY_KEYS = [
    "port",
    "sim",
    "seq",
    "st",
    "imei",
    "iccid",
    "imsi",
    "sn",
    "opr",
    "bal",
    "sig",
    "tot_dur",
    "mon_dur",
    "day_dur",
]
PORT_STATUS_KEYS = [
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
FACTS = ["active", "inserted", "slot_active", "led"]


async def skyline(gateway_factory, **sections):
    """The 4x2 test device on skyline firmware, registered."""
    quirks = {"firmware": "skyline", **sections.pop("quirks", {})}
    gw = await gateway_factory(small(quirks=quirks, **sections))
    await gw.advance(10)
    return gw


async def entries(gw, **params):
    status, doc = await gw.get(STATUS, all_slots=1, **CREDS, **params)
    assert status == 200, doc
    return {e["port"]: e for e in doc["status"]}


async def cmd(gw, **params):
    status, doc = await gw.get(CMD, **CREDS, **params)
    assert status == 200, doc
    return doc


# -- status ---------------------------------------------------------------------------


async def test_the_bundled_skyline_profile_is_32_ports_of_8_filled_slots(gateway_factory):
    gw = await gateway_factory(load_profile("skyline"))
    await gw.advance(10)
    found = await entries(gw)
    assert len(found) == 256
    assert "32.08" in found and all(e["sim"] for e in found.values())
    assert [found["1.01"][k] for k in FACTS] == [1, 1, 1, 0]
    assert [found["1.02"][k] for k in FACTS] == [0, 1, 1, 0]


@pytest.mark.parametrize("firmware", ["ejoin", "skyline", "router"])
async def test_all_slots_is_all_sims_in_every_family_and_holds(gateway_factory, firmware):
    gw = await gateway_factory(small(quirks={"firmware": firmware}))
    _, doc = await gw.get(STATUS, all_slots=1, **CREDS)
    assert len(doc["status"]) == 8
    _, doc = await gw.get(STATUS, **CREDS)  # the same setting: it holds until changed
    assert len(doc["status"]) == 8
    assert (await gw.settings())["status_all_sims"] is True
    _, doc = await gw.get(STATUS, all_slots=0, **CREDS)
    assert len(doc["status"]) == 4


@pytest.mark.parametrize(
    ("params", "named"),
    [({"all_slots": "2"}, "all_slots"), ({"all_slots": "1", "all_sims": "0"}, "all_slots")],
)
async def test_a_bad_all_slots_is_a_400_naming_it(gateway, params, named):
    status, doc = await gateway.get(STATUS, **CREDS, **params)
    assert status == 400 and doc["reason"].startswith(named)


async def test_other_families_keep_their_entries_and_port_status(gateway, receiver):
    await gateway.get(STATUS, url=receiver.url, all_sims=1, **CREDS)
    _, doc = await gateway.get(STATUS, **CREDS)
    assert all(list(e) == ENTRY_KEYS for e in doc["status"])
    await cmd(gateway, op="reset", ports="1")
    await gateway.advance(10)
    assert all(list(d) == PORT_STATUS_KEYS for d in receiver.of_type("port-status"))


async def test_skyline_adds_the_slot_facts_to_every_entry_and_port_status(
    gateway_factory, receiver
):
    gw = await skyline(gateway_factory, sims={"overrides": [{"slots": "3.02", "present": False}]})
    await gw.get(STATUS, url=receiver.url, **CREDS)
    await cmd(gw, op="lock", ports="2.02")
    found = await entries(gw)
    assert all(list(e) == ENTRY_KEYS + FACTS for e in found.values())
    assert {p: [e[k] for k in FACTS] for p, e in found.items() if p in ("2.02", "3.02")} == {
        "2.02": [0, 1, 0, 0],
        "3.02": [0, 0, 1, 0],
    }
    await cmd(gw, op="switch", ports="1.02")
    await gw.advance(10)
    docs = [d for d in receiver.of_type("port-status") if d["port"] == "1.02"]
    assert docs and all(list(d) == PORT_STATUS_KEYS + FACTS for d in docs)
    assert [docs[-1][k] for k in FACTS] == [1, 1, 1, 0]
    _, doc = await gw.get(STATUS, **CREDS)  # the period's dev-status renders them too
    await gw.advance(60)
    [pushed, *_] = receiver.of_type("dev-status")
    assert all(list(e) == ENTRY_KEYS + FACTS for e in pushed["status"])


# -- LEDs -----------------------------------------------------------------------------


async def leds(gw):
    return sorted(p for p, e in (await entries(gw)).items() if e["led"])


async def test_ledon_and_ledoff_by_query_command_body_and_multiple(gateway_factory, receiver):
    gw = await skyline(gateway_factory)
    await gw.get(STATUS, url=receiver.url, **CREDS)
    assert await cmd(gw, op="ledon", ports="1.02") == {"code": 0, "reason": "OK"}
    assert await leds(gw) == ["1.02"]
    status, doc = await gw.post(CMD, {"type": "command", "op": "ledon", "ports": "2"}, **CREDS)
    assert (status, doc) == (200, {"code": 0, "reason": "OK"})
    assert await leds(gw) == ["1.02", "2.01", "2.02"]
    body = {
        "op": "multiple",
        "ops": [{"op": "ledoff", "ports": "2A"}, {"op": "lock", "ports": "4"}],
    }
    assert (await gw.post(CMD, body, **CREDS))[1] == {"code": 0, "reason": "OK"}
    assert await leds(gw) == ["1.02", "2.02"]
    assert await cmd(gw, op="ledoff", ports="*") == {"code": 0, "reason": "OK"}
    assert await leds(gw) == []
    assert await cmd(gw, op="ledon", ports="all") == {"code": 0, "reason": "OK"}
    assert len(await leds(gw)) == 8
    await gw.advance(1)
    assert [d["port"] for d in receiver.of_type("port-status")] == ["4.01"]  # the lock only


async def test_a_led_shows_in_the_next_port_status(gateway_factory, receiver):
    gw = await skyline(gateway_factory)
    await gw.get(STATUS, url=receiver.url, **CREDS)
    await cmd(gw, op="ledon", ports="3")
    await cmd(gw, op="reset", ports="3")
    await gw.advance(10)
    assert {d["led"] for d in receiver.of_type("port-status")} == {1}


async def test_ledon_needs_ports(gateway_factory):
    gw = await skyline(gateway_factory)
    doc = await cmd(gw, op="ledon")
    assert doc["code"] == 2 and "op=ledon needs ports" in doc["reason"]
    doc = await cmd(gw, op="ledon", ports="9")
    assert doc["code"] == 2


@pytest.mark.parametrize("firmware", ["ejoin", "router"])
async def test_led_ops_are_refused_on_other_firmware(gateway_factory, firmware):
    gw = await gateway_factory(small(quirks={"firmware": firmware}))
    doc = await cmd(gw, op="ledon", ports="1")
    assert doc == {"code": 15, "reason": "Invalid CMD: op 'ledon' is a skyline firmware command"}
    body = {"op": "multiple", "ops": [{"op": "lock", "ports": "1"}, {"op": "ledoff", "ports": "2"}]}
    _, doc = await gw.post(CMD, body, **CREDS)
    assert doc == {"code": 15, "reason": "Invalid CMD: op 'ledoff' is a skyline firmware command"}
    assert await gw.port_st(1) != 12  # nothing of the multiple ran
    doc = await cmd(gw, op="blink", ports="1")
    assert "ledon" not in doc["reason"] and "lock" in doc["reason"]


async def test_leds_are_running_state_that_op_save_keeps(gateway_factory):
    gw = await skyline(gateway_factory)
    await cmd(gw, op="ledon", ports="1.01,2.01")
    await cmd(gw, op="save")
    await cmd(gw, op="ledon", ports="3.01")
    await cmd(gw, op="reboot")
    await gw.advance(60)
    assert await leds(gw) == ["1.01", "2.01"]
    state = await gw.state()
    assert [s["led"] for s in state["ports"][0]["slots"]] == [True, False]


# -- per-slot identities ----------------------------------------------------------------


async def test_op_set_in_the_query_answers_par_set_and_shows_at_once(gateway_factory):
    gw = await skyline(gateway_factory)
    doc = await cmd(gw, op="set", **{"sim_imei(1)": IMEI, "sim_number(1)": "13912345678"})
    assert doc == {"code": 0, "reason": "OK", "par_set": 2}
    entry = (await entries(gw))["1.02"]
    assert (entry["imei"], entry["sn"], entry["sim"]) == (IMEI, "13912345678", "13912345678")
    doc = await cmd(gw, op="get", **{"sim_imei(1)": "", "sim_number(1)": ""})
    assert doc == {"code": 0, "reason": "OK", "sim_imei(1)": IMEI, "sim_number(1)": "13912345678"}
    state = await gw.state()
    assert state["ports"][0]["slots"][1]["imei"] == IMEI
    assert state["ports"][0]["slots"][1]["number"] == "13912345678"
    assert state["ports"][0]["slots"][0]["imei"] == ""  # unset
    assert (await cmd(gw, op="set", sms_cnt=5)) == {"code": 0, "reason": "OK", "par_set": 1}


async def test_a_plus_in_the_query_stays_a_plus(gateway_factory):
    gw = await skyline(gateway_factory)
    resp = await gw.client.get(f"{CMD}?username=root&password=root&op=set&sim_number(0)=+4477001")
    assert (await resp.json())["par_set"] == 1
    assert (await entries(gw))["1.01"]["sn"] == "+4477001"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", f"sim_imei(2)={IMEI}&sim_imei(5)=865847053403213&sim_number(2)=+861"),
        (
            "application/x-www-form-urlencoded",
            f"sim_imei%282%29={IMEI}&sim_imei(5)=865847053403213&sim_number(2)=%2B861",
        ),
    ],
)
async def test_op_set_as_name_value_pairs_in_the_body(gateway_factory, content_type, body):
    gw = await skyline(gateway_factory)
    resp = await gw.client.post(
        f"{CMD}?username=root&password=root&op=set",
        data=body.encode(),
        headers={"Content-Type": content_type},
    )
    assert await resp.json() == {"code": 0, "reason": "OK", "par_set": 3}
    found = await entries(gw)
    assert (found["2.01"]["imei"], found["2.01"]["sn"]) == (IMEI, "+861")
    assert found["3.02"]["imei"] == "865847053403213"


async def test_credentials_may_come_in_the_pairs(gateway_factory):
    gw = await skyline(gateway_factory)
    body = f"username=root&password=root&op=set&sim_imei(0)={IMEI}".encode()
    resp = await gw.client.post(CMD, data=body, headers={"Content-Type": "text/plain"})
    assert await resp.json() == {"code": 0, "reason": "OK", "par_set": 1}


async def test_a_json_body_still_works(gateway_factory):
    gw = await skyline(gateway_factory)
    status, doc = await gw.post(CMD, {"op": "set", "sim_imei(3)": IMEI}, **CREDS)
    assert (status, doc) == (200, {"code": 0, "reason": "OK", "par_set": 1})
    status, doc = await gw.post(CMD, '{"op": "set", "sim_imei(3)": ', **CREDS)
    assert status == 400 and doc["reason"].startswith("body")


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"sim_imei(1)": IMEI, "sim_imei(8)": IMEI}, "sim_imei(8)"),
        ({"sim_imei(1)": IMEI, "sim_imei(2)": "12345"}, "sim_imei(2)"),
        ({"sim_imei(1)": IMEI, "sim_number(2)": "abc"}, "sim_number(2)"),
        ({"sim_imei(1)": IMEI, "sim_imeis(2)": IMEI}, "sim_imeis(2)"),
    ],
)
async def test_one_bad_setting_is_15_naming_it_and_sets_nothing(gateway_factory, params, named):
    gw = await skyline(gateway_factory)
    doc = await cmd(gw, op="set", **params)
    assert doc["code"] == 15 and named in doc["reason"] and "par_set" not in doc
    assert (await entries(gw))["1.02"]["imei"] != IMEI


async def test_identity_settings_are_refused_on_other_firmware(gateway):
    doc = await cmd(gateway, op="set", **{"sim_imei(0)": IMEI})
    assert doc == {
        "code": 15,
        "reason": "Invalid CMD: setting 'sim_imei(0)' is a skyline firmware setting",
    }
    doc = await cmd(gateway, op="get", **{"sim_number(0)": ""})
    assert doc["code"] == 15 and "'sim_number(0)' is a skyline firmware setting" in doc["reason"]
    doc = await cmd(gateway, op="set", sms_cnt=5)
    assert doc == {"code": 0, "reason": "OK"}  # no par_set outside skyline
    state = await gateway.state()
    assert "led" not in state["ports"][0]["slots"][0]


async def at(gw, command, port=1, **params):
    status, doc = await gw.get(AT, port=port, at=command, **CREDS, **params)
    assert status == 200, doc
    return doc


async def test_the_module_takes_the_slot_imei_only_when_the_slot_becomes_current(
    gateway_factory,
):
    gw = await skyline(gateway_factory)
    module_imei = (await at(gw, "AT+CGSN"))["resp"]
    await cmd(gw, op="set", **{"sim_imei(1)": IMEI})
    assert (await at(gw, "AT+CGSN"))["resp"] == module_imei  # status and radio differ
    await cmd(gw, op="switch", ports="1.02")
    await gw.advance(10)
    assert (await at(gw, "AT+CGSN"))["resp"] == f"\r\n{IMEI}\r\n\r\nOK\r\n"
    assert (await gw.state())["ports"][0]["imei"] == IMEI


# -- 16 Module Response Timeout ----------------------------------------------------------


async def sim(gw, slot, event):
    return await gw.post(f"/_emulator/sims/{slot}", {"event": event})


async def test_module_timeout_is_pushed_and_module_ok_registers_again(gateway_factory, receiver):
    gw = await skyline(gateway_factory)
    await gw.get(STATUS, url=receiver.url, **CREDS)
    status, doc = await sim(gw, "1.01", "module_timeout")
    assert status == 200 and doc["port"]["status"] == "16 Module Response Timeout"
    assert await gw.port_st(1) == 16
    assert receiver.of_type("port-status")[-1]["st"] == "16 Module Response Timeout"
    await sim(gw, "1.01", "module_ok")
    await gw.advance(10)
    assert [d["st"] for d in receiver.of_type("port-status")] == [
        "16 Module Response Timeout",
        "2 Registering",
        "3 OK",
    ]


async def test_module_events_are_refused_outside_skyline(gateway):
    status, doc = await sim(gateway, "1.01", "module_timeout")
    assert status == 400 and "skyline firmware" in doc["reason"]
    assert await gateway.port_st(1) == 3


async def test_op_reset_clears_16(gateway_factory):
    gw = await skyline(gateway_factory)
    await sim(gw, "2.01", "module_timeout")
    await cmd(gw, op="reset", ports="2")
    await gw.advance(10)
    assert await gw.port_st(2) == 3


async def waiting(gw, path, **params):
    """A request that waits on the device clock, started; its task once it waits."""
    pending = gw.clock.pending
    task = asyncio.ensure_future(gw.get(path, **CREDS, **params))
    for _ in range(400):
        await asyncio.sleep(0.005)
        if gw.clock.pending > pending or task.done():
            break
    return task


@pytest.mark.parametrize(
    ("path", "params", "default"),
    [(AT, {"at": "AT+CSQ"}, 10), (USSD, {"ussd": "*100#"}, 120)],
)
async def test_at_and_ussd_on_a_mute_port_answer_6_after_their_timeout(
    gateway_factory, path, params, default
):
    gw = await skyline(gateway_factory)
    await sim(gw, "1.01", "module_timeout")
    for timeout in (None, 3):
        extra = {} if timeout is None else {"timeout": timeout}
        task = await waiting(gw, path, port=1, **params, **extra)
        wait = default if timeout is None else timeout
        await gw.advance(wait - 0.5)
        assert not task.done()
        await gw.advance(0.5)
        status, doc = await asyncio.wait_for(task, 5)
        assert (status, doc["code"], doc["reason"]) == (200, 6, "Timeout")
        assert "1" not in doc["port"].split(",")[0:1]  # the mute port is not offered
    # The other ports answer at once.
    assert (await at(gw, "AT", port=2))["code"] == 0


async def test_messages_on_a_mute_port_wait_for_it(gateway_factory, receiver):
    gw = await skyline(gateway_factory)
    task = {"tid": 7, "to": "555,556,557", "sms": "hi", "from": "1", "tmo": 20}
    _, doc = await gw.post(
        "/goip_post_sms.html",
        {"type": "send-sms", "task_num": 1, "tasks": [task], "sr_url": receiver.url},
        **CREDS,
    )
    assert doc["status"] == [{"tid": 7, "status": "0 OK"}]
    await sim(gw, "1.01", "module_timeout")
    await gw.advance(300)  # far beyond tmo
    [held] = (await gw.state())["tasks"]
    assert held["failed"] == 0 and held["sent"] <= 1  # one may have been on the air
    await sim(gw, "1.01", "module_ok")
    await gw.advance(60)
    reports = receiver.of_type("status-report")
    last = {r["tid"]: r for doc in reports for r in doc["rpts"]}[7]
    assert last["sent"] + last["failed"] == 3 and last["sent"] >= 2


# -- garbage ---------------------------------------------------------------------------


@pytest.fixture
async def sky(gateway_factory):
    return await skyline(gateway_factory)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=80),
        st.builds(
            lambda n, v: f"sim_imei({n})={v}".encode(),
            st.one_of(st.integers(-3, 100), st.text(max_size=5)),
            st.text(max_size=20),
        ),
        st.builds(
            lambda name, v: f"{name}={v}&sim_imei(x)=1".encode(),
            st.sampled_from(["sim_imei(0)", "sim_number(1)", "led(0)", "op", "ports"]),
            st.text(max_size=20),
        ),
    ),
    op=st.sampled_from(["set", "ledon", "ledoff", "get", ""]),
    ports=st.sampled_from(["1", "x", "", "9", "1.09", "all"]),
)
async def test_garbage_identity_and_led_bodies_never_5xx_nor_change_state(sky, body, op, ports):
    _, status_before = await sky.get(STATUS, all_slots=1, **CREDS)
    before = await sky.state()
    resp = await sky.client.post(CMD, data=body, params={**CREDS, "op": op, "ports": ports})
    assert resp.status < 500
    doc = await resp.json(content_type=None)
    after = await sky.state()
    _, status_after = await sky.get(STATUS, all_slots=1, **CREDS)
    if doc["code"] != 0:
        for doc_ in (before, after):
            doc_.pop("clock")
        assert after == before
        assert status_after["status"] == status_before["status"]


async def test_a_scenario_mutes_a_module_on_the_clock(gateway_factory):
    scenario = [
        {"at": 30, "sim": {"slots": "1.01", "event": "module_timeout"}},
        {"at": 90, "sim": {"slots": "1.01", "event": "module_ok"}},
    ]
    gw = await skyline(gateway_factory, scenario=scenario)
    await gw.advance(30)
    assert await gw.port_st(1) == 16
    await gw.advance(70)
    assert await gw.port_st(1) == 3
    assert [e["ok"] for e in gw.journal("control", "scenario")] == [True, True]


def test_module_events_in_a_scenario_need_skyline_firmware():
    with pytest.raises(ProfileError, match=r"scenario\.0\.sim\.event: module_timeout is a skyline"):
        small(scenario=[{"at": 5, "sim": {"slots": "1.01", "event": "module_timeout"}}])
