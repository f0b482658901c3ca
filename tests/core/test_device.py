"""The device core in virtual time: registration, commands, SIM events, status pushes."""

import pytest
from conftest import make_device, make_profile, sim_event, small

from emulator.config.ports import PortRef
from emulator.core.codes import SimState
from emulator.core.events import DevStatus, PortStatus
from emulator.core.settings import SettingError
from emulator.core.sim import IllegalTransition

S = SimState
URL = "http://127.0.0.1:9/status"


def subscribed(profile=None):
    device, clock = make_device(profile)
    device.subscribe_status(URL, 60, None)
    return device, clock


def port_changes(device):
    return [
        (e.snapshot.port, e.snapshot.slot, e.snapshot.state, e.seq)
        for e in device.outbox.drain()
        if isinstance(e, PortStatus)
    ]


def test_registration_takes_detect_then_registration_time():
    device, clock = make_device()  # detect 1 s, registration 5 s
    assert device.ports[0].slot.state == S.DETECTED
    clock.advance(0.999)
    assert device.ports[0].slot.state == S.DETECTED
    clock.advance(0.001)
    assert device.ports[0].slot.state == S.REGISTERING
    clock.advance(4.999)
    assert device.ports[0].slot.state == S.REGISTERING
    clock.advance(0.001)
    assert device.ports[0].slot.state == S.OK
    assert device.ports[0].slots[1].state == S.IDLE  # the other slot waits, not current


def test_each_change_of_the_current_sim_is_pushed_once_with_seq_per_port():
    device, clock = subscribed()
    clock.advance(10)
    changes = port_changes(device)
    assert [c for c in changes if c[0] == 1] == [(1, 1, S.REGISTERING, 2), (1, 1, S.OK, 3)]
    assert len(changes) == 8  # 4 ports x 2 changes after subscribing


def test_status_period_pushes_dev_status_and_zero_cancels():
    device, clock = subscribed()
    clock.advance(180)
    docs = [e for e in device.outbox.drain() if isinstance(e, DevStatus)]
    assert [d.seq for d in docs] == [1, 2, 3]
    assert all(len(d.entries) == 4 for d in docs)
    device.subscribe_status(None, 0, None)
    clock.advance(600)
    assert device.outbox.drain() == []


def test_period_below_minimum_is_raised_to_60():
    device, _ = make_device()
    device.subscribe_status(URL, 5, None)
    assert device.settings.status_period == 60


def test_all_sims_lists_every_slot():
    device, _ = make_device()
    assert len(device.dev_status(all_sims=True).entries) == 8
    assert len(device.dev_status(all_sims=False).entries) == 4


def test_failed_registration_switches_to_the_next_filled_slot():
    profile = small(sims={"overrides": [{"slots": "2A", "register_fail": True}]})
    device, clock = subscribed(profile)
    clock.advance(6)  # 2A fails at t=6
    assert device.ports[1].current == 2
    clock.advance(6)
    assert device.ports[1].slot.state == S.OK
    assert device.ports[1].slots[0].state == S.IDLE
    assert (2, 1, S.REGISTER_FAILED, 3) in port_changes(device)


def test_auto_switch_tries_each_slot_once_then_stays():
    profile = small(sims={"overrides": [{"slots": "3", "register_fail": True}]})
    device, clock = make_device(profile)
    clock.advance(600)
    port = device.ports[2]
    assert port.slot.state == S.REGISTER_FAILED
    assert port.current == 2
    assert clock.pending == 0  # no endless retry loop


def test_auto_switch_off_keeps_the_failed_slot():
    profile = make_profile(
        device={"ports": 1, "slots": 2},
        behaviour={"registration_time": 5, "auto_fail_sim_switch": False},
        sims={"overrides": [{"slots": "1A", "register_fail": True}]},
    )
    device, clock = make_device(profile)
    clock.advance(60)
    assert (device.ports[0].current, device.ports[0].slot.state) == (1, S.REGISTER_FAILED)


def test_lock_a_port_locks_every_slot_and_unlock_registers_again():
    device, clock = subscribed()
    clock.advance(10)
    device.outbox.drain()
    device.lock([PortRef(2)])
    assert [s.state for s in device.ports[1].slots] == [S.USER_LOCKED, S.USER_LOCKED]
    assert port_changes(device) == [(2, 1, S.USER_LOCKED, 4)]
    device.unlock([PortRef(2)])
    clock.advance(10)
    assert device.ports[1].slot.state == S.OK
    assert device.ports[1].slots[1].state == S.IDLE


def test_lock_one_slot_leaves_the_others():
    device, clock = make_device()
    clock.advance(10)
    device.lock([PortRef(1, 2)])
    assert [s.state for s in device.ports[0].slots] == [S.OK, S.USER_LOCKED]


def test_switch_moves_to_the_named_slot_and_registers_it():
    device, clock = subscribed()
    clock.advance(10)
    device.outbox.drain()
    device.switch([PortRef(2, 2)])
    assert device.ports[1].current == 2
    clock.advance(10)
    assert [c[1:3] for c in port_changes(device)] == [
        (2, S.DETECTED),
        (2, S.REGISTERING),
        (2, S.OK),
    ]
    assert device.ports[1].slots[0].state == S.IDLE


def test_switch_to_an_empty_slot_shows_no_sim():
    profile = small(sims={"overrides": [{"slots": "1B", "present": False}]})
    device, clock = subscribed(profile)
    clock.advance(10)
    device.outbox.drain()
    device.switch([PortRef(1, 2)])
    assert port_changes(device) == [(1, 2, S.NO_SIM, 4)]


def test_reset_reregisters_the_current_sim():
    device, clock = make_device()
    clock.advance(10)
    device.reset([PortRef(3, 2)])  # only the port number counts
    assert device.ports[2].current == 1
    assert device.ports[2].slot.state == S.DETECTED
    clock.advance(6)
    assert device.ports[2].slot.state == S.OK


def test_unsaved_set_is_lost_at_reboot_and_saved_one_kept():
    device, clock = make_device()
    clock.advance(10)
    device.set_settings({"sms_url": "http://127.0.0.1:1/sms"})
    device.save()
    device.set_settings({"sr_url": "http://127.0.0.1:1/sr"})
    old_ssrc = device.ssrc
    device.reboot()
    assert device.unavailable_until == clock.now() + 30
    clock.advance(30)
    assert device.unavailable_until is None
    assert device.settings.sms_url == "http://127.0.0.1:1/sms"
    assert device.settings.sr_url is None
    assert device.ssrc != old_ssrc and len(device.ssrc) == 16
    assert device.ports[0].slot.state == S.DETECTED
    clock.advance(10)
    assert all(p.slot.state == S.OK for p in device.ports)


def test_set_is_all_or_nothing():
    device, _ = make_device()
    with pytest.raises(SettingError, match="sr_cnt"):
        device.set_settings({"sms_url": "http://127.0.0.1:1/x", "sr_cnt": "many"})
    assert device.settings.sms_url is None


def test_get_names_array_elements():
    device, _ = make_device()
    assert device.get_settings(["imei(1)", "sms_cnt"]) == {
        "imei(1)": device.imei(2),
        "sms_cnt": 1,
    }
    with pytest.raises(SettingError, match="unknown setting 'colour'"):
        device.get_settings(["colour"])
    with pytest.raises(SettingError, match="index 9"):
        device.get_settings(["imei(9)"])


@pytest.mark.parametrize(
    ("event", "state"),
    [
        ("block", S.BLOCKED),
        ("no_balance", S.NO_BALANCE),
        ("read_error", S.READ_ERROR),
        ("remove", S.NO_SIM),
        ("lock", S.USER_LOCKED),
    ],
)
def test_sim_events_on_the_current_slot(event, state):
    profile = small(behaviour={"auto_fail_sim_switch": False})
    device, clock = make_device(profile)
    clock.advance(10)
    sim_event(device, PortRef(1, 1), event, {})
    assert device.ports[0].slot.state == state


def test_block_then_unblock_registers_again():
    device, clock = make_device(small(behaviour={"auto_fail_sim_switch": False}))
    clock.advance(10)
    sim_event(device, PortRef(1, 1), "block", {})
    sim_event(device, PortRef(1, 1), "unblock", {})
    assert device.ports[0].slot.state == S.REGISTERING
    clock.advance(10)
    assert device.ports[0].slot.state == S.OK


def test_blocked_current_sim_switches_when_auto_switch_is_on():
    device, clock = make_device()
    clock.advance(10)
    sim_event(device, PortRef(1, 1), "block", {})
    assert device.ports[0].current == 2
    clock.advance(10)
    assert device.ports[0].slot.state == S.OK


def test_events_on_an_idle_slot_change_the_card_not_the_state():
    device, clock = make_device(small(behaviour={"auto_fail_sim_switch": False}))
    clock.advance(10)
    sim_event(device, PortRef(1, 2), "block", {})
    assert device.ports[0].slots[1].state == S.IDLE
    device.switch([PortRef(1, 2)])
    clock.advance(10)
    assert device.ports[0].slots[1].state == S.BLOCKED


def test_insert_into_empty_current_slot_registers():
    profile = small(sims={"overrides": [{"slots": "1A", "present": False}]})
    device, clock = make_device(profile)
    clock.advance(10)
    assert device.ports[0].current == 2  # boots on the first filled slot
    device.switch([PortRef(1, 1)])
    assert device.ports[0].slot.state == S.NO_SIM
    sim_event(device, PortRef(1, 1), "insert", {"imsi": "001010123456789"})
    clock.advance(10)
    assert device.ports[0].slot.state == S.OK
    assert device.ports[0].slot.card.imsi == "001010123456789"


def test_topup_restores_service():
    device, clock = make_device()
    clock.advance(10)
    sim_event(device, PortRef(1, 1), "no_balance", {})
    sim_event(device, PortRef(1, 1), "topup", {"amount": 5})
    slot = device.ports[0].slot
    assert (slot.state, slot.card.balance) == (S.OK, 5.0)


def test_nonsense_events_are_refused_and_change_nothing():
    profile = small(sims={"overrides": [{"slots": "1B", "present": False}]})
    device, clock = make_device(profile)
    clock.advance(10)
    with pytest.raises(IllegalTransition):
        sim_event(device, PortRef(1, 2), "remove", {})
    with pytest.raises(IllegalTransition):
        sim_event(device, PortRef(1, 1), "insert", {})
    with pytest.raises(ValueError, match="signal"):
        sim_event(device, PortRef(1, 1), "signal", {"value": 99})
    assert device.ports[0].slot.state == S.OK


def test_identities_are_distinct_per_slot():
    device, _ = make_device(make_profile())  # default 32 x 4
    cards = [s.card for p in device.ports for s in p.slots]
    assert len(cards) == 128
    for field in ("imsi", "iccid", "number"):
        values = [getattr(c, field) for c in cards]
        assert len(set(values)) == 128, field
    assert all(len(c.imsi) == 15 and len(c.iccid) == 20 for c in cards)
    assert len({device.imei(p) for p in range(1, 33)}) == 32
