"""The device's named settings, read and written by `op=get` / `op=set` (spec 5.1.2).

There are two copies: the running settings every `set` changes, and the saved
ones `save` writes; a reboot comes back with the saved copy, so an unsaved
`set` is lost (INTERPRETATION.md, "Commands"). Array settings take an index,
`imei(0)` being port 1's module IMEI.

Some settings belong to one firmware family (`FAMILY`): Skyline's per-slot identities
`sim_imei(n)` and `sim_number(n)`, n = (port-1) x slots + (slot-1). On another family
they are unknown names, as before. The slots' LEDs (`led`) are kept beside the
settings, so that `save` keeps them too, but no `get` or `set` names them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any


class SettingError(ValueError):
    """A setting name or value the device does not accept; the message names it."""


def parse_url(value: Any) -> str | None:
    """A callback URL as a `set` takes it; SettingError naming what is wrong."""
    return _url(value)


def _url(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value):
        raise SettingError(f"{value!r} is not an http:// or https:// URL")
    if bad := _URL_BREAKERS.search(value):
        # Taken as given or refused: stripping "\r\nX-Injected: 1" would post elsewhere.
        raise SettingError(f"{value!r} holds {bad[0]!r} at {bad.start()}; a URL has no spaces")
    return value


_URL_BREAKERS = re.compile(r"[\x00-\x20\x7f]")


def _int(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise SettingError(f"{value!r} is not a whole number")
        if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,18}\s*", value):
            value = int(value)
        if not isinstance(value, int):
            raise SettingError(f"{value!r} is not a whole number")
        if not low <= value <= high:
            raise SettingError(f"{value} is outside {low}-{high}")
        return value

    return parse


def _flag(value: Any) -> bool:
    if value in (0, 1, "0", "1", True, False):
        return value in (1, "1", True)
    raise SettingError(f"{value!r} is not 0 or 1")


def _imei(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{14,16}", value):
        raise SettingError(f"{value!r} is not an IMEI of 14 to 16 digits")
    return value


def _sim_imei(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    # "" clears it: the slot shows its port's IMEI again.
    if not isinstance(value, str) or not re.fullmatch(r"([0-9]{15})?", value):
        raise SettingError(f"{value!r} is not an IMEI of 15 digits")
    return value


def _sim_number(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not re.fullmatch(r"(\+?[0-9]{1,20})?", value):
        raise SettingError(f"{value!r} is not a number of at most 20 digits (+ allowed first)")
    return value


@dataclass(slots=True)
class Settings:
    status_url: str | None = None
    status_period: int = 60
    status_all_sims: bool = False
    sr_url: str | None = None
    sms_url: str | None = None
    sr_cnt: int = 100
    sr_prd: int = 30
    sms_cnt: int = 1
    sms_prd: int = 30
    auto_fail_sim_switch: bool = True
    imei: list[str] = field(default_factory=list)
    # The router firmware's data service (core/data_link.py): on, as a router is bought for.
    data_service_enable: bool = True
    ttl: int = 64  # stored and read back; the emulator carries no IP packets to stamp
    # Per slot on skyline firmware (empty elsewhere); "" is unset.
    sim_imei: list[str] = field(default_factory=list)
    sim_number: list[str] = field(default_factory=list)
    led: list[bool] = field(default_factory=list)

    def copy(self) -> Settings:
        return replace(
            self,
            imei=list(self.imei),
            sim_imei=list(self.sim_imei),
            sim_number=list(self.sim_number),
            led=list(self.led),
        )


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "status_url": _url,
    "status_period": _int(0, 86_400),
    "status_all_sims": _flag,
    "sr_url": _url,
    "sms_url": _url,
    "sr_cnt": _int(1, 100_000),
    "sr_prd": _int(1, 86_400),
    "sms_cnt": _int(0, 100_000),
    "sms_prd": _int(1, 86_400),
    "auto_fail_sim_switch": _flag,
    "imei": _imei,
    "data_service_enable": _flag,
    "ttl": _int(1, 255),
    "sim_imei": _sim_imei,
    "sim_number": _sim_number,
    "led": _flag,
}
ARRAYS = frozenset({"imei", "sim_imei", "sim_number", "led"})
NAMES = tuple(f.name for f in fields(Settings))
# The settings of one firmware family only (profile quirks.firmware); the others refuse
# them (ejoin/commands.py names the family in the refusal).
FAMILY: dict[str, str] = {
    "sim_imei": "skyline",
    "sim_number": "skyline",
    "data_service_enable": "router",
    "ttl": "router",
}
UNNAMED = frozenset({"led"})  # kept and saved with the settings; no get or set names it


def _named(name: str, firmware: str) -> bool:
    return name not in UNNAMED and FAMILY.get(name, firmware) == firmware


_NAME = re.compile(r"([a-z_]+)(?:\(([0-9]{1,9})\))?")


def _wire(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return "" if value is None else value


def parse_name(name: str, firmware: str = "ejoin") -> tuple[str, int | None]:
    """'sms_url' -> ('sms_url', None); 'imei(3)' -> ('imei', 3)."""
    m = _NAME.fullmatch(name.strip().lower())
    if not m or m[1] not in _PARSERS or not _named(m[1], firmware):
        known = ", ".join(f"{n}(n)" if n in ARRAYS else n for n in NAMES if _named(n, firmware))
        raise SettingError(f"unknown setting {name!r}; known settings: {known}")
    index = None if m[2] is None else int(m[2])
    if index is not None and m[1] not in ARRAYS:
        raise SettingError(f"setting {m[1]!r} is not an array and takes no index")
    return m[1], index


def get(settings: Settings, name: str, firmware: str = "ejoin") -> Any:
    key, index = parse_name(name, firmware)
    value = getattr(settings, key)
    if key in ARRAYS:
        if index is None:
            return list(value)
        if index >= len(value):
            raise SettingError(f"{name!r}: index {index} is outside 0-{len(value) - 1}")
        return value[index]
    return _wire(value)


def parse_value(
    settings: Settings, name: str, value: Any, firmware: str = "ejoin"
) -> tuple[str, int | None, Any]:
    """Validate one assignment without applying it, so a bad batch changes nothing."""
    key, index = parse_name(name, firmware)
    array = getattr(settings, key)
    if key in ARRAYS:
        if index is None:
            raise SettingError(f"{key!r} is an array: name an element, e.g. {key}(0)")
        if index >= len(array):
            raise SettingError(f"{name!r}: index {index} is outside 0-{len(array) - 1}")
    try:
        return key, index, _PARSERS[key](value)
    except SettingError as exc:
        raise SettingError(f"{name}: {exc}") from None


def to_plain(settings: Settings) -> dict[str, Any]:
    """Every setting as JSON-ready data, for the device's flash (see from_plain)."""
    return {
        name: list(value) if name in ARRAYS else value
        for name, value in ((f.name, getattr(settings, f.name)) for f in fields(Settings))
    }


def from_plain(data: dict[str, Any], base: Settings) -> Settings:
    """Settings read back from flash over `base`, each value checked as `set` checks it.

    A setting missing from `data` keeps its value in `base` (flash written by an
    emulator that knew fewer settings); an unknown one, a bad value or an array of
    another length raises SettingError naming it, so damaged flash is never
    half-applied.
    """
    settings = base.copy()
    for name, value in data.items():
        if name not in _PARSERS:
            raise SettingError(f"unknown setting {name!r}")
        try:
            if name in ARRAYS:
                length = len(getattr(base, name))
                if not isinstance(value, list) or len(value) != length:
                    raise SettingError(f"expected a list of {length}, got {value!r}")
                parsed: Any = [_PARSERS[name](item) for item in value]
            else:
                parsed = _PARSERS[name](value)
        except SettingError as exc:
            raise SettingError(f"{name}: {exc}") from None
        setattr(settings, name, parsed)
    return settings


def apply(settings: Settings, key: str, index: int | None, value: Any) -> None:
    if index is None:
        setattr(settings, key, value)
    else:
        getattr(settings, key)[index] = value
