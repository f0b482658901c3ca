"""The callback and status documents of spec 4, 6.3.2 and 7, rendered from core events.

Field order and names follow example 6.4.1 (what real firmware prints); the
table's `max-slots` is sent beside the example's `max-slot` (INTERPRETATION.md).
"""

from __future__ import annotations

import base64
from typing import Any, NotRequired, TypedDict

from emulator.config.ports import PortNames
from emulator.config.profile import Quirks
from emulator.core.events import (
    Callback,
    DevStatus,
    Identity,
    PortStatus,
    ReceivedSms,
    RecvSms,
    SlotSnapshot,
    StatusReport,
    TaskReport,
)


# TypedDicts: the documents' shapes, typed, at no cost per request (dev-status is
# answered often and has an entry per port).
class StatusEntry(TypedDict):
    port: str
    sim: str
    seq: int
    st: int
    imei: str
    iccid: str
    imsi: str
    sn: str
    opr: str
    bal: str
    sig: int
    tot_dur: str
    mon_dur: str
    day_dur: str
    # Skyline firmware only (EJOIN-EXTRAS, "Skyline"), as 0/1.
    active: NotRequired[int]
    inserted: NotRequired[int]
    slot_active: NotRequired[int]
    led: NotRequired[int]


class SlotFacts(TypedDict):
    """What Skyline firmware adds to each dev-status entry and port-status."""

    active: int
    inserted: int
    slot_active: int
    led: int


DevStatusHead = TypedDict(
    "DevStatusHead",
    {
        "type": str,
        "seq": int,
        "expires": int,
        "mac": str,
        "ip": str,
        "ver": str,
        "max-ports": int,
        "max-slot": int,
        "max-slots": int,
    },
)


class PortStatusDoc(TypedDict):
    type: str
    port: str
    seq: int
    st: str | int
    status: str
    bal: str
    opr: str
    sn: str
    imei: str
    imsi: str
    iccid: str
    sig: int
    active: NotRequired[int]
    inserted: NotRequired[int]
    slot_active: NotRequired[int]
    led: NotRequired[int]


def slot_facts(snap: SlotSnapshot) -> SlotFacts:
    return {
        "active": int(snap.active),
        "inserted": int(snap.inserted),
        "slot_active": int(snap.slot_active),
        "led": int(snap.led),
    }


def status_entry(snap: SlotSnapshot, names: PortNames, skyline: bool = False) -> StatusEntry:
    entry: StatusEntry = {
        "port": names.format(snap.port, snap.slot),
        "sim": snap.sn,
        "seq": snap.port_seq,
        "st": int(snap.state),
        "imei": snap.imei,
        "iccid": snap.iccid,
        "imsi": snap.imsi,
        "sn": snap.sn,
        "opr": snap.opr,
        "bal": f"{snap.bal:.2f}",
        "sig": snap.sig,
        "tot_dur": snap.tot_dur,
        "mon_dur": snap.mon_dur,
        "day_dur": snap.day_dur,
    }
    if skyline:
        entry.update(slot_facts(snap))
    return entry


def dev_status_head(seq: int, expires: int, ident: Identity) -> DevStatusHead:
    """Everything of dev-status but its entries, in the order of example 6.4.1."""
    return {
        "type": "dev-status",
        "seq": seq,
        "expires": expires,
        "mac": ident.mac,
        "ip": ident.ip,
        "ver": ident.firmware,
        "max-ports": ident.max_ports,
        "max-slot": ident.max_slots,
        "max-slots": ident.max_slots,
    }


def port_status_doc(
    event: PortStatus, names: PortNames, st_code: bool = False, skyline: bool = False
) -> PortStatusDoc:
    """port-status (4.1.4): `st` is the table's text ("3 OK"), which clients split on its
    space; `quirks.port_status_st: code` sends the integer. `status` carries the text."""
    snap = event.snapshot
    doc: PortStatusDoc = {
        "type": "port-status",
        "port": names.format(snap.port, snap.slot),
        "seq": event.seq,
        "st": int(snap.state) if st_code else str(snap.state),
        "status": str(snap.state),
        "bal": f"{snap.bal:.2f}",
        "opr": snap.opr,
        "sn": snap.sn,
        "imei": snap.imei,
        "imsi": snap.imsi,
        "iccid": snap.iccid,
        "sig": snap.sig,
    }
    if skyline:
        doc.update(slot_facts(snap))
    return doc


def report_json(rpt: TaskReport, names: PortNames) -> dict[str, Any]:
    """One entry of `rpts` (6.3.2.3); sdr/fdr only when the task asked for them."""
    doc: dict[str, Any] = {
        "tid": rpt.tid,
        "sending": rpt.sending,
        "sent": rpt.sent,
        "failed": rpt.failed,
        "unsent": rpt.unsent,
    }
    if rpt.sdr is not None:
        doc["sdr"] = [[i, num, names.format(p, s), int(ts)] for i, num, p, s, ts in rpt.sdr]
    if rpt.fdr is not None:
        doc["fdr"] = [
            [i, num, names.format(p, s), int(ts), program, operator]
            for i, num, p, s, ts, program, operator in rpt.fdr
        ]
    return doc


def sms_entry(sms: ReceivedSms, names: PortNames, quirks: Quirks) -> list[Any]:
    """[flag, port, ts, sender, recipient, content] of spec 7.2.3 / 8.2.3.

    A received text travels as base64 of its UTF-8 bytes; a delivery report's
    "<code> <scts>" as plain text. `quirks.recv_sms_headers` puts the header block
    some firmware writes in front of the text before encoding it.
    """
    port = names.format(sms.port, sms.slot)
    if sms.flag == 1:
        content = sms.text
    else:
        text = sms.text
        if quirks.recv_sms_headers:
            dotted = f"{sms.port}.{sms.slot:02d}"
            text = (
                f'Sender: {sms.sender}\r\nReceiver: "{dotted}" {sms.recipient}\r\n'
                f"SMSC: {sms.smsc}\r\nSCTS: {sms.scts}\r\n\r\n{text}"
            )
        content = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return [sms.flag, port, int(sms.ts), sms.sender, sms.recipient, content]


def render(event: Callback, names: PortNames, quirks: Quirks | None = None) -> dict[str, Any]:
    """The JSON body of a callback, as the device POSTs it."""
    skyline = quirks is not None and quirks.firmware == "skyline"
    if isinstance(event, DevStatus):
        head = dev_status_head(event.seq, event.expires, event.identity)
        return {**head, "status": [status_entry(e, names, skyline) for e in event.entries]}
    if isinstance(event, PortStatus):
        st_code = quirks is not None and quirks.port_status_st == "code"
        return dict(port_status_doc(event, names, st_code, skyline))
    if isinstance(event, StatusReport):
        rpts = [report_json(r, names) for r in event.rpts]
        return {"type": "status-report", "rpt_num": len(rpts), "rpts": rpts}
    if isinstance(event, RecvSms):
        quirks = quirks or Quirks()
        doc: dict[str, Any] = {
            "type": "recv-sms",
            "sms_num": len(event.sms),
            "sms": [sms_entry(s, names, quirks) for s in event.sms],
        }
        if quirks.sim_src:
            doc["sim_src"] = 1
        return doc
    raise TypeError(f"no renderer for {type(event).__name__}")
