"""Skyline's eSIM ports: profiles written and deleted in device time (EJOIN-EXTRAS, "eSIM").

Pure and synchronous, owned by the device like its other engines. The ports the profile
marks (`device.esim_ports`) each hold an eUICC with one profile slot per SIM slot of the
port. A write or a delete is submitted at once and shows `op` 1 or 2 with `status` 2
for `esim.op_time` device seconds, then completes with `status` 0: a written profile
is there (`exust` 1, enabled) with an ICCID drawn from the device's seeded random
source; a deleted one is gone. One operation at a time per port: another is refused
as busy meanwhile. A reboot interrupts one under way (its profile shows `status` 3 with
the reason); written profiles stay, being on the card.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from emulator.core.timers import TimerHandle

if TYPE_CHECKING:
    from emulator.core.context import EngineContext

# `op` of a profile: what is under way on it.
NO_OP, WRITING, DELETING = 0, 1, 2
# `status` of a profile: 0 nothing under way (done), 2 in progress, 3 failed (see reason).
DONE, IN_PROGRESS, FAILED = 0, 2, 3
# The answer to each item of a write or delete request.
SUBMITTED, PORT_BUSY, OTHER_ERROR = 1, 2, 3
MAX_CODE = 255  # longest activation / confirmation code taken


class EsimRefused(ValueError):
    """An item refused: `status` is PORT_BUSY or OTHER_ERROR, the message says why."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        super().__init__(reason)


@dataclass(slots=True)
class EsimProfile:
    slot: int  # from 1
    enabled: bool = False
    iccid: str = ""
    ac: str = ""  # activation code
    cc: str = ""  # confirmation code
    provider: str = ""
    exust: bool = False  # a profile is written in the slot
    op: int = NO_OP
    status: int = DONE
    reason: str = ""


@dataclass(slots=True)
class EsimPort:
    port: int
    eid: str
    profiles: list[EsimProfile]
    state: int = 1  # esim_state: the eUICC answers
    running: TimerHandle | None = field(default=None, repr=False)
    running_slot: int = 0


def luhn_digit(digits: str) -> str:
    """The check digit an ICCID ends with (ITU-T E.118: Luhn over the digits before it)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


class Esims:
    """The eSIM ports of one device."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        config = ctx.config
        slots = config.device.slots
        self.op_time = config.esim.op_time
        self.ports: dict[int, EsimPort] = {
            number: EsimPort(
                number,
                # EID: 32 digits, from the fleet index and the port (no draw: a device
                # without eSIM ports draws exactly what it drew before).
                f"89049032{config.index:012d}{number:012d}",
                [EsimProfile(s) for s in range(1, slots + 1)],
            )
            for number in config.esim.ports
        }
        operator = config.default_card.operator.strip()
        head, _, rest = operator.partition(" ")
        self.provider = rest.strip() if head.isdigit() and rest.strip() else operator

    def port(self, number: int) -> EsimPort | None:
        return self.ports.get(number)

    def _profile(self, number: int, slot: int) -> tuple[EsimPort, EsimProfile]:
        esim = self.ports.get(number)
        if esim is None:
            raise EsimRefused(OTHER_ERROR, f"port {number} has no eSIM")
        if not 1 <= slot <= len(esim.profiles):
            raise EsimRefused(OTHER_ERROR, f"slot {slot} is outside 1-{len(esim.profiles)}")
        if esim.running is not None:
            raise EsimRefused(PORT_BUSY, f"port {number} is busy with slot {esim.running_slot}")
        return esim, esim.profiles[slot - 1]

    def write(self, number: int, slot: int, ac: str, cc: str = "") -> EsimProfile:
        """Download a profile into an empty slot with its activation code."""
        if not ac.strip():
            raise EsimRefused(OTHER_ERROR, "ac: an activation code is needed")
        if len(ac) > MAX_CODE or len(cc) > MAX_CODE:
            raise EsimRefused(OTHER_ERROR, f"ac, cc: at most {MAX_CODE} characters")
        esim, profile = self._profile(number, slot)
        if profile.exust:
            raise EsimRefused(OTHER_ERROR, f"slot {slot} holds a profile: delete it first")
        profile.ac, profile.cc = ac, cc
        self._start(esim, profile, WRITING)
        return profile

    def delete(self, number: int, slot: int) -> EsimProfile:
        esim, profile = self._profile(number, slot)
        if not profile.exust:
            raise EsimRefused(OTHER_ERROR, f"slot {slot} holds no profile")
        self._start(esim, profile, DELETING)
        return profile

    def _start(self, esim: EsimPort, profile: EsimProfile, op: int) -> None:
        profile.op, profile.status, profile.reason = op, IN_PROGRESS, ""
        self.ctx.changed()
        esim.running_slot = profile.slot
        esim.running = self.ctx.later(self.op_time, lambda: self._complete(esim, profile))

    def _complete(self, esim: EsimPort, profile: EsimProfile) -> None:
        esim.running, esim.running_slot = None, 0
        if profile.op == WRITING:
            digits = "8988" + "".join(str(self.ctx.rng.randrange(10)) for _ in range(15))
            profile.iccid = digits + luhn_digit(digits)
            profile.exust = profile.enabled = True
            profile.provider = self.provider
        else:
            profile.iccid = profile.ac = profile.cc = profile.provider = ""
            profile.exust = profile.enabled = False
        profile.op, profile.status = NO_OP, DONE
        self.ctx.changed()

    def reboot(self) -> None:
        """The device powers off: an operation under way fails (its timer is void)."""
        for esim in self.ports.values():
            if esim.running is None:
                continue
            profile = esim.profiles[esim.running_slot - 1]
            if profile.op == WRITING:
                profile.ac = profile.cc = ""
            profile.op, profile.status = NO_OP, FAILED
            profile.reason = "interrupted by a reboot"
            esim.running.cancel()
            esim.running, esim.running_slot = None, 0
