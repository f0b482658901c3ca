"""Random sequences of SIM events, commands and time against the device's invariants:
every port stays in a legal state, and every change of a port's current SIM is pushed
exactly once, in order, with consecutive per-port seq numbers."""

from conftest import make_device, sim_event, small
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from emulator.config.ports import PortRef
from emulator.core.codes import SimState
from emulator.core.events import PortStatus
from emulator.core.sim import ACTIVE, SIM_EVENTS, IllegalTransition

PORTS, SLOTS = 3, 3
ports = st.integers(1, PORTS)
slots = st.integers(1, SLOTS)


class DeviceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        profile = small(
            device={"ports": PORTS, "slots": SLOTS, "reboot_time": 5},
            behaviour={"registration_time": [2, 9]},
        )
        self.device, self.clock = make_device(profile, seed=7)
        self.device.subscribe_status("http://127.0.0.1:9/", 60, None)
        self.device.save()  # so the subscription survives reboots
        self.seen_seq = {p.number: p.seq for p in self.device.ports}
        self.last_pushed: dict[int, tuple[int, SimState]] = {}

    @rule(port=ports, slot=slots, event=st.sampled_from(SIM_EVENTS), value=st.integers(-1, 40))
    def sim_event(self, port, slot, event, value):
        params = {"value": value} if event == "signal" else {}
        try:
            sim_event(self.device, PortRef(port, slot), event, params)
        except (IllegalTransition, ValueError):
            pass

    @precondition(lambda self: self.device.unavailable_until is None)
    @rule(
        op=st.sampled_from(["lock", "unlock", "switch", "reset"]),
        port=ports,
        slot=st.none() | slots,
    )
    def command(self, op, port, slot):
        getattr(self.device, op)([PortRef(port, slot)])

    @precondition(lambda self: self.device.unavailable_until is None)
    @rule()
    def reboot(self):
        self.every_change_pushed_once_in_order()
        self.device.reboot()
        self.seen_seq = dict.fromkeys(self.seen_seq, 0)  # sequences restart after a reboot
        self.last_pushed.clear()

    @rule(seconds=st.sampled_from([0.5, 1, 3, 10, 60]))
    def advance(self, seconds):
        self.clock.advance(seconds)

    @invariant()
    def every_change_pushed_once_in_order(self):
        for event in self.device.outbox.drain():
            if not isinstance(event, PortStatus):
                continue
            snap = event.snapshot
            assert event.seq == self.seen_seq[snap.port] + 1, "seq must count by one per port"
            self.seen_seq[snap.port] = event.seq
            self.last_pushed[snap.port] = (snap.slot, snap.state)
        for port in self.device.ports:
            assert port.seq == self.seen_seq[port.number]
            if port.number in self.last_pushed and self.device.unavailable_until is None:
                assert self.last_pushed[port.number] == (port.current, port.slot.state)

    @invariant()
    def ports_are_in_legal_states(self):
        for port in self.device.ports:
            for slot in port.slots:
                if slot.card is None:
                    assert slot.state in (SimState.NO_SIM, SimState.USER_LOCKED)
                else:
                    assert slot.state != SimState.NO_SIM
                if slot.index != port.current:
                    assert slot.state not in ACTIVE, f"{slot.name} is {slot.state} but not current"


DeviceMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestDeviceMachine = DeviceMachine.TestCase
