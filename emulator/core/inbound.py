"""Received SMS and delivery reports: the recv-sms push buffer and the inbox (spec 7, 8).

An SMS is addressed to a SIM. It arrives when that SIM is its port's current SIM
and registered; otherwise the network holds it, as an SMSC does, and delivers it
when that SIM next registers. A slot with no SIM has no subscriber: the SMS is
refused. What arrives is counted ("received"), kept in the inbox (ids from 1 in
arrival order, bounded by `inbox.capacity`, the oldest dropped and counted) and
pushed to `sms_url`: each on arrival when `sms_cnt` <= 1, else buffered until
`sms_cnt` entries wait or `sms_prd` seconds pass (spec 6.3.1.3 sms_cnt/sms_prd).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from emulator.core.batch import Batch
from emulator.core.events import ReceivedSms, RecvSms
from emulator.core.sim import REGISTERED

if TYPE_CHECKING:
    from emulator.core.context import EngineContext
    from emulator.core.slots import Port


class NotReceived(ValueError):
    """An SMS the device cannot receive at `port`/`slot`; `why` says why (the edge names
    the slot in its own port format)."""

    def __init__(self, port: int, slot: int, why: str) -> None:
        self.port, self.slot, self.why = port, slot, why
        super().__init__(f"port {port} slot {slot} {why}")


@dataclass(frozen=True, slots=True)
class Stored:
    id: int
    sms: ReceivedSms


def scts(ts: float, utc_offset: float) -> str:
    """Service-centre time stamp as the GSM network writes it: yyMMddhhmmss+zz (quarters)."""
    local = datetime.fromtimestamp(ts, UTC) + timedelta(seconds=utc_offset)
    quarters = int(utc_offset // 900)
    sign = "+" if quarters >= 0 else "-"
    return f"{local:%y%m%d%H%M%S}{sign}{abs(quarters):02d}"


class Inbound:
    """What a device receives."""

    def __init__(self, ctx: EngineContext, inbox_changed: Callable[[], None]) -> None:
        self.ctx = ctx
        self._inbox_changed = inbox_changed  # flash holds the inbox on some devices
        self.inbox: deque[Stored] = deque()
        self.next_id = 1
        self.dropped = 0
        self.held: dict[tuple[int, int], list[ReceivedSms]] = {}  # by the network, per SIM
        self.pending: Batch[ReceivedSms] = Batch(
            ctx.later, lambda: (ctx.settings.sms_cnt, ctx.settings.sms_prd), self._emit
        )
        self.utc_offset = ctx.config.device.utc_offset
        # Told of each SMS or report as it is stored (a personality that pushes each one
        # itself, as DBL's RECEIVE does); None: nobody listens.
        self.listener: Callable[[ReceivedSms], None] | None = None

    # -- arrival -------------------------------------------------------------------

    def receive(
        self,
        port: int,
        slot: int | None,
        sender: str,
        text: str,
        recipient: str | None = None,
        ts: float | None = None,
    ) -> int | None:
        """An SMS for the SIM in `port`/`slot` (current slot when None).

        Returns its inbox id, or None when the network holds it until that SIM
        registers. Raises NotReceived when the slot has no SIM.
        """
        target = self.ctx.ports[port - 1]
        index = slot or target.current
        card = target.slots[index - 1].card
        if card is None:
            raise NotReceived(port, index, "has no SIM: nobody to deliver to")
        when = self.ctx.now() if ts is None else ts
        sms = ReceivedSms(
            flag=0,
            port=port,
            slot=index,
            ts=when,
            sender=sender,
            recipient=recipient or card.number,
            text=text,
            smsc=card.smsc,
            scts=scts(when, self.utc_offset),
        )
        return self._arrive(target, sms)

    def schedule_delivery_report(self, port: int, slot: int, recipient: str) -> None:
        """dr=1: the network reports delivery of a sent message later (spec 7.2.3)."""
        sending = self.ctx.config.sending
        delay = self.ctx.draw(sending.delivery_delay)
        failed = sending.delivery_failure_rate > 0 and (
            self.ctx.rng.random() < sending.delivery_failure_rate
        )

        def arrive() -> None:
            target = self.ctx.ports[port - 1]
            card = target.slots[slot - 1].card
            now = self.ctx.now()
            code = 1 if failed else 0
            stamp = scts(now, self.utc_offset)
            report = ReceivedSms(
                flag=1,
                port=port,
                slot=slot,
                ts=now,
                sender=card.smsc if card else "",
                recipient=recipient,
                text=f"{code} {stamp}",
                smsc=card.smsc if card else "",
                scts=stamp,
            )
            self._arrive(target, report)

        self.ctx.later(delay, arrive)

    def _arrive(self, port: Port, sms: ReceivedSms) -> int | None:
        slot = port.slots[sms.slot - 1]
        if port.current != sms.slot or slot.state not in REGISTERED:
            self.held.setdefault((port.number, sms.slot), []).append(sms)
            return None
        return self._store(sms)

    def port_changed(self, port: Port) -> None:
        """A SIM that registers gets what the network held for it, in order."""
        key = (port.number, port.current)
        if key in self.held and port.slot.state in REGISTERED:
            for sms in self.held.pop(key):
                self._store(sms)

    def _store(self, sms: ReceivedSms) -> int:
        if sms.flag == 0:
            self.ctx.stats.add(sms.port, sms.slot, "received")
        stored = Stored(self.next_id, sms)
        self.next_id += 1
        self.inbox.append(stored)
        if len(self.inbox) > self.ctx.config.inbox.capacity:
            self.inbox.popleft()
            self.dropped += 1
        self._inbox_changed()
        self._push(sms)
        if self.listener is not None:
            self.listener(sms)
        return stored.id

    # -- recv-sms push (spec 7) ---------------------------------------------------------

    def _push(self, sms: ReceivedSms) -> None:
        self.pending.add(sms)

    def _emit(self, batch: tuple[ReceivedSms, ...]) -> None:
        url = self.ctx.settings.sms_url
        if url:
            self.ctx.outbox.emit(RecvSms(url=url, sms=batch))

    # -- the inbox (spec 8) ---------------------------------------------------------------

    def query(self, sms_id: int, sms_num: int, delete: bool) -> tuple[list[Stored], int]:
        """Entries from id `sms_id` on (all when sms_num is 0), and the next id to ask for."""
        found: list[Stored] = []
        for stored in self.inbox:
            if stored.id < sms_id:
                continue
            found.append(stored)
            if sms_num and len(found) >= sms_num:
                break
        # Nothing new: ask again from the same place (never past the next id to come).
        next_sms = found[-1].id + 1 if found else min(sms_id, self.next_id)
        if delete and found:
            gone = {s.id for s in found}
            self.inbox = deque(s for s in self.inbox if s.id not in gone)
            self._inbox_changed()
        return found, next_sms

    def restore(self, kept: tuple[Stored, ...], next_id: int) -> None:
        """The inbox read back from flash at a boot, the newest `capacity` entries."""
        self.inbox = deque(kept[-self.ctx.config.inbox.capacity :])
        self.next_id = max(next_id, self.inbox[-1].id + 1 if self.inbox else 1)

    def reboot(self) -> None:
        """RAM is lost; the inbox survives only where the device stores it in flash."""
        self.pending.clear()
        if not self.ctx.config.device.keeps_inbox_on_reboot:
            self.inbox.clear()
