"""Every bundled profile loads, and its scenario does what its header says."""

import json

import pytest
from conftest import CREDS

from emulator.config.profile import bundled_profiles, load_profile
from emulator.core.codes import SimState

S = SimState


@pytest.mark.parametrize("name", list(bundled_profiles()))
def test_every_bundled_profile_is_valid_and_documented(name):
    profile = load_profile(name)
    header = bundled_profiles()[name].read_text().splitlines()[0]
    assert header.startswith(f"# {name}:"), "each profile explains itself in its first line"
    assert profile.description


async def test_default_is_32x4_all_healthy(gateway_factory):
    gw = await gateway_factory(load_profile("default"))
    await gw.advance(10)
    _, doc = await gw.get("/goip_get_status.html", all_sims=1, **CREDS)
    assert len(doc["status"]) == 128
    assert {e["st"] for e in doc["status"]} == {3, 1}
    assert doc["mac"] == "00-30-f1-00-6c-55" and doc["ip"] == "192.168.1.67"
    assert doc["ver"] == "532-604-924-041-100-000"


async def test_goip8_is_8_ports_of_one_slot(gateway_factory):
    gw = await gateway_factory(load_profile("goip8"))
    await gw.advance(10)
    _, doc = await gw.get("/goip_get_status.html", all_sims=1, **CREDS)
    assert [e["port"] for e in doc["status"]] == [f"{p}.01" for p in range(1, 9)]
    assert all(e["st"] == 3 for e in doc["status"])


async def test_dotted_firmware_names_ports_dotted(gateway_factory, receiver):
    gw = await gateway_factory(load_profile("dotted-firmware"))
    await gw.get("/goip_get_status.html", url=receiver.url, **CREDS)
    await gw.get("/goip_send_cmd.html", op="switch", ports="2.02", **CREDS)  # input in letter form
    await gw.advance(30)
    ports = {d["port"] for d in receiver.of_type("port-status")}
    assert "2.02" in ports  # warm boot: 1.01 was registered before anyone listened
    assert all("." in p for p in ports)


async def test_flaky_sims_fail_switch_and_recover(gateway_factory, receiver):
    gw = await gateway_factory(load_profile("flaky-sims"))
    await gw.get("/goip_get_status.html", url=receiver.url, **CREDS)
    await gw.advance(60)
    ports = (await gw.state())["ports"]

    def st(port: int, slot: int) -> int:
        return ports[port - 1]["slots"][slot - 1]["st"]

    def current(port: int) -> str:
        return ports[port - 1]["current"]

    assert current(1) == "1.02" and st(1, 1) == S.REGISTER_FAILED  # 1.01 failed, moved on
    assert current(2) == "2.02"  # 2A barred
    assert current(3) == "3.02"  # 3A unreadable
    assert st(4, 1) == S.NO_BALANCE
    assert current(5) == "5.02"  # 5A empty: boots on 5B
    assert current(6) == "6.02" and st(6, 1) == S.USER_LOCKED
    # Warm boot: the failures happened before anyone listened; all_sims=1 shows them.
    _, doc = await gw.get("/goip_get_status.html", all_sims=1, **CREDS)
    seen = {(e["port"], e["st"]) for e in doc["status"]}
    assert {("1.01", 6), ("2.01", 8), ("3.01", 9)} <= seen
    await gw.advance(600)
    scenario = gw.journal("control", "scenario")
    assert {e["name"] for e in scenario} >= {
        "operator bars port 7",
        "port 8 loses its network",
        "port 9 module restarts",
    }
    ports = (await gw.state())["ports"]
    assert current(7) == "7.02"  # 7A barred at t=120: switched to 7B


async def test_same_seed_gives_byte_identical_journals(gateway_factory, receiver):
    journals = []
    for _ in range(2):
        gw = await gateway_factory(load_profile("flaky-sims"), seed=11)
        await gw.get("/goip_get_status.html", url=receiver.url, **CREDS)
        await gw.advance(1800)
        journals.append(json.dumps(gw.journal(), sort_keys=True))
    assert journals[0] == journals[1]
    assert len(journals[0]) > 10_000
