"""P3 fleet: 200 devices x 128 SIMs in one process. Target: ready <= 5 s, RSS <= 400 MB.

Reference, same run: the same number of bare aiohttp applications (one route each) on
their own ports in one process: the floor any fleet of HTTP servers pays.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from aiohttp import web

from bench.common import machine, report, rss_mb, run_child, verdict

DEVICES = 200


async def _fleet(devices: int) -> dict[str, float]:
    from emulator.config.profile import load_profile
    from emulator.runtime import Server

    profile = load_profile("default")  # 32 ports x 4 slots = 128 SIMs each
    start = time.perf_counter()
    server = Server(profile, port=0, devices=devices, clock="virtual")
    urls = await server.start()
    ready = time.perf_counter() - start
    rss = rss_mb()
    start = time.perf_counter()
    await server.runtime.advance(10)  # every SIM of every device registers
    registered = time.perf_counter() - start
    ok = sum(p.slot.state == 3 for d in server.devices for p in d.device.ports)
    await server.stop()
    return {
        "ready_s": ready,
        "rss_mb": rss,
        "register_s": registered,
        "urls": len(urls),
        "registered_ports": ok,
    }


async def _bare(devices: int) -> dict[str, float]:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    start = time.perf_counter()
    runners = []
    for _ in range(devices):
        app = web.Application()
        app.router.add_get("/", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
    ready = time.perf_counter() - start
    rss = rss_mb()
    for runner in runners:
        await runner.cleanup()
    return {"ready_s": ready, "rss_mb": rss}


def main() -> None:
    fleet = run_child("bench.p3_fleet", "--child", "fleet")
    bare = run_child("bench.p3_fleet", "--child", "bare")
    report(
        f"P3 fleet: {DEVICES} devices x 128 SIMs ({machine()})",
        [
            (
                "emulator ready",
                f"{fleet['ready_s']:.2f} s (target <= 5 s) {verdict(fleet['ready_s'] <= 5)}",
            ),
            (
                "emulator RSS",
                f"{fleet['rss_mb']:.0f} MB (target <= 400 MB) {verdict(fleet['rss_mb'] <= 400)}",
            ),
            (
                "all SIMs registered",
                f"{fleet['register_s']:.2f} s wall for 10 virtual s, "
                f"{fleet['registered_ports']:.0f} ports OK",
            ),
            ("reference: bare aiohttp apps", f"{bare['ready_s']:.2f} s, {bare['rss_mb']:.0f} MB"),
        ],
    )


if __name__ == "__main__":
    if "--child" in sys.argv:
        kind = sys.argv[sys.argv.index("--child") + 1]
        result = asyncio.run(_fleet(DEVICES) if kind == "fleet" else _bare(DEVICES))
        print(json.dumps(result))
    else:
        main()
