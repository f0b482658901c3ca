"""Every path that names a port, under every port_format: the names on the wire (issue 8).

Input is given in a form other than the output each time, since input is accepted in
every form whatever the setting."""

import base64

import pytest
from conftest import CREDS, small

FORMATS = {
    "letter": lambda p, s: f"{p}{'ABCD'[s - 1]}",
    "dotted": lambda p, s: f"{p}.{s:02d}",
    "{port}.sp256.{slot:02d}": lambda p, s: f"{p}.sp256.{s:02d}",
}


@pytest.mark.parametrize("port_format", list(FORMATS))
async def test_names_on_the_wire(gateway_factory, receiver, port_format):
    name = FORMATS[port_format]
    gw = await gateway_factory(small(quirks={"port_format": port_format}))
    await gw.advance(10)
    # status: answered and pushed
    _, doc = await gw.get("/goip_get_status.html", url=receiver.url, **CREDS)
    assert [e["port"] for e in doc["status"]] == [name(p, 1) for p in range(1, 5)]
    await gw.get("/goip_send_cmd.html", op="switch", ports="2.02", **CREDS)  # dotted input
    await gw.advance(10)
    assert receiver.of_type("port-status")[-1]["port"] == name(2, 2)
    # send, report
    await gw.post(
        "/goip_post_sms.html",
        {
            "type": "send-sms",
            "sr_url": receiver.url,
            "sr_cnt": 1,
            "tasks": [{"tid": 1, "to": "1", "sms": "x", "from": "3A", "sdr": 1}],
        },
        **CREDS,
    )
    _, tasks = await gw.get("/goip_get_tasks.html", port="3", pos=0, **CREDS)
    assert [t["tid"] for t in tasks["tasks"]] == [1]
    await gw.advance(30)
    assert receiver.of_type("status-report")[0]["rpts"][0]["sdr"][0][2] == name(3, 1)
    # receive: pushed and queried
    await gw.get("/goip_send_cmd.html", op="set", sms_url=receiver.url, **CREDS)
    await gw.post("/_emulator/sms", {"port": "4", "sender": "+1", "text": "hi"})
    await gw.advance(0)
    assert receiver.of_type("recv-sms")[0]["sms"][0][1] == name(4, 1)
    _, inbox = await gw.get("/goip_get_sms.html", **CREDS)
    assert inbox["data"][0][1] == name(4, 1)
    assert base64.b64decode(inbox["data"][0][5]) == b"hi"
    # the control API speaks the same names
    _, state = await gw.get("/_emulator/state")
    assert state["ports"][1]["current"] == name(2, 2)
