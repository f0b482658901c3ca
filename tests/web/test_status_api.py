"""goip_get_status.html (spec 4) through the aiohttp test client."""

from conftest import CREDS, SMALL, make_profile


async def test_status_answers_dev_status_of_example_641(gateway):
    status, doc = await gateway.get("/goip_get_status.html", **CREDS)
    assert status == 200
    assert doc["type"] == "dev-status"
    assert doc["max-ports"] == 4 and doc["max-slot"] == 2 and doc["max-slots"] == 2
    assert [e["port"] for e in doc["status"]] == ["1.01", "2.01", "3.01", "4.01"]
    entry = doc["status"][0]
    assert list(entry) == [
        "port",
        "sim",
        "seq",
        "st",
        "imei",
        "iccid",
        "imsi",
        "sn",
        "opr",
        "bal",
        "sig",
        "tot_dur",
        "mon_dur",
        "day_dur",
    ]
    assert entry["st"] == 3 and entry["opr"] == "46001 CHINA UNICOM GSM"
    assert entry["bal"] == "100.00"


async def test_subscription_pushes_dev_status_every_period(gateway, receiver):
    status, _ = await gateway.get("/goip_get_status.html", url=receiver.url, period=30, **CREDS)
    assert status == 200
    assert (await gateway.settings())["status_period"] == 60  # 1-59 is raised to 60
    await gateway.advance(59)
    assert receiver.of_type("dev-status") == []
    await gateway.advance(1)
    pushed = receiver.of_type("dev-status")
    assert len(pushed) == 1
    assert receiver.received[0].headers["Content-Type"] == "application/json;charset=utf-8"
    await gateway.advance(120)
    assert [d["seq"] for d in receiver.of_type("dev-status")] == [2, 3, 4]


async def test_wrong_credentials_change_nothing(gateway, receiver):
    status, doc = await gateway.get(
        "/goip_get_status.html", url=receiver.url, username="root", password="nope"
    )
    assert (status, doc) == (200, {"code": 1, "reason": "Invalid User"})
    assert (await gateway.settings())["status_url"] is None


async def test_small_profile_fixture_builds(gateway_factory):
    gw = await gateway_factory(make_profile(**SMALL))
    assert len((await gw.state())["ports"]) == 4


async def test_all_sims_lists_every_slot_of_every_port(gateway):
    _, doc = await gateway.get("/goip_get_status.html", all_sims=1, **CREDS)
    assert [e["port"] for e in doc["status"]] == [
        "1.01",
        "1.02",
        "2.01",
        "2.02",
        "3.01",
        "3.02",
        "4.01",
        "4.02",
    ]
    assert [e["st"] for e in doc["status"]] == [3, 1] * 4


async def test_period_zero_cancels_reporting(gateway, receiver):
    await gateway.get("/goip_get_status.html", url=receiver.url, period=60, **CREDS)
    await gateway.advance(60)
    assert len(receiver.of_type("dev-status")) == 1
    await gateway.get("/goip_get_status.html", period=0, **CREDS)
    await gateway.get("/goip_send_cmd.html", op="lock", ports="1", **CREDS)
    await gateway.advance(600)
    assert len(receiver.of_type("dev-status")) == 1
    assert receiver.of_type("port-status") == []


async def test_period_change_without_url_keeps_the_subscription(gateway, receiver):
    await gateway.get("/goip_get_status.html", url=receiver.url, **CREDS)
    await gateway.get("/goip_get_status.html", period=120, **CREDS)
    await gateway.advance(240)
    assert [d["expires"] for d in receiver.of_type("dev-status")] == [120, 120]


async def test_bad_status_parameters_are_400_naming_them(gateway):
    for params, words in [
        ({"period": "soon"}, "period"),
        ({"period": "-5"}, "period: -5 is below 0"),
        ({"all_sims": "2"}, "all_sims"),
        ({"url": "not a url"}, "url"),
    ]:
        status, doc = await gateway.get("/goip_get_status.html", **params, **CREDS)
        assert status == 400, params
        assert words in doc["reason"]
    assert (await gateway.settings())["status_url"] is None


async def test_post_with_json_body_parameters(gateway, receiver):
    status, doc = await gateway.post(
        "/goip_get_status.html", {"username": "root", "password": "root", "url": receiver.url}
    )
    assert status == 200 and doc["type"] == "dev-status"
    assert (await gateway.settings())["status_url"] == receiver.url


async def test_dotted_port_format_on_the_wire(gateway_factory):
    from conftest import small

    gw = await gateway_factory(small(quirks={"port_format": "dotted"}))
    _, doc = await gw.get("/goip_get_status.html", **CREDS)
    assert doc["status"][0]["port"] == "1.01"


async def test_cached_entries_follow_every_change(gateway):
    async def states():
        _, doc = await gateway.get("/goip_get_status.html", all_sims=1, **CREDS)
        return [(e["port"], e["st"], e["seq"], e["bal"], e["imei"]) for e in doc["status"]]

    first = await states()
    assert await states() == first  # nothing changed: same entries (seq of the doc grows)
    await gateway.post("/_emulator/sims/2.02", {"event": "topup", "amount": 5})
    assert dict((p, b) for p, _, _, b, _ in await states())["2.02"] == "105.00"
    await gateway.get("/goip_send_cmd.html", op="lock", ports="3.02", **CREDS)
    assert dict((p, s) for p, s, *_ in await states())["3.02"] == 12
    await gateway.get("/goip_send_cmd.html", op="set", **{"imei(0)": "861111111111111"}, **CREDS)
    assert (await states())[0][4] == "861111111111111"
    await gateway.get("/goip_send_cmd.html", op="switch", ports="4.02", **CREDS)
    await gateway.advance(10)
    assert dict((p, s) for p, s, *_ in await states())["4.02"] == 3


async def test_a_warm_device_is_registered_at_start_and_counts_what_it_went_through(
    gateway_factory, receiver
):
    from emulator.config.profile import load_profile

    gw = await gateway_factory(load_profile("default"))  # warm, as served
    _, doc = await gw.get("/goip_get_status.html", url=receiver.url, **CREDS)
    assert {e["st"] for e in doc["status"]} == {3}
    assert {e["seq"] for e in doc["status"]} == {3}  # 11, 2, 3 happened before anyone listened
    status, answer = await gw.post(
        "/goip_post_sms.html",
        {"type": "send-sms", "tasks": [{"tid": 1, "to": "1", "sms": "x"}]},
        **CREDS,
    )
    assert answer["status"] == [{"tid": 1, "status": "0 OK"}]  # the first SMS is accepted
    await gw.get("/goip_send_cmd.html", op="lock", ports="2", **CREDS)
    await gw.advance(0)
    pushed = receiver.of_type("port-status")
    assert [(d["port"], d["seq"], d["st"]) for d in pushed] == [("2.01", 4, "12 Locked by User")]
