"""The reference for P1: a bare aiohttp server that answers fixed JSON per path.

`python -m bench.bare_server ANSWERS.json` where the file maps a path to the exact
body the emulator answers there; same process settings as the emulator (one
process, default loop, no access log) and the same routing: one plain route per path,
as the emulator registers them (a catch-all `/{tail:.*}` route would cost the reference
a regex match per request, about a sixth of its time, and flatter the emulator).
"""

from __future__ import annotations

import asyncio
import json
import sys

from aiohttp import web

from emulator.runtime import bound_port

CONTENT_TYPE = "application/json;charset=utf-8"


async def main(answers_path: str) -> None:
    with open(answers_path, encoding="utf-8") as handle:
        answers = {path: json.dumps(doc).encode() for path, doc in json.load(handle).items()}

    async def handler(request: web.Request) -> web.Response:
        if request.method == "POST":
            await request.read()
        return web.Response(body=answers[request.path], headers={"Content-Type": CONTENT_TYPE})

    app = web.Application()
    for path in answers:
        app.router.add_route("*", path, handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"ready http://127.0.0.1:{bound_port(site)}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
