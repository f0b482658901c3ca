"""Random USSD strings and AT commands never raise, and a refusal changes nothing."""

from __future__ import annotations

import random
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.clock import VirtualClock
from emulator.core.at import AtPort, respond
from emulator.core.codes import SimState, TaskStatus
from emulator.core.ussd import UssdConfig, UssdNetwork

REFUSED = {TaskStatus.USSD_EXPECTED, TaskStatus.PENDING_USSD, TaskStatus.SIM_UNREGISTERED}
STATES = [*SimState, 16]
USSD_WORDS = ["*100#", "*101#", "*123#", "1", "2", "0", "9", "#", "*#", " *123# ", ""]
AT_WORDS = [
    "AT", "ATI", "AT+CGSN", "AT+CIMI", "AT+CCID", "AT+CNUM", "AT+CPIN?", "AT+CSQ",
    "AT+COPS?", "AT+CREG?", "AT+EGMR=0,7", 'AT+EGMR=1,7,"865847053403202"', ";", "+",
]  # fmt: skip


@dataclass
class Sim:
    state: int = SimState.OK
    balance: float = 50.0
    number: str = "13800000001"
    imsi: str = "460010000000001"
    iccid: str = "89860110000000000001"
    imei: str = "860000000000001"
    operator: str = "46001 CHINA UNICOM GSM"
    port_name: str = "1"

    def topup(self, amount: float) -> None:
        self.balance = round(self.balance + amount, 2)


ussd_text = st.one_of(st.sampled_from(USSD_WORDS), st.text(max_size=20))


@settings(max_examples=300, deadline=None)
@given(
    setup=st.lists(ussd_text, max_size=3),
    state=st.sampled_from(STATES),
    text=ussd_text,
    latency=st.sampled_from([0.0, 4.0]),
    timeout=st.integers(1, 600),
    retries=st.integers(0, 10),
)
def test_random_ussd_never_raises_and_a_refusal_changes_nothing(
    setup: list[str], state: int, text: str, latency: float, timeout: int, retries: int
):
    clock = VirtualClock(0.0)
    net = UssdNetwork(UssdConfig(latency=(latency, latency)), clock, random.Random(0))
    sim = Sim()
    for earlier in setup:  # leaves the port idle, open or waiting
        net.send(1, sim, earlier)
    sim.state = state
    before = (net.dialogues(), sim.balance, clock.pending, sim.state)
    request = net.send(1, sim, text, timeout=timeout, retries=retries)
    if request.answer is not None and request.answer.status in REFUSED:
        assert (net.dialogues(), sim.balance, clock.pending, sim.state) == before
        assert request.answer.resp == ""
    clock.advance(700)  # whatever was pending ends: answered, timed out or expired
    assert request.answer is not None
    assert net.dialogues() == {} and clock.pending == 0


at_text = st.one_of(
    st.sampled_from(AT_WORDS),
    st.builds(lambda a, b: a + b, st.sampled_from(AT_WORDS), st.text(max_size=10)),
    st.text(max_size=30),
)


@settings(max_examples=300, deadline=None)
@given(command=at_text, state=st.sampled_from(STATES))
def test_random_at_never_raises_and_only_egmr_writes(command: str, state: int):
    written: list[str] = []
    port = AtPort(imei="860000000000001", state=state, imsi="4600", number="1")
    answer = respond(command, port, written.append)
    if state == 16:
        assert answer is None
        return
    assert answer is not None and answer.startswith("\r\n") and answer.endswith("\r\n")
    final = answer.rstrip("\r\n").rsplit("\r\n", 1)[-1]
    assert final in ("OK", "ERROR") or final.startswith("+CME ERROR: ")
    if written:
        assert final == "OK" and command.strip().upper().startswith("AT+EGMR=1,7,")
    else:
        assert not (final == "OK" and command.strip().upper().startswith("AT+EGMR=1,"))
