"""Status documents of spec 4 as pydantic models, and their rendering from core events.

Field order and names follow example 6.4.1 (what real firmware prints); the
table's `max-slots` is sent beside the example's `max-slot` (INTERPRETATION.md).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from emulator.core.events import Callback, DevStatus, PortStatus, SlotSnapshot
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


def render(event: Callback, names: PortNames) -> dict[str, Any]:
    """The JSON body of a callback, as the device POSTs it."""
    if isinstance(event, DevStatus):
        return dev_status_doc(event, names).model_dump(by_alias=True)
    if isinstance(event, PortStatus):
        return port_status_doc(event, names).model_dump(by_alias=True)
    raise TypeError(f"no renderer for {type(event).__name__}")
