"""The SMS engine in virtual time: queues, timing, reports (spec 6), no event loop."""

import pytest
from conftest import make_device, small

from emulator.config.ports import PortRef
from emulator.core.codes import SimState, TaskStatus
from emulator.core.events import StatusReport
from emulator.core.sms_text import Coding, parts
from emulator.core.tasks import TaskSpec

SR = "http://127.0.0.1:9/sr"


def device_with(**sections):
    sections.setdefault("sending", {"latency": 2})
    sections.setdefault("push", {"sr_cnt": 1})  # each report pushed as it is made
    device, clock = make_device(small(**sections))
    clock.advance(10)  # every SIM registered
    device.settings.sr_url = SR
    return device, clock


def spec(tid=1, to=("100",), ports=None, **kw):
    kw.setdefault("sr_prd", 0)
    return TaskSpec(
        tid=tid,
        recipients=list(to),
        text=kw.pop("text", "hello"),
        sms="hello",
        from_text=",".join(map(str, ports or [])),
        ports=ports,
        **kw,
    )


def reports(device):
    out = []
    for event in device.outbox.drain():
        if isinstance(event, StatusReport):
            out.append(event)
    return out


def test_one_message_per_recipient_spread_over_registered_ports():
    device, clock = device_with()
    task = device.sending.submit(spec(to=["1", "2", "3", "4", "5"]))
    assert [m.port for m in task.messages] == [1, 2, 3, 4, 1]
    clock.advance(2)
    assert (task.sent, task.sending, task.unsent) == (4, 1, 0)
    clock.advance(2)
    assert task.sent == 5 and task.tid not in device.sending.tasks  # finished: the tid is free


def test_note_2_one_recipient_from_every_given_port():
    device, clock = device_with()
    task = device.sending.submit(spec(to=["555"], ports=[2, 4]))
    assert [(m.number, m.port) for m in task.messages] == [("555", 2), ("555", 4)]
    clock.advance(2)
    assert task.sent == 2


def test_note_3_several_recipients_among_the_given_ports():
    device, clock = device_with()
    task = device.sending.submit(spec(to=["1", "2", "3"], ports=[3, 4]))
    assert [m.port for m in task.messages] == [3, 4, 3]


def test_a_port_sends_one_message_at_a_time_and_intvl_spaces_a_task():
    device, clock = device_with()
    task = device.sending.submit(spec(to=["1", "2", "3"], ports=[1], intvl=(5.0, 5.0)))
    sent_at = []
    for _ in range(40):
        before = task.sent
        clock.advance(0.5)
        if task.sent > before:
            sent_at.append(clock.now() - 1767225610)
    assert sent_at == [2.0, 9.0, 16.0]  # 2 s on the air, then 5 s apart


def test_long_texts_take_their_parts_on_the_air():
    assert parts("a" * 160) == 1 and parts("a" * 161) == 2 and parts("a" * 306) == 2
    assert parts("é" * 160) == 1  # é is in the GSM 7-bit alphabet
    assert parts("ж" * 70) == 1 and parts("ж" * 71) == 2 and parts("ж" * 134) == 2
    assert parts("{" * 80) == 1 and parts("{" * 81) == 2  # extension characters count twice
    assert parts("a" * 71, Coding.UCS2) == 2
    device, clock = device_with()
    task = device.sending.submit(spec(to=["1"], ports=[1], text="ж" * 140))  # 3 parts
    clock.advance(5.9)
    assert task.sent == 0
    clock.advance(0.1)
    assert task.sent == 1  # counted as one message


def test_tmo_fails_a_message_that_takes_too_long():
    device, clock = device_with(sending={"latency": 50})
    task = device.sending.submit(spec(to=["1"], ports=[1], tmo=30, fdr=True))
    clock.advance(30)
    assert (task.sent, task.failed) == (0, 1)
    [report] = reports(device)[-1].rpts
    assert report.fdr[0][5:] == ("6 Timeout", "")


def test_a_port_without_a_registered_sim_waits_up_to_tmo_then_fails():
    device, clock = device_with()
    device.lock([PortRef(2)])
    # Port 2 named explicitly with another port: its message waits for the SIM.
    task = device.sending.submit(spec(to=["9"], ports=[1, 2], tmo=20))
    clock.advance(5)
    assert task.sent == 1 and task.sending == 1
    device.unlock([PortRef(2)])  # registers within 6 s: the waiting head goes out
    clock.advance(10)
    assert task.sent == 2 and task.failed == 0

    device.lock([PortRef(3)])
    task = device.sending.submit(spec(tid=2, to=["9"], ports=[3, 4], tmo=20))
    clock.advance(25)
    assert (task.sent, task.failed) == (1, 1)
    assert str(TaskStatus.SIM_UNREGISTERED) in reports(device)[-1].rpts[0].fdr[0]


def test_failures_are_drawn_from_the_rate_per_sim():
    profile = small(
        sending={"latency": 1}, sims={"overrides": [{"slots": "1A", "send_failure_rate": 1.0}]}
    )
    device, clock = make_device(profile)
    clock.advance(10)
    task = device.sending.submit(spec(to=["1", "2"], ports=[1, 2], fdr=True))
    clock.advance(5)
    assert (task.sent, task.failed) == (1, 1)
    assert device.sending.gauges(1, 1) == (0, 0, 1)


def test_task_sr_cnt_reports_after_that_many_and_a_last_one_at_the_end():
    device, clock = device_with(push={"sr_cnt": 1})  # device buffer flushes each report
    task = device.sending.submit(spec(to=[str(n) for n in range(5)], ports=[1], sr_cnt=2, sdr=True))
    clock.advance(10)
    rpts = [r.rpts[0] for r in reports(device)]
    assert [(r.sent, r.unsent) for r in rpts] == [(2, 3), (4, 1), (5, 0)]
    assert [[rec[0] for rec in r.sdr] for r in rpts] == [[0, 1], [2, 3], [4]]  # since the last
    assert task.finished


def test_task_sr_prd_reports_periodically_while_it_runs():
    device, clock = device_with(push={"sr_cnt": 1}, sending={"latency": 7})
    device.sending.submit(spec(to=["1", "2", "3"], ports=[1], sr_prd=10, sr_cnt=100))
    clock.advance(30)
    rpts = [r.rpts[0] for r in reports(device)]
    assert [(r.sent, r.sending, r.unsent) for r in rpts] == [(1, 1, 1), (2, 1, 0), (3, 0, 0)]


def test_device_buffer_flushes_at_sr_cnt_or_after_sr_prd():
    device, clock = device_with(push={"sr_cnt": 3, "sr_prd": 30})
    for tid in range(1, 5):
        device.sending.submit(spec(tid=tid, to=["1"], ports=[tid]))
    clock.advance(2)  # four tasks finish at once: 3 flushed, 1 waits
    batches = reports(device)
    assert [len(b.rpts) for b in batches] == [3]
    clock.advance(29.9)
    assert reports(device) == []
    clock.advance(0.1)
    assert [b.rpts[0].tid for b in reports(device)] == [4]


def test_pause_stops_a_task_mid_way_and_resume_goes_on():
    device, clock = device_with()
    task = device.sending.submit(spec(to=["1", "2", "3", "4"], ports=[1]))
    clock.advance(1)
    device.sending.pause(1)
    clock.advance(60)
    assert task.sent == 1  # the message on the air finished; nothing more went out
    device.sending.resume(1)
    clock.advance(6)
    assert task.sent == 4


def test_remove_drops_waiting_messages_and_reports_them_unsent():
    device, clock = device_with(push={"sr_cnt": 1})
    task = device.sending.submit(spec(to=["1", "2", "3"], ports=[1]))
    clock.advance(1)
    device.sending.remove(1)
    assert 1 in device.sending.tasks  # the message on the air finishes first
    clock.advance(1)
    [report] = reports(device)[-1].rpts
    assert (report.sent, report.failed, report.unsent) == (1, 0, 0)
    assert 1 not in device.sending.tasks and task.total == 1


def test_checks_refuse_duplicates_too_many_and_no_registered_sim():
    device, clock = device_with(sending={"latency": 2, "max_tasks": 2})
    sending = device.sending
    assert sending.check(spec(tid=1), set()) == TaskStatus.OK
    sending.submit(spec(tid=1, to=["1", "2"], ports=[1]))
    assert sending.check(spec(tid=1), set()) == TaskStatus.DUPLICATED_TID
    assert sending.check(spec(tid=2), {2}) == TaskStatus.DUPLICATED_TID
    assert sending.check(spec(tid=3), {2}) == TaskStatus.TOO_MANY_TASK
    device.lock([PortRef(3)])
    assert sending.check(spec(tid=4, ports=[3]), set()) == TaskStatus.SIM_UNREGISTERED


def test_in_call_ports_do_not_send():
    from emulator.core.calls import CallPlan

    device, clock = device_with()
    device.calls.place(
        1, CallPlan(count=1, pdd=(1, 1), ring=(1, 1), talk=(20, 20), answer_ratio=1.0)
    )
    assert device.ports[0].slot.state == SimState.IN_CALL
    task = device.sending.submit(spec(to=["1"], ports=[1, 2], tmo=60))
    clock.advance(5)
    assert task.sent == 1  # port 2's
    clock.advance(20)  # the call ends at 22 s: port 1's message goes out
    assert task.sent == 2


def test_a_reboot_loses_queued_tasks_without_reports():
    device, clock = device_with()
    device.sending.submit(spec(to=["1", "2"], ports=[1]))
    device.reboot()
    clock.advance(120)
    assert device.sending.tasks == {} and reports(device) == []


@pytest.mark.parametrize("coding", [0, 1, 2])
def test_coding_is_kept(coding):
    device, clock = device_with()
    task = device.sending.submit(spec(coding=coding))
    assert task.coding == coding
