"""JSON at the device's edge: what the fast parser refuses still gets the standard answer,
and the journal shows requests and answers as documents, credentials hidden."""

from __future__ import annotations

import re

import pytest

from emulator.record import jsonio

CREDS = {"username": "root", "password": "root"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"tid": 123456789012345678901234567890}', {"tid": 123456789012345678901234567890}),
        ('"\\ud83d\\ude00"', "\U0001f600"),
        ('{"a": [1, 2.5, "é"]}', {"a": [1, 2.5, "é"]}),
        ("[" * 32 + "]" * 32, [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]),
    ],
)
def test_loads_accepts_json_the_device_can_hold(text: str, expected: object) -> None:
    assert jsonio.loads(text.encode()) == expected


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'{"x": NaN}', "NaN"),
        (b'{"x": -Infinity}', "-Infinity"),
        (b'{"x": 1e400}', "beyond the range"),
        (b'"\\ud800"', "lone surrogate \\ud800"),
        (b'{"\\udfff": 1}', "lone surrogate \\udfff"),
        (b'{"tid": 1' + b"0" * 4300 + b"}", "4301 digits"),
        (b'{"tids": ' + b"[" * 1000 + b"]" * 1000 + b"}", "nested more than 32"),
        (b'"\xff"', "not UTF-8"),
        (b"{", "not valid JSON"),
    ],
)
def test_loads_refuses_what_could_not_be_held_naming_it(data: bytes, problem: str) -> None:
    with pytest.raises(jsonio.JsonRefused, match=re.escape(problem)):
        jsonio.loads(data)


def test_dumps_writes_a_lone_surrogate_as_its_escape() -> None:
    assert jsonio.dumps({"t": "a\ud800"}) == b'{"t":"a\\ud800"}'


def test_dumps_is_compact_utf8_and_takes_what_orjson_refuses() -> None:
    assert jsonio.dumps({"sms": "é", "n": [1, 2]}) == '{"sms":"é","n":[1,2]}'.encode()
    assert jsonio.dumps({1: 2**70}) == b'{"1":1180591620717411303424}'


async def test_a_tid_beyond_64_bits_is_named_in_the_error(gateway) -> None:
    body = {"type": "send-sms", "tasks": [{"tid": 2**70, "to": "1", "sms": "hi"}]}
    status, doc = await gateway.post("/goip_post_sms.html", body, **CREDS)
    assert status == 400
    assert "tasks.0.tid" in doc["reason"] and "above" in doc["reason"]
    assert (await gateway.task_ids()) == []


async def test_journal_shows_body_and_answer_as_documents_with_credentials_hidden(
    gateway,
) -> None:
    body = {
        "type": "send-sms",
        "username": "root",
        "password": "root",
        "tasks": [{"tid": 7, "to": "13800000000", "sms": "hello"}],
    }
    status, answer = await gateway.post("/goip_post_sms.html", body)
    assert status == 200 and answer["status"] == [{"tid": 7, "status": "0 OK"}]
    _, doc = await gateway.get("/_emulator/journal", kind="request", type="goip_post_sms")
    entry = doc["entries"][-1]
    assert entry["body"]["password"] == "***"
    assert entry["body"]["tasks"] == body["tasks"]
    assert entry["answer"] == answer
    assert entry["query"] == {}
