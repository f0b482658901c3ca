"""USSD: the operator's menu trees and one dialogue per port (EJOIN-EXTRAS, "USSD").

Pure and synchronous. Time comes from an injected `UssdTimers` (a `VirtualClock`,
a `RealClock` or `Device.timers`), randomness (lost answers, drawn latency) from an
injected `random.Random`, and the port's current SIM is seen through `UssdSim`.

How an edge uses it (an HTTP handler of `goip_send_ussd.html`):

    request = network.send(port, sim, ussd, timeout=120, retries=3)
    if request.answer is None:  # held: the network answers later in device time
        future = loop.create_future()
        request.add_done_callback(lambda a: future.done() or future.set_result(a))
        answer = await future
    else:
        answer = request.answer
    # answer.status is a TaskStatus (0, 3, 4, 5 or 6), answer.resp the network's text

With `ussd.latency` 0 (the default) every answer is there when `send` returns, the
clock unmoved. With a latency the answer arrives on a timer of the clock, or becomes
`6 Timeout` when `timeout` passes first. The device tells the network when a port's
current SIM changes (`port_changed`), and drops dialogues on switch, reset, reboot and
`/_emulator/reset` (`drop`, `reset`); `dialogue(port)` is what `/_emulator/state` shows.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, Protocol

from emulator.core.codes import SimState, TaskStatus

if TYPE_CHECKING:
    from emulator.core.device import Device

# The states in which a port's current SIM dials USSD (EJOIN-EXTRAS: `port` of the answer).
USSD_STATES = frozenset(
    {
        SimState.OK,
        SimState.IN_CALL,
        SimState.NO_BALANCE,
        SimState.PORT_CALLING,
        SimState.PORT_CALL_WAIT,
    }
)
# Skyline's `16 Module Response Timeout` (a SimState beyond the spec): the module is mute,
# so a request waits its `timeout` and answers `6 Timeout`.
MODULE_TIMEOUT = SimState.MODULE_TIMEOUT

DEFAULT_TIMEOUT = 120.0
DEFAULT_RETRIES = 3
TEXT_FIELDS = ("balance", "number", "imsi", "iccid", "imei", "operator", "port")
_FIELD = re.compile(r"\{(" + "|".join(TEXT_FIELDS) + r")\}")
_OPERATOR_ID = re.compile(r"\d+")


class UssdHandle(Protocol):
    """A scheduled callback (emulator.core.timers.TimerHandle has more; this is all we use)."""

    def cancel(self) -> None: ...


class UssdTimers(Protocol):
    """The part of emulator.core.timers.Timers the network needs: device time and timers."""

    def now(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> UssdHandle: ...


class UssdSim(Protocol):
    """What the network needs of a port's current SIM (see `PortSim` for a device's)."""

    @property
    def state(self) -> int: ...  # a SimState, or 16 on Skyline

    @property
    def balance(self) -> float: ...

    @property
    def number(self) -> str: ...

    @property
    def imsi(self) -> str: ...

    @property
    def iccid(self) -> str: ...

    @property
    def imei(self) -> str: ...

    @property
    def operator(self) -> str: ...

    @property
    def port_name(self) -> str: ...

    def topup(self, amount: float) -> None:
        """Add `amount` to the balance as the `topup` SIM event does (5 registers again)."""
        ...


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType({key.strip(): value for key, value in mapping.items()})


@dataclass(frozen=True, slots=True)
class UssdNode:
    """A menu node: its text, and the replies that lead on (none: the dialogue closes).

    `topup` is added to the SIM's balance before the text is rendered; text fields
    (`{balance}`, `{number}`...) render the SIM's values at the time of the answer.
    """

    text: str
    options: Mapping[str, UssdNode] = field(default_factory=dict)
    topup: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", _frozen(self.options))


@dataclass(frozen=True, slots=True)
class UssdTree:
    """One operator's menus: service codes to nodes, and the texts for what matches none."""

    codes: Mapping[str, UssdNode] = field(default_factory=dict)
    unknown: str = "Unknown application"
    invalid: str = "Invalid choice."

    def __post_init__(self) -> None:
        object.__setattr__(self, "codes", _frozen(self.codes))


def _topup_option(amount: int) -> UssdNode:
    return UssdNode(
        text=f"Top-up of {amount}.00 done. New balance {{balance}}.", topup=float(amount)
    )


DEFAULT_TREE = UssdTree(
    codes={
        "*100#": UssdNode("Your balance is {balance}."),
        "*101#": UssdNode("Your number is {number}."),
        "*123#": UssdNode(
            "Top-up menu\n1. Add 10.00\n2. Add 20.00\n0. Exit",
            options={"1": _topup_option(10), "2": _topup_option(20), "0": UssdNode("Goodbye.")},
        ),
    }
)


@dataclass(frozen=True, slots=True)
class UssdConfig:
    """The profile's `ussd:` section in the core's terms (emulator.config.ussd builds it).

    `networks` is keyed by operator id ("46001") or "default"; a missing "default" is
    the built-in tree. `latency` is [min, max] seconds, drawn per attempt.
    """

    networks: Mapping[str, UssdTree] = field(default_factory=lambda: {"default": DEFAULT_TREE})
    latency: tuple[float, float] = (0.0, 0.0)
    session_timeout: float = 30.0
    failure_rate: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "networks", _frozen(self.networks))

    def tree_for(self, operator: str) -> UssdTree:
        """The tree of a SIM's operator ("46001 CHINA UNICOM GSM" -> "46001"), else default."""
        tree = self.networks.get(operator_id(operator))
        if tree is None:
            tree = self.networks.get("default", DEFAULT_TREE)
        return tree


@dataclass(frozen=True, slots=True)
class UssdAnswer:
    """What the device answers: a code of the USSD table and the network's text."""

    status: TaskStatus
    resp: str = ""


class UssdRequest:
    """One `goip_send_ussd.html` request: answered at once, or when the network answers."""

    __slots__ = ("_callbacks", "answer", "port", "ussd")

    def __init__(self, port: int, ussd: str) -> None:
        self.port = port
        self.ussd = ussd
        self.answer: UssdAnswer | None = None
        self._callbacks: list[Callable[[UssdAnswer], None]] = []

    @property
    def done(self) -> bool:
        return self.answer is not None

    def add_done_callback(self, callback: Callable[[UssdAnswer], None]) -> None:
        """Call `callback(answer)` when answered; at once if it already is."""
        if self.answer is not None:
            callback(self.answer)
        else:
            self._callbacks.append(callback)

    def _resolve(self, answer: UssdAnswer) -> None:
        if self.answer is not None:
            return
        self.answer = answer
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(answer)


def is_service_code(text: str) -> bool:
    """`*...#` or `#...#`: opens a dialogue; anything else is a reply to one."""
    text = text.strip()
    return len(text) >= 2 and text[0] in "*#" and text[-1] == "#"


def operator_id(operator: str) -> str:
    """The leading digits of an operator ("46001 CHINA UNICOM GSM" -> "46001"), or ""."""
    match = _OPERATOR_ID.match(operator.strip())
    return match.group() if match else ""


def dials_ussd(state: int) -> bool:
    """Whether a port whose current SIM is in `state` is listed under the answer's `port`."""
    return state in USSD_STATES


def port_ranges(ports: Iterable[int]) -> str:
    """Port numbers as the answer's `port` shows them: "1,3-6,8,10"; "" for none."""
    parts: list[str] = []
    run: list[int] = []
    for number in sorted(set(ports)):
        if run and number == run[-1] + 1:
            run.append(number)
            continue
        if run:
            parts.append(_run(run))
        run = [number]
    if run:
        parts.append(_run(run))
    return ",".join(parts)


def _run(run: list[int]) -> str:
    return str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}"


def render(text: str, sim: UssdSim) -> str:
    """A node's text with the SIM's fields; anything else in braces stays as written."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "balance":
            return f"{sim.balance:.2f}"
        if name == "port":
            return sim.port_name
        return str(getattr(sim, name))

    return _FIELD.sub(value, text)


DialogueState = Literal["waiting", "open"]


@dataclass(slots=True, eq=False)
class _Dialogue:
    """A port's exchange with the network: the device's view and the network's session."""

    code: str  # what opened it (a service code, or a reply sent with no dialogue open)
    tree: UssdTree
    sim: UssdSim
    state: DialogueState = "waiting"
    expires: float = 0.0
    node: UssdNode | None = None  # the network's session: the node answered last
    request: UssdRequest | None = None
    text: str = ""  # the string of the request being carried
    service_code: bool = False
    retries_left: int = 0
    attempt: UssdHandle | None = None
    attempt_due: float | None = None
    deadline: UssdHandle | None = None
    expiry: UssdHandle | None = None

    def cancel_timers(self) -> None:
        for handle in (self.attempt, self.deadline, self.expiry):
            if handle is not None:
                handle.cancel()
        self.attempt = self.deadline = self.expiry = None
        self.attempt_due = None


class UssdNetwork:
    """The operators' USSD side for every port of one device."""

    def __init__(self, config: UssdConfig, timers: UssdTimers, rng: random.Random) -> None:
        self.config = config
        self.timers = timers
        self.rng = rng
        self._dialogues: dict[int, _Dialogue] = {}
        # Requests on a mute module (16): they only wait for their timeout.
        self._mute: dict[int, list[tuple[UssdRequest, UssdHandle]]] = {}

    # -- requests ---------------------------------------------------------------

    def send(
        self,
        port: int,
        sim: UssdSim,
        ussd: str,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
    ) -> UssdRequest:
        """Dial `ussd` from the port's current SIM; refusals are answered at once."""
        request = UssdRequest(port, ussd)
        text = ussd.strip()
        if not text:
            request._resolve(UssdAnswer(TaskStatus.USSD_EXPECTED))
            return request
        if sim.state == MODULE_TIMEOUT:
            self._wait_mute(port, request, timeout)
            return request
        if not dials_ussd(sim.state):
            request._resolve(UssdAnswer(TaskStatus.SIM_UNREGISTERED))
            return request
        code = is_service_code(text)
        dialogue = self._dialogues.get(port)
        if dialogue is not None and (dialogue.state == "waiting" or code):
            request._resolve(UssdAnswer(TaskStatus.PENDING_USSD))
            return request
        if dialogue is None:
            dialogue = _Dialogue(code=text, tree=self.config.tree_for(sim.operator), sim=sim)
            self._dialogues[port] = dialogue
        elif dialogue.expiry is not None:  # open: a reply; the session waits no more
            dialogue.expiry.cancel()
            dialogue.expiry = None
        dialogue.state = "waiting"
        dialogue.sim = sim
        dialogue.request = request
        dialogue.text = text
        dialogue.service_code = code
        dialogue.retries_left = max(0, retries)
        dialogue.expires = self.timers.now() + timeout
        self._attempt(port, dialogue)
        if not request.done:
            dialogue.deadline = self.timers.call_later(
                timeout, lambda: self._deadline(port, dialogue)
            )
        return request

    def _wait_mute(self, port: int, request: UssdRequest, timeout: float) -> None:
        def expire() -> None:
            waiting = self._mute.get(port, [])
            self._mute[port] = [(r, h) for r, h in waiting if r is not request]
            request._resolve(UssdAnswer(TaskStatus.TIMEOUT))

        handle = self.timers.call_later(timeout, expire)
        self._mute.setdefault(port, []).append((request, handle))

    def _attempt(self, port: int, dialogue: _Dialogue) -> None:
        low, high = self.config.latency
        delay = low if low == high else self.rng.uniform(low, high)
        if delay <= 0:
            self._carry_out(port, dialogue)
            return
        dialogue.attempt_due = self.timers.now() + delay
        dialogue.attempt = self.timers.call_later(delay, lambda: self._carry_out(port, dialogue))

    def _carry_out(self, port: int, dialogue: _Dialogue) -> None:
        """The network acts on one attempt (a top-up is applied), then answers it."""
        if self._dialogues.get(port) is not dialogue:
            return  # dropped meanwhile; its timers were cancelled, this is belt and braces
        dialogue.attempt = None
        dialogue.attempt_due = None
        tree = dialogue.tree
        if dialogue.service_code:
            node = tree.codes.get(dialogue.text)
            fallback = tree.unknown
        elif dialogue.node is None:
            node, fallback = None, tree.unknown
        else:
            node = dialogue.node.options.get(dialogue.text)
            fallback = tree.invalid
        if node is None:
            resp = fallback
            dialogue.node = None
        else:
            if node.topup:
                dialogue.sim.topup(node.topup)
            resp = render(node.text, dialogue.sim)
            dialogue.node = node if node.options else None
        rate = self.config.failure_rate
        if rate > 0 and self.rng.random() < rate:  # the answer is lost on its way back
            if dialogue.retries_left > 0:
                dialogue.retries_left -= 1
                self._attempt(port, dialogue)
            else:
                self._finish(port, UssdAnswer(TaskStatus.TIMEOUT))
            return
        if dialogue.node is None:
            self._finish(port, UssdAnswer(TaskStatus.OK, resp))
            return
        request = dialogue.request
        if dialogue.deadline is not None:
            dialogue.deadline.cancel()
            dialogue.deadline = None
        dialogue.request = None
        dialogue.state = "open"
        timeout = self.config.session_timeout
        dialogue.expires = self.timers.now() + timeout
        dialogue.expiry = self.timers.call_later(timeout, lambda: self._expire(port, dialogue))
        if request is not None:
            request._resolve(UssdAnswer(TaskStatus.OK, resp))

    def _deadline(self, port: int, dialogue: _Dialogue) -> None:
        if self._dialogues.get(port) is not dialogue:
            return
        dialogue.deadline = None
        # An answer due at the very instant of the deadline arrives in time.
        due = dialogue.attempt_due
        if due is not None and due <= self.timers.now():
            if dialogue.attempt is not None:
                dialogue.attempt.cancel()
            self._carry_out(port, dialogue)
            if dialogue.request is None or dialogue.request.done:
                return
        self._finish(port, UssdAnswer(TaskStatus.TIMEOUT))

    def _expire(self, port: int, dialogue: _Dialogue) -> None:
        """The network closes an open dialogue nobody replied to, silently."""
        if self._dialogues.get(port) is dialogue:
            dialogue.expiry = None
            self._finish(port, None)

    def _finish(self, port: int, answer: UssdAnswer | None) -> None:
        """Close the port's dialogue; its waiting request gets `answer`."""
        dialogue = self._dialogues.pop(port, None)
        if dialogue is None:
            return
        dialogue.cancel_timers()
        request, dialogue.request = dialogue.request, None
        if request is not None and answer is not None:
            request._resolve(answer)

    # -- what the device tells the network -----------------------------------------

    def port_changed(self, port: int, state: int) -> None:
        """The port's current SIM is now in `state`: out of the USSD states, its dialogue goes."""
        if not dials_ussd(state):
            self.drop(port)

    def drop(self, port: int) -> None:
        """Forget the port's dialogue (switch, reset, the SIM left service).

        A request still waiting will never hear from the network: it is answered
        `6 Timeout` now rather than at its deadline, so no client waits for nothing.
        """
        self._finish(port, UssdAnswer(TaskStatus.TIMEOUT))
        for request, handle in self._mute.pop(port, []):
            handle.cancel()
            request._resolve(UssdAnswer(TaskStatus.TIMEOUT))

    def reset(self) -> None:
        """Every dialogue goes (reboot, `/_emulator/reset`)."""
        for port in sorted({*self._dialogues, *self._mute}):
            self.drop(port)

    # -- what /_emulator/state shows -------------------------------------------------

    def dialogue(self, port: int) -> dict[str, Any] | None:
        """`None`, or `{"code": "*123#", "state": "waiting" | "open", "expires": epoch}`.

        `expires` is when the device gives up waiting (waiting) or when the network
        closes the session (open), in device epoch seconds.
        """
        dialogue = self._dialogues.get(port)
        if dialogue is None:
            return None
        return {"code": dialogue.code, "state": dialogue.state, "expires": dialogue.expires}

    def dialogues(self) -> dict[int, dict[str, Any]]:
        """The ports with a dialogue, by port number."""
        return {port: d for port in sorted(self._dialogues) if (d := self.dialogue(port))}


@dataclass(frozen=True, slots=True)
class PortSim:
    """A device port's current SIM as the network sees it (read live on every access)."""

    device: Device
    port: int
    # How the personality writes a port and slot ({port} in a menu's text): the core
    # speaks numbers.
    name_of: Callable[[int, int], str] = lambda port, slot: f"{port}.{slot:02d}"

    @property
    def _slot(self) -> Any:
        return self.device.ports[self.port - 1].slot

    @property
    def state(self) -> int:
        return int(self._slot.state)

    def _card(self, name: str) -> str:
        card = self._slot.card
        return "" if card is None else str(getattr(card, name))

    @property
    def balance(self) -> float:
        card = self._slot.card
        return 0.0 if card is None else float(card.balance)

    @property
    def number(self) -> str:
        return self._card("number")

    @property
    def imsi(self) -> str:
        return self._card("imsi")

    @property
    def iccid(self) -> str:
        return self._card("iccid")

    @property
    def operator(self) -> str:
        return self._card("operator")

    @property
    def imei(self) -> str:
        return self.device.imei(self.port)

    @property
    def port_name(self) -> str:
        slot = self._slot
        return self.name_of(slot.port, slot.index)

    def topup(self, amount: float) -> None:
        from emulator.core.ports import PortRef

        slot = self._slot
        self.device.topup(PortRef(slot.port, slot.index), amount)
