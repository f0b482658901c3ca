"""Ports and slots as the device model knows them: numbers, never names.

How a port is written on the wire ("1A", "1.01", a template) belongs to a
personality (emulator/wire/ports.py for EJOIN); the core takes `PortRef`s.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

LETTERS = string.ascii_uppercase  # slot 1 = A: what SIM sockets are labelled with


class PortListError(ValueError):
    """A port name or list item that does not name a port of this device."""


@dataclass(frozen=True, slots=True)
class PortRef:
    """A port (1-based) and optionally a slot (1-based, slot 1 = A)."""

    port: int
    slot: int | None = None
