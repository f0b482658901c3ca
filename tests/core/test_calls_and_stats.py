"""Statistics windows (spec 9, 10) and call figures from a known call mix."""

from conftest import make_device, small

from emulator.core.calls import CallPlan
from emulator.core.codes import SimState
from emulator.core.stats import Stats, Window


def test_windows_slide_with_the_clock():
    now = [1_767_225_600.0]  # 2026-01-01T00:00:00Z
    stats = Stats(lambda: now[0], utc_offset=0)
    stats.add(1, 1, "sent_ok")
    now[0] += 1800
    stats.add(1, 1, "sent_ok", 2)
    assert [stats.count(1, 1, "sent_ok", w) for w in Window] == [3, 3, 3, 3]
    now[0] += 1800  # the first one is exactly an hour old: out of the hour
    assert [stats.count(1, 1, "sent_ok", w) for w in Window] == [2, 3, 3, 3]
    now[0] += 3600
    assert [stats.count(1, 1, "sent_ok", w) for w in Window] == [0, 2, 3, 3]
    now[0] += 86_400  # the next day
    assert [stats.count(1, 1, "sent_ok", w) for w in Window] == [0, 0, 0, 3]
    assert stats.count(2, 1, "sent_ok", Window.TOTAL) == 0


def test_today_follows_the_device_time_zone():
    now = [1_767_225_600.0 - 3600]  # 23:00 UTC = 07:00 next day at +08:00
    stats = Stats(lambda: now[0], utc_offset=8 * 3600)
    stats.add(1, 1, "received")
    now[0] += 7200  # 01:00 UTC = 09:00 the same local day
    assert stats.count(1, 1, "received", Window.TODAY) == 1


def test_a_call_shows_in_call_then_ok_and_counts():
    device, clock = make_device(small())
    clock.advance(10)
    device.calls.place(
        1, CallPlan(count=1, pdd=(2, 2), ring=(5, 5), talk=(125, 125), answer_ratio=1.0)
    )
    assert device.ports[0].slot.state == SimState.IN_CALL
    clock.advance(131.9)
    assert device.ports[0].slot.state == SimState.IN_CALL
    clock.advance(0.1)
    assert device.ports[0].slot.state == SimState.OK
    figures = device.calls.figures(1, 1, Window.LAST_HOUR)
    assert figures == {
        "port": 1,
        "slot": 1,
        "calls": 1,
        "alerted": 1,
        "connected": 1,
        "con_failed": 0,
        "nc": "1/1",
        "pdd": 2,
        "acd": 125,
        "asr": 100,
        "tcd": 3,
        "act_tcd": 125,
    }
    assert device.snapshot(device.ports[0].slot).tot_dur == "2/-1"


def test_figures_from_a_known_mix():
    device, clock = make_device(small())
    clock.advance(10)
    # 4 answered calls of 60 s, then 2 that ring unanswered, then 2 that never ring
    device.calls.place(
        2, CallPlan(count=4, pdd=(3, 3), ring=(2, 2), talk=(60, 60), answer_ratio=1.0)
    )
    device.calls.place(2, CallPlan(count=2, pdd=(1, 1), ring=(10, 10), answer_ratio=0.0))
    device.calls.place(2, CallPlan(count=2, pdd=(4, 4), alert_ratio=0.0))
    clock.advance(1000)
    figures = device.calls.figures(2, 1, Window.TODAY)
    assert figures["calls"] == 8 and figures["alerted"] == 6 and figures["connected"] == 4
    assert figures["nc"] == "4/8" and figures["asr"] == 50 and figures["acd"] == 60
    assert figures["pdd"] == round((4 * 3 + 2 * 1) / 6)  # over the calls that rang
    assert figures["tcd"] == 4 and figures["act_tcd"] == 240
    assert figures["con_failed"] == 4  # the last four calls failed in a row
    clock.advance(3600)
    assert device.calls.figures(2, 1, Window.LAST_HOUR)["calls"] == 0
    assert device.calls.figures(2, 1, Window.TOTAL)["calls"] == 8


def test_calls_on_an_unregistered_sim_fail_at_once():
    device, clock = make_device(small())  # still registering
    device.calls.place(3, CallPlan(count=2))
    clock.advance(1)
    figures = device.calls.figures(3, 1, Window.TOTAL)
    assert (figures["calls"], figures["connected"], figures["con_failed"]) == (2, 0, 2)


def test_queued_counts_each_call_still_to_dial_once():
    device, clock = make_device(small())
    clock.advance(10)
    device.calls.place(1, CallPlan(count=2, pdd=(1, 1), ring=(1, 1), talk=(5, 5)))
    device.calls.place(1, CallPlan(count=3))
    assert device.calls.queued(1) == 4  # one of the first plan is on the air
    clock.advance(8)
    assert device.calls.queued(1) == 3


def test_hang_up_while_talking_counts_the_talk_time_so_far():
    device, clock = make_device(small())
    clock.advance(10)
    device.calls.place(
        1,
        CallPlan(
            count=1, pdd=(2, 2), ring=(5, 5), talk=(300, 300), number="+15550199", answer_ratio=1.0
        ),
    )
    clock.advance(2 + 5 + 65)  # 65 s into the talk
    assert device.calls.call(1).number == "+15550199"
    assert device.calls.hang_up(1)
    assert device.ports[0].slot.state == SimState.OK
    assert device.calls.call(1).cause == "hangup"
    figures = device.calls.figures(1, 1, Window.TOTAL)
    assert (figures["calls"], figures["alerted"], figures["connected"]) == (1, 1, 1)
    assert (figures["act_tcd"], figures["tcd"], figures["acd"]) == (65, 2, 65)
    # nothing is left of the call: its planned end changes nothing
    clock.advance(400)
    assert device.calls.figures(1, 1, Window.TOTAL) == figures
    assert not device.calls.hang_up(1)  # no call on the air any more


def test_hang_up_before_the_answer_counts_a_call_not_connected():
    device, clock = make_device(small())
    clock.advance(10)
    device.calls.place(1, CallPlan(count=1, pdd=(2, 2), ring=(10, 10), answer_ratio=1.0))
    device.calls.place(2, CallPlan(count=1, pdd=(4, 4), ring=(10, 10), answer_ratio=1.0))
    clock.advance(3)  # port 1 rings, port 2 is still in its post-dial delay
    assert device.calls.hang_up(1) and device.calls.hang_up(2)
    one, two = (device.calls.figures(p, 1, Window.TOTAL) for p in (1, 2))
    assert (one["alerted"], one["connected"], one["con_failed"], one["pdd"]) == (1, 0, 1, 2)
    assert (two["alerted"], two["connected"], two["con_failed"]) == (0, 0, 1)
    assert [p.slot.state for p in device.ports[:2]] == [SimState.OK, SimState.OK]


def test_after_a_hang_up_the_port_dials_its_next_call():
    device, clock = make_device(small())
    clock.advance(10)
    device.calls.place(
        1,
        CallPlan(
            count=2, interval=(5, 5), pdd=(1, 1), ring=(1, 1), talk=(60, 60), answer_ratio=1.0
        ),
    )
    clock.advance(10)
    device.calls.hang_up(1)
    first = device.calls.call(1)
    clock.advance(5)
    assert device.ports[0].slot.state == SimState.IN_CALL
    second = device.calls.call(1)
    assert second is not first and second.number != first.number  # a number per call
    assert second.number.startswith("+1555") and second.on_air
    clock.advance(62)
    assert device.calls.call(1).cause == "normal"
    assert device.calls.figures(1, 1, Window.TOTAL)["connected"] == 2


def test_either_side_of_a_port_to_port_call_can_hang_up():
    device, clock = make_device(small())
    clock.advance(10)
    device.calls.place(
        1, CallPlan(count=1, pdd=(1, 1), ring=(1, 1), talk=(90, 90), peer=2, answer_ratio=1.0)
    )
    clock.advance(12)
    assert device.ports[1].slot.state == SimState.PORT_CALLING
    assert device.calls.hang_up(2)  # the peer ends it
    assert [p.slot.state for p in device.ports[:2]] == [SimState.OK, SimState.OK]
    figures = device.calls.figures(1, 1, Window.TOTAL)
    assert (figures["connected"], figures["act_tcd"]) == (1, 10)
    assert device.calls.figures(2, 1, Window.TOTAL)["calls"] == 0  # the caller's counts
