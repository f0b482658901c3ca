"""SIM events on one slot (the control API, scenarios): a card inserted, removed, barred,
out of balance, unreadable...; mixed into `Device`, each a named method with typed
arguments, every change of state through the transition table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.core.codes import SimState
from emulator.core.ports import PortListError, PortRef
from emulator.core.sim import ACTIVE, IllegalTransition, NoCard, SimCard, SimEvent
from emulator.core.slots import make_card

if TYPE_CHECKING:
    from emulator.core.device import Port, Slot


class SimEvents:
    """What happens to the card in one slot."""

    def _target(self, ref: PortRef) -> tuple[Port, Slot, bool]:
        if ref.slot is None:
            raise ValueError("name a slot, e.g. 3.02")
        port = self.port(ref.port)
        if not 1 <= ref.slot <= len(port.slots):
            raise PortListError(f"slot {ref.slot} is outside 1-{len(port.slots)}")
        slot = port.slots[ref.slot - 1]
        self.version += 1
        return port, slot, port.current == slot.index

    def insert_sim(
        self,
        ref: PortRef,
        *,
        imsi: str | None = None,
        iccid: str | None = None,
        number: str | None = None,
        operator: str | None = None,
        balance: float | None = None,
    ) -> Slot:
        """A card goes into an empty slot: the profile's default card, or these facts."""
        port, slot, current = self._target(ref)
        if slot.card is not None:
            raise IllegalTransition(slot.state, SimEvent.INSERT)
        config = self.config
        card = make_card(
            config.default_card, config.index, port.number, slot.index, config.device.slots
        )
        card.imsi = card.imsi if imsi is None else imsi
        card.iccid = card.iccid if iccid is None else iccid
        card.number = card.number if number is None else number
        card.operator = card.operator if operator is None else operator
        card.balance = card.balance if balance is None else balance
        if slot.state == SimState.USER_LOCKED:
            slot.card = card
            return slot
        self._fire(slot, SimEvent.INSERT)
        slot.card = card
        if current:
            self._activate(port)
        return slot

    def remove_sim(self, ref: PortRef) -> Slot:
        port, slot, current = self._target(ref)
        if slot.card is None:
            raise IllegalTransition(slot.state, SimEvent.REMOVE)
        slot.card = None
        if current:
            self._cancel_progress(port)
        if slot.state != SimState.USER_LOCKED:
            self._fire(slot, SimEvent.REMOVE)
        return slot

    def block(self, ref: PortRef) -> Slot:
        """The operator bars the card."""
        port, slot, current = self._target(ref)
        self._card_of(slot).blocked = True
        if self._fire(slot, SimEvent.BLOCK) and current:
            self._cancel_progress(port)
            self._after_failure(port)
        return slot

    def unblock(self, ref: PortRef) -> Slot:
        port, slot, current = self._target(ref)
        self._card_of(slot).blocked = False
        if self._fire(slot, SimEvent.UNBLOCK) and current:
            self._schedule_registration(port, slot)
        return slot

    def no_balance(self, ref: PortRef) -> Slot:
        _, slot, _ = self._target(ref)
        self._card_of(slot).balance = 0.0
        self._fire(slot, SimEvent.NO_BALANCE)
        return slot

    def topup(self, ref: PortRef, amount: float) -> Slot:
        """Credit on the card; a card out of balance is OK again."""
        if not 0 < amount < 1e12:
            raise ValueError(f"amount: {amount} is not a positive top-up")
        _, slot, _ = self._target(ref)
        card = self._card_of(slot)
        card.balance = round(card.balance + amount, 2)
        self._fire(slot, SimEvent.TOPUP)
        return slot

    def register_fail(self, ref: PortRef) -> Slot:
        """The network refuses the card from now on."""
        port, slot, current = self._target(ref)
        self._card_of(slot).register_fail = True
        if current and slot.state in ACTIVE:
            self._activate(port)  # the network drops it; it registers again and fails
        return slot

    def register_ok(self, ref: PortRef) -> Slot:
        port, slot, current = self._target(ref)
        self._card_of(slot).register_fail = False
        if current and slot.state == SimState.REGISTER_FAILED:
            port.failed.discard(slot.index)
            self._activate(port)
        return slot

    def read_error(self, ref: PortRef) -> Slot:
        """The card can no longer be read."""
        port, slot, current = self._target(ref)
        self._card_of(slot).read_error = True
        if self._fire(slot, SimEvent.READ_ERROR) and current:
            self._cancel_progress(port)
            self._after_failure(port)
        return slot

    def read_ok(self, ref: PortRef) -> Slot:
        port, slot, current = self._target(ref)
        self._card_of(slot).read_error = False
        if current and slot.state == SimState.READ_ERROR:
            port.failed.discard(slot.index)
            self._activate(port)
        return slot

    def set_signal(self, ref: PortRef, value: int) -> Slot:
        """The card's signal strength, 0-31 (spec 4.1.2 `sig`)."""
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 31:
            raise ValueError(f"value: signal must be a whole number 0-31, got {value!r}")
        _, slot, _ = self._target(ref)
        self._card_of(slot).signal = value
        return slot

    def lock_slot(self, ref: PortRef) -> Slot:
        _, slot, _ = self._target(ref)
        self.lock([ref])
        return slot

    def unlock_slot(self, ref: PortRef) -> Slot:
        _, slot, _ = self._target(ref)
        if slot.state not in (SimState.USER_LOCKED, SimState.LOCKED):
            raise IllegalTransition(slot.state, SimEvent.USER_UNLOCK)
        self.unlock([ref])
        return slot

    def module_timeout(self, ref: PortRef) -> Slot:
        """Skyline: the module of the port stops answering while it works this slot
        (`16 Module Response Timeout`): it sends nothing, AT and USSD time out."""
        self.skyline_only("the SIM event module_timeout")
        port, slot, _ = self._target(ref)
        if self._fire(slot, SimEvent.MODULE_TIMEOUT):
            self._cancel_progress(port)  # a registration under way goes no further
        return slot

    def module_ok(self, ref: PortRef) -> Slot:
        """Skyline: the module answers again and registers the card afresh."""
        self.skyline_only("the SIM event module_ok")
        port, slot, current = self._target(ref)
        if self._fire(slot, SimEvent.MODULE_OK) and current:
            self._schedule_registration(port, slot)
        return slot

    def _card_of(self, slot: Slot) -> SimCard:
        if slot.card is None:
            raise NoCard(f"there is no SIM in slot {slot.port}.{slot.index:02d}")
        return slot.card
