"""UDP faults in a profile's scenario are checked at load, like every other reference,
and armed at their time; an HTTP fault reads as before."""

from __future__ import annotations

import pytest
from conftest import make_profile, start_gateway

from emulator.config.profile import ProfileError, parse_profile

DBL = """\
device: {personality: dbl, ports: 2, slots: 1}
dbl: {local_port: 0}
scenario:
  - at: 5
    fault: {udp: {action: drop, line: 3}}
  - at: 6
    fault: {udp: {action: delay, dir: out}}
  - at: 7
    fault: {udp: {action: jam}}
  - at: 8
    fault: {action: error, status: 503, count: 2}
"""


def test_a_udp_fault_in_a_scenario_is_checked_with_its_line():
    with pytest.raises(ProfileError) as caught:
        parse_profile(DBL, "dbl.yaml")
    problems = caught.value.problems
    assert any(
        p.startswith("dbl.yaml:7: scenario.1.fault.udp:") and "action=delay needs" in p
        for p in problems
    )
    assert any(p.startswith("dbl.yaml:9: scenario.2.fault.udp.action:") for p in problems)
    assert not any("scenario.3" in p for p in problems)  # the HTTP fault is fine


def test_a_udp_fault_needs_a_dbl_device_and_one_of_its_lines():
    text = DBL.split("  - at: 6")[0]
    with pytest.raises(ProfileError) as caught:
        parse_profile(text, "dbl.yaml")
    assert any("scenario.0.fault: udp.line: no line 3: the device has 1-2" in p
               for p in caught.value.problems)  # fmt: skip
    ejoin = "device: {ports: 2}\nscenario:\n  - at: 5\n    fault: {udp: {action: drop}}\n"
    with pytest.raises(ProfileError) as caught:
        parse_profile(ejoin, "ejoin.yaml")
    assert any("needs a DBL GoIP device" in p for p in caught.value.problems)


async def test_a_scenario_arms_a_udp_fault_at_its_time():
    profile = make_profile(
        device={"personality": "dbl", "ports": 2, "slots": 1},
        dbl={"local_port": 0},
        scenario=[{"at": 5, "fault": {"udp": {"action": "duplicate", "keyword": "req"}}}],
    )
    gw = await start_gateway(profile, seed=1)
    try:
        await gw.advance(4)
        _, doc = await gw.get("/_emulator/faults")
        assert doc["faults"] == []
        await gw.advance(1)
        _, doc = await gw.get("/_emulator/faults")
        [fault] = doc["faults"]
        assert fault["udp"]["action"] == "duplicate" and fault["active"] is True
    finally:
        await gw.client.close()
        await gw.runtime.close()
