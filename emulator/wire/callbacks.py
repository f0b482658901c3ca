"""Status documents of spec 4 as pydantic models, and their rendering from core events.

Field order and names follow example 6.4.1 (what real firmware prints); the
table's `max-slots` is sent beside the example's `max-slot` (INTERPRETATION.md).
"""

from __future__ import annotations

import base64
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from emulator.core.events import (
    Callback,
    DevStatus,
    PortStatus,
    ReceivedSms,
    RecvSms,
    SlotSnapshot,
    StatusReport,
    TaskReport,
)
from emulator.profile import Quirks
from emulator.wire.ports import PortNames


class _Doc(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)


class StatusEntry(_Doc):
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


class DevStatusDoc(_Doc):
    type: str = "dev-status"
    seq: int
    expires: int
    mac: str
    ip: str
    ver: str
    max_ports: int = Field(alias="max-ports")
    max_slot: int = Field(alias="max-slot")
    max_slots: int = Field(alias="max-slots")
    status: list[StatusEntry]


class PortStatusDoc(_Doc):
    type: str = "port-status"
    port: str
    seq: int
    st: int
    status: str
    bal: str
    opr: str
    sn: str
    imei: str
    imsi: str
    iccid: str
    sig: int


def _entry(snap: SlotSnapshot, names: PortNames) -> StatusEntry:
    return StatusEntry(
        port=names.format(snap.port, snap.slot),
        sim=snap.sn,
        seq=snap.port_seq,
        st=int(snap.state),
        imei=snap.imei,
        iccid=snap.iccid,
        imsi=snap.imsi,
        sn=snap.sn,
        opr=snap.opr,
        bal=f"{snap.bal:.2f}",
        sig=snap.sig,
        tot_dur=snap.tot_dur,
        mon_dur=snap.mon_dur,
        day_dur=snap.day_dur,
    )


def dev_status_doc(event: DevStatus, names: PortNames) -> DevStatusDoc:
    ident = event.identity
    return DevStatusDoc(
        seq=event.seq,
        expires=event.expires,
        mac=ident.mac,
        ip=ident.ip,
        ver=ident.firmware,
        max_ports=ident.max_ports,
        max_slot=ident.max_slots,
        max_slots=ident.max_slots,
        status=[_entry(s, names) for s in event.entries],
    )


def port_status_doc(event: PortStatus, names: PortNames) -> PortStatusDoc:
    snap = event.snapshot
    return PortStatusDoc(
        port=names.format(snap.port, snap.slot),
        seq=event.seq,
        st=int(snap.state),
        status=str(snap.state),
        bal=f"{snap.bal:.2f}",
        opr=snap.opr,
        sn=snap.sn,
        imei=snap.imei,
        imsi=snap.imsi,
        iccid=snap.iccid,
        sig=snap.sig,
    )


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
    if isinstance(event, DevStatus):
        return dev_status_doc(event, names).model_dump(by_alias=True)
    if isinstance(event, PortStatus):
        return port_status_doc(event, names).model_dump(by_alias=True)
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
