"""Profile scenarios: timed SIM events, faults, commands and reboots in virtual time."""

import pytest
from conftest import CREDS, small

from emulator.config.profile import ProfileError, parse_profile
from emulator.core.codes import SimState


def scenario_entries(gw):
    return [e for e in gw.journal("control", "scenario")]


async def test_at_fires_once_at_its_time(gateway_factory):
    gw = await gateway_factory(
        small(
            behaviour={"auto_fail_sim_switch": False},
            scenario=[{"at": 30, "sim": {"slots": "2A", "event": "block"}}],
        )
    )
    await gw.advance(29.9)
    assert (await gw.port_st(2)) == SimState.OK
    await gw.advance(0.1)
    assert (await gw.port_st(2)) == SimState.BLOCKED
    await gw.advance(600)
    entries = scenario_entries(gw)
    assert [(e["action"], e["ok"], e["t"] - entries[0]["t"]) for e in entries] == [("sim", True, 0)]


async def test_every_with_count_and_until(gateway_factory):
    gw = await gateway_factory(
        small(
            scenario=[
                {"every": 60, "count": 3, "command": {"op": "reset", "ports": "1"}},
                {
                    "every": 100,
                    "start": 0,
                    "until": 250,
                    "sim": {"slots": "3A", "event": "signal", "value": 10},
                },
            ]
        )
    )
    await gw.advance(1000)
    entries = scenario_entries(gw)
    times = sorted((e["action"], round(e["t"] - gw.clock.now() + 1000)) for e in entries)
    assert times == [
        ("command", 60),
        ("command", 120),
        ("command", 180),
        ("sim", 0),
        ("sim", 100),
        ("sim", 200),
    ]


async def test_a_refused_action_is_journaled_and_the_scenario_goes_on(gateway_factory):
    gw = await gateway_factory(
        small(scenario=[{"every": 10, "count": 2, "sim": {"slots": "1A", "event": "insert"}}])
    )
    await gw.advance(30)
    entries = scenario_entries(gw)
    assert [e["ok"] for e in entries] == [False, False]
    assert "cannot insert" in entries[0]["outcome"]


async def test_fault_and_reboot_actions(gateway_factory):
    gw = await gateway_factory(
        small(
            device={"reboot_time": 20},
            scenario=[
                {"at": 10, "fault": {"action": "error", "status": 503, "count": 1}},
                {"at": 100, "reboot": True},
            ],
        )
    )
    await gw.advance(10)
    assert (await gw.get("/goip_get_status.html", **CREDS))[0] == 503
    assert (await gw.get("/goip_get_status.html", **CREDS))[0] == 200
    ssrc = (await gw.state())["device"]["ssrc"]
    await gw.advance(90)
    assert (await gw.state())["device"]["rebooting_until"] is not None
    await gw.advance(20)
    assert (await gw.state())["device"]["ssrc"] != ssrc


async def test_jitter_is_reproducible_with_the_seed(gateway_factory):
    profile = small(
        scenario=[
            {
                "every": 10,
                "count": 5,
                "jitter": 4,
                "sim": {"slots": "1B", "event": "signal", "value": 3},
            }
        ]
    )
    runs = []
    for _ in range(2):
        gw = await gateway_factory(profile, seed=5)
        await gw.advance(100)
        runs.append([e["t"] for e in scenario_entries(gw)])
    assert runs[0] == runs[1]
    assert len(runs[0]) == 5
    assert len({round(b - a, 6) for a, b in zip(runs[0], runs[0][1:], strict=False)}) > 1


async def test_reset_restarts_the_scenario(gateway_factory):
    gw = await gateway_factory(
        small(scenario=[{"at": 50, "command": {"op": "lock", "ports": "1"}}])
    )
    await gw.advance(40)
    await gw.post("/_emulator/reset", {})
    await gw.advance(40)
    assert (await gw.port_st(1)) != SimState.USER_LOCKED
    await gw.advance(10)
    assert (await gw.port_st(1)) == SimState.USER_LOCKED


@pytest.mark.parametrize(
    ("yaml_text", "words"),
    [
        (
            "scenario:\n  - sim: {slots: 1A, event: block}\n",
            "scenario.0: Value error, give exactly one of 'at'",
        ),
        ("scenario:\n  - at: 5\n    every: 5\n    reboot: true\n", "exactly one of 'at'"),
        ("scenario:\n  - at: 5\n", "exactly one action"),
        (
            "scenario:\n  - at: 5\n    reboot: true\n    sim: {slots: 1A, event: block}\n",
            "found sim, reboot",
        ),
        ("scenario:\n  - at: 5\n\n    fault: {action: boom}\n", ":4: scenario.0.fault.action"),
    ],
)
def test_scenario_errors_name_file_line_and_field(yaml_text, words):
    with pytest.raises(ProfileError) as info:
        parse_profile(yaml_text, "p.yaml")
    assert words in str(info.value)
    assert str(info.value).startswith("p.yaml:")
