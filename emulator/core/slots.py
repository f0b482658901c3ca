"""Ports and their SIM slots as the device holds them, and the one writer of a slot's
state (`apply_event`, the transition table's answer)."""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.core.codes import SimState
from emulator.core.config import CardConfig
from emulator.core.ports import LETTERS
from emulator.core.sim import SimCard, SimEvent, next_state
from emulator.core.timers import TimerHandle

# What a card can fail with while current, remembered when the port moves on (4.1.4).
SEEN_FAULTS = frozenset(
    {
        SimState.NO_BALANCE,
        SimState.REGISTER_FAILED,
        SimState.LOCKED,
        SimState.BLOCKED,
        SimState.READ_ERROR,
    }
)


@dataclass(slots=True)
class Slot:
    port: int
    index: int  # 1-based; 1 = A
    card: SimCard | None
    state: SimState = SimState.NO_SIM
    # The failure the device saw while the card was current; shown in all_sims=1 after
    # the port moves on, until the card is removed or the slot is current again.
    fault: SimState | None = None

    @property
    def name(self) -> str:
        return f"{self.port}{LETTERS[self.index - 1]}"


@dataclass(slots=True)
class Port:
    number: int
    slots: list[Slot]
    current: int = 1  # index of the current slot
    seq: int = 0  # port-status sequence, counts from 1 per port
    progress: TimerHandle | None = None  # the registration step under way
    failed: set[int] = field(default_factory=set)  # slots auto-switch already tried

    @property
    def slot(self) -> Slot:
        return self.slots[self.current - 1]


def apply_event(slot: Slot, event: SimEvent) -> bool:
    """The one writer of a slot's state: the transition table's answer (core/sim.py).
    Whether the state changed; an event that makes no sense raises IllegalTransition."""
    new = next_state(slot.state, event)
    if new == slot.state:
        return False
    slot.state = new
    return True


def make_card(spec: CardConfig, index: int, port: int, slot: int, slots: int) -> SimCard:
    """The card of one slot: its config with the slot's own IMSI, ICCID and number."""
    fields = {
        "device": index,
        "port": port,
        "slot": slot,
        "letter": LETTERS[slot - 1],
        "index": (port - 1) * slots + slot,
    }
    return SimCard(
        imsi=spec.imsi.format(**fields),
        iccid=spec.iccid.format(**fields),
        number=spec.number.format(**fields),
        operator=spec.operator,
        balance=spec.balance,
        signal=spec.signal,
        blocked=spec.blocked,
        read_error=spec.read_error,
        register_fail=spec.register_fail,
        smsc=spec.smsc,
        send_latency=spec.send_latency,
        send_failure_rate=spec.send_failure_rate,
    )
