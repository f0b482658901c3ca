"""Scenario actions `ussd:` and `at_command:` in virtual time."""

import pytest
import yaml
from conftest import CREDS, small

from emulator.config.profile import ProfileError, parse_profile


def entries(gw):
    return [(e["action"], e["ok"], e["outcome"]) for e in gw.journal("control", "scenario")]


async def test_a_scenario_tops_up_over_ussd_and_writes_an_imei(gateway_factory):
    gw = await gateway_factory(
        small(
            scenario=[
                {"at": 20, "ussd": {"port": 1, "code": "*123#"}},
                {"at": 21, "ussd": {"port": "1", "code": 1}},
                {"at": 22, "ussd": {"port": "1", "code": "*100#"}},
                {"at": 24, "at_command": {"port": 2, "command": 'AT+EGMR=1,7,"861111111111111"'}},
            ]
        )
    )
    await gw.advance(30)
    got = entries(gw)
    assert got[0][:2] == ("ussd", True) and "Top-up menu" in got[0][2]
    assert got[1] == ("ussd", True, "1 on 1: Top-up of 10.00 done. New balance 110.00.")
    assert got[2] == ("ussd", True, "*100# on 1: Your balance is 110.00.")
    assert got[3] == ("at_command", True, 'AT+EGMR=1,7,"861111111111111" on 2: OK')
    _, status = await gw.get("/goip_get_status.html", **CREDS)
    assert status["status"][0]["bal"] == "110.00"
    assert status["status"][1]["imei"] == "861111111111111"


async def test_a_refused_ussd_is_journaled_with_its_code(gateway_factory):
    gw = await gateway_factory(
        small(
            scenario=[
                {"at": 20, "ussd": {"port": 1, "code": "*123#"}},
                {"at": 21, "ussd": {"port": 1, "code": "*100#"}},
            ]
        )
    )
    await gw.advance(30)
    assert entries(gw)[1] == ("ussd", False, "*100# on 1: 4 Pending USSD")


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"at": 1, "ussd": {"port": "1-2", "code": "*1#"}}, "scenario.0.ussd.port"),
        ({"at": 1, "ussd": {"port": "1", "code": ""}}, "code"),
        ({"at": 1, "at_command": {"port": "99", "command": "AT"}}, "scenario.0.at_command.port"),
        ({"at": 1, "ussd": {"port": "1", "code": "*1#"}, "reboot": True}, "exactly one action"),
    ],
)
def test_scenario_actions_are_validated(event, message):
    text = yaml.safe_dump({"device": {"ports": 4, "slots": 2}, "scenario": [event]})
    with pytest.raises(ProfileError) as err:
        parse_profile(text, "p.yaml")
    assert message in str(err.value)
