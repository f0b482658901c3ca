"""P4 push: callbacks per second delivered to a local aiohttp receiver. Target >= 5,000/s.

The receiver runs in its own process. Reference, same run: a bare aiohttp client
POSTing the same bodies one after another over one kept-alive connection, the way
the pusher delivers to one target (in order, one in flight).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

import aiohttp

from bench.common import machine, report, start_receiver_process, verdict

N = 10_000
TARGETS = 4
ROUNDS = 3  # the three measurements take turns; medians are reported


async def _count(http: aiohttp.ClientSession, url: str) -> int:
    async with http.get(url + "count") as resp:
        return int(json.loads(await resp.text())["posts"])


async def run() -> None:
    from emulator.clock import VirtualClock
    from emulator.config.profile import load_profile
    from emulator.runtime import Runtime

    proc, url = await start_receiver_process()
    try:
        body = {
            "type": "port-status",
            "port": "1A",
            "seq": 1,
            "st": 3,
            "status": "3 OK",
            "bal": "100.00",
            "opr": "46001 CHINA UNICOM GSM",
            "sn": "13800000001",
            "imei": "860000000000001",
            "imsi": "460010000000001",
            "iccid": "89860110000000000001",
            "sig": 25,
        }
        data = json.dumps(body).encode()
        profile = load_profile("default")
        # Hold the whole burst: this measures delivery, not the queue bound.
        profile = profile.model_copy(
            update={"push": profile.push.model_copy(update={"max_queue": N})}
        )
        rates: dict[str, list[float]] = {"bare": [], "one": [], "many": []}
        async with aiohttp.ClientSession() as http:
            runtime = Runtime(profile, VirtualClock(0))
            dev = runtime.add_device()
            for _ in range(ROUNDS):
                start = time.perf_counter()
                for _ in range(N // 4):
                    async with http.post(
                        url + "bare", data=data, headers={"Content-Type": "application/json"}
                    ) as resp:
                        await resp.read()
                rates["bare"].append((N // 4) / (time.perf_counter() - start))

                start = time.perf_counter()
                for _ in range(N):
                    dev.pusher.submit(url + "one", "port-status", body)
                await dev.pusher.settle()
                rates["one"].append(N / (time.perf_counter() - start))

                start = time.perf_counter()
                for i in range(N):
                    dev.pusher.submit(url + f"t{i % TARGETS}", "port-status", body)
                await dev.pusher.settle()
                rates["many"].append(N / (time.perf_counter() - start))
            received = await _count(http, url)
            await runtime.close()
    finally:
        proc.terminate()
        await proc.wait()
    bare_rate, one_rate, many_rate = (statistics.median(rates[k]) for k in ("bare", "one", "many"))
    expected = ROUNDS * (N // 4 + 2 * N)
    report(
        f"P4 push: {N:,} callbacks a run, median of {ROUNDS} alternating rounds ({machine()})",
        [
            (
                "emulator, 1 target",
                f"{one_rate:,.0f}/s (target >= 5,000/s) {verdict(one_rate >= 5000)}",
            ),
            (f"emulator, {TARGETS} targets", f"{many_rate:,.0f}/s {verdict(many_rate >= 5000)}"),
            (
                "reference: bare aiohttp client",
                f"{bare_rate:,.0f}/s  (emulator 1 target = {one_rate / bare_rate:.2f}x)",
            ),
            ("received by the receiver", f"{received:,} of {expected:,}"),
        ],
    )


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
