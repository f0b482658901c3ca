"""What the device says happened: callbacks for the push edge to deliver.

Each event carries the URL it goes to and the domain data of one callback
document; `emulator.ejoin.callbacks` renders it to the spec's JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from emulator.core.codes import SimState


@dataclass(frozen=True, slots=True)
class Identity:
    """The device's fixed identity, as dev-status reports it (spec 4.1.3, 6.4.1)."""

    name: str
    mac: str
    ip: str
    firmware: str
    max_ports: int
    max_slots: int


@dataclass(frozen=True, slots=True)
class SlotSnapshot:
    """One status entry (spec 4.1.4, example 6.4.1)."""

    port: int
    slot: int
    state: SimState
    port_seq: int
    imei: str
    iccid: str
    imsi: str
    sn: str
    opr: str
    bal: float
    sig: int
    tot_dur: str
    mon_dur: str
    day_dur: str
    # Skyline's slot facts (EJOIN-EXTRAS, "Skyline"): current, holds a card, enabled, LED.
    active: bool = False
    inserted: bool = False
    slot_active: bool = True
    led: bool = False


@dataclass(frozen=True, slots=True)
class PortStatus:
    """Pushed when the state of a port's current SIM changes (spec 4.1.4)."""

    url: str
    seq: int
    snapshot: SlotSnapshot
    type: str = "port-status"


@dataclass(frozen=True, slots=True)
class DevStatus:
    """The whole device's status, answered and pushed every period (spec 4.1.3)."""

    url: str
    seq: int
    expires: int
    identity: Identity
    entries: tuple[SlotSnapshot, ...]
    type: str = "dev-status"


class Outbox:
    """Events waiting for the push edge; `listener` is told of each one as it arrives."""

    __slots__ = ("_items", "listener")

    def __init__(self) -> None:
        self._items: list[Callback] = []
        self.listener: Callable[[Callback], None] | None = None

    def emit(self, event: Callback) -> None:
        if self.listener is not None:
            self.listener(event)
        else:
            self._items.append(event)

    def drain(self) -> list[Callback]:
        items, self._items = self._items, []
        return items

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True, slots=True)
class TaskReport:
    """One entry of a status report (spec 6.3.2.3): totals, and records since the last one."""

    tid: int
    sending: int
    sent: int
    failed: int
    unsent: int
    sdr: tuple[tuple[int, str, int, int, float], ...] | None  # index, number, port, slot, ts
    fdr: tuple[tuple[int, str, int, int, float, str, str], ...] | None  # ... program, operator


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Buffered task reports, pushed to sr_url (spec 6.3.2)."""

    url: str
    rpts: tuple[TaskReport, ...]
    type: str = "status-report"


@dataclass(frozen=True, slots=True)
class ReceivedSms:
    """A received SMS or a delivery report (spec 7.2.3): one entry of recv-sms and the inbox."""

    flag: int  # 0 a received SMS, 1 a delivery report
    port: int
    slot: int
    ts: float
    sender: str
    recipient: str
    text: str  # the SMS text, or "<code> <scts>" for a delivery report
    smsc: str = ""
    scts: str = ""  # the service-centre time stamp, yyMMddhhmmss+zz


@dataclass(frozen=True, slots=True)
class RecvSms:
    """Received SMS and delivery reports, pushed to sms_url (spec 7)."""

    url: str
    sms: tuple[ReceivedSms, ...]
    type: str = "recv-sms"


Callback = PortStatus | DevStatus | StatusReport | RecvSms
