"""A DBL GoIP device served: its lines on the shared device model, one UDP socket each.

`Dbl` is the gateway's personality for a DBL profile (DBL-GOIP.md 1, 2, 8): it builds a
`DblLine` per line from the profile's `dbl:` section, gives each the device as a
`Radio` (`DeviceRadio`: the SIM of the line's one slot, sending through the device's
SMS engine), the gateway's journal (kind `udp` and `device`) and a socket
(`emulator/transport/udp.py`). SMS the device stores are pushed as RECEIVE; the
EJOIN callbacks of the device model are not delivered (nothing of EJOIN is served).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import structlog

from emulator.config.dbl import DblSpec
from emulator.config.ports import PortNames
from emulator.config.profile import Profile
from emulator.core.calls import NORMAL
from emulator.core.codes import SimState, TaskStatus
from emulator.core.device import Device, Port
from emulator.core.events import Callback, ReceivedSms
from emulator.core.ports import PortRef
from emulator.core.sim import REGISTERED
from emulator.core.tasks import CAN_SEND, Message, TaskSpec
from emulator.dbl.edge import FaultEdge
from emulator.dbl.line import DblLine, LineConfig
from emulator.dbl.ports import (
    Addr,
    JournalEvent,
    LoginEvent,
    ModuleStatus,
    SendResult,
    SmsReceivedEvent,
    SmsSentEvent,
    Timers,
    UdpEvent,
    UssdEvent,
)
from emulator.dbl.protocol import COMMAND_ARITY, RemainState
from emulator.record.journal import Journal
from emulator.transport.faults import Faults
from emulator.transport.udp import UdpEndpoint, open_udp

log = structlog.get_logger("emulator")

# HANGUP's cause when svr_drop_call ends the call (DBL-GOIP.md 6; docs/decisions.md).
DROP_CAUSE = "svr_drop_call"

# An SMS of the bulk protocol waits on its line for as long as it takes: the line sends
# one at a time and answers each, so the HTTP task timeout (30 s) has no meaning here.
SEND_TIMEOUT = 24 * 3600.0


class UdpBindError(OSError):
    """A line's local UDP port cannot be bound; the message names the line and port."""


def line_configs(spec: DblSpec, ports: int) -> list[LineConfig]:
    """The `dbl:` section as each line of a `ports`-line device applies it."""
    server = spec.address
    made = []
    for n in range(1, ports + 1):
        over = spec.lines.get(n)
        made.append(
            LineConfig(
                line=n,
                server=server,
                client_id=(over and over.client_id) or spec.client_id.format(line=n),
                client_password=(
                    over.client_password
                    if over and over.client_password is not None
                    else spec.client_password
                ),
                num=(over.num if over and over.num is not None else ""),
                keepalive_period=spec.keepalive_period,
                first_keepalive=spec.first_keepalive,
                retransmit_interval=spec.retransmit_interval,
                retransmit_max=spec.retransmit_max,
                session_idle=spec.session_idle,
                max_sessions=spec.max_sessions,
                delivery_reports=spec.delivery_reports,
                delivery_delay=spec.delivery_delay,
                send_error_code=spec.send_error_code,
                ussd_latency=spec.ussd_latency,
                ussd_replies=tuple(spec.ussd_replies.items()),
                part_gap=spec.part_gap,
                lac=spec.lac,
                cell_id=spec.cell_id,
                send_smsc=spec.quirks.send_smsc,
                msg_length=spec.quirks.msg_length,
                resend_duplicates=spec.quirks.resend_duplicates,
            )
        )
    return made


class DeviceRadio:
    """`dbl.ports.Radio` over the shared device model: line n is port n, slot 1."""

    def __init__(
        self, device: Callable[[], Device], timers: Timers, reboot: Callable[[], None]
    ) -> None:
        self._device = device  # the gateway's current device: a reset makes a new one
        self._timers = timers
        self._reboot = reboot
        self._waiting: dict[int, Callable[[SendResult], None]] = {}
        self._next_tid = 0
        # Since when each line is idle (the keepalive's `idle`): boot, then each call's end.
        self._idle_since: dict[int, float] = {}
        self._booted = timers.now()

    def booted(self) -> None:
        """The device (re)booted: every line is idle from now."""
        self._booted = self._timers.now()
        self._idle_since.clear()

    def call_ended(self, line: int) -> None:
        self._idle_since[line] = self._timers.now()

    def listen(self, device: Device) -> None:
        """Hear the (new) device's sends end; what the old one had on the air is void."""
        self._waiting.clear()
        device.sending.listener = self._message_done

    def _message_done(self, message: Message, ok: bool) -> None:
        done = self._waiting.pop(message.task.tid, None)
        if done is not None:
            done(SendResult(ok, "", message.parts))

    def can_send(self, line: int) -> bool:
        device = self._device()
        return device.unavailable_until is None and device.ports[line - 1].slot.state in CAN_SEND

    def status(self, line: int) -> ModuleStatus:
        device = self._device()
        slot = device.ports[line - 1].slot
        card = slot.card
        registered = device.unavailable_until is None and slot.state in REGISTERED
        in_call = slot.state is SimState.IN_CALL
        since = self._idle_since.get(line, self._booted)
        return ModuleStatus(
            registered=registered,
            signal=(card.signal if registered else 99) if card else None,
            imei=device.imei(line),
            imsi=card.imsi if card else "",
            iccid=card.iccid if card else "",
            operator=card.operator if card else "",  # the SIM's, registered or not
            in_call=in_call,
            idle_minutes=0 if in_call else int((self._timers.now() - since) // 60),
        )

    def send_sms(
        self, line: int, number: str, text: str, done: Callable[[SendResult], None]
    ) -> None:
        device = self._device()
        tid = self._tid(device)
        spec = TaskSpec(
            tid=tid, recipients=[number], text=text, sms=text, from_text=str(line),
            ports=[line], tmo=SEND_TIMEOUT, fdr=False, sr_prd=0,
        )  # fmt: skip
        if device.unavailable_until is not None or device.sending.check(spec, set()) != (
            TaskStatus.OK
        ):
            # Refused before the air (SIM fell out, device full): failed, reported later
            # as the Radio promises, never inside the call that asked.
            self._timers.call_later(0, lambda: done(SendResult(False)))
            return
        self._waiting[tid] = done
        device.sending.submit(spec)

    def _tid(self, device: Device) -> int:
        self._next_tid += 1
        while self._next_tid in device.sending.tasks:
            self._next_tid += 1
        return self._next_tid

    def ussd_reply(self, line: int, code: str) -> str:
        card = self._device().ports[line - 1].slot.card
        return f"Your balance is {card.balance:.2f}" if card else "Your balance is 0.00"

    def drop_call(self, line: int) -> None:
        # The HANGUP push follows from the line's state change, with this cause.
        ended = self._device().calls.hang_up(line, DROP_CAUSE)
        log.info("dbl_drop_call", line=line, ended=ended)

    def reboot_module(self, line: int) -> None:
        self._device().reset([PortRef(line)])

    def reboot_device(self) -> None:
        self._reboot()

    def set_enabled(self, line: int, enabled: bool) -> None:
        device = self._device()
        if enabled:
            device.unlock([PortRef(line, 1)])
        else:
            device.lock([PortRef(line, 1)])

    def set_imei(self, line: int, imei: str) -> None:
        # The module's IMEI is a running setting of the device (EJOIN's imei(n) too).
        self._device().set_settings({f"imei({line - 1})": imei})


def remain_state(state: SimState) -> RemainState:
    """`gsm_remain_state` of a line whose SIM is in `state` (DBL-GOIP.md 4, STATE)."""
    if state is SimState.IN_CALL:
        return "BUSY"
    return "IDLE" if state in REGISTERED else "LOGOUT"


_FIELD_PASSWORD = re.compile(r";(pass|password):[^;]*")


def scrub_datagram(event: UdpEvent) -> str:
    """The datagram's text with its password replaced by *** (credentials never reach
    the journal): `pass:`/`password:` of keepalives and pushes (the first one: an SMS text
    after it is left alone), the field of PASSWORD, of USSD (second) and of commands (last)."""
    text = event.text
    if event.dir == "out":
        return _FIELD_PASSWORD.sub(r";\1:***", text, count=1)
    words = text.split(" ")
    if event.type == "PASSWORD" and len(words) >= 3:
        return " ".join([*words[:2], "***"])
    if event.type in ("USSD", "USSDEXIT") and len(words) >= 3:
        return " ".join([*words[:2], "***", *words[3:]])
    if event.type in COMMAND_ARITY and len(words) >= 3:
        end = "\n" if text.endswith("\n") else ""
        return " ".join([*words[:-1], "***"]) + end
    return text


def _peer(addr: Addr) -> str:
    host, port = addr
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class JournalWriter:
    """`dbl.ports.Journal` onto the gateway's journal (DBL-GOIP.md 8)."""

    def __init__(self, journal: Callable[[], Journal], device: str) -> None:
        self._journal = journal
        self._log = log.bind(device=device)

    def __call__(self, event: JournalEvent) -> None:
        journal = self._journal()
        if isinstance(event, UdpEvent):
            journal.record(
                "udp", event.type, dir=event.dir, line=event.line, peer=_peer(event.peer),
                text=scrub_datagram(event), outcome=event.outcome, reason=event.reason,
            )  # fmt: skip
        elif isinstance(event, SmsSentEvent):
            journal.record("device", "sms_sent", **asdict(event))
        elif isinstance(event, SmsReceivedEvent):
            journal.record("device", "sms_received", **asdict(event))
        elif isinstance(event, UssdEvent):
            journal.record("device", "ussd", **asdict(event))
        elif isinstance(event, LoginEvent):
            journal.record("device", "sms_login", **asdict(event))
            self._log.info(
                "dbl_sms_login", line=event.line, sms_login=event.sms_login, reason=event.reason
            )


class Dbl:
    """The DBL personality of one gateway: port names, its lines, their sockets."""

    def __init__(self, profile: Profile, index: int = 0) -> None:
        spec = profile.device
        self.names = PortNames(spec.ports, spec.slots, profile.quirks.port_format)
        self.spec = profile.dbl
        self.index = index
        self.configs = line_configs(profile.dbl, spec.ports)
        self.lines: list[DblLine] = []
        self.sockets: dict[int, UdpEndpoint] = {}
        self._device: Callable[[], Device] | None = None
        self._states: list[RemainState] = []
        self._journal: Callable[[], Journal] | None = None

    # --- the gateway's Personality ----------------------------------------------------

    def render(self, event: Callback) -> dict[str, Any]:
        return {}  # never asked: `deliver` takes every event

    def deliver(self, event: Callback) -> bool:
        """The device model's EJOIN callbacks have no DBL form: none goes out over HTTP."""
        return True

    # --- wiring --------------------------------------------------------------------------

    def bind(
        self, device: Callable[[], Device], timers: Timers, journal: Callable[[], Journal],
        name: str,
    ) -> None:  # fmt: skip
        """Build the lines over the gateway's (current) device, clock and journal."""
        self._device = device
        self._journal = journal
        self.radio = DeviceRadio(device, timers, self._reboot_device)
        writer = JournalWriter(journal, name)
        self.edge = FaultEdge(timers, writer)
        self.lines = [
            DblLine(cfg, timers, self.radio, self._emitter(cfg.line), writer)
            for cfg in self.configs
        ]
        self.attach(device())

    def attach(self, device: Device) -> None:
        """A (new) device: its stored SMS become RECEIVE pushes, its sends answer the lines,
        its line states become STATE pushes (and a call's RECORD, HANGUP, REMAIN)."""
        self.radio.listen(device)
        self.radio.booted()
        device.inbound.listener = self._received
        device.port_listeners.append(self._port_changed)
        device.power_listener = self._power
        self._states = [remain_state(port.slot.state) for port in device.ports]

    def _port_changed(self, port: Port) -> None:
        if not 1 <= port.number <= len(self._states):
            return
        device = self._device() if self._device is not None else None
        if device is not None and device.unavailable_until is not None:
            return  # powered off: nothing is said, and the boot starts from LOGOUT
        old, new = self._states[port.number - 1], remain_state(port.slot.state)
        self._states[port.number - 1] = new
        if old == "BUSY" and new != "BUSY":
            self.radio.call_ended(port.number)
        if old == new or not self.sockets:
            return  # no change, or the lines are not up yet: nobody to tell
        line = self.lines[port.number - 1]
        call = device.calls.call(port.number) if device is not None else None
        number = call.number if call is not None else ""
        if new == "BUSY":  # a call placed from the line (the control API's calls)
            line.push_record(2, number)
            line.push_state(new)
        elif old == "BUSY":
            line.push_hangup(number, call.cause if call is not None and call.cause else NORMAL)
            line.push_remain(line.remain_time)
            line.push_state(new)
        else:
            line.push_state(new)

    def use_faults(self, faults: Faults) -> None:
        """The gateway's fault rules: its UDP ones apply at the lines' sockets."""
        self.edge.faults = faults

    def _emitter(self, line: int) -> Callable[[bytes, Addr], None]:
        def send(data: bytes, addr: Addr) -> None:
            sock = self.sockets.get(line)
            if sock is not None:
                sock.send(data, addr)

        def emit(data: bytes, addr: Addr) -> None:
            self.edge.out(line, data, addr, send)

        return emit

    def _received(self, sms: ReceivedSms) -> None:
        if sms.flag == 0 and 1 <= sms.port <= len(self.lines):
            self.lines[sms.port - 1].receive_sms(sms.sender, sms.text, sms.smsc)

    def _datagram(self, line: DblLine) -> Callable[[bytes, Addr], None]:
        def rebooting() -> bool:
            device = self._device() if self._device is not None else None
            return device is not None and device.unavailable_until is not None

        def deliver(data: bytes, addr: Addr) -> None:
            if not rebooting():  # a datagram a UDP fault delayed may find it rebooting
                line.datagram_received(data, addr)

        def received(data: bytes, addr: Addr) -> None:
            if rebooting():
                return  # the device hears nothing (DBL-GOIP.md 6, svr_reboot_dev)
            self.edge.into(line.line, data, addr, deliver)

        return received

    def local_port(self, line: int) -> int:
        if self.spec.local_port == 0:
            return 0
        return self.spec.local_port + self.index * len(self.configs) + line - 1

    async def open(self, host: str) -> None:
        """Bind every line's socket, then start the lines (first keepalive 1 s later)."""
        for line in self.lines:
            port = self.local_port(line.line)
            try:
                sock = await open_udp(host, port, self._datagram(line), f"line {line.line}")
            except OSError as exc:
                self.close()
                why = exc.strerror or str(exc)
                raise UdpBindError(
                    exc.errno, f"line {line.line}: cannot bind UDP {host}:{port}: {why}"
                ) from None
            self.sockets[line.line] = sock
        for line in self.lines:
            line.start()

    def close(self) -> None:
        self.edge.cancel()
        for line in self.lines:
            line.stop()
        for sock in self.sockets.values():
            sock.close()
        self.sockets.clear()

    def reset(self, device: Device) -> None:
        """Control API reset: a new device; sessions closed, pushes dropped, counters from 1."""
        self.attach(device)
        self.edge.cancel()
        if self.sockets:
            for line in self.lines:
                line.reset()

    def _reboot_device(self) -> None:
        assert self._device is not None
        self._device().reboot()  # `_power` follows, as for any other reboot

    def _power(self, on: bool) -> None:
        """A reboot, whoever asked (svr_reboot_dev, op=reboot, a scenario): the lines fall
        silent with the device, and start again (keepalives from 1) when it has booted."""
        if not self.sockets:
            return
        device = self._device() if self._device is not None else None
        if device is not None:
            self.radio.listen(device)  # what was on the air is lost with the RAM
        if not on:
            self._states = ["LOGOUT"] * len(self.lines)  # the module is off
            self.edge.cancel()
        if on:
            self.radio.booted()
        for line in self.lines:
            if on:
                line.reset()
            else:
                line.stop()

    # --- /_emulator/state ----------------------------------------------------------------

    def state(self) -> dict[str, object]:
        lines = []
        for line in self.lines:
            snap = asdict(line.snapshot())
            snap["server"] = _peer(line.config.server)
            sock = self.sockets.get(line.line)
            snap["local_port"] = sock.local_port if sock is not None else None
            lines.append(snap)
        return {"dbl": lines}

    def metrics(self) -> list[str]:
        """Prometheus lines for /_emulator/metrics: datagrams by type and outcome, and
        per line its login, keepalives sent and pushes awaiting an ack."""
        out: list[str] = []
        counts = self._journal().counts if self._journal is not None else {}
        snaps = [line.snapshot() for line in self.lines]
        families: list[tuple[str, str, str, list[tuple[str, object]]]] = [
            (
                "goip_udp_datagrams_total", "counter",
                "DBL datagrams in and out, by keyword and outcome.",
                [
                    (f'{{type="{t}",outcome="{o}"}}', n)
                    for (k, t, o), n in sorted(counts.items())
                    if k == "udp"
                ],
            ),
            (
                "goip_dbl_sms_login", "gauge", "1 when the line is logged in to its SMS server.",
                [(f'{{line="{s.line}"}}', int(s.sms_login)) for s in snaps],
            ),
            (
                "goip_dbl_keepalives_total", "counter", "Keepalives the line sent since boot.",
                [(f'{{line="{s.line}"}}', s.keepalive_count) for s in snaps],
            ),
            (
                "goip_dbl_pending_pushes", "gauge", "Pushes of the line awaiting their ack.",
                [(f'{{line="{s.line}"}}', len(s.pending)) for s in snaps],
            ),
        ]  # fmt: skip
        for name, kind, help_text, rows in families:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")
            out.extend(f"{name}{labels} {value}" for labels, value in rows)
        return out
