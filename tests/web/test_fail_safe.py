"""Fail safe: a refused or malformed request changes nothing, never acts on "every task",
never gets a 5xx; what the device holds stays readable afterwards.

State is compared through /_emulator/state (tasks with their waiting messages,
settings, SIMs, inbox, push targets), as a user's script would see it."""

from __future__ import annotations

import asyncio
import json

import pytest
from conftest import CREDS, small

GOIP = [
    "/goip_get_status.html",
    "/goip_send_cmd.html",
    "/goip_post_sms.html",
    "/goip_pause_sms.html",
    "/goip_resume_sms.html",
    "/goip_remove_sms.html",
    "/goip_get_tasks.html",
    "/goip_get_sms.html",
    "/goip_get_sms_stat.html",
    "/goip_get_call_stat.html",
]
Q = "username=root&password=root"
TASK_OPS = ["/goip_pause_sms.html", "/goip_resume_sms.html", "/goip_remove_sms.html"]


async def fingerprint(gw) -> dict:
    _, doc = await gw.get("/_emulator/state")
    doc.pop("clock", None)
    return doc


async def with_tasks(gw) -> None:
    """Two tasks waiting on the (virtual, unmoving) clock: 1001 and 1002."""
    body = {
        "type": "send-sms",
        "tasks": [
            {"tid": 1001, "to": "100,101,102", "sms": "a", "from": "1"},
            {"tid": 1002, "to": "200,201", "sms": "b", "from": "2"},
        ],
    }
    status, doc = await gw.post("/goip_post_sms.html", body, **CREDS)
    assert [s["status"] for s in doc["status"]] == ["0 OK", "0 OK"]


async def raw(gw, method: str, path: str, query: str, body: bytes | None = None, **headers):
    resp = await gw.client.request(method, f"{path}?{query}", data=body, headers=headers)
    data = await resp.read()
    return resp.status, data


REFUSED_BODIES = [
    b"[1001]",
    b"null",
    b"1001",
    b'"1001"',
    b"true",
    b"[]",
    b"NaN",
    b'{"tids": null}',
    b'{"tids": 1001}',
    b'{"tids": "1001"}',
    b'{"tid": [1001]}',
    b'{"ids": [1001]}',
    b'{"tids": [[1001]]}',
    b'{"tids": [1001, null]}',
    b'{"tids": [true]}',
    b'{"tids": [1.5]}',
]


@pytest.mark.parametrize("path", TASK_OPS)
@pytest.mark.parametrize("body", REFUSED_BODIES)
async def test_a_task_op_of_the_wrong_shape_is_a_400_and_acts_on_nothing(gateway, path, body):
    await with_tasks(gateway)
    before = await fingerprint(gateway)
    status, data = await raw(gateway, "POST", path, Q, body)
    doc = json.loads(data)
    assert status == 400 and doc["code"] == 400, doc
    assert any(name in doc["reason"] for name in ("body", "tids", "tid", "ids")), doc
    assert await fingerprint(gateway) == before


REFUSED_QUERIES = [
    "tid=1001",
    "ids=1001",
    "tids=",
    "tids=%D9%A1%D9%A0%D9%A0%D9%A1",  # Arabic-Indic digits: not a task id
    "tids=abc",
    "tids=1001&tids[]=1002",
]


@pytest.mark.parametrize("path", TASK_OPS)
@pytest.mark.parametrize("query", REFUSED_QUERIES)
async def test_a_task_op_query_the_device_does_not_read_acts_on_nothing(gateway, path, query):
    await with_tasks(gateway)
    before = await fingerprint(gateway)
    status, data = await raw(gateway, "GET", path, f"{Q}&{query}")
    assert status == 400, data
    assert await fingerprint(gateway) == before


@pytest.mark.parametrize(
    "query",
    ["tids[]=1001&tids[]=9", "tids[0]=1001&tids[1]=9", "tids[1]=9&tids[0]=1001", "tids=1001,9"],
)
async def test_php_list_queries_mean_the_list(gateway, query):
    await with_tasks(gateway)
    status, data = await raw(gateway, "GET", "/goip_remove_sms.html", f"{Q}&{query}")
    doc = json.loads(data)
    assert status == 200 and doc["code"] == 200
    assert doc["results"] == [
        {"tid": 1001, "status": "0 OK"},
        {"tid": 9, "status": "11 TID Expected"},
    ]
    for port, listed in ((1, []), (2, [1002])):
        _, doc = await gateway.get("/goip_get_tasks.html", port=port, **CREDS)
        assert [t["tid"] for t in doc["tasks"]] == listed


async def test_an_empty_tids_list_acts_on_nothing_and_no_tids_acts_on_all(gateway):
    await with_tasks(gateway)
    before = await fingerprint(gateway)
    status, doc = await gateway.post("/goip_pause_sms.html", {"tids": []}, **CREDS)
    assert status == 200 and doc["results"] == []
    assert await fingerprint(gateway) == before
    # Credentials alone in the body: every task, as the spec says.
    status, doc = await gateway.post("/goip_pause_sms.html", dict(CREDS))
    assert status == 200 and "results" not in doc
    assert all(t["paused"] for t in (await fingerprint(gateway))["tasks"])
    status, doc = await gateway.post("/goip_remove_sms.html", b"", **CREDS)
    assert status == 200
    for port in (1, 2):
        _, doc = await gateway.get("/goip_get_tasks.html", port=port, **CREDS)
        assert doc["tasks"] == []


async def test_a_removed_task_is_gone_from_get_tasks_at_once(gateway):
    await with_tasks(gateway)
    await gateway.advance(0.5)  # the first message of 1001 is on the air
    status, doc = await gateway.post("/goip_remove_sms.html", {"tids": [1001]}, **CREDS)
    assert doc["results"] == [{"tid": 1001, "status": "0 OK"}]
    status, doc = await gateway.get("/goip_get_tasks.html", port=1, **CREDS)
    assert doc["total_num"] == 0 and doc["tasks"] == []


HOSTILE = [
    b'{"tid": 1' + b"0" * 4300 + b"}",
    b'{"username": "\\ud800", "password": "root"}',
    b'{"x": NaN}',
    b'{"x": [1e999]}',
    b'{"tids": ' + b"[" * 1000 + b"]" * 1000 + b"}",
    b'{"x": "\xff\xfe"}',
]


@pytest.mark.parametrize("path", GOIP)
@pytest.mark.parametrize("creds", [True, False])
async def test_bodies_no_parser_should_hold_are_a_4xx_on_every_endpoint(gateway, path, creds):
    await with_tasks(gateway)
    before = await fingerprint(gateway)
    for body in HOSTILE:
        status, data = await raw(gateway, "POST", path, Q if creds else "", body)
        doc = json.loads(data)
        assert 400 <= status < 500, (body[:40], doc)
        assert doc["code"] == 400 and doc["reason"].startswith("body "), doc
    assert await fingerprint(gateway) == before


async def test_an_encoded_body_is_a_415_naming_the_encoding(gateway):
    import gzip

    body = gzip.compress(json.dumps({"tids": [1]}).encode())
    for coding, data in (("gzip", body), ("br", b"xxxx"), ("gzip", b"not gzip")):
        status, answer = await raw(
            gateway, "POST", "/goip_remove_sms.html", Q, data, **{"Content-Encoding": coding}
        )
        assert status in (400, 415), answer
        if status == 415:
            assert coding in json.loads(answer)["reason"]


async def test_what_the_device_holds_stays_readable_after_hostile_input(gateway):
    """A surrogate once made the journal, state, metrics and op=get answer 500."""
    for body in HOSTILE:
        await raw(gateway, "POST", "/goip_post_sms.html", Q, body)
    await raw(gateway, "GET", "/goip_send_cmd.html", f"{Q}&op=set&sms_url=%ED%A0%80")
    for path in ("/_emulator/journal", "/_emulator/state", "/_emulator/metrics"):
        status, _ = await raw(gateway, "GET", path, "")
        assert status == 200, path
    status, data = await raw(gateway, "GET", "/goip_send_cmd.html", f"{Q}&op=get&sms_url")
    assert status == 200, data


async def test_a_send_sms_is_validated_whole_before_any_of_it_takes_effect(gateway):
    before = await fingerprint(gateway)
    good = {"tid": 7, "to": "100", "sms": "hi"}
    body = (
        b'{"type": "send-sms", "sr_url": "http://127.0.0.1:9/sr", "sr_cnt": 3, "tasks": ['
        + json.dumps(good).encode()
        + b', {"tid": 8, "to": "100", "sms": "bad \\ud800"}, {"tid": 9, "to": "1", "sms": "x"}]}'
    )
    status, data = await raw(gateway, "POST", "/goip_post_sms.html", Q, body)
    assert status == 400 and "surrogate" in json.loads(data)["reason"]
    assert await fingerprint(gateway) == before
    # A client that retries the good task is not told it is a duplicate.
    status, doc = await gateway.post(
        "/goip_post_sms.html", {"type": "send-sms", "tasks": [good]}, **CREDS
    )
    assert doc["status"] == [{"tid": 7, "status": "0 OK"}]


async def test_messages_held_at_once_are_bounded_with_16(gateway_factory):
    gw = await gateway_factory(small(sending={"max_messages": 50}))
    await gw.advance(10)
    many = ",".join(str(1000 + i) for i in range(40))
    body = {
        "type": "send-sms",
        "tasks": [{"tid": 1, "to": many, "sms": "a"}, {"tid": 2, "to": many, "sms": "b"}],
    }
    status, doc = await gw.post("/goip_post_sms.html", body, **CREDS)
    assert doc["status"] == [{"tid": 1, "status": "0 OK"}, {"tid": 2, "status": "16 Too Many Task"}]
    _, state = await gw.get("/_emulator/state")
    assert [t["tid"] for t in state["tasks"]] == [1]
    await gw.post("/goip_remove_sms.html", {"tids": [1]}, **CREDS)
    await gw.advance(60)
    status, doc = await gw.post("/goip_post_sms.html", body, **CREDS)
    assert doc["status"][0] == {"tid": 1, "status": "0 OK"}


@pytest.mark.parametrize("bad", ["\r\nX-Injected:1", "\nX", "\tx", " x", "%20x"])
async def test_callback_urls_are_taken_as_given_or_refused(gateway, bad):
    from urllib.parse import quote

    before = await fingerprint(gateway)
    url = "http://127.0.0.1:9/sr" + (bad if bad.startswith("%") else "")
    text = url if bad.startswith("%") else url + bad
    status, doc = await raw(
        gateway, "GET", "/goip_send_cmd.html", f"{Q}&op=set&sms_url={quote(text)}"
    )
    if bad.startswith("%"):  # an escaped space is part of a URL: taken as given
        assert json.loads(doc)["code"] == 0
        return
    answer = json.loads(doc)
    assert answer["code"] != 0 and "sms_url" in answer["reason"], answer
    for path, params in (
        ("/goip_get_status.html", {"url": text, "period": 60}),
        ("/goip_post_sms.html", None),
    ):
        if params is None:
            body = {
                "type": "send-sms",
                "sr_url": text,
                "tasks": [{"tid": 5, "to": "1", "sms": "x"}],
            }
            status, answer = await gateway.post(path, body, **CREDS)
            assert status == 400 and "sr_url" in answer["reason"], answer
        else:
            status, answer = await gateway.get(path, **params, **CREDS)
            assert status == 400 and "url" in answer["reason"], answer
    assert await fingerprint(gateway) == before


async def test_control_values_are_checked_when_accepted(gateway_factory):
    gw = await gateway_factory(small(device={"control_token": "s3cret"}))
    headers = {"X-Emulator-Token": "s3cret"}
    resp = await gw.client.get(
        "/_emulator/state", headers={"X-Emulator-Token": b"\xff\xfe".decode("latin-1")}
    )
    assert resp.status == 401
    await gw.advance(10)
    before = await (await gw.client.get("/_emulator/state", headers=headers)).json()
    before.pop("clock")
    bad = [
        ("/_emulator/sms", b'{"port": "1", "sender": "1", "text": "x", "ts": NaN}'),
        ("/_emulator/sms", b'{"port": "1", "sender": "1", "text": "x", "ts": "NaN"}'),
        ("/_emulator/sms", b'{"port": "1", "sender": "1", "text": "x", "ts": 1e300}'),
        ("/_emulator/sms", b'{"port": "1", "sender": "1", "text": "x", "ts": "0001-01-01T00:00"}'),
        ("/_emulator/calls", b'{"port": "1", "talk": ["NaN", "NaN"]}'),
        ("/_emulator/calls", b'{"port": "1", "pdd": [0, "Infinity"]}'),
        ("/_emulator/calls", b'{"port": "1", "pdd": [0, 1e12]}'),
        ("/_emulator/clock/advance", b'{"seconds": "NaN"}'),
        ("/_emulator/faults", b'{"action": "delay", "seconds": "Infinity"}'),
    ]
    for path, body in bad:
        resp = await gw.client.post(path, data=body, headers=headers)
        assert resp.status == 400, (path, body, await resp.text())
        assert "reason" in await resp.json()
    after = await (await gw.client.get("/_emulator/state", headers=headers)).json()
    after.pop("clock")
    assert after == before
    await gw.advance(60)  # nothing accepted above can break time


async def test_the_clock_stops_at_the_end_of_year_9999(gateway_factory):
    gw = await gateway_factory(small(start_time="9999-12-01T00:00:00Z"))
    status, doc = await gw.post("/_emulator/clock/advance", {"seconds": 86_400})
    assert status == 200
    status, doc = await gw.post("/_emulator/clock/advance", {"seconds": 40 * 86_400})
    assert status == 409 and "9999" in doc["reason"], doc
    for path in ("/_emulator/state", "/_emulator/journal", "/_emulator/metrics"):
        status, _ = await raw(gw, "GET", path, "")
        assert status == 200, path


async def test_concurrent_advances_each_move_their_seconds(gateway):
    _, start = await gateway.get("/_emulator/clock")
    await asyncio.gather(
        *(gateway.post("/_emulator/clock/advance", {"seconds": 10}) for _ in range(10))
    )
    _, end = await gateway.get("/_emulator/clock")
    assert round(end["now"] - start["now"], 3) == 100
