"""Router firmware (EJOIN-EXTRAS, "Router"): op=redial, the data settings, the data links
in /_emulator/state, and the family gate that keeps each family's extras to itself."""

import ipaddress

import pytest
from conftest import CREDS, small
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.config.profile import load_profile
from emulator.core.codes import SimState, TaskStatus
from emulator.ejoin.commands import FAMILY_OPS, FAMILY_SETTINGS

CMD = "/goip_send_cmd.html"
OK = {"code": 0, "reason": "OK"}
CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
FAMILIES = ["ejoin", "skyline", "router"]


@pytest.fixture
async def router(gateway_factory):
    """A registered 4x2 router (detect 1 s, registration 5 s)."""
    gw = await gateway_factory(small(quirks={"firmware": "router"}))
    await gw.advance(10)
    return gw


async def read(gw, *names):
    """op=get of names without values, as field clients write it."""
    query = "&".join(names)
    resp = await gw.client.get(f"{CMD}?username=root&password=root&op=get&{query}")
    return await resp.json()


async def ip(gw, port):
    return (await read(gw, f"port_public_ip({port - 1})"))[f"port_public_ip({port - 1})"]


async def rx_tx(gw, port):
    return (await read(gw, f"port_rx_tx({port - 1})"))[f"port_rx_tx({port - 1})"]


async def links(gw):
    return (await gw.state())["data_links"]


def states_pushed(receiver, port):
    return [
        int(d["st"].split()[0])
        for d in receiver.of_type("port-status")
        if d["port"].startswith(f"{port}.")
    ]


async def traffic(gw, port, rx, tx):
    return await gw.post("/_emulator/data", {"port": port, "rx": rx, "tx": tx})


# -- the bundled profile and the links --------------------------------------------------


async def test_bundled_router_is_8_ports_of_one_slot_each_with_a_public_ip(gateway_factory):
    gw = await gateway_factory(load_profile("router"), seed=5)
    await gw.advance(10)
    _, doc = await gw.get("/goip_get_status.html", all_sims=1, **CREDS)
    assert [e["port"] for e in doc["status"]] == [f"{p}.01" for p in range(1, 9)]
    answer = await read(gw, "port_public_ip")
    addresses = answer["port_public_ip"]
    assert len(set(addresses)) == 8
    assert all(ipaddress.IPv4Address(a) in CGNAT for a in addresses)
    assert (await read(gw, "port_rx_tx"))["port_rx_tx"] == ["0/0"] * 8
    again = await gateway_factory(load_profile("router"), seed=5)
    await again.advance(10)
    assert (await read(again, "port_public_ip"))["port_public_ip"] == addresses  # the seed's


async def test_state_shows_each_ports_link_on_router_firmware_only(router, gateway):
    shown = await links(router)
    assert [(link["port"], link["state"], link["rx"], link["tx"]) for link in shown] == [
        (p, "up", 0, 0) for p in range(1, 5)
    ]
    assert [link["ip"] for link in shown] == (await read(router, "port_public_ip"))[
        "port_public_ip"
    ]
    assert all(link["dials_at"] is None for link in shown)
    assert "data_links" not in await gateway.state()


async def test_a_link_is_down_with_an_empty_ip_until_the_sim_registers(gateway_factory):
    gw = await gateway_factory(small(quirks={"firmware": "router"}))
    await gw.advance(5.9)
    assert await ip(gw, 1) == "" and (await links(gw))[0]["state"] == "down"
    await gw.advance(0.1)
    assert ipaddress.IPv4Address(await ip(gw, 1)) in CGNAT


# -- op=redial ---------------------------------------------------------------------------


async def test_flight_redial_is_the_default_reregisters_as_reset_and_changes_ip(router, receiver):
    await router.get("/goip_get_status.html", url=receiver.url, period=60, **CREDS)
    old, other = await ip(router, 1), await ip(router, 2)
    status, doc = await router.get(CMD, op="redial", ports="1", **CREDS)
    assert (status, doc) == (200, OK)
    assert await ip(router, 1) == ""
    await router.advance(6)
    assert states_pushed(receiver, 1) == [11, 2, 3]  # detected, registering, OK
    new = await ip(router, 1)
    assert new not in ("", old) and ipaddress.IPv4Address(new) in CGNAT
    assert await ip(router, 2) == other


async def test_fast_redial_keeps_ip_and_state_pushes_nothing_and_zeroes_counters(router, receiver):
    await router.get("/goip_get_status.html", url=receiver.url, period=60, **CREDS)
    old = await ip(router, 2)
    assert (await traffic(router, "2", 1500, 300))[0] == 200
    assert await rx_tx(router, 2) == "1500/300"
    status, doc = await router.get(CMD, op="redial", ports="2.01", mode=1, **CREDS)
    assert (status, doc) == (200, OK)
    await router.advance(10)
    assert await ip(router, 2) == old and await rx_tx(router, 2) == "0/0"
    assert await router.port_st(2) == SimState.OK
    assert receiver.of_type("port-status") == []


async def test_delay_holds_the_dial_after_registration_in_virtual_time(router):
    start = router.clock.now()
    doc = (await router.get(CMD, op="redial", ports="3", mode=0, delay=30, **CREDS))[1]
    assert doc == OK
    await router.advance(6)  # detect 1 s + registration 5 s
    assert await router.port_st(3) == SimState.OK
    link = (await links(router))[2]
    assert (link["state"], link["ip"], link["dials_at"]) == ("dialing", "", start + 36)
    await router.advance(29.9)
    assert await ip(router, 3) == ""
    await router.advance(0.1)
    assert ipaddress.IPv4Address(await ip(router, 3)) in CGNAT


async def test_a_fast_redial_takes_delay_and_ignores_it(router):
    old = await ip(router, 1)
    assert (await router.get(CMD, op="redial", ports="1", mode=1, delay=60, **CREDS))[1] == OK
    assert await ip(router, 1) == old


async def test_redial_by_json_command_and_inside_multiple(router, receiver):
    await router.get("/goip_get_status.html", url=receiver.url, period=60, **CREDS)
    old = [await ip(router, p) for p in (1, 2, 3)]
    status, doc = await router.post(
        CMD, {"type": "command", "op": "REDIAL", "ports": "1", "mode": 1, "Delay": 0}, **CREDS
    )
    assert (status, doc) == (200, OK)
    body = {
        "type": "command",
        "op": "multiple",
        "ops": [
            {"op": "redial", "ports": "2", "mode": "0", "delay": 20},
            {"op": "redial", "port": "3", "mode": 1},
            {"op": "lock", "ports": "4"},
        ],
    }
    assert await router.post(CMD, body, **CREDS) == (200, OK)
    await router.advance(6)
    assert [await ip(router, p) for p in (1, 3)] == [old[0], old[2]]
    assert await ip(router, 2) == ""  # dialing: 20 s after registration
    await router.advance(20)
    assert await ip(router, 2) not in ("", old[1])
    assert states_pushed(receiver, 2) == [11, 2, 3]
    assert states_pushed(receiver, 3) == []
    assert await router.port_st(4) == SimState.USER_LOCKED


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("mode", "2"),
        ("mode", "fast"),
        ("mode", ""),
        ("mode", "-1"),
        ("delay", "-1"),
        ("delay", "86401"),
        ("delay", "1.5"),
        ("delay", "soon"),
    ],
)
async def test_a_bad_mode_or_delay_is_15_naming_it_and_does_nothing(router, receiver, name, value):
    await router.get("/goip_get_status.html", url=receiver.url, period=60, **CREDS)
    old = await ip(router, 1)
    status, doc = await router.get(CMD, op="redial", ports="1", **{name: value}, **CREDS)
    assert status == 200 and doc["code"] == 15
    assert doc["reason"].startswith(f"Invalid CMD: {name} ")
    await router.advance(10)
    assert receiver.of_type("port-status") == [] and await ip(router, 1) == old


async def test_a_bad_entry_of_multiple_is_named_and_nothing_runs(router):
    body = {
        "type": "command",
        "op": "multiple",
        "ops": [{"op": "lock", "ports": "1"}, {"op": "redial", "ports": "2", "delay": "x"}],
    }
    status, doc = await router.post(CMD, body, **CREDS)
    assert (status, doc["code"]) == (200, 15)
    assert doc["reason"].startswith("Invalid CMD: ops.1.delay ")
    assert await router.port_st(1) == SimState.OK


@pytest.mark.parametrize(
    "body",
    [
        {"op": "redial", "ports": "1", "mode": [0]},
        {"op": "redial", "ports": "1", "delay": True},
        {"op": "multiple", "ops": [{"op": "redial", "ports": "1", "delay": {"s": 1}}]},
        {"op": "multiple", "ops": [{"op": "lock", "ports": "1", "mode": 0}]},  # not a redial
    ],
)
async def test_wrong_json_types_are_400_naming_the_field(router, body):
    status, doc = await router.post(CMD, body, **CREDS)
    assert status == 400 and doc["code"] == 400
    assert "mode" in doc["reason"] or "delay" in doc["reason"]
    assert await router.port_st(1) == SimState.OK


async def test_redial_needs_ports(router):
    _, doc = await router.get(CMD, op="redial", **CREDS)
    assert doc["code"] == TaskStatus.INVALID_PORT and "op=redial needs ports" in doc["reason"]
    _, doc = await router.get(CMD, op="redial", ports="9", **CREDS)
    assert doc["code"] == TaskStatus.INVALID_PORT


# -- the data settings --------------------------------------------------------------------


async def test_ttl_and_data_service_enable_get_set_save_and_reboot(router):
    assert await read(router, "ttl", "data_service_enable") == {
        **OK,
        "ttl": 64,
        "data_service_enable": 1,
    }
    assert (await router.get(CMD, op="set", ttl=128, **CREDS))[1] == OK
    assert (await router.get(CMD, op="save", **CREDS))[1] == OK
    assert (await router.get(CMD, op="set", TTL="5", data_service_enable=0, **CREDS))[1] == OK
    assert await read(router, "ttl", "data_service_enable") == {
        **OK,
        "ttl": 5,
        "data_service_enable": 0,
    }
    assert (await read(router, "port_public_ip"))["port_public_ip"] == [""] * 4
    await router.get(CMD, op="reboot", **CREDS)
    await router.advance(36)  # reboot 30 s, then registration
    assert await read(router, "ttl", "data_service_enable") == {
        **OK,
        "ttl": 128,
        "data_service_enable": 1,
    }
    assert "" not in (await read(router, "port_public_ip"))["port_public_ip"]


async def test_turning_the_data_service_on_dials_every_registered_port(router):
    await router.get(CMD, op="set", data_service_enable="0", **CREDS)
    await router.get(CMD, op="lock", ports="4", **CREDS)
    await router.post(CMD, {"op": "set", "data_service_enable": 1}, **CREDS)
    assert [link["state"] for link in await links(router)] == ["up", "up", "up", "down"]


@pytest.mark.parametrize(
    ("name", "value"),
    [("ttl", "0"), ("ttl", "256"), ("ttl", "x"), ("data_service_enable", "2")],
)
async def test_a_bad_data_setting_is_15_naming_it_and_sets_nothing(router, name, value):
    status, doc = await router.get(CMD, op="set", sms_cnt="7", **{name: value}, **CREDS)
    assert (status, doc["code"]) == (200, 15) and name in doc["reason"]
    assert await read(router, "ttl", "sms_cnt", "data_service_enable") == {
        **OK,
        "ttl": 64,
        "sms_cnt": 1,
        "data_service_enable": 1,
    }


@pytest.mark.parametrize("name", ["port_public_ip(0)", "port_rx_tx(2)", "PORT_RX_TX"])
async def test_the_data_links_parameters_are_read_only(router, name):
    status, doc = await router.get(CMD, op="set", **{name: "1.2.3.4"}, **CREDS)
    assert (status, doc["code"]) == (200, 15)
    assert doc[
        "reason"
    ] == f"Invalid CMD: {name.lower()!r} is the data link's and is read-only; " + (
        "op=get reads it"
    )


async def test_get_reads_one_port_by_index_every_port_bare_and_refuses_out_of_range(router):
    doc = await read(router, "port_public_ip(3)", "port_rx_tx(0)", "sms_url", "ttl")
    assert doc["port_public_ip(3)"] == await ip(router, 4)
    assert (doc["port_rx_tx(0)"], doc["sms_url"], doc["ttl"]) == ("0/0", "", 64)
    doc = await read(router, "port_rx_tx(4)")
    assert doc["code"] == 15 and "'port_rx_tx(4)': index 4 is outside 0-3" in doc["reason"]


async def test_counters_count_what_went_over_the_link_and_restart_after_a_redial(router):
    await traffic(router, 1, 100, 10)
    status, link = await traffic(router, "1.01", 1, 2)
    assert status == 200 and (link["rx"], link["tx"], link["state"]) == (101, 12, "up")
    assert await rx_tx(router, 1) == "101/12"
    await router.get(CMD, op="redial", ports="1", **CREDS)
    assert await rx_tx(router, 1) == "0/0"
    status, doc = await traffic(router, 1, 1, 1)  # re-registering: the link is down
    assert status == 409 and "port 1's data link is down" in doc["reason"]
    await router.advance(6)
    assert await rx_tx(router, 1) == "0/0"


@pytest.mark.parametrize(
    "body",
    [{"port": "9", "rx": 1}, {"port": "1", "rx": -1}, {"port": "1", "tx": "5"}, {"rx": 1}],
)
async def test_bad_traffic_is_400(router, body):
    status, doc = await router.post("/_emulator/data", body)
    assert status == 400
    assert await rx_tx(router, 1) == "0/0"


async def test_traffic_is_only_for_router_firmware(gateway):
    resp = await gateway.client.post("/_emulator/data", json={"port": "1", "rx": 1})
    assert resp.status == 404


# -- the family gate ------------------------------------------------------------------------


def refused_extras(family):
    """Each extra op and setting of the gate's tables that `family` refuses."""
    ops = [op.value for op, owner in FAMILY_OPS.items() if owner != family]
    names = [name for name, owner in FAMILY_SETTINGS.items() if owner != family]
    return ops, names


@pytest.mark.parametrize("family", FAMILIES)
async def test_every_extra_op_of_another_family_is_refused_in_every_form(gateway_factory, family):
    gw = await gateway_factory(small(quirks={"firmware": family}))
    await gw.advance(10)
    ops, _ = refused_extras(family)
    for op in ops:
        owner = FAMILY_OPS[op]
        reason = f"Invalid CMD: op {op!r} is a {owner} firmware command"
        assert (await gw.get(CMD, op=op, ports="1", **CREDS))[1] == {"code": 15, "reason": reason}
        assert (await gw.post(CMD, {"op": op, "ports": "1"}, **CREDS))[1]["reason"] == reason
        body = {"op": "multiple", "ops": [{"op": "lock", "ports": "2"}, {"op": op, "ports": "1"}]}
        assert (await gw.post(CMD, body, **CREDS))[1] == {"code": 15, "reason": reason}
        assert await gw.port_st(2) == SimState.OK  # the lock before it did not run
    assert ops or family == "router"


@pytest.mark.parametrize("family", FAMILIES)
async def test_every_extra_setting_of_another_family_is_refused_by_get_and_set(
    gateway_factory, family
):
    gw = await gateway_factory(small(quirks={"firmware": family}))
    await gw.advance(10)
    _, names = refused_extras(family)
    for name in names:
        owner = FAMILY_SETTINGS[name]
        for spelled in (name, f"{name}(0)", name.upper()):
            # A query's names arrive lower-cased; a JSON body's as written.
            reason = f"Invalid CMD: setting {spelled.lower()!r} is a {owner} firmware setting"
            assert (await read(gw, spelled)) == {"code": 15, "reason": reason}
            doc = (await gw.get(CMD, op="set", sms_cnt=2, **{spelled: "1"}, **CREDS))[1]
            assert doc == {"code": 15, "reason": reason}
            doc = (await gw.post(CMD, {"op": "set", "sms_cnt": 2, spelled: 1}, **CREDS))[1]
            assert doc == {"code": 15, "reason": reason.replace(spelled.lower(), spelled)}
    assert (await read(gw, "sms_cnt"))["sms_cnt"] == 1  # nothing was set
    assert names or family == "router"


async def test_router_knows_its_own_extras(router):
    for op, owner in FAMILY_OPS.items():
        if owner == "router":
            assert (await router.get(CMD, op=op.value, ports="1", mode=1, **CREDS))[1] == OK
    names = [name for name, owner in FAMILY_SETTINGS.items() if owner == "router"]
    assert (await read(router, *names))["code"] == 0


async def test_ejoin_firmware_answers_as_before_the_gate(gateway):
    _, doc = await gateway.get(CMD, op="bogus", **CREDS)
    assert doc["reason"] == (
        "Invalid CMD: unknown op 'bogus'; known: lock, unlock, switch, reset, save, reboot, "
        "get, set, multiple"
    )
    body = {"op": "multiple", "ops": [{"op": "save", "ports": "1"}]}
    _, doc = await gateway.post(CMD, body, **CREDS)
    assert doc["reason"] == "Invalid CMD: ops.0.op 'save' is not one of lock, unlock, switch, reset"
    doc = await read(gateway, "nope")
    assert "ttl" not in doc["reason"] and "data_service_enable" not in doc["reason"]
    assert "sms_url" in doc["reason"]


async def test_router_names_redial_among_its_ops(router):
    _, doc = await router.get(CMD, op="bogus", **CREDS)
    assert doc["reason"].endswith("set, multiple, redial")
    body = {"op": "multiple", "ops": [{"op": "save", "ports": "1"}]}
    _, doc = await router.post(CMD, body, **CREDS)
    assert doc["reason"].endswith("is not one of lock, unlock, switch, reset, redial")


# -- garbage never breaks anything ------------------------------------------------------------

GARBAGE = st.text(max_size=8) | st.sampled_from(["2", "-1", "1.0", "86401", " ", "0x1"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    op=st.sampled_from(["redial", "set"]),
    params=st.dictionaries(
        st.sampled_from(["mode", "delay", "ttl", "data_service_enable", "port_rx_tx(0)"]),
        GARBAGE,
        min_size=1,
        max_size=3,
    ),
    ports=st.sampled_from(["1", "9", "", "1.03", "x"]),
)
async def test_garbage_redial_and_set_never_5xx_and_a_refusal_changes_nothing(
    router, op, params, ports
):
    _, before = await router.get("/_emulator/state")
    status, doc = await router.get(CMD, op=op, ports=ports, **params, **CREDS)
    assert status in (200, 400) and doc["reason"]
    if doc["code"] == 0:  # it happened to be valid: start over from a registered device
        await router.post("/_emulator/reset", {})
        await router.advance(10)
        return
    _, after = await router.get("/_emulator/state")
    before.pop("clock"), after.pop("clock")
    assert after == before


async def test_a_reset_emulator_has_fresh_links_and_counts_again(router):
    await traffic(router, 1, 10, 10)
    await router.post("/_emulator/reset", {})
    await router.advance(10)
    assert await rx_tx(router, 1) == "0/0"
    assert [link["state"] for link in await links(router)] == ["up"] * 4
    assert (await traffic(router, 1, 5, 6))[1]["rx"] == 5
