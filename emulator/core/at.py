"""AT passthrough: what a port's GSM module answers (EJOIN-EXTRAS, "AT passthrough").

Pure: `respond(command, port, write_imei)` reads the port's facts (`AtPort`, built by
the edge from the device, e.g. with `port_facts`) and returns what the module prints
in verbose mode without the echo, or None when the module is mute (Skyline's `16`:
the edge waits `timeout` and answers `6 Timeout`). Answers take no device time. The
one command that changes anything, `AT+EGMR=1,7,"<imei>"`, does it through
`write_imei`; every other command, and every refused one, changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator.core.codes import SimState
from emulator.core.ussd import MODULE_TIMEOUT, USSD_STATES

if TYPE_CHECKING:
    from emulator.core.device import Device

CRLF = "\r\n"
OK = f"{CRLF}OK{CRLF}"
ERROR = f"{CRLF}ERROR{CRLF}"

# +CME ERROR: 10 "SIM not inserted" covers a locked slot too: the module cannot reach it.
_NO_CARD = frozenset({SimState.NO_SIM, SimState.LOCKED, SimState.USER_LOCKED})
_REG_STAT = {
    **dict.fromkeys(USSD_STATES, 1),  # registered, home network
    **dict.fromkeys((SimState.REGISTERING, SimState.DETECTED), 2),  # searching
    **dict.fromkeys((SimState.REGISTER_FAILED, SimState.BLOCKED), 3),  # registration denied
    15: 2,  # Skyline's "15 Access Mobile Network": still searching
}
_EGMR_WRITE = re.compile(r'AT\+EGMR=1,7,"(\d{15})"')
_CCID = {"AT+CCID": "+CCID", "AT+ICCID": "+ICCID", "AT+QCCID": "+QCCID"}
_REG = {"AT+CREG?": "+CREG", "AT+CGREG?": "+CGREG", "AT+CEREG?": "+CEREG"}


@dataclass(frozen=True, slots=True)
class ModuleInfo:
    """The GSM module of every port (profile `device.module`)."""

    manufacturer: str = "Quectel"
    model: str = "EC20F"
    revision: str = "EC20FAR06A01M4G"


@dataclass(frozen=True, slots=True)
class AtPort:
    """What a port's module knows: its own IMEI and its current SIM (state, card, signal)."""

    imei: str
    state: int  # the current SIM's SimState (16 on Skyline: the module is mute)
    module: ModuleInfo = ModuleInfo()
    imsi: str = ""
    iccid: str = ""
    number: str = ""
    operator: str = ""  # as dev-status shows it: "46001 CHINA UNICOM GSM"
    signal: int = 0  # 0-31, the card's signal (dev-status `sig` while registered)


def module_answers(state: int) -> bool:
    """Whether a port is listed under an AT answer's `port`: its module is not mute."""
    return state != MODULE_TIMEOUT


def framed(*lines: str) -> str:
    """Information lines then OK, as a module prints them in verbose mode (ATV1).

    One CRLF before the first line, one after each, then the final result framed on its
    own: "\\r\\nQuectel\\r\\nEC20F\\r\\n\\r\\nOK\\r\\n" (a Quectel's ATI).
    """
    if not lines:
        return OK
    return CRLF + CRLF.join(lines) + CRLF + OK


def cme_error(code: int) -> str:
    return f"{CRLF}+CME ERROR: {code}{CRLF}"


def operator_name(operator: str) -> str:
    """The operator without its leading id: "46001 CHINA UNICOM GSM" -> "CHINA UNICOM GSM"."""
    head, _, rest = operator.strip().partition(" ")
    if head.isdigit() and rest.strip():
        return rest.strip()
    return operator.strip()


def respond(command: str, port: AtPort, write_imei: Callable[[str], None]) -> str | None:
    """The module's answer to one command; None while the module is mute (16)."""
    if not module_answers(port.state):
        return None
    cmd = command.strip().upper()
    if ";" in cmd:  # one command per request: a chain is not taken apart
        return ERROR
    if cmd == "AT":
        return OK
    module = port.module
    plain = {
        "ATI": (module.manufacturer, module.model, f"Revision: {module.revision}"),
        "AT+CGMI": (module.manufacturer,),
        "AT+CGMM": (module.model,),
        "AT+CGMR": (module.revision,),
        "AT+CGSN": (port.imei,),
        "AT+GSN": (port.imei,),
        "AT+EGMR=0,7": (f'+EGMR: "{port.imei}"',),
    }
    if cmd in plain:
        return framed(*plain[cmd])
    if cmd == "AT+CSQ":
        sig = port.signal if port.state in USSD_STATES else 99
        return framed(f"+CSQ: {sig},99")
    if cmd == "AT+COPS?":
        if port.state in USSD_STATES and port.operator.strip():
            return framed(f'+COPS: 0,0,"{operator_name(port.operator)}"')
        return framed("+COPS: 0")
    if cmd in _REG:
        return framed(f"{_REG[cmd]}: 0,{_REG_STAT.get(port.state, 0)}")
    match = _EGMR_WRITE.fullmatch(cmd)
    if match:
        write_imei(match.group(1))
        return OK
    sim = _sim_command(cmd, port)
    if sim is not None:
        return sim
    return ERROR


def _sim_command(cmd: str, port: AtPort) -> str | None:
    """Commands that read the card: `+CME ERROR` when it cannot be read; None: not one."""
    if cmd not in _CCID and cmd not in ("AT+CIMI", "AT+CNUM", "AT+CPIN?"):
        return None
    if port.state in _NO_CARD:
        return cme_error(10)
    if port.state == SimState.READ_ERROR:
        return cme_error(13)
    if cmd == "AT+CIMI":
        return framed(port.imsi)
    if cmd in _CCID:
        return framed(f"{_CCID[cmd]}: {port.iccid}")
    if cmd == "AT+CNUM":
        if not port.number:
            return OK  # no own number stored on the card: no information line
        kind = 145 if port.number.startswith("+") else 129
        return framed(f'+CNUM: "","{port.number}",{kind}')
    return framed("+CPIN: READY")


def port_facts(device: Device, port: int, module: ModuleInfo | None = None) -> AtPort:
    """A device port's facts as its module sees them now."""
    slot = device.ports[port - 1].slot
    card = slot.card
    return AtPort(
        imei=device.imei(port),
        state=int(slot.state),
        module=module or ModuleInfo(),
        imsi=card.imsi if card else "",
        iccid=card.iccid if card else "",
        number=card.number if card else "",
        operator=card.operator if card else "",
        signal=card.signal if card else 0,
    )
