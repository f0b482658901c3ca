"""What the outside world does to a gateway: written once, called by the control API,
the scenario runner (timed events of a profile's `scenario:`), and so by the CLI verbs and
the dashboard, which go through the control API.

Every action takes port and slot numbers (`PortRef`s) the caller parsed in the
personality's names, and answers in the same terms; a refusal is a ValueError (the
SIM table's `IllegalTransition` is one) whose message says why.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator.config.faults import FaultSpec, UdpFaultSpec
from emulator.config.scenario import CallsAction, ScenarioEvent, SmsAction
from emulator.core.at import port_facts, respond
from emulator.core.calls import Call, CallPlan
from emulator.core.codes import TaskStatus
from emulator.core.device import Device, Slot
from emulator.core.inbound import NotReceived
from emulator.core.ports import PortListError, PortRef
from emulator.core.sim import SIM_EVENTS
from emulator.core.ussd import PortSim, UssdRequest
from emulator.transport.faults import Fault

if TYPE_CHECKING:
    from emulator.gateway import DeviceApp


@dataclass(frozen=True, slots=True)
class SmsOutcome:
    """What became of an SMS the network delivered: received (with its inbox id), held
    by the network until the SIM registers, or refused (with the reason)."""

    outcome: str
    id: int | None = None
    reason: str = ""


def receive_sms(
    dev: DeviceApp,
    ref: PortRef,
    sender: str,
    text: str,
    recipient: str | None = None,
    ts: float | None = None,
) -> SmsOutcome:
    """An SMS arrives on a port's current SIM, or on the named slot's (spec 7)."""
    device = dev.device
    try:
        inbox_id = device.inbound.receive(ref.port, ref.slot, sender, text, recipient, ts)
    except NotReceived as exc:
        return SmsOutcome("refused", reason=f"{dev.names.format(exc.port, exc.slot)} {exc.why}")
    if inbox_id is None:
        slot = ref.slot or device.ports[ref.port - 1].current
        return SmsOutcome(
            "held",
            reason=f"{dev.names.format(ref.port, slot)} is not registered: the network "
            "holds the SMS until it is",
        )
    return SmsOutcome("received", id=inbox_id)


def _number(params: dict[str, object], name: str, default: float | None = None) -> float | None:
    value = params.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name}: {value!r} is not a number")
    return float(value)


def _text(params: dict[str, object], name: str) -> str | None:
    value = params.get(name)
    return None if value is None else str(value)


def _insert(device: Device, ref: PortRef, params: dict[str, object]) -> Slot:
    return device.insert_sim(
        ref,
        imsi=_text(params, "imsi"),
        iccid=_text(params, "iccid"),
        number=_text(params, "number"),
        operator=_text(params, "operator"),
        balance=_number(params, "balance"),
    )


def _topup(device: Device, ref: PortRef, params: dict[str, object]) -> Slot:
    amount = _number(params, "amount", 100.0)
    assert amount is not None
    return device.topup(ref, amount)


def _signal(device: Device, ref: PortRef, params: dict[str, object]) -> Slot:
    value = params.get("value")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"value: signal must be a whole number 0-31, got {value!r}")
    return device.set_signal(ref, value)


def _plain(method: Callable[[Device, PortRef], Slot]) -> SimEventCall:
    return lambda device, ref, params: method(device, ref)


SimEventCall = Callable[[Device, PortRef, dict[str, object]], Slot]
# Each SIM event's name (core/sim.py: SIM_EVENTS) to the device's typed method, its
# parameters read here: a loose dict never crosses into the core.
SIM_EVENT_CALLS: dict[str, SimEventCall] = {
    "insert": _insert,
    "remove": _plain(Device.remove_sim),
    "block": _plain(Device.block),
    "unblock": _plain(Device.unblock),
    "no_balance": _plain(Device.no_balance),
    "topup": _topup,
    "register_fail": _plain(Device.register_fail),
    "register_ok": _plain(Device.register_ok),
    "read_error": _plain(Device.read_error),
    "read_ok": _plain(Device.read_ok),
    "signal": _signal,
    "lock": _plain(Device.lock_slot),
    "unlock": _plain(Device.unlock_slot),
    "module_timeout": _plain(Device.module_timeout),
    "module_ok": _plain(Device.module_ok),
}
assert tuple(SIM_EVENT_CALLS) == SIM_EVENTS


def sim_event(dev: DeviceApp, ref: PortRef, event: str, params: dict[str, object]) -> Slot:
    """Something happens to the SIM in one slot (remove, block, topup...)."""
    call = SIM_EVENT_CALLS.get(event)
    if call is None:
        raise ValueError(f"unknown SIM event {event!r}; known: {', '.join(SIM_EVENTS)}")
    return call(dev.device, ref, params)


def sim_events(
    dev: DeviceApp, refs: list[PortRef], event: str, params: dict[str, object]
) -> tuple[int, list[str]]:
    """The event on every slot named (a port alone names each of its slots): how many
    took it, and why the others refused."""
    device = dev.device
    done, refused = 0, []
    for ref in refs:
        slots = [ref.slot] if ref.slot else range(1, len(device.port(ref.port).slots) + 1)
        for slot in slots:
            try:
                sim_event(dev, PortRef(ref.port, slot), event, params)
                done += 1
            except ValueError as exc:
                refused.append(f"{dev.names.format(ref.port, slot)}: {exc}")
    return done, refused


def calls_of(dev: DeviceApp, action: CallsAction) -> tuple[list[PortRef], CallPlan]:
    """The ports and plan a calls action names; a `peer` is one other port of the device
    (PortListError or ValueError naming the field otherwise)."""
    names = dev.names
    try:
        refs = names.parse_list(action.port)
    except PortListError as exc:
        raise PortListError(f"port: {exc}") from None
    peer = None
    if action.peer is not None:
        try:
            peer = names.parse_name(action.peer).port
        except PortListError as exc:
            raise PortListError(f"peer: {exc}") from None
        if any(ref.port == peer for ref in refs):
            raise ValueError(f"peer: port {peer} cannot call itself; name another port")
    return refs, action.plan(peer)


def place_calls(dev: DeviceApp, refs: list[PortRef], plan: CallPlan) -> list[int]:
    """Voice calls on each port named (its current SIM), one after another per port."""
    ports = list(dict.fromkeys(ref.port for ref in refs))
    for port in ports:
        dev.device.calls.place(port, plan)
    return ports


def hang_up(dev: DeviceApp, ref: PortRef) -> Call:
    """The user on the port's side ends its call now (cause `hangup`); the call, ended.
    A ValueError when no call is on the air there."""
    calls = dev.device.calls
    call = calls.call(ref.port)
    if call is None or not calls.hang_up(ref.port):
        raise ValueError(f"port {ref.port}: no call on the air")
    return call


# The commands of spec 5 an outside party can run, by name: no getattr on the device.
PORT_COMMANDS: dict[str, Callable[[Device, list[PortRef]], None]] = {
    "lock": Device.lock,
    "unlock": Device.unlock,
    "switch": Device.switch,
    "reset": Device.reset,
    "ledon": Device.led_on,  # skyline firmware (the core refuses it elsewhere)
    "ledoff": Device.led_off,
}


def command(dev: DeviceApp, op: str, refs: list[PortRef]) -> None:
    """lock, unlock, switch or reset on the named ports, or save (spec 5.1.3)."""
    if op == "save":
        dev.device.save()
        return
    run = PORT_COMMANDS.get(op)
    if run is None:
        raise ValueError(f"unknown command {op!r}; known: save, {', '.join(PORT_COMMANDS)}")
    run(dev.device, refs)


def reboot(dev: DeviceApp) -> bool:
    """Reboot the device (cold, spec 5); False when it is already rebooting."""
    device = dev.device
    if device.unavailable_until is not None:
        return False
    device.reboot()
    return True


def add_fault(dev: DeviceApp, spec: FaultSpec | UdpFaultSpec) -> Fault:
    """An HTTP fault on the device API, or a UDP fault on a DBL device's datagrams, from
    now on the device's clock (a ValueError when the device has no such datagrams)."""
    if isinstance(spec, UdpFaultSpec):
        why = spec.problem(dev.profile.device.personality, len(dev.device.ports))
        if why is not None:
            raise ValueError(why)
    return dev.faults.add(spec, dev.runtime.clock.now())


def dial_ussd(dev: DeviceApp, ref: PortRef, code: str, timeout: float, retries: int) -> UssdRequest:
    """A USSD string dialled on a port's current SIM (goip_send_ussd.html's core)."""
    sim = PortSim(dev.device, ref.port, dev.names.format)
    return dev.ussd.send(ref.port, sim, code, timeout=timeout, retries=retries)


def send_at(dev: DeviceApp, ref: PortRef, command: str) -> str | None:
    """One AT command to a port's module; what it prints, None when it is mute."""
    device = dev.device

    def write_imei(imei: str) -> None:
        device.set_settings({f"imei({ref.port - 1})": imei})
        dev.log.info("module_imei_written", port=ref.port, imei=imei)

    facts = port_facts(device, ref.port, dev.profile.device.module.to_info())
    return respond(command, facts, write_imei)


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
        dev = self.dev
        names = dev.names
        if event.sim is not None:
            sim = event.sim
            done, refused = sim_events(dev, names.parse_list(sim.slots), sim.event, sim.params())
            if refused and not done:
                raise ValueError("; ".join(refused[:3]))
            return f"{sim.event} on {done} slot(s)" + (
                f", {len(refused)} refused" if refused else ""
            )
        if event.fault is not None:
            return f"fault #{add_fault(dev, event.fault).id} added"
        if event.command is not None:
            cmd = event.command
            if cmd.op == "save":
                command(dev, "save", [])
                return "saved"
            if cmd.ports is None:
                raise ValueError(f"command {cmd.op} needs ports")
            command(dev, cmd.op, names.parse_list(cmd.ports))
            return f"{cmd.op} {cmd.ports}"
        if event.reboot:
            return "rebooting" if reboot(dev) else "already rebooting"
        if event.sms is not None:
            return self._sms(event.sms, n)
        if event.ussd is not None:
            u = event.ussd
            request = dial_ussd(dev, names.parse_name(u.port), u.code, u.timeout, u.retries)
            if request.answer is None:
                return f"{u.code} on {u.port}: waiting for the network"
            answer = request.answer
            if answer.status != TaskStatus.OK:
                raise ValueError(f"{u.code} on {u.port}: {answer.status}")
            return f"{u.code} on {u.port}: {answer.resp}"
        if event.at_command is not None:
            a = event.at_command
            resp = send_at(dev, names.parse_name(a.port), a.command)
            if resp is None:
                raise ValueError(f"{a.command} on {a.port}: {TaskStatus.TIMEOUT}")
            return f"{a.command} on {a.port}: {resp.strip()}"
        assert event.calls is not None
        ports = place_calls(dev, *calls_of(dev, event.calls))
        return f"{event.calls.count} call(s) on {len(ports)} port(s)"

    def _sms(self, action: SmsAction, n: int) -> str:
        dev = self.dev
        refs = dev.names.parse_list(action.ports)
        if action.pick == "each":
            chosen = refs
        elif action.pick == "random":
            chosen = [refs[self.rng.randrange(len(refs))]]
        else:
            chosen = [refs[(n - 1) % len(refs)]]
        outcomes = []
        for ref in chosen:
            fields = {"n": n, "port": ref.port, "t": int(dev.device.now())}
            texts = [action.text] if isinstance(action.text, str) else action.text
            text = texts[(n - 1) % len(texts)] if texts else ""
            got = receive_sms(
                dev, ref, action.sender.format(**fields), text.format(**fields), action.recipient
            )
            if got.outcome == "received":
                outcomes.append(f"received #{got.id}")
            else:
                outcomes.append(got.outcome if got.outcome == "held" else f"refused: {got.reason}")
        return ", ".join(outcomes)
