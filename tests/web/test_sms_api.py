"""goip_post_sms / pause / resume / remove / get_tasks over HTTP (spec 6)."""

import base64

import pytest
from conftest import CREDS, small

SEND = "/goip_post_sms.html"


def send_body(*tasks, **top):
    return {"type": "send-sms", "task_num": len(tasks), "tasks": list(tasks), **top}


async def test_example_643(gateway):
    status, doc = await gateway.post(
        SEND, send_body({"tid": 1223, "to": "13686876620", "sms": "hello123"}), **CREDS
    )
    assert (status, doc) == (
        200,
        {
            "code": 200,
            "reason": "OK",
            "type": "task-status",
            "status": [{"tid": 1223, "status": "0 OK"}],
        },
    )


async def test_get_version_1_0_with_one_task(gateway, receiver):
    status, doc = await gateway.get(
        SEND, tid=7, to="555", sms="hi", port=2, sr_url=receiver.url, **CREDS
    )
    assert doc["status"] == [{"tid": 7, "status": "0 OK"}]
    await gateway.advance(60)
    [report] = receiver.of_type("status-report")
    assert report["rpts"][0]["tid"] == 7 and report["rpts"][0]["sent"] == 1


async def test_credentials_in_the_body_and_lenient_numbers(gateway):
    status, doc = await gateway.post(
        SEND,
        {
            **send_body({"tid": "12", "to": 555, "sms": "x", "intvl": 0, "from": 3}),
            "task_num": "1",
            **CREDS,
        },
    )
    assert doc["status"] == [{"tid": 12, "status": "0 OK"}]


async def test_wrong_credentials_refuse_every_task(gateway):
    _, doc = await gateway.post(
        SEND,
        send_body({"tid": 1, "to": "1", "sms": "x"}, {"tid": 2, "to": "1", "sms": "x"}),
        username="root",
        password="nope",
    )
    assert doc["status"] == [
        {"tid": 1, "status": "1 Invalid User"},
        {"tid": 2, "status": "1 Invalid User"},
    ]
    assert (await gateway.task_ids()) == []


@pytest.mark.parametrize(
    ("task", "status"),
    [
        ({"to": "1", "sms": "x"}, "11 TID Expected"),
        ({"tid": 5, "sms": "x"}, "9 TO expected"),
        ({"tid": 5, "to": " , ", "sms": "x"}, "9 TO expected"),
        ({"tid": 5, "to": "1"}, "8 SMS expected"),
        ({"tid": 5, "to": "1", "sms": "!!", "chs": "base64"}, "8 SMS expected"),
        ({"tid": 5, "to": "1", "sms": "x", "from": "99"}, "2 Invalid Port"),
        ({"tid": 5, "to": "1", "sms": "x", "from": "1-x"}, "2 Invalid Port"),
        ({"tid": 5, "to": "1", "sms": "x", "smstype": 1}, "17 MMS Title expected"),
        ({"tid": 5, "to": "1", "smstype": 1, "smstitle": "t"}, "19 MMS Attachments expected"),
        (
            {"tid": 5, "to": "1", "smstype": 1, "smstitle": "t", "attachments": "exe|AAAA"},
            "19 MMS Attachments expected",
        ),
        (
            {
                "tid": 5,
                "to": "1",
                "smstype": 1,
                "smstitle": "t",
                "attachments": ";".join(["txt|YQ=="] * 6),
            },
            "18 Too Many MMS Attachments",
        ),
        (
            {
                "tid": 5,
                "to": "1",
                "smstype": 1,
                "smstitle": "t",
                "attachments": "jpg|" + base64.b64encode(b"x" * 110_000).decode(),
            },
            "20 MMS Attachments Cache size Overlimit",
        ),
    ],
)
async def test_each_refusal_code_and_a_refused_task_changes_nothing(gateway, task, status):
    _, doc = await gateway.post(SEND, send_body(task), **CREDS)
    assert doc["status"][0]["status"] == status
    assert (await gateway.task_ids()) == []


async def test_mms_with_attachments_is_accepted(gateway):
    _, doc = await gateway.post(
        SEND,
        send_body(
            {
                "tid": 9,
                "to": "1",
                "smstype": 1,
                "smstitle": "pic",
                "attachments": "txt|zsSxvg==;jpg|4AAQSkZJRgABAgAAZABk",
            }
        ),
        **CREDS,
    )
    assert doc["status"][0]["status"] == "0 OK"


async def test_duplicates_within_a_request_and_against_held_tasks(gateway):
    _, doc = await gateway.post(
        SEND,
        send_body({"tid": 1, "to": "1", "sms": "x"}, {"tid": 1, "to": "2", "sms": "y"}),
        **CREDS,
    )
    assert [s["status"] for s in doc["status"]] == ["0 OK", "13 Duplicated TaskId"]
    _, doc = await gateway.post(SEND, send_body({"tid": 1, "to": "1", "sms": "x"}), **CREDS)
    assert doc["status"][0]["status"] == "13 Duplicated TaskId"


async def test_too_many_tasks_against_the_profile_limit(gateway_factory):
    gw = await gateway_factory(small(sending={"max_tasks": 2}))
    await gw.advance(10)
    tasks = [{"tid": n, "to": "1", "sms": "x"} for n in range(3)]
    _, doc = await gw.post(SEND, send_body(*tasks), **CREDS)
    assert [s["status"] for s in doc["status"]] == ["0 OK", "0 OK", "16 Too Many Task"]


async def test_sim_unregistered_when_no_port_can_send(gateway_factory):
    gw = await gateway_factory()  # SIMs still registering
    _, doc = await gw.post(SEND, send_body({"tid": 1, "to": "1", "sms": "x"}), **CREDS)
    assert doc["status"][0]["status"] == "5 SIM Unregistered"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"type": "send-sms", "tasks": [{"tid": "abc", "to": "1", "sms": "x"}]}, "tasks.0.tid"),
        (
            {"type": "send-sms", "tasks": [{"tid": 1, "to": "1", "sms": "x", "intvl": "soon"}]},
            "tasks.0.intvl",
        ),
        (
            {"type": "send-sms", "tasks": [{"tid": 1, "to": "1", "sms": "x", "coding": 7}]},
            "tasks.0.coding",
        ),
        ({"type": "send-sms", "tasks": []}, "tasks"),
        ({"type": "recv-sms", "tasks": [{"tid": 1}]}, "type"),
        (
            {"type": "send-sms", "sr_cnt": "many", "tasks": [{"tid": 1, "to": "1", "sms": "x"}]},
            "sr_cnt",
        ),
    ],
)
async def test_wrong_types_are_400_naming_the_field(gateway, body, words):
    status, doc = await gateway.post(SEND, body, **CREDS)
    assert status == 400 and words in doc["reason"]
    assert (await gateway.task_ids()) == []


async def test_report_contents_with_sdr_fdr_through_a_real_receiver(gateway_factory, receiver):
    gw = await gateway_factory(
        small(
            sending={"latency": 2},
            sims={"overrides": [{"slots": "2.01", "send_failure_rate": 1}]},
        )
    )
    await gw.advance(10)
    _, doc = await gw.post(
        SEND,
        send_body(
            {"tid": 42, "to": "100,200", "sms": "hi", "from": "1,2", "sdr": 1, "fdr": 1},
            sr_url=receiver.url,
            sr_cnt=1,
        ),
        **CREDS,
    )
    assert doc["status"][0]["status"] == "0 OK"
    await gw.advance(5)
    [report] = receiver.of_type("status-report")
    assert report["rpt_num"] == 1
    rpt = report["rpts"][0]
    assert (rpt["tid"], rpt["sending"], rpt["sent"], rpt["failed"], rpt["unsent"]) == (
        42,
        0,
        1,
        1,
        0,
    )
    assert rpt["sdr"] == [[0, "100", "1.01", 1767225612]]
    assert rpt["fdr"] == [[1, "200", "2.01", 1767225612, "21 Send Failed", "500 Network Refused"]]
    assert receiver.received[0].headers["Content-Type"] == "application/json;charset=utf-8"


async def test_pause_resume_remove_and_get_tasks(gateway):
    for tid in (2, 3, 4):
        await gateway.post(
            SEND,
            send_body({"tid": tid, "to": "13686876820", "sms": "hello123", "from": "1"}),
            **CREDS,
        )
    _, doc = await gateway.get(
        "/goip_get_tasks.html", version="1.1", port=1, pos=0, has_content=1, **CREDS
    )
    assert doc["code"] == 200 and doc["total_num"] == 3 and doc["task_num"] == 3
    assert doc["tasks"][0] == {
        "tid": 2,
        "state": 0,
        "from": "1",
        "to": "13686876820",
        "chs": "utf8",
        "coding": 0,
        "sms": "hello123",
    }
    _, doc = await gateway.post("/goip_pause_sms.html", {"tids": [3, 4]}, **CREDS)
    assert doc == {
        "code": 200,
        "reason": "OK",
        "results": [{"tid": 3, "status": "0 OK"}, {"tid": 4, "status": "0 OK"}],
    }
    _, doc = await gateway.get("/goip_get_tasks.html", port=1, pos=1, num=1, **CREDS)
    assert doc["total_num"] == 3 and doc["tasks"] == [
        {"tid": 3, "state": 1, "from": "1", "to": "13686876820", "chs": "utf8", "coding": 0}
    ]
    await gateway.advance(60)
    assert set(await gateway.task_ids()) == {3, 4}  # 2 finished, 3 and 4 paused
    _, doc = await gateway.post("/goip_resume_sms.html", {"tids": [3]}, **CREDS)
    _, doc = await gateway.post("/goip_remove_sms.html", {"tids": [4, 99]}, **CREDS)
    assert doc["results"] == [
        {"tid": 4, "status": "0 OK"},
        {"tid": 99, "status": "11 TID Expected"},
    ]
    await gateway.advance(60)
    assert (await gateway.task_ids()) == []


async def test_pause_all_without_tids_has_no_results(gateway):
    await gateway.post(SEND, send_body({"tid": 1, "to": "1,2,3", "sms": "x", "from": "1"}), **CREDS)
    _, doc = await gateway.post("/goip_pause_sms.html", {}, **CREDS)
    assert doc == {"code": 200, "reason": "OK"}
    assert [t["paused"] for t in (await gateway.state())["tasks"] if t["tid"] == 1] == [True]


async def test_get_tasks_needs_a_valid_port(gateway):
    _, doc = await gateway.get("/goip_get_tasks.html", pos=0, **CREDS)
    assert doc["code"] == 2
    _, doc = await gateway.get("/goip_get_tasks.html", port=99, pos=0, **CREDS)
    assert doc["code"] == 2 and "99" in doc["reason"]


@pytest.mark.parametrize("port_format", ["letter", "dotted", "{port}.sp256.{slot:02d}"])
async def test_report_port_names_follow_the_port_format(gateway_factory, receiver, port_format):
    gw = await gateway_factory(small(quirks={"port_format": port_format}))
    await gw.advance(10)
    await gw.post(
        SEND,
        send_body(
            {"tid": 1, "to": "1", "sms": "x", "from": "2", "sdr": 1}, sr_url=receiver.url, sr_cnt=1
        ),
        **CREDS,
    )
    await gw.advance(30)
    name = receiver.of_type("status-report")[0]["rpts"][0]["sdr"][0][2]
    assert name == {"letter": "2A", "dotted": "2.01"}.get(port_format, "2.sp256.01")


async def test_attribute_names_in_any_case_the_exact_name_winning(gateway):
    task = {"Tid": 41, "TO": "13800000001", "Sms": "hi", "SR_PRD": 5, "tid": 42}
    status, doc = await gateway.post(SEND, send_body(task), **CREDS)
    assert status == 200 and doc["status"] == [{"tid": 42, "status": "0 OK"}]
    _, doc = await gateway.get("/goip_get_tasks.html", port=1, has_content=1, **CREDS)
    [held] = doc["tasks"]
    assert (held["tid"], held["to"], held["sms"]) == (42, "13800000001", "hi")
