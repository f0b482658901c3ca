"""Skyline's eSIM ports in the core: writes and deletes in device time."""

import pytest
from conftest import make_device, small

from emulator.core.esim import (
    DELETING,
    DONE,
    FAILED,
    IN_PROGRESS,
    OTHER_ERROR,
    PORT_BUSY,
    WRITING,
    EsimRefused,
    luhn_digit,
)

AC = "LPA:1$smdp.example.com$K2-1A2B3C"


def esim_device(seed=1, op_time=30):
    profile = small(
        quirks={"firmware": "skyline"},
        device={"esim_ports": "2-3"},
        esim={"op_time": op_time},
    )
    return make_device(profile, seed)


def test_only_the_marked_ports_have_an_eid_and_a_profile_slot_per_sim_slot():
    device, _ = esim_device()
    esims = device.esims
    assert sorted(esims.ports) == [2, 3]
    assert esims.port(1) is None
    eid = esims.port(2).eid
    assert len(eid) == 32 and eid.isdigit() and eid != esims.port(3).eid
    assert [p.slot for p in esims.port(2).profiles] == [1, 2]
    assert all(not p.exust and p.status == DONE for p in esims.port(2).profiles)


def test_a_write_is_in_progress_for_op_time_then_the_profile_is_there():
    device, clock = esim_device()
    profile = device.esims.write(2, 1, AC, "1234")
    assert (profile.op, profile.status, profile.ac, profile.cc) == (
        WRITING,
        IN_PROGRESS,
        AC,
        "1234",
    )
    clock.advance(29.9)
    assert profile.status == IN_PROGRESS and not profile.exust
    clock.advance(0.1)
    assert (profile.op, profile.status, profile.exust, profile.enabled) == (0, DONE, True, True)
    assert len(profile.iccid) == 20 and profile.iccid.startswith("89")
    assert luhn_digit(profile.iccid[:-1]) == profile.iccid[-1]
    assert profile.provider == "CHINA UNICOM GSM"


def test_the_iccid_comes_from_the_seed():
    def iccid(seed):
        device, clock = esim_device(seed)
        profile = device.esims.write(3, 2, AC)
        clock.advance(30)
        return profile.iccid

    assert iccid(5) == iccid(5)
    assert len({iccid(s) for s in range(4)}) == 4


def test_one_operation_at_a_time_per_port():
    device, clock = esim_device()
    device.esims.write(2, 1, AC)
    with pytest.raises(EsimRefused) as busy:
        device.esims.write(2, 2, AC)
    assert busy.value.status == PORT_BUSY
    device.esims.write(3, 1, AC)  # another port is free
    clock.advance(30)
    device.esims.write(2, 2, AC)


@pytest.mark.parametrize(
    ("port", "slot", "ac", "why"),
    [
        (1, 1, AC, "port 1 has no eSIM"),
        (2, 3, AC, "slot 3 is outside 1-2"),
        (2, 0, AC, "slot 0 is outside 1-2"),
        (2, 1, " ", "an activation code is needed"),
        (2, 1, "x" * 256, "at most 255"),
    ],
)
def test_a_write_that_cannot_be_done_is_an_other_error_and_changes_nothing(port, slot, ac, why):
    device, _ = esim_device()
    with pytest.raises(EsimRefused, match=why) as refused:
        device.esims.write(port, slot, ac)
    assert refused.value.status == OTHER_ERROR
    assert all(
        p.status == DONE and not p.ac for e in device.esims.ports.values() for p in e.profiles
    )


def test_delete_needs_a_profile_and_clears_it_after_op_time():
    device, clock = esim_device(op_time=5)
    with pytest.raises(EsimRefused, match="holds no profile"):
        device.esims.delete(2, 1)
    profile = device.esims.write(2, 1, AC)
    clock.advance(5)
    with pytest.raises(EsimRefused, match="delete it first"):
        device.esims.write(2, 1, AC)
    device.esims.delete(2, 1)
    assert (profile.op, profile.status, profile.exust) == (DELETING, IN_PROGRESS, True)
    clock.advance(5)
    assert (profile.op, profile.status, profile.exust, profile.iccid, profile.ac) == (
        0,
        DONE,
        False,
        "",
        "",
    )


def test_a_reboot_interrupts_an_operation_and_keeps_written_profiles():
    device, clock = esim_device()
    written = device.esims.write(2, 1, AC)
    clock.advance(30)
    pending = device.esims.write(3, 1, AC)
    device.reboot()
    clock.advance(120)
    assert (pending.status, pending.reason, pending.exust) == (
        FAILED,
        "interrupted by a reboot",
        False,
    )
    assert written.exust and written.status == DONE
    device.esims.write(3, 1, AC)  # the port is free again
