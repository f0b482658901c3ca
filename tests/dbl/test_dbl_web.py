"""A DBL GoIP's web UI and HTTP SMS pages, served (DBL-GOIP.md 7): a real aiohttp client
against a gateway on the virtual clock, a real SMS server socket for its pushes."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from conftest import Gateway
from dbl_gateways import dbl_sections, merged
from sms_server import SmsServer

pytest_plugins = ["dbl_gateways"]  # the server and dbl fixtures

P = "/default/en_US/"
AUTH = {"u": "admin", "p": "admin"}
BASIC = {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()}
T0 = 0x6955B900  # 2026-01-01T00:00:00Z, the default virtual start
KEY0 = f"{T0:08x}"


@pytest.fixture
def dbl(server: SmsServer, dbl_gateways: Callable[..., Any]) -> Callable[..., Any]:
    """A two-line GoIP-2 with the web login admin/admin and 4 inbox slots a line."""

    async def factory(**sections: Any) -> Gateway:
        base = merged(
            dbl_sections(server),
            {
                "device": {
                    "username": "admin", "password": "admin", "name": "GoIP-2",
                    "firmware": "GST1610-1.01-70",
                },
                "dbl": {"inbox_slots": 4},
            },
        )  # fmt: skip
        return await dbl_gateways(merged(base, sections))

    return factory


async def page(
    gw: Gateway, name: str, params: dict[str, str] | None = None, *,
    form: dict[str, str] | None = None, headers: dict[str, str] | None = None,
) -> tuple[int, str, Any]:  # fmt: skip
    if form is None:
        resp = await gw.client.get(P + name, params=params or {}, headers=headers)
    else:
        resp = await gw.client.post(P + name, params=params or {}, data=form, headers=headers)
    return resp.status, await resp.text(), resp.headers


async def send(gw: Gateway, line: str, number: str, text: str) -> str:
    _, body, _ = await page(gw, "send.html", {**AUTH, "l": line, "n": number, "m": text})
    return body


async def records(gw: Gateway, tag: str = "smskey") -> dict[int, tuple[str, str, str]]:
    name = "send_status.xml" if tag == "id" else "send_sms_status.xml"
    status, xml, _ = await page(gw, name, headers=BASIC)
    assert status == 200
    found = {}
    for n in (1, 2):
        values = [re.search(f"<{t}{n}>(.*?)</{t}{n}>", xml) for t in (tag, "status", "error")]
        assert all(values), xml
        found[n] = tuple(v[1] for v in values if v)
    return found  # type: ignore[return-value]


def sent(gw: Gateway) -> list[dict[str, Any]]:
    return gw.journal("device", "sms_sent")


async def inject(gw: Gateway, port: str, sender: str, text: str) -> None:
    status, doc = await gw.post("/_emulator/sms", {"port": port, "sender": sender, "text": text})
    assert status == 200, doc


# --- send.html -------------------------------------------------------------------------------


async def test_send_html_sends_through_the_line_and_reports_it_in_send_status(dbl, server):
    gw = await dbl()
    assert await send(gw, "1", "+15550001", "hello") == (
        f"\nSending,L1 Send SMS to:+15550001; ID:{KEY0}\n"
    )
    assert (await records(gw, "id"))[1] == (KEY0, "STARTED", "")
    assert (await records(gw, "smskey"))[1] == (KEY0, "STARTED", "")  # the same key
    assert (await records(gw))[2] == ("", "", "")
    await gw.advance(2)  # sending.latency
    assert (await records(gw, "id"))[1] == (KEY0, "DONE", "")
    [entry] = sent(gw)
    assert {k: entry[k] for k in ("line", "to", "text", "via", "key", "ok", "sms_no")} == {
        "line": 1, "to": "+15550001", "text": "hello", "via": "http", "key": KEY0, "ok": True,
        "sms_no": 1,
    }  # fmt: skip
    # Sent by any interface: the SMS server hears its DELIVER (dbl.delivery_delay 5 s).
    await gw.advance(5)
    pushes = [d for d, _ in await server.recv_all(3) if d.startswith(b"DELIVER:")]
    assert len(pushes) == 1 and b";sms_no:1;state:0;num:+15550001" in pushes[0]


async def test_send_html_takes_a_post_form_msg_and_basic_auth(dbl):
    gw = await dbl()
    status, body, headers = await page(
        gw, "send.html", form={"l": "2", "n": "+1555", "msg": "é ünïcode"}, headers=BASIC
    )
    assert (status, body) == (200, f"\nSending,L2 Send SMS to:+1555; ID:{KEY0}\n")
    assert headers["Content-Type"].startswith("text/html")
    await gw.advance(2)
    assert [e["text"] for e in sent(gw)] == ["é ünïcode"]


async def test_ids_follow_the_clock_and_grow_by_one_when_it_has_not_moved(dbl):
    gw = await dbl()
    first = await send(gw, "1", "+1", "a")
    second = await send(gw, "2", "+2", "b")
    assert first.endswith(f"ID:{T0:08x}\n") and second.endswith(f"ID:{T0 + 1:08x}\n")
    await gw.advance(100)
    assert (await send(gw, "1", "+1", "c")).endswith(f"ID:{T0 + 100:08x}\n")


async def test_send_html_refusals_send_nothing(dbl):
    gw = await dbl()
    bad_auth = [{"u": "admin", "p": "nope"}, {"u": "root", "p": "admin"}, {}]
    for creds in bad_auth:
        _, body, _ = await page(gw, "send.html", {**creds, "l": "1", "n": "+1", "m": "x"})
        assert body == "ERROR,user or password error"
    status, body, _ = await page(
        gw, "send.html", {"l": "1", "n": "+1", "m": "x"},
        headers={"Authorization": "Basic " + base64.b64encode(b"admin:x").decode()},
    )  # fmt: skip
    assert (status, body) == (200, "ERROR,user or password error")
    for line in ("0", "3", "x", "", "1.5", "-1"):
        assert await send(gw, line, "+1", "x") == "ERROR,invalid line"
    assert await send(gw, "1", "", "x") == "ERROR,no number"
    assert await send(gw, "1", "+1", "") == "ERROR,no message"
    await gw.post("/_emulator/sims/2A", {"event": "remove"})
    assert await send(gw, "2", "+1", "x") == "ERROR,L2 GSM logout"
    await gw.advance(10)
    assert sent(gw) == []
    assert await records(gw) == {1: ("", "", ""), 2: ("", "", "")}


async def test_a_line_that_is_sending_is_busy_and_queues_nothing(dbl, server):
    gw = await dbl()
    await send(gw, "1", "+1", "first")
    assert await send(gw, "1", "+2", "second") == "ERROR,L1 busy"
    assert (await send(gw, "2", "+3", "other line")).startswith("\nSending,L2")
    await gw.advance(2)
    assert (await send(gw, "1", "+4", "after")).startswith("\nSending,L1")
    await gw.advance(2)
    assert sorted(e["to"] for e in sent(gw)) == ["+1", "+3", "+4"]


async def test_a_udp_bulk_send_on_the_line_makes_it_busy_and_leaves_its_record(dbl, server):
    gw = await dbl()
    await gw.advance(1)
    addr = {}
    for data, a in await server.recv_all(2):
        addr[int(data.split(b";")[1].removeprefix(b"id:goip"))] = a
    server.send(b"MSG 9 2 hi", addr[1])
    server.send(b"PASSWORD 9 goip", addr[1])
    server.send(b"SEND 9 1 +1555", addr[1])
    await server.recv_all(3)  # PASSWORD, SEND, WAIT
    assert await send(gw, "1", "+1", "x") == "ERROR,L1 busy"
    await gw.advance(2)
    assert (await server.recv())[0] == b"OK 9 1 1\n"
    assert (await records(gw))[1] == ("", "", "")  # UDP sends set no record
    assert [e["via"] for e in sent(gw)] == ["udp"]


async def test_a_failed_send_is_done_with_the_failure_code(dbl):
    gw = await dbl(sending={"failure_rate": 1})
    await send(gw, "1", "+1", "x")
    await gw.advance(2)
    assert (await records(gw, "id"))[1] == (KEY0, "DONE", "38")
    assert [(e["ok"], e["error"], e["sms_no"]) for e in sent(gw)] == [(False, "38", None)]


# --- auth of the other pages -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["send_status.xml", "send_sms_status.xml", "tools.html", "sms_info.html", "ussd_info.html",
     "status.xml"],
)  # fmt: skip
async def test_other_pages_answer_401_with_the_basic_challenge(dbl, name):
    gw = await dbl()
    for params, headers in (
        ({}, None),
        ({"u": "admin", "p": "wrong"}, None),
        ({}, {"Authorization": "Basic " + base64.b64encode(b"admin:wrong").decode()}),
        ({}, {"Authorization": "Basic !!notbase64"}),
        ({}, {"Authorization": "Bearer admin"}),
    ):
        status, _, got = await page(gw, name, params, headers=headers)
        assert status == 401
        assert got["WWW-Authenticate"] == 'Basic realm="GoIP"'
    assert (await page(gw, name, AUTH))[0] == 200
    assert (await page(gw, name, headers=BASIC))[0] == 200


async def test_other_paths_are_404_and_nothing_of_the_ejoin_api_is_served(dbl):
    gw = await dbl()
    for path in (P + "index.html", P + "send", P, "/goip_get_status.html", "/goip_post_sms.html"):
        resp = await gw.client.get(path, params={**AUTH, "username": "admin", "password": "admin"})
        assert resp.status == 404, path


async def test_the_journal_names_each_page_and_never_holds_a_password(dbl):
    gw = await dbl()
    await send(gw, "1", "+1", "x")
    form = {**AUTH, "line": "2", "telnum": "+2", "smscontent": "y", "smskey": "k"}
    await page(gw, "sms_info.html", {"type": "sms"}, form=form)
    await page(gw, "status.xml", {"p": "admin", "u": "admin", "type": "gsm"})
    resp = await gw.client.head(P + "status.xml", params=AUTH)
    assert resp.status == 405
    entries = gw.journal("request")
    assert [e["type"] for e in entries] == [
        "send.html",
        "sms_info.html",
        "status.xml",
        "status.xml",
    ]
    assert entries[0]["answer"] == f"\nSending,L1 Send SMS to:+1; ID:{KEY0}\n"
    assert entries[1]["body"]["p"] == "***" and entries[1]["body"]["telnum"] == "+2"
    _, doc = await gw.get("/_emulator/journal")
    assert "admin" not in json.dumps([e for e in doc["entries"] if e["kind"] == "request"]).replace(
        '"u": "admin"', ""
    )
    text = await (await gw.client.get("/_emulator/metrics")).text()
    assert 'goip_requests_total{endpoint="send.html",status="200"} 1' in text


async def test_http_faults_name_a_page(dbl):
    gw = await dbl()
    status, doc = await gw.post(
        "/_emulator/faults", {"action": "error", "status": 503, "endpoint": "send.html"}
    )
    assert status == 200, doc
    assert (await page(gw, "send.html", {**AUTH, "l": "1", "n": "+1", "m": "x"}))[0] == 503
    assert (await page(gw, "status.xml", AUTH))[0] == 200
    await gw.advance(5)
    assert sent(gw) == []
    status, doc = await gw.post("/_emulator/faults", {"action": "error", "endpoint": "nope.xml"})
    assert status == 400


# --- the web form: tools.html, sms_info.html, ussd_info.html ---------------------------------


async def smskey_of(gw: Gateway, kind: str = "sms") -> str:
    _, html, _ = await page(gw, "tools.html", {"type": kind}, headers=BASIC)
    return html.split('smskey" value="')[1].split('"')[0]


async def test_the_sms_form_key_becomes_each_chosen_lines_record(dbl):
    gw = await dbl()
    key = await smskey_of(gw)
    assert key == KEY0
    form = {"smskey": key, "action": "SMS", "telnum": "+1555", "smscontent": "hi",
            "line1": "1", "line2": "1", "send": "Send"}  # fmt: skip
    status, html, _ = await page(gw, "sms_info.html", {"type": "sms"}, form=form, headers=BASIC)
    assert status == 200
    assert "L1: sending to +1555" in html and "L2: sending to +1555" in html
    assert await records(gw) == {1: (key, "STARTED", ""), 2: (key, "STARTED", "")}
    await gw.advance(2)
    assert await records(gw) == {1: (key, "DONE", ""), 2: (key, "DONE", "")}
    assert sorted((e["line"], e["via"], e["key"]) for e in sent(gw)) == [
        (1, "web", key), (2, "web", key),
    ]  # fmt: skip
    # The same POST again sends nothing: the key is each line's current one.
    _, html, _ = await page(gw, "sms_info.html", {"type": "sms"}, form=form, headers=BASIC)
    assert "L1: skipped: already sent with this smskey" in html
    await gw.advance(5)
    assert len(sent(gw)) == 2


async def test_line_field_form_and_an_empty_key_gets_a_fresh_device_key(dbl):
    gw = await dbl()
    form = {"line": "2", "smskey": "", "action": "sms", "telnum": "+1", "smscontent": "x"}
    _, html, _ = await page(gw, "sms_info.html", {"type": "sms"}, form=form, headers=BASIC)
    assert f"smskey {KEY0}" in html and "L2: sending to +1" in html
    assert (await records(gw))[2] == (KEY0, "STARTED", "")
    assert (await records(gw))[1] == ("", "", "")
    # A client's own key (goip-php-api picks rand()) is taken as it is.
    await gw.advance(2)
    form = {"line": "1", "smskey": "1804289383", "action": "sms", "telnum": "+1", "smscontent": "y"}
    await page(gw, "sms_info.html", {"type": "sms"}, form=form, headers=BASIC)
    assert (await records(gw))[1] == ("1804289383", "STARTED", "")


async def test_busy_and_unregistered_lines_are_skipped(dbl):
    gw = await dbl()
    await send(gw, "1", "+1", "on air")
    await gw.post("/_emulator/sims/2A", {"event": "remove"})
    form = {"smskey": "k7", "action": "SMS", "telnum": "+9", "smscontent": "x",
            "line1": "1", "line2": "1"}  # fmt: skip
    _, html, _ = await page(gw, "sms_info.html", {"type": "sms"}, form=form, headers=BASIC)
    assert "L1: skipped: busy" in html and "L2: skipped: GSM logout" in html
    got = await records(gw)
    assert got[1] == (KEY0, "STARTED", "")  # the send on the air keeps its record
    assert got[2] == ("k7", "DONE", "GSM logout")
    await gw.advance(5)
    assert [e["to"] for e in sent(gw)] == ["+1"]


async def test_form_refusals_send_nothing(dbl):
    gw = await dbl()
    for form in (
        {"line1": "1", "telnum": "", "smscontent": "x"},
        {"line1": "1", "telnum": "+1", "smscontent": ""},
        {"line1": "1", "telnum": "+1", "smscontent": "x", "action": "USSD"},
    ):
        status, html, _ = await page(gw, "sms_info.html", {"type": "sms"}, form=form, headers=BASIC)
        assert status == 200 and "ERROR," in html
    await gw.advance(5)
    assert sent(gw) == [] and await records(gw) == {1: ("", "", ""), 2: ("", "", "")}


async def test_ussd_form_records_started_then_the_reply(dbl):
    gw = await dbl(dbl={"ussd_replies": {"*101#": "Balance 12.50", "*0#": ""}})
    key = await smskey_of(gw, "ussd")
    form = {"smskey": key, "action": "USSD", "telnum": "*101#", "line1": "1", "send": "Send"}
    _, html, _ = await page(gw, "ussd_info.html", {"type": "ussd"}, form=form, headers=BASIC)
    assert "L1: sending USSD *101#" in html
    assert (await records(gw))[1] == (key, "STARTED", "")
    assert (await page(gw, "send.html", {**AUTH, "l": "1", "n": "+1", "m": "x"}))[1] == (
        "ERROR,L1 busy"
    )
    await gw.advance(3)  # dbl.ussd_latency
    assert (await records(gw))[1] == (key, "DONE", "Balance 12.50")
    # The default reply names the SIM's balance; an empty one is "no reply".
    form = {"smskey": "u2", "action": "ussd", "telnum": "*100#", "line": "2"}
    await page(gw, "ussd_info.html", {"type": "ussd"}, form=form, headers=BASIC)
    form = {"smskey": "u3", "action": "ussd", "telnum": "*0#", "line": "1"}
    await page(gw, "ussd_info.html", {"type": "ussd"}, form=form, headers=BASIC)
    await gw.advance(3)
    got = await records(gw)
    assert got[2] == ("u2", "DONE", "Your balance is 100.00")
    assert got[1] == ("u3", "DONE", "send, but provider not reply.")
    assert [e["code"] for e in gw.journal("device", "ussd")] == ["*101#", "*100#", "*0#"]


# --- inbox and outbox ------------------------------------------------------------------------


def scrape(html: str) -> dict[int, list[str]]:
    """What goip32's sed does with the first script: each `sms=` line with the next one."""
    script = html.split('<script language="javascript">', 1)[1].split("</script>", 1)[0]
    assert script.startswith("var sms, pos;\n")  # the split of [S13] 10020330906
    lines = script.split("\n")  # sed reads LF-ended lines; the CR stays on each
    found: dict[int, list[str]] = {}
    i = 0
    while i < len(lines):
        if lines[i].startswith("sms="):
            value = re.sub(r";\r?$", "", lines[i].removeprefix("sms= "))
            assert i + 1 < len(lines) - 1, "a line must follow the last insert line"
            tail = re.fullmatch(r".*, ([0-9]+)\);\r", lines[i + 1])
            assert tail is not None, lines[i + 1]
            found[int(tail[1])] = json.loads(value)
            i += 2
        else:
            i += 1
    return found


async def test_the_inbox_page_scraped_as_clients_do(dbl):
    gw = await dbl()
    await inject(gw, "1", "+1001", "first, with a comma; and semicolon")
    await gw.advance(60)
    await inject(gw, "1", "+1002", "second é")
    await inject(gw, "2", "+2001", "x" * 200)  # two parts: two entries
    status, html, _ = await page(gw, "tools.html", {"type": "sms_inbox"}, headers=BASIC)
    assert status == 200
    boxes = scrape(html)
    assert list(boxes) == [1, 2] and all(len(v) == 4 for v in boxes.values())  # inbox_slots
    assert boxes[1][:3] == [
        "01-01 00:01:00,+1002,second é",
        "01-01 00:00:00,+1001,first, with a comma; and semicolon",
        "",
    ]
    assert boxes[2][:3] == [
        "01-01 00:01:00,+2001," + "x" * 47,
        "01-01 00:01:00,+2001," + "x" * 153,
        "",
    ]
    # [S11] reads `sms=`, `];` and [S13] 10020330906 splits on `sms_row_insert(l`.
    assert len(re.findall(r"sms=\s(.*]);", html)) == 2
    # Non-ASCII arrives as UTF-8.
    raw = await (await gw.client.get(P + "tools.html", params={"type": "sms_inbox", **AUTH})).read()
    assert "second é".encode() in raw


async def test_inbox_timestamps_are_device_local_time(dbl):
    gw = await dbl(device={"timezone": "+03:00"})
    await inject(gw, "1", "+1", "x")
    _, html, _ = await page(gw, "tools.html", {"type": "sms_inbox"}, headers=BASIC)
    assert scrape(html)[1][0] == "01-01 03:00:00,+1,x"


async def test_inbox_delete_by_line_and_position(dbl):
    gw = await dbl()
    for n in range(3):
        await inject(gw, "1", f"+10{n}", f"m{n}")
    await inject(gw, "2", "+200", "keep")
    # line/pos without action=del read the page and delete nothing.
    _, html, _ = await page(gw, "tools.html", {"type": "sms_inbox", "line": "1", "pos": "-1"},
                            headers=BASIC)  # fmt: skip
    assert scrape(html)[1][:3] == ["01-01 00:00:00,+102,m2", "01-01 00:00:00,+101,m1",
                                   "01-01 00:00:00,+100,m0"]  # fmt: skip
    q = {"type": "sms_inbox", "action": "del", "line": "1", "pos": "1"}
    _, html, _ = await page(gw, "tools.html", q, headers=BASIC)
    assert [e.split(",")[1] for e in scrape(html)[1] if e] == ["+102", "+100"]
    assert (await gw.state())["inbox"]["size"] == 3
    q = {"type": "sms_inbox", "action": "del", "line": "-1", "pos": "-1"}
    _, html, _ = await page(gw, "tools.html", q, headers=BASIC)
    assert scrape(html) == {1: [""] * 4, 2: [""] * 4}
    assert (await gw.state())["inbox"]["size"] == 0  # gone from the device's inbox too


async def test_outbox_lists_sent_sms_of_every_interface(dbl, server):
    gw = await dbl()
    await send(gw, "1", "+1", "by http")
    await gw.advance(2)
    form = {"line": "1", "smskey": "w", "telnum": "+2", "smscontent": "by web"}
    await page(gw, "sms_info.html", {"type": "sms"}, form=form, headers=BASIC)
    await gw.advance(2)
    _, html, _ = await page(gw, "tools.html", {"type": "sms_outbox"}, headers=BASIC)
    assert scrape(html)[1][:3] == ["01-01 00:00:04,+2,by web", "01-01 00:00:02,+1,by http", ""]
    q = {"type": "sms_outbox", "action": "del", "line": "1", "pos": "0"}
    _, html, _ = await page(gw, "tools.html", q, headers=BASIC)
    assert scrape(html)[1][:2] == ["01-01 00:00:02,+1,by http", ""]


async def test_a_reset_forgets_records_and_boxes(dbl):
    gw = await dbl()
    await send(gw, "1", "+1", "x")
    await gw.advance(2)
    await gw.post("/_emulator/reset", {})
    assert await records(gw) == {1: ("", "", ""), 2: ("", "", "")}
    _, html, _ = await page(gw, "tools.html", {"type": "sms_outbox"}, headers=BASIC)
    assert scrape(html)[1] == [""] * 4


# --- status.xml ------------------------------------------------------------------------------


def fields_of(xml: str) -> dict[str, str]:
    assert xml.startswith('<?xml version="1.0" encoding="utf-8"?>\n<status>\n')
    return dict(re.findall(r"<([a-z0-9_]+)>(.*)</\1>", xml))


async def test_status_xml_reads_the_device_model(dbl, server):
    gw = await dbl()
    _, xml, headers = await page(gw, "status.xml", headers=BASIC)
    assert headers["Content-Type"].startswith("text/xml")
    listed = fields_of(xml)
    assert (listed["l1_gsm_sim"], listed["l1_gsm_status"], listed["l1_gsm_signal"]) == (
        "Y", "Y", "25",
    )  # fmt: skip
    assert listed["l1_gsm_cur_oper"] == "46001 CHINA UNICOM GSM"
    assert listed["l1_sms_login"] == "N"  # no keepalive acked yet
    await gw.post("/_emulator/sims/2A", {"event": "signal", "value": 7})
    await gw.post("/_emulator/sims/1A", {"event": "remove"})
    listed = fields_of((await page(gw, "status.xml", {"type": "list"}, headers=BASIC))[1])
    assert (listed["l1_gsm_sim"], listed["l1_gsm_status"], listed["l1_gsm_signal"]) == (
        "N",
        "N",
        "",
    )
    assert listed["l2_gsm_signal"] == "7"
    base = fields_of((await page(gw, "status.xml", {"type": "base"}, headers=BASIC))[1])
    assert (base["model"], base["version"], base["time"]) == (
        "GoIP-2", "GST1610-1.01-70", "2026-01-01 00:00:00",
    )  # fmt: skip
    gsm = fields_of((await page(gw, "status.xml", {"type": "gsm"}, headers=BASIC))[1])
    assert gsm["l2_gsm_imei"] == gw.device.imei(2)
    assert gsm["l2_sim_imsi"] and gsm["l2_sim_iccid"] and gsm["l1_sim_imsi"] == ""
    forward = fields_of((await page(gw, "status.xml", {"type": "callforward"}, headers=BASIC))[1])
    assert forward["l2_cf_busy_status"] == "OFF"


async def test_status_xml_shows_the_number_set_over_udp_and_the_login(dbl, server):
    gw = await dbl()
    await gw.advance(1)
    for data, addr in await server.recv_all(2):
        n = int(data.split(b";")[0].removeprefix(b"req:"))
        if b"id:goip02" in data:
            server.send(f"reg:{n};status:200;".encode(), addr)
            server.send(b"set_gsm_num 4 +15550002 goip", addr)
    await server.recv()  # set_gsm_num 4 +15550002 ok
    await asyncio.sleep(0.05)
    gsm = fields_of((await page(gw, "status.xml", {"type": "gsm"}, headers=BASIC))[1])
    assert gsm["l2_gsm_number"] == "+15550002"
    listed = fields_of((await page(gw, "status.xml", headers=BASIC))[1])
    assert (listed["l1_sms_login"], listed["l2_sms_login"]) == ("N", "Y")


async def test_font_tags_quirk(dbl):
    gw = await dbl(dbl={"quirks": {"font_tags": True}})
    await gw.post("/_emulator/sims/1A", {"event": "remove"})
    _, xml, _ = await page(gw, "status.xml", headers=BASIC)
    assert '<l1_gsm_status>&lt;font color="#FF0000">N&lt;/font></l1_gsm_status>' in xml
    assert "<l2_gsm_status>Y</l2_gsm_status>" in xml
