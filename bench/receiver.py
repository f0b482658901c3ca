"""A minimal callback receiver that counts what arrives (GET /count reads the counters)."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from emulator.runtime import bound_port


async def main() -> None:
    counts = {"posts": 0, "bytes": 0}

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        counts["posts"] += 1
        counts["bytes"] += len(body)
        return web.Response(text="OK")

    async def count(request: web.Request) -> web.Response:
        return web.Response(text=json.dumps(counts), content_type="application/json")

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_get("/count", count)
    app.router.add_post("/{tail:.*}", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"receiver http://127.0.0.1:{bound_port(site)}/", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
