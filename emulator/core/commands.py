"""The commands of spec 5 on a device: lock, unlock, switch, reset, save, reboot, get and
set; mixed into `Device`, whose state they change through its SIM transitions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.core import settings as settings_mod
from emulator.core.codes import SimState
from emulator.core.events import Outbox
from emulator.core.ports import PortRef
from emulator.core.sim import ACTIVE, REGISTERING, SimEvent
from emulator.core.slots import apply_event

if TYPE_CHECKING:
    from emulator.core.device import Slot


class Commands:
    """Spec 5 (INTERPRETATION.md, "Commands")."""

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
                apply_event(slot, SimEvent.USER_UNLOCK)
                apply_event(slot, SimEvent.REMOVE)
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

    def redial(self, refs: list[PortRef], flight: bool, delay: float = 0.0) -> None:
        """Router firmware's op=redial: flight mode re-registers each named port as `reset`
        does, its data link dialing `delay` seconds after; fast redials the link alone."""
        for number in dict.fromkeys(ref.port for ref in refs):
            port = self.ports[number - 1]
            if flight:
                port.failed.clear()
                self._activate(port)
                if self.data is not None:  # the delay counts only if registration began
                    self.data.flight(number, delay if port.slot.state in REGISTERING else 0.0)
            elif self.data is not None:
                self.data.fast(number)

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
                    apply_event(slot, SimEvent.DEACTIVATE)
        self.dev_status_seq = 0
        self.sessions.clear()  # security sessions live in RAM
        self.sending.clear()  # queued tasks are lost (INTERPRETATION.md, Commands)
        self.inbound.reboot()
        self.calls.reboot()
        self.esims.reboot()
        self.settings = self.saved.copy()
        self.unavailable_until = self.now() + self.config.device.reboot_time
        for port in self.ports:  # after unavailable_until: a listener sees the device off
            for listen in self.port_listeners:
                listen(port)
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
        firmware = self.config.device.firmware
        return {name: settings_mod.get(self.settings, name, firmware) for name in names}

    def set_settings(self, values: dict[str, object]) -> None:
        """Apply every assignment or none of them."""
        firmware = self.config.device.firmware
        parsed = [
            settings_mod.parse_value(self.settings, k, v, firmware) for k, v in values.items()
        ]
        status_changed = data_changed = False
        self.version += 1
        for key, index, value in parsed:
            settings_mod.apply(self.settings, key, index, value)
            status_changed |= key.startswith("status_")
            data_changed |= key == "data_service_enable"
        if status_changed:
            self._restart_status_timer()
        if data_changed and self.data is not None:
            self.data.enabled_changed()

    def led_on(self, refs: list[PortRef]) -> None:
        """Skyline: light the LED of a slot, or of every slot of a port named alone."""
        self._set_leds(refs, True)

    def led_off(self, refs: list[PortRef]) -> None:
        self._set_leds(refs, False)

    def _set_leds(self, refs: list[PortRef], on: bool) -> None:
        # Running state kept with the settings (saved by `save`); not a state change, so
        # nothing is pushed: the next status shows it (EJOIN-EXTRAS, "LEDs").
        self.skyline_only("op=ledon" if on else "op=ledoff")
        for slot in self._slots_of(refs):
            self.settings.led[self.slot_number(slot.port, slot.index)] = on
        self.version += 1

    def _slots_of(self, refs: list[PortRef]) -> list[Slot]:
        chosen: list[Slot] = []
        for ref in refs:
            port = self.ports[ref.port - 1]
            chosen.extend([port.slots[ref.slot - 1]] if ref.slot else port.slots)
        return list({id(s): s for s in chosen}.values())
