"""UDP faults at a DBL device's sockets: a datagram dropped, delayed or duplicated.

Between the lines (emulator/dbl/line.py, which know nothing of faults) and their sockets,
each datagram in or out is matched against the gateway's UDP fault rules
(emulator/transport/faults.py, `match_udp`). A match is journaled (kind `udp`, outcome
`dropped`, `delayed` or `duplicated`, the reason naming the fault) right after what the
line journaled of the datagram; delays run on the device clock, so a virtual clock moves
them with `clock/advance`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from emulator.dbl.ports import Addr, Journal, Outcome, TimerHandle, Timers, UdpEvent
from emulator.dbl.protocol import keyword_of
from emulator.transport.faults import Faults

Pass = Callable[[bytes, Addr], None]


class FaultEdge:
    """Applies the UDP faults of one device to its datagrams."""

    def __init__(self, timers: Timers, journal: Journal) -> None:
        self.faults: Faults | None = None  # the gateway's rules; None: every datagram passes
        self._timers = timers
        self._journal = journal
        self._later: set[TimerHandle] = set()

    def out(self, line: int, data: bytes, addr: Addr, send: Pass) -> None:
        """A datagram the line sends: to `send` (the socket), or not, or later, or twice."""
        self._apply("out", line, data, addr, send)

    def into(self, line: int, data: bytes, addr: Addr, handle: Pass) -> None:
        """A datagram that arrived for the line: to `handle` (the line), or not, or later,
        or twice."""
        self._apply("in", line, data, addr, handle)

    def _apply(
        self, direction: Literal["in", "out"], line: int, data: bytes, addr: Addr, go: Pass
    ) -> None:
        faults = self.faults
        keyword = keyword_of(data)
        hit = faults.match_udp(line, direction, keyword, self._timers.now()) if faults else None
        if hit is None:
            go(data, addr)
            return

        def note(outcome: Outcome, reason: str) -> None:
            text = data.decode("utf-8", "replace")
            self._journal(UdpEvent(direction, line, addr, keyword, text, outcome, reason))

        why = f"fault #{hit.fault_id}"
        if hit.action == "drop":
            note("dropped", why)
        elif hit.action == "delay":
            note("delayed", f"{why}: {hit.seconds:g} s later")
            self._after(hit.seconds, lambda: go(data, addr))
        else:
            go(data, addr)

            def again() -> None:
                note("duplicated", why)
                go(data, addr)

            if hit.seconds > 0:
                self._after(hit.seconds, again)
            else:
                again()

    def _after(self, seconds: float, callback: Callable[[], None]) -> None:
        handle: TimerHandle | None = None

        def fire() -> None:
            self._later.discard(handle)  # type: ignore[arg-type]
            callback()

        handle = self._timers.call_later(seconds, fire)
        self._later.add(handle)

    def cancel(self) -> None:
        """Delayed datagrams are lost (a reset, a reboot, shutdown)."""
        for handle in self._later:
            handle.cancel()
        self._later.clear()
