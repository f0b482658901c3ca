"""1,000 concurrent submitters with distinct tids: each task accepted once, and the totals
reconcile exactly with the status reports."""

import asyncio

import aiohttp

CREDS = {"username": "root", "password": "root"}
SUBMITTERS = 1000


async def test_a_thousand_concurrent_submitters(serve, receiver, tmp_path):
    profile = tmp_path / "busy.yaml"
    profile.write_text("sending:\n  latency: 1\n  failure_rate: 0.1\npush:\n  sr_cnt: 200\n")
    served = await serve("--clock", "virtual", "--profile", str(profile))
    url = served.url
    connector = aiohttp.TCPConnector(limit=SUBMITTERS)  # all of them at once
    async with aiohttp.ClientSession(connector=connector) as http:
        await http.post(f"{url}/_emulator/clock/advance", json={"seconds": 10})

        async def submit(tid):
            body = {
                "type": "send-sms",
                "sr_url": receiver.url,
                "tasks": [{"tid": tid, "to": f"1555{tid:04d},1666{tid:04d}", "sms": f"t{tid}"}],
            }
            async with http.post(f"{url}/goip_post_sms.html", params=CREDS, json=body) as resp:
                doc = await resp.json()
            return doc["status"][0]

        statuses = await asyncio.gather(*(submit(tid) for tid in range(1, SUBMITTERS + 1)))
        assert sorted(s["tid"] for s in statuses) == list(range(1, SUBMITTERS + 1))
        assert all(s["status"] == "0 OK" for s in statuses)
        async with http.post(f"{url}/_emulator/clock/advance", json={"seconds": 3600}) as resp:
            assert resp.status == 200
        async with http.get(
            f"{url}/goip_get_sms_stat.html", params={**CREDS, "type": "3", "slots": "all"}
        ) as resp:
            stats = (await resp.json())["stats"]
    finals = {}
    for report in receiver.of_type("status-report"):
        for rpt in report["rpts"]:
            finals[rpt["tid"]] = rpt
    assert sorted(finals) == list(range(1, SUBMITTERS + 1))
    sent = sum(r["sent"] for r in finals.values())
    failed = sum(r["failed"] for r in finals.values())
    assert sent + failed == 2 * SUBMITTERS
    assert all(r["unsent"] == 0 and r["sending"] == 0 for r in finals.values())
    assert sum(s["sent_ok"] for s in stats) == sent
    assert sum(s["sent_failed"] for s in stats) == failed
    assert 0 < failed < 2 * SUBMITTERS * 0.2
