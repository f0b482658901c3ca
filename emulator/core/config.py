"""The device model's configuration: frozen dataclasses of plain values.

The core is configured by these alone, never by the YAML models: `emulator/config/build.py`
turns a profile into one, resolving every template and slot reference against the
device's size at load, so the core needs no parser and speaks port and slot numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

Span = tuple[float, float]


@dataclass(frozen=True, slots=True)
class CardConfig:
    """A slot at power-on: whether it holds a card and is locked, and the card's facts.

    `imsi`, `iccid` and `number` are templates over {device} {port} {slot} {letter}
    {index}, filled in for each slot when the device builds it (`fill`): a fleet of 200
    devices x 128 slots then holds one config per distinct card, not 25,600.
    """

    present: bool
    locked: bool
    imsi: str
    iccid: str
    number: str
    operator: str
    balance: float
    signal: int
    blocked: bool
    read_error: bool
    register_fail: bool
    smsc: str
    send_latency: Span | None
    send_failure_rate: float | None


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    ports: int
    slots: int
    imei: tuple[str, ...]  # the module IMEI of each port, from port 1
    utc_offset: float  # seconds east of UTC, for "since midnight" windows
    max_sessions: int
    reboot_time: float
    keeps_inbox_on_reboot: bool
    # The EJOIN firmware family (profile quirks.firmware): "skyline" adds LEDs, per-slot
    # identities and the module-timeout state to the core (EJOIN-EXTRAS, "Skyline");
    # "router" a mobile data link on each port's module (core/data_link.py).
    firmware: str = "ejoin"


@dataclass(frozen=True, slots=True)
class BehaviourConfig:
    boot: str  # "warm" or "cold"
    detect_time: float
    registration_time: Span
    auto_fail_sim_switch: bool


@dataclass(frozen=True, slots=True)
class SendingConfig:
    latency: Span
    failure_rate: float
    delivery_delay: Span
    delivery_failure_rate: float
    max_tasks: int
    max_messages: int


@dataclass(frozen=True, slots=True)
class InboxConfig:
    capacity: int


@dataclass(frozen=True, slots=True)
class InitialSettings:
    """The running settings of a factory-fresh device (spec 5.1.2)."""

    status_url: str | None
    status_period: int
    sr_url: str | None
    sms_url: str | None
    sr_cnt: int
    sr_prd: int
    sms_cnt: int
    sms_prd: int


@dataclass(frozen=True, slots=True)
class EsimConfig:
    """Skyline's eSIM ports (profile device.esim_ports) and how long an operation takes."""

    ports: tuple[int, ...] = ()
    op_time: float = 30.0


@dataclass(frozen=True, slots=True)
class CoreConfig:
    device: DeviceConfig
    behaviour: BehaviourConfig
    sending: SendingConfig
    inbox: InboxConfig
    settings: InitialSettings
    index: int  # the device's place in its fleet: {device} in the card templates
    default_card: CardConfig  # every slot not overridden; what an `insert` puts in a slot
    cards: dict[tuple[int, int], CardConfig]  # (port, slot) -> the profile's override
    esim: EsimConfig = EsimConfig()

    def card(self, port: int, slot: int) -> CardConfig:
        return self.cards.get((port, slot), self.default_card)
