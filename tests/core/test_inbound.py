"""Received SMS, the inbox and delivery reports in virtual time (spec 7, 8)."""

import pytest
from conftest import make_device, small

from emulator.config.ports import PortRef
from emulator.core.events import RecvSms
from emulator.core.inbound import NotReceived
from emulator.core.stats import Window
from emulator.core.tasks import TaskSpec

URL = "http://127.0.0.1:9/sms"


def ready(**sections):
    device, clock = make_device(small(**sections))
    clock.advance(10)
    device.settings.sms_url = URL
    return device, clock


def pushed(device):
    return [e for e in device.outbox.drain() if isinstance(e, RecvSms)]


def test_sms_cnt_1_pushes_each_on_arrival():
    device, clock = ready()
    device.inbound.receive(1, None, "+1555", "one")
    device.inbound.receive(2, None, "+1556", "two")
    batches = pushed(device)
    assert [[s.text for s in b.sms] for b in batches] == [["one"], ["two"]]
    assert batches[0].sms[0].recipient == device.ports[0].slot.card.number


def test_sms_cnt_buffers_until_count_or_period():
    device, clock = ready()
    device.settings.sms_cnt, device.settings.sms_prd = 3, 30
    for n in range(4):
        device.inbound.receive(1, None, "+1", f"m{n}")
    assert [len(b.sms) for b in pushed(device)] == [3]
    clock.advance(29.9)
    assert pushed(device) == []
    clock.advance(0.1)
    assert [[s.text for s in b.sms] for b in pushed(device)] == [["m3"]]


def test_an_unregistered_sim_gets_its_sms_when_it_registers():
    device, clock = ready(behaviour={"auto_fail_sim_switch": False})
    device.lock([PortRef(1)])
    assert device.inbound.receive(1, 1, "+1", "waiting") is None
    assert pushed(device) == []
    device.unlock([PortRef(1)])
    clock.advance(10)
    assert [s.text for b in pushed(device) for s in b.sms] == ["waiting"]
    assert device.stats.count(1, 1, "received", Window.LAST_HOUR) == 1


def test_a_slot_without_sim_refuses():
    device, clock = ready(sims={"overrides": [{"slots": "2.02", "present": False}]})
    with pytest.raises(NotReceived, match="port 2 slot 2 has no SIM"):
        device.inbound.receive(2, 2, "+1", "x")


def test_inbox_ids_paging_deletion_and_capacity():
    device, clock = ready(inbox={"capacity": 5})
    for n in range(7):
        device.inbound.receive(1, None, "+1", f"m{n}")
    assert device.inbound.dropped == 2
    found, next_sms = device.inbound.query(1, 2, False)
    assert [s.id for s in found] == [3, 4] and next_sms == 5
    found, next_sms = device.inbound.query(5, 0, True)
    assert [s.id for s in found] == [5, 6, 7] and next_sms == 8
    found, next_sms = device.inbound.query(8, 0, False)
    assert found == [] and next_sms == 8
    found, _ = device.inbound.query(1, 0, False)
    assert [s.id for s in found] == [3, 4]


def test_reboot_new_ssrc_and_the_inbox_kept_or_not():
    for keeps in (True, False):
        device, clock = ready(device={"keeps_inbox_on_reboot": keeps})
        device.inbound.receive(1, None, "+1", "x")
        ssrc = device.ssrc
        device.reboot()
        clock.advance(60)
        assert device.ssrc != ssrc
        assert len(device.inbound.inbox) == (1 if keeps else 0)


def test_delivery_reports_arrive_later_with_flag_1():
    device, clock = ready(sending={"latency": 2, "delivery_delay": 10})
    device.sending.submit(
        TaskSpec(
            tid=1,
            recipients=["555"],
            text="hi",
            sms="hi",
            from_text="1",
            ports=[1],
            dr=True,
            sr_prd=0,
        )
    )
    clock.advance(11.9)
    assert pushed(device) == []
    clock.advance(0.1)
    [batch] = pushed(device)
    report = batch.sms[0]
    assert (report.flag, report.port, report.recipient) == (1, 1, "555")
    assert report.sender == "+8613010112500"
    assert report.text == "0 260101000022+00"  # delivered 10 s after it was sent at :12
    assert device.stats.count(1, 1, "received", Window.TOTAL) == 0  # not an SMS
