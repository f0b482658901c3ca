"""The gateway: ports, SIM slots, registration, commands and status reporting.

Pure and synchronous. Time comes from the injected `Timers`, randomness from
the injected `random.Random`, and everything the outside world should hear
about is emitted to `outbox` (spec 4 status callbacks here; later modules add
their own). Commands follow spec 5 as read in INTERPRETATION.md.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from emulator.core import settings as settings_mod
from emulator.core.calls import Calls
from emulator.core.codes import SimState
from emulator.core.commands import Commands
from emulator.core.config import CoreConfig
from emulator.core.context import EngineContext
from emulator.core.data_link import DataLinks
from emulator.core.esim import Esims
from emulator.core.events import DevStatus, Identity, Outbox, PortStatus, SlotSnapshot
from emulator.core.inbound import Inbound, Stored
from emulator.core.ports import PortListError, PortRef
from emulator.core.sessions import SessionTable, random_ids
from emulator.core.settings import Settings
from emulator.core.sim import (
    ACTIVE,
    REGISTERED,
    SimEvent,
)
from emulator.core.sim_events import SimEvents
from emulator.core.slots import SEEN_FAULTS, Port, Slot, apply_event, make_card
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


class Device(Commands, SimEvents):
    """One emulated gateway: construction, registration and status (spec 4) here; the
    commands of spec 5 in `core/commands.py`, SIM events in `core/sim_events.py`."""

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
        engines = EngineContext(self)
        self.inbound = Inbound(engines, self.inbox_changed)
        self.sending = Sending(engines, self.inbound.schedule_delivery_report)
        self.calls = Calls(engines, self.fire_current)
        self.esims = Esims(engines)
        self.dev_status_seq = 0
        # Grows on every change a status entry can show, so the web edge may cache the
        # rendered entries of dev-status until it moves (a 32x4 device answers it often).
        self.version = 0
        self.ssrc = ""
        self.boots = 0 if flash is None else flash.boots
        # Called after each change of what flash holds (a save, a boot, the kept inbox).
        self.flash_listener: Callable[[], None] | None = None
        # Told of each change of a port's current SIM (the USSD network drops a dialogue the
        # port can no longer hold; DBL pushes its line states), and of each port at reboot.
        self.port_listeners: list[Callable[[Port], None]] = []
        # Told False when a reboot powers the device off, True when it has booted again.
        self.power_listener: Callable[[bool], None] | None = None
        if flash is not None and flash.inbox is not None and spec.keeps_inbox_on_reboot:
            self.inbound.restore(flash.inbox, flash.next_sms_id)
        self.unavailable_until: float | None = None
        self._generation = 0
        self._status_timer: TimerHandle | None = None
        self.data: DataLinks | None = None  # router firmware: each port's data link
        if spec.firmware == "router":
            self.data = DataLinks(
                spec.ports, self.later, rng, lambda: self.settings.data_service_enable
            )
            self.port_listeners.append(self._data_port_changed)
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
            # Skyline's per-slot identities and LEDs; other families have none.
            sim_imei=[""] * self.slot_count if self.skyline else [],
            sim_number=[""] * self.slot_count if self.skyline else [],
            led=[False] * self.slot_count if self.skyline else [],
        )

    @property
    def skyline(self) -> bool:
        return self.config.device.firmware == "skyline"

    @property
    def slot_count(self) -> int:
        return self.config.device.ports * self.config.device.slots

    def slot_number(self, port: int, slot: int) -> int:
        """Skyline's n of `sim_imei(n)`: (port-1) x max-slots + (slot-1), from 0."""
        return (port - 1) * self.config.device.slots + (slot - 1)

    def skyline_only(self, what: str) -> None:
        """Refuse what only skyline firmware has (a ValueError naming it)."""
        if not self.skyline:
            raise ValueError(
                f"{what} is a skyline firmware feature; this device runs "
                f"{self.config.device.firmware} firmware (quirks.firmware)"
            )

    def _build_ports(self) -> list[Port]:
        config = self.config
        count = config.device.slots
        ports = []
        for p in range(1, config.device.ports + 1):
            slots = []
            for s in range(1, count + 1):
                spec = config.card(p, s)
                card = make_card(spec, config.index, p, s, count) if spec.present else None
                slot = Slot(p, s, card, SimState.IDLE if card else SimState.NO_SIM)
                if spec.locked:
                    apply_event(slot, SimEvent.USER_LOCK)
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
        if not apply_event(slot, event):
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
        if self.skyline:
            # The module takes the slot's IMEI as it starts on it (EJOIN-EXTRAS, "Effects");
            # a slot without one leaves the module's IMEI as it is.
            imei = self.settings.sim_imei[self.slot_number(port.number, slot.index)]
            if imei:
                self.settings.imei[port.number - 1] = imei
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
        imei, number, led = self.imei(slot.port), card.number if card else "", False
        if self.skyline:  # what status shows of a slot's own identity, set or not
            n = self.slot_number(slot.port, slot.index)
            settings = self.settings
            imei = settings.sim_imei[n] or imei
            number = settings.sim_number[n] or number
            led = settings.led[n]
        return SlotSnapshot(
            port=slot.port,
            slot=slot.index,
            state=self.shown_state(slot),
            port_seq=port.seq,
            imei=imei,
            iccid=card.iccid if card else "",
            imsi=card.imsi if card else "",
            sn=number,
            opr=card.operator if card and registered else "",
            bal=card.balance if card else 0.0,
            sig=card.signal if card and registered else 0,
            tot_dur=durations[0],
            mon_dur=durations[1],
            day_dur=durations[2],
            active=port.current == slot.index,
            inserted=card is not None,
            slot_active=slot.state is not SimState.USER_LOCKED,
            led=led,
        )

    def _data_port_changed(self, port: Port) -> None:
        assert self.data is not None
        powered = self.unavailable_until is None
        registered = powered and port.slot.state in REGISTERED
        self.data.sim_changed(port.number, registered, powered)

    def _port_changed(self, port: Port) -> None:
        port.seq += 1
        self.version += 1
        for listen in self.port_listeners:  # first: what the change causes comes after it
            listen(port)
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
