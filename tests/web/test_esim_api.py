"""Skyline's eSIM endpoints over HTTP (EJOIN-EXTRAS, "eSIM"): get, write, delete."""

import json

import pytest
from conftest import CREDS, make_profile, small
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.config.profile import ProfileError

GET = "/goip_get_esims.html"
WRITE = "/goip_write_esims.html"
DELETE = "/goip_delete_esims.html"
AC = "LPA:1$smdp.example.com$K2-1A2B3C"
PROFILE_KEYS = [
    "slot",
    "enabled",
    "iccid",
    "ac",
    "cc",
    "provider",
    "exust",
    "op",
    "status",
    "reason",
]


async def esim_gateway(gateway_factory, seed=None, **esim):
    profile = small(quirks={"firmware": "skyline"}, device={"esim_ports": "2-3"}, esim=esim or {})
    gw = await gateway_factory(profile, seed)
    await gw.advance(10)
    return gw


async def get(gw, **params):
    status, doc = await gw.get(GET, **CREDS, **params)
    assert status == 200, doc
    return doc


def profile_of(doc, port, slot):
    entry = next(p for p in doc["ports"] if p["port"] == port)
    return entry["profiles"][slot - 1]


async def test_get_lists_the_esim_ports_with_empty_profiles(gateway_factory):
    gw = await esim_gateway(gateway_factory)
    doc = await get(gw)
    assert (doc["code"], doc["reason"], doc["count"]) == (200, "OK", 2)
    assert [p["port"] for p in doc["ports"]] == [2, 3]
    entry = doc["ports"][0]
    assert list(entry) == ["port", "eid", "esim_state", "profiles"]
    assert len(entry["eid"]) == 32 and entry["esim_state"] == 1
    assert [list(p) for p in entry["profiles"]] == [PROFILE_KEYS, PROFILE_KEYS]
    assert entry["profiles"][1] == {
        "slot": 2,
        "enabled": 0,
        "iccid": "",
        "ac": "",
        "cc": "",
        "provider": "",
        "exust": 0,
        "op": 0,
        "status": 0,
        "reason": "",
    }


@pytest.mark.parametrize(
    ("ports", "listed"),
    [("all", [2, 3]), ("*", [2, 3]), ("3", [3]), ("1-2,4", [2]), ("1", []), ("3.02", [3])],
)
async def test_ports_selects_among_the_esim_ports(gateway_factory, ports, listed):
    gw = await esim_gateway(gateway_factory)
    doc = await get(gw, ports=ports)
    assert [p["port"] for p in doc["ports"]] == listed and doc["count"] == len(listed)


async def test_a_bad_ports_is_2_invalid_port(gateway_factory):
    gw = await esim_gateway(gateway_factory)
    doc = await get(gw, ports="9")
    assert doc["code"] == 2 and doc["reason"].startswith("Invalid Port")


@pytest.mark.parametrize("path", [GET, WRITE, DELETE])
async def test_credentials_are_needed(gateway_factory, path):
    gw = await esim_gateway(gateway_factory)
    status, doc = await gw.post(path, [{"port": 2, "slot": 1, "ac": AC}], username="root")
    assert (status, doc["code"]) == (200, 1)
    assert profile_of(await get(gw), 2, 1)["op"] == 0


async def test_a_write_runs_for_op_time_then_the_profile_is_there(gateway_factory):
    gw = await esim_gateway(gateway_factory, op_time=20)
    status, doc = await gw.post(WRITE, [{"port": 2, "slot": 1, "ac": AC, "cc": "77"}], **CREDS)
    assert (status, doc) == (200, [{"port": 2, "slot": 1, "status": 1}])
    running = profile_of(await get(gw), 2, 1)
    assert (running["op"], running["status"], running["ac"], running["cc"]) == (1, 2, AC, "77")
    await gw.advance(19)
    assert profile_of(await get(gw), 2, 1)["status"] == 2
    await gw.advance(1)
    done = profile_of(await get(gw), 2, 1)
    assert (done["op"], done["status"], done["exust"], done["enabled"]) == (0, 0, 1, 1)
    assert len(done["iccid"]) == 20 and done["provider"] == "CHINA UNICOM GSM"
    state = await gw.state()
    assert state["esim"][0]["profiles"][0]["iccid"] == done["iccid"]


async def test_iccids_repeat_with_the_seed(gateway_factory):
    async def iccid():
        gw = await esim_gateway(gateway_factory, seed=42)
        await gw.post(WRITE, [{"port": 3, "slot": 2, "ac": AC}], **CREDS)
        await gw.advance(30)
        return profile_of(await get(gw), 3, 2)["iccid"]

    assert await iccid() == await iccid()


async def test_each_item_answers_for_itself(gateway_factory):
    gw = await esim_gateway(gateway_factory)
    items = [
        {"port": 2, "slot": 1, "ac": AC},  # submitted
        {"port": "2", "slot": 2, "ac": AC},  # the port is busy now
        {"port": "3.01", "slot": "1", "ac": AC},  # any port name: its port counts
        {"port": 1, "slot": 1, "ac": AC},  # not an eSIM port
        {"port": 3, "slot": 3, "ac": AC},  # no such slot
        {"port": 3, "slot": 1},  # no ac
        {"port": 3, "slot": 1, "ac": 5},
        {"port": True, "slot": 1, "ac": AC},
        "2,1",
        {"port": {"x": 1}, "slot": [1], "ac": AC},
    ]
    _, doc = await gw.post(WRITE, items, **CREDS)
    assert doc == [
        {"port": 2, "slot": 1, "status": 1},
        {"port": 2, "slot": 2, "status": 2},
        {"port": 3, "slot": 1, "status": 1},
        {"port": 1, "slot": 1, "status": 3},
        {"port": 3, "slot": 3, "status": 3},
        {"port": 3, "slot": 1, "status": 3},
        {"port": 3, "slot": 1, "status": 3},
        {"port": None, "slot": 1, "status": 3},
        {"port": None, "slot": None, "status": 3},
        {"port": None, "slot": None, "status": 3},
    ]


async def test_delete_removes_a_written_profile_after_op_time(gateway_factory):
    gw = await esim_gateway(gateway_factory, op_time=5)
    _, doc = await gw.post(DELETE, [{"port": 2, "slot": 1}], **CREDS)
    assert doc == [{"port": 2, "slot": 1, "status": 3}]  # nothing to delete
    await gw.post(WRITE, [{"port": 2, "slot": 1, "ac": AC}], **CREDS)
    await gw.advance(5)
    _, doc = await gw.post(DELETE, [{"port": 2, "slot": 1}], **CREDS)
    assert doc == [{"port": 2, "slot": 1, "status": 1}]
    deleting = profile_of(await get(gw), 2, 1)
    assert (deleting["op"], deleting["status"], deleting["exust"]) == (2, 2, 1)
    await gw.advance(5)
    gone = profile_of(await get(gw), 2, 1)
    assert (gone["op"], gone["status"], gone["exust"], gone["iccid"]) == (0, 0, 0, "")


@pytest.mark.parametrize("body", ["{}", '{"port": 2, "slot": 1}', "7", ""])
async def test_a_body_that_is_no_array_is_a_400(gateway_factory, body):
    gw = await esim_gateway(gateway_factory)
    status, doc = await gw.post(WRITE, body, **CREDS)
    assert status == 400 and doc["reason"].startswith("body")


@pytest.mark.parametrize("firmware", ["ejoin", "router"])
@pytest.mark.parametrize("path", [GET, WRITE, DELETE])
async def test_other_firmware_does_not_know_the_paths(gateway_factory, firmware, path):
    gw = await gateway_factory(small(quirks={"firmware": firmware}))
    resp = await gw.client.get(path, params=CREDS)
    assert resp.status == 404


def test_esim_ports_need_skyline_firmware_and_ports_of_the_device():
    with pytest.raises(ProfileError, match=r"device\.esim_ports: eSIM ports are skyline"):
        make_profile(device={"esim_ports": "1"})
    with pytest.raises(ProfileError, match=r"device\.esim_ports: .*port 9"):
        small(quirks={"firmware": "skyline"}, device={"esim_ports": "9"})
    with pytest.raises(ProfileError, match=r"device\.esim_ports: name ports"):
        small(quirks={"firmware": "skyline"}, device={"esim_ports": "1.02"})
    with pytest.raises(ProfileError, match=r"esim\.op_time"):
        small(quirks={"firmware": "skyline"}, esim={"op_time": -1})


async def test_journal_metrics_and_faults_go_by_endpoint_name(gateway_factory):
    gw = await esim_gateway(gateway_factory)
    await gw.post(WRITE, [{"port": 2, "slot": 1, "ac": AC}], **CREDS)
    [entry] = gw.journal("request", "goip_write_esims")
    assert entry["answer"][0]["status"] == 1
    text = await (await gw.client.get("/_emulator/metrics")).text()
    assert 'endpoint="goip_write_esims"' in text
    status, _ = await gw.post(
        "/_emulator/faults", {"action": "error", "endpoint": "goip_get_esims", "status": 503}
    )
    assert status in (200, 201)
    resp = await gw.client.get(GET, params=CREDS)
    assert resp.status == 503


@pytest.fixture
async def esim_gw(gateway_factory):
    return await esim_gateway(gateway_factory)


_item = st.dictionaries(
    st.sampled_from(["port", "slot", "ac", "cc", "x"]),
    st.one_of(
        st.none(), st.booleans(), st.integers(-5, 40), st.text(max_size=12), st.lists(st.integers())
    ),
    max_size=5,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=60),
        st.builds(json.dumps, st.lists(st.one_of(_item, st.integers(), st.text()), max_size=4)),
        st.builds(json.dumps, _item),
    ),
    path=st.sampled_from([WRITE, DELETE, GET]),
)
async def test_garbage_esim_bodies_never_5xx_and_refused_items_change_nothing(esim_gw, body, path):
    before = await esim_gw.state()
    resp = await esim_gw.client.post(path, data=body, params={**CREDS, "ports": "all"})
    assert resp.status < 500
    doc = await resp.json(content_type=None)
    after = await esim_gw.state()
    submitted = [r for r in doc if r["status"] == 1] if isinstance(doc, list) else []
    if not submitted:
        before.pop("clock"), after.pop("clock")
        assert after == before
    # Nothing written stays busy forever: every port is free after op_time.
    await esim_gw.advance(30)
    assert all(p["op"] == 0 for e in (await get(esim_gw))["ports"] for p in e["profiles"])
