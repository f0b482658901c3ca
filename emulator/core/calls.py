"""Voice calls on a port, for the call statistics of spec 10 and the durations of dev-status.

A call is dialled from a port's current SIM: after the post-dial delay it rings
(alerted) or fails; a ringing call is answered (connected) or not; an answered
call talks for its duration. The SIM shows `4 In Call` from dialling until hang-up,
and the port sends no SMS meanwhile. Calls on one port follow each other; a call
that finds the SIM not registered fails at once. Counters are kept per port and
slot in the device's windowed `Stats`.

A call may end early (`hang_up`: a user or the SMS server drops it): it is counted as
far as it got by then, talk time up to now. Each call carries the far party's number
(`CallPlan.number`, else one the device makes up) and the cause it ended with, for the
personalities that tell of calls (the DBL RECORD and HANGUP pushes).
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
    from emulator.core.timers import TimerHandle

# The cause a call ends with when it runs its course, and when `hang_up` ends it.
NORMAL = "normal"
HUNG_UP = "hangup"


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
    number: str | None = None  # the far party; None: the device makes one up per call


@dataclass(slots=True)
class Call:
    """The call on the air on a port (or its last one): who, and how it went or goes."""

    number: str
    slot: int
    plan: CallPlan
    started: float  # device time it was dialled
    pdd: float = 0.0
    alerted: bool = False
    answered: bool = False
    ring: float = 0.0
    talk: float = 0.0
    peer: int | None = None
    peer_slot: int = 0
    cause: str = ""  # empty while on the air
    handles: list[TimerHandle] = field(default_factory=list)

    @property
    def on_air(self) -> bool:
        return not self.cause


@dataclass(slots=True)
class PortCalls:
    plans: deque[CallPlan] = field(default_factory=deque)
    remaining: int = 0
    busy: bool = False
    con_failed: dict[int, int] = field(default_factory=dict)
    call: Call | None = None  # the current call, or the last one once it ended


class Calls:
    """The device's voice-call simulator and its counters."""

    def __init__(self, ctx: EngineContext, fire: Callable[[Port, SimEvent], bool]) -> None:
        self.ctx = ctx
        # A transition of a port's current SIM: the SIM table stays the device's.
        self._fire = fire
        self.ports = [PortCalls() for _ in ctx.ports]
        self.month: dict[tuple[int, int], tuple[str, int]] = {}  # slot -> (yyyymm, seconds)
        self.dialled = 0  # calls dialled since power-on: made-up numbers differ per call

    def reboot(self) -> None:
        """Calls in progress are cut and planned ones forgotten; the counters stay."""
        for state in self.ports:
            state.plans.clear()
            state.remaining = 0
            state.busy = False
            state.call = None

    def call(self, port: int) -> Call | None:
        """The call on the air on `port` (as caller or as the peer of an inter-call), or
        the last one that ended there; None before the first."""
        state = self.ports[port - 1]
        for other in self.ports:
            call = other.call
            if call is not None and call.on_air and call.peer == port:
                return call
        return state.call

    def hang_up(self, port: int, cause: str = HUNG_UP) -> bool:
        """End the call on the air on `port` now (either side of an inter-call); False
        when there is none. It counts as far as it got: never rang (hung up during the
        post-dial delay), rang unanswered, or answered with its talk time up to now."""
        call = self.call(port)
        if call is None or not call.on_air:
            return False
        caller = next(
            p for p, state in zip(self.ctx.ports, self.ports, strict=True) if state.call is call
        )
        for handle in call.handles:
            handle.cancel()
        elapsed = self.ctx.now() - call.started
        rang = call.alerted and elapsed >= call.pdd
        talked = call.answered and elapsed >= call.pdd + call.ring
        call.talk = elapsed - call.pdd - call.ring if talked else 0.0
        call.alerted, call.answered = rang, talked
        self._finish(caller, call, cause)
        return True

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
        call = self._new_call(port, slot, plan)
        self._fire(port, SimEvent.CALL_START)
        self._draw(call)
        call.handles.append(
            ctx.later(call.pdd + call.ring + call.talk, lambda: self._finish(port, call))
        )

    def _dial_peer(self, port: Port, peer: Port, plan: CallPlan) -> None:
        """A call from `port` to `peer`, another port of the device: both show `14 Waiting
        for Port Call` until answered, `13 Port Calling Port` while they talk, then `3 OK`.
        Only the caller's statistics count it; a peer not `3 OK` fails it at once."""
        ctx = self.ctx
        slot, peer_slot = port.current, peer.current
        if port.slot.state != SimState.OK or peer.slot.state != SimState.OK:
            self._failed(port, slot, plan)
            return
        call = self._new_call(port, slot, plan, peer.number, peer_slot)
        self._fire(port, SimEvent.PORT_CALL_WAIT)
        self._fire(peer, SimEvent.PORT_CALL_WAIT)
        self._draw(call)

        def answer() -> None:
            for side, index in ((port, slot), (peer, peer_slot)):
                if side.current == index and side.slot.state == SimState.PORT_CALL_WAIT:
                    self._fire(side, SimEvent.PORT_CALL)

        if call.answered:
            call.handles.append(ctx.later(call.pdd + call.ring, answer))
        call.handles.append(
            ctx.later(call.pdd + call.ring + call.talk, lambda: self._finish(port, call))
        )

    def _new_call(
        self, port: Port, slot: int, plan: CallPlan, peer: int | None = None, peer_slot: int = 0
    ) -> Call:
        """The port's call, known (with its number) before the SIM shows it: a listener
        told of the state change can ask `call(port)` who is called. A number the plan
        does not give is made up, distinct per call: +1555 and the dial count."""
        self.dialled += 1
        number = plan.number if plan.number is not None else f"+1555{self.dialled:07d}"
        call = Call(number, slot, plan, self.ctx.now(), peer=peer, peer_slot=peer_slot)
        self.ports[port.number - 1].call = call
        return call

    def _draw(self, call: Call) -> None:
        """The call's course from the seed: pdd, whether it rings and is answered, ring
        and talk times (in this order, so a seed repeats the same calls)."""
        ctx, plan = self.ctx, call.plan
        call.pdd = ctx.draw(plan.pdd)
        call.alerted = ctx.rng.random() < plan.alert_ratio
        call.answered = call.alerted and ctx.rng.random() < plan.answer_ratio
        call.ring = ctx.draw(plan.ring) if call.alerted else 0.0
        call.talk = ctx.draw(plan.talk) if call.answered else 0.0

    def _finish(self, port: Port, call: Call, cause: str = NORMAL) -> None:
        """The call is over (run its course, or hung up): both sides back to `3 OK`."""
        ctx = self.ctx
        call.cause = cause
        call.handles.clear()
        sides = [(port, call.slot)]
        if call.peer is not None:
            sides.append((ctx.ports[call.peer - 1], call.peer_slot))
        for side, index in sides:
            if side.current == index and side.slot.state in (
                SimState.IN_CALL,
                SimState.PORT_CALLING,
                SimState.PORT_CALL_WAIT,
            ):
                self._fire(side, SimEvent.CALL_END)
        self._ended(
            port,
            call.slot,
            call.plan,
            call.pdd if call.alerted else None,
            call.talk if call.answered else None,
        )

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
