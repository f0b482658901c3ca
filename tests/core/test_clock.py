"""The one clock: timers fire in time order, then insertion order; virtual time never sleeps."""

import pytest

from emulator.clock import ClockError, VirtualClock


def test_advance_fires_due_timers_in_time_then_insertion_order():
    clock = VirtualClock(1000.0)
    fired = []
    clock.call_later(5, lambda: fired.append(("b", clock.now())))
    clock.call_later(2, lambda: fired.append(("a", clock.now())))
    clock.call_later(5, lambda: fired.append(("c", clock.now())))
    clock.call_later(11, lambda: fired.append(("late", clock.now())))
    assert clock.advance(10) == 3
    assert fired == [("a", 1002.0), ("b", 1005.0), ("c", 1005.0)]
    assert clock.now() == 1010.0


def test_timers_scheduled_by_timers_fire_within_the_same_advance():
    clock = VirtualClock(0.0)
    fired = []

    def chain(n):
        fired.append((n, clock.now()))
        if n < 3:
            clock.call_later(1, lambda: chain(n + 1))

    clock.call_later(1, lambda: chain(1))
    clock.advance(10)
    assert fired == [(1, 1.0), (2, 2.0), (3, 3.0)]


def test_cancelled_timers_do_not_fire_and_are_not_pending():
    clock = VirtualClock(0.0)
    fired = []
    handle = clock.call_later(1, lambda: fired.append(1))
    clock.call_later(2, lambda: fired.append(2))
    handle.cancel()
    assert clock.pending == 1
    clock.advance(5)
    assert fired == [2]


def test_time_only_moves_forward():
    clock = VirtualClock(0.0)
    with pytest.raises(ClockError, match="forward"):
        clock.advance(-1)
    clock.call_at(-50, lambda: None)  # scheduled in the past: fires now, time stays
    clock.advance(0)
    assert clock.now() == 0.0


def test_many_cancellations_keep_the_heap_small():
    clock = VirtualClock(0.0)
    for _ in range(5000):
        clock.call_later(10, lambda: None).cancel()
    clock.call_later(1, lambda: None)
    assert len(clock._heap) < 5000
    assert clock.pending == 1
