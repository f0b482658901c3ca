"""Voice calls on a port, for the call statistics of spec 10 and the durations of dev-status.

A call is dialled from a port's current SIM: after the post-dial delay it rings
(alerted) or fails; a ringing call is answered (connected) or not; an answered
call talks for its duration. The SIM shows `4 In Call` from dialling until hang-up,
and the port sends no SMS meanwhile. Calls on one port follow each other; a call
that finds the SIM not registered fails at once. Counters are kept per port and
slot in the device's windowed `Stats`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from emulator.core.codes import SimState
from emulator.core.sim import SimEvent
from emulator.core.stats import Window

if TYPE_CHECKING:
    from emulator.core.context import EngineContext
    from emulator.core.slots import Port


@dataclass(frozen=True, slots=True)
class CallPlan:
    """Calls to place on one port; spans are seconds, [min, max] drawn from the seed."""

    count: int = 1
    interval: tuple[float, float] = (0.0, 0.0)  # between the end of one call and the next
    pdd: tuple[float, float] = (2.0, 6.0)  # post-dial delay until it rings
    ring: tuple[float, float] = (3.0, 15.0)
    talk: tuple[float, float] = (30.0, 180.0)
    alert_ratio: float = 1.0  # share of calls that ring at all
    answer_ratio: float = 0.7  # share of ringing calls that are answered
    peer: int | None = None  # another port of the device: an inter-call (states 13, 14)


@dataclass(slots=True)
class PortCalls:
    plans: deque[CallPlan] = field(default_factory=deque)
    remaining: int = 0
    busy: bool = False
    con_failed: dict[int, int] = field(default_factory=dict)


class Calls:
    """The device's voice-call simulator and its counters."""

    def __init__(self, ctx: EngineContext, fire: Callable[[Port, SimEvent], bool]) -> None:
        self.ctx = ctx
        # A transition of a port's current SIM: the SIM table stays the device's.
        self._fire = fire
        self.ports = [PortCalls() for _ in ctx.ports]
        self.month: dict[tuple[int, int], tuple[str, int]] = {}  # slot -> (yyyymm, seconds)

    def reboot(self) -> None:
        """Calls in progress are cut and planned ones forgotten; the counters stay."""
        for state in self.ports:
            state.plans.clear()
            state.remaining = 0
            state.busy = False

    def place(self, port: int, plan: CallPlan) -> None:
        state = self.ports[port - 1]
        state.plans.append(plan)
        if not state.busy:
            self._next(port)

    def queued(self, port: int) -> int:
        """Calls still to dial on the port. The plan being worked stays at the head of
        `plans` until its last call, so its count is `remaining`, not `count`."""
        state = self.ports[port - 1]
        waiting = sum(p.count for p in state.plans)
        if state.remaining and state.plans:
            waiting -= state.plans[0].count
        return waiting + state.remaining

    def _next(self, number: int) -> None:
        state = self.ports[number - 1]
        if state.remaining == 0:
            if not state.plans:
                state.busy = False
                return
            state.remaining = state.plans[0].count
        plan = state.plans[0]
        state.remaining -= 1
        if state.remaining == 0:
            state.plans.popleft()
        state.busy = True
        self._dial(self.ctx.ports[number - 1], plan)

    def _dial(self, port: Port, plan: CallPlan) -> None:
        ctx = self.ctx
        slot = port.current
        stats = ctx.stats
        stats.add(port.number, slot, "calls")
        if plan.peer is not None:
            self._dial_peer(port, ctx.ports[plan.peer - 1], plan)
            return
        if port.slot.state not in (SimState.OK, SimState.NO_BALANCE):
            self._failed(port, slot, plan)
            return
        self._fire(port, SimEvent.CALL_START)
        pdd = ctx.draw(plan.pdd)
        alerted = ctx.rng.random() < plan.alert_ratio
        answered = alerted and ctx.rng.random() < plan.answer_ratio
        ring = ctx.draw(plan.ring) if alerted else 0.0
        talk = ctx.draw(plan.talk) if answered else 0.0

        def hang_up() -> None:
            if port.current == slot and port.slot.state == SimState.IN_CALL:
                self._fire(port, SimEvent.CALL_END)
            self._ended(port, slot, plan, pdd if alerted else None, talk if answered else None)

        ctx.later(pdd + ring + talk, hang_up)

    def _dial_peer(self, port: Port, peer: Port, plan: CallPlan) -> None:
        """A call from `port` to `peer`, another port of the device: both show `14 Waiting
        for Port Call` until answered, `13 Port Calling Port` while they talk, then `3 OK`.
        Only the caller's statistics count it; a peer not `3 OK` fails it at once."""
        ctx = self.ctx
        slot, peer_slot = port.current, peer.current
        if port.slot.state != SimState.OK or peer.slot.state != SimState.OK:
            self._failed(port, slot, plan)
            return
        self._fire(port, SimEvent.PORT_CALL_WAIT)
        self._fire(peer, SimEvent.PORT_CALL_WAIT)
        pdd = ctx.draw(plan.pdd)
        alerted = ctx.rng.random() < plan.alert_ratio
        answered = alerted and ctx.rng.random() < plan.answer_ratio
        ring = ctx.draw(plan.ring) if alerted else 0.0
        talk = ctx.draw(plan.talk) if answered else 0.0

        def still(side: Port, index: int, state: SimState) -> bool:
            return side.current == index and side.slot.state == state

        def answer() -> None:
            for side, index in ((port, slot), (peer, peer_slot)):
                if still(side, index, SimState.PORT_CALL_WAIT):
                    self._fire(side, SimEvent.PORT_CALL)

        def hang_up() -> None:
            for side, index in ((port, slot), (peer, peer_slot)):
                if side.current == index and side.slot.state in (
                    SimState.PORT_CALLING,
                    SimState.PORT_CALL_WAIT,
                ):
                    self._fire(side, SimEvent.CALL_END)
            self._ended(port, slot, plan, pdd if alerted else None, talk if answered else None)

        if answered:
            ctx.later(pdd + ring, answer)
        ctx.later(pdd + ring + talk, hang_up)

    def _ended(
        self, port: Port, slot: int, plan: CallPlan, pdd: float | None, talk: float | None
    ) -> None:
        """A call has hung up: counted on the caller's slot (`pdd` None: it never rang,
        `talk` None: never answered), then the port's next call after the plan's interval."""
        ctx, stats = self.ctx, self.ctx.stats
        if pdd is not None:
            stats.add(port.number, slot, "alerted")
            stats.add(port.number, slot, "pdd_ms", round(pdd * 1000))
        ctx.changed()  # dev-status shows the talk time
        if talk is not None:
            seconds = round(talk)
            stats.add(port.number, slot, "connected")
            stats.add(port.number, slot, "talk_seconds", seconds)
            stats.add(port.number, slot, "billed_minutes", -(-seconds // 60))
            self._add_month(port.number, slot, seconds)
            self.ports[port.number - 1].con_failed[slot] = 0
        else:
            self._count_failure(port.number, slot)
        ctx.later(ctx.draw(plan.interval), lambda: self._next(port.number))

    def _failed(self, port: Port, slot: int, plan: CallPlan) -> None:
        self._count_failure(port.number, slot)
        self.ctx.later(self.ctx.draw(plan.interval), lambda: self._next(port.number))

    def _count_failure(self, port: int, slot: int) -> None:
        streaks = self.ports[port - 1].con_failed
        streaks[slot] = streaks.get(slot, 0) + 1

    def _month_key(self) -> str:
        return datetime.fromtimestamp(self.ctx.now(), UTC).strftime("%Y%m")

    def _add_month(self, port: int, slot: int, seconds: int) -> None:
        key = self._month_key()
        month, total = self.month.get((port, slot), (key, 0))
        self.month[(port, slot)] = (key, (total if month == key else 0) + seconds)

    # -- figures ------------------------------------------------------------------

    def durations(self, port: int, slot: int) -> tuple[str, str, str]:
        """dev-status tot_dur, mon_dur, day_dur: "<minutes talked>/<limit, -1 = none>"."""
        stats = self.ctx.stats
        total = stats.count(port, slot, "talk_seconds", Window.TOTAL) // 60
        today = stats.count(port, slot, "talk_seconds", Window.TODAY) // 60
        month, seconds = self.month.get((port, slot), ("", 0))
        this_month = seconds // 60 if month == self._month_key() else 0
        return f"{total}/-1", f"{this_month}/-1", f"{today}/-1"

    def figures(self, port: int, slot: int, window: Window) -> dict[str, object]:
        """The stat entry of spec 10.1.3 for one port and slot."""
        stats = self.ctx.stats

        def count(name: str) -> int:
            return stats.count(port, slot, name, window)

        calls, alerted, connected = count("calls"), count("alerted"), count("connected")
        talk = count("talk_seconds")
        return {
            "port": port,
            "slot": slot,
            "calls": calls,
            "alerted": alerted,
            "connected": connected,
            "con_failed": self.ports[port - 1].con_failed.get(slot, 0),
            "nc": f"{connected}/{calls}",
            "pdd": round(count("pdd_ms") / alerted / 1000) if alerted else 0,
            "acd": round(talk / connected) if connected else 0,
            "asr": round(100 * connected / calls) if calls else 0,
            "tcd": count("billed_minutes"),
            "act_tcd": talk,
        }
