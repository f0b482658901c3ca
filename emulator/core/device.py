"""The gateway: ports, SIM slots, registration, commands and status reporting.

Pure and synchronous. Time comes from the injected `Timers`, randomness from
the injected `random.Random`, and everything the outside world should hear
about is emitted to `outbox` (spec 4 status callbacks here; later modules add
their own). Commands follow spec 5 as read in INTERPRETATION.md.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.core import settings as settings_mod
from emulator.core.calls import Calls
from emulator.core.codes import SimState
from emulator.core.config import CardConfig, CoreConfig
from emulator.core.events import DevStatus, Identity, Outbox, PortStatus, SlotSnapshot
from emulator.core.inbound import Inbound, Stored
from emulator.core.ports import LETTERS, PortListError, PortRef
from emulator.core.sessions import SessionTable, random_ids
from emulator.core.settings import Settings
from emulator.core.sim import (
    ACTIVE,
    REGISTERED,
    IllegalTransition,
    NoCard,
    SimCard,
    SimEvent,
    next_state,
)
from emulator.core.stats import Stats
from emulator.core.tasks import Sending
from emulator.core.timers import TimerHandle, Timers

MIN_STATUS_PERIOD = 60  # spec 4.1.2: "最小值 60"
# Odd, so boots -> boots * _BOOT_MIX (mod 2**64) is one-to-one: two boots of one seed
# never mix in the same value, and a fixed seed still gives one ssrc per boot count.
_BOOT_MIX = 0x9E3779B97F4A7C15


@dataclass(frozen=True, slots=True)
class FlashImage:
    """What the device keeps across power loss (INTERPRETATION.md, "Boot"), as plain data.

    The core reads and writes no files: the edge builds a device from the image it
    kept and stores `Device.flash_image()` each time `flash_listener` is called.
    """

    boots: int
    saved: Mapping[str, Any]  # the saved settings (op=save), settings.to_plain
    inbox: tuple[Stored, ...] | None = None  # None: the profile does not keep the inbox
    next_sms_id: int = 1


class DeviceUnavailable(Exception):
    """The device is rebooting and does not answer (INTERPRETATION.md, reboot)."""


class CommandError(ValueError):
    """A command the device refuses; `code` is the spec's code for it."""

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(reason)


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


def _apply(slot: Slot, event: SimEvent) -> bool:
    """The one writer of a slot's state: the transition table's answer (core/sim.py).
    Whether the state changed; an event that makes no sense raises IllegalTransition."""
    new = next_state(slot.state, event)
    if new == slot.state:
        return False
    slot.state = new
    return True


def _card(spec: CardConfig, index: int, port: int, slot: int, slots: int) -> SimCard:
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


class Device:
    """One emulated gateway."""

    def __init__(
        self,
        config: CoreConfig,
        timers: Timers,
        rng: random.Random,
        *,
        identity: Identity,
        index: int = 0,
        session_ids: Callable[[], str] | None = None,
        flash: FlashImage | None = None,
    ) -> None:
        self.config = config
        self.timers = timers
        self.rng = rng
        self.index = index
        spec = config.device
        self.identity = identity
        self.outbox = Outbox()
        self.stats = Stats(timers.now, spec.utc_offset)
        self.sessions = SessionTable(
            # session_ids: the run's source when its seed is not fixed (emulator/gateway.py).
            session_id_source=session_ids or random_ids(rng),
            max_sessions=spec.max_sessions,
        )
        self.saved = self._initial_settings()
        if flash is not None:
            self.saved = settings_mod.from_plain(dict(flash.saved), self.saved)
        self.settings = self.saved.copy()
        self.ports = self._build_ports()
        self.sending = Sending(self)
        self.inbound = Inbound(self)
        self.calls = Calls(self)
        self.dev_status_seq = 0
        # Grows on every change a status entry can show, so the web edge may cache the
        # rendered entries of dev-status until it moves (a 32x4 device answers it often).
        self.version = 0
        self.ssrc = ""
        self.boots = 0 if flash is None else flash.boots
        # Called after each change of what flash holds (a save, a boot, the kept inbox).
        self.flash_listener: Callable[[], None] | None = None
        # Told of each change of a port's current SIM (a personality that pushes line
        # states itself, as DBL's STATE does); None: nobody listens.
        self.port_listener: Callable[[Port], None] | None = None
        # Told False when a reboot powers the device off, True when it has booted again.
        self.power_listener: Callable[[bool], None] | None = None
        if flash is not None and flash.inbox is not None and spec.keeps_inbox_on_reboot:
            self.inbound.restore(flash.inbox, flash.next_sms_id)
        self.unavailable_until: float | None = None
        self._generation = 0
        self._status_timer: TimerHandle | None = None
        # A served device starts warm, as one that has been on for a while: the power-on
        # sequence runs at once, with nothing pushed (INTERPRETATION.md, "Boot").
        self._instant = config.behaviour.boot == "warm"
        self._boot()
        self._instant = False

    # -- construction ---------------------------------------------------------

    def _initial_settings(self) -> Settings:
        initial = self.config.settings
        return Settings(
            status_url=initial.status_url,
            status_period=initial.status_period,
            sr_url=initial.sr_url,
            sms_url=initial.sms_url,
            sr_cnt=initial.sr_cnt,
            sr_prd=initial.sr_prd,
            sms_cnt=initial.sms_cnt,
            sms_prd=initial.sms_prd,
            auto_fail_sim_switch=self.config.behaviour.auto_fail_sim_switch,
            imei=list(self.config.device.imei),
        )

    def _build_ports(self) -> list[Port]:
        config = self.config
        count = config.device.slots
        ports = []
        for p in range(1, config.device.ports + 1):
            slots = []
            for s in range(1, count + 1):
                spec = config.card(p, s)
                card = _card(spec, config.index, p, s, count) if spec.present else None
                slot = Slot(p, s, card, SimState.IDLE if card else SimState.NO_SIM)
                if spec.locked:
                    _apply(slot, SimEvent.USER_LOCK)
                slots.append(slot)
            port = Port(p, slots)
            port.current = next((s.index for s in slots if s.state == SimState.IDLE), 1)
            ports.append(port)
        return ports

    def _boot(self) -> None:
        """Power on: a new ssrc, status reporting from the settings, every port registers."""
        self.boots += 1
        self.version += 1
        # The boot count is mixed in so that a process start with a fixed seed, which
        # draws what the previous start drew, still shows a new ssrc (spec 8.1 step 3).
        mix = self.boots * _BOOT_MIX % 2**64
        self.ssrc = f"{self.rng.getrandbits(64) ^ mix:016x}"
        self.unavailable_until = None
        for port in self.ports:
            port.failed.clear()
            for slot in port.slots:
                slot.fault = None  # what the device saw was in RAM
            self._activate(port)
        self._restart_status_timer()
        self.flash_changed()
        if self.power_listener is not None:
            self.power_listener(True)

    # -- flash ------------------------------------------------------------------

    def flash_image(self) -> FlashImage:
        """What a power loss now would leave: saved settings, boot count, kept inbox."""
        if not self.config.device.keeps_inbox_on_reboot:
            return FlashImage(self.boots, settings_mod.to_plain(self.saved))
        return FlashImage(
            self.boots,
            settings_mod.to_plain(self.saved),
            tuple(self.inbound.inbox),
            self.inbound.next_id,
        )

    def flash_changed(self) -> None:
        if self.flash_listener is not None:
            self.flash_listener()

    def inbox_changed(self) -> None:
        """The inbox is in flash only when the profile says the device stores it."""
        if self.config.device.keeps_inbox_on_reboot:
            self.flash_changed()

    # -- time -----------------------------------------------------------------

    def now(self) -> float:
        return self.timers.now()

    def later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Schedule `callback`; a reboot or a reset of the device voids it."""
        return self.timers.call_later(delay, _Guarded(self, callback))

    def draw(self, span: tuple[float, float]) -> float:
        low, high = span
        return low if low == high else self.rng.uniform(low, high)

    # -- lookups --------------------------------------------------------------

    def port(self, number: int) -> Port:
        if not 1 <= number <= len(self.ports):
            raise PortListError(f"port {number} is outside 1-{len(self.ports)}")
        return self.ports[number - 1]

    def slot(self, ref: PortRef) -> Slot:
        port = self.port(ref.port)
        return port.slots[(ref.slot or port.current) - 1]

    def imei(self, port: int) -> str:
        return self.settings.imei[port - 1]

    def check_available(self) -> None:
        if self.unavailable_until is not None:
            raise DeviceUnavailable(f"rebooting until {self.unavailable_until:.0f}")

    # -- the SIM state machine ---------------------------------------------------

    def _fire(self, slot: Slot, event: SimEvent) -> bool:
        """Apply one transition; a change of a port's current SIM is pushed."""
        if not _apply(slot, event):
            return False
        new = slot.state
        if new in SEEN_FAULTS:
            slot.fault = new
        elif new is not SimState.IDLE:  # current again (detected, registering...) or removed
            slot.fault = None
        self.version += 1
        port = self.ports[slot.port - 1]
        if port.current == slot.index:
            self._port_changed(port)
        return True

    def fire_current(self, port: Port, event: SimEvent) -> bool:
        """A transition of the port's current SIM from another module (calls)."""
        return self._fire(port.slot, event)

    def _activate(self, port: Port) -> None:
        """Make the current slot work: detect the card, then register it."""
        self._cancel_progress(port)
        slot = port.slot
        if slot.card is None or slot.state in (SimState.USER_LOCKED, SimState.NO_SIM):
            return
        if slot.state in ACTIVE:
            self._fire(slot, SimEvent.RESET)
        else:
            self._fire(slot, SimEvent.ACTIVATE)
        if self._instant:
            self._detected(port, slot)
            return
        port.progress = self.later(
            self.config.behaviour.detect_time, lambda: self._detected(port, slot)
        )

    def _detected(self, port: Port, slot: Slot) -> None:
        port.progress = None
        card = slot.card
        if card is None or slot.state != SimState.DETECTED:
            return
        if card.read_error:
            self._fire(slot, SimEvent.READ_ERROR)
            self._after_failure(port)
            return
        self._fire(slot, SimEvent.BEGIN_REGISTRATION)
        self._schedule_registration(port, slot)

    def _schedule_registration(self, port: Port, slot: Slot) -> None:
        if self._instant:
            self._registration_done(port, slot)
            return
        delay = self.draw(self.config.behaviour.registration_time)
        port.progress = self.later(delay, lambda: self._registration_done(port, slot))

    def _registration_done(self, port: Port, slot: Slot) -> None:
        port.progress = None
        card = slot.card
        if card is None or slot.state != SimState.REGISTERING:
            return
        if card.blocked:
            self._fire(slot, SimEvent.BLOCK)
        elif card.register_fail:
            self._fire(slot, SimEvent.REGISTER_FAIL)
        else:
            self._fire(slot, SimEvent.REGISTERED)
            port.failed.clear()
            if card.balance <= 0:
                self._fire(slot, SimEvent.NO_BALANCE)
            return
        self._after_failure(port)

    def _after_failure(self, port: Port) -> None:
        """auto_fail_sim_switch (spec 5.1.3): try the next filled slot, each once."""
        if not self.settings.auto_fail_sim_switch:
            return
        port.failed.add(port.current)
        for step in range(1, len(port.slots)):
            candidate = port.slots[(port.current - 1 + step) % len(port.slots)]
            if (
                candidate.card is not None
                and candidate.state == SimState.IDLE
                and candidate.index not in port.failed
            ):
                self._switch(port, candidate.index)
                return

    def _cancel_progress(self, port: Port) -> None:
        if port.progress is not None:
            port.progress.cancel()
            port.progress = None

    def _switch(self, port: Port, index: int) -> None:
        old = port.slot
        self._cancel_progress(port)
        port.current = index
        self._fire(old, SimEvent.DEACTIVATE)
        if port.slot.state in (SimState.NO_SIM, SimState.USER_LOCKED):
            self._port_changed(port)  # the port now shows an empty or locked slot
        else:
            self._activate(port)

    # -- status (spec 4) ------------------------------------------------------

    def shown_state(self, slot: Slot) -> SimState:
        """What the device reports for a slot: a current one's state; one the port left
        after its card failed keeps that failure (INTERPRETATION.md, "Status")."""
        if slot.fault is not None and slot.state is SimState.IDLE:
            if self.ports[slot.port - 1].current != slot.index:
                return slot.fault
        return slot.state

    def snapshot(self, slot: Slot) -> SlotSnapshot:
        port = self.ports[slot.port - 1]
        card = slot.card
        registered = slot.state in REGISTERED
        durations = self.calls.durations(slot.port, slot.index)
        return SlotSnapshot(
            port=slot.port,
            slot=slot.index,
            state=self.shown_state(slot),
            port_seq=port.seq,
            imei=self.imei(slot.port),
            iccid=card.iccid if card else "",
            imsi=card.imsi if card else "",
            sn=card.number if card else "",
            opr=card.operator if card and registered else "",
            bal=card.balance if card else 0.0,
            sig=card.signal if card and registered else 0,
            tot_dur=durations[0],
            mon_dur=durations[1],
            day_dur=durations[2],
        )

    def _port_changed(self, port: Port) -> None:
        port.seq += 1
        self.version += 1
        if self.port_listener is not None:  # first: what the change causes comes after it
            self.port_listener(port)
        self.sending.port_changed(port)
        self.inbound.port_changed(port)
        url = self.settings.status_url
        # A warm start counts what happened before anyone was listening, and pushes none.
        if url and self.settings.status_period > 0 and not self._instant:
            self.outbox.emit(PortStatus(url=url, seq=port.seq, snapshot=self.snapshot(port.slot)))

    def status_slots(self, all_sims: bool) -> list[Slot]:
        """The slots a dev-status lists: every slot, or each port's current one (4.1.2)."""
        if all_sims:
            return [s for p in self.ports for s in p.slots]
        return [p.slot for p in self.ports]

    def next_dev_status_seq(self) -> int:
        self.dev_status_seq += 1
        return self.dev_status_seq

    def dev_status(self, all_sims: bool | None = None, url: str = "") -> DevStatus:
        """The dev-status document; each one produced takes the next seq."""
        if all_sims is None:
            all_sims = self.settings.status_all_sims
        slots = self.status_slots(all_sims)
        return DevStatus(
            url=url,
            seq=self.next_dev_status_seq(),
            expires=self.settings.status_period,
            identity=self.identity,
            entries=tuple(self.snapshot(s) for s in slots),
        )

    def subscribe_status(self, url: str | None, period: int | None, all_sims: bool | None) -> None:
        """goip_get_status.html's url/period/all_sims (spec 4.1.2)."""
        if url is not None:
            self.settings.status_url = settings_mod.parse_value(self.settings, "status_url", url)[2]
        if period is not None:
            if period < 0:
                raise settings_mod.SettingError(f"period {period} is negative")
            self.settings.status_period = 0 if period == 0 else max(period, MIN_STATUS_PERIOD)
        if all_sims is not None:
            self.settings.status_all_sims = all_sims
        self._restart_status_timer()

    def _restart_status_timer(self) -> None:
        if self._status_timer is not None:
            self._status_timer.cancel()
            self._status_timer = None
        period = self.settings.status_period
        if self.settings.status_url and period > 0:
            self._status_timer = self.later(period, self._status_due)

    def _status_due(self) -> None:
        self._status_timer = None
        url = self.settings.status_url
        if url and self.settings.status_period > 0:
            self.outbox.emit(self.dev_status(url=url))
        self._restart_status_timer()

    # -- commands (spec 5) ------------------------------------------------------

    def lock(self, refs: list[PortRef]) -> None:
        """Lock a slot, or every slot of a port named without one (spec 5.1.3)."""
        for slot in self._slots_of(refs):
            if slot.state == SimState.USER_LOCKED:
                continue  # locking twice is not an error on the device
            port = self.ports[slot.port - 1]
            if port.current == slot.index:
                self._cancel_progress(port)
            self._fire(slot, SimEvent.USER_LOCK)

    def unlock(self, refs: list[PortRef]) -> None:
        for slot in self._slots_of(refs):
            if slot.state not in (SimState.USER_LOCKED, SimState.LOCKED):
                continue
            port = self.ports[slot.port - 1]
            current = port.current == slot.index
            if slot.card is None:  # unlocked, and the table finds the slot empty
                _apply(slot, SimEvent.USER_UNLOCK)
                _apply(slot, SimEvent.REMOVE)
                self.version += 1
                if current:
                    self._port_changed(port)
                continue
            self._fire(slot, SimEvent.USER_UNLOCK)
            if current:
                port.failed.discard(slot.index)
                self._activate(port)

    def switch(self, refs: list[PortRef]) -> None:
        """Make the named slot current; a bare port moves to its next filled slot."""
        for ref in refs:
            port = self.ports[ref.port - 1]
            port.failed.clear()
            if ref.slot is not None:
                target = ref.slot
            else:
                target = next(
                    (
                        port.slots[(port.current - 1 + step) % len(port.slots)].index
                        for step in range(1, len(port.slots) + 1)
                        if port.slots[(port.current - 1 + step) % len(port.slots)].card
                    ),
                    port.current,
                )
            if target == port.current:
                self._activate(port)  # switching to the current slot re-registers it
            else:
                self._switch(port, target)

    def reset(self, refs: list[PortRef]) -> None:
        """Restart the GSM module of each named port (only the port number counts)."""
        for number in dict.fromkeys(ref.port for ref in refs):
            port = self.ports[number - 1]
            port.failed.clear()
            self._activate(port)

    def save(self) -> None:
        self.saved = self.settings.copy()
        self.flash_changed()

    def reboot(self) -> None:
        """Unreachable for reboot_time, then boot with the saved settings."""
        self._generation += 1  # voids every timer of the running system
        if self._status_timer is not None:
            self._status_timer.cancel()
            self._status_timer = None
        # A power cycle, not a transition: the module is off, and every sequence number
        # (dev-status and per-port port-status) starts again from 1 after boot.
        for port in self.ports:
            self._cancel_progress(port)
            port.seq = 0
            for slot in port.slots:
                if slot.state in ACTIVE:
                    _apply(slot, SimEvent.DEACTIVATE)
        self.dev_status_seq = 0
        self.sessions.clear()  # security sessions live in RAM
        self.sending.clear()  # queued tasks are lost (INTERPRETATION.md, Commands)
        self.inbound.reboot()
        self.calls.reboot()
        self.settings = self.saved.copy()
        self.unavailable_until = self.now() + self.config.device.reboot_time
        self.later(self.config.device.reboot_time, self._boot)
        if self.power_listener is not None:
            self.power_listener(False)

    def shutdown(self) -> None:
        """Power off for good: every timer is void and nothing more is emitted."""
        self._generation += 1
        for port in self.ports:
            self._cancel_progress(port)
        if self._status_timer is not None:
            self._status_timer.cancel()
            self._status_timer = None
        self.outbox = Outbox()

    def get_settings(self, names: list[str]) -> dict[str, object]:
        return {name: settings_mod.get(self.settings, name) for name in names}

    def set_settings(self, values: dict[str, object]) -> None:
        """Apply every assignment or none of them."""
        parsed = [settings_mod.parse_value(self.settings, k, v) for k, v in values.items()]
        status_changed = False
        self.version += 1
        for key, index, value in parsed:
            settings_mod.apply(self.settings, key, index, value)
            status_changed |= key.startswith("status_")
        if status_changed:
            self._restart_status_timer()

    def _slots_of(self, refs: list[PortRef]) -> list[Slot]:
        chosen: list[Slot] = []
        for ref in refs:
            port = self.ports[ref.port - 1]
            chosen.extend([port.slots[ref.slot - 1]] if ref.slot else port.slots)
        return list({id(s): s for s in chosen}.values())

    # -- SIM events: what happens to a card in one slot (the control API, scenarios) ----

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
        card = _card(
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

    def _card_of(self, slot: Slot) -> SimCard:
        if slot.card is None:
            raise NoCard(f"there is no SIM in slot {slot.port}.{slot.index:02d}")
        return slot.card


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name}: {value!r} is not a number")
    return float(value)


class _Guarded:
    """A timer's callback that a reboot or a reset voids.

    One object where a closure takes five (function, its cells and their tuple): a
    device under load holds a timer per queued task, and the garbage collector walks
    every one of them (bench P1).
    """

    __slots__ = ("callback", "device", "generation")

    def __init__(self, device: Device, callback: Callable[[], None]) -> None:
        self.device = device
        self.generation = device._generation
        self.callback = callback

    def __call__(self) -> None:
        if self.device._generation == self.generation:
            self.callback()
