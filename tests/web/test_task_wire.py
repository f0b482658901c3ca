"""The send-sms task model read without a server: which problems are the request's
(HTTP 400 naming the field) and which are the task's (its status code)."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.config.ports import PortNames
from emulator.core.codes import TaskStatus
from emulator.core.tasks import TaskSpec
from emulator.ejoin.task_wire import parse_task
from emulator.transport.errors import ApiError

NAMES = PortNames(8, 4, "dotted")


def _read(raw: Any) -> tuple[Any, TaskSpec | TaskStatus]:
    return parse_task(NAMES, raw, "tasks.3")


def test_a_task_in_any_case_with_port_for_from() -> None:
    tid, spec = _read({"Tid": "7", "TO": "123, 456,", "SMS": "hi", "port": "2.01,2B,3"})
    assert tid == 7
    assert isinstance(spec, TaskSpec)
    assert (spec.recipients, spec.ports, spec.from_text) == (["123", "456"], [2, 3], "2.01,2B,3")
    assert (spec.tmo, spec.fdr, spec.sdr, spec.intvl) == (30.0, True, False, (0.0, 0.0))


def test_an_exact_lowercase_name_wins_over_another_case() -> None:
    _, spec = _read({"tid": 1, "to": "1", "SMS": "upper", "sms": "lower"})
    assert isinstance(spec, TaskSpec) and spec.text == "lower"


@pytest.mark.parametrize(
    ("raw", "field", "problem"),
    [
        ({"tid": "abc", "to": "1", "sms": "x"}, "tasks.3.tid", "is not a whole number"),
        ({"tid": 1, "to": ["1"], "sms": "x"}, "tasks.3.to", "is not text"),
        ({"tid": 1, "to": "1", "sms": "x", "coding": 3}, "tasks.3.coding", "above 2"),
        ({"tid": 1, "to": "1", "sms": "x", "chs": "latin1"}, "tasks.3.chs", "utf8 or base64"),
        ({"tid": 1, "to": "1", "sms": "x", "intvl": "9-1"}, "tasks.3.intvl", "low-high"),
        ({"tid": 1, "to": "1", "sms": "x", "sdr": ""}, "tasks.3.sdr", "is not a whole number"),
        ({"tid": 1, "to": "1", "sms": "x", "from": {"p": 1}}, "tasks.3.from", "is not text"),
        ({"tid": 1, "to": "1", "sms": "x", "to_all": 2}, "tasks.3.to_all", "above 1"),
        ({"tid": 1, "to": "1", "sms": "x" * 10_001}, "tasks.3.sms", "over 10000"),
        ({"tid": 1, "to": ",".join(["1"] * 10_001), "sms": "x"}, "tasks.3.to", "recipients"),
        (
            {"tid": 1, "to": "1", "sms": "x", "smstype": 1, "smstitle": ["t"]},
            "tasks.3.smstitle",
            "is not text",
        ),
    ],
)
def test_a_wrong_type_is_the_requests_problem(
    raw: dict[str, Any], field: str, problem: str
) -> None:
    with pytest.raises(ApiError) as caught:
        _read(raw)
    assert caught.value.http_status == 400
    assert caught.value.reason.startswith(f"{field}: ")
    assert problem in caught.value.reason


def test_the_first_field_in_order_is_named() -> None:
    with pytest.raises(ApiError) as caught:
        _read({"tid": 1, "to": "1", "sms": "x", "tmo": "soon", "coding": "x"})
    assert caught.value.reason.startswith("tasks.3.coding: ")


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ({"to": "1", "sms": "x"}, TaskStatus.TID_EXPECTED),
        ({"tid": "", "to": ["junk"], "sms": 5}, TaskStatus.TID_EXPECTED),
        ({"tid": 1, "to": "1"}, TaskStatus.SMS_EXPECTED),
        ({"tid": 1, "to": "1", "sms": "%%", "chs": "base64"}, TaskStatus.SMS_EXPECTED),
        ({"tid": 1, "to": " , ", "sms": "x"}, TaskStatus.TO_EXPECTED),
        ({"tid": 1, "to": "1", "sms": "x", "from": "99"}, TaskStatus.INVALID_PORT),
        ({"tid": 1, "to": "1", "smstype": 1}, TaskStatus.MMS_TITLE_EXPECTED),
        ({"tid": 1, "to": "1", "smstype": 1, "smstitle": "t"}, TaskStatus.MMS_ATTACHMENTS_EXPECTED),
        (
            {"tid": 1, "to": "1", "smstype": 1, "smstitle": "t", "attachments": "exe|AAAA"},
            TaskStatus.MMS_ATTACHMENTS_EXPECTED,
        ),
        (
            {"tid": 1, "to": "1", "smstype": 1, "smstitle": "t", "attachments": "txt|AA==;" * 6},
            TaskStatus.TOO_MANY_MMS_ATTACHMENTS,
        ),
    ],
)
def test_a_missing_or_meaningless_value_is_the_tasks_status(
    raw: dict[str, Any], status: TaskStatus
) -> None:
    assert _read(raw)[1] == status


def test_junk_in_mms_fields_of_an_sms_task_is_ignored() -> None:
    _, spec = _read({"tid": 1, "to": "1", "sms": "x", "smstitle": ["t"], "attachments": 5})
    assert isinstance(spec, TaskSpec)


def test_base64_text_is_decoded_and_the_wire_text_kept() -> None:
    _, spec = _read({"tid": 1, "to": "1", "sms": "aMOp", "chs": "BASE-64", "to_all": "0"})
    assert isinstance(spec, TaskSpec)
    assert (spec.text, spec.sms, spec.chs) == ("hé", "aMOp", "base64")


@pytest.mark.parametrize("raw", [[1], "task", None, 5])
def test_a_task_that_is_not_an_object_is_a_400(raw: Any) -> None:
    with pytest.raises(ApiError) as caught:
        _read(raw)
    assert caught.value.http_status == 400 and caught.value.reason.startswith("tasks.3: ")
