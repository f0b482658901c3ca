"""The SIM transition table (spec 4.1.4) on its own."""

import pytest

from emulator.core.codes import SimState
from emulator.core.sim import TRANSITIONS, IllegalTransition, SimEvent, next_state


def test_the_happy_path_of_a_card():
    state = SimState.NO_SIM
    for event, expected in [
        (SimEvent.INSERT, SimState.IDLE),
        (SimEvent.ACTIVATE, SimState.DETECTED),
        (SimEvent.BEGIN_REGISTRATION, SimState.REGISTERING),
        (SimEvent.REGISTERED, SimState.OK),
        (SimEvent.CALL_START, SimState.IN_CALL),
        (SimEvent.CALL_END, SimState.OK),
        (SimEvent.NO_BALANCE, SimState.NO_BALANCE),
        (SimEvent.TOPUP, SimState.OK),
        (SimEvent.BLOCK, SimState.BLOCKED),
        (SimEvent.UNBLOCK, SimState.REGISTERING),
        (SimEvent.REGISTER_FAIL, SimState.REGISTER_FAILED),
        (SimEvent.RESET, SimState.DETECTED),
        (SimEvent.USER_LOCK, SimState.USER_LOCKED),
        (SimEvent.USER_UNLOCK, SimState.IDLE),
        (SimEvent.REMOVE, SimState.NO_SIM),
    ]:
        state = next_state(state, event)
        assert state == expected, event


def test_every_spec_state_code_is_reachable_from_no_sim():
    reachable = {SimState.NO_SIM}
    frontier = [SimState.NO_SIM]
    while frontier:
        state = frontier.pop()
        for (source, _event), target in TRANSITIONS.items():
            if source == state and target not in reachable:
                reachable.add(target)
                frontier.append(target)
    # 15 is Skyline's accepted vocabulary: no source says when firmware shows it.
    assert reachable == set(SimState) - {SimState.ACCESS_MOBILE_NETWORK}
    assert sorted(int(s) for s in SimState) == [*range(10), *range(11, 17)]


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (SimState.NO_SIM, SimEvent.CALL_START),
        (SimState.REGISTERING, SimEvent.CALL_START),
        (SimState.IDLE, SimEvent.REGISTERED),
        (SimState.IDLE, SimEvent.INSERT),
        (SimState.NO_SIM, SimEvent.REMOVE),
    ],
)
def test_nonsense_is_refused_with_a_reason(state, event):
    with pytest.raises(IllegalTransition) as info:
        next_state(state, event)
    assert str(state) in str(info.value)
    assert event.value.replace("_", " ") in str(info.value)


def test_codes_render_with_their_reason():
    assert str(SimState.OK) == "3 OK"
    assert str(SimState.USER_LOCKED) == "12 Locked by User"
