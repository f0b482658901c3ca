"""A SIM slot's life as an explicit transition table keyed by (state, event).

The state is what the device reports (spec 4.1.4). The facts about the card
(blocked by the operator, unreadable, rejected by the network, out of balance)
live on `SimCard`; the device reads them to decide which event comes next, so
the table itself stays a plain lookup. An event that makes no sense in the
current state raises `IllegalTransition` with a reason the control API shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from emulator.core.codes import SimState


class SimEvent(StrEnum):
    INSERT = "insert"
    REMOVE = "remove"
    ACTIVATE = "activate"  # the slot becomes its port's current slot
    DEACTIVATE = "deactivate"  # another slot of the port becomes current
    BEGIN_REGISTRATION = "begin_registration"
    REGISTERED = "registered"
    REGISTER_FAIL = "register_fail"
    READ_ERROR = "read_error"
    BLOCK = "block"  # the operator bars the SIM
    UNBLOCK = "unblock"
    NO_BALANCE = "no_balance"
    TOPUP = "topup"
    CALL_START = "call_start"
    CALL_END = "call_end"
    PORT_CALL = "port_call"  # this port dials another port of the device
    PORT_CALL_WAIT = "port_call_wait"  # this port waits for a call from another port
    USER_LOCK = "user_lock"
    USER_UNLOCK = "user_unlock"
    DEVICE_LOCK = "device_lock"  # the device takes a failing SIM out of service
    RESET = "reset"  # the GSM module restarts
    MODULE_TIMEOUT = "module_timeout"  # the module stops answering (Skyline's 16)
    MODULE_OK = "module_ok"  # it answers again


S, E = SimState, SimEvent

# States in which the slot is its port's current slot and the module works it.
ACTIVE = frozenset(
    {
        S.DETECTED,
        S.REGISTERING,
        S.OK,
        S.IN_CALL,
        S.NO_BALANCE,
        S.REGISTER_FAILED,
        S.LOCKED,
        S.BLOCKED,
        S.READ_ERROR,
        S.PORT_CALLING,
        S.PORT_CALL_WAIT,
        S.MODULE_TIMEOUT,
    }
)
WITH_CARD = ACTIVE | {S.IDLE}
# Registered on the network: the states from which calls and SMS go out.
REGISTERED = frozenset({S.OK, S.IN_CALL, S.NO_BALANCE, S.PORT_CALLING, S.PORT_CALL_WAIT})
REGISTERING = frozenset({S.DETECTED, S.REGISTERING})  # on the way to REGISTERED or a failure


def _build() -> dict[tuple[SimState, SimEvent], SimState]:
    table: dict[tuple[SimState, SimEvent], SimState] = {}

    def rule(
        sources: frozenset[SimState] | set[SimState], event: SimEvent, target: SimState | None
    ) -> None:
        for source in sources:
            table[(source, event)] = source if target is None else target

    rule({S.NO_SIM}, E.INSERT, S.IDLE)
    rule(WITH_CARD, E.REMOVE, S.NO_SIM)
    rule({S.IDLE}, E.ACTIVATE, S.DETECTED)
    rule({S.NO_SIM, S.USER_LOCKED}, E.ACTIVATE, None)
    rule(ACTIVE, E.DEACTIVATE, S.IDLE)
    rule({S.NO_SIM, S.IDLE, S.USER_LOCKED}, E.DEACTIVATE, None)
    rule({S.DETECTED}, E.BEGIN_REGISTRATION, S.REGISTERING)
    rule({S.REGISTERING}, E.REGISTERED, S.OK)
    rule({S.REGISTERING}, E.REGISTER_FAIL, S.REGISTER_FAILED)
    rule(ACTIVE - {S.READ_ERROR, S.MODULE_TIMEOUT}, E.READ_ERROR, S.READ_ERROR)
    rule({S.MODULE_TIMEOUT}, E.READ_ERROR, None)
    rule({S.IDLE}, E.READ_ERROR, None)  # a card not being worked is not read
    rule({S.REGISTERING} | REGISTERED, E.BLOCK, S.BLOCKED)
    # A mute module (16) notices nothing: the card's facts are read when it answers again.
    rule(
        {S.IDLE, S.DETECTED, S.REGISTER_FAILED, S.LOCKED, S.READ_ERROR, S.MODULE_TIMEOUT},
        E.BLOCK,
        None,
    )
    rule({S.BLOCKED}, E.UNBLOCK, S.REGISTERING)
    rule(WITH_CARD - {S.BLOCKED}, E.UNBLOCK, None)
    rule({S.OK}, E.NO_BALANCE, S.NO_BALANCE)
    rule(WITH_CARD - {S.OK}, E.NO_BALANCE, None)
    rule({S.NO_BALANCE}, E.TOPUP, S.OK)
    rule(WITH_CARD - {S.NO_BALANCE}, E.TOPUP, None)
    rule({S.OK, S.NO_BALANCE}, E.CALL_START, S.IN_CALL)
    rule({S.IN_CALL, S.PORT_CALLING, S.PORT_CALL_WAIT}, E.CALL_END, S.OK)
    rule({S.OK}, E.PORT_CALL, S.PORT_CALLING)
    rule({S.OK}, E.PORT_CALL_WAIT, S.PORT_CALL_WAIT)
    rule({S.PORT_CALL_WAIT}, E.PORT_CALL, S.PORT_CALLING)  # the peer answers
    rule(set(SimState) - {S.USER_LOCKED}, E.USER_LOCK, S.USER_LOCKED)
    rule({S.USER_LOCKED, S.LOCKED}, E.USER_UNLOCK, S.IDLE)
    rule(set(SimState) - {S.USER_LOCKED, S.LOCKED}, E.USER_UNLOCK, None)
    rule({S.OK, S.NO_BALANCE, S.REGISTER_FAILED}, E.DEVICE_LOCK, S.LOCKED)
    rule(ACTIVE - {S.LOCKED}, E.RESET, S.DETECTED)
    rule({S.NO_SIM, S.IDLE, S.USER_LOCKED, S.LOCKED}, E.RESET, None)
    # Skyline: the module of the port stops answering while it works a card; when it
    # answers again it reads the network's state afresh (registering, as after unblock).
    rule(ACTIVE - {S.MODULE_TIMEOUT}, E.MODULE_TIMEOUT, S.MODULE_TIMEOUT)
    rule({S.MODULE_TIMEOUT}, E.MODULE_OK, S.REGISTERING)
    rule(WITH_CARD - {S.MODULE_TIMEOUT}, E.MODULE_OK, None)
    return table


TRANSITIONS: dict[tuple[SimState, SimEvent], SimState] = _build()


class IllegalTransition(ValueError):
    """An event that makes no sense in the slot's current state."""

    def __init__(self, state: SimState, event: SimEvent) -> None:
        self.state = state
        self.event = event
        super().__init__(f"cannot {event.value.replace('_', ' ')} a SIM in state {state}")


class NoCard(ValueError):
    """A SIM event on a slot that holds no card."""


# The SIM events an outside party can cause (the control API, scenarios): each is a
# method of the device (`insert_sim`, `block`, ...); emulator/actions.py maps the names.
SIM_EVENTS = (
    "insert",
    "remove",
    "block",
    "unblock",
    "no_balance",
    "topup",
    "register_fail",
    "register_ok",
    "read_error",
    "read_ok",
    "signal",
    "lock",
    "unlock",
    "module_timeout",  # skyline firmware only (Device.module_timeout refuses elsewhere)
    "module_ok",
)


def next_state(state: SimState, event: SimEvent) -> SimState:
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition(state, event) from None


@dataclass(slots=True)
class SimCard:
    """What the card is, and what the network will make of it."""

    imsi: str
    iccid: str
    number: str
    operator: str
    balance: float
    signal: int
    blocked: bool = False
    read_error: bool = False
    register_fail: bool = False
    smsc: str = ""
    send_latency: tuple[float, float] | None = None  # None: the profile's sending.latency
    send_failure_rate: float | None = None
