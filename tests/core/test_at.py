"""AT passthrough answers from a port's model (EJOIN-EXTRAS, "AT passthrough")."""

from __future__ import annotations

import pytest
from conftest import make_device, small

from emulator.core.at import AtPort, ModuleInfo, module_answers, port_facts, respond
from emulator.core.codes import SimState

PORT = AtPort(
    imei="860000000000001",
    state=SimState.OK,
    imsi="460010000000001",
    iccid="89860110000000000001",
    number="13800000001",
    operator="46001 CHINA UNICOM GSM",
    signal=25,
)


def ask(command: str, port: AtPort = PORT) -> str | None:
    written: list[str] = []
    answer = respond(command, port, written.append)
    assert written == [], "only AT+EGMR writes"
    return answer


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("AT", "\r\nOK\r\n"),
        ("ATI", "\r\nQuectel\r\nEC20F\r\nRevision: EC20FAR06A01M4G\r\n\r\nOK\r\n"),
        ("AT+CGMI", "\r\nQuectel\r\n\r\nOK\r\n"),
        ("AT+CGMM", "\r\nEC20F\r\n\r\nOK\r\n"),
        ("AT+CGMR", "\r\nEC20FAR06A01M4G\r\n\r\nOK\r\n"),
        ("AT+CGSN", "\r\n860000000000001\r\n\r\nOK\r\n"),
        ("at+gsn", "\r\n860000000000001\r\n\r\nOK\r\n"),
        ("AT+CIMI", "\r\n460010000000001\r\n\r\nOK\r\n"),
        ("AT+CCID", "\r\n+CCID: 89860110000000000001\r\n\r\nOK\r\n"),
        ("AT+ICCID", "\r\n+ICCID: 89860110000000000001\r\n\r\nOK\r\n"),
        ("  at+qccid ", "\r\n+QCCID: 89860110000000000001\r\n\r\nOK\r\n"),
        ("AT+CNUM", '\r\n+CNUM: "","13800000001",129\r\n\r\nOK\r\n'),
        ("AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n"),
        ("AT+CSQ", "\r\n+CSQ: 25,99\r\n\r\nOK\r\n"),
        ("AT+COPS?", '\r\n+COPS: 0,0,"CHINA UNICOM GSM"\r\n\r\nOK\r\n'),
        ("AT+CREG?", "\r\n+CREG: 0,1\r\n\r\nOK\r\n"),
        ("AT+CGREG?", "\r\n+CGREG: 0,1\r\n\r\nOK\r\n"),
        ("AT+CEREG?", "\r\n+CEREG: 0,1\r\n\r\nOK\r\n"),
        ("AT+EGMR=0,7", '\r\n+EGMR: "860000000000001"\r\n\r\nOK\r\n'),
        ('AT+CUSD=1,"*100#",15', "\r\nERROR\r\n"),
        ('AT+CCHO="A000000087"', "\r\nERROR\r\n"),
        ('AT+CGLA=1,10,"00A4"', "\r\nERROR\r\n"),
        ("AT+CCHC=1", "\r\nERROR\r\n"),
        ("AT+COPS=?", "\r\nERROR\r\n"),
        ("AT;+CSQ", "\r\nERROR\r\n"),
        ("AT+CSQ;+CREG?", "\r\nERROR\r\n"),
        ("hello", "\r\nERROR\r\n"),
        ("", "\r\nERROR\r\n"),
    ],
)
def test_answers_of_a_registered_port(command: str, answer: str):
    assert ask(command) == answer


def test_a_number_in_international_form_is_type_145():
    port = AtPort(imei="1", state=SimState.OK, number="+8613800000001")
    assert ask("AT+CNUM", port) == '\r\n+CNUM: "","+8613800000001",145\r\n\r\nOK\r\n'


def test_a_profile_module_shows_in_ati():
    port = AtPort(imei="1", state=SimState.OK, module=ModuleInfo("SIMCOM", "SIM800C", "1418B05"))
    assert ask("ATI", port) == "\r\nSIMCOM\r\nSIM800C\r\nRevision: 1418B05\r\n\r\nOK\r\n"


@pytest.mark.parametrize(
    ("state", "stat"),
    [
        (SimState.OK, 1),
        (SimState.IN_CALL, 1),
        (SimState.NO_BALANCE, 1),
        (SimState.PORT_CALLING, 1),
        (SimState.PORT_CALL_WAIT, 1),
        (SimState.REGISTERING, 2),
        (SimState.DETECTED, 2),
        (15, 2),
        (SimState.REGISTER_FAILED, 3),
        (SimState.BLOCKED, 3),
        (SimState.NO_SIM, 0),
        (SimState.IDLE, 0),
        (SimState.LOCKED, 0),
        (SimState.READ_ERROR, 0),
        (SimState.USER_LOCKED, 0),
    ],
)
def test_registration_state_follows_the_sim_state(state: int, stat: int):
    port = AtPort(imei="1", state=state, operator="46001 CHINA UNICOM GSM", signal=20)
    assert ask("AT+CEREG?", port) == f"\r\n+CEREG: 0,{stat}\r\n\r\nOK\r\n"
    registered = stat == 1
    assert ask("AT+CSQ", port) == f"\r\n+CSQ: {20 if registered else 99},99\r\n\r\nOK\r\n"
    cops = '+COPS: 0,0,"CHINA UNICOM GSM"' if registered else "+COPS: 0"
    assert ask("AT+COPS?", port) == f"\r\n{cops}\r\n\r\nOK\r\n"


@pytest.mark.parametrize(
    ("state", "error"),
    [
        (SimState.NO_SIM, 10),
        (SimState.LOCKED, 10),
        (SimState.USER_LOCKED, 10),
        (SimState.READ_ERROR, 13),
    ],
)
@pytest.mark.parametrize(
    "command", ["AT+CIMI", "AT+CCID", "AT+ICCID", "AT+QCCID", "AT+CNUM", "AT+CPIN?"]
)
def test_sim_commands_on_a_missing_or_unreadable_card(state: SimState, error: int, command: str):
    port = AtPort(imei="860000000000001", state=state, imsi="4600", iccid="8986")
    assert ask(command, port) == f"\r\n+CME ERROR: {error}\r\n"
    assert ask("AT+CGSN", port) == "\r\n860000000000001\r\n\r\nOK\r\n"  # the module still talks


def test_egmr_writes_the_imei_and_nothing_else():
    written: list[str] = []
    assert respond('at+egmr=1,7,"865847053403202"', PORT, written.append) == "\r\nOK\r\n"
    assert written == ["865847053403202"]
    for bad in ('AT+EGMR=1,7,"86584705340320"', "AT+EGMR=1,7,865847053403202", 'AT+EGMR=1,7,"x"'):
        assert respond(bad, PORT, written.append) == "\r\nERROR\r\n"
    assert written == ["865847053403202"]


def test_a_mute_module_does_not_answer():
    port = AtPort(imei="1", state=16)
    assert ask("AT", port) is None
    assert not module_answers(16) and module_answers(SimState.NO_SIM)


def test_facts_of_a_device_port():
    device, clock = make_device(small())
    clock.advance(10)
    facts = port_facts(device, 2)
    card = device.ports[1].slot.card
    assert card is not None
    assert facts.state == SimState.OK and facts.imei == device.imei(2)
    assert ask("AT+CIMI", facts) == f"\r\n{card.imsi}\r\n\r\nOK\r\n"
    assert ask("AT+CSQ", facts) == f"\r\n+CSQ: {card.signal},99\r\n\r\nOK\r\n"
