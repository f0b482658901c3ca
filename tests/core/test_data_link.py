"""Router firmware's data links in the core, on a virtual clock without an event loop:
they dial when the SIM registers, take a public IP from the seed, and follow redials."""

import ipaddress

import pytest
from conftest import make_device, sim_event, small

from emulator.config.ports import PortRef
from emulator.core.codes import SimState
from emulator.core.data_link import LinkDown, LinkState
from emulator.core.events import PortStatus

S = SimState
CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
URL = "http://127.0.0.1:9/status"


def router(seed=1, boot="cold", **sections):
    profile = small(quirks={"firmware": "router"}, behaviour={"boot": boot}, **sections)
    return make_device(profile, seed)


def ips(device):
    return [link.ip for link in device.data.links]


def test_a_link_dials_when_its_sim_registers_and_is_down_before():
    device, clock = router()  # detect 1 s, registration 5 s
    clock.advance(5.999)
    assert ips(device) == ["", "", "", ""]
    assert {link.state for link in device.data.links} == {LinkState.DOWN}
    clock.advance(0.001)
    assert all(ipaddress.IPv4Address(ip) in CGNAT for ip in ips(device))
    assert len(set(ips(device))) == 4
    assert [link.rx_tx for link in device.data.links] == ["0/0"] * 4


def test_warm_boot_starts_with_every_link_up():
    device, _ = router(boot="warm")
    assert {link.state for link in device.data.links} == {LinkState.UP}


def test_public_ips_come_from_the_seed():
    first = ips(router(seed=7, boot="warm")[0])
    assert ips(router(seed=7, boot="warm")[0]) == first
    assert ips(router(seed=8, boot="warm")[0]) != first


@pytest.mark.parametrize("firmware", ["ejoin", "skyline"])
def test_other_firmware_has_no_data_link(firmware):
    device, _ = make_device(small(quirks={"firmware": firmware}))
    assert device.data is None


def test_flight_redial_reregisters_then_dials_after_the_delay_with_a_new_ip():
    device, clock = router()
    clock.advance(10)
    device.subscribe_status(URL, 60, None)
    old = device.data.link(1).ip
    device.data.traffic(1, 500, 100)
    device.redial([PortRef(1)], flight=True, delay=30)
    assert device.ports[0].slot.state == S.DETECTED
    assert device.data.link(1).state is LinkState.DOWN and device.data.link(1).rx_tx == "0/0"
    clock.advance(6)  # registered again
    assert device.ports[0].slot.state == S.OK
    assert device.data.link(1).state is LinkState.DIALING and device.data.link(1).ip == ""
    clock.advance(29.999)
    assert device.data.link(1).state is LinkState.DIALING
    clock.advance(0.001)
    link = device.data.link(1)
    assert link.state is LinkState.UP and link.ip not in ("", old)
    assert ipaddress.IPv4Address(link.ip) in CGNAT
    pushed = [e.snapshot.state for e in device.outbox.drain() if isinstance(e, PortStatus)]
    assert pushed == [S.DETECTED, S.REGISTERING, S.OK]  # as reset pushes
    assert device.data.link(2).ip == ips(device)[1]  # other ports untouched


def test_the_delay_is_used_once_and_a_reset_dials_at_registration():
    device, clock = router()
    clock.advance(10)
    device.redial([PortRef(2)], flight=True, delay=20)
    clock.advance(26)
    assert device.data.link(2).state is LinkState.UP
    device.reset([PortRef(2)])
    clock.advance(6)
    assert device.data.link(2).state is LinkState.UP


def test_fast_redial_keeps_ip_and_state_and_zeroes_the_counters():
    device, clock = router()
    clock.advance(10)
    device.subscribe_status(URL, 60, None)
    before = ips(device)
    device.data.traffic(3, 4096, 512)
    assert device.data.link(3).rx_tx == "4096/512"
    device.redial([PortRef(3), PortRef(3, 1)], flight=False)
    assert device.data.link(3).rx_tx == "0/0"
    assert ips(device) == before and device.ports[2].slot.state == S.OK
    assert device.outbox.drain() == []  # no state change, nothing pushed


def test_a_link_goes_down_when_its_sim_is_not_registered():
    device, clock = router()
    clock.advance(10)
    sim_event(device, PortRef(1, 1), "block")  # auto switch moves to 1B, which registers
    assert device.data.link(1).state is LinkState.DOWN
    clock.advance(6)
    assert device.ports[0].current == 2 and device.data.link(1).state is LinkState.UP
    device.lock([PortRef(4)])
    assert device.data.link(4).ip == "" and device.data.link(4).rx_tx == "0/0"
    with pytest.raises(LinkDown, match="port 4's data link is down"):
        device.data.traffic(4, 1, 1)


def test_a_flight_redial_of_an_empty_port_leaves_no_delay_behind():
    device, clock = router(sims={"overrides": [{"slots": "1", "present": False}]})
    clock.advance(10)
    device.redial([PortRef(1)], flight=True, delay=100)
    sim_event(device, PortRef(1, 1), "insert")
    clock.advance(6)
    assert device.data.link(1).state is LinkState.UP


def test_data_service_enable_drops_and_dials_the_links():
    device, clock = router()
    clock.advance(10)
    device.set_settings({"data_service_enable": "0"})
    assert ips(device) == ["", "", "", ""]
    device.reset([PortRef(1)])
    clock.advance(10)
    assert device.data.link(1).state is LinkState.DOWN  # registered, but the service is off
    device.set_settings({"data_service_enable": 1})
    assert {link.state for link in device.data.links} == {LinkState.UP}


def test_reboot_drops_every_link_forgets_a_delay_and_boots_with_the_saved_setting():
    device, clock = router(device={"reboot_time": 30})
    clock.advance(10)
    device.redial([PortRef(1)], flight=True, delay=500)
    device.set_settings({"data_service_enable": 0, "ttl": 9})  # not saved
    device.reboot()
    assert {link.state for link in device.data.links} == {LinkState.DOWN}
    clock.advance(36)  # boot after 30 s, registered 6 s later
    assert {link.state for link in device.data.links} == {LinkState.UP}
    assert device.get_settings(["ttl", "data_service_enable"]) == {
        "ttl": 64,
        "data_service_enable": 1,
    }


def test_ttl_and_data_service_enable_are_checked_like_other_settings():
    device, _ = router()
    for name, value in [("ttl", 0), ("ttl", 256), ("ttl", "x"), ("data_service_enable", 2)]:
        with pytest.raises(ValueError, match=name):
            device.set_settings({name: value})
    device.set_settings({"ttl": "255"})
    assert device.get_settings(["TTL"]) == {"TTL": 255}
