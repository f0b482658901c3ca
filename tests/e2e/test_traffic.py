"""Traffic through the real server and a real receiver: a campaign and an inbound flood."""

import base64

import aiohttp

CREDS = {"username": "root", "password": "root"}


async def advance(http, url, seconds):
    async with http.post(f"{url}/_emulator/clock/advance", json={"seconds": seconds}) as resp:
        assert resp.status == 200


async def test_three_tasks_of_fifty_recipients_reconcile(serve, receiver):
    served = await serve("--clock", "virtual")
    url = served.url
    tasks = [
        {
            "tid": 100 + t,
            "to": ",".join(f"1555{t}{n:03d}" for n in range(50)),
            "sms": f"campaign {t}",
            "sdr": 1,
            "fdr": 1,
        }
        for t in range(3)
    ]
    async with aiohttp.ClientSession() as http:
        await advance(http, url, 10)
        async with http.post(
            f"{url}/goip_post_sms.html",
            params=CREDS,
            json={
                "type": "send-sms",
                "task_num": 3,
                "sr_url": receiver.url,
                "tasks": tasks,
            },
        ) as resp:
            doc = await resp.json()
        assert [s["status"] for s in doc["status"]] == ["0 OK"] * 3
        await advance(http, url, 3600)
    totals = {}
    for report in receiver.of_type("status-report"):
        for rpt in report["rpts"]:
            entry = totals.setdefault(rpt["tid"], {"records": [], "last": None})
            entry["records"] += [(r[0], r[1]) for r in rpt.get("sdr", []) + rpt.get("fdr", [])]
            entry["last"] = rpt
    assert sorted(totals) == [100, 101, 102]
    for tid, entry in totals.items():
        last = entry["last"]
        assert (last["sent"] + last["failed"], last["sending"], last["unsent"]) == (50, 0, 0)
        assert sorted(i for i, _ in entry["records"]) == list(range(50)), tid
        assert len(set(entry["records"])) == 50


async def test_five_hundred_inbound_sms_pushed_in_batches_and_paged_back(serve, receiver):
    served = await serve("--clock", "virtual")
    url = served.url
    async with aiohttp.ClientSession() as http:
        await advance(http, url, 10)
        async with http.get(
            f"{url}/goip_send_cmd.html",
            params={
                **CREDS,
                "op": "set",
                "sms_url": receiver.url,
                "sms_cnt": "50",
                "sms_prd": "30",
            },
        ) as r:
            assert (await r.json())["code"] == 0
        batch = [
            {"port": f"{n % 32 + 1}", "sender": f"+1555{n:04d}", "text": f"msg {n} ✓"}
            for n in range(500)
        ]
        async with http.post(f"{url}/_emulator/sms", json=batch) as resp:
            results = (await resp.json())["results"]
        assert [r["id"] for r in results] == list(range(1, 501))
        await advance(http, url, 1)
        pushes = receiver.of_type("recv-sms")
        assert [p["sms_num"] for p in pushes] == [50] * 10
        texts = [base64.b64decode(e[5]).decode() for p in pushes for e in p["sms"]]
        assert texts == [f"msg {n} ✓" for n in range(500)]
        # read them back 120 at a time
        seen, sms_id, ssrc = [], 1, None
        while True:
            async with http.get(
                f"{url}/goip_get_sms.html",
                params={**CREDS, "sms_id": str(sms_id), "sms_num": "120"},
            ) as r:
                doc = await r.json()
            assert doc["code"] == 0 and len(doc["ssrc"]) == 16
            ssrc = ssrc or doc["ssrc"]
            assert doc["ssrc"] == ssrc
            if doc["sms_num"] == 0:
                break
            seen += doc["data"]
            sms_id = doc["next_sms"]
        assert len(seen) == 500
        assert [e[1] for e in seen[:3]] == ["1.01", "2.01", "3.01"]
        assert base64.b64decode(seen[-1][5]).decode() == "msg 499 ✓"
