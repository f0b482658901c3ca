"""Skyline firmware in the core, in virtual time: states 15/16, LEDs, per-slot identities."""

import pytest
from conftest import make_device, sim_event, small

from emulator.config.ports import PortRef
from emulator.core.at import port_facts, respond
from emulator.core.codes import SimState
from emulator.core.device import Device
from emulator.core.events import PortStatus
from emulator.core.settings import SettingError
from emulator.core.sim import IllegalTransition

S = SimState
URL = "http://127.0.0.1:9/status"
SKYLINE = {"firmware": "skyline"}
IMEI = "865847053403202"


def skyline(**sections):
    """The 4x2 test device on skyline firmware, registered."""
    device, clock = make_device(small(quirks=SKYLINE, **sections))
    clock.advance(10)
    return device, clock


def entry(device: Device, port: int, slot: int):
    """The dev-status entry (all slots) of one slot."""
    doc = device.dev_status(all_sims=True)
    return next(e for e in doc.entries if (e.port, e.slot) == (port, slot))


def pushed(device):
    return [e.snapshot for e in device.outbox.drain() if isinstance(e, PortStatus)]


def test_the_state_codes_15_and_16_render_with_their_reasons():
    assert str(S(15)) == "15 Access Mobile Network"
    assert str(S(16)) == "16 Module Response Timeout"


def test_module_timeout_mutes_the_port_until_module_ok_registers_it_again():
    device, clock = skyline()
    device.subscribe_status(URL, 60, None)
    sim_event(device, PortRef(1, 1), "module_timeout")
    assert entry(device, 1, 1).state == S.MODULE_TIMEOUT
    assert [(s.port, s.state) for s in pushed(device)] == [(1, S.MODULE_TIMEOUT)]
    assert respond("AT+CGSN", port_facts(device, 1), lambda imei: None) is None  # mute
    sim_event(device, PortRef(1, 1), "module_ok")
    assert entry(device, 1, 1).state == S.REGISTERING
    clock.advance(5)  # registration_time
    assert entry(device, 1, 1).state == S.OK
    assert [s.state for s in pushed(device)] == [S.REGISTERING, S.OK]


def test_module_ok_on_a_port_that_answers_changes_nothing():
    device, _ = skyline()
    sim_event(device, PortRef(2, 1), "module_ok")
    assert entry(device, 2, 1).state == S.OK


@pytest.mark.parametrize("clear", ["reset", "switch", "reboot"])
def test_reset_switch_and_reboot_clear_16(clear):
    device, clock = skyline()
    sim_event(device, PortRef(1, 1), "module_timeout")
    if clear == "reset":
        device.reset([PortRef(1)])
    elif clear == "switch":
        device.switch([PortRef(1, 2)])
    else:
        device.reboot()
    clock.advance(60)
    current = 2 if clear == "switch" else 1
    assert entry(device, 1, current).state == S.OK
    assert entry(device, 1, 3 - current).state == S.IDLE


def test_module_timeout_during_registration_stops_it():
    device, clock = make_device(small(quirks=SKYLINE))  # cold: port 1 is detecting
    sim_event(device, PortRef(1, 1), "module_timeout")
    clock.advance(60)
    assert entry(device, 1, 1).state == S.MODULE_TIMEOUT


def test_module_timeout_needs_the_slot_the_module_works():
    device, _ = skyline()
    with pytest.raises(IllegalTransition, match="module timeout a SIM in state 1 Idle SIM"):
        sim_event(device, PortRef(1, 2), "module_timeout")
    assert entry(device, 1, 1).state == S.OK


@pytest.mark.parametrize("event", ["module_timeout", "module_ok"])
def test_module_events_are_refused_on_other_firmware(event):
    device, clock = make_device(small())
    clock.advance(10)
    with pytest.raises(ValueError, match="skyline firmware") as caught:
        sim_event(device, PortRef(1, 1), event)
    assert not isinstance(caught.value, IllegalTransition)
    assert device.dev_status().entries[0].state == S.OK


def test_slot_facts_say_current_filled_enabled():
    device, _ = skyline(sims={"overrides": [{"slots": "3B", "present": False}]})
    device.lock([PortRef(2, 2)])
    facts = {
        (e.port, e.slot): (e.active, e.inserted, e.slot_active, e.led)
        for e in device.dev_status(all_sims=True).entries
    }
    assert facts[(1, 1)] == (True, True, True, False)
    assert facts[(1, 2)] == (False, True, True, False)
    assert facts[(2, 2)] == (False, True, False, False)  # user-locked: not enabled
    assert facts[(3, 2)] == (False, False, True, False)  # empty


def test_leds_light_a_slot_or_a_port_and_push_nothing():
    device, _ = skyline()
    device.subscribe_status(URL, 60, None)
    device.led_on([PortRef(1, 2), PortRef(3)])
    leds = {(e.port, e.slot) for e in device.dev_status(all_sims=True).entries if e.led}
    assert leds == {(1, 2), (3, 1), (3, 2)}
    device.led_off([PortRef(3, 1)])
    leds = {(e.port, e.slot) for e in device.dev_status(all_sims=True).entries if e.led}
    assert leds == {(1, 2), (3, 2)}
    assert pushed(device) == []


def test_leds_are_lost_at_reboot_unless_saved():
    device, clock = skyline()
    device.led_on([PortRef(1, 1)])
    device.reboot()
    clock.advance(60)
    assert not entry(device, 1, 1).led
    device.led_on([PortRef(1, 1)])
    device.save()
    device.led_on([PortRef(2, 1)])
    device.reboot()
    clock.advance(60)
    assert entry(device, 1, 1).led and not entry(device, 2, 1).led


def test_leds_are_refused_on_other_firmware():
    device, _ = make_device(small())
    with pytest.raises(ValueError, match="op=ledon is a skyline firmware feature"):
        device.led_on([PortRef(1)])


def test_sim_imei_shows_at_once_and_reaches_the_module_when_the_slot_is_current():
    device, clock = skyline()
    port_imei = device.get_settings(["imei(0)"])["imei(0)"]
    device.set_settings({"sim_imei(1)": IMEI, "sim_number(1)": "+8613800000099"})  # slot 1.02
    assert (entry(device, 1, 2).imei, entry(device, 1, 2).sn) == (IMEI, "+8613800000099")
    assert entry(device, 1, 1).imei == port_imei  # unset: the port's
    assert respond("AT+CGSN", port_facts(device, 1), print) == f"\r\n{port_imei}\r\n\r\nOK\r\n"
    device.switch([PortRef(1, 2)])
    clock.advance(10)
    assert respond("AT+CGSN", port_facts(device, 1), print) == f"\r\n{IMEI}\r\n\r\nOK\r\n"
    # Back on 1.01, which has no IMEI of its own: the module keeps what it was given.
    device.switch([PortRef(1, 1)])
    assert port_facts(device, 1).imei == IMEI
    assert entry(device, 1, 1).imei == IMEI


def test_sim_imei_reaches_the_module_on_reset_and_reboot():
    device, clock = skyline()
    device.set_settings({"sim_imei(2)": IMEI})  # 2.01, current
    assert port_facts(device, 2).imei != IMEI
    device.reset([PortRef(2)])
    assert port_facts(device, 2).imei == IMEI
    device.save()
    device.set_settings({"imei(1)": "860000000000999"})
    device.reboot()
    clock.advance(60)
    assert port_facts(device, 2).imei == IMEI


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"sim_imei(1)": IMEI, "sim_imei(2)": "86584705340320"}, "sim_imei(2)"),  # 14 digits
        ({"sim_imei(1)": IMEI, "sim_imei(8)": IMEI}, "sim_imei(8)"),  # 4x2: n is 0-7
        ({"sim_imei(1)": IMEI, "sim_imei": IMEI}, "sim_imei"),
        ({"sim_number(0)": "1" * 21}, "sim_number(0)"),
        ({"sim_number(0)": "12-34"}, "sim_number(0)"),
        ({"sim_number(0)": "++1"}, "sim_number(0)"),
        ({"sim_imei(1)": IMEI, "led(0)": 1}, "led(0)"),  # the LEDs are ops, not settings
    ],
)
def test_a_bad_identity_setting_is_refused_naming_it_and_nothing_is_set(values, named):
    device, _ = skyline()
    with pytest.raises(SettingError, match=named.replace("(", r"\(").replace(")", r"\)")):
        device.set_settings(values)
    assert device.get_settings(["sim_imei(1)", "sim_number(0)"]) == {
        "sim_imei(1)": "",
        "sim_number(0)": "",
    }


def test_identity_settings_are_unknown_on_other_firmware():
    device, _ = make_device(small())
    with pytest.raises(SettingError, match="unknown setting 'sim_imei\\(0\\)'") as caught:
        device.set_settings({"sim_imei(0)": IMEI})
    assert "sim_imei" not in str(caught.value).split("known settings:")[1]


def test_identity_settings_clear_and_are_saved_like_the_others():
    device, clock = skyline()
    device.set_settings({"sim_imei(0)": IMEI, "sim_number(0)": "13800000000"})
    device.save()
    device.set_settings({"sim_imei(0)": "", "sim_number(3)": "5"})
    assert entry(device, 1, 1).imei != IMEI
    device.reboot()
    clock.advance(60)
    assert device.get_settings(["sim_imei(0)", "sim_number(0)", "sim_number(3)"]) == {
        "sim_imei(0)": IMEI,
        "sim_number(0)": "13800000000",
        "sim_number(3)": "",
    }
