"""goip_send_sms.html, the older single-port send (spec 6.2; EJOIN-EXTRAS): one task on
the machinery of goip_post_sms, with its own envelope."""

import pytest
from conftest import CREDS, small
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SEND = "/goip_send_sms.html"


async def send(gw, **params):
    return await gw.get(SEND, **CREDS, **params)


async def tasks_on(gw, port, **params):
    _, doc = await gw.get("/goip_get_tasks.html", port=port, **CREDS, **params)
    return doc["tasks"]


async def test_accepted_task_gets_the_lowest_free_tid_and_is_listed(gateway):
    status, doc = await send(gateway, port="2", recipients="555, 666", sms="hello there")
    assert (status, doc) == (200, {"code": 0, "reason": "OK", "tid": 1000000000})
    _, doc = await send(gateway, port="2.01", recipients="555", sms="again")
    assert doc["tid"] == 1000000001
    listed = await tasks_on(gateway, 2, has_content=1)
    assert [(t["tid"], t["to"], t["sms"]) for t in listed] == [
        (1000000000, "555,666", "hello there"),
        (1000000001, "555", "again"),
    ]


async def test_given_tid_and_a_taken_one(gateway):
    _, doc = await send(gateway, tid=77, recipients="1", sms="x", port=1)
    assert doc == {"code": 0, "reason": "OK", "tid": 77}
    _, doc = await send(gateway, tid=77, recipients="1", sms="x", port=1)
    assert doc == {"code": 13, "reason": "Duplicated TaskId"}
    assert len(await tasks_on(gateway, 1)) == 1


async def test_the_plus_is_a_space_in_the_text(gateway):
    resp = await gateway.client.get(
        f"{SEND}?username=root&password=root&port=1&recipients=5&sms=a+b%2Bc&charset=Utf-8"
    )
    assert (await resp.json())["code"] == 0
    [task] = await tasks_on(gateway, 1, has_content=1)
    assert task["sms"] == "a b+c"


@pytest.mark.parametrize(
    ("params", "answer"),
    [
        ({"recipients": "1"}, {"code": 8, "reason": "SMS expected"}),
        ({"sms": "x"}, {"code": 9, "reason": "TO expected"}),
        ({"sms": "x", "recipients": " , "}, {"code": 9, "reason": "TO expected"}),
        ({"sms": "x", "recipients": "1", "port": "9"}, {"code": 2, "reason": "Invalid Port"}),
    ],
)
async def test_refusals_queue_nothing(gateway, params, answer):
    status, doc = await send(gateway, **params)
    assert (status, doc) == (200, answer)
    for port in range(1, 5):
        assert await tasks_on(gateway, port) == []


async def test_wrong_credentials(gateway):
    status, doc = await gateway.get(SEND, username="root", password="x", recipients="1", sms="x")
    assert (status, doc) == (200, {"code": 1, "reason": "Invalid User"})
    assert await tasks_on(gateway, 1) == []


async def test_no_registered_sim_is_5(gateway):
    await gateway.post("/_emulator/sims/3.02", {"event": "remove"})
    await gateway.post("/_emulator/sims/3.01", {"event": "remove"})
    _, doc = await send(gateway, port=3, recipients="1", sms="x")
    assert doc == {"code": 5, "reason": "SIM Unregistered"}


async def test_too_many_tasks_is_16(gateway_factory):
    gw = await gateway_factory(small(sending={"max_tasks": 1}))
    await gw.advance(10)
    assert (await send(gw, recipients="1", sms="x", port=1))[1]["code"] == 0
    assert (await send(gw, recipients="1", sms="x", port=1))[1] == {
        "code": 16,
        "reason": "Too Many Task",
    }


async def test_wrong_types_are_400_naming_the_parameter(gateway):
    status, doc = await send(gateway, recipients="1", sms="x", tmo="soon")
    assert status == 400 and doc["reason"].startswith("tmo:")
    status, doc = await send(gateway, recipients="1", sms="x", tid="abc")
    assert status == 400 and doc["reason"].startswith("tid:")


async def test_task_is_sent_reported_and_counted(gateway, receiver):
    await gateway.get("/goip_send_cmd.html", op="set", sr_url=receiver.url, **CREDS)
    _, doc = await send(gateway, port=1, recipients="555", sms="hi", sr_prd=5, sr_cnt=1)
    tid = doc["tid"]
    await gateway.advance(60)
    reports = [r for p in receiver.of_type("status-report") for r in p["rpts"]]
    assert any(r["tid"] == tid and r["sent"] == 1 for r in reports)
    _, stat = await gateway.get("/goip_get_sms_stat.html", ports="1", **CREDS)
    assert stat["stats"][0]["sent"] == 1


async def test_pause_resume_remove_by_tid(gateway):
    _, doc = await send(gateway, port=1, recipients=",".join(str(n) for n in range(50)), sms="x")
    tid = doc["tid"]
    _, paused = await gateway.get("/goip_pause_sms.html", tids=tid, **CREDS)
    assert paused["results"] == [{"tid": tid, "status": "0 OK"}]
    assert (await tasks_on(gateway, 1))[0]["state"] == 1
    await gateway.get("/goip_resume_sms.html", tids=tid, **CREDS)
    assert (await tasks_on(gateway, 1))[0]["state"] == 0
    _, removed = await gateway.get("/goip_remove_sms.html", tids=tid, **CREDS)
    assert removed["results"] == [{"tid": tid, "status": "0 OK"}]
    assert await tasks_on(gateway, 1) == []


async def test_journal_type(gateway):
    await send(gateway, recipients="1", sms="x")
    [entry] = gateway.journal("request", "goip_send_sms")
    assert entry["answer"]["code"] == 0


NAMES = ["port", "recipients", "sms", "charset", "tid", "sdr", "fdr", "dr", "tmo", "intvl"]
NAMES += ["coding", "smsc", "sr_cnt", "sr_prd", "x"]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(st.sampled_from(NAMES), st.text(max_size=12), max_size=6))
async def test_random_queries_never_fail_and_refusals_queue_nothing(gateway, query):
    _, before = await gateway.get("/_emulator/state")
    status, doc = await send(gateway, **query)
    assert status in (200, 400) and doc["reason"]
    if doc.get("code") == 0:
        assert isinstance(doc["tid"], int)
        await gateway.post("/_emulator/reset", {})
        await gateway.advance(10)
    else:
        assert "tid" not in doc
        _, after = await gateway.get("/_emulator/state")
        before.pop("clock"), after.pop("clock")
        assert after == before
