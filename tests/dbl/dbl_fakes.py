"""Fakes for a DBL line: a radio on the virtual clock, a recording emit and journal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.clock import VirtualClock
from emulator.dbl.line import DblLine, LineConfig
from emulator.dbl.ports import JournalEvent, ModuleStatus, SendResult, UdpEvent

SERVER = ("127.0.0.1", 44444)
CLIENT = ("127.0.0.1", 50000)
START = 1_767_225_600.0  # 2026-01-01T00:00:00Z, the default virtual start


@dataclass
class FakeRadio:
    """Sends take `latency` s of virtual time; `fail` makes the next sends fail with a code."""

    clock: VirtualClock
    latency: float = 2.0
    registered: bool = True
    in_call: bool = False
    imei: str = "867495023958126"
    fail: list[str] = field(default_factory=list)
    sent: list[tuple[int, str, str]] = field(default_factory=list)
    effects: list[tuple[str, int]] = field(default_factory=list)

    def can_send(self, line: int) -> bool:
        return self.registered

    def status(self, line: int) -> ModuleStatus:
        if not self.registered:
            return ModuleStatus(imei=self.imei)
        return ModuleStatus(
            registered=True,
            signal=24,
            imei=self.imei,
            imsi="460011234567890",
            iccid="89860112345678901234",
            operator="CHINA UNICOM",
            in_call=self.in_call,
        )

    def send_sms(
        self, line: int, number: str, text: str, done: Callable[[SendResult], None]
    ) -> None:
        self.sent.append((line, number, text))
        result = SendResult(False, self.fail.pop(0)) if self.fail else SendResult(True)
        self.clock.call_later(self.latency, lambda: done(result))

    def ussd_reply(self, line: int, code: str) -> str:
        return "Your balance is 12.50"

    def drop_call(self, line: int) -> None:
        self.effects.append(("drop_call", line))

    def reboot_module(self, line: int) -> None:
        self.effects.append(("reboot_module", line))

    def reboot_device(self) -> None:
        self.effects.append(("reboot_device", 0))

    def set_enabled(self, line: int, enabled: bool) -> None:
        self.effects.append(("enabled" if enabled else "disabled", line))

    def set_imei(self, line: int, imei: str) -> None:
        self.imei = imei
        self.effects.append(("set_imei", line))


@dataclass
class Rig:
    clock: VirtualClock
    radio: FakeRadio
    line: DblLine
    wire: list[tuple[bytes, tuple[str, int]]]
    journal: list[JournalEvent]

    def take(self) -> list[bytes]:
        """The datagrams sent since the last take."""
        out = [data for data, _ in self.wire]
        self.wire.clear()
        return out

    def send(self, data: bytes, addr: tuple[str, int] = CLIENT) -> list[bytes]:
        """Deliver `data` to the line; what it answered at once."""
        self.line.datagram_received(data, addr)
        return self.take()

    def udp(self, **match: object) -> list[UdpEvent]:
        return [
            e
            for e in self.journal
            if isinstance(e, UdpEvent) and all(getattr(e, k) == v for k, v in match.items())
        ]


def make_rig(start: bool = False, **config: object) -> Rig:
    clock = VirtualClock(START)
    radio = FakeRadio(clock)
    wire: list[tuple[bytes, tuple[str, int]]] = []
    journal: list[JournalEvent] = []
    cfg = LineConfig(line=1, server=SERVER, **config)  # type: ignore[arg-type]
    line = DblLine(cfg, clock, radio, lambda d, a: wire.append((d, a)), journal.append)
    if start:
        line.start()
    return Rig(clock, radio, line, wire, journal)
