"""The mobile data link of each port's module, as router firmware has one (EJOIN-EXTRAS,
"Router": `op=redial`, `data_service_enable`, `port_public_ip(n)`, `port_rx_tx(n)`).

A link is down, dialing or up. It dials when its port's current SIM registers (at once,
or `delay` seconds later after a flight redial) while `data_service_enable` is on, and is
up with a public IP the carrier hands out: drawn from the device's random source in
100.64.0.0/10, the carrier-grade NAT range a mobile network gives a modem. It goes down
when the SIM is no longer registered. Its byte counters belong to one connection: 0/0
when it dials, and again after a fast redial, which keeps the connection and its IP.

Pure: time is the device's timers (its `later`, which a reboot voids), randomness the
device's `random.Random`; the device tells the links of every change of a port's SIM.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from emulator.core.timers import TimerHandle

# The shared address space of RFC 6598: what a mobile carrier's NAT hands a modem.
PUBLIC_RANGE = ipaddress.IPv4Network("100.64.0.0/10")


class LinkState(StrEnum):
    DOWN = "down"
    DIALING = "dialing"  # registered; waiting out a flight redial's delay
    UP = "up"


class LinkDown(ValueError):
    """Traffic on a link that is not up."""


@dataclass(slots=True)
class DataLink:
    port: int
    state: LinkState = LinkState.DOWN
    ip: str = ""  # "" while not up, as op=get writes a setting that has no value
    rx: int = 0
    tx: int = 0
    # Seconds the next dial waits after registration: set by a flight redial, used once.
    delay: float = 0.0
    dialing: TimerHandle | None = None
    last_ip: str = ""  # a new connection never gets the previous one's IP back

    @property
    def rx_tx(self) -> str:
        return f"{self.rx}/{self.tx}"


Later = Callable[[float, Callable[[], None]], TimerHandle]


class DataLinks:
    """The data link of every port of one device."""

    def __init__(
        self, ports: int, later: Later, rng: random.Random, enabled: Callable[[], bool]
    ) -> None:
        self.links = [DataLink(p) for p in range(1, ports + 1)]
        self._later = later
        self._rng = rng
        self._enabled = enabled
        self._registered = [False] * ports

    def link(self, port: int) -> DataLink:
        return self.links[port - 1]

    # -- what the device tells -------------------------------------------------

    def sim_changed(self, port: int, registered: bool, powered: bool = True) -> None:
        """The port's current SIM changed state; `registered`: it is on the network now;
        not `powered`: the device is rebooting, and a redial's delay is forgotten."""
        link = self.link(port)
        was = self._registered[port - 1]
        self._registered[port - 1] = registered
        if not powered:
            link.delay = 0.0
        if registered and not was:
            self._dial(link)
        elif not registered:
            self._down(link)

    def enabled_changed(self) -> None:
        """`data_service_enable` was set: dial every registered port, or drop every link."""
        on = self._enabled()
        for link in self.links:
            if not on:
                self._down(link)
            elif self._registered[link.port - 1] and link.state is LinkState.DOWN:
                self._dial(link)

    # -- op=redial -------------------------------------------------------------

    def flight(self, port: int, delay: float) -> None:
        """A flight redial: the module re-registers (the device does that); when it has,
        the link waits `delay` seconds and dials with a new IP."""
        link = self.link(port)
        self._down(link)
        self._registered[port - 1] = False
        link.delay = delay

    def fast(self, port: int) -> None:
        """A fast redial: the connection is made again at once, with the same IP."""
        link = self.link(port)
        link.rx = link.tx = 0

    def traffic(self, port: int, rx: int, tx: int) -> DataLink:
        """Bytes received and sent over a port's link (the control API's `data`)."""
        link = self.link(port)
        if link.state is not LinkState.UP:
            raise LinkDown(f"port {port}'s data link is {link.state}, not up")
        link.rx += rx
        link.tx += tx
        return link

    # -- the link ----------------------------------------------------------------

    def _dial(self, link: DataLink) -> None:
        if not self._enabled():
            return
        delay, link.delay = link.delay, 0.0
        if delay <= 0:
            self._up(link)
            return
        link.state = LinkState.DIALING
        link.dialing = self._later(delay, lambda: self._up(link))

    def _up(self, link: DataLink) -> None:
        link.dialing = None
        taken = {link.last_ip, *(other.ip for other in self.links)}
        while True:
            offset = self._rng.randrange(1, PUBLIC_RANGE.num_addresses - 1)
            ip = str(PUBLIC_RANGE.network_address + offset)
            if ip not in taken:
                break
        link.state, link.ip, link.last_ip, link.rx, link.tx = LinkState.UP, ip, ip, 0, 0

    def _down(self, link: DataLink) -> None:
        if link.dialing is not None:
            link.dialing.cancel()
            link.dialing = None
        link.state, link.ip, link.rx, link.tx = LinkState.DOWN, "", 0, 0
