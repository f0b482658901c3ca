from conftest import make_device

from emulator.core.codes import SimState


def test_every_port_registers_on_its_first_slot():
    device, clock = make_device()
    clock.advance(10)
    assert [p.slot.state for p in device.ports] == [SimState.OK] * 4
