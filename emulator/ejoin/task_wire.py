"""A send-sms task on the wire (spec 6.3.1.3) as a pydantic model, and its reading.

A task is read in two tiers, because the device answers them differently (spec
6.3.1.4, INTERPRETATION.md "Lenient input"): a value of the wrong type is the whole
request's problem (HTTP 400 naming `tasks.N.field`), which `TaskWire` finds; a value
that is missing or meaningless is the task's (its status code in the answer, the other
tasks still queued), which `TaskWire.spec` finds. Attribute names are read in any case
(`Tid`, `TO`), and `port` is the field's name for `from`.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Any

from annotated_types import Ge, Le, MaxLen
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationError

from emulator.config.ports import PortListError, PortNames
from emulator.core.codes import TaskStatus
from emulator.core.tasks import TaskSpec
from emulator.transport.errors import ApiError
from emulator.transport.request import as_int, as_str

MAX_RECIPIENTS = 10_000
MAX_TEXT = 10_000
MMS_MAX_ATTACHMENTS = 5
MMS_MAX_BYTES = 100 * 1024
MMS_TYPES = frozenset({"jpg", "jpeg", "gif", "txt", "mp3", "png", "amr", "wav", "3gp", "mp4"})
_INTVL = re.compile(r"\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?")
# The readers below are the request layer's (`as_int`, `as_str`): their ApiError names the
# field and is no ValueError, so pydantic lets it through untouched and `parse_task` puts
# the task's place in front (`tasks.3.coding: 7 is above 2`).


def _whole(name: str, low: int, high: int, default: int, *, falsy: bool = True) -> BeforeValidator:
    """An optional whole number; absent (or, when `falsy`, 0 or "") is `default`."""

    def read(value: Any) -> int:
        if value is None or (falsy and not value):
            return default
        return as_int(value, name, low, high)

    return BeforeValidator(read)


def _text(name: str, max_len: int, default: str | None = "") -> BeforeValidator:
    def read(value: Any) -> str | None:
        return default if value is None else as_str(value, name, max_len)

    return BeforeValidator(read)


def _tid(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return as_int(value, "tid", -(2**63), 2**63 - 1)


def _recipients(value: Any) -> list[str]:
    if value is None:
        return []
    numbers = [n.strip() for n in as_str(value, "to", 400_000).split(",") if n.strip()]
    if len(numbers) > MAX_RECIPIENTS:
        raise ApiError.bad_request(f"to: {len(numbers)} recipients is over {MAX_RECIPIENTS}")
    return numbers


def _chs(value: Any) -> str:
    if not value:
        return "utf8"
    chs = as_str(value, "chs", 20).lower().replace("-", "")
    if chs not in ("utf8", "base64"):
        raise ApiError.bad_request(f"chs: {chs!r} is not utf8 or base64")
    return chs


def _intvl(value: Any) -> tuple[float, float]:
    """intvl in milliseconds, "500" or "500-2000" (spec 6.3.1.3), as seconds."""
    if value is None:
        return (0.0, 0.0)
    text = as_str(value, "intvl", 40)
    m = _INTVL.fullmatch(text)
    if not m:
        raise ApiError.bad_request(f"intvl: {text!r} is not milliseconds like 500 or 500-2000")
    low = int(m[1])
    high = int(m[2]) if m[2] else low
    if high < low or high > 86_400_000:
        raise ApiError.bad_request(f"intvl: {text!r} is not a range low-high within a day")
    return (low / 1000, high / 1000)


def _attachments(text: str) -> TaskStatus:
    """MMS attachments "type|base64;type|base64" (spec 6.3.1.3 smstype=1)."""
    items = [item for item in text.split(";") if item.strip()]
    if len(items) > MMS_MAX_ATTACHMENTS:
        return TaskStatus.TOO_MANY_MMS_ATTACHMENTS
    total = 0
    for item in items:
        kind, sep, data = item.partition("|")
        if not sep or kind.strip().lower() not in MMS_TYPES:
            return TaskStatus.MMS_ATTACHMENTS_EXPECTED
        try:
            total += len(base64.b64decode(data.strip(), validate=True))
        except (binascii.Error, ValueError):
            return TaskStatus.MMS_ATTACHMENTS_EXPECTED
    if total > MMS_MAX_BYTES:
        return TaskStatus.MMS_ATTACHMENTS_OVERLIMIT
    return TaskStatus.OK


def _attributes(task: dict[Any, Any]) -> dict[str, Any]:
    """A task's attributes by lowercased name (Tid, TO...); an exact name wins over others."""
    try:
        if all(map(str.islower, task)):
            return task  # the usual case, lowercase names: nothing to copy
    except TypeError:  # a key that is not text (never from JSON, but a dict may be anything)
        pass
    found: dict[str, Any] = {}
    for key, value in task.items():
        if isinstance(key, str):
            name = key.lower()
            if key == name or name not in found:
                found[name] = value
    return found


class TaskWire(BaseModel):
    """One task of send-sms; unknown attributes are ignored, as firmware does.

    The field order is the order in which a request's problems are named.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    tid: (
        Annotated[int, Strict(), Ge(-(2**63)), Le(2**63 - 1)]
        | Annotated[int | None, BeforeValidator(_tid)]
    ) = None
    to: Annotated[list[str], BeforeValidator(_recipients)] = Field(default_factory=list)
    smstype: Annotated[int, _whole("smstype", 0, 1, 0)] = 0
    chs: Annotated[str, BeforeValidator(_chs)] = "utf8"
    coding: Annotated[int, _whole("coding", 0, 2, 0)] = 0
    sms: (
        Annotated[str, Strict(), MaxLen(MAX_TEXT * 2)] | Annotated[str, _text("sms", MAX_TEXT * 2)]
    ) = ""
    from_: Annotated[str, _text("from", 4096)] = Field("", alias="from")
    intvl: Annotated[tuple[float, float], BeforeValidator(_intvl)] = (0.0, 0.0)
    tmo: Annotated[int, _whole("tmo", 0, 86_400, 30)] = 30
    sdr: Annotated[int, _whole("sdr", 0, 1, 0, falsy=False)] = 0
    fdr: Annotated[int, _whole("fdr", 0, 1, 1, falsy=False)] = 1
    dr: Annotated[int, _whole("dr", 0, 1, 0, falsy=False)] = 0
    sr_prd: Annotated[int, _whole("sr_prd", 0, 86_400, 60, falsy=False)] = 60
    sr_cnt: Annotated[int, _whole("sr_cnt", -(2**31), 2**31, 10, falsy=False)] = 10
    smc: Annotated[str | None, _text("smc", 40, None)] = None
    # Skyline's "all ports" flag: validated, with no effect any source establishes.
    to_all: Annotated[int, _whole("to_all", 0, 1, 1, falsy=False)] = 1
    # Read only for an MMS (smstype 1): an SMS task carrying junk in them is still sent.
    smstitle: Any = None
    attachments: Any = None

    @classmethod
    def read(cls, raw: dict[Any, Any]) -> TaskWire:
        """The task of a JSON object, its attribute names in any case."""
        attrs = _attributes(raw)
        if attrs.get("from") is None and "port" in attrs:
            attrs = {**attrs, "from": attrs["port"]}
        # The validator itself: model_validate adds a frame and its checks to every task.
        task: TaskWire = cls.__pydantic_validator__.validate_python(attrs)
        return task

    def spec(self, names: PortNames, where: str) -> TaskSpec | TaskStatus:
        """The task to queue, or the status code that refuses it (spec 6.3.1.4)."""
        if self.tid is None:
            return TaskStatus.TID_EXPECTED
        text = self.sms
        if self.chs == "base64" and text:
            try:
                text = base64.b64decode(text, validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                return TaskStatus.SMS_EXPECTED
        if self.smstype == 1:
            if self.smstitle is None:
                return TaskStatus.MMS_TITLE_EXPECTED
            as_str(self.smstitle, f"{where}.smstitle", 200)
            attached = (
                ""
                if self.attachments is None
                else as_str(self.attachments, f"{where}.attachments", 4 * MMS_MAX_BYTES)
            )
            if not attached.strip() and not text:
                return TaskStatus.MMS_ATTACHMENTS_EXPECTED
            verdict = _attachments(attached) if attached.strip() else TaskStatus.OK
            if verdict != TaskStatus.OK:
                return verdict
        elif not text:
            return TaskStatus.SMS_EXPECTED
        if not self.to:
            return TaskStatus.TO_EXPECTED
        if len(text) > MAX_TEXT:
            raise ApiError.bad_request(f"{where}.sms: {len(text)} characters is over {MAX_TEXT}")
        ports: list[int] | None = None
        if self.from_.strip():
            try:
                ports = list(names.ports_of(self.from_))
            except PortListError:
                return TaskStatus.INVALID_PORT
        return TaskSpec(
            tid=self.tid,
            recipients=self.to,
            text=text,
            sms=self.sms,
            from_text=self.from_,
            ports=ports,
            chs=self.chs,
            coding=self.coding,
            smstype=self.smstype,
            intvl=self.intvl,
            tmo=float(self.tmo),
            sdr=self.sdr == 1,
            fdr=self.fdr == 1,
            dr=self.dr == 1,
            sr_cnt=self.sr_cnt,
            sr_prd=self.sr_prd,
        )


def parse_task(names: PortNames, raw: Any, where: str) -> tuple[Any, TaskSpec | TaskStatus]:
    """(tid as given, a TaskSpec or the status code that refuses the task)."""
    if not isinstance(raw, dict):
        raise ApiError.bad_request(f'{where}: a task is a JSON object like {{"tid": 1, ...}}')
    tid_given = raw["tid"] if "tid" in raw else _attributes(raw).get("tid")
    if tid_given is None or tid_given == "":
        # A task without a tid is refused before anything else of it is read.
        return None, TaskStatus.TID_EXPECTED
    try:
        task = TaskWire.read(raw)
    except ApiError as exc:
        raise ApiError.bad_request(f"{where}.{exc.reason}") from None
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in error["loc"])
        raise ApiError.bad_request(f"{where}.{field}: {error['msg']}") from None
    return task.tid, task.spec(names, where)
