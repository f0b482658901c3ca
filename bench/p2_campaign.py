"""P2 campaign in virtual time: 100,000 messages (1,000 tasks x 100 recipients) over
128 SIMs, from the first submission to the last status report received by a local
receiver. Target: <= 20 s wall on 2 cores.

Everything goes over HTTP as a platform would do it: the emulator runs as its own
process (`serve --clock virtual`), tasks are POSTed to goip_post_sms.html, the clock
is advanced through the control API, and a receiver in a third process counts the
status reports. The figure is wall time; the virtual time the campaign took is printed
beside it, with the reference rate of a bare receiver counting the same POST traffic.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from bench.common import SERVE, machine, report, verdict
from emulator.runtime import bound_port

TASKS = 1000
RECIPIENTS = 100
PER_REQUEST = 50
PROFILE = """
name: bench-campaign
seed: 1
device:
  ports: 128
  slots: 1
behaviour:
  registration_time: 2
journal:
  max_entries: 20000
push:
  max_queue: 100000
"""


async def run() -> dict[str, float]:
    reports: dict[int, dict[str, int]] = {}
    done = asyncio.Event()

    async def receive(request: web.Request) -> web.Response:
        doc = json.loads(await request.read())
        if doc.get("type") == "status-report":
            for rpt in doc["rpts"]:
                reports[rpt["tid"]] = rpt
            finished = sum(1 for r in reports.values() if r["sent"] + r["failed"] == RECIPIENTS)
            if finished == TASKS:
                done.set()
        return web.Response(text="OK")

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/{tail:.*}", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver = f"http://127.0.0.1:{bound_port(site)}/sr"

    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "campaign.yaml"
        profile.write_text(PROFILE)
        proc = subprocess.Popen(
            [
                *SERVE,
                "--clock",
                "virtual",
                "--profile",
                str(profile),
                "--log-level",
                "warning",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[1]
        try:
            async with aiohttp.ClientSession() as http:
                await http.post(f"{url}/_emulator/clock/advance", json={"seconds": 5})
                start = time.perf_counter()
                tid = 0
                for _ in range(TASKS // PER_REQUEST):
                    tasks = []
                    for _ in range(PER_REQUEST):
                        tid += 1
                        numbers = ",".join(f"1555{tid:04d}{n:03d}" for n in range(RECIPIENTS))
                        tasks.append({"tid": tid, "to": numbers, "sms": f"campaign {tid}"})
                    body = {
                        "type": "send-sms",
                        "task_num": len(tasks),
                        "sr_url": receiver,
                        "sr_cnt": 100,
                        "sr_prd": 30,
                        "tasks": tasks,
                    }
                    async with http.post(
                        f"{url}/goip_post_sms.html",
                        params={"username": "root", "password": "root"},
                        json=body,
                    ) as resp:
                        answer = await resp.json()
                        refused = [s for s in answer["status"] if not s["status"].startswith("0")]
                        if refused:
                            raise RuntimeError(f"tasks refused: {refused[:3]}")
                virtual = 0
                while not done.is_set():
                    async with http.post(
                        f"{url}/_emulator/clock/advance", json={"seconds": 300}
                    ) as resp:
                        await resp.read()
                    virtual += 300
                    if virtual > 7 * 86_400:
                        raise RuntimeError("campaign did not finish in a virtual week")
                wall = time.perf_counter() - start
        finally:
            proc.terminate()
            proc.wait()
    await runner.cleanup()
    sent = sum(r["sent"] for r in reports.values())
    failed = sum(r["failed"] for r in reports.values())
    return {"wall": wall, "virtual": virtual, "sent": sent, "failed": failed}


def main() -> None:
    result = asyncio.run(run())
    total = result["sent"] + result["failed"]
    report(
        f"P2 campaign: {TASKS:,} tasks x {RECIPIENTS} recipients over 128 SIMs ({machine()})",
        [
            (
                "wall time",
                f"{result['wall']:.1f} s (target <= 20 s) {verdict(result['wall'] <= 20)}",
            ),
            ("virtual time", f"{result['virtual'] / 3600:.1f} h of device time"),
            (
                "messages reported",
                f"{total:,.0f} ({result['sent']:,.0f} sent, {result['failed']:,.0f} failed)",
            ),
            ("rate", f"{total / result['wall']:,.0f} messages/s wall"),
        ],
    )


if __name__ == "__main__":
    main()
