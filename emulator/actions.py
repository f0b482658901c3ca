"""Runs a profile's scenario: timed events (`at` once, `every` period) on the shared
clock, each carried out as the control API would and journaled as `control/scenario`."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from emulator.config.scenario import ScenarioEvent, SimAction, SmsAction

if TYPE_CHECKING:
    from emulator.gateway import DeviceApp


class ScenarioRunner:
    """Schedules one device's scenario on the shared clock; `stop` voids it."""

    def __init__(self, dev: DeviceApp, events: list[ScenarioEvent], rng: random.Random) -> None:
        self.dev = dev
        self.events = events
        self.rng = rng
        self.origin = dev.runtime.clock.now()
        self.stopped = False
        self.fired = [0] * len(events)

    def start(self) -> None:
        for index, event in enumerate(self.events):
            first = (
                event.at
                if event.at is not None
                else (event.start if event.start is not None else event.every)
            )
            assert first is not None
            self._schedule(index, first)

    def stop(self) -> None:
        self.stopped = True

    def _schedule(self, index: int, offset: float) -> None:
        event = self.events[index]
        if event.until is not None and offset > event.until:
            return
        jitter = self.rng.uniform(-event.jitter, event.jitter) if event.jitter else 0.0
        when = self.origin + max(0.0, offset + jitter)
        self.dev.runtime.clock.call_at(when, lambda: self._fire(index, offset))

    def _fire(self, index: int, offset: float) -> None:
        if self.stopped:
            return
        event = self.events[index]
        self.fired[index] += 1
        n = self.fired[index]
        try:
            outcome = self._run(event, n)
            ok = True
        except (ValueError, KeyError) as exc:  # IllegalTransition and bad names are ValueErrors
            outcome, ok = str(exc), False
        self.dev.journal.record(
            "control",
            "scenario",
            name=event.name or f"#{index + 1}",
            action=event.action,
            n=n,
            ok=ok,
            outcome=outcome,
        )
        if event.every is not None and (event.count is None or n < event.count):
            self._schedule(index, offset + event.every)

    def _run(self, event: ScenarioEvent, n: int) -> str:
        device = self.dev.device
        if event.sim is not None:
            return self._sim(event.sim)
        if event.fault is not None:
            fault = self.dev.faults.add(event.fault, self.dev.runtime.clock.now())
            return f"fault #{fault.id} added"
        if event.command is not None:
            cmd = event.command
            if cmd.op == "save":
                device.save()
                return "saved"
            if cmd.ports is None:
                raise ValueError(f"command {cmd.op} needs ports")
            refs = self.dev.names.parse_list(cmd.ports)
            getattr(device, cmd.op)(refs)
            return f"{cmd.op} {cmd.ports}"
        if event.reboot:
            if device.unavailable_until is not None:
                return "already rebooting"
            device.reboot()
            return "rebooting"
        if event.sms is not None:
            return self._sms(event.sms, n)
        assert event.calls is not None
        ports = list(dict.fromkeys(r.port for r in self.dev.names.parse_list(event.calls.port)))
        for port in ports:
            device.calls.place(port, event.calls.plan())
        return f"{event.calls.count} call(s) on {len(ports)} port(s)"

    def _sms(self, action: SmsAction, n: int) -> str:
        device = self.dev.device
        refs = self.dev.names.parse_list(action.ports)
        if action.pick == "each":
            chosen = refs
        elif action.pick == "random":
            chosen = [refs[self.rng.randrange(len(refs))]]
        else:
            chosen = [refs[(n - 1) % len(refs)]]
        outcomes = []
        for ref in chosen:
            fields = {"n": n, "port": ref.port, "t": int(device.now())}
            texts = [action.text] if isinstance(action.text, str) else action.text
            text = texts[(n - 1) % len(texts)] if texts else ""
            try:
                inbox_id = device.inbound.receive(
                    ref.port,
                    ref.slot,
                    action.sender.format(**fields),
                    text.format(**fields),
                    action.recipient,
                )
                outcomes.append("held" if inbox_id is None else f"received #{inbox_id}")
            except ValueError as exc:
                outcomes.append(f"refused: {exc}")
        return ", ".join(outcomes)

    def _sim(self, action: SimAction) -> str:
        device = self.dev.device
        params: dict[str, object] = {}
        if action.value is not None:
            params["value"] = action.value
        if action.amount is not None:
            params["amount"] = action.amount
        done, refused = 0, []
        for ref in self.dev.names.parse_list(action.slots):
            slots = [ref.slot] if ref.slot else range(1, len(device.port(ref.port).slots) + 1)
            for slot in slots:
                try:
                    device.sim_event(type(ref)(ref.port, slot), action.event, params)
                    done += 1
                except ValueError as exc:
                    refused.append(f"{self.dev.names.format(ref.port, slot)}: {exc}")
        if refused and not done:
            raise ValueError("; ".join(refused[:3]))
        return f"{action.event} on {done} slot(s)" + (
            f", {len(refused)} refused" if refused else ""
        )
