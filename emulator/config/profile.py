"""YAML profiles: the device, its SIMs, its behaviour and its push targets.

Models are pydantic v2 with `extra="forbid"`, so a misspelt key is an error that
names it; `load_profile` turns every validation error into one line with the
file, the line and the field, written for the person who has to fix it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from emulator.config.common import Model, span
from emulator.config.dbl import DblSpec
from emulator.config.scenario import ScenarioEvent
from emulator.config.ussd import ModuleSpec, UssdSpec

MAX_SLOTS = 26  # slots are named by letters A..Z


class ProfileError(Exception):
    """A profile that cannot be loaded; `problems` holds one line per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(problems))


Span = Annotated[tuple[float, float], Field(description="a number or [min, max]")]


# The success code each endpoint's envelope carries (emulator/ejoin/envelope.py), which
# `quirks.envelope_codes` may override: here, so that a profile is checked against it.
ENVELOPE_CODES: dict[str, int] = {
    "goip_send_cmd": 0,
    "goip_post_sms": 200,
    "goip_pause_sms": 200,
    "goip_resume_sms": 200,
    "goip_remove_sms": 200,
    "goip_get_tasks": 200,
    "goip_get_sms": 0,
    "goip_get_sms_stat": 200,
    "goip_get_call_stat": 200,
}


class Quirks(Model):
    """Firmware differences seen in the field (INTERPRETATION.md, last sections)."""

    port_format: str = Field(
        "dotted",
        description="dotted (1.01, as the spec's examples print), letter (1A), "
        "or a template like '{port}.sp256.{slot:02d}'",
    )
    port_status_st: Literal["text", "code"] = Field(
        "text",
        description="port-status st as the 4.1.4 table says ('3 OK'), or the integer code",
    )
    cookie_auth: bool = Field(
        False,
        description="answer an authenticated request with a session cookie and accept that "
        "cookie in place of credentials, as some web-managed firmware does",
    )
    firmware: Literal["ejoin", "skyline", "router"] = Field(
        "ejoin",
        description="the EJOIN firmware family: ejoin (the spec), skyline (all_slots, LEDs, "
        "per-slot IMEIs, eSIM) or router (op=redial, data settings); ops of another "
        "family are refused",
    )
    recv_sms_headers: bool = False
    sim_src: bool = False
    crypt_key: Literal["raw", "hex"] = "raw"
    envelope_codes: dict[str, int] = Field(
        default_factory=dict,
        description="success code per endpoint, e.g. {goip_send_cmd: 200}; see wire/envelope.py",
    )

    @field_validator("envelope_codes")
    @classmethod
    def _known_endpoints(cls, value: dict[str, int]) -> dict[str, int]:
        for name in value:
            if name not in ENVELOPE_CODES:
                raise ValueError(f"{name!r} is not one of {', '.join(ENVELOPE_CODES)}")
        return value

    @field_validator("port_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value in ("letter", "dotted"):
            return value
        if "{port" not in value:
            raise ValueError("must be 'letter', 'dotted' or a template containing {port}")
        try:
            value.format(port=1, slot=1, letter="A")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"template {value!r} does not format: {exc}") from None
        return value


class DeviceSpec(Model):
    """Identity, size and credentials of the emulated gateway."""

    name: str = "goip"
    personality: Literal["ejoin", "dbl"] = Field(
        "ejoin", description="the API the device serves: EJOIN's HTTP, or DBL GoIP's UDP"
    )
    ports: int = Field(32, ge=1, le=512)
    slots: int = Field(4, ge=1, le=MAX_SLOTS)
    mac: str = "00-30-f1-00-6c-55"
    ip: str = "192.168.1.67"
    firmware: str = "532-604-924-041-100-000"
    imei: str = Field("86{device:02d}0000{port:07d}", description="template per port")
    module: ModuleSpec = ModuleSpec()
    username: str = "root"
    password: str = "root"
    control_token: str | None = None
    reboot_time: float = Field(30.0, ge=0)
    max_sessions: int = Field(64, ge=1, le=100_000, description="security sessions held")
    max_body: int = Field(
        1024 * 1024, ge=1024, le=64 * 1024 * 1024, description="largest request body, bytes"
    )
    # Transport bounds (docs/decisions.md, "Transport under abuse"): wall-clock seconds.
    read_timeout: float = Field(
        30.0, gt=0, le=3600, description="seconds a request's head and body may take to arrive"
    )
    keepalive_timeout: float = Field(
        15.0, gt=0, le=3600, description="seconds an idle kept-alive connection stays open"
    )
    max_body_in_flight: int = Field(
        32 * 1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="bytes of request bodies arriving at once on a device; beyond, reading waits",
    )
    keeps_inbox_on_reboot: bool = True
    esim_ports: str | None = Field(
        None,
        max_length=4096,
        description="skyline firmware: the ports with an eSIM (goip_get_esims.html), e.g. "
        "'1-4,8'; none by default",
    )
    timezone: str = Field("+00:00", description="UTC offset for 'since midnight' windows")

    @field_validator("mac")
    @classmethod
    def _mac(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9a-fA-F]{2}([-:][0-9a-fA-F]{2}){5}", value):
            raise ValueError(f"{value!r} is not a MAC address like 00-30-f1-00-6c-55")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        if not re.fullmatch(r"[+-]\d{2}:\d{2}", value):
            raise ValueError(f"{value!r} is not a UTC offset like +08:00")
        return value

    @property
    def tzinfo(self) -> timezone:
        sign = -1 if self.timezone.startswith("-") else 1
        hours, minutes = int(self.timezone[1:3]), int(self.timezone[4:6])
        return timezone(sign * timedelta(hours=hours, minutes=minutes))


class SimSpec(Model):
    """A SIM card; string fields are templates over {device} {port} {slot} {letter} {index}."""

    present: bool = True
    imsi: str = "46001{device:02d}{index:08d}"
    iccid: str = "8986011{device:02d}{index:011d}"
    number: str = "1380{device:02d}{index:05d}"
    operator: str = "46001 CHINA UNICOM GSM"
    balance: float = 100.0
    signal: int = Field(25, ge=0, le=31)
    blocked: bool = False
    read_error: bool = False
    register_fail: bool = False
    locked: bool = False
    smsc: str = "+8613010112500"
    send_latency: Span | None = Field(None, description="overrides sending.latency")
    send_failure_rate: float | None = Field(None, ge=0, le=1)

    _span = field_validator("send_latency", mode="before")(span)


class SimOverride(Model):
    """Fields that differ from the defaults on some slots ('3B', '1-4', '2.01, 5C')."""

    slots: str
    present: bool | None = None
    imsi: str | None = None
    iccid: str | None = None
    number: str | None = None
    operator: str | None = None
    balance: float | None = None
    signal: int | None = Field(None, ge=0, le=31)
    blocked: bool | None = None
    read_error: bool | None = None
    register_fail: bool | None = None
    locked: bool | None = None
    smsc: str | None = None
    send_latency: Span | None = None
    send_failure_rate: float | None = Field(None, ge=0, le=1)

    _span = field_validator("send_latency", mode="before")(span)

    def apply(self, base: SimSpec) -> SimSpec:
        changes = self.model_dump(exclude={"slots"}, exclude_none=True)
        return base.model_copy(update=changes)


class Sims(Model):
    defaults: SimSpec = SimSpec()
    overrides: list[SimOverride] = Field(default_factory=list)


class Behaviour(Model):
    """How long things take on the device, in emulated seconds."""

    boot: Literal["warm", "cold"] = Field(
        "warm",
        description="warm: every SIM that can register is 3 OK before the first request; "
        "cold: power-on, SIMs register on the clock (op=reboot is always cold)",
    )
    detect_time: float = Field(1.0, ge=0)
    registration_time: Span = (3.0, 8.0)
    auto_fail_sim_switch: bool = True

    _span = field_validator("registration_time", mode="before")(span)

    @field_validator("registration_time")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if low < 0 or high < low:
            raise ValueError(f"[{low}, {high}] must be 0 <= min <= max")
        return value


class Sending(Model):
    """How the device sends SMS (spec 6): per-part latency, failures, delivery reports."""

    latency: Span = Field((2.0, 5.0), description="seconds per message part, or [min, max]")
    failure_rate: float = Field(
        0.0, ge=0, le=1, description="share of messages the network refuses"
    )
    delivery_delay: Span = Field((5.0, 30.0), description="seconds from sent to delivery report")
    delivery_failure_rate: float = Field(0.0, ge=0, le=1)
    max_tasks: int = Field(5000, ge=1, description="tasks held at once; more get 16 Too Many Task")
    max_messages: int = Field(
        200_000, ge=1, description="messages held at once, all tasks; more get 16 Too Many Task"
    )

    _span = field_validator("latency", "delivery_delay", mode="before")(span)


class Inbox(Model):
    """Received SMS kept for goip_get_sms.html (spec 8)."""

    capacity: int = Field(1000, ge=1, le=1_000_000)


class Push(Model):
    """Where the device pushes callbacks, and how it buffers and retries them."""

    status_url: str | None = None
    status_period: int = Field(60, ge=0)
    sr_url: str | None = None
    sms_url: str | None = None
    sr_cnt: int = Field(100, ge=1)
    sr_prd: int = Field(30, ge=1)
    sms_cnt: int = Field(1, ge=0)
    sms_prd: int = Field(30, ge=1)
    timeout: float = Field(5.0, gt=0, description="real seconds for one delivery attempt")
    retry_initial: float = Field(1.0, gt=0)
    retry_max: float = Field(60.0, gt=0)
    max_queue: int = Field(10_000, ge=1, description="callbacks held per target")
    max_targets: int = Field(256, ge=1, description="callback URLs held at once")


class Esim(Model):
    """Skyline's eSIM operations (goip_write_esims / goip_delete_esims)."""

    op_time: float = Field(
        30.0, ge=0, le=86_400, description="device seconds a write or delete takes"
    )


class Journal(Model):
    max_entries: int = Field(10_000, ge=1)
    max_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1024,
        description="bytes of bodies, answers and queries held; the oldest entries go first",
    )


class Profile(Model):
    """A whole device description; every section has defaults."""

    name: str = "default"
    description: str = ""
    seed: int | None = Field(None, description="fixes every random draw; none: drawn and logged")
    start_time: datetime = Field(
        datetime(2026, 1, 1, tzinfo=UTC), description="where the virtual clock starts"
    )
    device: DeviceSpec = DeviceSpec()
    quirks: Quirks = Quirks()
    sims: Sims = Sims()
    behaviour: Behaviour = Behaviour()
    sending: Sending = Sending()
    inbox: Inbox = Inbox()
    push: Push = Push()
    journal: Journal = Journal()
    scenario: list[ScenarioEvent] = Field(default_factory=list)
    ussd: UssdSpec = UssdSpec()
    dbl: DblSpec = DblSpec()
    esim: Esim = Esim()

    @model_validator(mode="before")
    @classmethod
    def _dbl_detects_at_once(cls, raw: Any) -> Any:
        """A DBL line's module restart shows LOGOUT for `registration_time` (its server's
        svr_reboot_module): unless the profile says otherwise, it detects its SIM at once."""
        if not isinstance(raw, dict):
            return raw
        device, behaviour = raw.get("device"), raw.get("behaviour")
        if not isinstance(device, dict) or device.get("personality") != "dbl":
            return raw
        if behaviour is None:
            behaviour = {}
        if isinstance(behaviour, dict) and "detect_time" not in behaviour:
            return {**raw, "behaviour": {**behaviour, "detect_time": 0.0}}
        return raw

    @field_validator("start_time")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)


# -- loading ---------------------------------------------------------------------------


def bundled_profiles() -> dict[str, Path]:
    """Name -> path of the profiles shipped inside the package."""
    folder = resources.files("emulator") / "profiles"
    found: dict[str, Path] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            found[entry.name.removesuffix(".yaml")] = Path(str(entry))
    return dict(sorted(found.items()))


def resolve(name_or_path: str | None) -> Path:
    """A bundled profile name, or a path to a YAML file."""
    name = name_or_path or "default"
    bundled = bundled_profiles()
    if name in bundled:
        return bundled[name]
    path = Path(name)
    if path.is_file():
        return path
    known = ", ".join(bundled) or "none"
    raise ProfileError(name, [f"{name}: no such file, and not a bundled profile ({known})"])


def load_profile(name_or_path: str | None = None) -> Profile:
    path = resolve(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(str(path), [f"{path}: cannot read: {exc.strerror}"]) from None
    return parse_profile(text, str(path))


def parse_profile(text: str, source: str = "<profile>") -> Profile:
    """Validate YAML text; errors name `source:line` and the dotted field path."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProfileError(source, [f"{where}: not valid YAML: {problem}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProfileError(source, [f"{source}:1: a profile is a mapping of sections"])
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        found = [(tuple(error["loc"]), error["msg"]) for error in exc.errors()]
    else:
        found = reference_problems(profile)
        if not found:
            return profile
    problems = []
    for loc, message in found:
        line = _line_of(node, loc)
        field = ".".join(str(part) for part in loc) or "(profile)"
        problems.append(f"{source}:{line}: {field}: {message}")
    raise ProfileError(source, problems) from None


def reference_problems(profile: Profile) -> list[tuple[tuple[Any, ...], str]]:
    """What names a port, slot, SIM event or URL the device does not have: found at load,
    so `validate` refuses what `serve` would (each with its field's path)."""
    from emulator.config.faults import UdpFaultSpec
    from emulator.config.ports import PortListError, PortNames
    from emulator.core.settings import SettingError
    from emulator.core.settings import parse_url as check_url
    from emulator.core.sim import SIM_EVENTS

    names = PortNames(profile.device.ports, profile.device.slots, profile.quirks.port_format)
    problems: list[tuple[tuple[Any, ...], str]] = []

    def ports(loc: tuple[Any, ...], text: str | None) -> None:
        if text is None:
            return
        try:
            names.parse_list(text)
        except PortListError as exc:
            problems.append(
                (
                    loc,
                    f"{exc} (the device has {profile.device.ports} ports "
                    f"of {profile.device.slots} slots)",
                )
            )

    if profile.device.personality == "dbl":
        if profile.device.slots != 1:
            problems.append((("device", "slots"), "a DBL GoIP line has one SIM slot: slots: 1"))
        for line in profile.dbl.lines:
            if not 1 <= line <= profile.device.ports:
                problems.append(
                    (
                        ("dbl", "lines", line),
                        f"no line {line}: the device has 1-{profile.device.ports}",
                    )
                )
    esim_ports = profile.device.esim_ports
    if esim_ports is not None:
        where_esim = ("device", "esim_ports")
        if profile.quirks.firmware != "skyline":
            problems.append(
                (where_esim, "eSIM ports are skyline firmware's: quirks.firmware: skyline")
            )
        else:
            ports(where_esim, esim_ports)
            try:
                if any(ref.slot is not None for ref in names.parse_list(esim_ports)):
                    problems.append(
                        (where_esim, "name ports (1-4), not slots: an eSIM is a port's")
                    )
            except PortListError:
                pass  # told above
    for i, override in enumerate(profile.sims.overrides):
        ports(("sims", "overrides", i, "slots"), override.slots)
    for name in ("status_url", "sr_url", "sms_url"):
        try:
            check_url(getattr(profile.push, name))
        except SettingError as exc:
            problems.append((("push", name), str(exc)))
    for i, event in enumerate(profile.scenario):
        where: tuple[Any, ...] = ("scenario", i)
        if isinstance(event.fault, UdpFaultSpec):
            why = event.fault.problem(profile.device.personality, profile.device.ports)
            if why is not None:
                problems.append(((*where, "fault"), why))
        if event.sim is not None:
            ports((*where, "sim", "slots"), event.sim.slots)
            if event.sim.event not in SIM_EVENTS:
                problems.append(
                    (
                        (*where, "sim", "event"),
                        f"{event.sim.event!r} is not one of {', '.join(SIM_EVENTS)}",
                    )
                )
            elif event.sim.event.startswith("module_") and profile.quirks.firmware != "skyline":
                problems.append(
                    ((*where, "sim", "event"), f"{event.sim.event} is a skyline firmware event")
                )
        if event.command is not None:
            ports((*where, "command", "ports"), event.command.ports)
        for kind in ("ussd", "at_command"):
            action = getattr(event, kind)
            if action is not None:
                try:
                    names.parse_name(action.port)
                except PortListError as exc:
                    problems.append(((*where, kind, "port"), f"{exc} (one port of the device)"))
        if event.sms is not None:
            ports((*where, "sms", "ports"), event.sms.ports)
        if event.calls is not None:
            ports((*where, "calls", "port"), event.calls.port)
            ports((*where, "calls", "peer"), event.calls.peer)
    return problems


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """Line (1-based) of the deepest YAML node on the error's path."""
    line = 1 if node is None else node.start_mark.line + 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    child = value
                    line = key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                child = node.value[part]
                line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line
